#ifndef CTID_CALL_EVENT_H
#define CTID_CALL_EVENT_H

/*
 * A call as a source of calls tells it: a modem's call tracker today, a
 * FRITZ!Box, a PBX or an NCID gateway tomorrow. Sources are peers: each
 * turns what its line says into these events, and knows nothing of where
 * they go (the database, the D-Bus service, the popup, the web page).
 */

#include <stdbool.h>
#include <stdint.h>

#define CALL_NUMBER_MAX 40   /* digits and '+', NUL-terminated */
#define CALL_NAME_MAX	1024 /* UTF-8, NUL-terminated */
#define CALL_EXT_MAX	32   /* an extension's name or number, NUL-terminated */

/* Why there is no number (or name). */
enum call_withheld {
	CALL_WITHHELD_NONE = 0,
	CALL_WITHHELD_PRIVATE,	   /* P, PRIVATE, +CLIP validity 1, an empty caller */
	CALL_WITHHELD_UNAVAILABLE, /* O, A, Unavailable, OUT OF AREA, validity 2 */
};

enum call_state {
	CALL_STATE_RINGING = 0,
	CALL_STATE_ANSWERED, /* someone picked up */
	CALL_STATE_MISSED,   /* rang out, nobody picked up (where that can be told) */
	CALL_STATE_UNKNOWN,  /* ended, but the line cannot tell answered from missed */
};

enum call_change {
	CALL_STARTED, /* number or withheld reason known (or the line rang without one) */
	CALL_UPDATED, /* name, date or ring count changed */
	CALL_ENDED,   /* final; state is answered, missed or unknown */
};

struct call_info {
	uint64_t seq; /* per source line, from 1: which call this is */
	const char *line;
	char number[CALL_NUMBER_MAX]; /* "" when withheld or absent */
	int toa;		      /* GSM type of address (129, 145), else 0 */
	char name[CALL_NAME_MAX];     /* "" when absent */
	enum call_withheld withheld;
	enum call_withheld name_withheld;
	char called[CALL_NUMBER_MAX]; /* which of the line's numbers rang, "" if unknown */
	char ring_type[16];
	bool has_cid;  /* any caller-ID data seen */
	bool has_date; /* month and day came from the telco (year inferred) */
	bool has_time; /* hour and minute came from the telco */
	/* The telco's stamp where it sent one, else the local time the call
	 * started (see has_date, has_time). */
	int year, month, day, hour, minute;
	int rings;
	bool waiting; /* announced during another call (+CCWA) */
	/* Placed from one of the line's phones (number is the one dialled),
	 * where the line reports such calls (a FRITZ!Box, a PBX). */
	bool outgoing;
	/* The extension that took the call (placed it, when outgoing), as the
	 * line names it; "" where the line cannot tell (a modem). */
	char answered_by[CALL_EXT_MAX];
	enum call_state state;
	int64_t started_wall; /* ms since the epoch: first ring or caller-ID data */
	int64_t ended_wall;   /* 0 while ringing */
};

/* "ringing", "answered", "missed", "unknown". */
const char *call_state_str(enum call_state s);

/* Stamps c with the local date and time at now_ms (ms since the epoch), for
 * a call whose line sent no stamp it could read: has_date and has_time are
 * false. The epoch when the time cannot be converted. */
void call_info_local_stamp(struct call_info *c, int64_t now_ms);
/* NULL, "private" or "unavailable". */
const char *call_withheld_str(enum call_withheld w);

#endif
