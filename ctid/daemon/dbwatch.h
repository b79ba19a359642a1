#ifndef CTID_DAEMON_DBWATCH_H
#define CTID_DAEMON_DBWATCH_H

/*
 * Notices writes to the database file and its write-ahead log, whoever
 * makes them (ctidctl handling a call, another program), without polling:
 * an inotify watch on the file's folder, its bursts told once, DEBOUNCE_MS
 * after the last write. Nothing wakes while nothing is written. The daemon's
 * own writes are told too: calls_changed_elsewhere() tells them apart.
 */

struct dbwatch;

/* Watches path; fn(data) after each burst of writes. NULL (logged) when
 * the folder cannot be watched: the daemon runs on without. */
struct dbwatch *dbwatch_create(const char *path, void (*fn)(void *data), void *data);
/* NULL is a no-op. */
void dbwatch_destroy(struct dbwatch *w);

#endif
