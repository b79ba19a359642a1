/* Gathering the sales manager's report (see report.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonout.h"
#include "output.h"
#include "report.h"

static char *dup_or_null(const char *s) {
	return s != NULL ? strdup(s) : NULL;
}

void report_finish(struct report *r) {
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
	struct db *db;
	const char *region;
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
		output_number(e164, number, g->region, formatted, sizeof(formatted));
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
	output_phones(g->db, n->contact_id, g->region, false, phone, sizeof(phone));
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

int report_gather(struct db *db, const char *region, struct report *r, int top) {
	int ret = fill_days(r);
	if (ret == 0) {
		ret = db_call_daily(db, r->since, r->until, take_day, r);
	}
	if (ret == 0) {
		ret = db_call_totals(db, r->since, r->until, &r->totals);
	}
	struct gather g = {.db = db, .region = region, .r = r};
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

void report_write_json(struct json_writer *w, const struct report *r) {
	char t[40], last[11];
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
}
