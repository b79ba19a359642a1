/* ctidctl report: the sales manager's summary of a period. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"
#include "report.h"
#include "when.h"

static const char report_usage[] =
	"Usage: ctidctl report [--since DATE] [--until DATE] [--top N]\n"
	"                      [--html FILE] [--json]\n"
	"\n"
	"A summary of the calls of a period (default: the last 30 days, today\n"
	"included; --until includes its day): how many were answered, missed and\n"
	"unknown, the missed rate (of the calls whose outcome is known), the top\n"
	"callers, the clients missed and not called back, and the requests and\n"
	"orders still open. DATE is as for 'ctidctl calls'.\n"
	"\n"
	"--html FILE writes it as one self-contained web page (inline styles and\n"
	"chart, no scripts, nothing fetched) to print or mail; '-' is standard\n"
	"output. --json prints {since, until, totals: {calls, answered, missed,\n"
	"unknown, missed_rate}, days: [{date, calls, answered, missed, unknown}],\n"
	"top_callers, unanswered, open_requests}.\n";

#define DEFAULT_DAYS 30
#define MAX_DAYS     3660

static void print_report_json(const struct report *r) {
	struct json_writer w;
	json_init(&w, stdout);
	report_write_json(&w, r);
	putchar('\n');
}

#define TEXT_ROWS 5

static void print_text(const struct report *r) {
	FILE *f = stdout;
	char last[11], rate_text[80] = "";
	report_last_day(r, last);
	fprintf(f, "%sCalls from %s to %s%s (%zu day%s)\n", output_bold(f),
		r->n_days ? r->days[0].date : "", last, output_reset(f), r->n_days,
		r->n_days == 1 ? "" : "s");
	double rate;
	if (report_missed_rate(r, &rate)) {
		snprintf(rate_text, sizeof(rate_text),
			 "; missed rate %.0f%% (of %d answered or missed)", rate * 100,
			 r->totals.answered + r->totals.missed);
	}
	fprintf(f, "%d calls: %d answered, %d missed, %d unknown%s\n", r->totals.calls,
		r->totals.answered, r->totals.missed, r->totals.unknown, rate_text);

	struct table t;
	if (r->n_top > 0) {
		fprintf(f, "\n%sTop callers%s\n", output_bold(f), output_reset(f));
		static const char *const headers[] = {"CALLER", "CALLS", "ANSWERED", "MISSED",
						      "UNKNOWN"};
		table_init(&t, 5, headers);
		for (size_t i = 0; i < r->n_top && i < TEXT_ROWS; i++) {
			const struct report_caller *c = &r->top[i];
			char n[4][16];
			snprintf(n[0], sizeof(n[0]), "%d", c->calls);
			snprintf(n[1], sizeof(n[1]), "%d", c->answered);
			snprintf(n[2], sizeof(n[2]), "%d", c->missed);
			snprintf(n[3], sizeof(n[3]), "%d", c->unknown);
			const char *row[] = {c->name, n[0], n[1], n[2], n[3]};
			table_add(&t, row);
		}
		table_print(&t, f);
		table_finish(&t);
	}
	fprintf(f, "\n%sNot called back%s: %zu caller%s\n", output_bold(f), output_reset(f),
		r->n_unanswered, r->n_unanswered == 1 ? "" : "s");
	if (r->n_unanswered > 0) {
		static const char *const headers[] = {"CALLER", "NUMBER", "CALLS", "LAST"};
		table_init(&t, 4, headers);
		for (size_t i = 0; i < r->n_unanswered && i < TEXT_ROWS; i++) {
			const struct report_caller *c = &r->unanswered[i];
			char calls[32], when[32];
			snprintf(calls, sizeof(calls), "%d%s", c->calls,
				 c->missed == 0 ? " maybe" : "");
			output_time(c->last, when, sizeof(when));
			const char *row[] = {c->name, c->contact_id > 0 ? c->number : "", calls,
					     when};
			table_add(&t, row);
		}
		table_print(&t, f);
		table_finish(&t);
	}
	fprintf(f, "\n%sOpen requests and orders%s: %zu\n", output_bold(f), output_reset(f),
		r->n_requests);
	if (r->n_unanswered > TEXT_ROWS || r->n_requests > 0) {
		fprintf(f,
			"\n%sMore: ctidctl missed; ctidctl request list --open; ctidctl report "
			"--html FILE%s\n",
			output_dim(f), output_reset(f));
	}
}

/* Writes the page to path ("-": standard output); a file is replaced whole
 * (ctl_target): a reader never sees half a report. */
