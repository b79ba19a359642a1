/* The configuration: the file's syntax (comments, quotes, sections) and the
 * order in which defaults, file and command line are laid over each other. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "tap.h"

static char tmpdir[] = "/tmp/ctid-test-config-XXXXXX";

/* Writes text to a file in tmpdir; returns its path (static). */
static const char *file_with(const char *text) {
	static char path[128];
	snprintf(path, sizeof(path), "%s/ctid.conf", tmpdir);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static int build(struct config *c, const char *text, int n, const char *const pairs[]) {
	struct config_source src = {.path = text != NULL ? file_with(text) : NULL,
				    .no_file = text == NULL};
	for (int i = 0; i < n; i++) {
		config_source_add(&src, pairs[2 * i], pairs[2 * i + 1]);
	}
	return config_build(c, &src);
}

static void test_syntax(void) {
	struct config c;
	int ret = build(&c,
			"region = GB   # the shop's\n"
			"open-card = \"notes #1  \"  # quoted\n"
			"add-note = x#y\n"
			"reminder-time = 07:30\t# tab before the comment\n"
			"; an old-style comment\n"
			"[modem usr5637-ttyACM0]   # a section with a comment\n"
			"init = AT#CID=1\n"
			"line = shop # comment\n",
			0, NULL);
	is_int(ret, 0, "a file with end-of-line comments is accepted");
	is_str(c.region, "GB", "a comment after a value is not part of it");
	is_str(c.open_card, "notes #1  ", "a quoted value keeps # and its spaces");
	is_str(c.add_note, "x#y", "a # not after a space belongs to the value");
	is_str(c.reminder_time, "07:30", "a tab before # starts a comment too");
	is_int(c.n_modems, 1, "a section line may end with a comment");
	is_str(c.n_modems == 1 ? c.modems[0].init : "", "AT#CID=1", "AT#CID=1 keeps its #");
	is_str(c.n_modems == 1 ? c.modems[0].line : "", "shop", "in sections too");
	config_finish(&c);

	is_int(build(&c, "open-card = \"unclosed\n", 0, NULL), -EINVAL,
	       "an unclosed quote is an error");
	config_finish(&c);
	is_int(build(&c, "open-card = \"a\" b\n", 0, NULL), -EINVAL,
	       "text after the closing quote is an error");
	config_finish(&c);
	is_int(build(&c, "region = # nothing\n", 0, NULL), -EINVAL,
	       "a value that is only a comment is no value");
	config_finish(&c);

	/* A line of CONFIG_LINE_MAX bytes is read; one more is an error, not cut. */
	char line[CONFIG_LINE_MAX + 8];
	size_t head = strlen("open-card = ");
	memcpy(line, "open-card = ", head);
	memset(line + head, 'x', CONFIG_LINE_MAX - head);
	memcpy(line + CONFIG_LINE_MAX - 2, "\xc3\xa9", 2);
	strcpy(line + CONFIG_LINE_MAX, "\n");
	is_int(build(&c, line, 0, NULL), 0, "a line of CONFIG_LINE_MAX bytes is read");
	is_int(c.open_card != NULL ? (long)strlen(c.open_card) : -1, CONFIG_LINE_MAX - (long)head,
	       "its value whole");
	config_finish(&c);
	memset(line + head, 'x', CONFIG_LINE_MAX + 1 - head);
	strcpy(line + CONFIG_LINE_MAX + 1, "\n");
	is_int(build(&c, line, 0, NULL), -EINVAL, "one byte more is an error");
	config_finish(&c);
}

static void test_layers(void) {
	struct config c;
	const char *const pairs[] = {"region",	  "US",		  "device", "/dev/cmd1", "device",
				     "/dev/cmd2", "ring-timeout", "3",	    "notify",	 "no"};
	int ret = build(&c,
			"region = GB\ndevice = /dev/file\nring-timeout = 30\nbus = none\n"
			"reminder-time = 08:00\n",
			5, pairs);
	is_int(ret, 0, "file and command line together");
	is_str(c.region, "US", "the command line's region wins");
	is_int(c.ring_timeout, 3, "and its ring timeout");
	ok(!c.notify, "--no-notify is notify = no");
	is_int(c.n_devices, 2, "devices on the command line replace the file's");
	is_str(c.n_devices > 0 ? c.devices[0] : "", "/dev/cmd1", "in their order");
	is_int(c.bus, CONFIG_BUS_NONE, "what the command line does not say comes from the file");
	is_str(c.reminder_time, "08:00", "every key of it");
	config_finish(&c);

	ret = build(&c, NULL, 0, NULL);
	is_int(ret, 0, "no file and no options: the defaults");
	is_int(c.ring_timeout, CONFIG_DEFAULT_RING_TIMEOUT, "the default ring timeout");
	ok(c.notify && c.bus == CONFIG_BUS_SESSION, "notifications on, the session bus");
	config_finish(&c);

	const char *const bad[] = {"region", "Atlantis"};
	is_int(build(&c, "region = GB\n", 1, bad), -EBADR,
	       "a bad option is refused by the file's own check");
	config_finish(&c);
	const char *const good[] = {"region", "US"};
	is_int(build(&c, "region = Atlantis\n", 1, good), -EINVAL,
	       "a bad file is an error even when the option would override it");
	config_finish(&c);
	struct config_source missing = {.path = "/nonexistent/ctid.conf"};
	is_int(config_build(&c, &missing), -ENOENT, "an explicit file that does not exist");
	config_finish(&c);
}

/* ncid-department and ncid-department.LINE: NCID gateways' lines. */
static void test_ncid_department(void) {
	struct config c;
	int ret = build(&c,
			"ncid-department = front desk\n"
			"ncid-department.1122 = sales\n"
			"ncid-department.WC01 = service # wc2ncid's first line\n"
			"ncid-department.1122 = shop\n",
			0, NULL);
	is_int(ret, 0, "ncid-department and two gateway lines' own");
	is_str(config_ncid_department(&c, "1122"), "shop", "a line's department, the last said");
	is_str(config_ncid_department(&c, "WC01"), "service", "another line's");
	is_str(config_ncid_department(&c, "VOIP"), "front desk", "other lines: ncid-department");
	is_int(c.n_ncid_lines, 2, "one entry a line");
	config_finish(&c);
	ok(config_ncid_department(&c, "1122") == NULL, "config_finish() forgets them");
	is_int(build(&c, NULL, 0, NULL), 0, "no file");
	ok(config_ncid_department(&c, "1122") == NULL, "no department by default");
	config_finish(&c);
	static const char *const bad_files[] = {
		"ncid-department.=sales\n",
		"ncid-department.a*b = sales\n",
		"ncid-department.123456789012345678901234567890123456789012345678901 = sales\n",
		"ncid-departments = sales\n",
	};
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		is_int(build(&c, bad_files[i], 0, NULL), -EINVAL, "refused: %s", bad_files[i]);
		config_finish(&c);
	}
	char many[64 * (CONFIG_MAX_NUMBERS + 1)] = "";
	for (int i = 0; i <= CONFIG_MAX_NUMBERS; i++) {
		size_t n = strlen(many);
		snprintf(many + n, sizeof(many) - n, "ncid-department.L%d = d\n", i);
	}
	is_int(build(&c, many, 0, NULL), -EINVAL, "at most %d gateway lines", CONFIG_MAX_NUMBERS);
	config_finish(&c);
}

