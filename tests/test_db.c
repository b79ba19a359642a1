/*
 * The database on real SQLite files in a temporary folder: schema and
 * migrations, contacts, number lookup, notes, calls, history, reminders,
 * search, backup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "db_private.h"
#include "log.h"
#include "tap.h"
#include "utf8.h"

static char tmpdir[] = "/tmp/ctid-test-db-XXXXXX";

static char *path_in_tmp(const char *name) {
	static char buf[8][256];
	static int next;
	char *p = buf[next++ % 8];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static int64_t add_contact(struct db *db, const char *name, const char *company, const char *phone) {
	struct db_contact c = {.name = name, .company = company};
	int64_t id = 0;
	if (db_contact_add(db, &c, &id) < 0) {
		return -1;
	}
	if (phone != NULL && db_phone_add(db, id, phone, "work", NULL) < 0) {
		return -1;
	}
	return id;
}

/* Contacts in the file at path alone (read-only, no log beside it). */
static int64_t count_in(const char *path) {
	struct db *db = db_open(path, DB_OPEN_READONLY);
	int64_t n = db != NULL ? db_contact_count(db) : -1;
	db_close(db);
	return n;
}

/* Column col of the first row sql gives, as a new string, or NULL. */
static char *first_text(struct db *db, const char *sql, int col) {
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL) != SQLITE_OK) {
		return NULL;
	}
	const unsigned char *t = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_text(s, col) : NULL;
	char *out = t != NULL ? strdup((const char *)t) : NULL;
	sqlite3_finalize(s);
	return out;
}

static void test_open(void) {
	char *path = path_in_tmp("sub/dir/ctid.db");
	struct db *db = db_open(path, 0);
	ok(db != NULL, "db_open creates the file and its folders");
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "database is created mode 0600");
	ok(stat(path_in_tmp("sub/dir"), &st) == 0 && (st.st_mode & 0777) == 0700,
	   "its folder is created mode 0700");
	is_int(db_schema_version(db), DB_SCHEMA_VERSION, "schema is at the current version");

	sqlite3_stmt *s;
	sqlite3_prepare_v2(db->sql, "PRAGMA journal_mode", -1, &s, NULL);
	sqlite3_step(s);
	is_str((const char *)sqlite3_column_text(s, 0), "wal", "journal mode is WAL");
	sqlite3_finalize(s);
	sqlite3_prepare_v2(db->sql, "PRAGMA foreign_keys", -1, &s, NULL);
	sqlite3_step(s);
	is_int(sqlite3_column_int(s, 0), 1, "foreign keys are enforced");
	sqlite3_finalize(s);
	/* calls nobody handled are not in calls_handled_by, and the activity
	 * of a user (handled_by = ?) still reads through it */
	struct db_call call = {.started = 1796543400,
			       .line = "shop",
			       .number = "02079460018",
			       .state = DB_CALL_RINGING};
	int64_t id = 0;
	ok(db_call_add(db, &call, &id) == 0 && id > 0, "a call is logged");
	char *plan = first_text(db,
				"EXPLAIN QUERY PLAN SELECT id FROM calls k WHERE"
				" k.handled_by = 'anna' COLLATE NOCASE ORDER BY k.started",
				3);
	ok(plan != NULL && strstr(plan, "calls_handled_by") != NULL,
	   "a user's handled calls are found through it: %s", plan != NULL ? plan : "");
	free(plan);
	char *sql =
		first_text(db, "SELECT sql FROM sqlite_master WHERE name = 'calls_handled_by'", 0);
	ok(sql != NULL && strstr(sql, "WHERE handled_by IS NOT NULL") != NULL,
	   "calls_handled_by holds only handled calls: %s", sql != NULL ? sql : "");
	free(sql);
	db_close(db);
	db_close(NULL);

	errno = 0;
	log_set_level(LOG_SILENT);
	ok(db_open(path_in_tmp("missing.db"), DB_OPEN_NO_CREATE) == NULL && errno == ENOENT,
	   "DB_OPEN_NO_CREATE does not create a missing file");
	log_set_level(LOG_WARN);
}

static int count_missed(const struct db_missed *m, void *data) {
	int *n = data;
	n[0]++;
	n[1] += m->calls;
	return 0;
}

static bool has_index(struct db *db, const char *name) {
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db->sql, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1",
			   -1, &s, NULL);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	bool found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* A database at every earlier schema version upgrades to the current one
 * and keeps its data. */
