#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "db_private.h"
#include "log.h"

static const char *const kind_names[] = {
	[DB_NOTE_NOTE] = "note",
	[DB_NOTE_REQUEST] = "request",
	[DB_NOTE_ORDER] = "order",
};

const char *db_note_kind_str(enum db_note_kind kind) {
	return kind <= DB_NOTE_ORDER ? kind_names[kind] : "note";
}

int db_note_kind_parse(const char *s, enum db_note_kind *out) {
	for (int k = DB_NOTE_NOTE; k <= DB_NOTE_ORDER; k++) {
		if (strcmp(s, kind_names[k]) == 0) {
			*out = (enum db_note_kind)k;
			return 0;
		}
	}
	return -EINVAL;
}

int db_note_add(struct db *db, int64_t contact, enum db_note_kind kind, const char *text,
		int64_t *id) {
	if (text == NULL || text[0] == '\0' || kind > DB_NOTE_ORDER) {
		return -EINVAL;
	}
	int bad = db_check_text(text, DB_TEXT_MAX, true);
	if (bad < 0) {
		return bad;
	}
	sqlite3_stmt *s = db_stmt(db, STMT_NOTE_INSERT);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, contact);
	db_bind_text(s, 2, kind_names[kind]);
	db_bind_text(s, 3, text);
	db_bind_text(s, 4, kind == DB_NOTE_NOTE ? NULL : "open");
	sqlite3_bind_int64(s, 5, db_now());
	db_bind_text(s, 6, db->author);
	int ret = db_exec_stmt(db, s);
	if (ret == -EEXIST) {
		/* a foreign key constraint: no such contact */
		return -ENOENT;
	}
	if (ret == 0 && id != NULL) {
		*id = sqlite3_last_insert_rowid(db->sql);
	}
	return ret;
}

int db_note_close(struct db *db, int64_t id) {
	sqlite3_stmt *s = db_stmt(db, STMT_NOTE_CLOSE);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, db_now());
	db_bind_text(s, 3, db->author);
	int ret = db_exec_stmt(db, s);
	if (ret < 0 || sqlite3_changes(db->sql) > 0) {
		return ret;
	}
	s = db_stmt(db, STMT_NOTE_STATUS);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	ret = rc == SQLITE_ROW ? -EALREADY : -ENOENT;
	sqlite3_reset(s);
	return ret;
}

struct note_walk {
	db_note_fn fn;
	void *data;
};

static int note_row(sqlite3_stmt *s, void *data) {
	struct note_walk *w = data;
	struct db_note note = {
		.id = sqlite3_column_int64(s, 0),
		.contact_id = sqlite3_column_int64(s, 1),
		.contact_name = db_column_text(s, 2),
		.text = db_column_text(s, 4),
		.created = sqlite3_column_int64(s, 6),
		.closed = sqlite3_column_int64(s, 7),
		.author = db_column_text(s, 8),
		.closed_by = db_column_text(s, 9),
	};
	const char *status = db_column_text(s, 5);
	note.open = status != NULL && strcmp(status, "open") == 0;
	db_note_kind_parse(db_column_text(s, 3), &note.kind);
	return w->fn != NULL ? w->fn(&note, w->data) : 0;
}

/* Steps s over rows of NOTE_COLS, calling fn (if not NULL) for each. */
static int walk_notes(struct db *db, sqlite3_stmt *s, db_note_fn fn, void *data, int *count) {
	struct note_walk w = {fn, data};
	return db_walk(db, s, note_row, &w, count);
}

/* An FTS5 query that every word of text matches, each as a prefix:
 * "word"* with the words' own quotes doubled, so FTS syntax in the text
 * stays text. Nothing of text is left out (it was cut at 512 bytes, and a
 * quote near the end wrote past the buffer). NULL when out of memory. */
static char *fts_all_words(const char *text) {
	/* at worst a one-character word, a quote, takes 6 bytes for 2 */
	char *q = malloc(3 * strlen(text) + 8);
	if (q == NULL) {
		return NULL;
	}
	size_t o = 0;
	for (const char *p = text; *p != '\0';) {
		if (*p == ' ') {
			p++;
			continue;
		}
		q[o++] = '"';
		for (; *p != '\0' && *p != ' '; p++) {
			if (*p == '"') {
				q[o++] = '"';
			}
			q[o++] = *p;
		}
		q[o++] = '"';
		q[o++] = '*';
		q[o++] = ' ';
	}
	q[o > 0 ? o - 1 : 0] = '\0';
	return q;
}

