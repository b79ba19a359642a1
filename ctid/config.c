#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gio/gio.h>

#include "config.h"
#include "config_sources.h"
#include "db.h"
#include "log.h"
#include "phone.h"
#include "utf8.h"

void config_init(struct config *c) {
	memset(c, 0, sizeof(*c));
	c->notify = true;
	c->ring_timeout = CONFIG_DEFAULT_RING_TIMEOUT;
}

static void modem_finish(struct config_modem *m) {
	free(m->name);
	free(m->path);
	free(m->line);
	free(m->init);
	free(m->country);
	free(m->flow);
	free(m->department);
}

void config_finish(struct config *c) {
	free(c->path);
	free(c->database);
	free(c->region);
	free(c->device_dir);
	free(c->open_card);
	free(c->add_note);
	free(c->reminder_time);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->connect);
	free(c->token_file);
	for (int i = 0; i < c->n_lines; i++) {
		free(c->lines[i]);
	}
	for (int i = 0; i < c->n_listen; i++) {
		free(c->listen[i]);
	}
	for (int i = 0; i < c->n_devices; i++) {
		free(c->devices[i]);
	}
	for (int i = 0; i < c->n_modems; i++) {
		modem_finish(&c->modems[i]);
	}
	config_box_finish(&c->fritzbox);
	free(c->fritzbox_dial.user);
	free(c->fritzbox_dial.password_file);
	memset(&c->fritzbox_dial, 0, sizeof(c->fritzbox_dial));
	config_ami_finish(&c->ami);
	config_mqtt_finish(&c->mqtt);
	free(c->ncid_listen);
	free(c->ncid_gateways);
	free(c->ncid_editors);
	free(c->ncid_department);
	for (int i = 0; i < c->n_ncid_lines; i++) {
		free(c->ncid_lines[i].number);
		free(c->ncid_lines[i].department);
	}
	config_init(c);
}

int config_set_string(char **field, const char *value) {
	char *copy = NULL;
	if (value != NULL && (copy = strdup(value)) == NULL) {
		return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

char *config_expand_home(const char *path) {
	const char *home = getenv("HOME");
	if (strncmp(path, "~/", 2) != 0 || home == NULL) {
		return strdup(path);
	}
	char *out = NULL;
	if (asprintf(&out, "%s/%s", home, path + 2) < 0) {
		return NULL;
	}
	return out;
}

static char *trim(char *s) {
	while (isspace((unsigned char)*s)) {
		s++;
	}
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1])) {
		*--end = '\0';
	}
	return s;
}

/* Parses an integer in [min, max]; false for anything else. */
static bool parse_int(const char *s, int min, int max, int *out) {
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		return false;
	}
	*out = (int)v;
	return true;
}

static bool parse_bool(const char *s, bool *out) {
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1") ||
	    !strcasecmp(s, "on")) {
		*out = true;
		return true;
	}
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0") ||
	    !strcasecmp(s, "off")) {
		*out = false;
		return true;
	}
	return false;
}

static bool valid_time(const char *s) {
	int h, m;
	char tail;
	return sscanf(s, "%2d:%2d%c", &h, &m, &tail) == 2 && h >= 0 && h < 24 && m >= 0 && m < 60 &&
	       strlen(s) == 5;
}

int config_parse_listen(const char *s, char host[64], int *port, const char **why) {
	const char *colon = strrchr(s, ':');
	if (colon == NULL || colon == s) {
		*why = "listen wants ADDRESS:PORT, such as 127.0.0.1:8733 or [::]:8733";
		return -EINVAL;
	}
	const char *h = s;
	size_t len = (size_t)(colon - s);
	if (s[0] == '[') {
		if (len < 3 || colon[-1] != ']') {
			*why = "an IPv6 address goes in brackets: [::1]:8733";
			return -EINVAL;
		}
		h = s + 1;
		len -= 2;
	} else if (memchr(s, ':', len) != NULL) {
		*why = "an IPv6 address goes in brackets: [::1]:8733";
		return -EINVAL;
	}
	if (len >= 64) {
		*why = "the address is too long";
		return -EINVAL;
	}
	int n;
	if (!parse_int(colon + 1, 0, 65535, &n)) {
		*why = "the port must be a number from 0 (any free port) to 65535";
		return -EINVAL;
	}
	memcpy(host, h, len);
	host[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)host[i]) && !strchr(".:-*%", host[i])) {
			*why = "the address must be an IP address, localhost or *";
			return -EINVAL;
		}
	}
	*port = n;
	return 0;
}