static int write_html(const struct report *r, const char *path) {
	struct ctl_target t = {0};
	if (ctl_target_open(&t, strcmp(path, "-") == 0 ? NULL : path) != 0) {
		return CTL_ERROR;
	}
	/* a file's mode is 0600, as the database's: the page names clients */
	int ret = report_html_write(r, t.f);
	if (ret < 0) {
		ctl_fail("could not write the report to %s: %s",
			 strcmp(path, "-") == 0 ? "standard output" : path, strerror(-ret));
	}
	return ctl_target_close(&t, ret >= 0) != 0 || ret < 0 ? CTL_ERROR : CTL_OK;
}

int ctl_report(struct ctl *ctl, int argc, char *argv[]) {
	enum { OPT_SINCE = 256, OPT_UNTIL, OPT_HTML, OPT_TOP };
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"since", required_argument, NULL, OPT_SINCE},
		{"until", required_argument, NULL, OPT_UNTIL},
		{"html", required_argument, NULL, OPT_HTML},
		{"top", required_argument, NULL, OPT_TOP},
		{0},
	};
	struct report r = {.generated = (int64_t)time(NULL)};
	const char *html = NULL;
	long top = 10;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case OPT_SINCE:
			if (!when_parse_since(optarg, &r.since)) {
				return ctl_usage_error("report", "bad date '%s'", optarg);
			}
			break;
		case OPT_UNTIL:
			if (!when_parse_until(optarg, &r.until)) {
				return ctl_usage_error("report", "bad date '%s'", optarg);
			}
			break;
		case OPT_HTML:
			html = optarg;
			break;
		case OPT_TOP:
			if (!ctl_parse_int(optarg, 1, 1000, &top)) {
				return ctl_usage_error("report",
						       "--top wants a number from 1 to 1000");
			}
			break;
		case 'h':
			fputs(report_usage, stdout);
			return CTL_OK;
		default:
			fputs("Try 'ctidctl report --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	if (optind < argc) {
		return ctl_usage_error("report", "unexpected argument '%s'", argv[optind]);
	}
	if (html != NULL && html[0] == '\0') {
		return ctl_usage_error("report", "--html wants a file name");
	}
	if (r.until == 0) {
		when_parse_until("today", &r.until);
	}
	if (r.since == 0) {
		/* the DEFAULT_DAYS days that end with --until (today by default) */
		time_t t = (time_t)r.until;
		struct tm tm;
		localtime_r(&t, &tm);
		tm.tm_mday -= DEFAULT_DAYS;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		r.since = (int64_t)mktime(&tm);
	}
	if (r.since >= r.until) {
		return ctl_usage_error("report", "the period ends before it begins");
	}
	if (r.until - r.since > (int64_t)MAX_DAYS * 86400) {
		return ctl_usage_error("report", "the period is longer than %d days", MAX_DAYS);
	}
	if (ctl_db(ctl) == NULL) {
		return CTL_ERROR;
	}
	/* every number of the report from one snapshot of the database */
	int ret = db_begin_read(ctl->db);
	if (ret == 0) {
		ret = report_gather(ctl->db, ctl->region, &r, (int)top);
		db_commit(ctl->db);
	}
	int status = CTL_OK;
	if (ret < 0) {
		status = ctl_fail("could not read the database: %s", strerror(-ret));
	} else if (html != NULL) {
		status = write_html(&r, html);
		if (status == CTL_OK && ctl->json) {
			print_report_json(&r);
		} else if (status == CTL_OK && strcmp(html, "-") != 0) {
			printf("Report written to %s\n", html);
		}
	} else if (ctl->json) {
		print_report_json(&r);
	} else {
		print_text(&r);
	}
	report_finish(&r);
	return status;
}
