#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "db_private.h"
#include "log.h"
#include "utf8.h"

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_CONTACT_INSERT] = "INSERT INTO contacts (name, company, email, birthday, created, updated)"
				" VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
	[STMT_CONTACT_UPDATE] =
		"UPDATE contacts SET"
		" name = coalesce(nullif(?2, ''), name),"
		" company = CASE WHEN ?3 IS NULL THEN company ELSE nullif(?3, '') END,"
		" email = CASE WHEN ?4 IS NULL THEN email ELSE nullif(?4, '') END,"
		" birthday = CASE WHEN ?5 IS NULL THEN birthday ELSE nullif(?5, '') END,"
		" updated = ?6 WHERE id = ?1",
	[STMT_CONTACT_DELETE] = "DELETE FROM contacts WHERE id = ?1",
	[STMT_CONTACT_GET] = "SELECT " CONTACT_COLS " FROM contacts c WHERE c.id = ?1",
	[STMT_CONTACT_ALL] = "SELECT " CONTACT_COLS
			     " FROM contacts c ORDER BY c.name COLLATE NOCASE, c.id",
	[STMT_CONTACT_BY_TAG] = "SELECT " CONTACT_COLS " FROM contacts c"
				" JOIN contact_tags t ON t.contact_id = c.id WHERE t.tag = ?1"
				" ORDER BY c.name COLLATE NOCASE, c.id",
	[STMT_CONTACT_COUNT] = "SELECT count(*) FROM contacts",
	[STMT_CONTACT_BY_NAME] = "SELECT " CONTACT_COLS " FROM contacts c"
				 " WHERE c.name = ?1 COLLATE NOCASE ORDER BY c.id LIMIT 11",
	/* Resolving a fragment needs to know only whether one contact matches:
	 * no ranking, so FTS5 stops after the first few (a common word ranked
	 * over a million contacts took 0.3 s, tests/bench). */
	[STMT_CONTACT_FRAGMENT] =
		"SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?1 LIMIT ?2",
	[STMT_CONTACT_SEARCH] =
		"SELECT id, min(r) FROM ("
		" SELECT rowid AS id, bm25(contacts_fts, 10.0, 4.0) AS r FROM contacts_fts"
		"  WHERE contacts_fts MATCH ?1"
		" UNION ALL"
		" SELECT n.contact_id, bm25(notes_fts) * 0.5 FROM notes_fts"
		"  JOIN notes n ON n.id = notes_fts.rowid WHERE notes_fts MATCH ?1"
		") GROUP BY id ORDER BY min(r), id LIMIT ?2",
	[STMT_PHONE_SEARCH] = "SELECT DISTINCT p.contact_id FROM phones_fts"
			      " JOIN phones p ON p.id = phones_fts.rowid"
			      " WHERE phones_fts MATCH ?1 ORDER BY p.contact_id LIMIT ?2",
	[STMT_PHONE_INSERT] = "INSERT INTO phones (contact_id, label, raw, e164, digits, rdigits)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_PHONE_EXISTS] = "SELECT id FROM phones WHERE contact_id = ?1"
			      " AND (raw = ?2 OR (?3 <> '' AND digits = ?3) OR e164 = ?4) LIMIT 1",
	[STMT_PHONE_DELETE] = "DELETE FROM phones WHERE id = ?1",
	[STMT_PHONE_LIST] = "SELECT id, contact_id, label, raw, e164, digits FROM phones"
			    " WHERE contact_id = ?1 ORDER BY id",
	[STMT_PHONE_ALL] = "SELECT id, raw FROM phones ORDER BY id",
	[STMT_PHONE_RENORM] = "UPDATE phones SET e164 = ?2, digits = ?3, rdigits = ?4 WHERE id = ?1",
	[STMT_FIELD_SET] = "INSERT INTO contact_fields (contact_id, key, value) VALUES (?1, ?2, ?3)"
			   " ON CONFLICT (contact_id, key) DO UPDATE SET value = excluded.value",
	[STMT_FIELD_DELETE] = "DELETE FROM contact_fields WHERE contact_id = ?1 AND key = ?2",
	[STMT_FIELD_LIST] = "SELECT key, value FROM contact_fields WHERE contact_id = ?1"
			    " ORDER BY key",
	[STMT_TAG_ADD] = "INSERT OR IGNORE INTO contact_tags (contact_id, tag) VALUES (?1, ?2)",
	[STMT_TAG_REMOVE] = "DELETE FROM contact_tags WHERE contact_id = ?1 AND tag = ?2",
	[STMT_TAG_LIST] = "SELECT tag FROM contact_tags WHERE contact_id = ?1 ORDER BY tag",
	/* No DISTINCT: its temporary b-tree was two thirds of a probe's
	 * instructions; probe() in lookup.c stops at a second contact. */
	[STMT_LOOKUP_E164] = "SELECT p.contact_id, c.name FROM phones p"
			     " JOIN contacts c ON c.id = p.contact_id WHERE p.e164 = ?1",
	[STMT_LOOKUP_DIGITS] = "SELECT p.contact_id, c.name FROM phones p"
			       " JOIN contacts c ON c.id = p.contact_id WHERE p.rdigits = ?1",
	[STMT_LOOKUP_RANGE] = "SELECT p.contact_id, c.name FROM phones p"
			      " JOIN contacts c ON c.id = p.contact_id"
			      " WHERE p.rdigits >= ?1 AND p.rdigits < ?2",
	[STMT_NOTE_INSERT] = "INSERT INTO notes (contact_id, kind, text, status, created, author)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_NOTE_CLOSE] = "UPDATE notes SET status = 'closed', closed = ?2, closed_by = ?3"
			    " WHERE id = ?1 AND status = 'open'",
	[STMT_NOTE_STATUS] = "SELECT status FROM notes WHERE id = ?1",
	[STMT_NOTE_LIST_CONTACT] =
		"SELECT " NOTE_COLS " FROM notes n JOIN contacts c ON c.id = n.contact_id"
		" WHERE n.contact_id = ?1 AND (?2 >> (CASE n.kind WHEN 'note' THEN 0"
		" WHEN 'request' THEN 1 ELSE 2 END)) & 1 AND (?3 = 0 OR n.status = 'open')"
		" ORDER BY n.created DESC, n.id DESC LIMIT ?4",
	[STMT_NOTE_LIST_ALL] =
		"SELECT " NOTE_COLS " FROM notes n JOIN contacts c ON c.id = n.contact_id"
		" WHERE (?2 >> (CASE n.kind WHEN 'note' THEN 0 WHEN 'request' THEN 1 ELSE 2 END)) & 1"
		" ORDER BY n.created DESC, n.id DESC LIMIT ?4",
	[STMT_NOTE_LIST_OPEN] =
		"SELECT " NOTE_COLS " FROM notes n JOIN contacts c ON c.id = n.contact_id"
		" WHERE n.status = 'open' AND (?2 >> (CASE n.kind WHEN 'note' THEN 0"
		" WHEN 'request' THEN 1 ELSE 2 END)) & 1"
		" ORDER BY n.created DESC, n.id DESC LIMIT ?4",
	[STMT_NOTE_LIST_AUTHOR] =
		"SELECT " NOTE_COLS " FROM notes n JOIN contacts c ON c.id = n.contact_id"
		" WHERE n.author = ?5 COLLATE NOCASE AND n.created >= ?6"
		" AND (?2 >> (CASE n.kind WHEN 'note' THEN 0 WHEN 'request' THEN 1 ELSE 2 END)) & 1"
		" AND (?3 = 0 OR n.status = 'open') ORDER BY n.created DESC, n.id DESC LIMIT ?4",
	[STMT_NOTE_SEARCH] =
		"SELECT " NOTE_COLS " FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid"
		" JOIN contacts c ON c.id = n.contact_id WHERE notes_fts MATCH ?5"
		" AND (?1 = 0 OR n.contact_id = ?1) AND (?2 >> (CASE n.kind WHEN 'note' THEN 0"
		" WHEN 'request' THEN 1 ELSE 2 END)) & 1 AND (?3 = 0 OR n.status = 'open')"
		" ORDER BY n.created DESC, n.id DESC LIMIT ?4",
	[STMT_CALL_INSERT] = "INSERT INTO calls (started, ended, line, number, name, withheld, e164,"
			     " date, ring_type, called, contact_id, rings, state, direction,"
			     " answered_by, department)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
			     " ?14, ?15, ?16)",
	[STMT_CALL_UPDATE] = "UPDATE calls SET ended = ?2, line = ?3, number = ?4, name = ?5,"
			     " withheld = ?6, e164 = ?7, date = ?8, ring_type = ?9, called = ?10,"
			     " contact_id = ?11, rings = ?12, state = ?13, direction = ?14,"
			     " answered_by = ?15, department = ?16 WHERE id = ?1",
	/* the same, leaving the indexed number, e164 and contact alone: SQLite
	 * rewrites every index whose column an UPDATE sets, changed or not (a
	 * call's end wrote 6 pages with them, 3 without) */
	[STMT_CALL_PROGRESS] = "UPDATE calls SET ended = ?2, line = ?3, name = ?5,"
			       " withheld = ?6, date = ?8, ring_type = ?9, called = ?10,"
			       " rings = ?12, state = ?13, direction = ?14,"
			       " answered_by = ?15, department = ?16 WHERE id = ?1 AND"
			       " number IS ?4 AND e164 IS ?7 AND contact_id IS ?11",
	/* db_missed_foreach()'s rows, counted (the calls_missed index) */
	[STMT_MISSED_COUNT] = "SELECT count(*) FROM calls WHERE state = 'missed' AND handled IS NULL",
	[STMT_SNAPSHOT_BEGIN] = "BEGIN DEFERRED",
	[STMT_SNAPSHOT_END] = "COMMIT",
	[STMT_CALL_GET] = "SELECT " CALL_COLS " FROM calls k"
			  " LEFT JOIN contacts c ON c.id = k.contact_id WHERE k.id = ?1",
	[STMT_CALL_HANDLE] = "UPDATE calls SET handled = ?2, handled_by = ?3 WHERE id = ?1",
	[STMT_CALL_HANDLE_CONTACT] = "UPDATE calls SET handled = ?2, handled_by = ?3"
				     " WHERE contact_id = ?1 AND handled IS NULL",
	[STMT_CALL_CALLED_BACK] =
		"UPDATE calls SET called_back = ?2, handled = coalesce(handled, ?2),"
		" handled_by = CASE WHEN handled IS NULL THEN ?3 ELSE handled_by END WHERE id = ?1",
	[STMT_HISTORY_CONTACT] =
		"SELECT count(*), coalesce(sum(state = 'missed' AND handled IS NULL), 0)"
		" FROM calls WHERE contact_id = ?1 AND id <> ?2",
	[STMT_HISTORY_E164] = "SELECT count(*), coalesce(sum(state = 'missed' AND handled IS NULL), 0)"
			      " FROM calls WHERE e164 = ?1 AND id <> ?2",
	[STMT_HISTORY_NUMBER] = "SELECT count(*), coalesce(sum(state = 'missed' AND handled IS NULL), 0)"
				" FROM calls WHERE number = ?1 AND id <> ?2",
	[STMT_HISTORY_LAST_CONTACT] = "SELECT started, state, handled FROM calls"
				      " WHERE contact_id = ?1 AND id <> ?2"
				      " ORDER BY started DESC, id DESC LIMIT 1",
	[STMT_HISTORY_LAST_E164] =
		"SELECT started, state, handled FROM calls"
		" WHERE e164 = ?1 AND id <> ?2 ORDER BY started DESC, id DESC LIMIT 1",
	[STMT_HISTORY_LAST_NUMBER] = "SELECT started, state, handled FROM calls"
				     " WHERE number = ?1 AND id <> ?2"
				     " ORDER BY started DESC, id DESC LIMIT 1",
	[STMT_REMINDER_INSERT] = "INSERT INTO reminders (contact_id, year, month, day, yearly, notice,"
				 " text, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[STMT_REMINDER_DELETE] = "DELETE FROM reminders WHERE id = ?1",
	[STMT_REMINDER_LIST_CONTACT] =
		"SELECT " REMINDER_COLS " FROM reminders r"
		" JOIN contacts c ON c.id = r.contact_id WHERE r.contact_id = ?1",
	[STMT_REMINDER_LIST_ALL] = "SELECT " REMINDER_COLS " FROM reminders r"
				   " JOIN contacts c ON c.id = r.contact_id",
	[STMT_BIRTHDAY_CONTACT] = "SELECT id, name, birthday FROM contacts"
				  " WHERE id = ?1 AND birthday IS NOT NULL",
	[STMT_BIRTHDAY_ALL] = "SELECT id, name, birthday FROM contacts WHERE birthday IS NOT NULL",
	/* The due scan's slices: rowid ranges, so each costs the rows it reads
	 * (contacts without a birthday are skipped in SQL: handing every row
	 * to C would double the cost). */
	[STMT_REMINDER_STEP] = "SELECT " REMINDER_COLS " FROM reminders r"
			       " JOIN contacts c ON c.id = r.contact_id"
			       " WHERE r.id > ?1 ORDER BY r.id LIMIT ?2",
	[STMT_BIRTHDAY_STEP] = "SELECT id, name, birthday FROM contacts"
			       " WHERE id > ?1 AND id <= ?2 AND birthday IS NOT NULL",
	[STMT_CONTACT_MAX_ID] = "SELECT coalesce(max(id), 0) FROM contacts",
	[STMT_ANNOUNCED_INSERT] = "INSERT OR IGNORE INTO announced (reminder_id, contact_id, date)"
				  " VALUES (?1, ?2, ?3)",
	[STMT_NOTE_GET] = "SELECT " NOTE_COLS " FROM notes n JOIN contacts c ON c.id = n.contact_id"
			  " WHERE n.id = ?1",
	/* Search as you type stops at its limit: names in the order of their
	 * index, then full-text matches unranked (tests/bench measures it). */
	[STMT_SUGGEST_NAME] = "SELECT id FROM contacts WHERE name >= ?1 COLLATE NOCASE"
			      " AND name < ?2 COLLATE NOCASE ORDER BY name COLLATE NOCASE LIMIT ?3",
	[STMT_SUGGEST_AFTER] = "SELECT id FROM contacts WHERE name > ?1 COLLATE NOCASE"
			       " ORDER BY name COLLATE NOCASE LIMIT ?2",
	[STMT_SUGGEST_NOTES] = "SELECT n.contact_id FROM notes_fts"
			       " JOIN notes n ON n.id = notes_fts.rowid"
			       " WHERE notes_fts MATCH ?1 LIMIT ?2",
	[STMT_SUGGEST_PHONES] = "SELECT p.contact_id FROM phones_fts"
				" JOIN phones p ON p.id = phones_fts.rowid"
				" WHERE phones_fts MATCH ?1 LIMIT ?2",
	[STMT_USER_INSERT] =
		"INSERT INTO users (name, role, password, created) VALUES (?1, ?2, ?3, ?4)",
	[STMT_USER_GET] = "SELECT " USER_COLS " FROM users u WHERE u.name = ?1",
	[STMT_USER_GET_ID] = "SELECT " USER_COLS " FROM users u WHERE u.id = ?1",
	[STMT_USER_LIST] = "SELECT " USER_COLS " FROM users u ORDER BY u.name",
	[STMT_USER_COUNT] = "SELECT count(*) FROM users",
	[STMT_USER_PASSWORD] = "UPDATE users SET password = ?2 WHERE name = ?1",
	[STMT_USER_ROLE] = "UPDATE users SET role = ?2 WHERE name = ?1",
	[STMT_USER_EXTENSION] = "UPDATE users SET extension = ?2 WHERE name = ?1",
	[STMT_USER_DELETE] = "DELETE FROM users WHERE name = ?1",
	[STMT_TOKEN_INSERT] = "INSERT INTO tokens (user_id, kind, hash, csrf, created, expires)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_TOKEN_FIND] = "SELECT t.id, t.kind, t.csrf, t.created, t.expires, " USER_COLS
			    " FROM tokens t JOIN users u ON u.id = t.user_id"
			    " WHERE t.hash = ?1 AND (t.expires IS NULL OR t.expires > ?2)",
	[STMT_TOKEN_DELETE] = "DELETE FROM tokens WHERE hash = ?1",
	/* ?3: a token to keep, or NULL for none */
	[STMT_TOKEN_REVOKE] = "DELETE FROM tokens WHERE user_id = ?1 AND kind = ?2 AND hash IS NOT ?3",
	[STMT_TOKEN_HASHES] = "SELECT hash FROM tokens WHERE expires IS NULL OR expires > ?1",
	[STMT_TOKEN_EXPIRE] = "DELETE FROM tokens WHERE expires IS NOT NULL AND expires <= ?1",
};

