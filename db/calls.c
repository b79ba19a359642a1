#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_private.h"
#include "log.h"
#include "utf8.h"

static const char *const state_names[] = {
	[DB_CALL_RINGING] = "ringing",
	[DB_CALL_ANSWERED] = "answered",
	[DB_CALL_MISSED] = "missed",
	[DB_CALL_UNKNOWN] = "unknown",
};

const char *db_call_state_str(enum db_call_state s) {
	return s <= DB_CALL_UNKNOWN ? state_names[s] : "unknown";
}

int db_call_state_parse(const char *s, enum db_call_state *out) {
	for (int i = DB_CALL_RINGING; i <= DB_CALL_UNKNOWN; i++) {
		if (s != NULL && strcmp(s, state_names[i]) == 0) {
			*out = (enum db_call_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

void db_row_call(sqlite3_stmt *s, struct db_call *c) {
	c->id = sqlite3_column_int64(s, 0);
	c->started = sqlite3_column_int64(s, 1);
	c->ended = sqlite3_column_int64(s, 2);
	c->line = db_column_text(s, 3);
	c->number = db_column_text(s, 4);
	c->name = db_column_text(s, 5);
	c->withheld = db_column_text(s, 6);
	c->e164 = db_column_text(s, 7);
	c->date = db_column_text(s, 8);
	c->ring_type = db_column_text(s, 9);
	c->called = db_column_text(s, 10);
	c->contact_id = sqlite3_column_int64(s, 11);
	c->rings = sqlite3_column_int(s, 12);
	c->state = DB_CALL_UNKNOWN;
	db_call_state_parse(db_column_text(s, 13), &c->state);
	c->handled = sqlite3_column_int64(s, 14);
	c->called_back = sqlite3_column_int64(s, 15);
	c->contact_name = db_column_text(s, 16);
	c->handled_by = db_column_text(s, 17);
	const char *direction = db_column_text(s, 18);
	c->outgoing = direction != NULL && strcmp(direction, "out") == 0;
	c->answered_by = db_column_text(s, 19);
	c->department = db_column_text(s, 20);
}

static void bind_id_or_null(sqlite3_stmt *s, int idx, int64_t v) {
	if (v > 0) {
		sqlite3_bind_int64(s, idx, v);
	} else {
		sqlite3_bind_null(s, idx);
	}
}

/* Binds ?2 to ?13, which STMT_CALL_INSERT and STMT_CALL_UPDATE number alike
 * (?1 is the start time in one and the id in the other). */
static void bind_fields(sqlite3_stmt *s, const struct db_call *c) {
	bind_id_or_null(s, 2, c->ended);
	db_bind_text(s, 3, c->line);
	db_bind_text(s, 4, c->number);
	db_bind_text(s, 5, c->name);
	db_bind_text(s, 6, c->withheld);
	db_bind_text(s, 7, c->e164);
	db_bind_text(s, 8, c->date);
	db_bind_text(s, 9, c->ring_type);
	db_bind_text(s, 10, c->called);
	bind_id_or_null(s, 11, c->contact_id);
	sqlite3_bind_int(s, 12, c->rings);
	db_bind_text(s, 13, db_call_state_str(c->state));
	db_bind_text(s, 14, c->outgoing ? "out" : "in");
	db_bind_text(s, 15, c->answered_by);
	db_bind_text(s, 16, c->department);
}

int db_call_add(struct db *db, const struct db_call *c, int64_t *id) {
	sqlite3_stmt *s = db_stmt(db, STMT_CALL_INSERT);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, c->started);
	bind_fields(s, c);
	int ret = db_exec_stmt(db, s);
	if (ret == 0 && id != NULL) {
		*id = sqlite3_last_insert_rowid(db->sql);
	}
	return ret;
}

/* Most updates (a call's rings, its end) leave the number and the contact
 * as they were: the narrow statement then spares their indexes, and the
 * full one runs only when the narrow one found the row changed there. */
int db_call_update(struct db *db, const struct db_call *c) {
	static const enum db_stmt tries[] = {STMT_CALL_PROGRESS, STMT_CALL_UPDATE};
	int ret = -ENOENT;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]) && ret == -ENOENT; i++) {
		sqlite3_stmt *s = db_stmt(db, tries[i]);
		if (s == NULL) {
			return -errno;
		}
		sqlite3_bind_int64(s, 1, c->id);
		bind_fields(s, c);
		ret = db_exec_change(db, s);
	}
	return ret;
}

struct call_walk {
	db_call_fn fn;
	void *data;
};

static int call_row(sqlite3_stmt *s, void *data) {
	struct call_walk *w = data;
	struct db_call c;
	db_row_call(s, &c);
	return w->fn != NULL ? w->fn(&c, w->data) : 0;
}

