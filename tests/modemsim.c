/*
 * modemsim: a modem on a pseudo-terminal, for tests and for trying ctid
 * without hardware. It prints "ready <pty>" on stdout, answers AT commands
 * like the chosen modem and plays calls from a script file and/or stdin,
 * printing "event ..." lines as they complete. The script language is in
 * --help and modem/sim.h.
 *
 *   modemsim --dialect conexant --link /tmp/ttySIM --interval 300 <<EOF
 *   call +441632960961 "Ivan Petrov" rings=3
 *   quit
 *   EOF
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sim.h"

static struct sim *running;

static void on_signal(int sig) {
	(void)sig;
	if (running != NULL) {
		sim_stop(running);
	}
}

static void usage(FILE *f) {
	fprintf(f, "Usage: modemsim [OPTION]...\n"
		   "A modem simulator on a pseudo-terminal.\n\n"
		   "  -d, --dialect NAME    conexant (default), usr, rockwell or gsm\n"
		   "      --variant huawei  GSM calls end with ^CEND instead of NO CARRIER\n"
		   "  -l, --link PATH       make PATH a symlink to the pty\n"
		   "  -i, --interval MS     ring interval (default 6000, as on a real line)\n"
		   "      --uk              caller ID before the first ring (BT)\n"
		   "  -s, --script FILE     run FILE's commands before those on stdin\n"
		   "      --no-stdin        do not read commands from stdin\n"
		   "      --seed N          seed for garbage and noise\n"
		   "      --timestamps      print \"event nmbr <ns>\" as each caller's number goes\n"
		   "                        out (CLOCK_REALTIME, read just before the write)\n"
		   "  -t, --trace           print \"at <command>\" for each command received\n"
		   "  -v, --verbose         log more on stderr\n"
		   "  -h, --help            show this help\n\n"
		   "Commands, one per line (script file or stdin):\n"
		   "  call NUMBER [\"NAME\"] [rings=N] [answer=K] [nocid] [name_delay=SECS] [uk]\n"
		   "       [nowait]  nowait: the next commands run while it rings\n"
		   "                  NUMBER: digits, P (withheld), O (unavailable), - (none)\n"
		   "                  answer=K: an extension picks up after ring K\n"
		   "  sleep SECS      wait\n"
		   "  unplug | replug the device disappears / comes back (new pty, link renewed)\n"
		   "  mute | unmute   stop / start answering AT commands\n"
		   "  errors on|off   answer ERROR to every command\n"
		   "  reset           the modem resets itself (Conexant forgets caller ID)\n"
		   "  garbage N       N random bytes      noise N   N bytes of junk lines\n"
		   "  send TEXT       send one raw line   interval MS  set the ring interval\n"
		   "  repeat          run the script again   quit  stop\n\n"
		   "Output on stdout: \"ready <pty>\", then \"event <command> ...\" per command done.\n"
		   "Caller ID is sent only after the host enabled it with a command the dialect\n"
		   "accepts (conexant: AT+VCID=1/2, AT-SCID; usr: AT+VCID or AT#CID; rockwell:\n"
		   "AT#CID; gsm: AT+CLIP=1, AT+CRC=1 for +CRING).\n");
}

int main(int argc, char **argv) {
	static const struct option longopts[] = {
		{"dialect", required_argument, NULL, 'd'},
		{"variant", required_argument, NULL, 'V'},
		{"link", required_argument, NULL, 'l'},
		{"interval", required_argument, NULL, 'i'},
		{"uk", no_argument, NULL, 'u'},
		{"script", required_argument, NULL, 's'},
		{"no-stdin", no_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 'S'},
		{"trace", no_argument, NULL, 't'},
		{"timestamps", no_argument, NULL, 'T'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct sim_options opts = {.events_fd = STDOUT_FILENO};
	const char *script = NULL;
	bool use_stdin = true;
	enum log_level level = LOG_WARN;
	int c;
	while ((c = getopt_long(argc, argv, "d:l:i:s:tvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (sim_dialect_from_str(optarg, &opts.dialect) < 0) {
				fprintf(stderr, "modemsim: unknown dialect '%s'\n", optarg);
				return 2;
			}
			break;
		case 'V':
			if (strcmp(optarg, "huawei") != 0) {
				fprintf(stderr, "modemsim: unknown variant '%s'\n", optarg);
				return 2;
			}
			opts.huawei = true;
			break;
		case 'l':
			opts.link = optarg;
			break;
		case 'i':
			opts.ring_interval_ms = atoll(optarg);
			if (opts.ring_interval_ms <= 0) {
				fprintf(stderr, "modemsim: bad interval '%s'\n", optarg);
				return 2;
			}
			break;
		case 'u':
			opts.uk = true;
			break;
		case 's':
			script = optarg;
			break;
		case 'n':
			use_stdin = false;
			break;
		case 'S':
			opts.seed = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			opts.trace = true;
			break;
		case 'T':
			opts.timestamps = true;
			break;
		case 'v':
			level = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	log_init("modemsim", level);
	/* Events are read line by line by tests: no buffering (write(2) is used). */
	struct sim *s = sim_create(&opts);
	if (s == NULL) {
		perror("modemsim");
		return 1;
	}
	running = s;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int rc = sim_run(s, use_stdin ? STDIN_FILENO : -1, script);
	running = NULL;
	sim_destroy(s);
	if (rc < 0) {
		fprintf(stderr, "modemsim: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}
