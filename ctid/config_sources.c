/* [fritzbox] and [ami]: lines over the network; mqtt: calls out to a broker. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_sources.h"
#include "db.h"
#include "log.h"
#include "utf8.h"

#define HOST_MAX 253

void config_box_finish(struct config_box *f) {
	free(f->host);
	free(f->name);
	free(f->department);
	for (int i = 0; i < f->n_numbers; i++) {
		free(f->numbers[i].number);
		free(f->numbers[i].department);
	}
	memset(f, 0, sizeof(*f));
}

/* A host name or an address: letters, digits and ".-_:" (no spaces, no
 * URL). */
static bool valid_host(const char *s) {
	size_t n = strlen(s);
	if (n == 0 || n > HOST_MAX) {
		return false;
	}
	for (const char *p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr(".-_:", *p) == NULL) {
			return false;
		}
	}
	return true;
}

/* As config_set_string(), which this file may not use (config.c uses it). */
static int set_string(char **field, const char *value) {
	char *copy = strdup(value);
	if (copy == NULL) {
		return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* As config_expand_home(), for the same reason. */
static char *expand_home(const char *path) {
	const char *home = getenv("HOME");
	if (strncmp(path, "~/", 2) != 0 || home == NULL) {
		return strdup(path);
	}
	char *out = malloc(strlen(home) + strlen(path));
	if (out != NULL) {
		sprintf(out, "%s/%s", home, path + 2);
	}
	return out;
}

static bool parse_port(const char *s, int *out) {
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 65535) {
		return false;
	}
	*out = (int)v;
	return true;
}

static bool valid_number(const char *s) {
	if (s[0] == '\0' || strlen(s) >= 40) {
		return false;
	}
	for (const char *p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) && !(*p == '+' && p == s)) {
			return false;
		}
	}
	return true;
}

static const char *set_host(struct config_box *f, const char *host, size_t len) {
	char *copy = strndup(host, len);
	if (copy == NULL) {
		return "out of memory";
	}
	if (!valid_host(copy)) {
		free(copy);
		return "host must be a name or an address, such as fritz.box or 192.168.178.1";
	}
	free(f->host);
	f->host = copy;
	return NULL;
}

const char *config_apply_fritzbox_address(struct config *c, const char *value) {
	struct config_box *f = &c->fritzbox;
	const char *port = NULL;
	size_t len = strlen(value);
	const char *host = value;
	if (value[0] == '[') { /* [IPv6]:PORT */
		const char *close = strchr(value, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
			return "an IPv6 address goes in brackets: [fd00::1]:1012";
		}
		host = value + 1;
		len = (size_t)(close - host);
		port = close[1] == ':' ? close + 2 : NULL;
	} else {
		const char *colon = strchr(value, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			len = (size_t)(colon - value);
			port = colon + 1;
		}
	}
	int p = 0;
	if (port != NULL && !parse_port(port, &p)) {
		return "the port must be a number from 1 to 65535 (the call monitor's is 1012)";
	}
	const char *err = set_host(f, host, len);
	if (err == NULL) {
		f->port = p;
	}
	return err;
}

struct config_number *config_number_entry(struct config_number *list, int *n, const char *key) {
	for (int i = 0; i < *n; i++) {
		if (strcmp(list[i].number, key) == 0) {
			return &list[i];
		}
	}
	if (*n >= CONFIG_MAX_NUMBERS) {
		return NULL;
	}
	struct config_number *e = &list[*n];
	*e = (struct config_number){0};
	if (set_string(&e->number, key) < 0) {
		return NULL;
	}
	(*n)++;
	return e;
}

static const char *set_number_department(struct config_box *f, const char *number, const char *value) {
	if (!valid_number(number)) {
		return "department.NUMBER wants one of the box's numbers, digits only "
		       "(department.3012345 = shop)";
	}
	struct config_number *n = config_number_entry(f->numbers, &f->n_numbers, number);
	if (n == NULL) {
		return f->n_numbers >= CONFIG_MAX_NUMBERS
			       ? "at most 16 numbers with their own department"
			       : "out of memory";
	}
	return set_string(&n->department, value) < 0 ? "out of memory" : NULL;
}

