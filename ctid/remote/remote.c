/* A client of another ctid's web API (see remote.h). */
#include <errno.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "json.h"
#include "log.h"
#include "remote.h"

#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 30
#define KEEPALIVE_S   15 /* a ping this often while connected ... */
#define SILENCE_S     45 /* ... and the link is dead after this long without a word */

struct remote {
	struct remote_listener l;
	void *data;
	char *url; /* ends with "/" */
	char *token;
	char *pin; /* NULL: the system's trust */
	SoupSession *session;
	SoupSession *waiting; /* remote_request_wait's, made on first use */
	SoupWebsocketConnection *ws;
	GCancellable *connecting;
	guint retry, watchdog;
	unsigned backoff_s;
	int64_t last_id;      /* the last event id seen, -1: none */
	int64_t since;	      /* when the link came up, 0 while down */
	int64_t last_word_us; /* monotonic: the last message or pong */
	char error[512];
	bool pin_refused; /* the last connection showed another certificate */
};

/* A certificate the system does not trust: accepted when it is the one
 * pinned. */
static gboolean on_accept_certificate(SoupMessage *msg, GTlsCertificate *cert,
				      GTlsCertificateFlags errors, gpointer data) {
	struct remote *r = data;
	char fp[128];
	auth_cert_fingerprint(cert, fp, sizeof(fp));
	if (r->pin != NULL && g_ascii_strcasecmp(fp, r->pin) == 0) {
		return TRUE;
	}
	r->pin_refused = r->pin != NULL;
	return FALSE;
}

/* Whether the certificate a message saw is the one pinned (when one is):
 * a certificate the system trusts must be it too. */
static bool pin_holds(struct remote *r, SoupMessage *msg) {
	GTlsCertificate *cert = soup_message_get_tls_peer_certificate(msg);
	if (r->pin == NULL || cert == NULL) {
		return true;
	}
	char fp[128];
	auth_cert_fingerprint(cert, fp, sizeof(fp));
	if (g_ascii_strcasecmp(fp, r->pin) == 0) {
		return true;
	}
	r->pin_refused = true;
	return false;
}

static SoupMessage *new_message(struct remote *r, const char *method, const char *path) {
	char *uri = g_strconcat(r->url, path[0] == '/' ? path + 1 : path, NULL);
	SoupMessage *msg = soup_message_new(method, uri);
	g_free(uri);
	if (msg == NULL) {
		return NULL;
	}
	char *auth = g_strdup_printf("Bearer %s", r->token);
	soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", auth);
	g_free(auth);
	g_signal_connect(msg, "accept-certificate", G_CALLBACK(on_accept_certificate), r);
	return msg;
}

static void set_error(struct remote *r, const char *why) {
	if (strcmp(r->error, why) != 0) {
		log_warn("Desk: %s", why);
	}
	g_strlcpy(r->error, why, sizeof(r->error));
}

/* Why a request or connection failed, as one sentence. */
static void explain(struct remote *r, SoupMessage *msg, GError *err, char *why, size_t size) {
	guint status = msg != NULL ? soup_message_get_status(msg) : 0;
	if (r->pin_refused) {
		snprintf(why, size,
			 "%s shows a certificate other than the one pinned when this desk joined; "
			 "refused (if the server's certificate was replaced on purpose, run "
			 "ctidctl desk join %s again)",
			 r->url, r->url);
	} else if (err != NULL && g_error_matches(err, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)) {
		snprintf(why, size,
			 "%s's certificate is not one this system trusts (self-signed?): run ctidctl "
			 "desk join %s to see its fingerprint and pin it",
			 r->url, r->url);
	} else if (status == 401) {
		snprintf(why, size,
			 "%s refused this desk's token (401): it was revoked, or the user deleted; "
			 "run ctidctl desk join %s again",
			 r->url, r->url);
	} else if (status >= 400) {
		snprintf(why, size, "%s answered %u %s", r->url, status,
			 soup_message_get_reason_phrase(msg));
	} else {
		snprintf(why, size, "cannot reach %s: %s", r->url,
			 err != NULL ? err->message : "no answer");
	}
}

static void connect_events(struct remote *r);

static gboolean retry_cb(gpointer data) {
	struct remote *r = data;
	r->retry = 0;
	connect_events(r);
	return G_SOURCE_REMOVE;
}

static void schedule_retry(struct remote *r) {
	if (r->retry != 0) {
		return;
	}
	r->retry = g_timeout_add_seconds(r->backoff_s, retry_cb, r);
	r->backoff_s = r->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : r->backoff_s * 2;
}

static void link_down(struct remote *r, const char *why) {
	bool was = r->since != 0;
	r->since = 0;
	if (r->watchdog != 0) {
		g_source_remove(r->watchdog);
		r->watchdog = 0;
	}
	set_error(r, why);
	if (was) {
		r->l.state(false, why, r->data);
	}
	schedule_retry(r);
}