/* "shop, service" (or "all"): replaces the lines and departments followed. */
static const char *apply_lines(struct config *c, const char *value) {
	for (int i = 0; i < c->n_lines; i++) {
		free(c->lines[i]);
	}
	c->n_lines = 0;
	if (!strcmp(value, "all")) {
		return NULL;
	}
	char *copy = strdup(value);
	char *save = NULL;
	for (char *w = strtok_r(copy, ", ", &save); w != NULL; w = strtok_r(NULL, ", ", &save)) {
		if (c->n_lines >= CONFIG_MAX_LINES) {
			free(copy);
			return "at most 32 lines and departments";
		}
		c->lines[c->n_lines++] = strdup(w);
	}
	free(copy);
	return NULL;
}

bool config_follows(const struct config *c, const char *line, const char *department) {
	if (c->n_lines == 0) {
		return true;
	}
	for (int i = 0; i < c->n_lines; i++) {
		if ((line != NULL && strcmp(c->lines[i], line) == 0) ||
		    (department != NULL && strcmp(c->lines[i], department) == 0)) {
			return true;
		}
	}
	return false;
}

char *config_default_token_file(void) {
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *out = NULL;
	if (xdg != NULL && xdg[0] == '/') {
		return asprintf(&out, "%s/ctid/desk.json", xdg) < 0 ? NULL : out;
	}
	if (home != NULL && home[0] != '\0') {
		return asprintf(&out, "%s/.config/ctid/desk.json", home) < 0 ? NULL : out;
	}
	return NULL;
}

/* ncid-listen = ADDR:PORT (NCID's own port is 3333), or none. */
static const char *apply_ncid_listen(struct config *c, const char *value) {
	if (!strcmp(value, "none")) {
		free(c->ncid_listen);
		c->ncid_listen = NULL;
		return NULL;
	}
	char host[64];
	int port;
	const char *why;
	if (config_parse_listen(value, host, &port, &why) < 0) {
		return "ncid-listen wants ADDRESS:PORT, such as 127.0.0.1:3333 or [::]:3333";
	}
	config_set_string(&c->ncid_listen, value);
	return NULL;
}

/* ncid-department = NAME and ncid-department.LINE = NAME; key is what
 * follows "ncid-department" ("" or ".LINE"). */
static const char *apply_ncid_department(struct config *c, const char *key, const char *value) {
	if (utf8_check_text(value, DB_NAME_MAX, false) < 0) {
		return "ncid-department must be one line of text";
	}
	if (key[0] == '\0') {
		config_set_string(&c->ncid_department, value);
		return NULL;
	}
	const char *line = key + 1;
	size_t n = strlen(line);
	bool ok = key[0] == '.' && n > 0 && n <= CONFIG_NCID_LINE_MAX;
	for (size_t i = 0; ok && i < n; i++) {
		ok = line[i] > ' ' && line[i] < 0x7F && line[i] != '*';
	}
	if (!ok) {
		return "ncid-department.LINE wants a gateway's LINE field, such as "
		       "ncid-department.1122 = sales (no blanks or \"*\", at most 50 bytes)";
	}
	struct config_number *d = config_number_entry(c->ncid_lines, &c->n_ncid_lines, line);
	if (d == NULL) {
		return c->n_ncid_lines >= CONFIG_MAX_NUMBERS
			       ? "at most 16 gateway lines with their own department"
			       : "out of memory";
	}
	return config_set_string(&d->department, value) < 0 ? "out of memory" : NULL;
}

const char *config_ncid_department(const struct config *c, const char *line) {
	if (c == NULL) {
		return NULL;
	}
	for (int i = 0; line != NULL && i < c->n_ncid_lines; i++) {
		if (strcmp(c->ncid_lines[i].number, line) == 0) {
			return c->ncid_lines[i].department;
		}
	}
	return c->ncid_department;
}

/* ncid-gateways, ncid-editors = 127.0.0.1, 192.168.1.0/24, ::1 (or none). */
static const char *apply_addresses(char **field, const char *value, const char *bad_value) {
	if (strcmp(value, "none") != 0) {
		char **parts = g_strsplit_set(value, ", \t", -1);
		bool bad = false;
		for (char **p = parts; *p != NULL && !bad; p++) {
			if ((*p)[0] == '\0') {
				continue;
			}
			GInetAddressMask *m = g_inet_address_mask_new_from_string(*p, NULL);
			bad = m == NULL;
			g_clear_object(&m);
		}
		g_strfreev(parts);
		if (bad) {
			return bad_value;
		}
	}
	config_set_string(field, value);
	return NULL;
}

