#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "phone.h"
#include "ports.h"
#include "run.h"

static const char usage[] =
	"Usage: ctid [options]\n"
	"\n"
	"Shows who is calling before you pick up: reads caller ID from modems,\n"
	"matches the number against your contacts, logs the call, announces it on\n"
	"D-Bus and raises a desktop notification with the client's history.\n"
	"\n"
	"  --device PATH           a modem (repeatable; default: the device folder)\n"
	"  --device-dir DIR        folder whose entries are modems (default /dev/ctid)\n"
	"  --database FILE         contacts and call log (default $XDG_DATA_HOME/ctid/ctid.db)\n"
	"  --region CC             home region for numbers: GB, US, UA ... (default: locale)\n"
	"  --ring-timeout SECONDS  a call ends this long after the last ring (default 8)\n"
	"  --bus session|system|none  where to offer org.ctid.Ctid1 (default session)\n"
	"  --no-notify             no desktop notifications\n"
	"  --print                 also print each screen-pop on standard output\n"
	"  --config FILE           configuration (default $XDG_CONFIG_HOME/ctid/ctid.conf,\n"
	"                          else /etc/ctid/ctid.conf)\n"
	"  --replay FILE           run a recorded modem transcript; print its calls as JSON\n"
	"  --demo                  a simulated modem rings with a known client and a stranger\n"
	"  --list-ports            list serial ports and known modems\n"
	"  -v, --verbose           say more (twice: debug)\n"
	"  --version               print the version\n"
	"  -h, --help              this help\n";

enum {
	OPT_DEVICE = 256,
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
	OPT_LIST_PORTS,
	OPT_VERSION,
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

int main(int argc, char *argv[]) {
	static const struct option opts[] = {
		{"device", required_argument, NULL, OPT_DEVICE},
		{"device-dir", required_argument, NULL, OPT_DEVICE_DIR},
		{"database", required_argument, NULL, OPT_DATABASE},
		{"region", required_argument, NULL, OPT_REGION},
		{"ring-timeout", required_argument, NULL, OPT_RING_TIMEOUT},
		{"bus", required_argument, NULL, OPT_BUS},
		{"no-notify", no_argument, NULL, OPT_NO_NOTIFY},
		{"print", no_argument, NULL, OPT_PRINT},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"replay", required_argument, NULL, OPT_REPLAY},
		{"demo", no_argument, NULL, OPT_DEMO},
		{"list-ports", no_argument, NULL, OPT_LIST_PORTS},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct run_options ro = {0};
	const char *config_path = NULL, *bus = NULL;
	int verbose = 0, ring_timeout = 0;
	bool demo = false, no_notify = false;
	const char *replay = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_DEVICE:
			if (ro.n_devices >= RUN_MAX_DEVICES) {
				return bad_usage("too many --device options (at most %s)", "16");
			}
			ro.devices[ro.n_devices++] = optarg;
			break;
		case OPT_DEVICE_DIR:
			ro.device_dir = optarg;
			break;
		case OPT_DATABASE:
			ro.database = optarg;
			break;
		case OPT_REGION:
			if (!phone_region_known(optarg)) {
				return bad_usage("unknown region '%s' (use a code such as GB, US)",
						 optarg);
			}
			ro.region = optarg;
			break;
		case OPT_RING_TIMEOUT:
			ring_timeout = atoi(optarg);
			if (ring_timeout < 1 || ring_timeout > 120) {
				return bad_usage("--ring-timeout wants 1 to 120 seconds, not '%s'",
						 optarg);
			}
			break;
		case OPT_BUS:
			bus = optarg;
			if (strcmp(bus, "session") && strcmp(bus, "system") && strcmp(bus, "none")) {
				return bad_usage("--bus is session, system or none, not '%s'",
						 optarg);
			}
			break;
		case OPT_NO_NOTIFY:
			no_notify = true;
			break;
		case OPT_PRINT:
			ro.print = true;
			break;
		case OPT_CONFIG:
			config_path = optarg;
			break;
		case OPT_REPLAY:
			replay = optarg;
			break;
		case OPT_DEMO:
			demo = true;
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
	log_init("ctid", verbose >= 2 ? LOG_DEBUG : verbose == 1 ? LOG_INFO : LOG_WARN);
	if (demo) {
		return run_demo(&ro);
	}

	struct config cfg;
	config_init(&cfg);
	char *path = config_path != NULL ? strdup(config_path) : config_default_path();
	int ret = path != NULL ? config_load(&cfg, path) : 0;
	free(path);
	if (ret < 0 && !(ret == -ENOENT && config_path == NULL)) {
		if (ret == -ENOENT) {
			fprintf(stderr, "ctid: no configuration file %s\n", config_path);
		}
		config_finish(&cfg);
		return 1;
	}
	if (cfg.verbose > verbose) {
		log_set_level(cfg.verbose >= 2 ? LOG_DEBUG : LOG_INFO);
	}
	if (bus != NULL) {
		cfg.bus = !strcmp(bus, "system") ? CONFIG_BUS_SYSTEM
			  : !strcmp(bus, "none") ? CONFIG_BUS_NONE
						 : CONFIG_BUS_SESSION;
	}
	if (no_notify) {
		cfg.notify = false;
	}
	if (ring_timeout > 0) {
		cfg.ring_timeout = ring_timeout;
	}
	ro.config = &cfg;
	ret = replay != NULL ? run_replay(&ro, replay) : run_daemon(&ro);
	config_finish(&cfg);
	return ret;
}