static void test_migrations(void) {
	for (int from = 0; from < DB_SCHEMA_VERSION; from++) {
		char name[32];
		snprintf(name, sizeof(name), "v%d.db", from);
		char *path = path_in_tmp(name);
		sqlite3 *raw;
		sqlite3_open(path, &raw);
		for (int v = 1; v <= from; v++) {
			for (const char *const *sql = db_migration(v); *sql != NULL; sql++) {
				sqlite3_exec(raw, *sql, NULL, NULL, NULL);
			}
			char pragma[40];
			snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
			sqlite3_exec(raw, pragma, NULL, NULL, NULL);
		}
		if (from >= 1) {
			sqlite3_exec(raw,
				     "INSERT INTO contacts (name, created, updated) VALUES ('Old Timer', 1, 1)",
				     NULL, NULL, NULL);
			/* what version 2's index is for: calls waiting to be returned */
			sqlite3_exec(raw,
				     "INSERT INTO calls (started, number, state) VALUES"
				     " (100, '5550001', 'missed'), (200, '5550001', 'unknown'),"
				     " (300, '5550002', 'answered')",
				     NULL, NULL, NULL);
		}
		sqlite3_close(raw);

		struct db *db = db_open(path, 0);
		ok(db != NULL, "database at version %d opens", from);
		if (db == NULL) {
			continue;
		}
		is_int(db_schema_version(db), DB_SCHEMA_VERSION, "version %d migrated to %d", from,
		       DB_SCHEMA_VERSION);
		if (from >= 1) {
			int64_t id = 0;
			is_int(db_contact_resolve(db, "Old Timer", &id, NULL, NULL), 0,
			       "data from version %d survives, and is searchable", from);
			struct db_missed_filter f = {.unknown = true};
			int groups[2] = {0};
			ok(db_missed_foreach(db, &f, count_missed, groups) == 0 && groups[0] == 1 &&
				   groups[1] == 2,
			   "calls from version %d are on the call-back list", from);
		}
		ok(has_index(db, "calls_waiting"), "version %d gets the call-back list's index",
		   from);
		db_close(db);
	}

	char *path = path_in_tmp("future.db");
	sqlite3 *raw;
	sqlite3_open(path, &raw);
	sqlite3_exec(raw, "PRAGMA user_version = 999", NULL, NULL, NULL);
	sqlite3_close(raw);
	log_set_level(LOG_SILENT);
	errno = 0;
	ok(db_open(path, 0) == NULL && errno == EPROTO,
	   "a schema newer than this program is refused, not damaged");
	log_set_level(LOG_WARN);
}

struct capture {
	int n;
	int64_t ids[16];
	char names[16][64];
};

static int capture_contact(const struct db_contact *c, void *data) {
	struct capture *cap = data;
	if (cap->n < 16) {
		cap->ids[cap->n] = c->id;
		snprintf(cap->names[cap->n], 64, "%s", c->name);
	}
	cap->n++;
	return 0;
}

static int capture_phone(const struct db_phone *p, void *data) {
	struct capture *cap = data;
	if (cap->n < 16) {
		snprintf(cap->names[cap->n], 64, "%s|%s", p->raw, p->e164 ? p->e164 : "-");
	}
	cap->n++;
	return 0;
}

static int capture_pair(const char *k, const char *v, void *data) {
	struct capture *cap = data;
	if (cap->n < 16) {
		snprintf(cap->names[cap->n], 64, "%s=%s", k, v ? v : "");
	}
	cap->n++;
	return 0;
}

static void test_contacts(struct db *db) {
	struct db_contact c = {
		.name = "Ivan Pozdniakov",
		.company = "Shoe Shine Ltd",
		.email = "ivan@example.org",
		.birthday = "1970-07-12",
	};
	int64_t id = 0;
	is_int(db_contact_add(db, &c, &id), 0, "contact added");
	ok(id > 0, "new contact has an id");

	struct db_contact bad = {.name = "X", .birthday = "1970-02-30"};
	is_int(db_contact_add(db, &bad, NULL), -EINVAL, "impossible birthday is refused");
	struct db_contact noname = {.name = ""};
	is_int(db_contact_add(db, &noname, NULL), -EINVAL, "a contact needs a name");

	is_int(db_phone_add(db, id, "020 7946 0018", "work", NULL), 0, "national number added");
	is_int(db_phone_add(db, id, "+44 20 7946 0018", "mobile", NULL), -EEXIST,
	       "the same number in another notation is a duplicate");
	is_int(db_phone_add(db, id, "07700 900123", "mobile", NULL), 0, "mobile added");
	is_int(db_phone_add(db, id, "PRIVATE", NULL, NULL), -EINVAL,
	       "a withheld marker is no number");

	struct capture cap = {0};
	db_phone_foreach(db, id, capture_phone, &cap);
	is_int(cap.n, 2, "two numbers stored");
	is_str(cap.names[0], "020 7946 0018|+442079460018", "number kept as entered, with E.164");

	struct db_contact upd = {.id = id, .company = "", .email = "ivan@shoes.example"};
	is_int(db_contact_update(db, &upd), 0, "contact updated");
	struct db_contact missing = {.id = 99999, .name = "Nobody"};
	is_int(db_contact_update(db, &missing), -ENOENT, "updating a missing contact says so");

	db_field_set(db, id, "shoe size", "43");
	db_field_set(db, id, "source", "fair 2025");
	db_field_set(db, id, "source", "");
	memset(&cap, 0, sizeof(cap));
	db_field_foreach(db, id, capture_pair, &cap);
	ok(cap.n == 1 && strcmp(cap.names[0], "shoe size=43") == 0,
	   "custom field set; an empty value removes one");

	db_tag_add(db, id, "wholesale");
	db_tag_add(db, id, "Wholesale");
	int64_t other = add_contact(db, "Maria Ivanova", NULL, "+7 916 123-45-67");
	memset(&cap, 0, sizeof(cap));
	db_contact_foreach(db, "WHOLESALE", capture_contact, &cap);
	ok(cap.n == 1 && cap.ids[0] == id, "tags are case-insensitive and filter the list");

	is_int(db_phone_remove(db, id, "+447700900123"), 0, "number removed by its E.164");
	is_int(db_phone_remove(db, id, "+447700900123"), -ENOENT, "removing it twice says so");

	int64_t found = 0;
	is_int(db_contact_resolve(db, "pozd", &found, NULL, NULL), 0, "name fragment resolves");
	is_int(found, id, "to the right contact");
	found = 0;
	db_contact_resolve(db, "+44 20 7946 0018", &found, NULL, NULL);
	is_int(found, id, "a phone number resolves");
	found = 0;
	db_contact_resolve(db,
			   "#"
			   "2",
			   &found, NULL, NULL);
	is_int(found, other, "#id resolves");
	add_contact(db, "Ivan Petrov", NULL, NULL);
	memset(&cap, 0, sizeof(cap));
	is_int(db_contact_resolve(db, "ivan", &found, capture_contact, &cap), -ENOTUNIQ,
	       "an ambiguous fragment is refused");
	is_int(cap.n, 3, "and its candidates are listed (Ivanova too: prefix match)");
	is_int(db_contact_resolve(db, "nobody-here", &found, NULL, NULL), -ENOENT,
	       "an unknown name is not found");
	is_int(db_contact_resolve(db, "\"AND OR NEAR(", &found, NULL, NULL), -ENOENT,
	       "search syntax in a name is plain text");
}