int db_errno(int rc) {
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

int db_check_text(const char *s, size_t max, bool lines) {
	return utf8_check_text(s, max, lines);
}

int64_t db_now(void) {
	return (int64_t)time(NULL);
}

sqlite3_stmt *db_stmt(struct db *db, enum db_stmt id) {
	sqlite3_stmt *s = db->stmts[id];
	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	int rc = sqlite3_prepare_v3(db->sql, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (rc != SQLITE_OK) {
		log_error("Could not prepare statement %d: %s", (int)id, sqlite3_errmsg(db->sql));
		errno = -db_errno(rc);
		return NULL;
	}
	db->stmts[id] = s;
	return s;
}

int db_bind_text(sqlite3_stmt *s, int idx, const char *text) {
	if (text == NULL || text[0] == '\0') {
		return sqlite3_bind_null(s, idx);
	}
	return sqlite3_bind_text(s, idx, text, -1, SQLITE_TRANSIENT);
}

const char *db_column_text(sqlite3_stmt *s, int col) {
	return (const char *)sqlite3_column_text(s, col);
}

/* Whether rc says something about the file or the machine (locked, read-only,
 * full, I/O error, gone) rather than about the request: the caller knows what
 * it was doing, says so once, and decides whether to try again. */
static bool environmental(int rc) {
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_READONLY:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	/* a name taken, a contact that is gone: the caller gets -EEXIST and
	 * says so in its own words */
	case SQLITE_CONSTRAINT:
		return true;
	default:
		return false;
	}
}

int db_report(struct db *db, int rc) {
	log_printf(environmental(rc) ? LOG_DEBUG : LOG_ERROR, "Database %s: %s", db->path,
		   sqlite3_errmsg(db->sql));
	return db_errno(rc);
}

int db_walk(struct db *db, sqlite3_stmt *s, db_row_fn row, void *data, int *count) {
	int rc, ret = 0, n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		if ((ret = row(s, data)) != 0) {
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ret = db_report(db, rc);
	}
	sqlite3_reset(s);
	if (count != NULL) {
		*count = n;
	}
	return ret;
}

int db_exec_stmt(struct db *db, sqlite3_stmt *s) {
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		return db_report(db, rc);
	}
	return 0;
}