/* The keys both sections have. */
static const char *apply_box(struct config_box *f, const char *key, const char *value,
			     const char *section, const char *keys) {
	bool department = !strcmp(key, "department") || !strncmp(key, "department.", 11);
	if (department && utf8_check_text(value, DB_NAME_MAX, false) < 0) {
		return "department must be one line of text";
	}
	if (!strcmp(key, "host")) {
		return set_host(f, value, strlen(value));
	} else if (!strcmp(key, "port")) {
		if (!parse_port(value, &f->port)) {
			return "port must be a number from 1 to 65535";
		}
	} else if (!strcmp(key, "name")) {
		if (utf8_check_text(value, DB_NAME_MAX, false) < 0) {
			return "name must be one line of text";
		}
		set_string(&f->name, value);
	} else if (!strcmp(key, "department")) {
		set_string(&f->department, value);
	} else if (department) {
		return set_number_department(f, key + 11, value);
	} else {
		static char why[160];
		snprintf(why, sizeof(why), "unknown key in the %s section (%s)", section, keys);
		return why;
	}
	return NULL;
}

static bool valid_word(const char *s);

const char *config_apply_fritzbox(struct config *c, const char *key, const char *value) {
	struct config_tr064 *d = &c->fritzbox_dial;
	if (!strcmp(key, "dial-user")) {
		if (!valid_word(value)) {
			return "dial-user must be a user name of the box (letters, digits, -_.@+)";
		}
		set_string(&d->user, value);
		return NULL;
	} else if (!strcmp(key, "dial-password-file")) {
		char *path = expand_home(value);
		if (path == NULL) {
			return "out of memory";
		}
		free(d->password_file);
		d->password_file = path;
		return NULL;
	} else if (!strcmp(key, "dial-port")) {
		return parse_port(value, &d->port) ? NULL
						   : "dial-port must be a number from 1 to 65535 "
						     "(the box's TR-064 port is 49000)";
	}
	return apply_box(&c->fritzbox, key, value, "[fritzbox]",
			 "host, port, name, department, department.NUMBER, dial-user, "
			 "dial-password-file, dial-port");
}

static bool valid_word(const char *s) {
	for (const char *p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("-_.@+", *p) == NULL) {
			return false;
		}
	}
	return s[0] != '\0' && strlen(s) < 80;
}

const char *config_apply_ami(struct config *c, const char *key, const char *value) {
	struct config_ami *a = &c->ami;
	if (!strcmp(key, "user")) {
		if (!valid_word(value)) {
			return "user must be the name of a [user] of manager.conf";
		}
		return set_string(&a->user, value) < 0 ? "out of memory" : NULL;
	} else if (!strcmp(key, "secret-file")) {
		char *path = expand_home(value);
		if (path == NULL) {
			return "out of memory";
		}
		free(a->secret_file);
		a->secret_file = path;
		return NULL;
	} else if (!strcmp(key, "tls")) {
		if (!strcmp(value, "yes") || !strcmp(value, "no")) {
			a->tls = !strcmp(value, "yes");
			return NULL;
		}
		return "tls must be yes or no";
	} else if (!strcmp(key, "tls-ca")) {
		char *path = expand_home(value);
		if (path == NULL) {
			return "out of memory";
		}
		free(a->tls_ca);
		a->tls_ca = path;
		return NULL;
	} else if (!strcmp(key, "dial-channel") || !strcmp(key, "dial-context")) {
		for (const char *p = value; *p != '\0'; p++) {
			if (!isalnum((unsigned char)*p) && strchr("-_./@", *p) == NULL) {
				return "dial-channel and dial-context must be a channel (PJSIP/21) "
				       "and a dialplan context (from-internal)";
			}
		}
		char **field = !strcmp(key, "dial-channel") ? &a->dial_channel : &a->dial_context;
		return set_string(field, value) < 0 ? "out of memory" : NULL;
	} else if (!strcmp(key, "trunks")) {
		for (const char *p = value; *p != '\0'; p++) {
			if (!isalnum((unsigned char)*p) && strchr("-_./@:, ", *p) == NULL) {
				return "trunks must be the starts of the trunks' channel names, "
				       "comma-separated (PJSIP/provider)";
			}
		}
		return set_string(&a->trunks, value) < 0 ? "out of memory" : NULL;
	} else if (!strcmp(key, "context")) {
		for (const char *p = value; *p != '\0'; p++) {
			if (!isalnum((unsigned char)*p) && strchr("-_., ", *p) == NULL) {
				return "context must be dialplan contexts, comma-separated "
				       "(from-pstn,from-trunk)";
			}
		}
		return set_string(&a->context, value) < 0 ? "out of memory" : NULL;
	}
	return apply_box(&a->box, key, value, "[ami]",
			 "host, port, user, secret-file, context, trunks, dial-channel, "
			 "dial-context, tls, tls-ca, name, "
			 "department, "
			 "department.NUMBER");
}

