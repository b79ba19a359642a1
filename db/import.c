/*
 * Contacts from a file into the database: parse, match each contact to one
 * already there by number, add or merge, all in one transaction. The
 * statements that only the import needs are prepared here, once per import.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "db_private.h"
#include "import.h"
#include "log.h"
#include "phone.h"
#include "utf8.h"
#include "vcard.h"

enum {
	Q_BY_E164,
	Q_BY_DIGITS,
	Q_NOTE_EXISTS,
	Q_NOTE_INSERT,
	Q_MAX_ID,
	Q_CONTACTS,
	Q_COUNT,
};

static const char *const queries[Q_COUNT] = {
	[Q_BY_E164] = "SELECT DISTINCT contact_id FROM phones WHERE e164 = ?1 ORDER BY contact_id"
		      " LIMIT 2",
	[Q_BY_DIGITS] = "SELECT DISTINCT contact_id FROM phones WHERE rdigits = ?1"
			" ORDER BY contact_id LIMIT 2",
	[Q_NOTE_EXISTS] = "SELECT 1 FROM notes WHERE contact_id = ?1 AND kind = ?2 AND text = ?3"
			  " AND (?4 = 0 OR created = ?4) LIMIT 1",
	[Q_NOTE_INSERT] = "INSERT INTO notes (contact_id, kind, text, status, created, closed)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_MAX_ID] = "SELECT coalesce(max(id), 0) FROM contacts",
	[Q_CONTACTS] = "SELECT count(*) FROM contacts",
};

/*
 * Full-text indexes kept up to date row by row cost more than the rows
 * themselves (FTS5 through triggers: about 9 times the insert). A big
 * import therefore drops the insert triggers inside its transaction and
 * rebuilds the indexes once at the end; a small one into a big database
 * keeps them. The transaction makes this invisible to everybody else.
 */
#define BULK_AFTER   1000 /* contacts before a bulk import is considered */
#define MAX_TRIGGERS 8

static const char *const fts_tables[] = {"contacts_fts", "phones_fts", "notes_fts"};

struct importer {
	struct db *db;
	struct import_report *rep;
	sqlite3_stmt *q[Q_COUNT];
	int64_t now;
	int64_t first_new; /* contacts from this id on were added by this import */
	int error;	   /* a database error: the import stops */
	int64_t existing;  /* contacts before the import */
	int64_t imported;
	char *triggers[MAX_TRIGGERS]; /* dropped for a bulk import, to create again */
	size_t n_triggers;
	bool bulk;
};

enum import_format db_import_detect(const char *data, size_t len, const char *name) {
	if (vcard_detect(data, len)) {
		return IMPORT_VCARD;
	}
	const char *dot = name != NULL ? strrchr(name, '.') : NULL;
	if (dot != NULL && (strcasecmp(dot, ".vcf") == 0 || strcasecmp(dot, ".vcard") == 0)) {
		return IMPORT_VCARD;
	}
	return IMPORT_CSV;
}