/* [fritzbox] and --fritzbox HOST[:PORT]. */
static void test_fritzbox(void) {
	struct config c;
	int ret = build(&c,
			"region = GB\n"
			"[fritzbox]\n"
			"host = fritz.box\n"
			"name = office\n"
			"department = front desk\n"
			"department.3012345 = shop\n"
			"department.+4930999 = service # a comment\n"
			"[modem usr]\n"
			"line = back\n",
			0, NULL);
	is_int(ret, 0, "a [fritzbox] section next to a modem's");
	is_str(c.fritzbox.host, "fritz.box", "its host");
	is_int(c.fritzbox.port, 0, "the monitor's port unless given");
	is_str(c.fritzbox.name, "office", "the line's name");
	is_int(c.n_modems, 1, "the modem section after it is its own");
	is_str(c.n_modems == 1 ? c.modems[0].line : "", "back", "with its keys");
	is_str(config_box_department(&c.fritzbox, "3012345"), "shop", "a number's department");
	is_str(config_box_department(&c.fritzbox, "+4930999"), "service", "another's");
	is_str(config_box_department(&c.fritzbox, "555"), "front desk",
	       "other numbers: the section's department");
	is_str(config_box_department(&c.fritzbox, NULL), "front desk", "and calls without one");
	config_finish(&c);
	ok(c.fritzbox.host == NULL, "config_finish() forgets the box");

	const char *const opt[] = {"fritzbox", "192.168.178.1:1012"};
	ret = build(&c, "[fritzbox]\nhost = fritz.box\nport = 2000\nname = office\n", 1, opt);
	is_int(ret, 0, "--fritzbox over the file's section");
	is_str(c.fritzbox.host, "192.168.178.1", "the option's host wins");
	is_int(c.fritzbox.port, 1012, "and its port");
	is_str(c.fritzbox.name, "office", "the file's name stays");
	config_finish(&c);
	const char *const v6[] = {"fritzbox", "[fd00::1]:1012"};
	is_int(build(&c, NULL, 1, v6), 0, "--fritzbox [IPv6]:PORT");
	is_str(c.fritzbox.host, "fd00::1", "the address without brackets");
	config_finish(&c);
	const char *const bare[] = {"fritzbox", "fritz.box"};
	is_int(build(&c, NULL, 1, bare), 0, "--fritzbox HOST");
	is_int(c.fritzbox.port, 0, "the monitor's port");
	config_finish(&c);

	static const char *const bad_files[] = {
		"[fritzbox]\nhost = http://fritz.box/\n",
		"[fritzbox]\nhost = fritz.box\nport = 0\n",
		"[fritzbox]\nhost = fritz.box\nport = 1012x\n",
		"[fritzbox]\nhost = fritz.box\ndepartment.30-12 = shop\n",
		"[fritzbox]\nhost = fritz.box\nline = shop\n",
		"[fritzbox]\nname = office\n",
		"[fritzbox] x\nhost = fritz.box\n",
	};
	static const char *const why[] = {
		"a URL is not a host",		 "port 0",	   "a port with letters",
		"a number with a dash",		 "an unknown key", "a section without a host",
		"text after the section's name",
	};
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		is_int(build(&c, bad_files[i], 0, NULL), -EINVAL, "refused: %s", why[i]);
		config_finish(&c);
	}
	const char *const bad_opt[] = {"fritzbox", "fritz.box:99999"};
	is_int(build(&c, NULL, 1, bad_opt), -EBADR, "--fritzbox with a port out of range");
	config_finish(&c);
	const char *const bad_v6[] = {"fritzbox", "[fd00::1"};
	is_int(build(&c, NULL, 1, bad_v6), -EBADR, "--fritzbox with an unclosed bracket");
	config_finish(&c);
}

