#ifndef CTID_DAEMON_PRIVATE_H
#define CTID_DAEMON_PRIVATE_H

#include <glib.h>

#include "bus.h"
#include "call.h"
#include "daemon.h"
#include "db.h"
#include "lines.h"
#include "notify.h"

/* A call the daemon is following: ringing, or ended but not yet logged. */
struct active {
	struct line *line;
	uint64_t seq; /* the tracker's call number */
	uint64_t key; /* the popup's key */
	int64_t id;   /* the call log's id, 0 until written */
	bool dirty;   /* a change still to be written */
	bool ended;
	struct call_info info;
	struct db_match match;
	char formatted[64];
	char company[128];
	char date[24];
	bool history_ok;
	struct db_history history;
	struct active *next;
};

/* What a popup stands for, so its actions still work after the call ended. */
struct popup {
	uint64_t key;
	int64_t call_id;
	int64_t contact_id;
	char number[40];
	bool missed;
};

#define POPUPS_KEPT 64

struct daemon {
	struct daemon_options opts;
	struct config config; /* the settings, built again on SIGHUP */
	char *database;
	char region[3];
	struct db *db;
	struct bus *bus;
	struct notify *notify;
	struct lines *lines;
	GMainLoop *loop;
	int status;

	struct active *calls; /* oldest first */
	uint64_t next_key;
	int ended_calls;
	guint write_retry;
	unsigned int write_backoff;
	int write_error;	  /* the last failed write's -errno; 0 while writes succeed */
	int64_t unwritable_since; /* when writing began to fail */
	guint checkpoint;	  /* pending: the log goes into the file once quiet */

	struct popup popups[POPUPS_KEPT];
	int next_popup;

	guint reminder_timer;
	guint reminder_startup; /* the start-up walk, a few seconds in */
	/* The walk over every contact's reminders, a slice per idle turn. */
	struct db_due_scan *reminder_scan;
	guint reminder_scan_source;
	size_t reminder_next; /* the next due one to announce */
};

/* daemon_bus.c: the D-Bus methods. */
extern const struct bus_handler daemon_bus_handler;
void daemon_call_to_bus(struct daemon *d, const struct active *a, struct bus_call *out);
void daemon_modem_to_bus(struct line *line, struct bus_modem *out);

/* daemon_actions.c: popup actions and reminders. */
void daemon_action(uint64_t key, const char *action, void *data);
void daemon_remember_popup(struct daemon *d, const struct active *a);
struct popup *daemon_find_popup(struct daemon *d, uint64_t key);
void daemon_reminders_start(struct daemon *d);
/* Stops the daily timer; a walk under way goes on (a reload restarts the timer). */
void daemon_reminders_stop(struct daemon *d);
/* Stops the timer and any walk: before the database goes. */
void daemon_reminders_finish(struct daemon *d);
/* Stops a walk under way (before the connection it reads goes); returns
 * whether there was one, to be started again with daemon_reminders_resume(). */
bool daemon_reminders_pause(struct daemon *d);
void daemon_reminders_resume(struct daemon *d);

/* daemon.c */
int daemon_mark_handled(struct daemon *d, int64_t call_id);
/* After a write: copies the database's log into its file once nothing has
 * happened for a few seconds, so the fsyncs never delay a call. */
void daemon_checkpoint_later(struct daemon *d);
void daemon_today(int *y, int *m, int *day);
/* Whether the call log can be written, and how many calls wait in memory. */
void daemon_database_state(struct daemon *d, struct bus_database *out);

#endif
