#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "ports.h"
#include "run.h"

static const char usage[] =
	"Usage: ctid [options]\n"
	"\n"
	"Shows who is calling before you pick up: reads caller ID from modems, a\n"
	"FRITZ!Box or an Asterisk PBX ([fritzbox], [ami] in ctid.conf), matches the\n"
	"number against your contacts, logs the call, announces it on D-Bus and\n"
	"raises a desktop notification with the client's history.\n"
	"\n"
	"  --device PATH           a modem (repeatable; default: the device folder)\n"
	"  --device-dir DIR        folder whose entries are modems (default /dev/ctid)\n"
	"  --fritzbox HOST[:PORT]  follow a FRITZ!Box's call monitor (port 1012; turn\n"
	"                          it on by dialling #96*5* on a phone on the box)\n"
	"  --database FILE         contacts and call log (default $XDG_DATA_HOME/ctid/ctid.db)\n"
	"  --region CC             home region for numbers: GB, US, UA ... (default: locale)\n"
	"  --ring-timeout SECONDS  a call ends this long after the last ring (default 8)\n"
	"  --bus session|system|none  where to offer org.ctid.Ctid1 (default session)\n"
	"  --no-notify             no desktop notifications\n"
	"  --listen ADDR:PORT      serve the web page and the API there (repeatable;\n"
	"                          default 127.0.0.1:8733; none: no web page)\n"
	"  --tls-cert FILE         the certificate (PEM) for addresses other than\n"
	"  --tls-key FILE          loopback (default: self-signed, made once)\n"
	"  --connect URL           be a desk of the ctid at URL: its calls pop up here\n"
	"                          (no modem, no database; see ctidctl desk join)\n"
	"  --token-file FILE       the desk's token (default ~/.config/ctid/desk.json)\n"
	"  --lines LIST            show only these lines and departments (shop,service)\n"
	"  --mqtt URL              publish calls to an MQTT broker:\n"
	"                          mqtt://[USER@]HOST[:PORT] or mqtts://...\n"
	"  --mqtt-password-file FILE  the broker user's password (chmod 600)\n"
	"  --mqtt-ca FILE          with mqtts://, trust these certificates, not the system's\n"
	"  --mqtt-prefix PREFIX    topics' prefix (default ctid)\n"
	"  --mqtt-discovery PREFIX|none  Home Assistant's discovery prefix\n"
	"                          (default homeassistant; none: no discovery)\n"
	"  --mqtt-names yes|no     publish contact names (default yes)\n"
	"  --ncid-listen ADDR:PORT  serve NCID clients (NCID's port is 3333)\n"
	"  --ncid-gateways LIST    addresses whose NCID gateways' calls are taken\n"
	"                          (default 127.0.0.0/8, ::1; none: no gateway)\n"
	"  --ncid-editors LIST     addresses whose NCID clients may name contacts\n"
	"                          (default 127.0.0.0/8, ::1; none: nobody's)\n"
	"  --print                 also print each screen-pop on standard output\n"
	"  --config FILE           configuration (default $XDG_CONFIG_HOME/ctid/ctid.conf,\n"
	"                          else /etc/ctid/ctid.conf)\n"
	"  --check-config          read the settings, report any error, and exit\n"
	"  --replay FILE           run a recorded modem transcript; print its calls as JSON\n"
	"  --demo                  a simulated modem rings with a known client and a stranger\n"
	"  --desks N               with --demo: N desks (1 to 4) show the calls too\n"
	"  --list-ports            list serial ports and known modems\n"
	"  -v, --verbose           say more (twice: debug)\n"
	"  --version               print the version\n"
	"  -h, --help              this help\n";

enum {
	OPT_DEVICE = 256,
	OPT_MQTT,
	OPT_MQTT_PASSWORD_FILE,
	OPT_MQTT_CA,
	OPT_MQTT_PREFIX,
	OPT_MQTT_DISCOVERY,
	OPT_MQTT_NAMES,
	OPT_NCID_LISTEN,
	OPT_NCID_GATEWAYS,
	OPT_NCID_EDITORS,
	OPT_DEVICE_DIR,
	OPT_DATABASE,
	OPT_REGION,
	OPT_RING_TIMEOUT,
	OPT_BUS,
	OPT_NO_NOTIFY,
	OPT_PRINT,
	OPT_CONFIG,
	OPT_REPLAY,
	OPT_DEMO,
	OPT_DESKS,
	OPT_LIST_PORTS,
	OPT_VERSION,
	OPT_CHECK_CONFIG,
	OPT_LISTEN,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_CONNECT,
	OPT_TOKEN_FILE,
	OPT_LINES,
	OPT_FRITZBOX,
};

static int list_ports(void) {
	struct ports_entry entries[64];
	ssize_t n = ports_list(entries, 64);
	if (n < 0) {
		return 1;
	}
	ports_print(stdout, entries, (size_t)n > 64 ? 64 : (size_t)n);
	return 0;
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	fputs("ctid: ", stderr);
	vfprintf(stderr, fmt, args);
	fputs("\nTry 'ctid --help'.\n", stderr);
	va_end(args);
	return 2;
}

