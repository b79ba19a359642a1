#include <assert.h>
#include <stddef.h>

#include "db_private.h"

/*
 * Every schema change is a new entry; an entry, once released, never
 * changes. db_open() applies those a file lacks, in one transaction, and
 * sets PRAGMA user_version to the number applied.
 */
/* 1: contacts, numbers, notes, calls, reminders, full-text search */
static const char *const schema_1[] = {
	"CREATE TABLE contacts ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  company TEXT,"
	"  email TEXT,"
	"  birthday TEXT,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL"
	")",
	"CREATE TABLE contact_fields ("
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (contact_id, key)"
	") WITHOUT ROWID",
	"CREATE TABLE contact_tags ("
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  tag TEXT NOT NULL COLLATE NOCASE,"
	"  PRIMARY KEY (contact_id, tag)"
	") WITHOUT ROWID",
	"CREATE INDEX contact_tags_tag ON contact_tags(tag)",
	"CREATE TABLE phones ("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  label TEXT,"
	"  raw TEXT NOT NULL,"
	"  e164 TEXT,"
	"  digits TEXT NOT NULL,"
	"  rdigits TEXT NOT NULL"
	")",
	"CREATE INDEX phones_contact ON phones(contact_id)",
	"CREATE INDEX phones_e164 ON phones(e164) WHERE e164 IS NOT NULL",
	"CREATE INDEX phones_rdigits ON phones(rdigits)",
	"CREATE TABLE notes ("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('note', 'request', 'order')),"
	"  text TEXT NOT NULL,"
	"  status TEXT CHECK (status IN ('open', 'closed')),"
	"  created INTEGER NOT NULL,"
	"  closed INTEGER"
	")",
	"CREATE INDEX notes_contact ON notes(contact_id, created)",
	"CREATE INDEX notes_open ON notes(status, kind) WHERE status = 'open'",
	"CREATE TABLE calls ("
	"  id INTEGER PRIMARY KEY,"
	"  started INTEGER NOT NULL,"
	"  ended INTEGER,"
	"  line TEXT,"
	"  number TEXT,"
	"  name TEXT,"
	"  withheld TEXT CHECK (withheld IN ('private', 'unavailable')),"
	"  e164 TEXT,"
	"  date TEXT,"
	"  ring_type TEXT,"
	"  called TEXT,"
	"  contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	"  rings INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL CHECK (state IN ('ringing', 'answered', 'missed', 'unknown')),"
	"  handled INTEGER,"
	"  called_back INTEGER"
	")",
	"CREATE INDEX calls_started ON calls(started)",
	"CREATE INDEX calls_contact ON calls(contact_id, started)",
	"CREATE INDEX calls_e164 ON calls(e164, started) WHERE e164 IS NOT NULL",
	"CREATE INDEX calls_number ON calls(number, started) WHERE number IS NOT NULL",
	"CREATE INDEX calls_missed ON calls(started) WHERE state = 'missed' AND handled IS NULL",
	"CREATE TABLE reminders ("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  year INTEGER,"
	"  month INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),"
	"  day INTEGER NOT NULL CHECK (day BETWEEN 1 AND 31),"
	"  yearly INTEGER NOT NULL DEFAULT 0,"
	"  notice INTEGER NOT NULL DEFAULT 2,"
	"  text TEXT NOT NULL,"
	"  created INTEGER NOT NULL"
	")",
	"CREATE INDEX reminders_contact ON reminders(contact_id)",
	"CREATE TABLE announced ("
	"  reminder_id INTEGER NOT NULL,"
	"  contact_id INTEGER NOT NULL,"
	"  date TEXT NOT NULL,"
	"  PRIMARY KEY (reminder_id, contact_id, date)"
	") WITHOUT ROWID",
	/* Full-text search: names and companies, note text, and number digits
	 * (trigram, so any part of a number is found through the index). */
	"CREATE VIRTUAL TABLE contacts_fts USING fts5(name, company, content='contacts',"
	"  content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
	"CREATE TRIGGER contacts_ai AFTER INSERT ON contacts BEGIN"
	"  INSERT INTO contacts_fts(rowid, name, company) VALUES (new.id, new.name, new.company);"
	" END",
	"CREATE TRIGGER contacts_ad AFTER DELETE ON contacts BEGIN"
	"  INSERT INTO contacts_fts(contacts_fts, rowid, name, company)"
	"  VALUES ('delete', old.id, old.name, old.company);"
	" END",
	"CREATE TRIGGER contacts_au AFTER UPDATE OF name, company ON contacts BEGIN"
	"  INSERT INTO contacts_fts(contacts_fts, rowid, name, company)"
	"  VALUES ('delete', old.id, old.name, old.company);"
	"  INSERT INTO contacts_fts(rowid, name, company) VALUES (new.id, new.name, new.company);"
	" END",
	"CREATE VIRTUAL TABLE notes_fts USING fts5(text, content='notes', content_rowid='id',"
	"  tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
	"CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN"
	"  INSERT INTO notes_fts(rowid, text) VALUES (new.id, new.text);"
	" END",
	"CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN"
	"  INSERT INTO notes_fts(notes_fts, rowid, text) VALUES ('delete', old.id, old.text);"
	" END",
	"CREATE TRIGGER notes_au AFTER UPDATE OF text ON notes BEGIN"
	"  INSERT INTO notes_fts(notes_fts, rowid, text) VALUES ('delete', old.id, old.text);"
	"  INSERT INTO notes_fts(rowid, text) VALUES (new.id, new.text);"
	" END",
	"CREATE VIRTUAL TABLE phones_fts USING fts5(digits, content='phones', content_rowid='id',"
	"  tokenize='trigram')",
	"CREATE TRIGGER phones_ai AFTER INSERT ON phones BEGIN"
	"  INSERT INTO phones_fts(rowid, digits) VALUES (new.id, new.digits);"
	" END",
	"CREATE TRIGGER phones_ad AFTER DELETE ON phones BEGIN"
	"  INSERT INTO phones_fts(phones_fts, rowid, digits) VALUES ('delete', old.id, old.digits);"
	" END",
	"CREATE TRIGGER phones_au AFTER UPDATE OF digits ON phones BEGIN"
	"  INSERT INTO phones_fts(phones_fts, rowid, digits) VALUES ('delete', old.id, old.digits);"
	"  INSERT INTO phones_fts(rowid, digits) VALUES (new.id, new.digits);"
	" END",
	NULL,
};