int db_note_foreach(struct db *db, const struct db_note_filter *f, db_note_fn fn, void *data) {
	enum db_stmt id;
	if (f->author != NULL) {
		id = STMT_NOTE_LIST_AUTHOR;
	} else if (f->query != NULL && f->query[0] != '\0') {
		id = STMT_NOTE_SEARCH;
	} else if (f->contact_id > 0) {
		id = STMT_NOTE_LIST_CONTACT;
	} else if (f->open_only) {
		id = STMT_NOTE_LIST_OPEN;
	} else {
		id = STMT_NOTE_LIST_ALL;
	}
	sqlite3_stmt *s = db_stmt(db, id);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, f->contact_id);
	sqlite3_bind_int(s, 2, f->kinds != 0 ? f->kinds : 7);
	sqlite3_bind_int(s, 3, f->open_only);
	sqlite3_bind_int(s, 4, f->limit > 0 ? f->limit : -1);
	if (id == STMT_NOTE_LIST_AUTHOR) {
		db_bind_text(s, 5, f->author);
		sqlite3_bind_int64(s, 6, f->since);
	}
	if (id == STMT_NOTE_SEARCH) {
		char *q = fts_all_words(f->query);
		if (q == NULL) {
			sqlite3_reset(s);
			return -ENOMEM;
		}
		db_bind_text(s, 5, q);
		free(q);
	}
	return walk_notes(db, s, fn, data, NULL);
}

int db_note_get(struct db *db, int64_t id, db_note_fn fn, void *data) {
	sqlite3_stmt *s = db_stmt(db, STMT_NOTE_GET);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, id);
	int n = 0;
	int ret = walk_notes(db, s, fn, data, &n);
	return ret == 0 && n == 0 ? -ENOENT : ret;
}

/* Reminders. */

/* The next yearly occurrence on or after today; 29 February falls on
 * 28 February in other years. */
static void next_yearly(int month, int day, int ty, int tm, int td, int *y, int *m, int *d) {
	for (int year = ty; year <= ty + 1; year++) {
		int dd = month == 2 && day == 29 && !civil_leap(year) ? 28 : day;
		if (civil_days(year, month, dd) >= civil_days(ty, tm, td)) {
			*y = year;
			*m = month;
			*d = dd;
			return;
		}
	}
}

int db_reminder_add(struct db *db, int64_t contact, int year, int month, int day, bool yearly,
		    int notice, const char *text, int64_t *id) {
	if (!civil_month_day_valid(month, day) || notice < 0 || notice > 366 || text == NULL ||
	    text[0] == '\0' || (!yearly && (year < 1000 || !civil_date_valid(year, month, day)))) {
		return -EINVAL;
	}
	int bad = db_check_text(text, DB_TEXT_MAX, true);
	if (bad < 0) {
		return bad;
	}
	sqlite3_stmt *s = db_stmt(db, STMT_REMINDER_INSERT);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, contact);
	if (yearly) {
		sqlite3_bind_null(s, 2);
	} else {
		sqlite3_bind_int(s, 2, year);
	}
	sqlite3_bind_int(s, 3, month);
	sqlite3_bind_int(s, 4, day);
	sqlite3_bind_int(s, 5, yearly);
	sqlite3_bind_int(s, 6, notice);
	db_bind_text(s, 7, text);
	sqlite3_bind_int64(s, 8, db_now());
	int ret = db_exec_stmt(db, s);
	if (ret == -EEXIST) {
		return -ENOENT;
	}
	if (ret == 0 && id != NULL) {
		*id = sqlite3_last_insert_rowid(db->sql);
	}
	return ret;
}

int db_reminder_delete(struct db *db, int64_t id) {
	return db_exec_on(db, STMT_REMINDER_DELETE, id);
}

struct due {
	struct db_reminder r;
	char *name;
	char *text;
};

struct due_list {
	struct due *items;
	size_t n, cap;
};