void config_ami_finish(struct config_ami *a) {
	config_box_finish(&a->box);
	free(a->user);
	free(a->secret_file);
	free(a->context);
	free(a->trunks);
	free(a->dial_channel);
	free(a->dial_context);
	free(a->tls_ca);
	memset(a, 0, sizeof(*a));
}

static bool box_used(const struct config_box *b) {
	return b->host != NULL || b->port || b->name || b->department || b->n_numbers;
}

/* 1 (logged) for a file that cannot be read or that others than its owner
 * can read, else 0. */
static int check_secret_file(const char *where, const char *what, const char *path) {
	struct stat st;
	if (stat(path, &st) < 0) {
		log_error("%s: %s %s: %s", where, what, path, strerror(errno));
		return 1;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		log_error("%s: %s %s can be read by others than its owner (mode %03o): chmod 600 "
			  "it, as it holds a password",
			  where, what, path, (unsigned)(st.st_mode & 0777));
		return 1;
	}
	return 0;
}

void config_mqtt_finish(struct config_mqtt *q) {
	free(q->host);
	free(q->user);
	free(q->ca);
	free(q->password_file);
	free(q->prefix);
	free(q->discovery);
	memset(q, 0, sizeof(*q));
}

/* mqtt://[user@]host[:port] or mqtts://... */
static const char *apply_mqtt_url(struct config_mqtt *q, const char *value) {
	static const char usage[] = "mqtt wants mqtt://[USER@]HOST[:PORT] or mqtts://...";
	bool tls = strncmp(value, "mqtts://", 8) == 0;
	if (!tls && strncmp(value, "mqtt://", 7) != 0) {
		return usage;
	}
	const char *rest = value + (tls ? 8 : 7);
	const char *at = strchr(rest, '@');
	char *user = NULL;
	if (at != NULL) {
		if (at == rest) {
			return usage;
		}
		user = strndup(rest, (size_t)(at - rest));
		rest = at + 1;
	}
	char host[256];
	const char *colon = strrchr(rest, ':');
	size_t len = colon != NULL ? (size_t)(colon - rest) : strlen(rest);
	int port = 0;
	if (len == 0 || len >= sizeof(host) || strchr(rest, '/') != NULL ||
	    (colon != NULL && !parse_port(colon + 1, &port))) {
		free(user);
		return usage;
	}
	memcpy(host, rest, len);
	host[len] = '\0';
	free(q->user);
	q->user = user;
	set_string(&q->host, host);
	q->port = port;
	q->tls = tls;
	return NULL;
}

/* MQTT topic levels from us: no wildcards, no empty level at either end. */
static bool valid_topic_prefix(const char *s) {
	return s[0] != '\0' && strpbrk(s, "#+") == NULL && s[0] != '/' && s[strlen(s) - 1] != '/' &&
	       strlen(s) < 128;
}

const char *config_apply_mqtt(struct config *c, const char *key, const char *value) {
	struct config_mqtt *q = &c->mqtt;
	if (!strcmp(key, "mqtt")) {
		return apply_mqtt_url(q, value);
	} else if (!strcmp(key, "mqtt-ca")) {
		char *p = expand_home(value);
		free(q->ca);
		q->ca = p;
	} else if (!strcmp(key, "mqtt-password-file")) {
		char *p = expand_home(value);
		free(q->password_file);
		q->password_file = p;
	} else if (!strcmp(key, "mqtt-prefix")) {
		if (!valid_topic_prefix(value)) {
			return "mqtt-prefix must be topic levels without + or #, such as ctid or home/ctid";
		}
		set_string(&q->prefix, value);
	} else if (!strcmp(key, "mqtt-discovery")) {
		q->no_discovery = !strcmp(value, "none");
		if (q->no_discovery) {
			free(q->discovery);
			q->discovery = NULL;
		} else if (valid_topic_prefix(value)) {
			set_string(&q->discovery, value);
		} else {
			return "mqtt-discovery must be Home Assistant's discovery prefix "
			       "(homeassistant) or none";
		}
	} else if (!strcmp(key, "mqtt-names")) {
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			return "mqtt-names must be yes or no";
		}
		q->no_names = strcmp(value, "no") == 0;
	} else {
		return "unknown key";
	}
	return NULL;
}