static int walk_calls(struct db *db, sqlite3_stmt *s, db_call_fn fn, void *data, int *count) {
	struct call_walk w = {fn, data};
	return db_walk(db, s, call_row, &w, count);
}

int db_call_get(struct db *db, int64_t id, db_call_fn fn, void *data) {
	sqlite3_stmt *s = db_stmt(db, STMT_CALL_GET);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, id);
	int n = 0;
	int ret = walk_calls(db, s, fn, data, &n);
	sqlite3_reset(s);
	if (ret == 0 && n == 0) {
		return -ENOENT;
	}
	return ret;
}

int db_call_foreach(struct db *db, const struct db_call_filter *f, db_call_fn fn, void *data) {
	/* The query is assembled from the fixed clauses below (never from the
	 * filter's text, which is bound), so each combination gets a plan that
	 * uses the right index. */
	char sql[1024];
	int n = snprintf(sql, sizeof(sql),
			 "SELECT " CALL_COLS " FROM calls k LEFT JOIN contacts c ON c.id = k.contact_id"
			 " WHERE 1");
	if (f->missed) {
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND k.state = 'missed'");
	}
	if (f->states != 0) {
		/* state names from the table above, never from the caller */
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND k.state IN (");
		const char *sep = "";
		for (int i = DB_CALL_RINGING; i <= DB_CALL_UNKNOWN; i++) {
			if (f->states & (1 << i)) {
				n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s'%s'", sep,
					      state_names[i]);
				sep = ", ";
			}
		}
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s)", sep[0] ? "" : "NULL");
	}
	if (f->unhandled) {
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND k.handled IS NULL");
	}
	if (f->since > 0) {
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND k.started >= ?1");
	}
	if (f->until > 0) {
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND k.started < ?5");
	}
	if (f->contact_id > 0) {
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, " AND k.contact_id = ?2");
	}
	if (f->number != NULL && f->number[0] != '\0') {
		n += snprintf(sql + n, sizeof(sql) - (size_t)n,
			      " AND (k.e164 = ?3 OR k.number = ?3)");
	}
	if (f->handled_by != NULL) {
		n += snprintf(sql + n, sizeof(sql) - (size_t)n,
			      " AND k.handled_by = ?6 COLLATE NOCASE");
	}
	if (f->lines != NULL) {
		/* ?3 is the number's, when both are given: the lines take ?7 */
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s", DB_LINES_CLAUSE("?7"));
	}
	snprintf(sql + n, sizeof(sql) - (size_t)n, " ORDER BY k.started %s, k.id %s LIMIT ?4",
		 f->oldest_first ? "ASC" : "DESC", f->oldest_first ? "ASC" : "DESC");

	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		log_error("Could not list calls in %s: %s", db->path, sqlite3_errmsg(db->sql));
		return db_errno(rc);
	}
	if (f->since > 0) {
		sqlite3_bind_int64(s, 1, f->since);
	}
	if (f->until > 0) {
		sqlite3_bind_int64(s, 5, f->until);
	}
	if (f->contact_id > 0) {
		sqlite3_bind_int64(s, 2, f->contact_id);
	}
	if (f->number != NULL && f->number[0] != '\0') {
		db_bind_text(s, 3, f->number);
	}
	if (f->handled_by != NULL) {
		db_bind_text(s, 6, f->handled_by);
	}
	if (f->lines != NULL) {
		sqlite3_bind_text(s, 7, db_lines_param(f->lines), -1, free);
	}
	sqlite3_bind_int(s, 4, f->limit > 0 ? f->limit : -1);
	int ret = walk_calls(db, s, fn, data, NULL);
	sqlite3_finalize(s);
	return ret;
}

static int call_set(struct db *db, enum db_stmt id, int64_t key, int64_t when, int *count) {
	sqlite3_stmt *s = db_stmt(db, id);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, key);
	sqlite3_bind_int64(s, 2, when);
	db_bind_text(s, 3, db->author);
	int ret = db_exec_stmt(db, s);
	if (ret == 0 && count != NULL) {
		*count = sqlite3_changes(db->sql);
	}
	return ret;
}

int db_call_mark_handled(struct db *db, int64_t id, int64_t when) {
	int n = 0;
	int ret = call_set(db, STMT_CALL_HANDLE, id, when, &n);
	return ret == 0 && n == 0 ? -ENOENT : ret;
}

int db_call_mark_handled_contact(struct db *db, int64_t contact, int64_t when, int *count) {
	return call_set(db, STMT_CALL_HANDLE_CONTACT, contact, when, count);
}

int db_call_mark_called_back(struct db *db, int64_t id, int64_t when) {
	int n = 0;
	int ret = call_set(db, STMT_CALL_CALLED_BACK, id, when, &n);
	return ret == 0 && n == 0 ? -ENOENT : ret;
}