static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data) {
	struct remote *r = data;
	r->last_word_us = g_get_monotonic_time();
	if (type != SOUP_WEBSOCKET_DATA_TEXT) {
		return;
	}
	gsize len;
	const char *text = g_bytes_get_data(message, &len);
	JsonParser *parser = json_parser_new_immutable();
	if (json_text_check(text, len) < 0 ||
	    !json_parser_load_from_data(parser, text, (gssize)len, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		log_warn("Desk: the server sent a message that is not a JSON object; ignored");
		g_object_unref(parser);
		return;
	}
	JsonObject *o = json_node_get_object(json_parser_get_root(parser));
	if (json_object_has_member(o, "id")) {
		r->last_id = json_object_get_int_member(o, "id");
	}
	r->l.event(o, r->data);
	g_object_unref(parser);
}

static void on_pong(SoupWebsocketConnection *ws, GBytes *message, gpointer data) {
	struct remote *r = data;
	r->last_word_us = g_get_monotonic_time();
}

static void on_closed(SoupWebsocketConnection *ws, gpointer data) {
	struct remote *r = data;
	g_signal_handlers_disconnect_by_data(ws, r);
	g_clear_object(&r->ws);
	link_down(r, "the server closed the link; connecting again");
}

/* A link that stayed silent through pings (the network went, the machine
 * slept) is closed and made again. */
static gboolean watchdog_cb(gpointer data) {
	struct remote *r = data;
	if (r->ws != NULL && g_get_monotonic_time() - r->last_word_us > SILENCE_S * G_USEC_PER_SEC) {
		SoupWebsocketConnection *ws = r->ws;
		g_signal_handlers_disconnect_by_data(ws, r);
		r->ws = NULL;
		soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
		g_object_unref(ws);
		r->watchdog = 0;
		link_down(r, "no word from the server for 45 s; connecting again");
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data) {
	struct remote *r = data;
	GError *err = NULL;
	SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(source), res);
	SoupWebsocketConnection *ws =
		soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &err);
	if (err != NULL && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(err);
		return; /* destroyed meanwhile */
	}
	g_clear_object(&r->connecting);
	char why[512];
	if (ws != NULL && !pin_holds(r, msg)) {
		soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, NULL);
		g_clear_object(&ws);
	}
	if (ws == NULL) {
		explain(r, msg, err, why, sizeof(why));
		g_clear_error(&err);
		link_down(r, why);
		return;
	}
	r->ws = ws;
	r->error[0] = '\0';
	r->pin_refused = false;
	r->backoff_s = BACKOFF_MIN_S;
	r->since = (int64_t)time(NULL);
	r->last_word_us = g_get_monotonic_time();
	soup_websocket_connection_set_max_incoming_payload_size(ws, 4 << 20);
	soup_websocket_connection_set_keepalive_interval(ws, KEEPALIVE_S);
	g_signal_connect(ws, "message", G_CALLBACK(on_message), r);
	g_signal_connect(ws, "pong", G_CALLBACK(on_pong), r);
	g_signal_connect(ws, "closed", G_CALLBACK(on_closed), r);
	r->watchdog = g_timeout_add_seconds(KEEPALIVE_S, watchdog_cb, r);
	log_info("Desk: connected to %s", r->url);
	r->l.state(true, "", r->data);
}

static void connect_events(struct remote *r) {
	char path[64];
	if (r->last_id >= 0) {
		snprintf(path, sizeof(path), "api/v1/events?since=%lld", (long long)r->last_id);
	} else {
		snprintf(path, sizeof(path), "api/v1/events");
	}
	SoupMessage *msg = new_message(r, "GET", path);
	if (msg == NULL) {
		link_down(r, "the server's address is not a URL");
		return;
	}
	r->pin_refused = false;
	r->connecting = g_cancellable_new();
	soup_session_websocket_connect_async(r->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
					     r->connecting, on_connected, r);
	g_object_unref(msg);
}

struct remote *remote_create(const struct remote_options *o, const struct remote_listener *l,
			     void *data) {
	GUri *uri = g_uri_parse(o->url, G_URI_FLAGS_NONE, NULL);
	const char *scheme = uri != NULL ? g_uri_get_scheme(uri) : NULL;
	if (scheme == NULL || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		log_error("Desk: %s is not an http:// or https:// address", o->url);
		if (uri != NULL) {
			g_uri_unref(uri);
		}
		return NULL;
	}
	g_uri_unref(uri);
	struct remote *r = g_new0(struct remote, 1);
	r->l = *l;
	r->data = data;
	size_t n = strlen(o->url);
	r->url = o->url[n - 1] == '/' ? g_strdup(o->url) : g_strconcat(o->url, "/", NULL);
	r->token = g_strdup(o->token != NULL ? o->token : "");
	r->pin = o->fingerprint != NULL && o->fingerprint[0] ? g_strdup(o->fingerprint) : NULL;
	r->last_id = -1;
	r->backoff_s = BACKOFF_MIN_S;
	r->session = soup_session_new_with_options("user-agent", "ctid-desk/" CTID_VERSION,
						   "timeout", 30, NULL);
	connect_events(r);
	return r;
}