static const char *apply_listen(struct config *c, const char *value) {
	if (!strcmp(value, "none")) {
		for (int i = 0; i < c->n_listen; i++) {
			free(c->listen[i]);
		}
		c->n_listen = 0;
		c->listen_none = true;
		return NULL;
	}
	char host[64];
	int port;
	const char *why = NULL;
	if (config_parse_listen(value, host, &port, &why) < 0) {
		return why;
	}
	if (c->n_listen >= CONFIG_MAX_LISTEN) {
		return "at most 8 listen addresses";
	}
	c->listen[c->n_listen++] = strdup(value);
	c->listen_none = false;
	return NULL;
}

/* Returns NULL when the key was applied, else what is wrong with it. */
static const char *apply_main(struct config *c, const char *key, const char *value) {
	int n;
	if (!strcmp(key, "database")) {
		char *p = config_expand_home(value);
		free(c->database);
		c->database = p;
	} else if (!strcmp(key, "region")) {
		if (!phone_region_known(value)) {
			return "unknown region (use an ISO 3166 code such as GB, US, UA)";
		}
		config_set_string(&c->region, value);
	} else if (!strcmp(key, "ring-timeout")) {
		if (!parse_int(value, 1, 120, &n)) {
			return "ring-timeout must be a number of seconds from 1 to 120";
		}
		c->ring_timeout = n;
	} else if (!strcmp(key, "min-suffix")) {
		if (!parse_int(value, 4, 15, &n)) {
			return "min-suffix must be a number of digits from 4 to 15";
		}
		c->min_suffix = n;
	} else if (!strcmp(key, "bus")) {
		if (!strcmp(value, "session")) {
			c->bus = CONFIG_BUS_SESSION;
		} else if (!strcmp(value, "system")) {
			c->bus = CONFIG_BUS_SYSTEM;
		} else if (!strcmp(value, "none")) {
			c->bus = CONFIG_BUS_NONE;
		} else {
			return "bus must be session, system or none";
		}
	} else if (!strcmp(key, "notify")) {
		if (!parse_bool(value, &c->notify)) {
			return "notify must be yes or no";
		}
	} else if (!strcmp(key, "device-dir")) {
		config_set_string(&c->device_dir, value);
	} else if (!strcmp(key, "device")) {
		if (c->n_devices >= CONFIG_MAX_DEVICES) {
			return "too many devices";
		}
		c->devices[c->n_devices++] = strdup(value);
	} else if (!strcmp(key, "open-card")) {
		config_set_string(&c->open_card, value);
	} else if (!strcmp(key, "add-note")) {
		config_set_string(&c->add_note, value);
	} else if (!strcmp(key, "reminder-time")) {
		if (!valid_time(value)) {
			return "reminder-time must be HH:MM";
		}
		config_set_string(&c->reminder_time, value);
	} else if (!strcmp(key, "listen")) {
		return apply_listen(c, value);
	} else if (!strcmp(key, "tls-cert")) {
		char *p = config_expand_home(value);
		free(c->tls_cert);
		c->tls_cert = p;
	} else if (!strcmp(key, "tls-key")) {
		char *p = config_expand_home(value);
		free(c->tls_key);
		c->tls_key = p;
	} else if (!strcmp(key, "connect")) {
		if (strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0) {
			return "connect wants the server's address, http://HOST:PORT/ or https://...";
		}
		config_set_string(&c->connect, value);
	} else if (!strcmp(key, "token-file")) {
		char *p = config_expand_home(value);
		free(c->token_file);
		c->token_file = p;
	} else if (!strcmp(key, "lines")) {
		return apply_lines(c, value);
	} else if (!strcmp(key, "fritzbox")) {
		return config_apply_fritzbox_address(c, value);
	} else if (!strncmp(key, "mqtt", 4)) {
		return config_apply_mqtt(c, key, value);
	} else if (!strcmp(key, "ncid-listen")) {
		return apply_ncid_listen(c, value);
	} else if (!strcmp(key, "ncid-gateways")) {
		return apply_addresses(&c->ncid_gateways, value,
				       "ncid-gateways wants addresses or ranges, such as 127.0.0.1, "
				       "192.168.1.0/24, ::1, or none");
	} else if (!strcmp(key, "ncid-editors")) {
		return apply_addresses(&c->ncid_editors, value,
				       "ncid-editors wants addresses or ranges, such as 127.0.0.1, "
				       "192.168.1.0/24, ::1, or none");
	} else if (!strncmp(key, "ncid-department", 15)) {
		return apply_ncid_department(c, key + 15, value);
	} else if (!strcmp(key, "verbose")) {
		if (!parse_int(value, 0, 3, &n)) {
			return "verbose must be 0 to 3";
		}
		c->verbose = n;
	} else {
		return "unknown key";
	}
	return NULL;
}

