#ifndef CTID_DB_PRIVATE_H
#define CTID_DB_PRIVATE_H

#include <sqlite3.h>

#include "db.h"

/* Every statement the module runs, prepared once on first use. */
enum db_stmt {
	STMT_CONTACT_INSERT,
	STMT_CONTACT_UPDATE,
	STMT_CONTACT_DELETE,
	STMT_CONTACT_GET,
	STMT_CONTACT_ALL,
	STMT_CONTACT_BY_TAG,
	STMT_CONTACT_COUNT,
	STMT_CONTACT_BY_NAME,
	STMT_CONTACT_SEARCH,
	STMT_CONTACT_FRAGMENT,
	STMT_PHONE_SEARCH,
	STMT_PHONE_INSERT,
	STMT_PHONE_EXISTS,
	STMT_PHONE_DELETE,
	STMT_PHONE_LIST,
	STMT_PHONE_ALL,
	STMT_PHONE_RENORM,
	STMT_FIELD_SET,
	STMT_FIELD_DELETE,
	STMT_FIELD_LIST,
	STMT_TAG_ADD,
	STMT_TAG_REMOVE,
	STMT_TAG_LIST,
	STMT_LOOKUP_E164,
	STMT_LOOKUP_DIGITS,
	STMT_LOOKUP_RANGE,
	STMT_NOTE_INSERT,
	STMT_NOTE_CLOSE,
	STMT_NOTE_STATUS,
	STMT_NOTE_LIST_CONTACT,
	STMT_NOTE_LIST_ALL,
	STMT_NOTE_LIST_OPEN,
	STMT_NOTE_SEARCH,
	STMT_NOTE_LIST_AUTHOR,
	STMT_CALL_INSERT,
	STMT_CALL_UPDATE,
	STMT_CALL_PROGRESS,
	STMT_MISSED_COUNT,
	STMT_SNAPSHOT_BEGIN,
	STMT_SNAPSHOT_END,
	STMT_CALL_GET,
	STMT_CALL_HANDLE,
	STMT_CALL_HANDLE_CONTACT,
	STMT_CALL_CALLED_BACK,
	STMT_HISTORY_CONTACT,
	STMT_HISTORY_E164,
	STMT_HISTORY_NUMBER,
	STMT_HISTORY_LAST_CONTACT,
	STMT_HISTORY_LAST_E164,
	STMT_HISTORY_LAST_NUMBER,
	STMT_REMINDER_INSERT,
	STMT_REMINDER_DELETE,
	STMT_REMINDER_LIST_CONTACT,
	STMT_REMINDER_LIST_ALL,
	STMT_BIRTHDAY_CONTACT,
	STMT_BIRTHDAY_ALL,
	STMT_REMINDER_STEP,
	STMT_BIRTHDAY_STEP,
	STMT_CONTACT_MAX_ID,
	STMT_ANNOUNCED_INSERT,
	STMT_NOTE_GET,
	STMT_SUGGEST_NAME,
	STMT_SUGGEST_AFTER,
	STMT_SUGGEST_NOTES,
	STMT_SUGGEST_PHONES,
	STMT_USER_INSERT,
	STMT_USER_GET,
	STMT_USER_GET_ID,
	STMT_USER_LIST,
	STMT_USER_COUNT,
	STMT_USER_PASSWORD,
	STMT_USER_ROLE,
	STMT_USER_EXTENSION,
	STMT_USER_DELETE,
	STMT_TOKEN_INSERT,
	STMT_TOKEN_FIND,
	STMT_TOKEN_DELETE,
	STMT_TOKEN_REVOKE,
	STMT_TOKEN_HASHES,
	STMT_TOKEN_EXPIRE,
	STMT_COUNT,
};

#define CONTACT_COLS "c.id, c.name, c.company, c.email, c.birthday, c.created, c.updated"
#define CALL_COLS                                                                           \
	"k.id, k.started, k.ended, k.line, k.number, k.name, k.withheld, k.e164, k.date, "  \
	"k.ring_type, k.called, k.contact_id, k.rings, k.state, k.handled, k.called_back, " \
	"c.name, k.handled_by, k.direction, k.answered_by, k.department"
#define NOTE_COLS                                                                               \
	"n.id, n.contact_id, c.name, n.kind, n.text, n.status, n.created, n.closed, n.author, " \
	"n.closed_by"
#define USER_COLS "u.id, u.name, u.role, u.password, u.created, u.extension"
#define REMINDER_COLS \
	"r.id, r.contact_id, c.name, r.year, r.month, r.day, r.yearly, r.notice, r.text"

/* Reads a row of CONTACT_COLS (starting at column 0). */
void db_row_contact(sqlite3_stmt *s, struct db_contact *c);
/* Reads a row of CALL_COLS. */
void db_row_call(sqlite3_stmt *s, struct db_call *c);

struct db {
	sqlite3 *sql;
	char *path;
	char *author; /* who is acting (db_set_author), or NULL */
	char region[3];
	int min_suffix;
	sqlite3_stmt *stmts[STMT_COUNT];
	void (*wal_watch)(int frames, void *data); /* db_set_wal_watch() */
	void *wal_watch_data;
};

/* The statements of schema version v (1-based), NULL-terminated, or NULL. */
const char *const *db_migration(int version);

/* Returns the statement id, reset and with bindings cleared, or NULL after
 * logging the preparation error. */
sqlite3_stmt *db_stmt(struct db *db, enum db_stmt id);

/* Maps an SQLite result code to a negative errno. */
int db_errno(int rc);

/* Binds text, or NULL for a NULL or empty string. */
int db_bind_text(sqlite3_stmt *s, int idx, const char *text);
/* Column text, or NULL for SQL NULL. */
const char *db_column_text(sqlite3_stmt *s, int col);

/* Logs SQLite's message for rc (at debug level for a locked, read-only, full
 * or failing file, or a broken constraint: the caller says what it was
 * doing) and returns -errno. */
int db_report(struct db *db, int rc);

/* Called for each row of a walk; a non-zero return stops it and is returned. */
typedef int (*db_row_fn)(sqlite3_stmt *s, void *data);

/* Steps s over its rows, calling row for each, then resets s. Writes how
 * many rows were seen to *count (when not NULL). Returns 0, row's non-zero
 * value, or -errno (see db_report). */
int db_walk(struct db *db, sqlite3_stmt *s, db_row_fn row, void *data, int *count);

/* Steps a statement that returns no rows; returns -errno on error (see db_report). */
int db_exec_stmt(struct db *db, sqlite3_stmt *s);
/* db_exec_stmt(), and -ENOENT when it changed no row: for a statement that
 * changes the row its caller named (by id). */
int db_exec_change(struct db *db, sqlite3_stmt *s);
/* Runs statement id with ?1 bound to row (a delete by id): 0, -ENOENT when
 * there was no such row, or -errno. */
int db_exec_on(struct db *db, enum db_stmt id, int64_t row);

int64_t db_now(void);

/* A call of the lines or departments of parameter p (db_lines_param). */
#define DB_LINES_CLAUSE(p)                                           \
	" AND (instr(" p ", ',' || coalesce(k.line, '') || ',') > 0" \
	" OR instr(" p ", ',' || coalesce(k.department, '') || ',') > 0)"
/* ",shop,service," for "shop, service": what DB_LINES_CLAUSE matches in.
 * A new string (free), NULL when out of memory. */
char *db_lines_param(const char *lines);

/* Turns what a person typed into an FTS5 query of quoted prefix terms
 * ("pozd"*), so no FTS syntax in it takes effect. false: no word in it. */
bool db_fts_query(const char *text, char *out, size_t outsz);

#endif
