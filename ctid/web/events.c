/*
 * Live events over WebSockets: every page gets each call event as it
 * happens. The last WEB_EVENTS_KEPT are kept, numbered, so that a page that
 * reconnects with ?since=ID gets what it missed. A page that does not read
 * (its socket stays full while WEB_CLIENT_QUEUE events are published) is
 * disconnected: one slow client never holds the others or the daemon.
 * A page that connects afresh first gets the calls ringing at that moment.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "stages.h"
#include "web_private.h"

struct kept {
	int64_t id;
	char *text;
};

struct client {
	struct web_events *events;
	SoupWebsocketConnection *conn;
	GSocket *socket; /* the connection's socket, to see that it drains */
	int waiting;	 /* events sent while the socket was full */
	unsigned sent;	 /* events sent, to look at the socket every few */
	gulong closed_handler;
};

struct web_events {
	struct web *web;
	struct kept ring[WEB_EVENTS_KEPT];
	int64_t next_id; /* the id the next event gets, from 1 */
	GList *clients;	 /* struct client */
	int n_clients;
	GHashTable *live; /* a ringing call's key -> its latest message */
};

struct web_events *web_events_create(struct web *w) {
	struct web_events *e = g_new0(struct web_events, 1);
	e->web = w;
	e->next_id = 1;
	e->live = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	return e;
}

static void client_free(struct client *c) {
	g_signal_handler_disconnect(c->conn, c->closed_handler);
	g_object_unref(c->conn);
	if (c->socket != NULL) {
		g_object_unref(c->socket);
	}
	g_free(c);
}

void web_events_destroy(struct web_events *e) {
	if (e == NULL) {
		return;
	}
	for (GList *l = e->clients; l != NULL; l = l->next) {
		struct client *c = l->data;
		if (soup_websocket_connection_get_state(c->conn) == SOUP_WEBSOCKET_STATE_OPEN) {
			soup_websocket_connection_close(c->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
							"ctid is stopping");
		}
		client_free(c);
	}
	g_list_free(e->clients);
	for (int i = 0; i < WEB_EVENTS_KEPT; i++) {
		g_free(e->ring[i].text);
	}
	g_hash_table_destroy(e->live);
	g_free(e);
}

int web_events_clients(const struct web_events *e) {
	return e != NULL ? e->n_clients : 0;
}

static void on_closed(SoupWebsocketConnection *conn, gpointer data) {
	struct client *c = data;
	struct web_events *e = c->events;
	e->clients = g_list_remove(e->clients, c);
	e->n_clients--;
	log_debug("Web: an events client left (%d connected)", e->n_clients);
	client_free(c);
}

/* Sends text unless the client stopped reading; false when it was dropped. */
static bool send_to(struct client *c, const char *text) {
	if (soup_websocket_connection_get_state(c->conn) != SOUP_WEBSOCKET_STATE_OPEN) {
		return true;
	}
	/* a poll() per page per event was a sixth of the main thread's time
	 * with 200 pages (tests/bench/run --only path --perf, outputs case):
	 * every few events, then each one once the socket was seen full */
	if (c->socket != NULL && (c->waiting > 0 || ++c->sent % WEB_CHECK_EVERY == 0)) {
		bool full = !(g_socket_condition_check(c->socket, G_IO_OUT) & G_IO_OUT);
		c->waiting = full ? c->waiting + 1 : 0;
	}
	if (c->waiting > WEB_CLIENT_QUEUE) {
		log_warn("Web: dropped an events client that stopped reading (%d events waiting)",
			 c->waiting);
		soup_websocket_connection_close(c->conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
						"too slow: reconnect with ?since=");
		return false;
	}
	soup_websocket_connection_send_text(c->conn, text);
	return true;
}

void web_events_publish(struct web_events *e, const char *type, const char *key, const char *object,
			uint64_t live) {
	if (e == NULL) {
		return;
	}
	int64_t id = e->next_id++;
	struct kept *k = &e->ring[id % WEB_EVENTS_KEPT];
	g_free(k->text);
	k->id = id;
	k->text = g_strdup_printf("{\"id\":%lld,\"event\":\"%s\",\"%s\":%s}", (long long)id, type,
				  key, object);
	if (live != 0 && strcmp(type, "call-ended") == 0) {
		int64_t k64 = (int64_t)live;
		g_hash_table_remove(e->live, &k64);
	} else if (live != 0) {
		int64_t *k64 = g_new(int64_t, 1);
		*k64 = (int64_t)live;
		g_hash_table_replace(e->live, k64, g_strdup(k->text));
	}
	GList *l = e->clients;
	while (l != NULL) {
		GList *next = l->next;
		send_to(l->data, k->text);
		l = next;
	}
	stage_mark(STAGE_WEB_SENT);
}