int db_exec_change(struct db *db, sqlite3_stmt *s) {
	int ret = db_exec_stmt(db, s);
	if (ret == 0 && sqlite3_changes(db->sql) == 0) {
		return -ENOENT;
	}
	return ret;
}

int db_exec_on(struct db *db, enum db_stmt id, int64_t row) {
	sqlite3_stmt *s = db_stmt(db, id);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, row);
	return db_exec_change(db, s);
}

const char *db_errmsg(struct db *db) {
	return sqlite3_errmsg(db->sql);
}

char *db_default_path(void) {
	const char *data = getenv("XDG_DATA_HOME");
	char *path = NULL;
	if (data != NULL && data[0] == '/') {
		if (asprintf(&path, "%s/ctid/ctid.db", data) < 0) {
			return NULL;
		}
		return path;
	}
	const char *home = getenv("HOME");
	if (home == NULL || home[0] == '\0') {
		errno = ENOENT;
		return NULL;
	}
	if (asprintf(&path, "%s/.local/share/ctid/ctid.db", home) < 0) {
		return NULL;
	}
	return path;
}

/* Creates the folders leading to path (mode 0700 for those created). */
static int make_parents(const char *path, enum log_level level) {
	char *copy = strdup(path);
	if (copy == NULL) {
		return -ENOMEM;
	}
	int ret = 0;
	for (char *p = copy + 1; *p != '\0'; p++) {
		if (*p != '/') {
			continue;
		}
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
			ret = -errno;
			log_printf(level, "Could not create folder %s: %s", copy, strerror(errno));
			break;
		}
		*p = '/';
	}
	free(copy);
	return ret;
}

