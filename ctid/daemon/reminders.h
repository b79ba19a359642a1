#ifndef CTID_DAEMON_REMINDERS_H
#define CTID_DAEMON_REMINDERS_H

/*
 * Reminders and birthdays that fall due: looked for a few seconds after
 * start-up and every day at reminder-time, each announced once (the
 * database remembers which were), in slices so that no call waits for the
 * walk over a million contacts. What an announcement shows is the daemon's
 * business: this module only says which reminder is due.
 */

#include "calls.h"
#include "config.h"
#include "db.h"

struct reminders_listener {
	/* r falls due and was not announced before; valid during the call. */
	void (*due)(const struct db_reminder *r, void *data);
};

struct reminders;

/* Starts the timers. calls lends the database; config (reminder-time) is
 * read whenever the timer is set, and must outlive the reminders. Returns
 * NULL when out of memory. */
struct reminders *reminders_create(struct calls *calls, const struct config *config,
				   const struct reminders_listener *l, void *data);
/* NULL is a no-op. */
void reminders_destroy(struct reminders *r);

/* Sets the daily timer again (after reminder-time may have changed). */
void reminders_reschedule(struct reminders *r);
/* The database was opened again: a walk under way starts over on the new
 * connection (none is announced twice). */
void reminders_restart_walk(struct reminders *r);

#endif
