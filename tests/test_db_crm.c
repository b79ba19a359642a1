/*
 * The database's CRM side on real SQLite files: merging duplicate contacts,
 * the call-back list (missed calls by caller), the counts reports show, and
 * the small queries the CRM commands use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "tap.h"

static char tmpdir[] = "/tmp/ctid-test-crm-XXXXXX";

static struct db *open_db(const char *name) {
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	struct db *db = db_open(path, 0);
	if (db == NULL) {
		tap_diag("could not open %s", path);
		exit(1);
	}
	db_set_region(db, "GB");
	return db;
}

static int64_t add_contact(struct db *db, const char *name, const char *company, const char *email,
			   const char *birthday, const char *phone) {
	struct db_contact c = {.name = name, .company = company, .email = email, .birthday = birthday};
	int64_t id = 0;
	if (db_contact_add(db, &c, &id) < 0 ||
	    (phone != NULL && db_phone_add(db, id, phone, "work", NULL) < 0)) {
		tap_diag("could not add %s", name);
		exit(1);
	}
	return id;
}

static int64_t add_call(struct db *db, int64_t started, const char *number, const char *e164,
			int64_t contact, enum db_call_state state) {
	struct db_call c = {
		.started = started,
		.ended = started + 20,
		.number = number,
		.e164 = e164,
		.withheld = number == NULL ? "private" : NULL,
		.contact_id = contact,
		.rings = 3,
		.state = state,
	};
	int64_t id = 0;
	db_call_add(db, &c, &id);
	return id;
}

/* Collected strings, "a|b|c" each. */
struct strings {
	int n;
	char s[16][160];
};

static int grab_contact(const struct db_contact *c, void *data) {
	struct strings *out = data;
	snprintf(out->s[out->n++ % 16], 160, "%s|%s|%s|%s", c->name, c->company ? c->company : "-",
		 c->email ? c->email : "-", c->birthday ? c->birthday : "-");
	return 0;
}

static int grab_phone(const struct db_phone *p, void *data) {
	struct strings *out = data;
	snprintf(out->s[out->n++ % 16], 160, "%s", p->raw);
	return 0;
}

static int grab_pair(const char *k, const char *v, void *data) {
	struct strings *out = data;
	snprintf(out->s[out->n++ % 16], 160, "%s%s%s", k, v ? "=" : "", v ? v : "");
	return 0;
}

static int grab_note(const struct db_note *n, void *data) {
	struct strings *out = data;
	snprintf(out->s[out->n++ % 16], 160, "%s:%s", db_note_kind_str(n->kind), n->text);
	return 0;
}

static int grab_call(const struct db_call *c, void *data) {
	struct strings *out = data;
	snprintf(out->s[out->n++ % 16], 160, "%lld", (long long)c->contact_id);
	return 0;
}

static int grab_reminder(const struct db_reminder *r, void *data) {
	struct strings *out = data;
	snprintf(out->s[out->n++ % 16], 160, "%s|%lld", r->text, (long long)r->contact_id);
	return 0;
}

static const char *joined(const struct strings *st) {
	static char buf[1024];
	buf[0] = '\0';
	for (int i = 0; i < st->n && i < 16; i++) {
		if (i > 0) {
			strncat(buf, ",", sizeof(buf) - strlen(buf) - 1);
		}
		strncat(buf, st->s[i], sizeof(buf) - strlen(buf) - 1);
	}
	return buf;
}

