/* Reminders that fall due, found in slices and announced once. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "log.h"
#include "reminders.h"

#define DEFAULT_REMINDER_TIME "09:00"

/*
 * Finding the due reminders means reading every contact's birthday: over a
 * second for a million contacts (tests/bench), during which no call could be
 * handled. So the walk, and the announcing, go in slices of at most
 * SLICE_US from an idle source: a call or a D-Bus request waits for one
 * slice at most. A step that waits for the disk cannot be cut short, so
 * steps are small (256 rows: a few pages). And at start-up the walk waits
 * STARTUP_DELAY_S: after a reboot nothing of the database is cached, and
 * the walk's reads made the modems' set-up wait (ready 250 ms after exec
 * instead of 36 ms with a million contacts).
 */
#define SLICE_US	2000
#define SLICE_ROWS	256
#define STARTUP_DELAY_S 3

struct reminders {
	struct calls *calls;
	const struct config *config;
	struct reminders_listener listener;
	void *data;
	guint timer;   /* the daily one */
	guint startup; /* the walk a few seconds after start-up */
	struct db_due_scan *scan;
	guint scan_source;
	size_t next; /* the next due one to announce */
};

static void scan_stop(struct reminders *r) {
	if (r->scan_source != 0) {
		g_source_remove(r->scan_source);
		r->scan_source = 0;
	}
	db_due_scan_destroy(r->scan);
	r->scan = NULL;
}

static void announce_one(struct reminders *r, const struct db_reminder *due) {
	char date[16];
	snprintf(date, sizeof(date), "%04d-%02d-%02d", due->next_year, due->next_month,
		 due->next_day);
	if (db_reminder_mark_announced(calls_db(r->calls), due->id, due->contact_id, date) != 0) {
		return; /* already announced, or could not say: never twice */
	}
	log_info("Reminder for %s: %s (%s)", due->contact_name, due->text, date);
	r->listener.due(due, r->data);
}

static gboolean scan_cb(gpointer data) {
	struct reminders *r = data;
	gint64 until = g_get_monotonic_time() + SLICE_US;
	int ret = 1;
	while (r->scan != NULL && (ret = db_due_scan_step(r->scan, SLICE_ROWS)) > 0) {
		if (g_get_monotonic_time() >= until) {
			return G_SOURCE_CONTINUE;
		}
	}
	if (ret < 0) {
		log_warn("Could not read the reminders: %s", strerror(-ret));
		r->scan_source = 0;
		scan_stop(r);
		return G_SOURCE_REMOVE;
	}
	const struct db_reminder *due;
	while ((due = db_due_scan_get(r->scan, r->next)) != NULL) {
		r->next++;
		announce_one(r, due);
		if (g_get_monotonic_time() >= until) {
			return G_SOURCE_CONTINUE;
		}
	}
	log_debug("Reminders checked: %zu due", r->next);
	r->scan_source = 0;
	scan_stop(r);
	if (r->next > 0) {
		calls_checkpoint_later(r->calls); /* announcing wrote a row per reminder */
	}
	return G_SOURCE_REMOVE;
}

static void walk(struct reminders *r) {
	if (r->scan != NULL) {
		return; /* one walk at a time; it announces what is due */
	}
	int y, m, day;
	civil_today(&y, &m, &day);
	r->scan = db_due_scan_create(calls_db(r->calls), y, m, day, -1);
	if (r->scan == NULL) {
		log_warn("Could not read the reminders: %s", strerror(errno));
		return;
	}
	r->next = 0;
	r->scan_source = g_idle_add(scan_cb, r);
}

/* Seconds from now to the next local HH:MM. */
static unsigned int seconds_until(const char *hhmm) {
	int h = 9, min = 0;
	sscanf(hhmm, "%d:%d", &h, &min);
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	tm.tm_hour = h;
	tm.tm_min = min;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	time_t at = mktime(&tm);
	if (at <= now) {
		tm.tm_mday++;
		tm.tm_isdst = -1;
		at = mktime(&tm);
	}
	return (unsigned int)(at - now);
}

static gboolean startup_cb(gpointer data) {
	struct reminders *r = data;
	r->startup = 0;
	walk(r);
	return G_SOURCE_REMOVE;
}

static gboolean daily_cb(gpointer data) {
	struct reminders *r = data;
	r->timer = 0;
	walk(r);
	reminders_reschedule(r);
	return G_SOURCE_REMOVE;
}

void reminders_reschedule(struct reminders *r) {
	if (r->timer != 0) {
		g_source_remove(r->timer);
	}
	const char *at = r->config->reminder_time != NULL ? r->config->reminder_time
							  : DEFAULT_REMINDER_TIME;
	r->timer = g_timeout_add_seconds(seconds_until(at), daily_cb, r);
}

void reminders_restart_walk(struct reminders *r) {
	if (r != NULL && r->scan != NULL) {
		scan_stop(r);
		walk(r);
	}
}

struct reminders *reminders_create(struct calls *calls, const struct config *config,
				   const struct reminders_listener *l, void *data) {
	struct reminders *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return NULL;
	}
	r->calls = calls;
	r->config = config;
	r->listener = *l;
	r->data = data;
	r->startup = g_timeout_add_seconds(STARTUP_DELAY_S, startup_cb, r);
	reminders_reschedule(r);
	return r;
}

void reminders_destroy(struct reminders *r) {
	if (r == NULL) {
		return;
	}
	if (r->timer != 0) {
		g_source_remove(r->timer);
	}
	if (r->startup != 0) {
		g_source_remove(r->startup);
	}
	scan_stop(r);
	free(r);
}