void web_events_connected(struct web_events *e, SoupWebsocketConnection *conn, int64_t since) {
	struct client *c = g_new0(struct client, 1);
	c->events = e;
	c->conn = g_object_ref(conn);
	/* libsoup wraps the connection in a SoupIOStream ("base-iostream"),
	 * under TLS around a GTlsConnection ("base-io-stream"): the socket is
	 * the innermost stream's */
	GIOStream *io = soup_websocket_connection_get_io_stream(conn);
	for (int depth = 0; io != NULL && !G_IS_SOCKET_CONNECTION(io) && depth < 4; depth++) {
		GObjectClass *klass = G_OBJECT_GET_CLASS(io);
		const char *prop = g_object_class_find_property(klass, "base-iostream") != NULL
					   ? "base-iostream"
				   : g_object_class_find_property(klass, "base-io-stream") != NULL
					   ? "base-io-stream"
					   : NULL;
		GIOStream *base = NULL;
		if (prop != NULL) {
			g_object_get(io, prop, &base, NULL);
		}
		if (base != NULL) {
			g_object_unref(base); /* still held by the stream around it */
		}
		io = base;
	}
	if (io != NULL && G_IS_SOCKET_CONNECTION(io)) {
		c->socket = g_object_ref(g_socket_connection_get_socket(G_SOCKET_CONNECTION(io)));
		/* an event is one small frame: send it now, not when the last
		 * one was acknowledged (Nagle), which costs a delayed ACK */
		g_socket_set_option(c->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
		/* a page whose machine went away is found by the kernel's
		 * keep-alives (30 s idle, then 3 probes 10 s apart), not by a
		 * ping timer of libsoup's each: 200 pages' timers made every
		 * turn of the main loop look at 200 more sources */
		g_socket_set_keepalive(c->socket, TRUE);
		g_socket_set_option(c->socket, IPPROTO_TCP, TCP_KEEPIDLE, 30, NULL);
		g_socket_set_option(c->socket, IPPROTO_TCP, TCP_KEEPINTVL, 10, NULL);
		g_socket_set_option(c->socket, IPPROTO_TCP, TCP_KEEPCNT, 3, NULL);
		/* the kernel would let a page that stopped reading hold a
		 * megabyte or more (autotuning: 2 x cwnd x MSS) before its
		 * socket is seen full; a page's events are a few KiB a call */
		g_socket_set_option(c->socket, SOL_SOCKET, SO_SNDBUF, WEB_CLIENT_SNDBUF, NULL);
	} else {
		soup_websocket_connection_set_keepalive_interval(conn, 30);
	}
	soup_websocket_connection_set_max_incoming_payload_size(conn, 4096);
	c->closed_handler = g_signal_connect(conn, "closed", G_CALLBACK(on_closed), c);
	e->clients = g_list_prepend(e->clients, c);
	e->n_clients++;
	log_debug("Web: an events client joined (%d connected)", e->n_clients);
	if (since < 0) {
		/* a page that just opened sees the calls ringing now */
		GHashTableIter it;
		gpointer text;
		g_hash_table_iter_init(&it, e->live);
		while (g_hash_table_iter_next(&it, NULL, &text)) {
			send_to(c, text);
		}
		return;
	}
	int64_t oldest = e->next_id - WEB_EVENTS_KEPT > 1 ? e->next_id - WEB_EVENTS_KEPT : 1;
	if (since + 1 < oldest || since >= e->next_id) {
		/* more was missed than is kept, or ctid started again since */
		soup_websocket_connection_send_text(conn, "{\"event\":\"resync\"}");
		since = oldest - 1;
	}
	for (int64_t id = since + 1; id < e->next_id; id++) {
		struct kept *k = &e->ring[id % WEB_EVENTS_KEPT];
		if (k->id == id && !send_to(c, k->text)) {
			break;
		}
	}
}