static void add_message(struct import_report *rep, bool skip, int line, int64_t contact,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_message(struct import_report *rep, bool skip, int line, int64_t contact,
			const char *fmt, ...) {
	struct import_message **list = skip ? &rep->skips : &rep->notes;
	size_t *n = skip ? &rep->n_skips : &rep->n_notes;
	if (*n >= IMPORT_MAX_MESSAGES) {
		rep->more_notes += !skip;
		return;
	}
	if (*list == NULL) {
		*list = calloc(IMPORT_MAX_MESSAGES, sizeof(**list));
		if (*list == NULL) {
			return;
		}
	}
	char *text = NULL;
	va_list args;
	va_start(args, fmt);
	int ret = vasprintf(&text, fmt, args);
	va_end(args);
	if (ret < 0) {
		return;
	}
	(*list)[(*n)++] = (struct import_message){line, contact, text};
}

static sqlite3_stmt *query(struct importer *im, int id) {
	sqlite3_stmt *s = im->q[id];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static int step_done(struct importer *im, sqlite3_stmt *s) {
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_error("Database %s: %s", im->db->path, sqlite3_errmsg(im->db->sql));
		return db_errno(rc);
	}
	return 0;
}

/* The contact that already has this number (same E.164 or same digits); 0 for none. */
static int find_by_number(struct importer *im, const struct phone_number *pn, int64_t *id,
			  int64_t *other) {
	*id = *other = 0;
	sqlite3_stmt *s;
	if (pn->e164[0] != '\0') {
		s = query(im, Q_BY_E164);
		sqlite3_bind_text(s, 1, pn->e164, -1, SQLITE_STATIC);
	} else {
		char rdigits[PHONE_DIGITS_MAX];
		phone_reverse(pn->digits, rdigits, sizeof(rdigits));
		s = query(im, Q_BY_DIGITS);
		sqlite3_bind_text(s, 1, rdigits, -1, SQLITE_TRANSIENT);
	}
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t c = sqlite3_column_int64(s, 0);
		if (*id == 0) {
			*id = c;
		} else if (*other == 0) {
			*other = c;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_errno(rc);
}

struct existing {
	char *name, *company, *email, *birthday;
	struct record_field fields[RECORD_MAX_FIELDS * 2];
	size_t n_fields;
};

static int take_existing(const struct db_contact *c, void *data) {
	struct existing *e = data;
	e->name = c->name != NULL ? strdup(c->name) : NULL;
	e->company = c->company != NULL ? strdup(c->company) : NULL;
	e->email = c->email != NULL ? strdup(c->email) : NULL;
	e->birthday = c->birthday != NULL ? strdup(c->birthday) : NULL;
	return 0;
}

static int take_field(const char *key, const char *value, void *data) {
	struct existing *e = data;
	if (e->n_fields < sizeof(e->fields) / sizeof(e->fields[0])) {
		e->fields[e->n_fields].key = strdup(key);
		e->fields[e->n_fields].value = strdup(value);
		e->n_fields++;
	}
	return 0;
}

static void existing_free(struct existing *e) {
	free(e->name);
	free(e->company);
	free(e->email);
	free(e->birthday);
	for (size_t i = 0; i < e->n_fields; i++) {
		free((char *)e->fields[i].key);
		free((char *)e->fields[i].value);
	}
}

static const char *existing_field(const struct existing *e, const char *key) {
	for (size_t i = 0; i < e->n_fields; i++) {
		if (e->fields[i].key != NULL && strcmp(e->fields[i].key, key) == 0) {
			return e->fields[i].value;
		}
	}
	return NULL;
}

/* Adds the notes the contact does not have yet; *changed when any was. */
static int add_notes(struct importer *im, int64_t id, const struct contact_record *r, bool *changed) {
	for (size_t i = 0; i < r->n_notes; i++) {
		const struct record_note *n = &r->notes[i];
		const char *kind = db_note_kind_str((enum db_note_kind)n->kind);
		sqlite3_stmt *s = query(im, Q_NOTE_EXISTS);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, n->text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, n->created);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc == SQLITE_ROW) {
			continue;
		}
		if (rc != SQLITE_DONE) {
			return db_errno(rc);
		}
		s = query(im, Q_NOTE_INSERT);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, n->text, -1, SQLITE_STATIC);
		if (n->kind != RECORD_NOTE) {
			sqlite3_bind_text(s, 4, n->open ? "open" : "closed", -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(s, 5, n->created > 0 ? n->created : im->now);
		if (n->kind != RECORD_NOTE && !n->open) {
			sqlite3_bind_int64(s, 6, n->closed > 0 ? n->closed : im->now);
		}
		int ret = step_done(im, s);
		if (ret < 0) {
			return ret;
		}
		*changed = true;
	}
	return 0;
}

/* What import_record found out about the numbers of a record, one each. */
struct numbers {
	bool *usable;
	int64_t *shared; /* another contact with the number, or 0 */
};

static int add_phones(struct importer *im, int64_t id, const struct contact_record *r,
		      const struct numbers *nums, bool *changed) {
	for (size_t i = 0; i < r->n_phones; i++) {
		if (!nums->usable[i]) {
			continue;
		}
		const char *label = r->phones[i].label != NULL ? r->phones[i].label : "phone";
		int ret = db_phone_add(im->db, id, r->phones[i].number, label, NULL);
		if (ret == 0) {
			*changed = true;
			if (nums->shared[i] != 0 && nums->shared[i] != id) {
				add_message(im->rep, false, r->phones[i].line, id,
					    "%.40s is also a number of contact #%lld",
					    r->phones[i].number, (long long)nums->shared[i]);
			}
		} else if (ret != -EEXIST && ret != -EINVAL) {
			return ret;
		}
	}
	return 0;
}

/* E-mail addresses after the one the contact has go to fields "email 2" ... */
static int add_emails(struct importer *im, int64_t id, const struct contact_record *r,
		      const char *email, struct existing *e, bool *changed) {
	int next = 2;
	for (size_t i = 0; i < r->n_emails; i++) {
		const char *addr = r->emails[i];
		if (email != NULL && strcasecmp(addr, email) == 0) {
			continue;
		}
		bool known = false;
		for (size_t k = 0; k < e->n_fields && !known; k++) {
			known = strncmp(e->fields[k].key, "email ", 6) == 0 &&
				strcasecmp(e->fields[k].value, addr) == 0;
		}
		if (known) {
			continue;
		}
		char key[32];
		do {
			snprintf(key, sizeof(key), "email %d", next++);
		} while (existing_field(e, key) != NULL);
		int ret = db_field_set(im->db, id, key, addr);
		if (ret < 0) {
			return ret;
		}
		take_field(key, addr, e);
		*changed = true;
	}
	return 0;
}

static int add_rest(struct importer *im, int64_t id, const struct contact_record *r,
		    struct existing *e, bool *changed) {
	for (size_t i = 0; i < r->n_fields; i++) {
		const struct record_field *f = &r->fields[i];
		const char *have = existing_field(e, f->key);
		if (have != NULL && strcmp(have, f->value) == 0) {
			continue;
		}
		if (have != NULL) {
			add_message(im->rep, false, r->line, id,
				    "kept %s '%.60s' (the file says '%.60s')", f->key, have,
				    f->value);
			continue;
		}
		int ret = db_field_set(im->db, id, f->key, f->value);
		if (ret < 0) {
			return ret;
		}
		*changed = true;
	}
	for (size_t i = 0; i < r->n_tags; i++) {
		int before = sqlite3_total_changes(im->db->sql);
		int ret = db_tag_add(im->db, id, r->tags[i]);
		if (ret < 0) {
			return ret;
		}
		*changed = *changed || sqlite3_total_changes(im->db->sql) != before;
	}
	return add_notes(im, id, r, changed);
}

/* Fills what the contact lacks; keeps (and reports) what differs. */
static int merge(struct importer *im, int64_t id, const struct contact_record *r,
		 const struct numbers *nums) {
	struct existing e = {0};
	int ret = db_contact_get(im->db, id, take_existing, &e);
	if (ret == 0) {
		ret = db_field_foreach(im->db, id, take_field, &e);
	}
	bool changed = false;
	struct db_contact upd = {.id = id};
	const char *email = r->n_emails > 0 ? r->emails[0] : NULL;
	struct {
		const char *what, *have, *file;
		const char **set;
	} scalars[] = {
		{"company", e.company, r->company, &upd.company},
		{"email", e.email, email, &upd.email},
		{"birthday", e.birthday, r->birthday, &upd.birthday},
	};
	for (size_t i = 0; ret == 0 && i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		if (scalars[i].file == NULL) {
			continue;
		}
		if (scalars[i].have == NULL) {
			*scalars[i].set = scalars[i].file;
		} else if (strcasecmp(scalars[i].have, scalars[i].file) != 0) {
			add_message(im->rep, false, r->line, id,
				    i == 1 ? "kept %s '%.60s'; the file's '%.60s' is added as another"
					   : "kept %s '%.60s' (the file says '%.60s')",
				    scalars[i].what, scalars[i].have, scalars[i].file);
		}
	}
	if (ret == 0 && e.name != NULL && r->name != NULL && strcasecmp(e.name, r->name) != 0) {
		add_message(im->rep, false, r->line, id,
			    "kept name '%.60s' (the file says '%.60s')", e.name, r->name);
	}
	if (ret == 0 && (upd.company != NULL || upd.email != NULL || upd.birthday != NULL)) {
		ret = db_contact_update(im->db, &upd);
		changed = true;
	}
	if (ret == 0) {
		ret = add_phones(im, id, r, nums, &changed);
	}
	if (ret == 0) {
		ret = add_emails(im, id, r, e.email != NULL ? e.email : email, &e, &changed);
	}
	if (ret == 0) {
		ret = add_rest(im, id, r, &e, &changed);
	}
	existing_free(&e);
	if (ret == 0) {
		im->rep->merged++;
		im->rep->unchanged += !changed;
	}
	return ret;
}

static int add(struct importer *im, const char *name, const struct contact_record *r,
	       const struct numbers *nums) {
	struct db_contact c = {
		.name = name,
		.company = r->company,
		.email = r->n_emails > 0 ? r->emails[0] : NULL,
		.birthday = r->birthday,
	};
	int64_t id;
	int ret = db_contact_add(im->db, &c, &id);
	if (ret < 0) {
		return ret;
	}
	bool changed = false;
	struct existing e = {0};
	ret = add_phones(im, id, r, nums, &changed);
	if (ret == 0) {
		ret = add_emails(im, id, r, c.email, &e, &changed);
	}
	if (ret == 0) {
		ret = add_rest(im, id, r, &e, &changed);
	}
	existing_free(&e);
	im->rep->added += ret == 0;
	return ret;
}

struct name_match {
	int64_t id;
	int count;
	const char *email;
	bool email_conflict;
};

static int by_name(const struct db_contact *c, void *data) {
	struct name_match *m = data;
	m->count++;
	m->id = c->id;
	m->email_conflict = m->email != NULL && c->email != NULL &&
			    strcasecmp(m->email, c->email) != 0;
	return 0;
}

/* A contact without numbers matches the one contact of the same name. */
static int find_by_name(struct importer *im, const char *name, const struct contact_record *r,
			int64_t *id) {
	struct name_match m = {.email = r->n_emails > 0 ? r->emails[0] : NULL};
	sqlite3_stmt *s = db_stmt(im->db, STMT_CONTACT_BY_NAME);
	if (s == NULL) {
		return -errno;
	}
	db_bind_text(s, 1, name);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct db_contact c;
		db_row_contact(s, &c);
		by_name(&c, &m);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		return db_errno(rc);
	}
	*id = m.count == 1 && !m.email_conflict && m.id < im->first_new ? m.id : 0;
	return 0;
}

