/*
 * Calls grouped by caller: the call-back list (unhandled missed calls) and
 * the numbers a report shows.
 *
 * A caller is a contact, else a number (E.164 when known, else as sent),
 * else "withheld" (withheld markers and calls without a number, together).
 * Calls logged while their number belonged to nobody are matched again, as
 * the daemon would match them today, so a stranger who has since been saved
 * as a contact is listed by name with their other calls.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_private.h"
#include "log.h"
#include "phone.h"

enum caller_kind {
	CALLER_CONTACT,
	CALLER_NUMBER,
	CALLER_WITHHELD,
};

struct row {
	int64_t id, started, called_back;
	enum db_call_state state;
	enum caller_kind kind;
	int64_t contact_id;
	char *name; /* the contact's */
	char *number;
	char *e164;
	const char *key; /* a number caller's: e164, else number */
};

struct rows {
	struct row *v;
	size_t n, cap;
};

#define ROW_COLS                                                                          \
	"SELECT k.id, k.started, k.called_back, k.state, k.contact_id, c.name, k.number," \
	" k.e164, k.withheld FROM calls k LEFT JOIN contacts c ON c.id = k.contact_id"

static void rows_finish(struct rows *r) {
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].number);
		free(r->v[i].e164);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static char *dup_column(sqlite3_stmt *s, int col, bool *oom) {
	const char *text = db_column_text(s, col);
	if (text == NULL) {
		return NULL;
	}
	char *copy = strdup(text);
	*oom |= copy == NULL;
	return copy;
}

static void row_classify(struct row *w, bool withheld) {
	if (w->contact_id > 0) {
		w->kind = CALLER_CONTACT;
	} else if (withheld || (w->number == NULL && w->e164 == NULL)) {
		w->kind = CALLER_WITHHELD;
	} else {
		w->kind = CALLER_NUMBER;
		w->key = w->e164 != NULL ? w->e164 : w->number;
	}
}

/* Adds the row of a ROW_COLS query to the struct rows at data. */
static int row_read(sqlite3_stmt *s, void *data) {
	struct rows *r = data;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct row *v = realloc(r->v, cap * sizeof(*v));
		if (v == NULL) {
			return -ENOMEM;
		}
		r->v = v;
		r->cap = cap;
	}
	struct row *w = &r->v[r->n++];
	memset(w, 0, sizeof(*w));
	bool oom = false;
	w->id = sqlite3_column_int64(s, 0);
	w->started = sqlite3_column_int64(s, 1);
	w->called_back = sqlite3_column_int64(s, 2);
	w->state = DB_CALL_UNKNOWN;
	db_call_state_parse(db_column_text(s, 3), &w->state);
	w->contact_id = sqlite3_column_int64(s, 4);
	w->name = dup_column(s, 5, &oom);
	w->number = dup_column(s, 6, &oom);
	w->e164 = dup_column(s, 7, &oom);
	if (oom) {
		return -ENOMEM;
	}
	row_classify(w, sqlite3_column_type(s, 8) != SQLITE_NULL);
	return 0;
}

/* Reads every row of a ROW_COLS query into r. */
static int rows_read(struct db *db, sqlite3_stmt *s, struct rows *r) {
	return db_walk(db, s, row_read, r, NULL);
}

/*
 * A walk reads many statements (the calls, then lookups and a query per
 * caller): in one read transaction they agree with each other, and SQLite
 * does not open and close one around every statement.
 */
/* Runs a ROW_COLS query with optional ?1 since and ?2 until. */
static int rows_query(struct db *db, const char *sql, int64_t since, int64_t until,
		      const char *lines, struct rows *r) {
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		log_error("Could not read the call log in %s: %s", db->path, sqlite3_errmsg(db->sql));
		return db_errno(rc);
	}
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, until > 0 ? until : INT64_MAX);
	if (lines != NULL) {
		char *list = db_lines_param(lines);
		sqlite3_bind_text(s, 3, list, -1, free);
	}
	int ret = rows_read(db, s, r);
	sqlite3_finalize(s);
	return ret;
}

