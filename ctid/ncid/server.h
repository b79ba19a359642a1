#ifndef CTID_NCID_SERVER_H
#define CTID_NCID_SERVER_H

/*
 * A TCP server speaking NCID's client protocol on the GLib main loop
 * (ncid.h formats the lines; sections cited are those of
 * doc/ncid.md). Each client gets the greeting at once, then,
 * after its HELLO: lines (§2; at most NCID_HELLO_WAIT_MS later), the call
 * log the owner hands over with "250"/"252" ("251" for a client that said
 * HELLO: CMD: no_log) and "300", then every line broadcast.
 *
 * Clients cost a socket, a line of input and a bounded output queue each:
 * one whose queue passes NCID_SERVER_QUEUE_MAX (it does not read) is
 * dropped, never waited for; a line longer than NCID_LINE_MAX is skipped
 * to its end, and one that sends NCID_SERVER_JUNK_MAX of garbage and
 * endless lines without an NCID line is dropped; one that sends faster
 * than NCID_SERVER_CLIENT_RATE is read at that pace. At most half
 * the process's descriptors (NCID_SERVER_CLIENTS_MAX) are clients at once;
 * more are closed as they connect. CALL: and
 * CALLINFO: lines (§4, feature set 2) go to the owner when the client's
 * address is one of the gateways', and their MSG: and NOT: lines (§3.5)
 * go to every client (ncid_relay_msg()); client jobs (REQ: and WRK:
 * lines, feature sets 3 and 4, jobs.h) are answered to the client that
 * sent them; other lines are read and ignored.
 *
 * Broadcast lines to more than NCID_SERVER_INLINE_MAX clients are sent by
 * a thread of the server's own at nice 10, so that a hundred clients'
 * sends never stand between a call and its popup; to a few, at once by
 * the caller (a send each, where waking the thread cost more and let the
 * line wait for the popup's threads). Everything else (accepting, reading,
 * the start-up, dropping) stays on the main loop.
 */

#include <stdbool.h>
#include <stddef.h>

#include "jobs.h"

#define NCID_SERVER_QUEUE_MAX	(256 * 1024)
#define NCID_LINE_MAX		1024	     /* the longest line read from a client */
#define NCID_HELLO_WAIT_MS	50	     /* ncidd waits 10 ms (§1.1 step 4) */
#define NCID_SERVER_INLINE_MAX	8	     /* clients the main loop sends a line to itself */
#define NCID_SERVER_TURN_INPUT	(64 * 1024)  /* read from clients in a turn of the loop */
#define NCID_SERVER_JUNK_MAX	(256 * 1024) /* garbage without an NCID line: dropped */
#define NCID_SERVER_CLIENT_RATE (64 * 1024)  /* read from a client in a second, at most */
#define NCID_SERVER_CLIENTS_MAX 1000	     /* at once; fewer with fewer descriptors */

struct ncid_server;

struct ncid_server_options {
	const char *host; /* "*" for every address, else an IP address */
	int port;	  /* 0: any free one */
	const char *version;
	/* Addresses and ADDR/BITS ranges of the gateways, separated by commas
	 * or blanks, or "none"; NULL: none. */
	const char *gateways;
	/* Those of the editors, whose alias jobs may change contacts (the
	 * job function is told); NULL: none. */
	const char *editors;
	/* The call log for a new client: CIDLOG: lines (CRLF-terminated,
	 * ncid.h) as a new string the server g_free()s, or NULL for none. */
	char *(*log)(void *data);
	/* A CALL: or CALLINFO: line (without its line break) from a gateway at
	 * peer (its address). */
	void (*gateway)(const char *line, size_t len, const char *peer, void *data);
	/* A client job (§7) from a client at peer, editor when its address is
	 * one of the editors': the block that answers it (ncid_format_block())
	 * as a new string the server sends and g_free()s, or NULL for none.
	 * The server answers REQ: REREAD (§7.2), REQ: YO and REQ: ACK (§8) itself. */
	char *(*job)(const struct ncid_job *job, const char *peer, bool editor, void *data);
	void *data;
};

/*
 * Listens as opts say (the strings are copied). Returns NULL with why set
 * (a new string, g_free() it) when it cannot listen or a gateway address is
 * not one.
 */
struct ncid_server *ncid_server_create(const struct ncid_server_options *opts, char **why);
void ncid_server_destroy(struct ncid_server *s);

/* The port listened on (the one chosen, for port 0). */
int ncid_server_port(const struct ncid_server *s);
/* How many clients are connected. */
size_t ncid_server_clients(const struct ncid_server *s);

/* Sends line (CRLF-terminated) to every client that has had its start-up
 * (main thread). */
void ncid_server_broadcast(struct ncid_server *s, const char *line);

#endif