static void test_lookup(void) {
	struct db *db = db_open(path_in_tmp("lookup.db"), 0);
	db_set_region(db, "GB");
	int64_t ivan = add_contact(db, "Ivan", NULL, "01632 960961");
	int64_t local = add_contact(db, "Corner Shop", NULL, "960 0123");
	int64_t a = add_contact(db, "Twin A", NULL, "0113 496 0555");
	int64_t b = add_contact(db, "Twin B", NULL, "0114 496 0555");
	add_contact(db, "Shared One", NULL, "020 7946 0999");
	add_contact(db, "Shared Two", NULL, "+44 20 7946 0999");
	(void)a;
	(void)b;

	struct db_match m;
	db_lookup(db, "+441632960961", &m);
	ok(m.kind == DB_MATCH_EXACT && m.contact_id == ivan, "exact E.164 match");
	is_str(m.name, "Ivan", "match carries the contact's name");
	db_lookup(db, "01632960961", &m);
	ok(m.kind == DB_MATCH_EXACT && m.contact_id == ivan, "national form matches exactly");
	db_lookup(db, "00441632960961", &m);
	ok(m.contact_id == ivan, "international prefix form matches");
	db_lookup(db, "1632960961", &m);
	ok(m.contact_id == ivan, "number without trunk prefix matches");
	db_lookup(db, "2960961", &m);
	ok(m.kind == DB_MATCH_SUFFIX && m.contact_id == ivan && m.suffix_digits == 7,
	   "telco dropped the area code: 7-digit suffix match");
	db_lookup(db, "960961", &m);
	ok(m.kind == DB_MATCH_NONE && m.contact_id == 0, "6 digits are too few to match");
	db_lookup(db, "+44 1632 9600123", &m);
	ok(m.kind == DB_MATCH_SUFFIX && m.contact_id == local,
	   "contact saved without area code matches the full number");
	db_lookup(db, "4960555", &m);
	ok(m.ambiguous && m.contact_id == 0, "a suffix shared by two contacts matches nobody");
	db_lookup(db, "+442079460999", &m);
	ok(m.ambiguous && m.contact_id == 0, "a number shared by two contacts is ambiguous");
	db_lookup(db, "P", &m);
	ok(m.withheld && m.contact_id == 0, "withheld P never matches");
	db_lookup(db, "Unavailable", &m);
	ok(m.withheld && m.contact_id == 0, "Unavailable never matches");
	db_lookup(db, "", &m);
	ok(m.contact_id == 0, "empty number never matches");
	add_contact(db, "Emergency", NULL, "999");
	db_lookup(db, "999", &m);
	ok(m.contact_id == 0, "short service numbers never match a contact");
	int64_t petr = add_contact(db, "Petr", NULL, "+420 123 456 789");
	db_lookup(db, "+420123456789", &m);
	ok(m.kind == DB_MATCH_EXACT && m.contact_id == petr,
	   "a number in international form matches exactly, whatever the plan's tables say");
	is_str(m.e164, "+420123456789", "and keeps its E.164");
	db_set_min_suffix(db, 6);
	db_lookup(db, "960961", &m);
	ok(m.contact_id == ivan, "the minimum suffix is configurable");
	/* a long name in Cyrillic (two bytes a letter): the popup, D-Bus,
	 * NCID and MQTT get all of it, and whole characters (D-Bus refuses
	 * a string that is not UTF-8) */
	char longname[512] = "";
	for (int i = 0; i < 40; i++) {
		strcat(longname, "Жук ");
	}
	strcat(longname, "и сыновья");
	int64_t zhuk = add_contact(db, longname, NULL, "+380 44 123 4567");
	db_lookup(db, "+380441234567", &m);
	ok(m.contact_id == zhuk && strcmp(m.name, longname) == 0 && utf8_valid(m.name, strlen(m.name)),
	   "a %zu-byte name comes whole with its match", strlen(longname));

	/* One contact's numbers that both fit are one candidate, whether next
	 * to each other in the index or not; another contact's after them
	 * still makes the match ambiguous. */
	int64_t offices = add_contact(db, "Two Offices", NULL, "0113 496 0777");
	ok(db_phone_add(db, offices, "0114 496 0777", "branch", NULL) == 0, "a second office");
	db_lookup(db, "4960777", &m);
	ok(m.kind == DB_MATCH_SUFFIX && !m.ambiguous && m.contact_id == offices,
	   "a suffix both of one contact's numbers end with matches that contact");
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO phones (contact_id, label, raw, e164, digits, rdigits)"
		 " SELECT contact_id, 'again', raw, e164, digits, rdigits FROM phones"
		 " WHERE contact_id = %lld",
		 (long long)ivan);
	ok(sqlite3_exec(db->sql, sql, NULL, NULL, NULL) == SQLITE_OK,
	   "a file holding one of Ivan's numbers twice");
	db_lookup(db, "+441632960961", &m);
	ok(m.kind == DB_MATCH_EXACT && !m.ambiguous && m.contact_id == ivan,
	   "a number one contact holds twice matches that contact");
	add_contact(db, "Copycat", NULL, "0115 496 0777");
	db_lookup(db, "4960777", &m);
	ok(m.ambiguous && m.contact_id == 0, "a contact's two numbers, then another's: ambiguous");
	db_close(db);

	db = db_open(path_in_tmp("noregion.db"), 0);
	int64_t x = add_contact(db, "No Region", NULL, "01632 960961");
	db_lookup(db, "+441632960961", &m);
	ok(m.contact_id == x, "without a region, digits still match across notations");
	db_close(db);
}

