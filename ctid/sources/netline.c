/* A line-oriented TCP client that never gives up, on the GLib main loop. */
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"
#include "log.h"
#include "netline.h"

#define CONNECT_TIMEOUT_S 10
/* The box sends nothing while no call comes: TCP keep-alives find a peer
 * that vanished (and keep a NAT's mapping) within about two minutes. */
#define KEEPIDLE_S  60
#define KEEPINTVL_S 15
#define KEEPCNT	    4
/* A connection that lived this long was good: the next wait starts small. */
#define GOOD_FOR_MS 30000
#define OUT_MAX	    65536
/* Read chunks a turn of the main loop: a peer that never pauses (a flood)
 * still leaves the loop to calls, D-Bus and the other connections. */
#define READS_A_TURN 16

struct netline {
	char *host;
	int port;
	char *what;
	char *refused_hint;
	int64_t retry_min_ms;
	struct netline_listener listener;
	void *data;

	GSocketClient *client;
	GTlsDatabase *tls_db; /* tls_ca's certificates, or NULL */
	GCancellable *cancel; /* the connect in progress */
	GSocketConnection *conn;
	GSource *in;	     /* the connection's socket is readable */
	GSource *more;	     /* READS_A_TURN were read: the rest on a later turn */
	GSource *out;	     /* it can take what waits in pending */
	GByteArray *pending; /* to send */
	GSource *retry;
	int64_t retry_ms;
	int64_t up_since;   /* monotonic ms */
	bool good;	    /* the owner found this connection working (netline_good()) */
	bool outage_logged; /* the peer is away and the log said so */
	bool got_line;	    /* a whole line came on this connection */
	bool overlong_logged;

	struct linebuf lines;
};

static void start_connect(struct netline *n);

static gboolean retry_cb(gpointer data) {
	struct netline *n = data;
	g_source_unref(n->retry);
	n->retry = NULL;
	start_connect(n);
	return G_SOURCE_REMOVE;
}

/* Tries again later, waiting twice as long as last time (up to a minute). */
static void schedule_retry(struct netline *n) {
	n->retry_ms = n->retry_ms == 0 ? n->retry_min_ms : n->retry_ms * 2;
	if (n->retry_ms > NETLINE_RETRY_MAX_MS) {
		n->retry_ms = NETLINE_RETRY_MAX_MS;
	}
	log_debug("The %s at %s:%d: trying again in %lld ms", n->what, n->host, n->port,
		  (long long)n->retry_ms);
	n->retry = g_timeout_source_new((guint)n->retry_ms);
	g_source_set_callback(n->retry, retry_cb, n, NULL);
	g_source_attach(n->retry, NULL);
}

static void drop_source(GSource **src) {
	if (*src != NULL) {
		g_source_destroy(*src);
		g_source_unref(*src);
		*src = NULL;
	}
}

static void drop_connection(struct netline *n) {
	drop_source(&n->in);
	drop_source(&n->more);
	drop_source(&n->out);
	if (n->pending != NULL) {
		g_byte_array_set_size(n->pending, 0);
	}
	if (n->conn != NULL) {
		g_io_stream_close(G_IO_STREAM(n->conn), NULL, NULL);
		g_object_unref(n->conn);
		n->conn = NULL;
	}
	linebuf_reset(&n->lines);
}

/* The connection that was up is gone (why: what the system said). One
 * that never worked (a login refused) is logged once, not every time. */
static void lost(struct netline *n, const char *why) {
	drop_connection(n);
	int64_t lived = g_get_monotonic_time() / 1000 - n->up_since;
	if (n->good && (n->got_line || lived >= GOOD_FOR_MS)) {
		n->retry_ms = 0;
	}
	if (n->good || !n->outage_logged) {
		log_warn("Lost the %s at %s:%d (%s); reconnecting", n->what, n->host, n->port, why);
	} else {
		log_debug("Lost the %s at %s:%d again (%s)", n->what, n->host, n->port, why);
	}
	n->outage_logged = true;
	n->good = false;
	n->listener.down(n->data);
	schedule_retry(n);
}

void netline_good(struct netline *n) {
	if (n->good || n->conn == NULL) {
		return;
	}
	n->good = true;
	if (n->outage_logged) {
		log_notice("The %s at %s:%d is back", n->what, n->host, n->port);
	} else {
		log_info("Connected to the %s at %s:%d", n->what, n->host, n->port);
	}
	n->outage_logged = false;
}

static void take_line(const char *s, size_t len, void *data) {
	struct netline *n = data;
	n->got_line = true;
	n->listener.line(s, len, n->data);
}

/* Hands over the lines that came in; an overlong one is logged (once per
 * connection) and dropped. */