static void test_merge(void) {
	struct db *db = open_db("merge.db");
	int64_t a =
		add_contact(db, "Ivan Pozdniakov", NULL, "ivan@shop.example", NULL, "020 7946 0018");
	int64_t b = add_contact(db, "I. Pozdniakov", "Shoe Shine Ltd", "ivan@old.example",
				"1971-03-14", "+44 20 7946 0018");
	int64_t other = add_contact(db, "Someone Else", NULL, NULL, NULL, "0113 496 0000");
	db_phone_add(db, b, "07700 900123", "mobile", NULL);
	db_field_set(db, a, "shoe size", "43");
	db_field_set(db, b, "shoe size", "44");
	db_field_set(db, b, "source", "fair 2025");
	db_tag_add(db, a, "vip");
	db_tag_add(db, b, "VIP");
	db_tag_add(db, b, "wholesale");
	db_note_add(db, a, DB_NOTE_NOTE, "prefers mornings", NULL);
	db_note_add(db, b, DB_NOTE_NOTE, "met at the fair", NULL);
	db_note_add(db, b, DB_NOTE_REQUEST, "black shoe cream", NULL);
	db_note_add(db, b, DB_NOTE_ORDER, "Generation P", NULL);
	add_call(db, 1000, "07700900123", "+447700900123", b, DB_CALL_MISSED);
	add_call(db, 2000, "02079460018", "+442079460018", b, DB_CALL_ANSWERED);
	add_call(db, 3000, "01134960000", "+441134960000", other, DB_CALL_ANSWERED);
	db_reminder_add(db, b, 0, 7, 12, true, 2, "Friend's birthday", NULL);
	db_reminder_mark_announced(db, 0, b, "2026-03-14");

	struct db_merge_counts n = {0};
	is_int(db_contact_merge(db, a, a, &n), -EINVAL, "a contact is not merged into itself");
	log_set_level(LOG_SILENT);
	is_int(db_contact_merge(db, a, 424242, &n), -ENOENT, "merging a missing contact says so");
	log_set_level(LOG_WARN);

	/* Inside the caller's transaction the merge is undone with it. */
	db_begin(db);
	is_int(db_contact_merge(db, a, other, NULL), 0, "merge inside a transaction");
	db_rollback(db);
	is_int(db_contact_get(db, other, NULL, NULL), 0, "rolled back with the caller's transaction");

	is_int(db_contact_merge(db, a, b, &n), 0, "duplicate merged");
	is_int(db_contact_get(db, b, NULL, NULL), -ENOENT, "the duplicate is gone");
	ok(n.phones == 1 && n.notes == 3 && n.calls == 2 && n.reminders == 1 && n.fields == 1 &&
		   n.tags == 1 && n.details == 2,
	   "counts: 1 number, 3 notes, 2 calls, 1 reminder, 1 field, 1 tag, 2 details");

	struct strings st = {0};
	db_contact_get(db, a, grab_contact, &st);
	is_str(st.s[0], "Ivan Pozdniakov|Shoe Shine Ltd|ivan@shop.example|1971-03-14",
	       "the kept contact's fields win; the duplicate's fill the empty ones");
	memset(&st, 0, sizeof(st));
	db_phone_foreach(db, a, grab_phone, &st);
	is_str(joined(&st), "020 7946 0018,07700 900123",
	       "numbers move; one both had (in another notation) is kept once");
	memset(&st, 0, sizeof(st));
	db_field_foreach(db, a, grab_pair, &st);
	is_str(joined(&st), "shoe size=43,source=fair 2025",
	       "custom fields move; the kept contact's value wins");
	memset(&st, 0, sizeof(st));
	db_tag_foreach(db, a, grab_pair, &st);
	is_str(joined(&st), "vip,wholesale", "tags move, case-insensitive duplicates once");
	memset(&st, 0, sizeof(st));
	struct db_note_filter nf = {.contact_id = a};
	db_note_foreach(db, &nf, grab_note, &st);
	is_int(st.n, 4, "notes, requests and orders move");
	memset(&st, 0, sizeof(st));
	struct db_note_filter open = {.kinds = 1 << DB_NOTE_REQUEST, .open_only = true};
	db_note_foreach(db, &open, grab_note, &st);
	is_str(joined(&st), "request:black shoe cream", "the open request stays open");
	memset(&st, 0, sizeof(st));
	struct db_call_filter cf = {0};
	db_call_foreach(db, &cf, grab_call, &st);
	char want[64];
	snprintf(want, sizeof(want), "%lld,%lld,%lld", (long long)other, (long long)a, (long long)a);
	is_str(joined(&st), want, "the duplicate's calls are the kept contact's");
	memset(&st, 0, sizeof(st));
	db_reminder_foreach_due(db, a, 2026, 7, 10, -1, grab_reminder, &st);
	snprintf(want, sizeof(want), "Friend's birthday|%lld", (long long)a);
	is_str(joined(&st), want, "reminders move");
	is_int(db_reminder_mark_announced(db, 0, a, "2026-03-14"), 1,
	       "a birthday already announced for the duplicate is not announced again");

	struct db_match m;
	db_lookup(db, "07700 900123", &m);
	is_int(m.contact_id, a, "the duplicate's number now finds the kept contact");
	memset(&st, 0, sizeof(st));
	db_contact_search(db, "shoe shine", 10, grab_contact, &st);
	ok(st.n == 1 && strncmp(st.s[0], "Ivan Pozdniakov|", 16) == 0,
	   "search finds the kept contact by the company it took over");
	memset(&st, 0, sizeof(st));
	db_contact_search(db, "fair", 10, grab_contact, &st);
	ok(st.n == 1 && strncmp(st.s[0], "Ivan Pozdniakov|", 16) == 0,
	   "and by the text of the notes it took over");
	db_close(db);
}

