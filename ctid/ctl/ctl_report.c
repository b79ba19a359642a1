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

static char *dup_or_null(const char *s) {
	return s != NULL ? strdup(s) : NULL;
}

static void report_finish(struct report *r) {
	for (size_t i = 0; i < r->n_top; i++) {
		free(r->top[i].name);
		free(r->top[i].number);
	}
	for (size_t i = 0; i < r->n_unanswered; i++) {
		free(r->unanswered[i].name);
		free(r->unanswered[i].number);
	}
	for (size_t i = 0; i < r->n_requests; i++) {
		free(r->requests[i].contact);
		free(r->requests[i].phone);
		free(r->requests[i].text);
	}
	free(r->days);
	free(r->top);
	free(r->unanswered);
	free(r->requests);
}

struct gather {
	struct ctl *ctl;
	struct report *r;
	size_t cap;
	int limit;
	bool oom;
};

static int64_t next_midnight(int64_t t) {
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* Every day of the period, so days without calls show as such. */
static int fill_days(struct report *r) {
	size_t cap = 0;
	for (int64_t t = r->since; t < r->until; t = next_midnight(t)) {
		if (r->n_days == cap) {
			cap = cap ? cap * 2 : 64;
			struct report_day *d = realloc(r->days, cap * sizeof(*d));
			if (d == NULL) {
				return -ENOMEM;
			}
			r->days = d;
		}
		struct report_day *d = &r->days[r->n_days++];
		memset(d, 0, sizeof(*d));
		time_t tt = (time_t)t;
		struct tm tm;
		localtime_r(&tt, &tm);
		strftime(d->date, sizeof(d->date), "%Y-%m-%d", &tm);
	}
	return 0;
}

static int take_day(const struct db_call_counts *c, void *data) {
	struct report *r = data;
	for (size_t i = 0; i < r->n_days; i++) {
		if (strcmp(r->days[i].date, c->date) == 0) {
			r->days[i].calls = c->calls;
			r->days[i].answered = c->answered;
			r->days[i].missed = c->missed;
			r->days[i].unknown = c->unknown;
		}
	}
	return 0;
}

static bool caller_init(struct gather *g, struct report_caller *c, int64_t contact_id,
			const char *contact_name, const char *number, const char *e164,
			bool withheld) {
	char formatted[64] = "";
	if (!withheld) {
		output_number(e164, number, g->ctl->region, formatted, sizeof(formatted));
	}
	c->contact_id = contact_id;
	c->withheld = withheld;
	c->name = strdup(contact_name != NULL ? contact_name : withheld ? "Withheld" : formatted);
	c->number = withheld ? NULL : strdup(formatted);
	return c->name != NULL && (withheld || c->number != NULL);
}

static struct report_caller *push_caller(struct gather *g, struct report_caller **v, size_t *n) {
	if (*n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct report_caller *nv = realloc(*v, cap * sizeof(**v));
		if (nv == NULL) {
			g->oom = true;
			return NULL;
		}
		*v = nv;
		g->cap = cap;
	}
	struct report_caller *c = &(*v)[(*n)++];
	memset(c, 0, sizeof(*c));
	return c;
}

static int take_top(const struct db_caller_counts *t, void *data) {
	struct gather *g = data;
	struct report_caller *c = push_caller(g, &g->r->top, &g->r->n_top);
	if (c == NULL ||
	    !caller_init(g, c, t->contact_id, t->contact_name, t->number, t->e164, t->withheld)) {
		g->oom = true;
		return 1;
	}
	c->calls = t->counts.calls;
	c->answered = t->counts.answered;
	c->missed = t->counts.missed;
	c->unknown = t->counts.unknown;
	c->last = t->last;
	return 0;
}

static int take_unanswered(const struct db_missed *m, void *data) {
	struct gather *g = data;
	if (m->called_back != 0) {
		return 0;
	}
	struct report_caller *c = push_caller(g, &g->r->unanswered, &g->r->n_unanswered);
	if (c == NULL ||
	    !caller_init(g, c, m->contact_id, m->contact_name, m->number, m->e164, m->withheld)) {
		g->oom = true;
		return 1;
	}
	c->calls = m->calls;
	c->missed = m->missed;
	c->unknown = m->unknown;
	c->first = m->first;
	c->last = m->last;
	return 0;
}

static int take_request(const struct db_note *n, void *data) {
	struct gather *g = data;
	struct report *r = g->r;
	if (r->n_requests == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct report_request *v = realloc(r->requests, cap * sizeof(*v));
		if (v == NULL) {
			g->oom = true;
			return 1;
		}
		r->requests = v;
		g->cap = cap;
	}
	char phone[128];
	ctl_phones_text(g->ctl, n->contact_id, false, phone, sizeof(phone));
	struct report_request *q = &r->requests[r->n_requests++];
	*q = (struct report_request){
		.id = n->id,
		.kind = n->kind,
		.contact_id = n->contact_id,
		.contact = dup_or_null(n->contact_name),
		.phone = phone[0] ? strdup(phone) : NULL,
		.text = dup_or_null(n->text),
		.created = n->created,
	};
	g->oom |= q->contact == NULL || q->text == NULL;
	return g->oom ? 1 : 0;
}

static int gather(struct ctl *ctl, struct report *r, int top) {
	struct db *db = ctl->db;
	int ret = fill_days(r);
	if (ret == 0) {
		ret = db_call_daily(db, r->since, r->until, take_day, r);
	}
	if (ret == 0) {
		ret = db_call_totals(db, r->since, r->until, &r->totals);
	}
	struct gather g = {.ctl = ctl, .r = r};
	if (ret == 0) {
		ret = db_call_top_callers(db, r->since, r->until, top, take_top, &g);
	}
	if (ret == 0 && !g.oom) {
		g.cap = 0;
		struct db_missed_filter f = {.unknown = true, .since = r->since, .until = r->until};
		ret = db_missed_foreach(db, &f, take_unanswered, &g);
	}
	if (ret == 0 && !g.oom) {
		g.cap = 0;
		struct db_note_filter f = {
			.kinds = 1 << DB_NOTE_REQUEST | 1 << DB_NOTE_ORDER,
			.open_only = true,
		};
		ret = db_note_foreach(db, &f, take_request, &g);
	}
	/* waiting longest first */
	for (size_t i = 0; i < r->n_requests / 2; i++) {
		struct report_request tmp = r->requests[i];
		r->requests[i] = r->requests[r->n_requests - 1 - i];
		r->requests[r->n_requests - 1 - i] = tmp;
	}
	return ret == 0 && g.oom ? -ENOMEM : ret;
}

static void json_caller(struct json_writer *w, const struct report_caller *c, bool waiting) {
	char t[40];
	json_object_begin(w);
	json_key(w, "contact");
	jsonout_contact(w, c->contact_id, c->contact_id > 0 ? c->name : NULL);
	json_key(w, "name");
	json_string(w, c->name);
	json_key(w, "number");
	json_string(w, c->number);
	json_key(w, "withheld");
	json_bool(w, c->withheld);
	json_key(w, "calls");
	json_int(w, c->calls);
	if (!waiting) {
		json_key(w, "answered");
		json_int(w, c->answered);
	}
	json_key(w, "missed");
	json_int(w, c->missed);
	json_key(w, "unknown");
	json_int(w, c->unknown);
	if (waiting) {
		output_iso_time(c->first, t, sizeof(t));
		json_key(w, "first");
		json_string(w, t);
	}
	output_iso_time(c->last, t, sizeof(t));
	json_key(w, "last");
	json_string(w, t);
	json_object_end(w);
}

static void print_json(const struct report *r) {
	struct json_writer jw;
	struct json_writer *w = &jw;
	char t[40], last[11];
	json_init(w, stdout);
	json_object_begin(w);
	json_key(w, "since");
	json_string(w, r->n_days > 0 ? r->days[0].date : NULL);
	report_last_day(r, last);
	json_key(w, "until");
	json_string(w, last);
	json_key(w, "totals");
	json_object_begin(w);
	json_key(w, "calls");
	json_int(w, r->totals.calls);
	json_key(w, "answered");
	json_int(w, r->totals.answered);
	json_key(w, "missed");
	json_int(w, r->totals.missed);
	json_key(w, "unknown");
	json_int(w, r->totals.unknown);
	double rate;
	json_key(w, "missed_rate");
	if (report_missed_rate(r, &rate)) {
		json_double(w, rate);
	} else {
		json_null(w);
	}
	json_object_end(w);
	json_key(w, "days");
	json_array_begin(w);
	for (size_t i = 0; i < r->n_days; i++) {
		const struct report_day *d = &r->days[i];
		json_object_begin(w);
		json_key(w, "date");
		json_string(w, d->date);
		json_key(w, "calls");
		json_int(w, d->calls);
		json_key(w, "answered");
		json_int(w, d->answered);
		json_key(w, "missed");
		json_int(w, d->missed);
		json_key(w, "unknown");
		json_int(w, d->unknown);
		json_object_end(w);
	}
	json_array_end(w);
	json_key(w, "top_callers");
	json_array_begin(w);
	for (size_t i = 0; i < r->n_top; i++) {
		json_caller(w, &r->top[i], false);
	}
	json_array_end(w);
	json_key(w, "unanswered");
	json_array_begin(w);
	for (size_t i = 0; i < r->n_unanswered; i++) {
		json_caller(w, &r->unanswered[i], true);
	}
	json_array_end(w);
	json_key(w, "open_requests");
	json_array_begin(w);
	for (size_t i = 0; i < r->n_requests; i++) {
		const struct report_request *q = &r->requests[i];
		output_iso_time(q->created, t, sizeof(t));
		json_object_begin(w);
		json_key(w, "id");
		json_int(w, q->id);
		json_key(w, "kind");
		json_string(w, db_note_kind_str(q->kind));
		json_key(w, "contact");
		jsonout_contact(w, q->contact_id, q->contact);
		json_key(w, "phone");
		json_string(w, q->phone);
		json_key(w, "text");
		json_string(w, q->text);
		json_key(w, "created");
		json_string(w, t);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
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

/* Writes the page next to path, then renames it over path: a reader never
 * sees half a report. */
static int write_html(const struct report *r, const char *path) {
	if (strcmp(path, "-") == 0) {
		int ret = report_html_write(r, stdout);
		return ret < 0 || fflush(stdout) != 0 ? ctl_fail("could not write the report")
						      : CTL_OK;
	}
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		return ctl_fail("the path %s is too long", path);
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		return ctl_fail("could not write %s: %s", path, strerror(errno));
	}
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(tmp);
		return ctl_fail("could not write %s: %s", path, strerror(errno));
	}
	/* mode 0600 from mkstemp, as the database: the page names clients */
	int ret = report_html_write(r, f);
	int err = ferror(f) || ret < 0 ? EIO : 0;
	if (fclose(f) != 0 && err == 0) {
		err = errno;
	}
	if (err == 0 && rename(tmp, path) < 0) {
		err = errno;
	}
	if (err != 0) {
		unlink(tmp);
		return ctl_fail("could not write %s: %s", path, strerror(err));
	}
	return CTL_OK;
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
			if (!ctl_parse_since(optarg, &r.since)) {
				return ctl_usage_error("report", "bad date '%s'", optarg);
			}
			break;
		case OPT_UNTIL:
			if (!ctl_parse_until(optarg, &r.until)) {
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
		ctl_parse_until("today", &r.until);
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
		ret = gather(ctl, &r, (int)top);
		db_commit(ctl->db);
	}
	int status = CTL_OK;
	if (ret < 0) {
		status = ctl_fail("could not read the database: %s", strerror(-ret));
	} else if (html != NULL) {
		status = write_html(&r, html);
		if (status == CTL_OK && ctl->json) {
			print_json(&r);
		} else if (status == CTL_OK && strcmp(html, "-") != 0) {
			printf("Report written to %s\n", html);
		}
	} else if (ctl->json) {
		print_json(&r);
	} else {
		print_text(&r);
	}
	report_finish(&r);
	return status;
}