static int row_cmp(const void *a, const void *b) {
	const struct row *x = a, *y = b;
	if (x->kind != y->kind) {
		return x->kind < y->kind ? -1 : 1;
	}
	if (x->kind == CALLER_CONTACT && x->contact_id != y->contact_id) {
		return x->contact_id < y->contact_id ? -1 : 1;
	}
	if (x->kind == CALLER_NUMBER) {
		int c = strcmp(x->key, y->key);
		if (c != 0) {
			return c;
		}
	}
	if (x->started != y->started) {
		return x->started < y->started ? -1 : 1;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool same_caller(const struct row *x, const struct row *y) {
	if (x->kind != y->kind) {
		return false;
	}
	switch (x->kind) {
	case CALLER_CONTACT:
		return x->contact_id == y->contact_id;
	case CALLER_NUMBER:
		return strcmp(x->key, y->key) == 0;
	default:
		return true;
	}
}

/* The end of the group of callers that starts at row i. */
static size_t group_end(const struct rows *r, size_t i) {
	size_t j = i + 1;
	while (j < r->n && same_caller(&r->v[i], &r->v[j])) {
		j++;
	}
	return j;
}

/*
 * Whether some stored number ends with the same min_suffix digits as
 * number. Every match db_lookup() makes (same E.164, same digits, either
 * number ending with the other) needs that, and this is one probe of the
 * rdigits index, where db_lookup() makes up to a dozen, each with DISTINCT
 * and so a temporary b-tree: over a year's strangers the difference is
 * most of the time a report takes.
 */
static int may_match(struct db *db, sqlite3_stmt **s, const char *number, bool *maybe) {
	*maybe = false;
	struct phone_number pn;
	if (phone_normalize(number, db->region, &pn) < 0 || pn.withheld || pn.service ||
	    strlen(pn.digits) < (size_t)db->min_suffix) {
		return 0; /* db_lookup() matches none of these */
	}
	char low[PHONE_DIGITS_MAX + 1], high[PHONE_DIGITS_MAX + 2];
	phone_reverse(pn.digits, low, sizeof(low));
	low[db->min_suffix] = '\0';
	snprintf(high, sizeof(high), "%s:", low); /* ':' sorts right after '9' */
	if (*s == NULL) {
		int rc = sqlite3_prepare_v2(db->sql,
					    "SELECT 1 FROM phones WHERE rdigits >= ?1 AND rdigits < ?2"
					    " LIMIT 1",
					    -1, s, NULL);
		if (rc != SQLITE_OK) {
			log_error("Lookup in %s: %s", db->path, sqlite3_errmsg(db->sql));
			return db_errno(rc);
		}
	}
	sqlite3_reset(*s);
	sqlite3_bind_text(*s, 1, low, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(*s, 2, high, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(*s);
	sqlite3_reset(*s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_error("Lookup in %s: %s", db->path, sqlite3_errmsg(db->sql));
		return db_errno(rc);
	}
	*maybe = rc == SQLITE_ROW;
	return 0;
}

/* Sorts the rows into groups, matching numbers nobody had to contacts. */
static int rows_group(struct db *db, struct rows *r) {
	if (r->n == 0) {
		return 0; /* r->v is NULL, which qsort() may not be given */
	}
	qsort(r->v, r->n, sizeof(*r->v), row_cmp);
	bool changed = false;
	sqlite3_stmt *probe = NULL;
	int ret = 0;
	for (size_t i = 0; i < r->n && ret == 0;) {
		size_t j = group_end(r, i);
		bool maybe = false;
		if (r->v[i].kind == CALLER_NUMBER) {
			ret = may_match(db, &probe, r->v[i].key, &maybe);
		}
		if (ret == 0 && maybe) {
			struct db_match m;
			if ((ret = db_lookup(db, r->v[i].key, &m)) < 0) {
				break;
			}
			for (size_t k = i; k < j && m.contact_id > 0; k++) {
				struct row *w = &r->v[k];
				w->kind = CALLER_CONTACT;
				w->contact_id = m.contact_id;
				w->key = NULL;
				w->name = strdup(m.name);
				if (w->name == NULL) {
					ret = -ENOMEM;
					break;
				}
				changed = true;
			}
		}
		i = j;
	}
	sqlite3_finalize(probe);
	if (ret < 0) {
		return ret;
	}
	if (changed) {
		qsort(r->v, r->n, sizeof(*r->v), row_cmp);
	}
	return 0;
}

static void count_state(struct db_call_counts *c, enum db_call_state state) {
	c->calls++;
	if (state == DB_CALL_ANSWERED) {
		c->answered++;
	} else if (state == DB_CALL_MISSED) {
		c->missed++;
	} else {
		c->unknown++;
	}
}

/* Whether a caller was reached after a time: answered later, or called
 * back. ?1 names the caller, ?2 is the time. */
#define REACHED                                                                       \
	"SELECT min(CASE WHEN state = 'answered' AND started > ?2 THEN started END)," \
	" min(CASE WHEN called_back >= ?2 THEN called_back END) FROM calls WHERE "
enum reached_by {
	REACHED_CONTACT, /* ?1 a contact: their calls, and calls from their numbers */
	REACHED_E164,	 /* ?1 an E.164 number */
	REACHED_NUMBER,	 /* ?1 a number as sent, when it has no E.164 */
};

static const char *const reached_sql[] = {
	[REACHED_CONTACT] = REACHED "contact_id = ?1 UNION ALL " REACHED "e164 IS NOT NULL AND e164 IN"
				    " (SELECT e164 FROM phones WHERE contact_id = ?1)",
	[REACHED_E164] = REACHED "e164 = ?1",
	[REACHED_NUMBER] = REACHED "number = ?1 AND e164 IS NULL",
};

/* The reached_sql statements of one walk, prepared on first use. */
struct reached {
	sqlite3_stmt *stmts[3];
};

static void reached_finish(struct reached *r) {
	for (int i = 0; i < 3; i++) {
		sqlite3_finalize(r->stmts[i]);
	}
}

static int reached_after(struct db *db, struct reached *r, const struct row *w, int64_t after,
			 int64_t *when) {
	*when = 0;
	if (w->kind == CALLER_WITHHELD) {
		return 0; /* nobody can call a withheld number back */
	}
	enum reached_by which = w->kind == CALLER_CONTACT ? REACHED_CONTACT
				: w->e164 != NULL	  ? REACHED_E164
							  : REACHED_NUMBER;
	sqlite3_stmt *s = r->stmts[which];
	if (s == NULL) {
		int rc = sqlite3_prepare_v2(db->sql, reached_sql[which], -1, &s, NULL);
		if (rc != SQLITE_OK) {
			log_error("Could not read the call log in %s: %s", db->path,
				  sqlite3_errmsg(db->sql));
			return db_errno(rc);
		}
		r->stmts[which] = s;
	}
	sqlite3_reset(s);
	if (w->kind == CALLER_CONTACT) {
		sqlite3_bind_int64(s, 1, w->contact_id);
	} else {
		db_bind_text(s, 1, w->key);
	}
	sqlite3_bind_int64(s, 2, after);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int col = 0; col < 2; col++) {
			int64_t t = sqlite3_column_int64(s, col);
			if (sqlite3_column_type(s, col) != SQLITE_NULL && (*when == 0 || t < *when)) {
				*when = t;
			}
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("Database %s: %s", db->path, sqlite3_errmsg(db->sql));
		return db_errno(rc);
	}
	return 0;
}

/* Those that can be called back first, then those already reached, then
 * the withheld; oldest first within each. */
static int missed_rank(const struct db_missed *m) {
	return m->withheld ? 2 : m->called_back != 0 ? 1 : 0;
}

static int missed_cmp(const void *a, const void *b) {
	const struct db_missed *x = a, *y = b;
	if (missed_rank(x) != missed_rank(y)) {
		return missed_rank(x) < missed_rank(y) ? -1 : 1;
	}
	if (x->first != y->first) {
		return x->first < y->first ? -1 : 1;
	}
	return x->call_ids[0] < y->call_ids[0] ? -1 : x->call_ids[0] > y->call_ids[0];
}

int db_missed_count(struct db *db, int64_t *n) {
	sqlite3_stmt *s = db_stmt(db, STMT_MISSED_COUNT);
	if (s == NULL) {
		return -errno;
	}
	int rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		log_error("Counting missed calls in %s: %s", db->path, sqlite3_errmsg(db->sql));
		return db_errno(rc);
	}
	return 0;
}

int db_missed_foreach(struct db *db, const struct db_missed_filter *f, db_missed_fn fn, void *data) {
	/* fixed clauses only; the unknown one matches calls_waiting's WHERE. A
	 * call placed from the office that nobody answered is unknown too, but
	 * nobody here missed it. */
	char sql[512];
	snprintf(sql, sizeof(sql), ROW_COLS " WHERE k.handled IS NULL AND %s%s%s%s",
		 f->unknown ? "k.state IN ('missed', 'unknown') AND k.direction = 'in'"
			    : "k.state = 'missed'",
		 f->since > 0 ? " AND k.started >= ?1" : "",
		 f->until > 0 ? " AND k.started < ?2" : "",
		 f->lines != NULL ? DB_LINES_CLAUSE("?3") : "");
	struct rows r = {0};
	struct reached reached = {0};
	struct db_missed *groups = NULL;
	int64_t *ids = NULL;
	size_t n_groups = 0;
	bool began = db_snapshot_begin(db);
	int ret = rows_query(db, sql, f->since, f->until, f->lines, &r);
	if (ret == 0) {
		ret = rows_group(db, &r);
	}
	if (ret == 0 && r.n > 0) {
		groups = calloc(r.n, sizeof(*groups));
		ids = calloc(r.n, sizeof(*ids));
		ret = groups == NULL || ids == NULL ? -ENOMEM : 0;
	}
	for (size_t i = 0; ret == 0 && i < r.n;) {
		size_t j = group_end(&r, i);
		const struct row *first = &r.v[i], *last = &r.v[j - 1];
		struct db_missed *m = &groups[n_groups++];
		m->contact_id = first->contact_id;
		m->contact_name = first->name;
		m->number = last->number;
		m->e164 = last->e164;
		m->withheld = first->kind == CALLER_WITHHELD;
		m->first = first->started;
		m->last = last->started;
		m->call_ids = ids + i;
		m->n_call_ids = (int)(j - i);
		for (size_t k = i; k < j; k++) {
			ids[k] = r.v[k].id;
			m->calls++;
			m->missed += r.v[k].state == DB_CALL_MISSED;
			m->unknown += r.v[k].state != DB_CALL_MISSED;
		}
		ret = reached_after(db, &reached, last, last->started, &m->called_back);
		i = j;
	}
	reached_finish(&reached);
	db_snapshot_end(db, began);
	if (ret == 0 && n_groups > 0) {
		qsort(groups, n_groups, sizeof(*groups), missed_cmp);
	}
	for (size_t i = 0; ret == 0 && i < n_groups; i++) {
		ret = fn(&groups[i], data);
	}
	free(groups);
	free(ids);
	rows_finish(&r);
	return ret;
}

static int caller_cmp(const void *a, const void *b) {
	const struct db_caller_counts *x = a, *y = b;
	if (x->counts.calls != y->counts.calls) {
		return x->counts.calls > y->counts.calls ? -1 : 1;
	}
	return x->last > y->last ? -1 : x->last < y->last;
}

int db_call_top_callers(struct db *db, int64_t since, int64_t until, int limit,
			db_caller_counts_fn fn, void *data) {
	struct rows r = {0};
	struct db_caller_counts *groups = NULL;
	size_t n_groups = 0;
	bool began = db_snapshot_begin(db);
	int ret = rows_query(db, ROW_COLS " WHERE k.started >= ?1 AND k.started < ?2", since, until,
			     NULL, &r);
	if (ret == 0) {
		ret = rows_group(db, &r);
	}
	db_snapshot_end(db, began);
	if (ret == 0 && r.n > 0 && (groups = calloc(r.n, sizeof(*groups))) == NULL) {
		ret = -ENOMEM;
	}
	for (size_t i = 0; ret == 0 && i < r.n;) {
		size_t j = group_end(&r, i);
		const struct row *first = &r.v[i], *last = &r.v[j - 1];
		struct db_caller_counts *g = &groups[n_groups++];
		g->contact_id = first->contact_id;
		g->contact_name = first->name;
		g->number = last->number;
		g->e164 = last->e164;
		g->withheld = first->kind == CALLER_WITHHELD;
		g->last = last->started;
		for (size_t k = i; k < j; k++) {
			count_state(&g->counts, r.v[k].state);
		}
		i = j;
	}
	if (ret == 0 && n_groups > 0) {
		qsort(groups, n_groups, sizeof(*groups), caller_cmp);
	}
	for (size_t i = 0; ret == 0 && i < n_groups && (limit <= 0 || i < (size_t)limit); i++) {
		ret = fn(&groups[i], data);
	}
	free(groups);
	rows_finish(&r);
	return ret;
}

/* Per-day and total counts: ringing calls that never ended count as unknown. */
#define COUNTS                                                                                \
	"count(*), coalesce(sum(state = 'answered'), 0), coalesce(sum(state = 'missed'), 0)," \
	" coalesce(sum(state IN ('unknown', 'ringing')), 0) FROM calls"                       \
	" WHERE started >= ?1 AND started < ?2"

static int counts_query(struct db *db, const char *sql, int64_t since, int64_t until,
			db_call_counts_fn fn, void *data, struct db_call_counts *out) {
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		log_error("Could not count calls in %s: %s", db->path, sqlite3_errmsg(db->sql));
		return db_errno(rc);
	}
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, until > 0 ? until : INT64_MAX);
	int ret = 0;
	int col = out == NULL ? 1 : 0;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct db_call_counts c = {
			.date = out == NULL ? db_column_text(s, 0) : NULL,
			.calls = sqlite3_column_int(s, col),
			.answered = sqlite3_column_int(s, col + 1),
			.missed = sqlite3_column_int(s, col + 2),
			.unknown = sqlite3_column_int(s, col + 3),
		};
		if (out != NULL) {
			*out = c;
		} else {
			ret = fn(&c, data);
		}
	}
	if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_error("Database %s: %s", db->path, sqlite3_errmsg(db->sql));
		ret = db_errno(rc);
	}
	sqlite3_finalize(s);
	return ret;
}

int db_call_daily(struct db *db, int64_t since, int64_t until, db_call_counts_fn fn, void *data) {
	return counts_query(db,
			    "SELECT date(started, 'unixepoch', 'localtime') AS day, " COUNTS
			    " GROUP BY day ORDER BY day",
			    since, until, fn, data, NULL);
}

int db_call_totals(struct db *db, int64_t since, int64_t until, struct db_call_counts *out) {
	memset(out, 0, sizeof(*out));
	return counts_query(db, "SELECT " COUNTS, since, until, NULL, NULL, out);
}
