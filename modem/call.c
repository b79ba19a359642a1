/*
 * The call state machine of one modem line. Parser events and the time go
 * in; CALL_STARTED, CALL_UPDATED and CALL_ENDED come out.
 *
 * A modem line has one ringing call at a time (the main slot) plus, on GSM,
 * a call announced by +CCWA while another is in progress (the waiting slot).
 *
 * Caller ID comes once per call: between the first and second ring (US), or
 * before the first ring (UK, BT SIN 227). GSM repeats +CLIP after every RING.
 * So data that repeats what the call already has is no news, and data that
 * contradicts it means the previous call is over and a new one rings:
 *   - a different number;
 *   - a different date, name or withheld reason after a ring since the
 *     call's caller ID;
 *   - landline caller ID (no GSM type of address) for a call that rang twice
 *     without any: US lines send it before the second ring.
 * When the old call took caller ID after its first ring (US order) and its
 * last event was a RING, that ring was the new call's first and moves over.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "civil.h"

#define DEFAULT_RING_TIMEOUT_MS 8000
#define MAX_PENDING		8

struct slot {
	bool active;
	bool announced;
	struct call_info info;
	int64_t deadline;
	int64_t last_ring_wall;
	bool last_was_ring;   /* the last event for this call was a RING */
	bool cid_before_ring; /* caller ID came before the first ring (UK order) */
	int rings_since_cid;
	/* What the telco said; -1 unknown. */
	int tel_year, tel_month, tel_day, tel_hour, tel_minute;
};

struct call_tracker {
	char *line;
	int64_t ring_timeout;
	bool detects_pickup;
	bool detects_hangup;
	call_fn fn;
	void *data;
	uint64_t seq;
	struct slot main;
	struct slot waiting;
	/* Caller ID since the last RING that told the main call nothing new:
	 * if the block turns out to be a new call's, it is replayed into it. */
	struct cid_event pending[MAX_PENDING];
	size_t npending;
};

enum end_reason {
	END_TIMEOUT,  /* no RING within the ring timeout */
	END_HANGUP,   /* the modem said the caller hung up */
	END_NEW_CALL, /* another caller's data arrived */
	END_ANSWERED, /* a pick-up was seen */
	END_FINISH,   /* the owner stopped (unplug, end of replay) */
};