/* The screen-pop's history. */

static int history_calls(struct db *db, enum db_stmt count_id, enum db_stmt last_id, int64_t contact,
			 const char *number, int64_t exclude, struct db_history *out) {
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *s = db_stmt(db, pass == 0 ? count_id : last_id);
		if (s == NULL) {
			return -errno;
		}
		if (contact > 0) {
			sqlite3_bind_int64(s, 1, contact);
		} else {
			db_bind_text(s, 1, number);
		}
		sqlite3_bind_int64(s, 2, exclude);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW && pass == 0) {
			out->calls = sqlite3_column_int(s, 0);
			out->missed_unhandled = sqlite3_column_int(s, 1);
		} else if (rc == SQLITE_ROW) {
			out->last_call = sqlite3_column_int64(s, 0);
			db_call_state_parse(db_column_text(s, 1), &out->last_state);
			out->last_handled = sqlite3_column_type(s, 2) != SQLITE_NULL;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			log_error("Database %s: %s", db->path, sqlite3_errmsg(db->sql));
			return db_errno(rc);
		}
	}
	return 0;
}

static void copy_item(struct db_history_item *item, int64_t id, int64_t when,
		      enum db_note_kind kind, const char *text) {
	item->id = id;
	item->when = when;
	item->kind = kind;
	/* An excerpt for the popup: one that is cut says so with "…". */
	static const char ellipsis[] = "\xe2\x80\xa6";
	size_t n = text != NULL ? strlen(text) : 0;
	if (n >= sizeof(item->text)) {
		n = utf8_prefix(text, n, sizeof(item->text) - sizeof(ellipsis));
		memcpy(item->text, text, n);
		memcpy(item->text + n, ellipsis, sizeof(ellipsis));
	} else {
		memcpy(item->text, text != NULL ? text : "", n + 1);
	}
}

static int history_note(const struct db_note *n, void *data) {
	struct db_history *h = data;
	if (n->kind == DB_NOTE_REQUEST && n->open) {
		return 0; /* requests are listed on their own */
	}
	if (h->n_notes < DB_HISTORY_NOTES) {
		copy_item(&h->notes[h->n_notes++], n->id, n->created, n->kind, n->text);
	}
	return h->n_notes < DB_HISTORY_NOTES ? 0 : 1;
}

static int history_request(const struct db_note *n, void *data) {
	struct db_history *h = data;
	if (h->n_requests < DB_HISTORY_NOTES) {
		copy_item(&h->requests[h->n_requests++], n->id, n->created, n->kind, n->text);
	}
	h->open_requests++;
	return 0;
}

static int history_reminder(const struct db_reminder *r, void *data) {
	struct db_history *h = data;
	if (h->n_reminders >= DB_HISTORY_REMINDERS) {
		return 1;
	}
	struct db_history_item *item = &h->reminders[h->n_reminders++];
	copy_item(item, r->id, 0, DB_NOTE_NOTE, r->text);
	item->days_left = r->days_left;
	return 0;
}

#define HISTORY_REMINDER_DAYS 30

int db_history_get(struct db *db, int64_t contact, const char *number, int64_t exclude_call, int ty,
		   int tm, int td, struct db_history *out) {
	memset(out, 0, sizeof(*out));
	int ret;
	if (contact > 0) {
		ret = history_calls(db, STMT_HISTORY_CONTACT, STMT_HISTORY_LAST_CONTACT, contact,
				    NULL, exclude_call, out);
	} else if (number != NULL && number[0] == '+') {
		ret = history_calls(db, STMT_HISTORY_E164, STMT_HISTORY_LAST_E164, 0, number,
				    exclude_call, out);
	} else if (number != NULL && number[0] != '\0') {
		ret = history_calls(db, STMT_HISTORY_NUMBER, STMT_HISTORY_LAST_NUMBER, 0, number,
				    exclude_call, out);
	} else {
		return 0;
	}
	if (ret < 0 || contact <= 0) {
		return ret;
	}
	struct db_note_filter notes = {
		.contact_id = contact,
		.kinds = 1 << DB_NOTE_NOTE | 1 << DB_NOTE_ORDER | 1 << DB_NOTE_REQUEST,
		.limit = DB_HISTORY_NOTES + 8,
	};
	if ((ret = db_note_foreach(db, &notes, history_note, out)) < 0) {
		return ret;
	}
	struct db_note_filter requests = {
		.contact_id = contact,
		.kinds = 1 << DB_NOTE_REQUEST,
		.open_only = true,
	};
	if ((ret = db_note_foreach(db, &requests, history_request, out)) < 0) {
		return ret;
	}
	ret = db_reminder_foreach_due(db, contact, ty, tm, td, HISTORY_REMINDER_DAYS,
				      history_reminder, out);
	return ret < 0 ? ret : 0;
}