static int due_push(struct due_list *l, const struct db_reminder *r) {
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct due *items = realloc(l->items, cap * sizeof(*items));
		if (items == NULL) {
			return -ENOMEM;
		}
		l->items = items;
		l->cap = cap;
	}
	struct due *d = &l->items[l->n];
	d->r = *r;
	d->name = strdup(r->contact_name != NULL ? r->contact_name : "");
	d->text = strdup(r->text != NULL ? r->text : "");
	if (d->name == NULL || d->text == NULL) {
		free(d->name);
		free(d->text);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static int due_cmp(const void *a, const void *b) {
	const struct due *x = a, *y = b;
	if (x->r.days_left != y->r.days_left) {
		return x->r.days_left < y->r.days_left ? -1 : 1;
	}
	return x->r.contact_id < y->r.contact_id ? -1 : x->r.contact_id > y->r.contact_id;
}

/* Fills the next occurrence of r and whether it is due; false for past
 * one-off reminders. */
static bool compute_due(struct db_reminder *r, int ty, int tm, int td, int days) {
	if (r->yearly) {
		next_yearly(r->month, r->day, ty, tm, td, &r->next_year, &r->next_month,
			    &r->next_day);
	} else {
		r->next_year = r->year;
		r->next_month = r->month;
		r->next_day = r->day;
	}
	int64_t left = civil_days(r->next_year, r->next_month, r->next_day) - civil_days(ty, tm, td);
	if (left < 0) {
		return false;
	}
	r->days_left = (int)left;
	return left <= (days >= 0 ? days : r->notice);
}

#define BIRTHDAY_NOTICE 2

/* Adds the birthday of a row (id, name, birthday) when it is due. */
static int birthday_row(sqlite3_stmt *s, int ty, int tm, int td, int days, struct due_list *l) {
	const char *b = db_column_text(s, 2);
	int y = 0, m = 0, d = 0;
	if (b == NULL ||
	    (sscanf(b, "--%2d-%2d", &m, &d) != 2 && sscanf(b, "%4d-%2d-%2d", &y, &m, &d) != 3)) {
		return 0;
	}
	if (m < 1 || m > 12 || d < 1 || d > 31) {
		return 0;
	}
	char text[160];
	struct db_reminder r = {
		.contact_id = sqlite3_column_int64(s, 0),
		.contact_name = db_column_text(s, 1),
		.year = y,
		.month = m,
		.day = d,
		.yearly = true,
		.notice = BIRTHDAY_NOTICE,
		.birthday = true,
		.text = text,
	};
	if (!compute_due(&r, ty, tm, td, days)) {
		return 0;
	}
	if (y > 0) {
		r.age = r.next_year - y;
		snprintf(text, sizeof(text), "Birthday (%d)", r.age);
	} else {
		snprintf(text, sizeof(text), "Birthday");
	}
	r.year = 0;
	return due_push(l, &r);
}

/* Adds the reminder of a row of REMINDER_COLS when it is due. */
static int reminder_row(sqlite3_stmt *s, int ty, int tm, int td, int days, struct due_list *l) {
	struct db_reminder r = {
		.id = sqlite3_column_int64(s, 0),
		.contact_id = sqlite3_column_int64(s, 1),
		.contact_name = db_column_text(s, 2),
		.year = sqlite3_column_int(s, 3),
		.month = sqlite3_column_int(s, 4),
		.day = sqlite3_column_int(s, 5),
		.yearly = sqlite3_column_int(s, 6) != 0,
		.notice = sqlite3_column_int(s, 7),
		.text = db_column_text(s, 8),
	};
	return compute_due(&r, ty, tm, td, days) ? due_push(l, &r) : 0;
}

static void due_sort(struct due_list *l) {
	if (l->n > 0) {
		qsort(l->items, l->n, sizeof(*l->items), due_cmp);
	}
	for (size_t i = 0; i < l->n; i++) {
		l->items[i].r.contact_name = l->items[i].name;
		l->items[i].r.text = l->items[i].text;
	}
}

static void due_free(struct due_list *l) {
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].text);
	}
	free(l->items);
}