static void take_bytes(struct netline *n, const char *p, size_t len) {
	if (linebuf_feed(&n->lines, p, len, take_line, n) > 0 && !n->overlong_logged) {
		log_warn("The %s at %s:%d sent a line longer than %zu bytes; dropped it", n->what,
			 n->host, n->port, n->lines.max);
		n->overlong_logged = true;
	}
}

static GPollableInputStream *input(struct netline *n) {
	return G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(G_IO_STREAM(n->conn)));
}

static GPollableOutputStream *output(struct netline *n) {
	return G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(G_IO_STREAM(n->conn)));
}

static gboolean more_cb(gpointer data);

/* Reads what is there (through TLS where it is on), up to READS_A_TURN
 * chunks; then the loop's other sources have their turn, and an idle
 * source reads on: what TLS already took off the socket would not wake
 * the socket's source again. */
static gboolean readable_cb(GObject *stream, gpointer data) {
	(void)stream;
	struct netline *n = data;
	char chunk[4096];
	for (int reads = 0;; reads++) {
		if (reads == READS_A_TURN) {
			if (n->more == NULL) {
				n->more = g_idle_source_new();
				g_source_set_callback(n->more, more_cb, n, NULL);
				g_source_attach(n->more, NULL);
			}
			return G_SOURCE_CONTINUE;
		}
		GError *err = NULL;
		gssize r = g_pollable_input_stream_read_nonblocking(input(n), chunk, sizeof(chunk),
								    NULL, &err);
		if (r > 0) {
			take_bytes(n, chunk, (size_t)r);
			if (n->conn == NULL) {
				return G_SOURCE_REMOVE; /* a listener dropped it */
			}
			continue;
		}
		if (r < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			g_error_free(err);
			return G_SOURCE_CONTINUE;
		}
		/* n->in is destroyed by lost(); the loop then drops this source */
		lost(n, r == 0 ? "it closed the connection" : err->message);
		if (err != NULL) {
			g_error_free(err);
		}
		return G_SOURCE_REMOVE;
	}
}

static gboolean more_cb(gpointer data) {
	struct netline *n = data;
	g_source_unref(n->more);
	n->more = NULL;
	readable_cb(NULL, n);
	return G_SOURCE_REMOVE;
}

static void set_keepalive(GSocket *sock) {
	g_socket_set_keepalive(sock, TRUE);
	g_socket_set_option(sock, IPPROTO_TCP, TCP_KEEPIDLE, KEEPIDLE_S, NULL);
	g_socket_set_option(sock, IPPROTO_TCP, TCP_KEEPINTVL, KEEPINTVL_S, NULL);
	g_socket_set_option(sock, IPPROTO_TCP, TCP_KEEPCNT, KEEPCNT, NULL);
}

static void connected(struct netline *n, GSocketConnection *conn) {
	n->conn = conn;
	GSocket *sock = g_socket_connection_get_socket(conn);
	/* the client's timeout was for connecting; an idle line is fine */
	g_socket_set_timeout(sock, 0);
	g_socket_set_blocking(sock, FALSE);
	set_keepalive(sock);
	n->in = g_pollable_input_stream_create_source(input(n), NULL);
	g_source_set_callback(n->in, (GSourceFunc)(void (*)(void))readable_cb, n, NULL);
	g_source_attach(n->in, NULL);
	n->up_since = g_get_monotonic_time() / 1000;
	n->got_line = false;
	n->overlong_logged = false;
	log_debug("Connected to %s:%d", n->host, n->port);
	if (n->listener.up != NULL) {
		n->listener.up(n->data);
	}
}

static void connect_cb(GObject *src, GAsyncResult *res, gpointer data) {
	GError *err = NULL;
	GSocketConnection *conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &err);
	if (conn == NULL && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(err); /* netline_destroy(): data is gone */
		return;
	}
	struct netline *n = data;
	g_clear_object(&n->cancel);
	if (conn != NULL) {
		connected(n, conn);
		return;
	}
	bool refused = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
	const char *hint = refused ? n->refused_hint : NULL;
	if (err->domain == G_TLS_ERROR) {
		hint = n->tls_db != NULL ? "is tls-ca the certificate the peer shows, made for "
					   "its host name?"
					 : "a certificate of the peer's own needs tls-ca";
	}
	if (!n->outage_logged) {
		log_warn("Could not connect to the %s at %s:%d: %s%s%s%s; trying again", n->what,
			 n->host, n->port, err->message, hint != NULL ? " (" : "",
			 hint != NULL ? hint : "", hint != NULL ? ")" : "");
		n->outage_logged = true;
	} else {
		log_debug("Could not connect to the %s at %s:%d: %s", n->what, n->host, n->port,
			  err->message);
	}
	g_error_free(err);
	schedule_retry(n);
}

