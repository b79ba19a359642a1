#include <errno.h>
#include <getopt.h>
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
	"Usage: ctidctl [--database FILE] [--region CC] COMMAND [ARGS]\n"
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
	"Options (every command):\n"
	"  --database FILE   the database (default: $XDG_DATA_HOME/ctid/ctid.db)\n"
	"  --region CC       home region for phone numbers (default: config, locale)\n"
	"  --json            print data as JSON\n"
	"  -h, --help        show help\n"
	"  --version         show the version\n"
	"\n"
	"Exit status: 0 success, 1 error, 2 bad usage.\n";

static const struct {
	const char *name;
	int (*fn)(struct ctl *ctl, int argc, char *argv[]);
} commands[] = {
	{"contact", ctl_contact},
	{"note", ctl_note},
	{"lookup", ctl_lookup},
	{"calls", ctl_calls},
	{"monitor", ctl_bus_command},
	{"status", ctl_bus_command},
	{"callback", ctl_bus_command},
	{"request", ctl_request},
	{"order", ctl_request},
	{"reminder", ctl_reminder},
	{"reminders", ctl_reminder},
	{"missed", ctl_missed},
	{"report", ctl_report},
	{"import", ctl_import},
	{"export", ctl_export},
	{"backup", ctl_backup},
	{"restore", ctl_restore},
	{"user", ctl_user},
	{"open", ctl_open},
	{"desk", ctl_desk},
};

int main(int argc, char *argv[]) {
	output_guard_terminal();
	log_init("ctidctl", LOG_WARN);
	struct ctl ctl = {0};
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"config", required_argument, NULL, 'c'},
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
			status = commands[i].fn(&ctl, sub_argc, sub_argv);
			break;
		}
	}
	if (status < 0) {
		fprintf(stderr, "ctidctl: unknown command '%s'\nTry 'ctidctl --help'.\n", name);
		status = CTL_USAGE;
	}
	db_close(ctl.db);
	config_finish(&cfg);
	return status;
}