int db_reminder_foreach_due(struct db *db, int64_t contact, int ty, int tm, int td, int days,
			    db_reminder_fn fn, void *data) {
	struct due_list l = {0};
	int ret = 0;
	for (int pass = 0; pass < 2 && ret == 0; pass++) {
		enum db_stmt id =
			pass == 0
				? (contact > 0 ? STMT_REMINDER_LIST_CONTACT : STMT_REMINDER_LIST_ALL)
				: (contact > 0 ? STMT_BIRTHDAY_CONTACT : STMT_BIRTHDAY_ALL);
		sqlite3_stmt *s = db_stmt(db, id);
		if (s == NULL) {
			ret = -errno;
			break;
		}
		if (contact > 0) {
			sqlite3_bind_int64(s, 1, contact);
		}
		while (ret == 0 && sqlite3_step(s) == SQLITE_ROW) {
			ret = pass == 0 ? reminder_row(s, ty, tm, td, days, &l)
					: birthday_row(s, ty, tm, td, days, &l);
		}
		sqlite3_reset(s);
	}
	if (ret == 0) {
		due_sort(&l);
		for (size_t i = 0; i < l.n && ret == 0; i++) {
			ret = fn(&l.items[i].r, data);
		}
	}
	due_free(&l);
	return ret;
}

struct db_due_scan {
	struct db *db;
	int ty, tm, td, days;
	int pass;      /* 0: reminders, 1: birthdays, 2: done */
	int64_t after; /* the last row read */
	int64_t last;  /* the last contact id when the birthdays pass began */
	struct due_list l;
};

struct db_due_scan *db_due_scan_create(struct db *db, int ty, int tm, int td, int days) {
	struct db_due_scan *scan = calloc(1, sizeof(*scan));
	if (scan == NULL) {
		return NULL;
	}
	*scan = (struct db_due_scan){.db = db, .ty = ty, .tm = tm, .td = td, .days = days};
	return scan;
}

/* Reads the highest contact id into scan->last. */
static int scan_last_id(struct db_due_scan *scan) {
	sqlite3_stmt *s = db_stmt(scan->db, STMT_CONTACT_MAX_ID);
	if (s == NULL) {
		return -errno;
	}
	int rc = sqlite3_step(s);
	scan->last = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : db_errno(rc);
}

int db_due_scan_step(struct db_due_scan *scan, int rows) {
	if (scan->pass >= 2) {
		return 0;
	}
	struct db *db = scan->db;
	rows = rows > 0 ? rows : 1;
	int ret = scan->pass == 1 && scan->after == 0 ? scan_last_id(scan) : 0;
	sqlite3_stmt *s = db_stmt(db, scan->pass == 0 ? STMT_REMINDER_STEP : STMT_BIRTHDAY_STEP);
	if (ret < 0 || s == NULL) {
		return ret < 0 ? ret : -errno;
	}
	/* Reminders: the next rows. Birthdays: the next range of contact ids,
	 * most of which have none. */
	sqlite3_bind_int64(s, 1, scan->after);
	sqlite3_bind_int64(s, 2, scan->pass == 0 ? rows : scan->after + rows);
	int n = 0, rc;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		if (scan->pass == 0) {
			scan->after = sqlite3_column_int64(s, 0);
			ret = reminder_row(s, scan->ty, scan->tm, scan->td, scan->days, &scan->l);
		} else {
			ret = birthday_row(s, scan->ty, scan->tm, scan->td, scan->days, &scan->l);
		}
	}
	sqlite3_reset(s);
	if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_error("Reading the reminders in %s: %s", db->path, sqlite3_errmsg(db->sql));
		ret = db_errno(rc);
	}
	if (ret < 0) {
		return ret;
	}
	if (scan->pass == 1) {
		scan->after += rows;
	}
	if ((scan->pass == 0 && n < rows) || (scan->pass == 1 && scan->after >= scan->last)) {
		scan->pass++;
		scan->after = 0;
	}
	if (scan->pass < 2) {
		return 1;
	}
	due_sort(&scan->l);
	return 0;
}

const struct db_reminder *db_due_scan_get(const struct db_due_scan *scan, size_t i) {
	return scan->pass >= 2 && i < scan->l.n ? &scan->l.items[i].r : NULL;
}

void db_due_scan_destroy(struct db_due_scan *scan) {
	if (scan == NULL) {
		return;
	}
	due_free(&scan->l);
	free(scan);
}

int db_reminder_mark_announced(struct db *db, int64_t id, int64_t contact, const char *date) {
	sqlite3_stmt *s = db_stmt(db, STMT_ANNOUNCED_INSERT);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, id > 0 ? 0 : contact);
	db_bind_text(s, 3, date);
	int ret = db_exec_stmt(db, s);
	if (ret < 0) {
		return ret;
	}
	return sqlite3_changes(db->sql) == 0 ? 1 : 0;
}