/* mqtt = URL and its mqtt-* keys. */
static void test_mqtt(void) {
	struct config c;
	char secret[160], text[512];
	snprintf(secret, sizeof(secret), "%s/mqtt.secret", tmpdir);
	FILE *f = fopen(secret, "w");
	fputs("s3cret\n", f);
	fclose(f);
	chmod(secret, 0600);
	snprintf(text, sizeof(text),
		 "mqtt = mqtt://ha@broker.lan:1884\nmqtt-password-file = %s\n"
		 "mqtt-prefix = home/ctid\nmqtt-discovery = none\nmqtt-names = no\n",
		 secret);
	is_int(build(&c, text, 0, NULL), 0, "mqtt = URL with a user, port and password file");
	is_str(c.mqtt.host, "broker.lan", "its host");
	is_int(c.mqtt.port, 1884, "its port");
	is_str(c.mqtt.user, "ha", "its user");
	ok(!c.mqtt.tls, "mqtt:// is plain");
	is_str(c.mqtt.prefix, "home/ctid", "the prefix");
	ok(c.mqtt.no_discovery && c.mqtt.no_names, "no discovery, no names");
	config_finish(&c);
	ok(c.mqtt.host == NULL, "config_finish() forgets the broker");

	const char *const tls[] = {"mqtt", "mqtts://broker.lan", "mqtt-ca", secret};
	is_int(build(&c, NULL, 2, tls), 0, "--mqtt mqtts:// with --mqtt-ca");
	ok(c.mqtt.tls && c.mqtt.port == 0 && c.mqtt.user == NULL, "TLS, default port, no user");
	ok(!c.mqtt.no_discovery && c.mqtt.discovery == NULL && !c.mqtt.no_names,
	   "discovery (homeassistant) and names by default");
	config_finish(&c);

	chmod(secret, 0644);
	snprintf(text, sizeof(text), "mqtt = mqtt://ha@broker.lan\nmqtt-password-file = %s\n",
		 secret);
	is_int(build(&c, text, 0, NULL), -EINVAL, "a password file others can read is refused");
	config_finish(&c);
	unlink(secret);

	const char *const bad[][2] = {
		{"mqtt", "http://broker.lan"},
		{"mqtt", "mqtt://"},
		{"mqtt", "mqtt://@broker.lan"},
		{"mqtt", "mqtt://broker.lan:0"},
		{"mqtt", "mqtt://broker.lan:1883x"},
		{"mqtt", "mqtt://broker.lan/ctid"},
		{"mqtt-prefix", "ctid/#"},
		{"mqtt-prefix", "/ctid"},
		{"mqtt-prefix", ""},
		{"mqtt-discovery", "home+assistant"},
		{"mqtt-names", "maybe"},
		{"mqtt-ca", secret},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const pair[] = {"mqtt", "mqtt://broker.lan", bad[i][0], bad[i][1]};
		int ret = build(&c, NULL, 2, pair);
		ok(ret == -EBADR || ret == -EINVAL, "refused: --%s %s", bad[i][0], bad[i][1]);
		config_finish(&c);
	}
	const char *const no_user[] = {"mqtt", "mqtt://broker.lan", "mqtt-password-file", "/x"};
	is_int(build(&c, NULL, 2, no_user), -EINVAL, "a password file needs a user in the URL");
	config_finish(&c);
}