static const char *apply_modem(struct config_modem *m, const char *key, const char *value) {
	int n;
	if (!strcmp(key, "path")) {
		config_set_string(&m->path, value);
	} else if (!strcmp(key, "line")) {
		config_set_string(&m->line, value);
	} else if (!strcmp(key, "init")) {
		if (strncasecmp(value, "AT", 2) != 0) {
			return "init must be an AT command";
		}
		config_set_string(&m->init, value);
	} else if (!strcmp(key, "country")) {
		if (strlen(value) != 2 || !isxdigit((unsigned char)value[0]) ||
		    !isxdigit((unsigned char)value[1])) {
			return "country must be a T.35 code of two hex digits (B5 for the US)";
		}
		config_set_string(&m->country, value);
	} else if (!strcmp(key, "baud")) {
		if (!parse_int(value, 300, 4000000, &n)) {
			return "baud must be a number such as 115200";
		}
		m->baud = n;
	} else if (!strcmp(key, "flow")) {
		if (strcmp(value, "none") && strcmp(value, "rtscts") && strcmp(value, "xonxoff")) {
			return "flow must be none, rtscts or xonxoff";
		}
		config_set_string(&m->flow, value);
	} else if (!strcmp(key, "department")) {
		if (utf8_check_text(value, DB_NAME_MAX, false) < 0) {
			return "department must be one line of text";
		}
		config_set_string(&m->department, value);
	} else {
		return "unknown key in a [modem] section";
	}
	return NULL;
}

/*
 * The value after "=": trimmed, without an end-of-line comment (a "#" that
 * follows white space; "AT#CID=1" keeps its "#"), and without the double
 * quotes that may enclose it (so a value can hold " #" or begin and end
 * with spaces). Sets *bad for an unclosed quote or text after the closing
 * one.
 */
static char *split_value(char *s, const char **bad) {
	s = trim(s);
	if (s[0] == '"') {
		char *close = strchr(s + 1, '"');
		if (close == NULL) {
			*bad = "a value that begins with \" must end with one";
			return s;
		}
		char *rest = trim(close + 1);
		if (rest[0] != '\0' && rest[0] != '#') {
			*bad = "text after the closing quote (a comment starts with #)";
			return s;
		}
		*close = '\0';
		return s + 1;
	}
	for (char *p = s + 1; *p != '\0'; p++) {
		if (*p == '#' && isspace((unsigned char)p[-1])) {
			*p = '\0';
			break;
		}
	}
	return trim(s);
}