/*
 * 2: the call-back list (ctidctl missed) reads unhandled calls that were
 * missed or may have been (state unknown: a modem that cannot tell, such as
 * the USRobotics 5637, logs only those). calls_missed covers only the first;
 * without this the list scans the whole log.
 */
static const char *const schema_2[] = {
	"CREATE INDEX calls_waiting ON calls(started)"
	" WHERE handled IS NULL AND state IN ('missed', 'unknown')",
	NULL,
};

/*
 * 3: the office. Users of the web page and the API with their role, their
 * API tokens and browser sessions (hashed); who wrote a note, closed a
 * request or handled a call; calls placed from the office (direction), who
 * answered one and the department of its line; and names in order for
 * search as you type.
 */
static const char *const schema_3[] = {
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  role TEXT NOT NULL CHECK (role IN ('seller', 'manager', 'admin')),"
	"  password TEXT,"
	"  created INTEGER NOT NULL"
	")",
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('api', 'session', 'link')),"
	"  hash TEXT NOT NULL UNIQUE,"
	"  csrf TEXT,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER"
	")",
	"CREATE INDEX tokens_user ON tokens(user_id, kind)",
	"ALTER TABLE notes ADD COLUMN author TEXT",
	"ALTER TABLE notes ADD COLUMN closed_by TEXT",
	"ALTER TABLE calls ADD COLUMN handled_by TEXT",
	"ALTER TABLE calls ADD COLUMN direction TEXT NOT NULL DEFAULT 'in'"
	"  CHECK (direction IN ('in', 'out'))",
	"ALTER TABLE calls ADD COLUMN answered_by TEXT",
	"ALTER TABLE calls ADD COLUMN department TEXT",
	"CREATE INDEX contacts_name ON contacts(name COLLATE NOCASE)",
	/* a user's activity */
	"CREATE INDEX notes_author ON notes(author COLLATE NOCASE, created)",
	"CREATE INDEX calls_handled_by ON calls(handled_by COLLATE NOCASE, started)",
	NULL,
};

/* Version 4: the phone a user's calls back ring first (a PBX extension). */
static const char *const schema_4[] = {
	"ALTER TABLE users ADD COLUMN extension TEXT",
	NULL,
};

/*
 * Version 5: calls nobody handled (nearly all, and every call while it
 * rings) are not in calls_handled_by, which held an entry for each: 6 MB
 * of NULLs at 451,000 calls (the bench's million contacts), and 0.2 pages
 * of the log a call. "handled_by = ?" still finds its rows through it.
 */
static const char *const schema_5[] = {
	"DROP INDEX calls_handled_by",
	"CREATE INDEX calls_handled_by ON calls(handled_by COLLATE NOCASE, started)"
	" WHERE handled_by IS NOT NULL",
	NULL,
};

static const char *const *const migrations[] = {
	schema_1, schema_2, schema_3, schema_4, schema_5,
};

static_assert(sizeof(migrations) / sizeof(migrations[0]) == DB_SCHEMA_VERSION,
	      "one migration per schema version");

const char *const *db_migration(int version) {
	if (version < 1 || version > DB_SCHEMA_VERSION) {
		return NULL;
	}
	return migrations[version - 1];
}
