#ifndef CTID_CALL_H
#define CTID_CALL_H

/*
 * The call state machine of one modem line. Pure: events and time go in,
 * call changes come out through a callback; nothing here reads a clock or a
 * file descriptor. The owner asks call_tracker_deadline() when it next needs
 * to call call_tracker_tick().
 */

#include <stdbool.h>
#include <stdint.h>

#include "call_event.h"
#include "cid.h"

/* Times are milliseconds: mono for timeouts, wall (Unix epoch) for records. */
struct call_time {
	int64_t mono;
	int64_t wall;
};

struct call_tracker_options {
	const char *line;	 /* the line's name, copied */
	int64_t ring_timeout_ms; /* default 8000 */
	/* The modem reports pick-ups (Conexant -STE, voice DLE events): a call
	 * that rang out is then missed rather than unknown. */
	bool detects_pickup;
	/* The modem reports the caller hanging up (GSM NO CARRIER/^CEND) and
	 * no other phone can answer its calls (a GSM dongle): a call that ends
	 * without a pick-up is then missed too. */
	bool detects_hangup;
};

typedef void (*call_fn)(const struct call_info *call, enum call_change change, void *data);

struct call_tracker;

/* Returns a new tracker or NULL with errno set; free with call_tracker_destroy. */
struct call_tracker *call_tracker_create(const struct call_tracker_options *opts, call_fn fn,
					 void *data);
void call_tracker_destroy(struct call_tracker *t);

/* Feeds one parser event at time now. */
void call_tracker_event(struct call_tracker *t, const struct cid_event *ev, struct call_time now);

/* Monotonic time of the next timeout, or -1 when idle. */
int64_t call_tracker_deadline(const struct call_tracker *t);

/* Handles timeouts due at now (ends a call that stopped ringing). */
void call_tracker_tick(struct call_tracker *t, struct call_time now);

/* Ends the call in progress, if any (modem unplugged, end of replay). */
void call_tracker_finish(struct call_tracker *t, struct call_time now);

/* Whether a call is in progress. */
bool call_tracker_busy(const struct call_tracker *t);

/*
 * Adds the year to a telco date that has only month and day, given today's
 * local date: a call stamped 12-31 received on 1 January is last year's;
 * 02-29 goes to the nearest leap year not in the future. Returns the year.
 */
int call_infer_year(int month, int day, int today_year, int today_month, int today_day);

#endif