struct missed_entry {
	char who[64];
	int calls, missed, unknown;
	int64_t first, last, called_back;
	int64_t first_id;
};

struct missed_list {
	int n;
	struct missed_entry m[16];
};

static int grab_missed(const struct db_missed *g, void *data) {
	struct missed_list *l = data;
	if (l->n >= 16) {
		return 0;
	}
	struct missed_entry *e = &l->m[l->n++];
	snprintf(e->who, sizeof(e->who), "%s",
		 g->contact_name ? g->contact_name
		 : g->withheld	 ? "withheld"
		 : g->e164	 ? g->e164
				 : g->number);
	e->calls = g->calls;
	e->missed = g->missed;
	e->unknown = g->unknown;
	e->first = g->first;
	e->last = g->last;
	e->called_back = g->called_back;
	e->first_id = g->n_call_ids > 0 ? g->call_ids[0] : 0;
	return 0;
}

static const char *order(const struct missed_list *l) {
	static char buf[512];
	buf[0] = '\0';
	for (int i = 0; i < l->n; i++) {
		char part[96];
		snprintf(part, sizeof(part), "%s%s:%d", i ? "," : "", l->m[i].who, l->m[i].calls);
		strncat(buf, part, sizeof(buf) - strlen(buf) - 1);
	}
	return buf;
}

static const struct missed_entry *find(const struct missed_list *l, const char *who) {
	for (int i = 0; i < l->n; i++) {
		if (strcmp(l->m[i].who, who) == 0) {
			return &l->m[i];
		}
	}
	return NULL;
}