/* ncid-listen = ADDR:PORT: off by default. */
static void test_ncid(void) {
	struct config c;
	is_int(build(&c, "", 0, NULL), 0, "no ncid-listen");
	ok(c.ncid_listen == NULL, "no NCID server by default");
	config_finish(&c);
	is_int(build(&c, "ncid-listen = 127.0.0.1:3333\n", 0, NULL), 0, "ncid-listen in the file");
	is_str(c.ncid_listen, "127.0.0.1:3333", "its address");
	config_finish(&c);
	ok(c.ncid_listen == NULL, "config_finish() forgets it");
	const char *const opt[] = {"ncid-listen", "[::1]:0"};
	is_int(build(&c, "ncid-listen = 127.0.0.1:3333\n", 1, opt), 0, "--ncid-listen");
	is_str(c.ncid_listen, "[::1]:0", "the option wins");
	config_finish(&c);
	const char *const bad[] = {"3333", "host", "::1:3333", "127.0.0.1:70000"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const pair[] = {"ncid-listen", bad[i]};
		is_int(build(&c, NULL, 1, pair), -EBADR, "refused: --ncid-listen %s", bad[i]);
		config_finish(&c);
	}
}

/* [ami]: a PBX's manager interface, its secret in a file of its own. */
static void test_ami(void) {
	char secret[160], text[512];
	snprintf(secret, sizeof(secret), "%s/ami.secret", tmpdir);
	FILE *f = fopen(secret, "w");
	fputs("s3cret\n", f);
	fclose(f);
	chmod(secret, 0600);
	snprintf(text, sizeof(text),
		 "[ami]\nhost = pbx.example\nuser = ctid\nsecret-file = %s\n"
		 "context = from-pstn, from-did-direct\nname = pbx\ndepartment.3012345 = shop\n"
		 "trunks = PJSIP/provider, SIP/voipgrid\ndial-channel = PJSIP/21\n",
		 secret);
	struct config c;
	is_int(build(&c, text, 0, NULL), 0, "an [ami] section");
	is_str(c.ami.box.host, "pbx.example", "its host");
	is_int(c.ami.box.port, 0, "the manager's port unless given");
	is_str(c.ami.user, "ctid", "the user");
	is_str(c.ami.secret_file, secret, "the secret's file");
	is_str(c.ami.context, "from-pstn, from-did-direct", "the inbound contexts");
	is_str(c.ami.trunks, "PJSIP/provider, SIP/voipgrid", "the trunks' channel names");
	is_str(c.ami.dial_channel, "PJSIP/21", "the phone Call back rings first");
	ok(c.ami.dial_context == NULL, "dialling in the default context");
	is_str(config_box_department(&c.ami.box, "3012345"), "shop", "a DID's department");
	ok(c.fritzbox.host == NULL, "no FRITZ!Box for it");
	config_finish(&c);

	char tls[1024];
	snprintf(tls, sizeof(tls), "%stls = yes\ntls-ca = %s\n", text, secret);
	is_int(build(&c, tls, 0, NULL), 0, "[ami] over TLS, trusting a file's certificates");
	ok(c.ami.tls, "tls = yes");
	is_str(c.ami.tls_ca, secret, "tls-ca");
	config_finish(&c);
	snprintf(tls, sizeof(tls), "%stls = maybe\n", text);
	is_int(build(&c, tls, 0, NULL), -EINVAL, "refused: tls = maybe");
	config_finish(&c);
	snprintf(tls, sizeof(tls), "%stls-ca = %s\n", text, secret);
	is_int(build(&c, tls, 0, NULL), -EINVAL, "refused: tls-ca without tls = yes");
	config_finish(&c);
	snprintf(tls, sizeof(tls), "%stls = yes\ntls-ca = /nonexistent.pem\n", text);
	is_int(build(&c, tls, 0, NULL), -EINVAL, "refused: a tls-ca that cannot be read");
	config_finish(&c);

	chmod(secret, 0640);
	is_int(build(&c, text, 0, NULL), -EINVAL, "refused: a secret the group can read");
	config_finish(&c);
	chmod(secret, 0604);
	is_int(build(&c, text, 0, NULL), -EINVAL, "refused: a secret others can read");
	config_finish(&c);
	chmod(secret, 0600);

	static const char *const bad[] = {
		"[ami]\nhost = pbx.example\nuser = ctid\n",
		"[ami]\nuser = ctid\nsecret-file = /nonexistent\n",
		"[ami]\nhost = pbx.example\nuser = ctid\nsecret-file = /nonexistent/secret\n",
		"[ami]\nhost = pbx.example\nuser = a b\n",
		"[ami]\nhost = pbx.example\ncontext = from;pstn\n",
		"[ami]\nhost = pbx.example\ntrunks = PJSIP/a;b\n",
		"[ami]\nhost = pbx.example\ndial-channel = PJSIP/21\\r\\nAction: x\n",
		"[ami]\nhost = pbx.example\nsecret = s3cret\n",
		"[ami]\nport = 5038x\n",
	};
	static const char *const why[] = {
		"no secret-file",
		"no host",
		"a secret-file that does not exist",
		"a user with a space",
		"a context with a ';'",
		"trunks with a ';'",
		"a dial-channel that would add a header",
		"a secret in the file itself",
		"a bad port",
	};
	_Static_assert(sizeof(bad) == sizeof(why), "a reason for each");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(build(&c, bad[i], 0, NULL), -EINVAL, "refused: %s", why[i]);
		config_finish(&c);
	}
	unlink(secret);
}

int main(void) {
	log_init("test_config", LOG_SILENT);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_syntax();
	test_layers();
	test_fritzbox();
	test_ncid_department();
	test_ami();
	test_mqtt();
	test_ncid();
	char path[128];
	snprintf(path, sizeof(path), "%s/ctid.conf", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return tap_done();
}
