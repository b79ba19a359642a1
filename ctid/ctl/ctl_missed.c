/* ctidctl missed: the call-back list, unhandled missed calls by caller. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"
#include "when.h"

static const char missed_usage[] =
	"Usage: ctidctl missed [--no-unknown] [--since DATE] [--json]\n"
	"\n"
	"Who to call back: unhandled missed calls grouped by caller (a contact,\n"
	"else the number; withheld numbers together), with how many times they\n"
	"called, the first and the last time, and whether anyone reached them\n"
	"since the last one (a later answered call, or 'ctidctl callback').\n"
	"Callers still waiting come first, the longest waiting first; then those\n"
	"already reached, who only need 'ctidctl calls handle'; withheld last.\n"
	"\n"
	"Calls whose outcome the modem could not tell (state unknown: modems\n"
	"that do not report an extension picking up, such as the USRobotics 5637,\n"
	"log only those) are included as 'maybe missed': a missed call left out\n"
	"can lose a client, an answered one shown costs one 'calls handle'.\n"
	"--no-unknown leaves them out. DATE is as for 'ctidctl calls'.\n"
	"\n"
	"With --json: an array of {contact: {id, name} or null, name, number,\n"
	"e164, formatted, withheld, calls, missed, unknown, maybe_missed, first,\n"
	"last, called_back (a time, or null), call_ids}.\n";

struct missed_state {
	struct ctl *ctl;
	struct json_writer w;
	struct table t;
	int count;
};

static int missed_one(const struct db_missed *m, void *data) {
	struct missed_state *st = data;
	st->count++;
	char formatted[64] = "", name[DB_NAME_MAX + 1], first[40], last[40], back[40];
	if (!m->withheld) {
		output_number(m->e164, m->number, st->ctl->region, formatted, sizeof(formatted));
	}
	jsonout_missed_name(m, formatted, name, sizeof(name));
	if (st->ctl->json) {
		jsonout_missed(&st->w, m, st->ctl->region);
		return 0;
	}
	char calls[48];
	if (m->unknown == 0) {
		snprintf(calls, sizeof(calls), "%d", m->calls);
	} else if (m->missed == 0) {
		snprintf(calls, sizeof(calls), "%d maybe", m->calls);
	} else {
		snprintf(calls, sizeof(calls), "%d (%d maybe)", m->calls, m->unknown);
	}
	output_time(m->first, first, sizeof(first));
	output_time(m->last, last, sizeof(last));
	if (m->withheld) {
		snprintf(back, sizeof(back), "cannot");
	} else if (m->called_back) {
		char t[32];
		output_time(m->called_back, t, sizeof(t));
		snprintf(back, sizeof(back), "yes, %s", t);
	} else {
		snprintf(back, sizeof(back), "no");
	}
	const char *row[] = {name, m->contact_name != NULL ? formatted : "", calls, first, last,
			     back};
	table_add(&st->t, row);
	return 0;
}

int ctl_missed(struct ctl *ctl, int argc, char *argv[]) {
	enum { OPT_NO_UNKNOWN = 256, OPT_SINCE };
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"no-unknown", no_argument, NULL, OPT_NO_UNKNOWN},
		{"since", required_argument, NULL, OPT_SINCE},
		{0},
	};
	struct db_missed_filter f = {.unknown = true};
	const char *since = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case OPT_NO_UNKNOWN:
			f.unknown = false;
			break;
		case OPT_SINCE:
			if (!when_parse_since(optarg, &f.since)) {
				return ctl_usage_error("missed", "bad date '%s'", optarg);
			}
			since = optarg;
			break;
		case 'h':
			fputs(missed_usage, stdout);
			return CTL_OK;
		default:
			fputs("Try 'ctidctl missed --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	if (optind < argc) {
		return ctl_usage_error("missed", "unexpected argument '%s'", argv[optind]);
	}
	bool remote = ctl_remote(ctl);
	if (!remote && ctl_db(ctl) == NULL) {
		return CTL_ERROR;
	}
	struct missed_state st = {.ctl = ctl};
	static const char *const headers[] = {"CALLER", "NUMBER", "CALLS",
					      "FIRST",	"LAST",	  "CALLED BACK"};
	table_init(&st.t, 6, headers);
	json_init(&st.w, stdout);
	if (ctl->json) {
		json_array_begin(&st.w);
	}
	int ret = remote ? ctl_server_missed(ctl, f.unknown, since, missed_one, &st)
			 : db_missed_foreach(ctl->db, &f, missed_one, &st);
	if (ret == -ECANCELED) {
		table_finish(&st.t);
		return CTL_ERROR;
	}
	if (ctl->json) {
		json_array_end(&st.w);
		putchar('\n');
	} else if (st.count > 0) {
		table_print(&st.t, stdout);
		printf("\n%sWhen done: ctidctl calls handle --all-from CONTACT|NUMBER%s\n",
		       output_dim(stdout), output_reset(stdout));
	} else {
		puts("No missed calls waiting.");
	}
	table_finish(&st.t);
	if (ret < 0) {
		return ctl_fail("could not read the call log: %s", strerror(-ret));
	}
	return CTL_OK;
}
