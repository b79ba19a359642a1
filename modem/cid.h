#ifndef CTID_CID_H
#define CTID_CID_H

/*
 * Caller-ID parsing: bytes a modem printed in, events out. Pure: no I/O, no
 * clock, no allocation after cid_parser_create(). Every dialect real modems
 * print is understood (formatted KEY = value lines, ZyXEL, FM:/TO:,
 * RING;number, CallerID:, Kortex, NetCallerID, raw SDMF/MDMF as hex, GSM
 * +CLIP/+CRING/+CCWA/+CLCC, distinctive rings, hang-up and pick-up reports).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call_event.h"

#define CID_LINE_MAX 512 /* longer lines are truncated with a warning */

enum cid_event_type {
	CID_EV_LINE = 0,     /* a line that is not caller ID (OK, ERROR, echo, ATI answers) */
	CID_EV_RING,	     /* one ring; ring_type set for distinctive rings */
	CID_EV_NUMBER,	     /* caller's number, or why there is none (withheld) */
	CID_EV_NAME,	     /* caller's name, or why there is none (withheld) */
	CID_EV_DATE,	     /* the telco's date and time of the call */
	CID_EV_CALLED,	     /* the number that was called (DDN, TO:, RING;x;called) */
	CID_EV_MESG,	     /* telco data the modem did not decode (text holds the hex) */
	CID_EV_CALL_WAITING, /* +CCWA: a second call during a call; number/withheld set */
	CID_EV_HANGUP,	     /* caller hung up or call over: NO CARRIER, ^CEND, +WIND: 6 */
	CID_EV_OFFHOOK,	     /* a phone on the line was picked up (answered): DLE H/P,
			      * LINE IN USE, +CLCC stat 0 (number set) */
	CID_EV_ONHOOK,	     /* a phone on the line was put down */
	CID_EV_ERROR,	     /* caller ID seen but unusable (bad checksum, truncated) */
};

struct cid_event {
	enum cid_event_type type;
	/* NUMBER, CALL_WAITING: digits and '+' only; CALLED: the called number */
	char number[CALL_NUMBER_MAX];
	/* NAME: valid UTF-8, blanks trimmed */
	char name[CALL_NAME_MAX];
	/* NUMBER, NAME, CALL_WAITING: why there is no number or name */
	enum call_withheld withheld;
	/* NUMBER from +CLIP/+CLCC: the type of address (129, 145), else 0 */
	int toa;
	/* DATE: year is 0 when the modem sent only MMDD; -1 fields are unknown
	 * (DATE = and TIME = lines each give half) */
	int year, month, day, hour, minute;
	/* RING: distinctive ring as the modem named it ("A", "2", "DRON=5"), or "" */
	char ring_type[16];
	/* LINE: the line as received (truncated); MESG: hex; ERROR: what was
	 * wrong; other events: the line they came from (NO CARRIER is also the
	 * final result of ATD/ATA), "<DLE>R" for DLE events, "" from an FSK
	 * message */
	char text[CID_LINE_MAX];
};

typedef void (*cid_event_fn)(const struct cid_event *ev, void *data);

struct cid_parser;

/* Returns a new parser, or NULL with errno set. Free with cid_parser_destroy. */
struct cid_parser *cid_parser_create(void);
void cid_parser_destroy(struct cid_parser *p);

/*
 * Feeds len bytes (any chunking: one byte at a time or a megabyte) and calls
 * fn once per event, in order. Lines end with CR, LF, CRLF or CR CR LF; NUL
 * and stray DLE bytes are ignored (DLE shielded voice events are decoded).
 * Returns the number of events emitted.
 */
size_t cid_parser_feed(struct cid_parser *p, const void *buf, size_t len, cid_event_fn fn,
		       void *data);

/* Ends the input: a pending partial line is parsed as if it were complete. */
size_t cid_parser_flush(struct cid_parser *p, cid_event_fn fn, void *data);

/* Forgets any partial line (after the port was reopened). */
void cid_parser_reset(struct cid_parser *p);

/*
 * Parses one complete line (no line ending) and calls fn for each event in
 * it. A line may carry several events (NetCallerID, MDMF). Returns the
 * number of events.
 */
size_t cid_parse_line(const char *line, size_t len, cid_event_fn fn, void *data);

/*
 * Decodes an SDMF (0x04) or MDMF (0x80) message, with or without the 0x55
 * channel seizure and mark bytes before it, calling fn for each parameter.
 * Returns the number of events, or -EBADMSG for a checksum or length error
 * (no number is reported then), -EINVAL when it is not such a message.
 */
int cid_decode_mdmf(const uint8_t *buf, size_t len, cid_event_fn fn, void *data);

const char *cid_event_type_str(enum cid_event_type t);

#endif