static int capture_note(const struct db_note *n, void *data) {
	struct capture *cap = data;
	if (cap->n < 16) {
		snprintf(cap->names[cap->n], 64, "%s:%s:%d", db_note_kind_str(n->kind), n->text,
			 n->open);
		cap->ids[cap->n] = n->id;
	}
	cap->n++;
	return 0;
}

static void test_notes(struct db *db) {
	int64_t id = add_contact(db, "Sergei Notes", NULL, NULL);
	int64_t n1, n2, n3;
	db_note_add(db, id, DB_NOTE_NOTE, "asked for black shoe cream", &n1);
	db_note_add(db, id, DB_NOTE_REQUEST, "black shoe cream, out of stock", &n2);
	db_note_add(db, id, DB_NOTE_ORDER, "Pelevin's Generation P on order", &n3);
	log_set_level(LOG_SILENT);
	is_int(db_note_add(db, 424242, DB_NOTE_NOTE, "x", NULL), -ENOENT,
	       "a note for a missing contact is refused");
	log_set_level(LOG_WARN);
	is_int(db_note_add(db, id, DB_NOTE_NOTE, "", NULL), -EINVAL, "an empty note is refused");

	struct capture cap = {0};
	struct db_note_filter f = {.contact_id = id};
	db_note_foreach(db, &f, capture_note, &cap);
	is_int(cap.n, 3, "three notes listed");
	is_int(cap.ids[0], n3, "newest first");

	memset(&cap, 0, sizeof(cap));
	struct db_note_filter open = {.kinds = 1 << DB_NOTE_REQUEST, .open_only = true};
	db_note_foreach(db, &open, capture_note, &cap);
	ok(cap.n == 1 && strcmp(cap.names[0], "request:black shoe cream, out of stock:1") == 0,
	   "open requests listed");
	is_int(db_note_close(db, n2), 0, "request closed");
	is_int(db_note_close(db, n2), -EALREADY, "closing twice says so");
	is_int(db_note_close(db, 987654), -ENOENT, "closing a missing request says so");
	memset(&cap, 0, sizeof(cap));
	db_note_foreach(db, &open, capture_note, &cap);
	is_int(cap.n, 0, "no open requests left");

	memset(&cap, 0, sizeof(cap));
	struct db_note_filter q = {.query = "shoe cream"};
	db_note_foreach(db, &q, capture_note, &cap);
	is_int(cap.n, 2, "note text search finds both notes mentioning shoe cream");
	/* every word counts, however long the query: one no note has, past
	 * 512 bytes of words both notes have, finds none (the query was cut
	 * there, and a quote at the cut wrote past its buffer) */
	char longq[1200] = "";
	for (int i = 0; i < 60; i++) {
		strcat(longq, "shoe cream ");
	}
	strcat(longq, "\"\"\" nowhere\"");
	memset(&cap, 0, sizeof(cap));
	struct db_note_filter lq = {.query = longq};
	is_int(db_note_foreach(db, &lq, capture_note, &cap), 0, "a query of %zu bytes is read",
	       strlen(longq));
	is_int(cap.n, 0, "its last word, which no note has, counts too");
	char quotes[520];
	memset(quotes, 'a', sizeof(quotes) - 2);
	quotes[507] = '"';
	quotes[508] = '\0';
	memset(&cap, 0, sizeof(cap));
	struct db_note_filter qq = {.query = quotes};
	is_int(db_note_foreach(db, &qq, capture_note, &cap), 0,
	       "a quote at byte 508 of a query is text");

	memset(&cap, 0, sizeof(cap));
	db_contact_search(db, "generation", 10, capture_contact, &cap);
	ok(cap.n == 1 && cap.ids[0] == id, "contact search finds a client by note text");
}