void remote_destroy(struct remote *r) {
	if (r == NULL) {
		return;
	}
	if (r->connecting != NULL) {
		g_cancellable_cancel(r->connecting);
		g_clear_object(&r->connecting);
	}
	if (r->retry != 0) {
		g_source_remove(r->retry);
	}
	if (r->watchdog != 0) {
		g_source_remove(r->watchdog);
	}
	if (r->ws != NULL) {
		g_signal_handlers_disconnect_by_data(r->ws, r);
		if (soup_websocket_connection_get_state(r->ws) == SOUP_WEBSOCKET_STATE_OPEN) {
			soup_websocket_connection_close(r->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
		}
		g_object_unref(r->ws);
	}
	soup_session_abort(r->session);
	g_object_unref(r->session);
	g_clear_object(&r->waiting);
	g_free(r->url);
	g_free(r->token);
	g_free(r->pin);
	g_free(r);
}

bool remote_connected(const struct remote *r) {
	return r != NULL && r->ws != NULL;
}

int64_t remote_since(const struct remote *r) {
	return r != NULL ? r->since : 0;
}

const char *remote_error(const struct remote *r) {
	return r != NULL ? r->error : "";
}

const char *remote_url(const struct remote *r) {
	return r != NULL ? r->url : "";
}

struct pending {
	struct remote *r;
	SoupMessage *msg;
	remote_reply_fn fn;
	void *data;
};

/* Hands fn what came back for msg: bytes (NULL with err when nothing did). */
static void answer(struct remote *r, SoupMessage *msg, GBytes *bytes, GError *err,
		   remote_reply_fn fn, void *data) {
	guint status = bytes != NULL && pin_holds(r, msg) ? soup_message_get_status(msg) : 0;
	JsonNode *node = NULL;
	JsonParser *parser = NULL;
	if (bytes != NULL && g_bytes_get_size(bytes) > 0 &&
	    json_text_check(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes)) == 0) {
		parser = json_parser_new_immutable();
		if (json_parser_load_from_data(parser, g_bytes_get_data(bytes, NULL),
					       (gssize)g_bytes_get_size(bytes), NULL)) {
			node = json_parser_get_root(parser);
		}
	}
	char why[512] = "";
	if (status == 0 || status >= 400) {
		JsonObject *o = node != NULL && JSON_NODE_HOLDS_OBJECT(node)
					? json_node_get_object(node)
					: NULL;
		if (status >= 400 && o != NULL && json_object_has_member(o, "error")) {
			g_strlcpy(why, json_object_get_string_member(o, "error"), sizeof(why));
		} else {
			explain(r, msg, err, why, sizeof(why));
		}
	}
	if (fn != NULL) {
		fn((int)status, node, why[0] ? why : NULL, data);
	}
	if (parser != NULL) {
		g_object_unref(parser);
	}
}

static void on_reply(GObject *source, GAsyncResult *res, gpointer data) {
	struct pending *p = data;
	GError *err = NULL;
	GBytes *bytes = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &err);
	answer(p->r, p->msg, bytes, err, p->fn, p->data);
	if (bytes != NULL) {
		g_bytes_unref(bytes);
	}
	g_clear_error(&err);
	g_object_unref(p->msg);
	g_free(p);
}

static SoupMessage *with_body(SoupMessage *msg, const char *body) {
	if (msg != NULL && body != NULL) {
		GBytes *b = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, "application/json", b);
		g_bytes_unref(b);
	}
	return msg;
}

void remote_request_wait(struct remote *r, const char *method, const char *path, const char *body,
			 remote_reply_fn fn, void *data) {
	SoupMessage *msg = with_body(new_message(r, method, path), body);
	if (msg == NULL) {
		fn(0, NULL, "the server's address is not a URL", data);
		return;
	}
	if (r->waiting == NULL) {
		/* a session of its own: the events' one lives on the loop */
		r->waiting = soup_session_new_with_options("user-agent", "ctid-desk/" CTID_VERSION,
							   "timeout", REMOTE_WAIT_S, NULL);
	}
	GError *err = NULL;
	GBytes *bytes = soup_session_send_and_read(r->waiting, msg, NULL, &err);
	answer(r, msg, bytes, err, fn, data);
	if (bytes != NULL) {
		g_bytes_unref(bytes);
	}
	g_clear_error(&err);
	g_object_unref(msg);
}

void remote_request(struct remote *r, const char *method, const char *path, const char *body,
		    remote_reply_fn fn, void *data) {
	SoupMessage *msg = with_body(new_message(r, method, path), body);
	if (msg == NULL) {
		if (fn != NULL) {
			fn(0, NULL, "the server's address is not a URL", data);
		}
		return;
	}
	struct pending *p = g_new0(struct pending, 1);
	p->r = r;
	p->msg = msg;
	p->fn = fn;
	p->data = data;
	soup_session_send_and_read_async(r->session, msg, G_PRIORITY_DEFAULT, NULL, on_reply, p);
}
