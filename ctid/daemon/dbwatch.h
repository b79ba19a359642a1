#ifndef CTID_DAEMON_DBWATCH_H
#define CTID_DAEMON_DBWATCH_H

/*
 * Notices writes to the database file and its write-ahead log by other
 * programs (ctidctl handling a call, a restore moving a file in place),
 * without polling: an inotify watch on the file's folder for a file
 * closed after writing or moved there, its bursts told once, DEBOUNCE_MS
 * after the last. A program's writes are told when it closes the file, as
 * ctidctl does when it exits; the daemon's connections keep theirs open,
 * so its own writes, several a call, wake nothing. What is told may still
 * be no change (a program that only read): calls_changed_elsewhere()
 * tells.
 */

struct dbwatch;

/* Watches path; fn(data) after each burst of writes. NULL (logged) when
 * the folder cannot be watched: the daemon runs on without. */
struct dbwatch *dbwatch_create(const char *path, void (*fn)(void *data), void *data);
/* NULL is a no-op. */
void dbwatch_destroy(struct dbwatch *w);

#endif
