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
#include "import_private.h"
#include "log.h"
#include "phone.h"
#include "utf8.h"
#include "vcard.h"

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
#define BULK_AFTER 1000 /* contacts before a bulk import is considered */

static const char *const fts_tables[] = {"contacts_fts", "phones_fts", "notes_fts"};

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

/* The contact that already has this number (same E.164 or same digits); 0 for none. */
static int find_by_number(struct importer *im, const struct phone_number *pn, int64_t *id,
			  int64_t *other) {
	*id = *other = 0;
	sqlite3_stmt *s;
	if (pn->e164[0] != '\0') {
		s = import_query(im, Q_BY_E164);
		sqlite3_bind_text(s, 1, pn->e164, -1, SQLITE_STATIC);
	} else {
		char rdigits[PHONE_DIGITS_MAX];
		phone_reverse(pn->digits, rdigits, sizeof(rdigits));
		s = import_query(im, Q_BY_DIGITS);
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

static int import_record(struct importer *im, const struct contact_record *r,
			 struct import_numbers *nums) {
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
			import_note(rep, false, r->phones[i].line, 0,
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
			import_note(rep, true, r->line, 0, "no name, and '%.40s' is not a number",
				    bad);
		} else {
			import_note(rep, true, r->line, 0, "no name or number");
		}
		return 0;
	}
	int ret = 0;
	if (id == 0 && n_usable == 0) {
		ret = find_by_name(im, name, r, &id);
	}
	if (ret == 0) {
		ret = id != 0 ? import_merge(im, id, r, nums) : import_add(im, name, r, nums);
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
		import_note(im->rep, false, r->warnings[i].line, 0, "%s", r->warnings[i].message);
	}
	struct contact_record split;
	struct import_split sp = {0};
	int ret = import_split_numbers(db_get_region(im->db), im->rep, r, &split, &sp);
	struct import_numbers nums = {
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
