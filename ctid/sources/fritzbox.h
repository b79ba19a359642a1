#ifndef CTID_FRITZBOX_H
#define CTID_FRITZBOX_H

/*
 * The FRITZ!Box call monitor (TCP port 1012, switched on by dialling #96*5*
 * on a phone attached to the box): one line per event, fields split by ';',
 *
 *   DATE;RING;ConnID;Caller;Called;Line;        a call comes in
 *   DATE;CALL;ConnID;Ext;Own;Dialled;Line;      an extension places a call
 *   DATE;CONNECT;ConnID;Ext;Number;             extension Ext took it
 *   DATE;DISCONNECT;ConnID;Seconds;             it ended
 *
 * with DATE as dd.mm.yy HH:MM:SS in the box's local time. The parser turns
 * these into call events, calls told apart by ConnID (several at once); it is
 * pure (no clock, no I/O: the time comes in with each line). The monitor
 * wraps it in a connection on the GLib main loop.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call_event.h"

#define FRITZBOX_DEFAULT_PORT 1012
#define FRITZBOX_MAX_CALLS    16 /* followed at once; the oldest gives way */

typedef void (*fritzbox_call_fn)(const struct call_info *call, enum call_change change, void *data);

struct fritzbox_parser;

/* A parser for the line named line (copied) that reports to fn. Returns NULL
 * with errno set; free with fritzbox_parser_destroy(). */
struct fritzbox_parser *fritzbox_parser_create(const char *line, fritzbox_call_fn fn, void *data);
/* Ends no call (see fritzbox_parser_finish()); NULL is a no-op. */
void fritzbox_parser_destroy(struct fritzbox_parser *p);

/*
 * Feeds one line without its line break (a trailing '\r' is allowed), read
 * at now (ms since the epoch). Returns 0 when it changed a call; -ENOENT for
 * a CONNECT or DISCONNECT of no call being followed (one that began before
 * ctid connected); -EINVAL for a line that is not an event of the monitor
 * (the call in progress are kept).
 */
int fritzbox_parser_line(struct fritzbox_parser *p, const char *s, size_t len, int64_t now);

/* Ends every call in progress (the connection was lost: the box may have
 * restarted and will not say how they ended). A call that was answered
 * stays answered, one still ringing ends as unknown. */
void fritzbox_parser_finish(struct fritzbox_parser *p, int64_t now);

/* How many calls are in progress. */
int fritzbox_parser_calls(const struct fritzbox_parser *p);

/* The connection: a FRITZ!Box's call monitor, followed for as long as it
 * lives, reconnecting with back-off whenever it goes. */
struct fritzbox_options {
	const char *host;
	int port;	      /* 0: FRITZBOX_DEFAULT_PORT */
	const char *line;     /* the line's name */
	int64_t retry_min_ms; /* first wait before reconnecting; 0: 1 s */
};

struct fritzbox;

/* Starts connecting (on the thread-default main context). Returns NULL
 * with errno set; free with fritzbox_destroy(), which ends the calls in
 * progress. */
struct fritzbox *fritzbox_create(const struct fritzbox_options *opts, fritzbox_call_fn fn,
				 void *data);
void fritzbox_destroy(struct fritzbox *fb);

/* Whether the monitor is connected now. */
bool fritzbox_connected(const struct fritzbox *fb);

#endif