static int take_name(const struct db_contact *c, void *data) {
	char *name = data;
	snprintf(name, 256, "%s", c->name);
	return 0;
}

/*
 * Whether a record may merge into contact id, found by one of its numbers.
 * Into contacts that were there before: always. Into one an earlier card of
 * the same file added: only when it is the same person by name (or the card
 * has none), so people who share an office number stay apart, as they are
 * in a ctid export.
 */
static bool may_merge(struct importer *im, int64_t id, const struct contact_record *r) {
	if (id < im->first_new || r->name == NULL) {
		return true;
	}
	char name[256] = "";
	db_contact_get(im->db, id, take_name, name);
	return strcasecmp(name, r->name) == 0;
}

static int exec_sql(struct importer *im, const char *sql) {
	char *msg = NULL;
	int rc = sqlite3_exec(im->db->sql, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		log_error("Database %s: %s", im->db->path, msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return db_errno(rc);
	}
	return 0;
}

/* About how many contacts data holds (cards, or lines of a CSV file). */
static size_t count_records(const char *data, size_t len, enum import_format format) {
	if (format == IMPORT_AUTO) {
		format = db_import_detect(data, len, NULL);
	}
	size_t n = 0;
	const char *p = data, *end = data + len;
	if (format == IMPORT_VCARD) {
		while ((p = memmem(p, (size_t)(end - p), "BEGIN:VCARD", 11)) != NULL) {
			n++;
			p += 11;
		}
		return n;
	}
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Whether every row still points at a contact that exists (foreign keys
 * were off during the import); -EPROTO if not, after logging it. */
static int check_foreign_keys(struct importer *im) {
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(im->db->sql, "PRAGMA foreign_key_check", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return db_errno(rc);
	}
	rc = sqlite3_step(s);
	int ret = rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? -EPROTO : db_errno(rc);
	if (rc == SQLITE_ROW) {
		log_error("Import left a row in %s without its contact; nothing was saved",
			  (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	return ret;
}

/* Drops the triggers that index new contacts, numbers and notes as they come. */
static int enter_bulk(struct importer *im) {
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(im->db->sql,
				    "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'"
				    " AND tbl_name IN ('contacts', 'phones', 'notes')"
				    " AND name LIKE '%!_ai' ESCAPE '!'",
				    -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return db_errno(rc);
	}
	char *names[MAX_TRIGGERS];
	size_t n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < MAX_TRIGGERS) {
		names[n] = strdup(db_column_text(s, 0));
		im->triggers[n] = strdup(db_column_text(s, 1));
		n++;
	}
	sqlite3_finalize(s);
	im->n_triggers = n;
	im->bulk = true;
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		char sql[128];
		if (names[i] == NULL || im->triggers[i] == NULL) {
			ret = -ENOMEM;
		} else if (ret == 0) {
			snprintf(sql, sizeof(sql), "DROP TRIGGER \"%s\"", names[i]);
			ret = exec_sql(im, sql);
		}
		free(names[i]);
	}
	log_debug("Bulk import: %zu triggers dropped, indexes rebuilt at the end", n);
	return ret;
}

/* Rebuilds the full-text indexes and creates the triggers again. */
static int leave_bulk(struct importer *im) {
	int ret = 0;
	for (size_t i = 0; i < sizeof(fts_tables) / sizeof(fts_tables[0]) && ret == 0; i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "INSERT INTO %s(%s) VALUES ('rebuild')", fts_tables[i],
			 fts_tables[i]);
		ret = exec_sql(im, sql);
	}
	for (size_t i = 0; i < im->n_triggers && ret == 0; i++) {
		ret = exec_sql(im, im->triggers[i]);
	}
	return ret;
}

/*
 * A cell of a file may hold several numbers: "020 7946 0499 / 020 7946
 * 0498", "...; ...", "... or ...", one a line. Such a cell is split when
 * each part is a number of its own. Otherwise it is one number, and what
 * the phone parser does not read of it (after a ";" or a word), or a
 * number glued together from several, is reported rather than stored
 * silently.
 */
#define MAX_PARTS 16

struct part {
	const char *s;
	size_t n;
};

/* The length of a separator between two numbers at p in cell, or 0. */
static size_t number_separator(const char *cell, const char *p) {
	switch (*p) {
	case '\n':
	case '\r':
	case ',':
		return 1;
	case ';':
		return strncasecmp(p, ";ext=", 5) == 0 ? 0 : 1;
	case '/': /* "030/1234567" is one number; "... / ..." two */
		return (p > cell && p[-1] == ' ') || p[1] == ' ' ? 1 : 0;
	case ' ':
		return strncasecmp(p, " or ", 4) == 0 ? 4 : 0;
	default:
		return 0;
	}
}

/* The non-empty parts of cell between separators; MAX_PARTS + 1 for too many. */
static size_t split_cell(const char *cell, struct part parts[MAX_PARTS]) {
	size_t n = 0;
	const char *start = cell;
	for (const char *p = cell;; p++) {
		size_t sep = *p != '\0' ? number_separator(cell, p) : 1;
		if (sep == 0) {
			continue;
		}
		const char *end = p;
		while (start < end && (*start == ' ' || *start == '\t')) {
			start++;
		}
		while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
			end--;
		}
		if (end > start) {
			if (n == MAX_PARTS) {
				return MAX_PARTS + 1;
			}
			parts[n++] = (struct part){start, (size_t)(end - start)};
		}
		if (*p == '\0') {
			return n;
		}
		p += sep - 1;
		start = p + 1;
	}
}

/* Normalises s[0..n); true when it is a number of its own (not a short code). */
static bool is_number(const char *s, size_t n, const char *region, struct phone_number *pn) {
	char buf[RECORD_NUMBER_MAX + 1];
	if (n >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return phone_normalize(buf, region, pn) == 0 && !pn->withheld && !pn->service &&
	       pn->digits[0] != '\0';
}

/* Where the text the phone parser leaves unread in cell begins, when that
 * holds a letter or a digit; NULL when it reads all. */
static const char *unread(const char *cell, const char *region, const struct phone_number *whole) {
	size_t len = strlen(cell);
	const char *rest = cell + strspn(cell, " \t+");
	if (rest[strspn(rest, "0123456789 .-()\t")] == '\0') {
		return NULL; /* digits and what people write between them: all read */
	}
	for (size_t k = 1; k < len; k++) {
		struct phone_number pn;
		if (is_number(cell, k, region, &pn) && strcmp(pn.digits, whole->digits) == 0 &&
		    strcmp(pn.e164, whole->e164) == 0 && strcmp(pn.ext, whole->ext) == 0) {
			const char *t = cell + k;
			t += strspn(t, " \t;,.:/-");
			for (const char *q = t; *q != '\0'; q++) {
				if ((unsigned char)*q >= 0x80 || (*q >= '0' && *q <= '9') ||
				    ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z')) {
					return t;
				}
			}
			return NULL;
		}
	}
	return NULL;
}

/* Numbers of a record after splitting its cells (see above). */
struct split {
	struct record_phone *phones;
	char *text; /* the parts' copies */
};

/* Checks the record's phone cells; when any holds several numbers, out gets
 * the record with them apart. Reports what is left unread. -ENOMEM. */
static int split_numbers(struct importer *im, const struct contact_record *r,
			 struct contact_record *out, struct split *sp) {
	const char *region = db_get_region(im->db);
	*out = *r;
	size_t n_out = 0, used = 0;
	for (size_t i = 0; i < r->n_phones; i++) {
		const struct record_phone *ph = &r->phones[i];
		struct part parts[MAX_PARTS];
		size_t n = strpbrk(ph->number, "\n\r,;/ ") != NULL ? split_cell(ph->number, parts)
								   : 1;
		struct phone_number pn, first;
		bool apart = n >= 2 && n <= MAX_PARTS;
		for (size_t k = 0; apart && k < n; k++) {
			apart = is_number(parts[k].s, parts[k].n, region, &pn);
		}
		if (apart && sp->phones == NULL) {
			size_t text = 0;
			for (size_t k = 0; k < r->n_phones; k++) {
				text += strlen(r->phones[k].number) + 1;
			}
			sp->phones = calloc(r->n_phones * MAX_PARTS, sizeof(*sp->phones));
			sp->text = malloc(text);
			if (sp->phones == NULL || sp->text == NULL) {
				return -ENOMEM;
			}
			memcpy(sp->phones, r->phones, i * sizeof(*sp->phones));
			n_out = i;
		}
		if (!apart) {
			if (sp->phones != NULL) {
				sp->phones[n_out++] = *ph;
			}
			if (phone_normalize(ph->number, region, &pn) < 0 || pn.digits[0] == '\0') {
				continue; /* not a number at all: import_record says so */
			}
			const char *rest = unread(ph->number, region, &pn);
			if (rest != NULL) {
				int read = (int)(rest - ph->number);
				while (read > 0 && strchr(" \t;,.:/-(", ph->number[read - 1])) {
					read--;
				}
				add_message(im->rep, false, ph->line, 0,
					    "phone '%.64s': '%.*s' is the number; '%.40s' is not read",
					    ph->number, read, ph->number, rest);
			} else if (n >= 2 && n <= MAX_PARTS && pn.e164[0] == '\0' &&
				   is_number(parts[0].s, parts[0].n, region, &first) &&
				   first.e164[0] != '\0') {
				add_message(im->rep, false, ph->line, 0,
					    "phone '%.64s' reads as one number, which is not valid; "
					    "check it",
					    ph->number);
			}
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			char *copy = sp->text + used;
			memcpy(copy, parts[k].s, parts[k].n);
			copy[parts[k].n] = '\0';
			used += parts[k].n + 1;
			sp->phones[n_out++] = (struct record_phone){copy, ph->label, ph->line};
		}
	}
	if (sp->phones != NULL) {
		out->phones = sp->phones;
		out->n_phones = n_out;
	}
	return 0;
}

static int import_record(struct importer *im, const struct contact_record *r, struct numbers *nums) {
	struct import_report *rep = im->rep;
	size_t n_usable = 0;
	const char *first_number = NULL, *bad = NULL;
	int64_t id = 0;
	const char *region = db_get_region(im->db);
	for (size_t i = 0; i < r->n_phones; i++) {
		struct phone_number pn;
		int ret = phone_normalize(r->phones[i].number, region, &pn);
		if (ret < 0 || pn.withheld || pn.digits[0] == '\0') {
			bad = r->phones[i].number;
			add_message(rep, false, r->phones[i].line, 0,
				    "'%.40s' is not a phone number; left out", bad);
			continue;
		}
		nums->usable[i] = true;
		n_usable++;
		first_number = first_number != NULL ? first_number : r->phones[i].number;
		if (pn.service) {
			continue; /* 112 or a short code: no reason to call two contacts the same */
		}
		int64_t found, other;
		if ((ret = find_by_number(im, &pn, &found, &other)) < 0) {
			return ret;
		}
		if (found != 0 && !may_merge(im, found, r)) {
			nums->shared[i] = found;
			found = other != 0 && may_merge(im, other, r) ? other : 0;
			other = 0;
		}
		if (id == 0) {
			id = found;
		}
		if (nums->shared[i] == 0) {
			nums->shared[i] = found != id ? found : other;
		}
	}
	const char *name = r->name;
	name = name != NULL ? name : r->company;
	name = name != NULL ? name : r->n_emails > 0 ? r->emails[0] : NULL;
	name = name != NULL ? name : first_number;
	if (name == NULL) {
		rep->skipped++;
		if (bad != NULL) {
			add_message(rep, true, r->line, 0, "no name, and '%.40s' is not a number",
				    bad);
		} else {
			add_message(rep, true, r->line, 0, "no name or number");
		}
		return 0;
	}
	int ret = 0;
	if (id == 0 && n_usable == 0) {
		ret = find_by_name(im, name, r, &id);
	}
	if (ret == 0) {
		ret = id != 0 ? merge(im, id, r, nums) : add(im, name, r, nums);
	}
	if (ret < 0) {
		log_error("Could not import the contact on line %d: %s", r->line, strerror(-ret));
		im->error = ret;
	}
	return ret;
}

static int import_one(const struct contact_record *r, void *data) {
	struct importer *im = data;
	if (!im->bulk && im->imported >= BULK_AFTER && im->imported * 8 > im->existing) {
		int ret = enter_bulk(im);
		if (ret < 0) {
			im->error = ret;
			return ret;
		}
	}
	im->imported++;
	for (size_t i = 0; i < r->n_warnings; i++) {
		add_message(im->rep, false, r->warnings[i].line, 0, "%s", r->warnings[i].message);
	}
	struct contact_record split;
	struct split sp = {0};
	int ret = split_numbers(im, r, &split, &sp);
	struct numbers nums = {
		.usable = calloc(split.n_phones + 1, sizeof(*nums.usable)),
		.shared = calloc(split.n_phones + 1, sizeof(*nums.shared)),
	};
	if (ret == 0 && (nums.usable == NULL || nums.shared == NULL)) {
		ret = -ENOMEM;
	}
	if (ret == 0) {
		ret = import_record(im, &split, &nums);
	} else {
		im->error = ret;
	}
	free(nums.usable);
	free(nums.shared);
	free(sp.phones);
	free(sp.text);
	return ret;
}

void db_import_report_finish(struct import_report *rep) {
	for (size_t i = 0; i < rep->n_skips; i++) {
		free(rep->skips[i].text);
	}
	for (size_t i = 0; i < rep->n_notes; i++) {
		free(rep->notes[i].text);
	}
	free(rep->skips);
	free(rep->notes);
	memset(rep, 0, sizeof(*rep));
}

int db_import(struct db *db, const char *data, size_t len, enum import_format format, bool dry_run,
	      struct import_report *rep) {
	memset(rep, 0, sizeof(*rep));
	struct importer im = {.db = db, .rep = rep, .now = db_now()};
	int ret = 0;
	for (int i = 0; i < Q_COUNT && ret == 0; i++) {
		int rc = sqlite3_prepare_v3(db->sql, queries[i], -1, 0, &im.q[i], NULL);
		if (rc != SQLITE_OK) {
			log_error("Could not prepare the import: %s", sqlite3_errmsg(db->sql));
			ret = db_errno(rc);
		}
	}
	/* One transaction for the whole file: with SQLite's 2 MB default cache
	 * its pages spill to the file and are read back (300,000 writes and
	 * 280,000 reads for 100,000 contacts, tests/bench). This connection is
	 * ctidctl's own, for this command: give it room while it imports. */
	if (ret == 0) {
		ret = exec_sql(&im, "PRAGMA cache_size = -131072");
	}
	/* Foreign keys make SQLite open a statement savepoint for every row,
	 * and with FTS5 tables in the schema each savepoint visits them: a fifth
	 * of a big import's time (callgrind). The import only links rows to
	 * contacts it has just found or made, so the keys hold; for a big
	 * import (the whole database is checked again before the commit, which
	 * costs little next to it) they are off. */
	bool big = false;
	if (ret == 0) {
		size_t cards = count_records(data, len, format);
		int64_t existing = db_contact_count(db);
		big = cards >= BULK_AFTER && existing >= 0 && (int64_t)cards * 8 > existing;
		if (big) {
			ret = exec_sql(&im, "PRAGMA foreign_keys = OFF");
		}
	}
	if (ret == 0) {
		ret = db_begin(db);
	}
	if (ret == 0) {
		sqlite3_stmt *s = im.q[Q_MAX_ID];
		im.first_new = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) + 1 : 1;
		sqlite3_reset(s);
		s = im.q[Q_CONTACTS];
		im.existing = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		sqlite3_reset(s);
	}
	if (ret == 0) {
		if (format == IMPORT_AUTO) {
			format = db_import_detect(data, len, NULL);
		}
		ret = format == IMPORT_VCARD ? vcard_parse(data, len, import_one, &im, &rep->error)
					     : csv_parse(data, len, import_one, &im, &rep->error);
		if (ret == 0 && im.bulk && !dry_run) {
			ret = leave_bulk(&im);
		}
		if (ret == 0 && !dry_run && big) {
			ret = check_foreign_keys(&im);
		}
		if (ret == 0 && !dry_run) {
			ret = db_commit(db);
		} else {
			db_rollback(db);
		}
	}
	for (int i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(im.q[i]);
	}
	for (size_t i = 0; i < im.n_triggers; i++) {
		free(im.triggers[i]);
	}
	sqlite3_exec(db->sql, "PRAGMA cache_size = -2000", NULL, NULL, NULL);
	sqlite3_exec(db->sql, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	return ret;
}