int config_read(struct config *c, FILE *f, const char *path) {
	char buf[CONFIG_LINE_MAX + 2];
	int lineno = 0;
	int errors = 0;
	struct config_modem *modem = NULL;
	bool fritzbox = false, ami = false; /* in the [fritzbox] or [ami] section */
	while (fgets(buf, sizeof(buf), f) != NULL) {
		lineno++;
		size_t len = strlen(buf);
		if (len > CONFIG_LINE_MAX && buf[len - 1] != '\n') {
			log_error("%s:%d: line longer than %d characters", path, lineno,
				  CONFIG_LINE_MAX);
			errors++;
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n') {
			}
			continue;
		}
		char *line = trim(buf);
		if (line[0] == '\0' || line[0] == '#' || line[0] == ';') {
			continue;
		}
		if (line[0] == '[') {
			char *end = strchr(line, ']');
			char name[256];
			if (end != NULL && end[1] != '\0') {
				char *rest = trim(end + 1);
				if (rest[0] == '#') {
					end[1] = '\0'; /* "[modem x]   # a comment" */
				}
			}
			modem = NULL;
			fritzbox = end != NULL && end[1] == '\0' && !strcmp(line, "[fritzbox]");
			ami = end != NULL && end[1] == '\0' && !strcmp(line, "[ami]");
			if (fritzbox || ami) {
				continue;
			}
			if (end == NULL || end[1] != '\0' ||
			    sscanf(line, "[modem %255[^]]]", name) != 1) {
				log_error("%s:%d: expected a section like [modem NAME], [fritzbox] or [ami]",
					  path, lineno);
				errors++;
				modem = NULL;
				continue;
			}
			if (c->n_modems >= CONFIG_MAX_MODEMS) {
				log_error("%s:%d: more than %d modems", path, lineno,
					  CONFIG_MAX_MODEMS);
				errors++;
				modem = NULL;
				continue;
			}
			modem = &c->modems[c->n_modems++];
			memset(modem, 0, sizeof(*modem));
			modem->name = strdup(trim(name));
			continue;
		}
		char *eq = strchr(line, '=');
		if (eq == NULL) {
			log_error("%s:%d: expected key = value", path, lineno);
			errors++;
			continue;
		}
		*eq = '\0';
		char *key = trim(line);
		const char *bad = NULL;
		char *value = split_value(eq + 1, &bad);
		if (bad != NULL) {
			log_error("%s:%d: %s: %s", path, lineno, key, bad);
			errors++;
			continue;
		}
		if (value[0] == '\0') {
			log_error("%s:%d: %s has no value", path, lineno, key);
			errors++;
			continue;
		}
		const char *err;
		if (modem != NULL) {
			err = apply_modem(modem, key, value);
		} else if (fritzbox) {
			err = config_apply_fritzbox(c, key, value);
		} else if (ami) {
			err = config_apply_ami(c, key, value);
		} else {
			err = apply_main(c, key, value);
		}
		if (err != NULL) {
			log_error("%s:%d: %s: %s", path, lineno, key, err);
			errors++;
		}
	}
	return errors > 0 ? -EINVAL : 0;
}

int config_source_add(struct config_source *src, const char *key, const char *value) {
	if (src->n_overrides >= CONFIG_MAX_OVERRIDES) {
		return -E2BIG;
	}
	src->overrides[src->n_overrides++] = (struct config_override){key, value};
	return 0;
}

static int load_file(struct config *c, const struct config_source *src) {
	if (src->no_file) {
		return 0;
	}
	char *path = src->path != NULL ? strdup(src->path) : config_default_path();
	if (path == NULL) {
		return 0; /* no file: the defaults */
	}
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		int err = errno;
		if (err != ENOENT || src->path != NULL) {
			log_error("Could not read %s: %s", path, strerror(err));
		}
		free(path);
		return err == ENOENT && src->path == NULL ? 0 : -err;
	}
	c->path = path;
	int ret = config_read(c, f, path);
	fclose(f);
	return ret;
}

int config_build(struct config *c, const struct config_source *src) {
	config_init(c);
	int ret = load_file(c, src);
	if (ret < 0 && ret != -EINVAL) {
		return ret;
	}
	/* The options are checked even when the file has errors: a wrong option
	 * is a wrong command line, whatever the file says. */
	bool devices_cleared = false, listen_cleared = false;
	int errors = 0;
	for (int i = 0; i < src->n_overrides; i++) {
		const struct config_override *o = &src->overrides[i];
		if (!strcmp(o->key, "device") && !devices_cleared) {
			/* devices on the command line replace those of the file */
			for (int k = 0; k < c->n_devices; k++) {
				free(c->devices[k]);
			}
			c->n_devices = 0;
			devices_cleared = true;
		}
		if (!strcmp(o->key, "listen") && !listen_cleared) {
			/* so do addresses to listen on */
			for (int k = 0; k < c->n_listen; k++) {
				free(c->listen[k]);
			}
			c->n_listen = 0;
			listen_cleared = true;
		}
		const char *err = o->value[0] == '\0' ? "needs a value"
						      : apply_main(c, o->key, o->value);
		if (err != NULL) {
			log_error("--%s %s: %s", o->key, o->value, err);
			errors++;
		}
	}
	if (errors > 0) {
		return -EBADR;
	}
	if (config_check_sources(c, c->path != NULL ? c->path : "the configuration") < 0) {
		return -EINVAL;
	}
	return ret;
}

