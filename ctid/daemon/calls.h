#ifndef CTID_DAEMON_CALLS_H
#define CTID_DAEMON_CALLS_H

/*
 * The calls the daemon follows, from the first ring until they are safely in
 * the call log. Each call event from a line (a modem today, any source of
 * calls) is matched against the contacts, given the caller's history and
 * written to the database before anything else is done with it. A write
 * that fails keeps the call in memory and tries again with back-off, oldest
 * call first, opening the file again where that can help: no call is lost to
 * a locked, read-only, full or vanished database. This module owns the
 * database connection; the rest of the daemon borrows it with calls_db().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call_event.h"
#include "db.h"

/* A call as the daemon knows it: what the line said, and what the database
 * knows of the caller. */
struct call_entry {
	uint64_t key;	  /* the daemon's own number for the call, from 1 */
	int64_t id;	  /* its id in the call log, 0 until written */
	char *line;	  /* the line's name (a copy: the line may go first) */
	char *department; /* the line's department, or NULL (a copy) */
	struct call_info info;
	struct db_match match;
	char formatted[64]; /* the number for reading, "" when there is none */
	char *company;	    /* the contact's company, or NULL */
	char date[24];	    /* the telco's date and time (ISO 8601), or "" */
	bool history_ok;    /* history could be read */
	struct db_history history;
};

/* Whether the call log can be written. */
struct calls_health {
	const char *path;
	int error;	/* the last failed write's -errno; 0 while writes succeed */
	int64_t since;	/* when writing began to fail (Unix seconds), 0 while it works */
	size_t waiting; /* calls kept in memory until they can be written */
};

struct calls_listener {
	/* The database was opened again: whatever read through the old
	 * connection (a walk in slices) must start over. */
	void (*reopened)(void *data);
	/* The log became unwritable, or writable again (see calls_health). */
	void (*health_changed)(void *data);
};

struct calls;

/*
 * Opens the database at path (created if need be) for the call log. A file
 * that is read-only for this user is opened anyway: calls then wait in
 * memory. Returns NULL (logged) when it cannot be opened at all. The
 * listener must outlive the object.
 */
struct calls *calls_create(const char *path, const struct calls_listener *l, void *data);
/* Tries once more to write the calls that wait, says which could not be,
 * and closes the database. NULL is a no-op. */
void calls_destroy(struct calls *c);

/* The home region ("GB", "" for none) and the digits a suffix match needs
 * (0: the database's default), for matching and formatting numbers. */
void calls_configure(struct calls *c, const char region[3], int min_suffix);
const char *calls_region(const struct calls *c);

/* Whether another connection (ctidctl, another program) committed a change
 * since the last time this was asked (or the database was opened). */
bool calls_changed_elsewhere(struct calls *c);

/* The database connection, borrowed: valid until the next call of this
 * module (it may be opened again after a failed write). */
struct db *calls_db(struct calls *c);

/*
 * A call event from a line. source and info->seq name the call (source is
 * whatever stands for the line, compared by address); line is its name.
 * Starts following the call on its first event, matches the number when
 * it changes, writes the call (or queues the write), and, with a new
 * number, reads the caller's history. Returns the entry, which stays valid
 * until calls_forget_ended() (NULL when out of memory, logged). *visible
 * says whether anything a popup shows changed.
 */
struct call_entry *calls_update(struct calls *c, const void *source, const char *line,
				const char *department, const struct call_info *info,
				enum call_change change, bool *visible);
/* Forgets the calls that ended and are safely written. */
void calls_forget_ended(struct calls *c);

/* Whether the log can be written; strings valid until the next call. */
void calls_health(struct calls *c, struct calls_health *out);

/*
 * Replaces the database with the backup at source (db_restore: checked,
 * copied, the old file kept as PATH.before-restore), closing the connection
 * while it does and opening the new file after. Calls in memory are
 * written to the new file. Returns 0, or -errno with the reason in why
 * (the old file then stays in place and in use).
 */
int calls_restore(struct calls *c, const char *source, char *why, size_t whysz);

/* After a write of another kind (a reminder marked announced): copies the
 * write-ahead log into the file once the line has been quiet a while. */
void calls_checkpoint_later(struct calls *c);

/* How a call's state is stored. */
enum db_call_state calls_db_state(enum call_state s);
/* The call log's row for a call of line, matched as m (its id left 0). The
 * strings are borrowed from the arguments. */
void calls_row(const struct call_info *i, const char *line, const struct db_match *m,
	       const char *date, struct db_call *out);
/* The telco's date and time as ISO 8601 ("2026-11-27T09:30", or the date
 * alone), or "" when it sent none. */
void calls_date(const struct call_info *i, char out[24]);

#endif