/* The options that are keys of ctid.conf, under the same names. */
static const char *setting_key(int opt) {
	switch (opt) {
	case OPT_DEVICE:
		return "device";
	case OPT_DEVICE_DIR:
		return "device-dir";
	case OPT_DATABASE:
		return "database";
	case OPT_REGION:
		return "region";
	case OPT_RING_TIMEOUT:
		return "ring-timeout";
	case OPT_BUS:
		return "bus";
	case OPT_LISTEN:
		return "listen";
	case OPT_TLS_CERT:
		return "tls-cert";
	case OPT_TLS_KEY:
		return "tls-key";
	case OPT_CONNECT:
		return "connect";
	case OPT_TOKEN_FILE:
		return "token-file";
	case OPT_LINES:
		return "lines";
	case OPT_FRITZBOX:
		return "fritzbox";
	case OPT_MQTT:
		return "mqtt";
	case OPT_MQTT_PASSWORD_FILE:
		return "mqtt-password-file";
	case OPT_MQTT_CA:
		return "mqtt-ca";
	case OPT_MQTT_PREFIX:
		return "mqtt-prefix";
	case OPT_MQTT_DISCOVERY:
		return "mqtt-discovery";
	case OPT_MQTT_NAMES:
		return "mqtt-names";
	case OPT_NCID_LISTEN:
		return "ncid-listen";
	case OPT_NCID_GATEWAYS:
		return "ncid-gateways";
	case OPT_NCID_EDITORS:
		return "ncid-editors";
	default:
		return NULL;
	}
}

int main(int argc, char *argv[]) {
	static const struct option opts[] = {
		{"device", required_argument, NULL, OPT_DEVICE},
		{"device-dir", required_argument, NULL, OPT_DEVICE_DIR},
		{"database", required_argument, NULL, OPT_DATABASE},
		{"region", required_argument, NULL, OPT_REGION},
		{"ring-timeout", required_argument, NULL, OPT_RING_TIMEOUT},
		{"bus", required_argument, NULL, OPT_BUS},
		{"no-notify", no_argument, NULL, OPT_NO_NOTIFY},
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"tls-cert", required_argument, NULL, OPT_TLS_CERT},
		{"tls-key", required_argument, NULL, OPT_TLS_KEY},
		{"connect", required_argument, NULL, OPT_CONNECT},
		{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
		{"lines", required_argument, NULL, OPT_LINES},
		{"fritzbox", required_argument, NULL, OPT_FRITZBOX},
		{"mqtt", required_argument, NULL, OPT_MQTT},
		{"mqtt-password-file", required_argument, NULL, OPT_MQTT_PASSWORD_FILE},
		{"mqtt-ca", required_argument, NULL, OPT_MQTT_CA},
		{"mqtt-prefix", required_argument, NULL, OPT_MQTT_PREFIX},
		{"mqtt-discovery", required_argument, NULL, OPT_MQTT_DISCOVERY},
		{"mqtt-names", required_argument, NULL, OPT_MQTT_NAMES},
		{"ncid-listen", required_argument, NULL, OPT_NCID_LISTEN},
		{"ncid-gateways", required_argument, NULL, OPT_NCID_GATEWAYS},
		{"ncid-editors", required_argument, NULL, OPT_NCID_EDITORS},
		{"print", no_argument, NULL, OPT_PRINT},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"replay", required_argument, NULL, OPT_REPLAY},
		{"demo", no_argument, NULL, OPT_DEMO},
		{"desks", required_argument, NULL, OPT_DESKS},
		{"list-ports", no_argument, NULL, OPT_LIST_PORTS},
		{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct config_source src = {0};
	struct run_options ro = {.source = &src};
	int verbose = 0;
	char verbose_text[16];
	bool demo = false, check = false;
	const char *replay = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		const char *key = setting_key(opt);
		if (key != NULL) {
			if (config_source_add(&src, key, optarg) < 0) {
				return bad_usage("too many options");
			}
			continue;
		}
		switch (opt) {
		case OPT_NO_NOTIFY:
			config_source_add(&src, "notify", "no");
			break;
		case OPT_PRINT:
			ro.print = true;
			break;
		case OPT_CONFIG:
			src.path = optarg;
			break;
		case OPT_REPLAY:
			replay = optarg;
			break;
		case OPT_DEMO:
			demo = true;
			break;
		case OPT_DESKS:
			if (strlen(optarg) != 1 || optarg[0] < '1' || optarg[0] > '4') {
				fprintf(stderr, "ctid: --desks wants a number from 1 to 4\n");
				return 2;
			}
			ro.desks = optarg[0] - '0';
			break;
		case OPT_CHECK_CONFIG:
			check = true;
			break;
		case OPT_LIST_PORTS:
			return list_ports();
		case 'v':
			verbose++;
			break;
		case OPT_VERSION:
			printf("ctid %s\n", CTID_VERSION);
			return 0;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs("Try 'ctid --help'.\n", stderr);
			return 2;
		}
	}
	if (optind < argc) {
		return bad_usage("unexpected argument '%s'", argv[optind]);
	}
	if (verbose > 0) {
		snprintf(verbose_text, sizeof(verbose_text), "%d", verbose > 3 ? 3 : verbose);
		config_source_add(&src, "verbose", verbose_text);
	}
	log_init("ctid", verbose >= 2 ? LOG_DEBUG : verbose == 1 ? LOG_INFO : LOG_WARN);
	if (demo) {
		return run_demo(&ro);
	}
	if (ro.desks > 0) {
		return bad_usage("--desks goes with --demo");
	}
	struct config cfg;
	int ret = config_build(&cfg, &src);
	if (ret < 0) {
		config_finish(&cfg);
		if (ret == -EBADR) {
			fputs("Try 'ctid --help'.\n", stderr);
			return 2;
		}
		return 1;
	}
	log_set_level(cfg.verbose >= 2 ? LOG_DEBUG : cfg.verbose == 1 ? LOG_INFO : LOG_WARN);
	if (check) {
		printf("%s: the settings are good\n", cfg.path != NULL ? cfg.path : "(no file)");
		config_finish(&cfg);
		return 0;
	}
	if (replay != NULL) {
		ret = run_replay(&cfg, replay);
		config_finish(&cfg);
		return ret;
	}
	return run_daemon(&cfg, &ro); /* takes cfg */
}