static void test_missed(void) {
	struct db *db = open_db("missed.db");
	int64_t x = add_contact(db, "Xenia Client", NULL, NULL, NULL, "01632 960100");
	int64_t x1 = add_call(db, 1000, "01632960100", "+441632960100", x, DB_CALL_MISSED);
	add_call(db, 1100, "01632960200", "+441632960200", 0, DB_CALL_MISSED);
	add_call(db, 1200, "01632960100", "+441632960100", x, DB_CALL_MISSED);
	add_call(db, 1300, NULL, NULL, 0, DB_CALL_MISSED);
	add_call(db, 1350, NULL, NULL, 0, DB_CALL_UNKNOWN);
	add_call(db, 1400, "01632960300", "+441632960300", 0, DB_CALL_UNKNOWN);
	add_call(db, 1500, "01632960400", "+441632960400", 0, DB_CALL_MISSED);
	add_call(db, 1600, "01632960400", "+441632960400", 0, DB_CALL_ANSWERED);
	int64_t handled = add_call(db, 1700, "01632960100", "+441632960100", x, DB_CALL_MISSED);
	db_call_mark_handled(db, handled, 1750);
	add_call(db, 1800, "01632960600", "+441632960600", 0, DB_CALL_RINGING);
	add_call(db, 1900, "5550123", NULL, 0, DB_CALL_MISSED); /* no region when logged */
	/* A stranger then, saved as a contact since. */
	add_call(db, 900, "01632960500", "+441632960500", 0, DB_CALL_MISSED);
	add_contact(db, "Yuri Since", NULL, NULL, NULL, "+44 1632 960500");

	struct missed_list l = {0};
	struct db_missed_filter f = {0};
	is_int(db_missed_foreach(db, &f, grab_missed, &l), 0, "call-back list read");
	is_str(order(&l),
	       "Yuri Since:1,Xenia Client:2,+441632960200:1,5550123:1,+441632960400:1,withheld:1",
	       "grouped by caller: waiting oldest first, then those reached, withheld last");
	ok(l.m[1].first == 1000 && l.m[1].last == 1200 && l.m[1].called_back == 0 &&
		   l.m[1].first_id == x1,
	   "a group has its first and last time, its calls, and nobody called back");
	ok(l.m[4].called_back == 1600, "a later answered call counts as called back");
	ok(l.m[0].calls == 1 && strcmp(l.m[0].who, "Yuri Since") == 0,
	   "a number saved as a contact since is listed by name");

	memset(&l, 0, sizeof(l));
	f.unknown = true;
	db_missed_foreach(db, &f, grab_missed, &l);
	is_str(order(&l),
	       "Yuri Since:1,Xenia Client:2,+441632960200:1,+441632960300:1,5550123:1,"
	       "+441632960400:1,withheld:2",
	       "with unknown calls: maybe-missed callers join the list");
	ok(l.m[3].unknown == 1 && l.m[3].missed == 0, "a caller only maybe missed says so");
	ok(l.m[6].missed == 1 && l.m[6].unknown == 1, "withheld calls are one group");

	/* A call-back after the last missed call reaches the caller; a new
	 * missed call after it puts them back on the list. */
	db_call_mark_called_back(db, x1, 1250);
	memset(&l, 0, sizeof(l));
	f.unknown = false;
	db_missed_foreach(db, &f, grab_missed, &l);
	ok(strcmp(l.m[l.n - 3].who, "Xenia Client") == 0 && l.m[l.n - 3].called_back == 1250 &&
		   l.m[l.n - 3].calls == 1,
	   "called back (called_back set) after the last missed call: reached");
	add_call(db, 2000, "01632960100", "+441632960100", x, DB_CALL_MISSED);
	memset(&l, 0, sizeof(l));
	db_missed_foreach(db, &f, grab_missed, &l);
	const struct missed_entry *xe = find(&l, "Xenia Client");
	ok(xe != NULL && xe->called_back == 0 && xe->first == 1200 && xe->last == 2000 &&
		   xe < &l.m[l.n - 2],
	   "missed again after the call-back: waiting again");
	int64_t waiting = -1, summed = 0;
	for (int i = 0; i < l.n; i++) {
		summed += l.m[i].calls;
	}
	int counted = db_missed_count(db, &waiting);
	ok(counted == 0 && waiting == summed && summed > 0,
	   "the count of calls waiting is the list's, summed (%lld, %lld)", (long long)waiting,
	   (long long)summed);

	memset(&l, 0, sizeof(l));
	struct db_missed_filter range = {.since = 1100, .until = 1500};
	db_missed_foreach(db, &range, grab_missed, &l);
	is_str(order(&l), "+441632960200:1,Xenia Client:1,withheld:1",
	       "since and until narrow the calls considered");
	db_close(db);
}