static void test_search(struct db *db) {
	int64_t p = add_contact(db, "Alexei Pozdnyshev", "Acme Trading", "+44 113 496 0000");
	struct capture cap = {0};
	db_contact_search(db, "pozd", 10, capture_contact, &cap);
	ok(cap.n == 2, "prefix search finds both Pozd... clients");
	memset(&cap, 0, sizeof(cap));
	db_contact_search(db, "acme", 10, capture_contact, &cap);
	ok(cap.n == 1 && cap.ids[0] == p, "company search");
	memset(&cap, 0, sizeof(cap));
	db_contact_search(db, "4960000", 10, capture_contact, &cap);
	ok(cap.n == 1 && cap.ids[0] == p, "search by part of a number");
	memset(&cap, 0, sizeof(cap));
	ok(db_contact_search(db, "NEAR(\"x\" OR *", 10, capture_contact, &cap) == 0,
	   "FTS syntax in a query is harmless");
}

static int capture_call(const struct db_call *c, void *data) {
	struct capture *cap = data;
	if (cap->n < 16) {
		cap->ids[cap->n] = c->id;
		snprintf(cap->names[cap->n], 64, "%s|%s|%s", c->number ? c->number : "-",
			 db_call_state_str(c->state), c->contact_name ? c->contact_name : "-");
	}
	cap->n++;
	return 0;
}

static void test_calls(struct db *db) {
	int64_t id = add_contact(db, "Caller Known", NULL, "+441632960100");
	struct db_call c = {
		.started = 1000,
		.line = "modem",
		.number = "01632960100",
		.e164 = "+441632960100",
		.contact_id = id,
		.rings = 1,
		.state = DB_CALL_RINGING,
	};
	int64_t c1, c2, c3;
	db_call_add(db, &c, &c1);
	c.id = c1;
	c.name = "CALLER KNOWN";
	c.ended = 1030;
	c.rings = 4;
	c.state = DB_CALL_MISSED;
	is_int(db_call_update(db, &c), 0, "call updated when it ends");
	struct db_call anon = {.started = 2000, .withheld = "private", .state = DB_CALL_UNKNOWN};
	db_call_add(db, &anon, &c2);
	c.started = 3000;
	c.state = DB_CALL_ANSWERED;
	db_call_add(db, &c, &c3);

	struct capture cap = {0};
	db_call_get(db, c1, capture_call, &cap);
	is_str(cap.names[0], "01632960100|missed|Caller Known", "call read back with contact name");

	/* a number that changes while the call rings (the network corrected
	 * it) takes the full update: the narrow one leaves number and contact */
	int64_t c4;
	struct db_call moving = {.started = 500,
				 .number = "01632960999",
				 .rings = 1,
				 .state = DB_CALL_RINGING};
	db_call_add(db, &moving, &c4);
	moving.id = c4;
	moving.number = "01632960200";
	moving.e164 = "+441632960200";
	moving.contact_id = add_contact(db, "Second Caller", NULL, "+441632960200");
	moving.state = DB_CALL_ANSWERED;
	is_int(db_call_update(db, &moving), 0, "call updated with a new number");
	memset(&cap, 0, sizeof(cap));
	db_call_get(db, c4, capture_call, &cap);
	is_str(cap.names[0], "01632960200|answered|Second Caller",
	       "new number and contact read back");
	moving.id = c4 + 1000;
	is_int(db_call_update(db, &moving), -ENOENT, "a call that is not there is not updated");

	memset(&cap, 0, sizeof(cap));
	struct db_call_filter all = {0};
	db_call_foreach(db, &all, capture_call, &cap);
	ok(cap.n >= 3 && cap.ids[0] == c3, "calls listed newest first");

	memset(&cap, 0, sizeof(cap));
	struct db_call_filter missed = {.missed = true, .unhandled = true};
	db_call_foreach(db, &missed, capture_call, &cap);
	ok(cap.n == 1 && cap.ids[0] == c1, "missed unhandled calls");

	struct db_history h;
	db_history_get(db, id, NULL, c3, 2026, 11, 27, &h);
	is_int(h.calls, 1, "history counts earlier calls, not the current one");
	ok(h.last_call == 1000 && h.last_state == DB_CALL_MISSED && !h.last_handled,
	   "history says the last call was missed and not handled");
	is_int(h.missed_unhandled, 1, "one missed call waits");

	is_int(db_call_mark_handled(db, c1, 4000), 0, "call marked handled");
	is_int(db_call_mark_handled(db, 99999, 4000), -ENOENT, "marking a missing call says so");
	memset(&cap, 0, sizeof(cap));
	db_call_foreach(db, &missed, capture_call, &cap);
	is_int(cap.n, 0, "handled calls leave the missed list");

	db_history_get(db, 0, "", 0, 2026, 11, 27, &h);
	is_int(h.calls, 0, "no number, no history");
	struct db_call u = {.started = 5000, .number = "5551234", .state = DB_CALL_UNKNOWN};
	db_call_add(db, &u, NULL);
	db_history_get(db, 0, "5551234", 0, 2026, 11, 27, &h);
	is_int(h.calls, 1, "an unknown caller's history comes from the number");

	is_int(db_contact_delete(db, id), 0, "contact deleted");
	memset(&cap, 0, sizeof(cap));
	db_call_get(db, c1, capture_call, &cap);
	is_str(cap.names[0], "01632960100|missed|-", "its calls stay in the log, unlinked");
}