/* Creates the file with mode 0600 before SQLite does, so the contacts are
 * never readable by others even for a moment. */
static int create_private(const char *path, enum log_level level) {
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int err = errno;
		log_printf(level, "Could not create database %s: %s", path, strerror(err));
		return -err;
	}
	close(fd);
	return 0;
}

/*
 * SQLite creates the write-ahead log and its index (-wal, -shm) with the
 * database's mode. Opened while the database was read-only (mode 0400),
 * they stay read-only after it is made writable again, and every connection
 * after that is read-only too. When the database is writable and they are
 * this user's own, they get its mode back.
 */
static void restore_side_files(const char *path) {
	struct stat db;
	if (stat(path, &db) < 0 || access(path, W_OK) < 0) {
		return;
	}
	static const char *const suffixes[] = {"-wal", "-shm"};
	for (size_t i = 0; i < 2; i++) {
		char *side = NULL;
		struct stat st;
		if (asprintf(&side, "%s%s", path, suffixes[i]) < 0) {
			return;
		}
		if (lstat(side, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    (st.st_mode & 0777) != (db.st_mode & 0666) && access(side, W_OK) < 0) {
			if (chmod(side, db.st_mode & 0666) == 0) {
				log_info("Made %s writable again, as the database is", side);
			}
		}
		free(side);
	}
}

static int exec(struct db *db, const char *sql) {
	char *msg = NULL;
	int rc = sqlite3_exec(db->sql, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		log_printf(environmental(rc) ? LOG_DEBUG : LOG_ERROR, "Database %s: %s", db->path,
			   msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return db_errno(rc);
	}
	return 0;
}

/* SQLite's auto-checkpoint (a passive one in the commit that fills the log
 * past a limit), at DB_LAZY_CHECKPOINT_PAGES, and the owner told the
 * log's size first (db_set_wal_watch()). */
static int wal_hook(void *data, sqlite3 *sql, const char *name, int frames) {
	struct db *db = data;
	if (db->wal_watch != NULL) {
		db->wal_watch(frames, db->wal_watch_data);
	}
	if (frames >= DB_LAZY_CHECKPOINT_PAGES) {
		sqlite3_wal_checkpoint_v2(sql, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
	return SQLITE_OK;
}

void db_set_wal_watch(struct db *db, void (*fn)(int frames, void *data), void *data) {
	db->wal_watch = fn;
	db->wal_watch_data = data;
}

/* An integer PRAGMA's value, or -errno. */
static int read_pragma(struct db *db, const char *sql) {
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL) != SQLITE_OK) {
		return db_errno(sqlite3_errcode(db->sql));
	}
	int rc = sqlite3_step(s);
	int version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : db_errno(rc);
	sqlite3_finalize(s);
	return version;
}

static int read_version(struct db *db) {
	return read_pragma(db, "PRAGMA user_version");
}

int db_data_version(struct db *db) {
	return read_pragma(db, "PRAGMA data_version");
}

static int migrate(struct db *db) {
	int version = read_version(db);
	if (version < 0) {
		log_error("Could not read the schema version of %s: %s", db->path,
			  sqlite3_errmsg(db->sql));
		return version;
	}
	if (version > DB_SCHEMA_VERSION) {
		log_error("Database %s has schema version %d; this ctid knows up to %d (upgrade ctid)",
			  db->path, version, DB_SCHEMA_VERSION);
		return -EPROTO;
	}
	if (version == DB_SCHEMA_VERSION) {
		return 0;
	}
	int ret = exec(db, "BEGIN IMMEDIATE");
	if (ret < 0) {
		return ret;
	}
	/* Another process may have migrated while we waited for the lock. */
	version = read_version(db);
	for (int v = version + 1; v <= DB_SCHEMA_VERSION && ret == 0; v++) {
		for (const char *const *sql = db_migration(v); *sql != NULL && ret == 0; sql++) {
			ret = exec(db, *sql);
		}
		if (ret == 0) {
			char pragma[64];
			snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
			ret = exec(db, pragma);
		}
	}
	if (ret < 0) {
		exec(db, "ROLLBACK");
		log_error("Could not migrate %s from schema version %d", db->path, version);
		return ret;
	}
	if (version > 0) {
		log_info("Migrated %s from schema version %d to %d", db->path, version,
			 DB_SCHEMA_VERSION);
	}
	return exec(db, "COMMIT");
}

/*
 * SQLite counts every allocation under a global mutex for
 * sqlite3_memory_used(), which ctid never asks: half of the main loop's
 * 467 mutex locks a call (callgrind, tests/bench/run --only path
 * --callgrind). Before SQLite's first use, or not at all (then it keeps
 * counting: SQLITE_MISUSE, no harm).
 */
static void configure_sqlite(void) {
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct db *db_open(const char *path, int flags) {
	struct db *db = calloc(1, sizeof(*db));
	if (db == NULL) {
		return NULL;
	}
	int ret = 0;
	db->min_suffix = DB_MIN_SUFFIX;
	db->path = strdup(path);
	if (db->path == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	bool readonly = flags & DB_OPEN_READONLY;
	enum log_level fail_level = flags & DB_OPEN_QUIET ? LOG_DEBUG : LOG_ERROR;
	bool memory = strcmp(path, ":memory:") == 0;
	if (!memory && access(path, F_OK) < 0) {
		if (readonly || (flags & DB_OPEN_NO_CREATE)) {
			ret = -ENOENT;
			log_error("Database %s does not exist", path);
			goto fail;
		}
		if ((ret = make_parents(path, fail_level)) < 0 ||
		    (ret = create_private(path, fail_level)) < 0) {
			goto fail;
		}
	}
	if (!readonly && !memory) {
		restore_side_files(path);
	}
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	pthread_once(&configured, configure_sqlite);
	int oflags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	int rc = sqlite3_open_v2(path, &db->sql, oflags | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		log_printf(fail_level, "Could not open database %s: %s", path,
			   db->sql != NULL ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
		ret = db_errno(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(db->sql, 0);
	sqlite3_busy_timeout(db->sql, 5000);
	if ((ret = exec(db, "PRAGMA foreign_keys = ON")) < 0) {
		goto fail;
	}
	if (!readonly) {
		if (sqlite3_db_readonly(db->sql, "main") == 1) {
			/* SQLite opens a file it may not write read-only, silently. */
			log_printf(flags & DB_OPEN_QUIET ? LOG_DEBUG : LOG_WARN,
				   "Database %s is read-only for this user: nothing can be saved "
				   "until it is writable",
				   path);
		}
		if ((ret = exec(db, "PRAGMA journal_mode = WAL")) < 0 ||
		    (ret = exec(db, "PRAGMA synchronous = NORMAL")) < 0 || (ret = migrate(db)) < 0) {
			goto fail;
		}
		if (flags & DB_OPEN_LAZY_CHECKPOINT) {
			sqlite3_wal_hook(db->sql, wal_hook, db);
		}
	} else {
		int version = read_version(db);
		if (version != DB_SCHEMA_VERSION) {
			log_error("Database %s has schema version %d, expected %d (open it once "
				  "read-write to upgrade)",
				  path, version, DB_SCHEMA_VERSION);
			ret = version < 0 ? version : -EPROTO;
			goto fail;
		}
	}
	return db;

fail:
	db_close(db);
	errno = ret < 0 ? -ret : EIO;
	return NULL;
}

bool db_writable(struct db *db) {
	return sqlite3_db_readonly(db->sql, "main") == 0;
}

bool db_moved(struct db *db) {
	int moved = 0;
	if (sqlite3_file_control(db->sql, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK) {
		return false;
	}
	return moved != 0;
}

char *db_lines_param(const char *lines) {
	size_t n = strlen(lines);
	char *out = malloc(n + 3), *o = out;
	if (out == NULL) {
		return NULL;
	}
	*o++ = ',';
	for (const char *p = lines; *p != '\0'; p++) {
		if (*p == ',' || *p == ' ') {
			if (o[-1] != ',') {
				*o++ = ',';
			}
		} else {
			*o++ = *p;
		}
	}
	if (o[-1] != ',') {
		*o++ = ',';
	}
	*o = '\0';
	return out;
}

void db_set_author(struct db *db, const char *who) {
	free(db->author);
	db->author = who != NULL && who[0] != '\0' ? strdup(who) : NULL;
}

void db_close(struct db *db) {
	if (db == NULL) {
		return;
	}
	free(db->author);
	for (int i = 0; i < STMT_COUNT; i++) {
		sqlite3_finalize(db->stmts[i]);
	}
	sqlite3_close(db->sql);
	free(db->path);
	free(db);
}

int db_schema_version(struct db *db) {
	return read_version(db);
}

void db_set_region(struct db *db, const char *region) {
	db->region[0] = '\0';
	if (region != NULL && strlen(region) == 2) {
		db->region[0] = (char)(region[0] & ~0x20);
		db->region[1] = (char)(region[1] & ~0x20);
		db->region[2] = '\0';
	}
}

const char *db_get_region(const struct db *db) {
	return db->region[0] != '\0' ? db->region : NULL;
}

void db_set_busy_timeout(struct db *db, int ms) {
	sqlite3_busy_timeout(db->sql, ms);
}

const char *db_path(const struct db *db) {
	return db->path;
}

void db_set_min_suffix(struct db *db, int digits) {
	db->min_suffix = digits < 4 ? 4 : digits;
}

int db_begin(struct db *db) {
	return exec(db, "BEGIN IMMEDIATE");
}

int db_begin_read(struct db *db) {
	return exec(db, "BEGIN DEFERRED");
}

int db_commit(struct db *db) {
	return exec(db, "COMMIT");
}

/* (prepared once, unlike db_begin_read(): a call's card begins one) */
static bool step_done(struct db *db, enum db_stmt id) {
	sqlite3_stmt *s = db_stmt(db, id);
	if (s == NULL) {
		return false;
	}
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE;
}

bool db_snapshot_begin(struct db *db) {
	return sqlite3_get_autocommit(db->sql) && step_done(db, STMT_SNAPSHOT_BEGIN);
}

void db_snapshot_end(struct db *db, bool began) {
	if (began && !step_done(db, STMT_SNAPSHOT_END)) {
		/* left open, it would hold every write after it uncommitted */
		log_error("Database %s: ending a read: %s", db->path, sqlite3_errmsg(db->sql));
		if (!sqlite3_get_autocommit(db->sql)) {
			db_rollback(db);
		}
	}
}

int db_rollback(struct db *db) {
	return exec(db, "ROLLBACK");
}

/*
 * A writer that finds the whole log copied into the file starts the log
 * over, and SQLite has it write the log's header and fdatasync it before
 * any page may follow (a restart torn by the disk's write order could
 * corrupt the file). Left to the next writer, that sync was inside the
 * daemon's next call, between its number and its popup: 1.1 ms on the
 * bench's virtual disk, tens of ms on an SD card. This rewrites the
 * file's first page (its application id, which ctid does not use,
 * unchanged) so that the log starts over here, on the checkpoint's
 * connection and thread; the next commit appends to it. With another
 * writer at it (no waiting: that one restarts the log), nothing.
 */
static void restart_log(struct db *db) {
	int wait_ms = read_pragma(db, "PRAGMA busy_timeout");
	sqlite3_busy_timeout(db->sql, 0);
	int ret = exec(db, "BEGIN IMMEDIATE");
	sqlite3_busy_timeout(db->sql, wait_ms > 0 ? wait_ms : 0);
	if (ret < 0) {
		return;
	}
	int id = read_pragma(db, "PRAGMA application_id");
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", id);
	if (id < 0 || exec(db, sql) < 0 || exec(db, "COMMIT") < 0) {
		exec(db, "ROLLBACK");
	}
}

int db_checkpoint(struct db *db, bool restart) {
	int log = 0, copied = 0;
	int rc = sqlite3_wal_checkpoint_v2(db->sql, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
	if (rc != SQLITE_OK) {
		log_warn("Could not checkpoint %s: %s", db->path, sqlite3_errmsg(db->sql));
		return db_errno(rc);
	}
	if (restart && log > 0 && copied == log) {
		restart_log(db);
	}
	return log > 0 ? log : 0;
}

int db_sync_log(struct db *db) {
	sqlite3_file *log = NULL;
	int rc = sqlite3_file_control(db->sql, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log);
	if (rc != SQLITE_OK || log == NULL || log->pMethods == NULL) {
		return -ENOENT;
	}
	rc = log->pMethods->xSync(log, SQLITE_SYNC_NORMAL);
	if (rc != SQLITE_OK) {
		log_warn("Could not sync the write-ahead log of %s: %s", db->path,
			 sqlite3_errstr(rc));
		return db_errno(rc);
	}
	return 0;
}

/* Whether PRAGMA quick_check finds the file at sql sound. */
static bool quick_check_ok(sqlite3 *sql) {
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(sql, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK) {
		return false;
	}
	bool ok = sqlite3_step(s) == SQLITE_ROW &&
		  strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
	sqlite3_finalize(s);
	return ok;
}

/*
 * The copy goes to a temporary file beside path, is checked and synced, and
 * only then renamed over path: a backup that fails half-way (a full disk)
 * leaves the previous one whole and removes the temporary.
 */
int db_backup(struct db *db, const char *path) {
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		log_error("Could not back up to %s: not a regular file", path);
		return -EINVAL;
	}
	struct atomic_file af;
	int ret = atomic_file_begin(&af, path); /* (mode 0600) */
	if (ret < 0) {
		log_error("Could not create a file beside %s: %s", path, strerror(-ret));
		return ret;
	}
	/* (af.fd stays open, unused, until SQLite closed its own: closing a
	 * descriptor of the file would drop SQLite's locks on it) */
	sqlite3 *dest = NULL;
	int rc = sqlite3_open_v2(af.tmp, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(dest, "main", db->sql, "main");
		if (b == NULL) {
			rc = sqlite3_errcode(dest);
		} else {
			/* All pages in one step: one read transaction, which in WAL mode
			 * the daemon's writes neither block nor restart. */
			int tries = 0;
			do {
				rc = sqlite3_backup_step(b, -1);
				if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
					sqlite3_sleep(50);
				}
			} while ((rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
				 ++tries < 200);
			sqlite3_backup_finish(b);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		}
	}
	if (rc == SQLITE_OK) {
		/* one self-contained file, not a WAL database without its WAL */
		rc = sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		log_error("Could not back up %s to %s: %s", db->path, path,
			  dest != NULL ? sqlite3_errmsg(dest) : sqlite3_errstr(rc));
		ret = db_errno(rc);
	} else if (!quick_check_ok(dest)) {
		log_error("Could not back up %s to %s: the copy fails SQLite's check", db->path,
			  path);
		ret = -EIO;
	}
	if (sqlite3_close(dest) != SQLITE_OK && ret == 0) {
		log_error("Could not back up %s to %s: %s", db->path, path, sqlite3_errmsg(dest));
		ret = -EIO;
	}
	if (ret < 0) {
		atomic_file_abort(&af);
	} else if ((ret = atomic_file_commit(&af)) < 0) {
		log_error("Could not back up %s to %s: %s", db->path, path, strerror(-ret));
	}
	return ret;
}