/* Calls placed from the office (a FRITZ!Box reports them): one nobody
 * answered is no missed call, one answered reaches the caller. */
static void test_missed_outgoing(void) {
	struct db *db = open_db("outgoing.db");
	add_call(db, 1000, "01632960100", "+441632960100", 0, DB_CALL_MISSED);
	struct db_call out = {
		.started = 1100,
		.ended = 1110,
		.number = "01632960900",
		.e164 = "+441632960900",
		.state = DB_CALL_UNKNOWN,
		.outgoing = true,
		.answered_by = "11",
	};
	int64_t id = 0;
	is_int(db_call_add(db, &out, &id), 0, "an outgoing call nobody answered is logged");
	struct missed_list l = {0};
	struct db_missed_filter f = {.unknown = true};
	db_missed_foreach(db, &f, grab_missed, &l);
	is_str(order(&l), "+441632960100:1",
	       "it is not on the call-back list, even with the calls that may be missed");
	out.started = 1200;
	out.number = "01632960100";
	out.e164 = "+441632960100";
	out.state = DB_CALL_ANSWERED;
	db_call_add(db, &out, &id);
	memset(&l, 0, sizeof(l));
	db_missed_foreach(db, &f, grab_missed, &l);
	ok(l.n == 1 && l.m[0].called_back == 1200,
	   "a call placed to a caller who missed us and answered: called back");
	db_close(db);
}

struct counts_list {
	int n;
	char s[16][96];
};

static int grab_day(const struct db_call_counts *c, void *data) {
	struct counts_list *l = data;
	snprintf(l->s[l->n++ % 16], 96, "%s %d/%d/%d/%d", c->date, c->calls, c->answered, c->missed,
		 c->unknown);
	return 0;
}

static int grab_caller(const struct db_caller_counts *c, void *data) {
	struct counts_list *l = data;
	snprintf(l->s[l->n++ % 16], 96, "%s %d/%d/%d/%d",
		 c->contact_name ? c->contact_name
		 : c->withheld	 ? "withheld"
				 : c->e164,
		 c->counts.calls, c->counts.answered, c->counts.missed, c->counts.unknown);
	return 0;
}

static void test_stats(void) {
	struct db *db = open_db("stats.db");
	int64_t x = add_contact(db, "Top Client", NULL, NULL, NULL, "01632 960100");
	const int64_t day = 86400, d1 = 1772409600; /* 2026-03-02 00:00 UTC */
	add_call(db, d1 - 60, "01632960100", "+441632960100", x, DB_CALL_ANSWERED);
	add_call(db, d1 + 9 * 3600, "01632960100", "+441632960100", x, DB_CALL_ANSWERED);
	add_call(db, d1 + 10 * 3600, "01632960100", "+441632960100", x, DB_CALL_MISSED);
	add_call(db, d1 + 11 * 3600, "01632960200", "+441632960200", 0, DB_CALL_UNKNOWN);
	add_call(db, d1 + 2 * day + 3600, NULL, NULL, 0, DB_CALL_MISSED);
	add_call(db, d1 + 2 * day + 7200, "01632960100", "+441632960100", x, DB_CALL_RINGING);
	add_call(db, d1 + 3 * day, "01632960200", "+441632960200", 0, DB_CALL_ANSWERED);

	struct counts_list l = {0};
	db_call_daily(db, d1, d1 + 3 * day, grab_day, &l);
	ok(l.n == 2 && strcmp(l.s[0], "2026-03-02 3/1/1/1") == 0 &&
		   strcmp(l.s[1], "2026-03-04 2/0/1/1") == 0,
	   "calls per local day in [since, until), a call still ringing as unknown");
	struct db_call_counts t;
	db_call_totals(db, d1, d1 + 3 * day, &t);
	ok(t.calls == 5 && t.answered == 1 && t.missed == 2 && t.unknown == 2 && t.date == NULL,
	   "totals of the period");
	db_call_totals(db, 0, 0, &t);
	is_int(t.calls, 7, "an open period counts every call");

	memset(&l, 0, sizeof(l));
	db_call_top_callers(db, d1, d1 + 4 * day, 2, grab_caller, &l);
	ok(l.n == 2 && strcmp(l.s[0], "Top Client 3/1/1/1") == 0 &&
		   strcmp(l.s[1], "+441632960200 2/1/0/1") == 0,
	   "top callers, most calls first, up to the limit");
	db_close(db);
}