static int capture_reminder(const struct db_reminder *r, void *data) {
	struct capture *cap = data;
	if (cap->n < 16) {
		snprintf(cap->names[cap->n], 64, "%s|%04d-%02d-%02d|%d", r->text, r->next_year,
			 r->next_month, r->next_day, r->days_left);
	}
	cap->n++;
	return 0;
}

static void test_reminders(struct db *db) {
	int64_t id = add_contact(db, "Gift Buyer", NULL, NULL);
	int64_t r;
	is_int(db_reminder_add(db, id, 0, 7, 12, true, 2, "Friend's birthday: offer a gift", &r), 0,
	       "yearly reminder added");
	db_reminder_add(db, id, 0, 1, 1, true, 3, "New year call", NULL);
	db_reminder_add(db, id, 2026, 3, 1, false, 2, "One-off in the past", NULL);
	is_int(db_reminder_add(db, id, 2027, 2, 29, false, 2, "x", NULL), -EINVAL,
	       "29 February of a common year is refused");
	struct db_contact bd = {.id = id, .birthday = "--02-29"};
	db_contact_update(db, &bd);

	struct capture cap = {0};
	db_reminder_foreach_due(db, id, 2026, 7, 10, -1, capture_reminder, &cap);
	ok(cap.n == 1 && strcmp(cap.names[0], "Friend's birthday: offer a gift|2026-07-12|2") == 0,
	   "on 10 July the 12 July reminder is due (2 days' notice)");
	memset(&cap, 0, sizeof(cap));
	db_reminder_foreach_due(db, id, 2026, 7, 9, -1, capture_reminder, &cap);
	is_int(cap.n, 0, "on 9 July it is not due yet");
	memset(&cap, 0, sizeof(cap));
	db_reminder_foreach_due(db, id, 2026, 12, 30, -1, capture_reminder, &cap);
	ok(cap.n == 1 && strcmp(cap.names[0], "New year call|2027-01-01|2") == 0,
	   "a yearly reminder crosses the year boundary");
	memset(&cap, 0, sizeof(cap));
	db_reminder_foreach_due(db, id, 2027, 2, 27, -1, capture_reminder, &cap);
	ok(cap.n == 1 && strcmp(cap.names[0], "Birthday|2027-02-28|1") == 0,
	   "a 29 February birthday falls on 28 February in a common year");
	memset(&cap, 0, sizeof(cap));
	db_reminder_foreach_due(db, id, 2026, 1, 1, 400, capture_reminder, &cap);
	is_int(cap.n, 4, "--days widens the window; past one-off reminders are gone");

	is_int(db_reminder_mark_announced(db, r, id, "2026-07-12"), 0, "first announcement");
	is_int(db_reminder_mark_announced(db, r, id, "2026-07-12"), 1, "never announced twice");
	is_int(db_reminder_delete(db, r), 0, "reminder deleted");
}

/* The scan in slices finds what the walk in one go finds, in the same order. */
static void test_due_scan(struct db *db) {
	static const char *const birthdays[] = {"--07-11",    "1980-07-12", NULL,	 "--07-10",
						"1975-12-31", "--02-29",    "2001-07-11"};
	for (size_t i = 0; i < sizeof(birthdays) / sizeof(birthdays[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "Scan %zu", i);
		struct db_contact c = {.name = name, .birthday = birthdays[i]};
		int64_t id = 0;
		db_contact_add(db, &c, &id);
		db_reminder_add(db, id, 0, 7, (int)(10 + i % 3), true, (int)i % 4, "Scan reminder",
				NULL);
	}
	static const int dates[][4] = {{2026, 7, 10, -1}, {2026, 12, 30, -1}, {2026, 1, 1, 400}};
	for (size_t d = 0; d < sizeof(dates) / sizeof(dates[0]); d++) {
		struct capture want = {0};
		db_reminder_foreach_due(db, 0, dates[d][0], dates[d][1], dates[d][2], dates[d][3],
					capture_reminder, &want);
		static const int steps[] = {1, 3, 1000};
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			struct db_due_scan *scan = db_due_scan_create(db, dates[d][0], dates[d][1],
								      dates[d][2], dates[d][3]);
			int ret, calls = 0;
			while ((ret = db_due_scan_step(scan, steps[k])) > 0) {
				calls++;
			}
			struct capture got = {0};
			const struct db_reminder *r;
			for (size_t i = 0; (r = db_due_scan_get(scan, i)) != NULL; i++) {
				capture_reminder(r, &got);
			}
			bool same = ret == 0 && got.n == want.n;
			for (int i = 0; same && i < got.n && i < 16; i++) {
				same = strcmp(got.names[i], want.names[i]) == 0;
			}
			ok(same && want.n > 0, "due scan %04d-%02d-%02d in steps of %d: the same %d",
			   dates[d][0], dates[d][1], dates[d][2], steps[k], want.n);
			if (steps[k] == 1) {
				ok(calls > 10, "steps of 1: a call per row (%d)", calls);
			}
			db_due_scan_destroy(scan);
		}
	}
	db_due_scan_destroy(NULL);
}