struct call_tracker *call_tracker_create(const struct call_tracker_options *opts, call_fn fn,
					 void *data) {
	struct call_tracker *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	const char *line = (opts != NULL && opts->line != NULL) ? opts->line : "modem";
	t->line = strdup(line);
	if (t->line == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->ring_timeout = (opts != NULL && opts->ring_timeout_ms > 0) ? opts->ring_timeout_ms
								      : DEFAULT_RING_TIMEOUT_MS;
	t->detects_pickup = opts != NULL && opts->detects_pickup;
	t->detects_hangup = opts != NULL && opts->detects_hangup;
	t->fn = fn;
	t->data = data;
	return t;
}

void call_tracker_destroy(struct call_tracker *t) {
	if (t == NULL) {
		return;
	}
	free(t->line);
	free(t);
}

/*
 * The most recent year in which month-day is not in the future. One day
 * ahead is still "now": the telco's clock and ours may straddle midnight.
 */
int call_infer_year(int month, int day, int today_year, int today_month, int today_day) {
	if (!civil_month_day_valid(month, day)) {
		return today_year;
	}
	int64_t today = civil_days(today_year, today_month, today_day);
	for (int y = today_year + 1; y > today_year - 9; y--) {
		if (month == 2 && day == 29 && !civil_leap(y)) {
			continue;
		}
		if (civil_days(y, month, day) - today <= 1) {
			return y;
		}
	}
	return today_year;
}

static void local_tm(int64_t wall_ms, struct tm *tm) {
	time_t secs = (time_t)(wall_ms / 1000);
	if (localtime_r(&secs, tm) == NULL) {
		memset(tm, 0, sizeof(*tm));
		tm->tm_year = 70;
		tm->tm_mday = 1;
	}
}

/* Fills the call's date from the telco's stamp where given, else the wall
 * time the call started. */
static void update_date(struct slot *s, int64_t now_wall) {
	struct tm start;
	local_tm(s->info.started_wall, &start);
	struct call_info *c = &s->info;
	c->has_date = s->tel_month > 0 && s->tel_day > 0;
	if (c->has_date) {
		c->month = s->tel_month;
		c->day = s->tel_day;
		if (s->tel_year > 0) {
			c->year = s->tel_year;
		} else {
			struct tm today;
			local_tm(now_wall, &today);
			c->year = call_infer_year(c->month, c->day, today.tm_year + 1900,
						  today.tm_mon + 1, today.tm_mday);
		}
	} else {
		c->year = start.tm_year + 1900;
		c->month = start.tm_mon + 1;
		c->day = start.tm_mday;
	}
	c->has_time = s->tel_hour >= 0;
	c->hour = s->tel_hour >= 0 ? s->tel_hour : start.tm_hour;
	c->minute = s->tel_minute >= 0 ? s->tel_minute : start.tm_min;
}

static void notify(struct call_tracker *t, struct slot *s, enum call_change change) {
	if (t->fn != NULL) {
		t->fn(&s->info, change, t->data);
	}
}

static void start_slot(struct call_tracker *t, struct slot *s, struct call_time now, bool waiting) {
	memset(s, 0, sizeof(*s));
	s->active = true;
	s->info.line = t->line;
	s->info.waiting = waiting;
	s->info.state = CALL_STATE_RINGING;
	s->info.started_wall = now.wall;
	s->tel_year = 0;
	s->tel_month = s->tel_day = s->tel_hour = s->tel_minute = -1;
	s->deadline = now.mono + t->ring_timeout;
	update_date(s, now.wall);
}

static void announce(struct call_tracker *t, struct slot *s) {
	if (s->announced) {
		return;
	}
	s->announced = true;
	s->info.seq = ++t->seq;
	notify(t, s, CALL_STARTED);
}

static void changed(struct call_tracker *t, struct slot *s) {
	if (s->announced) {
		notify(t, s, CALL_UPDATED);
	}
}

static void end_slot(struct call_tracker *t, struct slot *s, enum end_reason why,
		     struct call_time now) {
	if (!s->active) {
		return;
	}
	switch (why) {
	case END_ANSWERED:
		s->info.state = CALL_STATE_ANSWERED;
		/* Picked up on the first ring, before any caller ID: still a call. */
		if (s->info.rings > 0 || s->info.has_cid) {
			announce(t, s);
		}
		break;
	case END_FINISH:
		s->info.state = CALL_STATE_UNKNOWN;
		break;
	case END_TIMEOUT:
	case END_HANGUP:
	case END_NEW_CALL:
		s->info.state = (t->detects_pickup || t->detects_hangup) ? CALL_STATE_MISSED
									 : CALL_STATE_UNKNOWN;
		break;
	}
	s->info.ended_wall = now.wall > 0 ? now.wall : s->info.started_wall;
	if (s->announced) {
		notify(t, s, CALL_ENDED);
	}
	s->active = false;
	s->announced = false;
}

static bool merge(struct call_tracker *t, struct slot *s, const struct cid_event *ev,
		  struct call_time now);

/* Ends the main call for a new caller and starts the new call, moving the
 * old call's trailing ring over when caller ID follows the first ring, and
 * the new block's first fields that the old call had already. */
static void new_caller(struct call_tracker *t, struct call_time now) {
	struct slot *s = &t->main;
	bool steal = s->active && s->last_was_ring && !s->cid_before_ring && s->info.rings >= 2;
	int64_t ring_wall = s->last_ring_wall;
	if (steal) {
		s->info.rings--;
	}
	end_slot(t, s, END_NEW_CALL, now);
	start_slot(t, s, now, false);
	if (steal) {
		s->info.rings = 1;
		s->info.started_wall = ring_wall;
		update_date(s, now.wall);
	}
	for (size_t i = 0; i < t->npending; i++) {
		merge(t, s, &t->pending[i], now);
	}
	t->npending = 0;
}

static bool date_conflicts(const struct slot *s, const struct cid_event *ev) {
	return (ev->month > 0 && s->tel_month > 0 && ev->month != s->tel_month) ||
	       (ev->day > 0 && s->tel_day > 0 && ev->day != s->tel_day) ||
	       (ev->hour >= 0 && s->tel_hour >= 0 && ev->hour != s->tel_hour) ||
	       (ev->minute >= 0 && s->tel_minute >= 0 && ev->minute != s->tel_minute);
}

/* Whether ev is caller ID for another call than the main one. */
static bool is_new_caller(const struct slot *s, const struct cid_event *ev) {
	const struct call_info *c = &s->info;
	if (!s->active) {
		return false;
	}
	bool after_ring = s->rings_since_cid > 0;
	if (!c->has_cid) {
		/* Landline caller ID comes before the second ring; GSM's +CLIP and
		 * +CLCC (with a type of address) may come at any ring. */
		return c->rings >= 2 && s->last_was_ring && ev->toa == 0;
	}
	switch (ev->type) {
	case CID_EV_NUMBER:
		if (ev->number[0] != '\0' && c->number[0] != '\0') {
			return strcmp(ev->number, c->number) != 0;
		}
		if (ev->number[0] != '\0') {
			return after_ring && c->withheld != CALL_WITHHELD_NONE;
		}
		/* A withheld reason after a number masks it (NCID: "NMBR = ####
		 * then NMBR = O"); after a ring it is a new call. */
		return after_ring && c->number[0] == '\0' && c->withheld != CALL_WITHHELD_NONE &&
		       ev->withheld != c->withheld;
	case CID_EV_NAME:
		return after_ring &&
		       ((c->name[0] != '\0' && strcmp(ev->name, c->name) != 0) ||
			(c->name_withheld != CALL_WITHHELD_NONE && ev->withheld != c->name_withheld));
	case CID_EV_DATE: {
		/* Every format sends the date before or with the number, once per
		 * call: a date after a ring, or a different one, starts a new call. */
		bool complete = c->number[0] != '\0' || c->withheld != CALL_WITHHELD_NONE;
		return complete &&
		       (date_conflicts(s, ev) || (after_ring && ev->month > 0 && s->tel_month < 0));
	}
	case CID_EV_CALLED:
		return after_ring && c->called[0] != '\0' && strcmp(ev->number, c->called) != 0;
	default:
		return false;
	}
}

/* Merges caller ID into a call. Returns whether anything changed. */
static bool merge(struct call_tracker *t, struct slot *s, const struct cid_event *ev,
		  struct call_time now) {
	struct call_info *c = &s->info;
	if (c->rings == 0) {
		s->cid_before_ring = true;
	}
	bool change = !c->has_cid;
	c->has_cid = true;
	switch (ev->type) {
	case CID_EV_NUMBER:
		if (ev->number[0] != '\0') {
			change |= strcmp(c->number, ev->number) != 0 || c->withheld != 0;
			memcpy(c->number, ev->number, sizeof(c->number));
			c->withheld = CALL_WITHHELD_NONE;
			c->toa = ev->toa;
		} else if (c->number[0] == '\0' && c->withheld != ev->withheld) {
			c->withheld = ev->withheld;
			change = true;
		}
		break;
	case CID_EV_NAME:
		if (ev->name[0] != '\0') {
			change |= strcmp(c->name, ev->name) != 0;
			memcpy(c->name, ev->name, sizeof(c->name));
			c->name_withheld = CALL_WITHHELD_NONE;
		} else if (c->name[0] == '\0' && c->name_withheld != ev->withheld) {
			c->name_withheld = ev->withheld;
			change = true;
		}
		break;
	case CID_EV_DATE:
		change |= date_conflicts(s, ev) || (ev->month > 0 && s->tel_month < 0) ||
			  (ev->hour >= 0 && s->tel_hour < 0);
		if (ev->month > 0 && ev->day > 0) {
			s->tel_month = ev->month;
			s->tel_day = ev->day;
			s->tel_year = ev->year > 0 ? ev->year : 0;
		}
		if (ev->hour >= 0 && ev->minute >= 0) {
			s->tel_hour = ev->hour;
			s->tel_minute = ev->minute;
		}
		update_date(s, now.wall);
		break;
	case CID_EV_CALLED:
		change |= strcmp(c->called, ev->number) != 0;
		memcpy(c->called, ev->number, sizeof(c->called));
		break;
	default:
		break;
	}
	if (change) {
		s->last_was_ring = false;
		s->rings_since_cid = 0;
	}
	s->deadline = now.mono + t->ring_timeout;
	return change;
}

static void apply_cid(struct call_tracker *t, const struct cid_event *ev, struct call_time now) {
	struct slot *s = &t->main;
	if (is_new_caller(s, ev)) {
		new_caller(t, now);
	} else if (!s->active) {
		start_slot(t, s, now, false);
		t->npending = 0;
	}
	bool change = merge(t, s, ev, now);
	if (change) {
		t->npending = 0;
	} else if (t->npending < MAX_PENDING) {
		t->pending[t->npending++] = *ev;
	}
	struct call_info *c = &s->info;
	if (!s->announced &&
	    (c->number[0] != '\0' || c->withheld != CALL_WITHHELD_NONE || c->rings >= 2)) {
		announce(t, s);
	} else if (change) {
		changed(t, s);
	}
}

static void ring(struct call_tracker *t, const struct cid_event *ev, struct call_time now) {
	struct slot *s = &t->main;
	if (!s->active) {
		start_slot(t, s, now, false);
	}
	struct call_info *c = &s->info;
	t->npending = 0;
	if (c->rings < INT_MAX) {
		c->rings++;
	}
	if (s->rings_since_cid < INT_MAX) {
		s->rings_since_cid++;
	}
	if (ev->ring_type[0] != '\0') {
		memcpy(c->ring_type, ev->ring_type, sizeof(c->ring_type));
	}
	s->last_was_ring = true;
	s->last_ring_wall = now.wall;
	s->deadline = now.mono + t->ring_timeout;
	if (!s->announced && c->rings >= 2) {
		announce(t, s);
	} else {
		changed(t, s);
	}
}

static void fill_waiting(struct call_info *c, const struct cid_event *ev) {
	memcpy(c->number, ev->number, sizeof(c->number));
	c->withheld = ev->number[0] != '\0' ? CALL_WITHHELD_NONE : ev->withheld;
	c->toa = ev->toa;
	if (ev->name[0] != '\0') {
		memcpy(c->name, ev->name, sizeof(c->name));
	}
	c->has_cid = true;
}

/* +CCWA: a call announced during another one; repeats count as rings. */
static void call_waiting(struct call_tracker *t, const struct cid_event *ev, struct call_time now) {
	struct slot *s = &t->waiting;
	if (s->active && (strcmp(s->info.number, ev->number) != 0 ||
			  (ev->number[0] == '\0' && s->info.withheld != ev->withheld))) {
		end_slot(t, s, END_NEW_CALL, now);
	}
	if (!s->active) {
		start_slot(t, s, now, true);
		fill_waiting(&s->info, ev);
		s->info.rings = 1;
		announce(t, s);
		return;
	}
	if (s->info.rings < INT_MAX) {
		s->info.rings++;
	}
	s->deadline = now.mono + t->ring_timeout;
	changed(t, s);
}

/* A pick-up: the call it names (GSM +CLCC), else the ringing call. */
static void offhook(struct call_tracker *t, const struct cid_event *ev, struct call_time now) {
	struct slot *s = NULL;
	if (ev->number[0] != '\0') {
		if (t->waiting.active && strcmp(t->waiting.info.number, ev->number) == 0) {
			s = &t->waiting;
		} else if (t->main.active && strcmp(t->main.info.number, ev->number) == 0) {
			s = &t->main;
		}
	}
	if (s == NULL) {
		s = t->main.active ? &t->main : &t->waiting;
	}
	end_slot(t, s, END_ANSWERED, now);
}

void call_tracker_event(struct call_tracker *t, const struct cid_event *ev, struct call_time now) {
	switch (ev->type) {
	case CID_EV_RING:
		ring(t, ev, now);
		break;
	case CID_EV_NUMBER:
	case CID_EV_NAME:
	case CID_EV_DATE:
	case CID_EV_CALLED:
		apply_cid(t, ev, now);
		break;
	case CID_EV_CALL_WAITING:
		call_waiting(t, ev, now);
		break;
	case CID_EV_HANGUP:
		end_slot(t, t->main.active ? &t->main : &t->waiting, END_HANGUP, now);
		break;
	case CID_EV_OFFHOOK:
		offhook(t, ev, now);
		break;
	case CID_EV_LINE:
	case CID_EV_MESG:
	case CID_EV_ONHOOK:
	case CID_EV_ERROR:
		break;
	}
}

int64_t call_tracker_deadline(const struct call_tracker *t) {
	int64_t d = -1;
	if (t->main.active) {
		d = t->main.deadline;
	}
	if (t->waiting.active && (d < 0 || t->waiting.deadline < d)) {
		d = t->waiting.deadline;
	}
	return d;
}

void call_tracker_tick(struct call_tracker *t, struct call_time now) {
	if (t->main.active && now.mono >= t->main.deadline) {
		end_slot(t, &t->main, END_TIMEOUT, now);
	}
	if (t->waiting.active && now.mono >= t->waiting.deadline) {
		end_slot(t, &t->waiting, END_TIMEOUT, now);
	}
}

void call_tracker_finish(struct call_tracker *t, struct call_time now) {
	end_slot(t, &t->main, END_FINISH, now);
	end_slot(t, &t->waiting, END_FINISH, now);
}

bool call_tracker_busy(const struct call_tracker *t) {
	return t->main.active || t->waiting.active;
}