static int grab_age(const struct db_reminder *r, void *data) {
	struct strings *out = data;
	snprintf(out->s[out->n++ % 16], 160, "%s|%d|%d", r->text, r->age, r->birthday);
	return 0;
}

static void test_queries(void) {
	struct db *db = open_db("queries.db");
	int64_t c = add_contact(db, "Query Client", NULL, NULL, "1971-03-14", "01632 960100");
	int64_t req = 0;
	db_note_add(db, c, DB_NOTE_REQUEST, "black shoe cream", &req);
	struct strings st = {0};
	is_int(db_note_get(db, req, grab_note, &st), 0, "db_note_get finds a note by id");
	is_str(st.s[0], "request:black shoe cream", "with its kind and text");
	is_int(db_note_get(db, 424242, grab_note, &st), -ENOENT, "and says when there is none");

	add_call(db, 1000, "01632960100", "+441632960100", c, DB_CALL_ANSWERED);
	add_call(db, 2000, "01632960100", "+441632960100", c, DB_CALL_MISSED);
	add_call(db, 3000, "01632960100", "+441632960100", c, DB_CALL_UNKNOWN);
	add_call(db, 4000, "01632960100", "+441632960100", c, DB_CALL_MISSED);
	memset(&st, 0, sizeof(st));
	struct db_call_filter f = {.since = 2000, .until = 4000};
	db_call_foreach(db, &f, grab_call, &st);
	is_int(st.n, 2, "until excludes calls from that time on");
	memset(&st, 0, sizeof(st));
	f = (struct db_call_filter){.states = 1 << DB_CALL_MISSED | 1 << DB_CALL_UNKNOWN};
	db_call_foreach(db, &f, grab_call, &st);
	is_int(st.n, 3, "states picks calls by state");
	memset(&st, 0, sizeof(st));
	f = (struct db_call_filter){.states = 1 << 7};
	db_call_foreach(db, &f, grab_call, &st);
	is_int(st.n, 0, "a state that does not exist matches nothing");

	/* The telco dropped the area code of a number saved since: it is
	 * matched by its suffix, as the daemon would match it now. */
	add_call(db, 5000, "79460555", NULL, 0, DB_CALL_MISSED);
	add_call(db, 5100, "4960555", NULL, 0, DB_CALL_MISSED); /* 7 digits, but no one's */
	add_contact(db, "Zoe Suffix", NULL, NULL, NULL, "020 7946 0555");
	struct missed_list l = {0};
	struct db_missed_filter mf = {.since = 5000};
	db_missed_foreach(db, &mf, grab_missed, &l);
	ok(l.n == 2 && strcmp(l.m[0].who, "Zoe Suffix") == 0 && strcmp(l.m[1].who, "4960555") == 0,
	   "a number matched by its suffix joins the contact saved since");

	memset(&st, 0, sizeof(st));
	db_reminder_foreach_due(db, c, 2026, 3, 13, -1, grab_age, &st);
	is_str(st.s[0], "Birthday (55)|55|1", "a birthday with a year says the age it brings");
	db_close(db);
}

int main(void) {
	log_init("test_db_crm", LOG_WARN);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_merge();
	test_missed();
	test_missed_outgoing();
	test_stats();
	test_queries();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0) {
		tap_diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