/* Trusts tls_ca's certificates on each TLS connection it makes. */
static void client_event(GSocketClient *client, GSocketClientEvent event,
			 GSocketConnectable *connectable, GIOStream *stream, gpointer data) {
	(void)client;
	(void)connectable;
	struct netline *n = data;
	if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && n->tls_db != NULL) {
		g_tls_connection_set_database(G_TLS_CONNECTION(stream), n->tls_db);
	}
}

static void start_connect(struct netline *n) {
	n->cancel = g_cancellable_new();
	GSocketConnectable *addr = g_network_address_new(n->host, (guint16)n->port);
	g_socket_client_connect_async(n->client, addr, n->cancel, connect_cb, n);
	g_object_unref(addr);
}

struct netline *netline_create(const struct netline_options *opts, const struct netline_listener *l,
			       void *data) {
	if (opts->host == NULL || opts->port <= 0 || opts->port > 65535) {
		errno = EINVAL;
		return NULL;
	}
	struct netline *n = calloc(1, sizeof(*n));
	if (n == NULL) {
		return NULL;
	}
	n->host = strdup(opts->host);
	n->port = opts->port;
	n->what = strdup(opts->what != NULL ? opts->what : "peer");
	n->refused_hint = opts->refused_hint != NULL ? strdup(opts->refused_hint) : NULL;
	n->retry_min_ms = opts->retry_min_ms > 0 ? opts->retry_min_ms : NETLINE_RETRY_MIN_MS;
	int ret = linebuf_init(&n->lines,
			       opts->max_line > 0 ? opts->max_line : NETLINE_DEFAULT_MAX_LINE);
	n->listener = *l;
	n->data = data;
	if (n->host == NULL || n->what == NULL || ret < 0) {
		netline_destroy(n);
		errno = ENOMEM;
		return NULL;
	}
	n->pending = g_byte_array_new();
	n->client = g_socket_client_new();
	g_socket_client_set_timeout(n->client, CONNECT_TIMEOUT_S);
	if (opts->tls) {
		g_socket_client_set_tls(n->client, TRUE);
	}
	if (opts->tls && opts->tls_ca != NULL) {
		GError *err = NULL;
		n->tls_db = g_tls_file_database_new(opts->tls_ca, &err);
		if (n->tls_db == NULL) {
			log_error("Could not read the certificates in %s for the %s: %s",
				  opts->tls_ca, n->what, err->message);
			g_error_free(err);
			netline_destroy(n);
			errno = EINVAL;
			return NULL;
		}
		g_signal_connect(n->client, "event", G_CALLBACK(client_event), n);
	}
	start_connect(n);
	return n;
}

void netline_destroy(struct netline *n) {
	if (n == NULL) {
		return;
	}
	if (n->cancel != NULL) {
		g_cancellable_cancel(n->cancel);
		g_object_unref(n->cancel);
	}
	drop_connection(n);
	if (n->retry != NULL) {
		g_source_destroy(n->retry);
		g_source_unref(n->retry);
	}
	if (n->client != NULL) {
		g_signal_handlers_disconnect_by_data(n->client, n);
	}
	g_clear_object(&n->client);
	g_clear_object(&n->tls_db);
	if (n->pending != NULL) {
		g_byte_array_unref(n->pending);
	}
	free(n->host);
	free(n->what);
	free(n->refused_hint);
	linebuf_finish(&n->lines);
	free(n);
}

/* Sends what waits; returns false when the connection broke (the reader
 * then sees it go). */
static bool flush(struct netline *n) {
	while (n->pending->len > 0) {
		GError *err = NULL;
		gssize w = g_pollable_output_stream_write_nonblocking(output(n), n->pending->data,
								      n->pending->len, NULL, &err);
		if (w < 0) {
			bool again = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
			g_error_free(err);
			return again;
		}
		g_byte_array_remove_range(n->pending, 0, (guint)w);
	}
	return true;
}

static gboolean writable_cb(GObject *stream, gpointer data) {
	(void)stream;
	struct netline *n = data;
	if (!flush(n) || n->pending->len == 0) {
		g_source_unref(n->out);
		n->out = NULL;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

int netline_write(struct netline *n, const char *s, size_t len) {
	if (n->conn == NULL) {
		return -ENOTCONN;
	}
	if (n->pending->len + len > OUT_MAX) {
		return -ENOBUFS;
	}
	g_byte_array_append(n->pending, (const guint8 *)s, (guint)len);
	if (n->out == NULL && flush(n) && n->pending->len > 0) {
		n->out = g_pollable_output_stream_create_source(output(n), NULL);
		g_source_set_callback(n->out, (GSourceFunc)(void (*)(void))writable_cb, n, NULL);
		g_source_attach(n->out, NULL);
	}
	return 0;
}

void netline_reconnect(struct netline *n, const char *why) {
	if (n->conn != NULL) {
		lost(n, why);
	}
}

bool netline_connected(const struct netline *n) {
	return n != NULL && n->conn != NULL;
}
