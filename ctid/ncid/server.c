/*
 * NCID's TCP server (see server.h). Sections cited are those of
 * /work/research/ncid.md.
 */
#include <string.h>

#include <gio/gio.h>

#include "log.h"
#include "ncid.h"
#include "server.h"

struct client {
	struct ncid_server *server;
	GSocketConnection *conn;
	GSocket *sock;
	GString *out; /* bytes not yet sent, from out_off */
	size_t out_off;
	GSource *in_src;
	GSource *out_src; /* while the socket is full */
};

struct ncid_server {
	GSocketService *service;
	int port;
	char *version;
	ncid_server_log_fn log;
	void *data;
	GList *clients; /* struct client */
	size_t n_clients;
};

static void client_drop(struct client *c, const char *why) {
	struct ncid_server *s = c->server;
	log_debug("NCID client dropped: %s", why);
	s->clients = g_list_remove(s->clients, c);
	s->n_clients--;
	if (c->in_src != NULL) {
		g_source_destroy(c->in_src);
		g_source_unref(c->in_src);
	}
	if (c->out_src != NULL) {
		g_source_destroy(c->out_src);
		g_source_unref(c->out_src);
	}
	g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
	g_object_unref(c->conn);
	g_string_free(c->out, TRUE);
	g_free(c);
}

static gboolean on_writable(GSocket *sock, GIOCondition cond, gpointer data);

/* Sends what is queued without blocking; watches for room when the socket
 * is full. Returns false when the client was dropped. */
static bool client_flush(struct client *c) {
	while (c->out_off < c->out->len) {
		GError *err = NULL;
		gssize n = g_socket_send(c->sock, c->out->str + c->out_off,
					 c->out->len - c->out_off, NULL, &err);
		if (n < 0) {
			bool full = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
			if (!full) {
				client_drop(c, err->message);
				g_error_free(err);
				return false;
			}
			g_error_free(err);
			if (c->out_src == NULL) {
				c->out_src = g_socket_create_source(c->sock, G_IO_OUT, NULL);
				g_source_set_callback(c->out_src, G_SOURCE_FUNC(on_writable), c,
						      NULL);
				g_source_attach(c->out_src, NULL);
			}
			return true;
		}
		c->out_off += (size_t)n;
	}
	g_string_truncate(c->out, 0);
	c->out_off = 0;
	if (c->out_src != NULL) {
		g_source_destroy(c->out_src);
		g_source_unref(c->out_src);
		c->out_src = NULL;
	}
	return true;
}

static gboolean on_writable(GSocket *sock, GIOCondition cond, gpointer data) {
	(void)sock;
	(void)cond;
	struct client *c = data;
	client_flush(c); /* removes out_src when done, or drops c with it */
	return G_SOURCE_CONTINUE;
}

/* Queues text for c; a client that lets its queue grow past the limit
 * does not read and is dropped rather than waited for. */
static void client_send(struct client *c, const char *text) {
	if (c->out->len - c->out_off + strlen(text) > NCID_SERVER_QUEUE_MAX) {
		client_drop(c, "it does not read");
		return;
	}
	g_string_append(c->out, text);
	if (c->out_src == NULL) {
		client_flush(c);
	}
}

static gboolean on_readable(GSocket *sock, GIOCondition cond, gpointer data) {
	(void)cond;
	struct client *c = data;
	char buf[4096];
	GError *err = NULL;
	/* What clients send (HELLO: lines, REQ:, garbage) is read and thrown
	 * away: ctid serves feature set 1 only, where the server answers no
	 * client line (§2: no reply to HELLO; §1.2). */
	gssize n = g_socket_receive(sock, buf, sizeof(buf), NULL, &err);
	if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
		g_error_free(err);
		return G_SOURCE_CONTINUE;
	}
	if (n <= 0) {
		/* the source is destroyed with the client: detach it first */
		g_source_unref(c->in_src);
		c->in_src = NULL;
		client_drop(c, n == 0 ? "closed" : err->message);
		g_clear_error(&err);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source,
			    gpointer data) {
	(void)service;
	(void)source;
	struct ncid_server *s = data;
	struct client *c = g_new0(struct client, 1);
	c->server = s;
	c->conn = g_object_ref(conn);
	c->sock = g_socket_connection_get_socket(conn);
	g_socket_set_blocking(c->sock, FALSE);
	c->out = g_string_new(NULL);
	s->clients = g_list_prepend(s->clients, c);
	s->n_clients++;
	c->in_src = g_socket_create_source(c->sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(c->in_src, G_SOURCE_FUNC(on_readable), c, NULL);
	g_source_attach(c->in_src, NULL);

	/* §1.1: 200, 210, the call log, 250 (or 252 when empty), 300. */
	GString *start = g_string_new(NULL);
	char *greeting = ncid_greeting(s->version);
	g_string_append(start, greeting);
	g_free(greeting);
	char *calls = s->log != NULL ? s->log(s->data) : NULL;
	bool sent = calls != NULL && calls[0] != '\0';
	if (sent) {
		g_string_append(start, calls);
	}
	g_free(calls);
	g_string_append(start, ncid_startup_end(sent));
	client_send(c, start->str);
	g_string_free(start, TRUE);
	return TRUE;
}

struct ncid_server *ncid_server_create(const char *host, int port, const char *version,
				       ncid_server_log_fn log, void *data, char **why) {
	GInetAddress *ia = strcmp(host, "*") == 0 ? g_inet_address_new_any(G_SOCKET_FAMILY_IPV6)
			   : strcmp(host, "localhost") == 0
				   ? g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4)
				   : g_inet_address_new_from_string(host);
	if (ia == NULL) {
		*why = g_strdup_printf("%s is not an IP address", host);
		return NULL;
	}
	GSocketAddress *addr = g_inet_socket_address_new(ia, (guint16)port);
	g_object_unref(ia);
	struct ncid_server *s = g_new0(struct ncid_server, 1);
	s->service = g_socket_service_new();
	GSocketAddress *effective = NULL;
	GError *err = NULL;
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(s->service), addr, G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_TCP, NULL, &effective, &err)) {
		*why = g_strdup(err->message);
		g_error_free(err);
		g_object_unref(addr);
		g_object_unref(s->service);
		g_free(s);
		return NULL;
	}
	g_object_unref(addr);
	s->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
	g_object_unref(effective);
	s->version = g_strdup(version);
	s->log = log;
	s->data = data;
	g_signal_connect(s->service, "incoming", G_CALLBACK(on_incoming), s);
	g_socket_service_start(s->service);
	return s;
}

void ncid_server_destroy(struct ncid_server *s) {
	if (s == NULL) {
		return;
	}
	g_socket_service_stop(s->service);
	g_socket_listener_close(G_SOCKET_LISTENER(s->service));
	g_signal_handlers_disconnect_by_data(s->service, s);
	while (s->clients != NULL) {
		client_drop(s->clients->data, "ctid stops");
	}
	g_object_unref(s->service);
	g_free(s->version);
	g_free(s);
}

int ncid_server_port(const struct ncid_server *s) {
	return s->port;
}

size_t ncid_server_clients(const struct ncid_server *s) {
	return s->n_clients;
}

void ncid_server_broadcast(struct ncid_server *s, const char *line) {
	for (GList *l = s->clients; l != NULL;) {
		GList *next = l->next; /* client_send may drop l's client */
		client_send(l->data, line);
		l = next;
	}
}
