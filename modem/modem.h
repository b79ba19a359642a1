#ifndef CTID_MODEM_H
#define CTID_MODEM_H

/*
 * One modem, driven by the daemon's event loop: it opens and locks the port,
 * starts the modem (reset, identify, switch caller ID on), turns what the
 * modem prints into call changes through the caller-ID parser and the call
 * tracker, re-initialises a modem that stops answering or forgets caller ID,
 * and reports unplugging. It never blocks and never sleeps; the loop polls
 * modem_get_fd() for modem_get_events() and wakes at modem_deadline().
 *
 * After every modem_* call the fd, events and deadline may have changed:
 * ask again before the next poll().
 *
 * Listener callbacks run from inside modem_* calls. They may call
 * modem_dial() and the getters, but must not destroy the modem, except
 * from the state callback reporting MODEM_STATE_GONE, which is the last
 * thing the modem does before returning to the loop.
 */

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "serial.h"

enum modem_state {
	MODEM_STATE_CLOSED = 0,	  /* not started, or start failed */
	MODEM_STATE_OPENING,	  /* opening and locking the port */
	MODEM_STATE_INITIALISING, /* reset, identify, switch caller ID on */
	MODEM_STATE_READY,	  /* waiting for calls */
	MODEM_STATE_RETRYING,	  /* start-up failed; tries again after a back-off */
	MODEM_STATE_GONE,	  /* the device disappeared; port closed, lock released */
};

enum modem_dialect {
	MODEM_DIALECT_UNKNOWN = 0, /* not identified yet */
	MODEM_DIALECT_GENERIC,	   /* a landline modem of another make */
	MODEM_DIALECT_CONEXANT,	   /* Conexant/Rockwell (Zoom 3095, most USB modems) */
	MODEM_DIALECT_USR,	   /* USRobotics 5637 and kin */
	MODEM_DIALECT_GSM,	   /* GSM/3G/LTE: caller ID via +CLIP */
};

struct modem_options {
	const char *path; /* /dev/ttyACM0, a by-id link, a pty; required */
	const char *line; /* the line's name in call records; NULL: the path's basename */
	int baud;	  /* 0: 115200 */
	enum serial_flow flow;
	/* An AT command that switches caller ID on ("AT#CID=1"), replacing
	 * the probing. It must answer OK. */
	const char *init;
	/* A country code sent first as AT+GCI=xx (two hex digits, e.g. B4 for
	 * the UK, B5 for the US); caller ID often fails with the wrong one. */
	const char *country;
	int64_t ring_timeout_ms; /* 0: the call tracker's default */
	/* Re-initialise after this many calls in a row rang without caller ID
	 * although it worked before. 0: 3; negative: never. */
	int reinit_after_no_cid;
	const char *lock_dir; /* NULL: /run/lock, else /var/lock */
	/* Tuning, mostly for tests; 0 takes the default. */
	int64_t command_timeout_ms; /* 3000; ATZ gets twice this */
	int64_t retry_min_ms;	    /* 1000: first back-off, doubled per failure */
	int64_t retry_max_ms;	    /* 60000 */
	int64_t dial_hangup_ms;	    /* 8000: see modem_dial() */
};

struct modem;

struct modem_listener {
	/* A call started, changed or ended (call.h). */
	void (*call)(struct modem *m, const struct call_info *call, enum call_change change,
		     void *data);
	/* The modem's state changed. */
	void (*state)(struct modem *m, enum modem_state state, void *data);
};

struct modem_info {
	const char *path;
	const char *line;
	char manufacturer[64]; /* "Conexant", "U.S. Robotics", +GMI */
	char model[96];	       /* "CX93001", +GMM or ATI3 */
	enum modem_dialect dialect;
	char cid_command[64]; /* the command that switched caller ID on; "" when none did */
	bool gsm;
	bool can_dial;	     /* modem_dial() works once ready */
	bool detects_pickup; /* reports extension pick-ups (Conexant -STE) */
	bool detects_hangup; /* reports the caller hanging up (GSM) */
	enum modem_state state;
	int failures; /* start-ups failed in a row */
};

/*
 * Returns a modem (closed) or NULL with errno set (EINVAL for bad options,
 * logged). Options are copied. Free with modem_destroy().
 */
struct modem *modem_create(const struct modem_options *opts, const struct modem_listener *l,
			   void *data);

/* Ends a call in progress (reported to the listener as ended), closes the
 * port, releases the lock and frees. NULL is a no-op. */
void modem_destroy(struct modem *m);

/*
 * Locks and opens the port and starts the modem; the rest happens from the
 * event loop. Works from MODEM_STATE_CLOSED and MODEM_STATE_GONE (replug).
 * Returns 0, -EBUSY when already started or the port is locked by another
 * process, or the negative errno of opening (logged with a hint).
 */
int modem_start(struct modem *m, struct call_time now);

/* Starts the modem again now (after resume from suspend). Returns 0 or
 * -ENOTCONN when the port is not open. */
int modem_reinit(struct modem *m, struct call_time now);

/* The fd to poll, or -1 when the port is closed. */
int modem_get_fd(const struct modem *m);

/* POLLIN, plus POLLOUT while output is waiting; 0 when closed. */
short modem_get_events(const struct modem *m);

/* Handles poll() results for the fd. */
void modem_dispatch(struct modem *m, short revents, struct call_time now);

/* Monotonic time (ms) of the next modem_tick() needed, or -1. */
int64_t modem_deadline(const struct modem *m);

/* Handles timeouts due at now. */
void modem_tick(struct modem *m, struct call_time now);

/*
 * Dials number so the user can talk on a phone on the same line: the modem
 * sends ATD<number>; (voice dial, staying in command mode), the user lifts
 * the handset while it rings, and dial_hangup_ms after the modem answered
 * the modem hangs up (ATH), leaving the call to the handset. On a GSM modem
 * ATD<number>; places the call on the dongle itself and it is left up;
 * modem_hangup() ends it. Only digits, '+', '*' and '#' reach the modem.
 * Returns 0, -EINVAL for a bad number, -ENOTSUP when the modem cannot dial,
 * -EAGAIN when it is not ready, -EBUSY during a call or another dial.
 */
int modem_dial(struct modem *m, const char *number, struct call_time now);

/* Hangs up (ATH). Returns 0 or -EAGAIN when the modem is not ready. */
int modem_hangup(struct modem *m, struct call_time now);

/* What is known about the modem; owned by it, valid until destroyed. */
const struct modem_info *modem_get_info(const struct modem *m);

const char *modem_state_str(enum modem_state s);     /* "ready", "gone", ... */
const char *modem_dialect_str(enum modem_dialect d); /* "conexant", "gsm", ... */

#endif