void config_foreach(const struct config *c,
		    void (*fn)(const char *key, const char *value, void *data), void *data) {
	static const char *const buses[] = {"session", "system", "none"};
	char num[16];
	fn("database", c->database != NULL ? c->database : "", data);
	fn("region", c->region != NULL ? c->region : "", data);
	snprintf(num, sizeof(num), "%d", c->ring_timeout);
	fn("ring-timeout", num, data);
	snprintf(num, sizeof(num), "%d", c->min_suffix);
	fn("min-suffix", c->min_suffix > 0 ? num : "", data);
	fn("bus", buses[c->bus], data);
	fn("notify", c->notify ? "yes" : "no", data);
	fn("device-dir", c->device_dir != NULL ? c->device_dir : CONFIG_DEFAULT_DEVICE_DIR, data);
	for (int i = 0; i < c->n_devices; i++) {
		fn("device", c->devices[i], data);
	}
	fn("open-card", c->open_card != NULL ? c->open_card : "", data);
	fn("add-note", c->add_note != NULL ? c->add_note : "", data);
	fn("reminder-time", c->reminder_time != NULL ? c->reminder_time : "", data);
	if (c->listen_none) {
		fn("listen", "none", data);
	} else if (c->n_listen == 0) {
		fn("listen", CONFIG_DEFAULT_LISTEN, data);
	}
	for (int i = 0; i < c->n_listen; i++) {
		fn("listen", c->listen[i], data);
	}
	fn("tls-cert", c->tls_cert != NULL ? c->tls_cert : "", data);
	fn("tls-key", c->tls_key != NULL ? c->tls_key : "", data);
	fn("connect", c->connect != NULL ? c->connect : "", data);
	fn("token-file", c->token_file != NULL ? c->token_file : "", data);
	char lines[CONFIG_LINE_MAX] = "";
	for (int i = 0; i < c->n_lines; i++) {
		size_t n = strlen(lines);
		snprintf(lines + n, sizeof(lines) - n, "%s%s", i ? ", " : "", c->lines[i]);
	}
	fn("lines", lines, data);
	snprintf(num, sizeof(num), "%d", c->verbose);
	fn("verbose", num, data);
	fn("ncid-listen", c->ncid_listen != NULL ? c->ncid_listen : "", data);
	fn("ncid-gateways",
	   c->ncid_gateways != NULL ? c->ncid_gateways : CONFIG_DEFAULT_NCID_GATEWAYS, data);
	fn("ncid-editors", c->ncid_editors != NULL ? c->ncid_editors : CONFIG_DEFAULT_NCID_EDITORS,
	   data);
	fn("ncid-department", c->ncid_department != NULL ? c->ncid_department : "", data);
	for (int i = 0; i < c->n_ncid_lines; i++) {
		char key[80];
		snprintf(key, sizeof(key), "ncid-department.%s", c->ncid_lines[i].number);
		fn(key, c->ncid_lines[i].department, data);
	}
	config_mqtt_foreach(c, fn, data);
}

const struct config_modem *config_find_modem(const struct config *c, const char *path) {
	if (c == NULL) {
		return NULL;
	}
	const char *base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	for (int i = 0; i < c->n_modems; i++) {
		const struct config_modem *m = &c->modems[i];
		const char *p = m->path != NULL ? m->path : m->name;
		if (strcmp(p, path) == 0 || strcmp(p, base) == 0) {
			return m;
		}
	}
	return NULL;
}

char *config_default_path(void) {
	char *path = NULL;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&path, "%s/ctid/ctid.conf", xdg) < 0) {
			path = NULL;
		}
	} else if (home != NULL) {
		if (asprintf(&path, "%s/.config/ctid/ctid.conf", home) < 0) {
			path = NULL;
		}
	}
	if (path != NULL && access(path, F_OK) == 0) {
		return path;
	}
	free(path);
	if (access("/etc/ctid/ctid.conf", F_OK) == 0) {
		return strdup("/etc/ctid/ctid.conf");
	}
	return NULL;
}

void config_region(const char *explicit_region, char out[3]) {
	out[0] = '\0';
	if (explicit_region != NULL && explicit_region[0] != '\0') {
		snprintf(out, 3, "%c%c", toupper((unsigned char)explicit_region[0]),
			 toupper((unsigned char)explicit_region[1]));
		return;
	}
	static const char *const vars[] = {"LC_ALL", "LC_TELEPHONE", "LANG"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v != NULL && v[0] != '\0') {
			if (phone_region_from_locale(v, out)) {
				return;
			}
			if (i == 0) {
				/* LC_ALL overrides the rest even when it names no region */
				return;
			}
		}
	}
}
