#ifndef CTID_NETLINE_H
#define CTID_NETLINE_H

/*
 * A line-oriented TCP client on the GLib main loop, for the sources of calls
 * that speak over the network (a FRITZ!Box's call monitor, a PBX's manager
 * interface). It connects without blocking, hands over each line that comes
 * in, and when the peer goes (or cannot be reached) tries again with
 * back-off, doubling from 1 s to 60 s, for as long as it lives. It logs one
 * line when the peer goes and one when it is back (when its owner says the
 * connection works: netline_good()); failed attempts in between are logged
 * only with -v -v.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETLINE_DEFAULT_MAX_LINE 4096
#define NETLINE_RETRY_MIN_MS	 1000
#define NETLINE_RETRY_MAX_MS	 60000

struct netline_options {
	const char *host;
	int port;
	const char *what;	  /* for the log: "FRITZ!Box call monitor" */
	const char *refused_hint; /* added to the log when the port refuses, or NULL */
	size_t max_line;	  /* longer lines are logged and dropped; 0: 4 KiB */
	int64_t retry_min_ms;	  /* 0: NETLINE_RETRY_MIN_MS */
	/* TLS, checked against host; trusting the certificates in the PEM
	 * file tls_ca (a PBX's own) instead of the system's when given. */
	bool tls;
	const char *tls_ca;
};

struct netline_listener {
	/* A line came in, without its '\n' (and not NUL-terminated). */
	void (*line)(const char *s, size_t len, void *data);
	/* The connection is up (again): the owner says netline_good() once it
	 * works (at once, or after a login). */
	void (*up)(void *data);
	/* The connection that was up is gone; a new one is being tried. */
	void (*down)(void *data);
};

struct netline;

/* Starts connecting; the options' strings are copied. Returns NULL with
 * errno set (logged when tls_ca cannot be read); free with
 * netline_destroy() (no callback runs after it). */
struct netline *netline_create(const struct netline_options *opts, const struct netline_listener *l,
			       void *data);
void netline_destroy(struct netline *n);

bool netline_connected(const struct netline *n);

/* The connection that is up works: logs that the peer is there (back), and
 * lets the next outage start with a short wait. */
void netline_good(struct netline *n);

/* Drops the connection that is up, as if the peer had (why: for the log),
 * and tries again with back-off: for a peer that does not do its part (a
 * login never answered). */
void netline_reconnect(struct netline *n, const char *why);

/* Sends s[0..len) on the connection that is up (what the socket cannot take
 * at once waits, up to 64 KiB). Returns 0, -ENOTCONN or -ENOBUFS. */
int netline_write(struct netline *n, const char *s, size_t len);

#endif
