#ifndef CTID_NCID_SERVER_H
#define CTID_NCID_SERVER_H

/*
 * A TCP server speaking NCID's client protocol on the GLib main loop
 * (ncid.h formats the lines). Each client gets the greeting, the call log
 * the owner hands over, "250"/"252" and "300", then every line broadcast.
 * Clients cost a socket and a bounded output queue each: one whose queue
 * passes NCID_SERVER_QUEUE_MAX (it does not read) is dropped, never waited
 * for. What clients send is read and ignored (HELLO: lines only identify
 * them, §2 of /work/research/ncid.md), without storing it, so garbage and
 * endless lines cost nothing.
 */

#include <stddef.h>

#define NCID_SERVER_QUEUE_MAX (256 * 1024)

struct ncid_server;

/* The call log for a new client: CIDLOG: lines (CRLF-terminated, ncid.h)
 * as a new string the server g_free()s, or NULL when there are none. */
typedef char *(*ncid_server_log_fn)(void *data);

/*
 * Listens on host ("*" for every address, else an IP address) and port (0:
 * any free one). version goes into the greeting. Returns NULL with why set
 * (a new string, g_free() it) when it cannot listen.
 */
struct ncid_server *ncid_server_create(const char *host, int port, const char *version,
				       ncid_server_log_fn log, void *data, char **why);
void ncid_server_destroy(struct ncid_server *s);

/* The port listened on (the one chosen, for port 0). */
int ncid_server_port(const struct ncid_server *s);
/* How many clients are connected. */
size_t ncid_server_clients(const struct ncid_server *s);

/* Sends line (CRLF-terminated) to every client that has had its start-up. */
void ncid_server_broadcast(struct ncid_server *s, const char *line);

#endif