static void test_backup(struct db *db) {
	char *path = path_in_tmp("backup.db");
	is_int(db_backup(db, path), 0, "online backup written");
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "backup is mode 0600");
	struct db *copy = db_open(path, DB_OPEN_READONLY);
	ok(copy != NULL && db_contact_count(copy) == db_contact_count(db),
	   "backup holds every contact");
	struct db_contact c = {.name = "Read Only"};
	log_set_level(LOG_SILENT);
	is_int(db_contact_add(copy, &c, NULL), -EROFS, "a read-only database refuses writes");
	log_set_level(LOG_WARN);
	db_close(copy);

	/* A foreign file with ctid's table names but not its columns. */
	char *foreign = path_in_tmp("foreign.db");
	sqlite3 *f = NULL;
	sqlite3_open(foreign, &f);
	sqlite3_exec(f,
		     "CREATE TABLE contacts(x); CREATE TABLE phones(x); CREATE TABLE notes(x);"
		     "CREATE TABLE calls(x); CREATE TABLE contact_fields(x);"
		     "CREATE TABLE contact_tags(x); CREATE TABLE reminders(x);"
		     "INSERT INTO contacts VALUES (1); PRAGMA user_version = 1",
		     NULL, NULL, NULL);
	sqlite3_close(f);
	char why[512] = "";
	is_int(db_check_file(foreign, NULL, why, sizeof(why)), -EBADMSG,
	       "a file with ctid's table names but other columns is refused");
	ok(strstr(why, "not a ctid database") != NULL && strstr(why, "column") != NULL,
	   "... saying which column it lacks: %s", why);
	char *target = path_in_tmp("target.db");
	struct db *t = db_open(target, 0);
	add_contact(t, "Kept", NULL, "+44 20 7946 0001");
	db_close(t);
	ok(db_restore(target, foreign, why, sizeof(why)) == -EBADMSG && count_in(target) == 1,
	   "restore refuses it and leaves the database as it was");
	ok(db_check_file(path, NULL, why, sizeof(why)) == 0, "a backup of ctid's passes: %s", why);
}

struct wal_seen {
	int commits, last;
};

static void on_wal(int frames, void *data) {
	struct wal_seen *seen = data;
	seen->commits++;
	seen->last = frames;
}

/* With DB_OPEN_LAZY_CHECKPOINT, commits leave their pages in the log until
 * db_checkpoint() copies them into the file. */
static void test_checkpoint(void) {
	char *path = path_in_tmp("lazy.db");
	struct db *db = db_open(path, DB_OPEN_LAZY_CHECKPOINT);
	ok(db != NULL, "opened with lazy checkpoints");
	if (db == NULL) {
		return;
	}
	ok(db_checkpoint(db, false) > 0, "the new schema checkpointed");
	struct wal_seen seen = {0};
	db_set_wal_watch(db, on_wal, &seen);
	for (int i = 0; i < 1000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Lazy %d", i);
		add_contact(db, name, NULL, NULL);
	}
	ok(seen.commits >= 1000 && seen.last > 1000 && seen.last < DB_LAZY_CHECKPOINT_PAGES,
	   "the watch hears each commit, the log's size growing (%d commits, %d pages)",
	   seen.commits, seen.last);
	/* What the file holds without its log: a copy of the file alone. */
	char *copy = path_in_tmp("lazy-copy.db");
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, copy);
	int64_t before = system(cmd) == 0 ? count_in(copy) : -1;
	is_int((int)before, 0, "1,000 commits later the file alone holds none of them");
	ok(db_checkpoint(db, false) > 0, "db_checkpoint copies the log");
	unlink(copy);
	int64_t after = system(cmd) == 0 ? count_in(copy) : -1;
	is_int((int)after, 1000, "then the file alone holds every contact");
	unlink(copy);
	add_contact(db, "After the checkpoint", NULL, NULL);
	ok(seen.last > 0 && seen.last < 100, "the next commit starts the log afresh (%d pages)",
	   seen.last);
	/* SQLite's own checkpoint, in the commit that fills the log past
	 * DB_LAZY_CHECKPOINT_PAGES, still runs beside the watch */
	int peak = 0;
	for (int i = 0; i < 20000 && seen.last >= peak; i++) {
		peak = seen.last;
		char name[32];
		snprintf(name, sizeof(name), "Backstop %d", i);
		add_contact(db, name, NULL, NULL);
	}
	ok(peak >= DB_LAZY_CHECKPOINT_PAGES && seen.last < 100,
	   "past %d pages a commit checkpoints, and the log starts afresh (%d, then %d)",
	   DB_LAZY_CHECKPOINT_PAGES, peak, seen.last);
	db_close(db);
}

/* db_snapshot_begin(): the queries until db_snapshot_end() see one
 * snapshot, whatever another connection commits meanwhile. */
