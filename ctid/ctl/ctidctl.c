#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "log.h"
#include "output.h"
#include "phone.h"

static const char usage[] =
	"Usage: ctidctl [--database FILE | --server URL] [--region CC] COMMAND [ARGS]\n"
	"\n"
	"The salesperson's tool for ctid: contacts, notes, requests, reminders and\n"
	"the call log.\n"
	"\n"
	"Commands:\n"
	"  contact add --name NAME [--phone NUMBER]... [--company C] [--email E]\n"
	"              [--birthday YYYY-MM-DD|MM-DD]     add a contact, print its id\n"
	"  contact show CONTACT                          the contact's card and history\n"
	"  contact edit CONTACT [options]                change fields, numbers, tags\n"
	"  contact delete CONTACT [--yes]                delete a contact\n"
	"  contact list [--tag TAG]                      all contacts\n"
	"  contact search QUERY                          by name, company, note or number\n"
	"  contact merge A B [--yes]                     merge duplicate B into A\n"
	"  note add CONTACT TEXT                         add a note to a contact\n"
	"  request add CONTACT TEXT                      what a client asked for, not in stock\n"
	"  request list [--open] [QUERY]                 requests, newest first\n"
	"  request close ID...                           close requests (or orders)\n"
	"  request arrived QUERY [--close]               who to call now that it is here\n"
	"  order add|list|close|arrived ...              the same for orders\n"
	"  reminder add CONTACT --date MM-DD|YYYY-MM-DD [--yearly] [--notice DAYS] TEXT\n"
	"  reminder delete ID...                         delete reminders\n"
	"  reminders [--days N]                          what is due, birthdays included\n"
	"  lookup NUMBER                                 who is calling from NUMBER\n"
	"  calls [--missed] [--unhandled] [--since D]    the call log\n"
	"  calls handle ID... | --all-from CONTACT       mark calls handled\n"
	"  missed [--no-unknown]                         the call-back list, by caller\n"
	"  report [--since D] [--until D] [--html FILE]  a summary for the sales manager\n"
	"  callback CALL                                 dial a caller back (via ctid)\n"
	"  monitor                                       print call events as they happen\n"
	"  status                                        the daemon's modems\n"
	"  import FILE [--format vcard|csv] [--dry-run]  add contacts from vCard or CSV\n"
	"  export [--format vcard|csv] [FILE]            write all contacts as vCard or CSV\n"
	"  backup FILE                                   copy the database (safe while running)\n"
	"  restore FILE [--yes]                          replace the database with a backup\n"
	"  open [CONTACT] [--note] [--new NUMBER]        the web page, logged in as you\n"
	"  user add|list|passwd|role|delete|token ...    who may use the web page and API\n"
	"  desk join URL | desk leave                    be a desk of the ctid at URL\n"
	"\n"
	"CONTACT is an id (42 or #42), a phone number, or part of a name that\n"
	"matches exactly one contact.\n"
	"\n"
	"On a desk that joined a server (desk join), contact show, calls, calls handle\n"
	"ID..., missed and note add work on the server's database through its API,\n"
	"with the same output, and open opens the server's page; --server URL names\n"
	"the server, --server none (or --database) this machine's database.\n"
	"\n"
	"Options (every command):\n"
	"  --database FILE   the database (default: $XDG_DATA_HOME/ctid/ctid.db)\n"
	"  --server URL      the joined server's database, through its API\n"
	"  --region CC       home region for phone numbers (default: config, locale)\n"
	"  --json            print data as JSON\n"
	"  -h, --help        show help\n"
	"  --version         show the version\n"
	"\n"
	"Exit status: 0 success, 1 error, 2 bad usage.\n";

/* remote: works on a desk (through the server's API, or needs no
 * database); the others want the database file. */
static const struct {
	const char *name;
	int (*fn)(struct ctl *ctl, int argc, char *argv[]);
	bool remote;
} commands[] = {
	{"contact", ctl_contact, true},
	{"note", ctl_note, true},
	{"lookup", ctl_lookup, false},
	{"calls", ctl_calls, true},
	{"monitor", ctl_bus_command, true},
	{"status", ctl_bus_command, true},
	{"callback", ctl_bus_command, true},
	{"request", ctl_request, false},
	{"order", ctl_request, false},
	{"reminder", ctl_reminder, false},
	{"reminders", ctl_reminder, false},
	{"missed", ctl_missed, true},
	{"report", ctl_report, false},
	{"import", ctl_import, false},
	{"export", ctl_export, false},
	{"backup", ctl_backup, false},
	{"restore", ctl_restore, false},
	{"user", ctl_user, false},
	{"open", ctl_open, true},
	{"desk", ctl_desk, true},
};

int main(int argc, char *argv[]) {
	output_guard_terminal();
	log_init("ctidctl", LOG_WARN);
	struct ctl ctl = {0};
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"config", required_argument, NULL, 'c'},
		{"server", required_argument, NULL, 'S'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ctl_common_option(&ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case 'c':
			ctl.config_path = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "none") != 0 && !g_str_has_prefix(optarg, "https://") &&
			    !g_str_has_prefix(optarg, "http://")) {
				fprintf(stderr, "ctidctl: --server wants a URL such as "
						"https://shop.example:8733/, or none\n");
				return CTL_USAGE;
			}
			ctl.server = optarg;
			break;
		case 'V':
			printf("ctidctl %s\n", CTID_VERSION);
			return CTL_OK;
		case 'h':
			fputs(usage, stdout);
			return CTL_OK;
		default:
			fputs("Try 'ctidctl --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return CTL_USAGE;
	}

	/* The file ctid reads; ctidctl's own --database and --region win over it. */
	struct config cfg;
	struct config_source src = {.path = ctl.config_path};
	if (config_build(&cfg, &src) < 0) {
		fprintf(stderr, "ctidctl: bad configuration in %s\n",
			cfg.path != NULL ? cfg.path : ctl.config_path);
		config_finish(&cfg);
		return CTL_ERROR;
	}

	const char *name = argv[optind];
	int status = -1;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) == 0) {
			/* each command parses its own options; getopt starts over */
			optind++;
			int sub_argc = argc - optind + 1;
			char **sub_argv = argv + optind - 1;
			optind = 0;
			if (ctl.database == NULL) {
				ctl.database = cfg.database;
			}
			if (!ctl.region_set) {
				config_region(cfg.region, ctl.region);
			}
			ctl.min_suffix = cfg.min_suffix;
			if (!commands[i].remote && !ctl_help_asked(sub_argc, sub_argv) &&
			    ctl_remote(&ctl)) {
				fprintf(stderr,
					"ctidctl: '%s' works on the server's machine, or on its web "
					"page (ctidctl open); this desk works on its server's "
					"database only for contact show, calls, missed and note add. --database "
					"FILE uses a database on this machine.\n",
					name);
				status = CTL_ERROR;
				break;
			}
			status = commands[i].fn(&ctl, sub_argc, sub_argv);
			break;
		}
	}
	if (status < 0) {
		fprintf(stderr, "ctidctl: unknown command '%s'\nTry 'ctidctl --help'.\n", name);
		status = CTL_USAGE;
	}
	db_close(ctl.db);
	ctl_server_close(&ctl);
	config_finish(&cfg);
	return status;
}
