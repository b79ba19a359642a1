#ifndef CTID_REPORT_H
#define CTID_REPORT_H

/*
 * The sales manager's report: what ctidctl report gathers from the
 * database for a period, and the self-contained HTML page made of it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "json.h"

struct report_day {
	char date[11]; /* YYYY-MM-DD, local */
	int calls, answered, missed, unknown;
};

struct report_caller {
	int64_t contact_id; /* 0: not a contact */
	char *name;	    /* the contact's name, the formatted number, or "Withheld" */
	char *number;	    /* formatted; NULL when withheld */
	bool withheld;
	int calls, answered, missed, unknown;
	int64_t first, last; /* unanswered callers: their waiting calls */
};

struct report_request {
	int64_t id;
	enum db_note_kind kind;
	int64_t contact_id;
	char *contact, *phone, *text;
	int64_t created;
};

struct report {
	int64_t since, until; /* local midnights; until is the day after the last */
	int64_t generated;
	struct db_call_counts totals;
	struct report_day *days; /* every day of the period, oldest first */
	size_t n_days;
	struct report_caller *top; /* most calls first */
	size_t n_top;
	struct report_caller *unanswered; /* missed or maybe missed, not called back */
	size_t n_unanswered;
	struct report_request *requests; /* open requests and orders, oldest first */
	size_t n_requests;
};

/*
 * Reads the report of the period r->since to r->until (set by the caller,
 * with r->generated) from db: the days, the totals, the top callers (at
 * most top), the unanswered callers and the open requests. Numbers are
 * formatted for region. Returns 0 or -errno; free with report_finish()
 * either way.
 */
int report_gather(struct db *db, const char *region, struct report *r, int top);
void report_finish(struct report *r);

/* The report as ctidctl report --json writes it: since, until, totals,
 * days, top_callers, unanswered, open_requests. */
void report_write_json(struct json_writer *w, const struct report *r);

/* Missed calls as a share of those whose outcome is known; false when
 * there are none. */
bool report_missed_rate(const struct report *r, double *rate);

/* The last day of the period, as "YYYY-MM-DD". */
void report_last_day(const struct report *r, char buf[11]);

/*
 * Writes r as one HTML page to f: inline CSS and SVG, no scripts, nothing
 * fetched; every string from the database is escaped. Returns 0, or -EIO
 * when f reports a write error.
 */
int report_html_write(const struct report *r, FILE *f);

#endif