static void test_snapshot(void) {
	char *path = path_in_tmp("snapshot.db");
	struct db *reader = db_open(path, 0), *writer = db_open(path, 0);
	ok(reader != NULL && writer != NULL, "two connections to one file");
	if (reader == NULL || writer == NULL) {
		db_close(reader);
		db_close(writer);
		return;
	}
	db_set_region(reader, "GB");
	db_set_region(writer, "GB");
	struct db_match m;
	bool began = db_snapshot_begin(reader);
	ok(began, "a snapshot begins where no transaction is open");
	ok(!db_snapshot_begin(reader), "and not inside one");
	db_lookup(reader, "020 7946 0099", &m);
	ok(m.contact_id == 0, "nobody has the number yet");
	ok(add_contact(writer, "Late Comer", NULL, "020 7946 0099") > 0,
	   "another connection adds a contact with it meanwhile");
	db_lookup(reader, "020 7946 0099", &m);
	ok(m.contact_id == 0, "inside the snapshot the reader still sees nobody");
	db_snapshot_end(reader, began);
	db_lookup(reader, "020 7946 0099", &m);
	ok(m.contact_id > 0, "after it, the contact");
	db_close(reader);
	db_close(writer);
}

/* A string of n bytes of 'a' whose last character is the two-byte "é". */
static char *text_of(size_t n) {
	char *s = malloc(n + 1);
	memset(s, 'a', n);
	memcpy(s + n - 2, "\xc3\xa9", 2);
	s[n] = '\0';
	return s;
}

/* Texts are kept whole up to their limit and refused past it, never cut. */
static void test_limits(struct db *db) {
	int64_t id, note;
	char *name = text_of(DB_NAME_MAX), *longer = text_of(DB_NAME_MAX + 1);
	struct db_contact c = {.name = name, .company = name};
	is_int(db_contact_add(db, &c, &id), 0, "a name of DB_NAME_MAX bytes, ending in é, is kept");
	char got[DB_NAME_MAX + 8] = "";
	sqlite3 *raw = NULL;
	sqlite3_open(db_path(db), &raw);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(raw, "SELECT name FROM contacts WHERE id = ?", -1, &s, NULL);
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(got, sizeof(got), "%s", sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	is_str(got, name, "whole");
	c.name = longer;
	is_int(db_contact_add(db, &c, NULL), -EMSGSIZE, "one byte more is refused");
	c = (struct db_contact){.id = id, .company = longer};
	is_int(db_contact_update(db, &c), -EMSGSIZE, "a company one byte too long too");
	is_int(db_tag_add(db, id, longer), -EMSGSIZE, "and a tag");
	is_int(db_field_set(db, id, longer, "x"), -EMSGSIZE, "and a field's name");
	char *text = text_of(DB_TEXT_MAX), *too_long = text_of(DB_TEXT_MAX + 1);
	is_int(db_note_add(db, id, DB_NOTE_NOTE, text, &note), 0, "a note of DB_TEXT_MAX bytes");
	is_int(db_note_add(db, id, DB_NOTE_REQUEST, too_long, NULL), -EMSGSIZE,
	       "a request one byte longer is refused");
	is_int(db_field_set(db, id, "long", text), 0, "a field's value of DB_TEXT_MAX bytes");
	is_int(db_field_set(db, id, "long", too_long), -EMSGSIZE, "one byte more is refused");
	is_int(db_reminder_add(db, id, 0, 3, 1, true, 1, too_long, NULL), -EMSGSIZE,
	       "and a reminder's text");
	sqlite3_prepare_v2(raw, "SELECT length(CAST(text AS BLOB)) FROM notes WHERE id = ?", -1, &s,
			   NULL);
	sqlite3_bind_int64(s, 1, note);
	int stored = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	is_int(stored, DB_TEXT_MAX, "the note is stored whole");
	sqlite3_prepare_v2(raw, "SELECT count(*) FROM notes WHERE contact_id = ?", -1, &s, NULL);
	sqlite3_bind_int64(s, 1, id);
	is_int(sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1, 1,
	       "and nothing of the refused request is");
	sqlite3_finalize(s);
	sqlite3_close(raw);
	char number[DB_NUMBER_MAX + 2];
	memset(number, '1', sizeof(number) - 1);
	number[sizeof(number) - 1] = '\0';
	is_int(db_phone_add(db, id, number, NULL, NULL), -EMSGSIZE,
	       "a phone number of more than DB_NUMBER_MAX bytes is refused");
	db_contact_delete(db, id);
	free(name);
	free(longer);
	free(text);
	free(too_long);
}

int main(void) {
	log_init("test_db", LOG_WARN);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_open();
	test_migrations();
	struct db *db = db_open(path_in_tmp("main.db"), 0);
	db_set_region(db, "GB");
	test_contacts(db);
	test_lookup();
	test_notes(db);
	test_search(db);
	test_calls(db);
	test_reminders(db);
	test_due_scan(db);
	test_backup(db);
	test_checkpoint();
	test_snapshot();
	test_limits(db);
	/* SQLite's count of its allocations is off (db_open: a global mutex
	 * per allocation for a figure ctid never reads) */
	is_int(sqlite3_memory_used(), 0, "SQLite keeps no count of its memory (%lld bytes open)",
	       (long long)sqlite3_memory_used());
	db_close(db);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0) {
		tap_diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