void config_mqtt_foreach(const struct config *c,
			 void (*fn)(const char *key, const char *value, void *data), void *data) {
	const struct config_mqtt *q = &c->mqtt;
	char url[512] = "";
	if (q->host != NULL) {
		bool v6 = strchr(q->host, ':') != NULL;
		int n = snprintf(url, sizeof(url), "%s://%s%s%s%s%s", q->tls ? "mqtts" : "mqtt",
				 q->user != NULL ? q->user : "", q->user != NULL ? "@" : "",
				 v6 ? "[" : "", q->host, v6 ? "]" : "");
		if (q->port > 0 && n > 0 && (size_t)n < sizeof(url)) {
			snprintf(url + n, sizeof(url) - (size_t)n, ":%d", q->port);
		}
	}
	fn("mqtt", url, data);
	fn("mqtt-ca", q->ca != NULL ? q->ca : "", data);
	fn("mqtt-password-file", q->password_file != NULL ? q->password_file : "", data);
	fn("mqtt-prefix", q->prefix != NULL ? q->prefix : CONFIG_DEFAULT_MQTT_PREFIX, data);
	fn("mqtt-discovery",
	   q->no_discovery	  ? "none"
	   : q->discovery != NULL ? q->discovery
				  : "homeassistant",
	   data);
	fn("mqtt-names", q->no_names ? "no" : "yes", data);
}

int config_check_sources(const struct config *c, const char *where) {
	int errors = 0;
	if (c->fritzbox.host == NULL && box_used(&c->fritzbox)) {
		log_error("%s: the [fritzbox] section needs host = (the box's name or address, "
			  "such as fritz.box)",
			  where);
		errors++;
	}
	const struct config_tr064 *d = &c->fritzbox_dial;
	if ((d->user == NULL) != (d->password_file == NULL) || (d->port && d->user == NULL)) {
		log_error("%s: calling back through the FRITZ!Box needs both dial-user = and "
			  "dial-password-file = in [fritzbox]",
			  where);
		errors++;
	} else if (d->user != NULL && c->fritzbox.host == NULL) {
		log_error("%s: [fritzbox] dial-user needs host =", where);
		errors++;
	} else if (d->password_file != NULL) {
		errors += check_secret_file(where, "[fritzbox] dial-password-file", d->password_file);
	}
	const struct config_mqtt *q = &c->mqtt;
	if (q->password_file != NULL && q->user == NULL) {
		log_error("%s: mqtt-password-file needs a user in mqtt = (mqtt://USER@HOST)", where);
		errors++;
	} else if (q->password_file != NULL) {
		errors += check_secret_file(where, "mqtt-password-file", q->password_file);
	}
	if (q->ca != NULL && !q->tls) {
		log_error("%s: mqtt-ca is for mqtts:// brokers", where);
		errors++;
	} else if (q->ca != NULL && access(q->ca, R_OK) < 0) {
		log_error("%s: mqtt-ca %s: %s", where, q->ca, strerror(errno));
		errors++;
	}
	const struct config_ami *a = &c->ami;
	if (!box_used(&a->box) && a->user == NULL && a->secret_file == NULL && a->context == NULL &&
	    a->trunks == NULL && a->dial_channel == NULL && a->dial_context == NULL && !a->tls &&
	    a->tls_ca == NULL) {
		return errors > 0 ? -EINVAL : 0;
	}
	if (a->box.host == NULL || a->user == NULL || a->secret_file == NULL) {
		log_error("%s: the [ami] section needs host =, user = and secret-file =", where);
		return -EINVAL;
	}
	errors += check_secret_file(where, "[ami] secret-file", a->secret_file);
	if (a->tls_ca != NULL && !a->tls) {
		log_error("%s: [ami] tls-ca is for tls = yes", where);
		errors++;
	} else if (a->tls_ca != NULL && access(a->tls_ca, R_OK) < 0) {
		log_error("%s: [ami] tls-ca %s: %s", where, a->tls_ca, strerror(errno));
		errors++;
	}
	return errors > 0 ? -EINVAL : 0;
}

const char *config_box_department(const struct config_box *f, const char *called) {
	for (int i = 0; called != NULL && i < f->n_numbers; i++) {
		if (strcmp(f->numbers[i].number, called) == 0) {
			return f->numbers[i].department;
		}
	}
	return f->department;
}
