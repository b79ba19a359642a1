/*
 * The web server: listening, TLS, the page's files, and the dispatch of
 * API requests through the route table (routes.c), which checks the login,
 * the role and the CSRF token before any handler runs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "web_private.h"
#include "web_resources.h"

#define RESOURCE_ROOT "/org/ctid/web"

/* Headers every response carries: nothing from elsewhere may run, frame or
 * be sniffed. */
static const char csp_page[] = "default-src 'self'; img-src 'self' data:; style-src 'self'; "
			       "script-src 'self'; connect-src 'self'; object-src 'none'; "
			       "base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

static void common_headers(SoupServerMessage *msg, const char *csp) {
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	soup_message_headers_replace(h, "Content-Security-Policy", csp);
	soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
	soup_message_headers_replace(h, "Referrer-Policy", "no-referrer");
	soup_message_headers_replace(h, "X-Frame-Options", "SAMEORIGIN");
	soup_message_headers_replace(h, "Cache-Control", "no-store");
}

/* Matches path against pattern; "{x}" matches one non-empty segment. */
static bool match(const char *pattern, const char *path, const char *args[2], char buf[2][128]) {
	int n = 0;
	const char *p = pattern, *s = path;
	while (*p != '\0') {
		if (*p == '{') {
			const char *end = strchr(s, '/');
			size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
			if (len == 0 || len >= 128 || n >= 2) {
				return false;
			}
			memcpy(buf[n], s, len);
			buf[n][len] = '\0';
			args[n] = buf[n];
			n++;
			s += len;
			p = strchr(p, '}') + 1;
		} else if (*p++ != *s++) {
			return false;
		}
	}
	return *s == '\0';
}

static bool parse_id(const char *s, int64_t *out) {
	if (s == NULL || *s == '\0' || strlen(s) > 15 || strspn(s, "0123456789") != strlen(s)) {
		return false;
	}
	*out = strtoll(s, NULL, 10);
	return *out > 0;
}

static bool changes(const char *method) {
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static bool parse_body(struct web_request *r) {
	SoupMessageBody *body = soup_server_message_get_request_body(r->msg);
	if (body == NULL || body->length == 0) {
		return true;
	}
	if (body->length > WEB_BODY_MAX) {
		web_error(r, 413, "The request is larger than 1 MiB; nothing was done.");
		return false;
	}
	const char *type =
		soup_message_headers_get_content_type(soup_server_message_get_request_headers(r->msg),
						      NULL);
	if (type != NULL && strcmp(type, "application/x-www-form-urlencoded") == 0) {
		/* the login form, posted without JavaScript; a NUL would end
		 * the decoded value early, unseen */
		if (g_strstr_len(body->data, (gssize)body->length, "%00") != NULL ||
		    memchr(body->data, 0, body->length) != NULL) {
			web_error(r, 422, "A value holds %%00; ctid keeps no text with a NUL in it.");
			return false;
		}
		GHashTable *form = soup_form_decode(body->data);
		JsonObject *o = json_object_new();
		GHashTableIter it;
		gpointer k, v;
		g_hash_table_iter_init(&it, form);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			json_object_set_string_member(o, k, v);
		}
		g_hash_table_unref(form);
		r->body = json_node_init_object(json_node_alloc(), o);
		json_object_unref(o);
		return true;
	}
	if (!g_utf8_validate(body->data, (gssize)body->length, NULL)) {
		web_error(r, 400, "The body is not UTF-8 JSON.");
		return false;
	}
	int bad = json_text_check(body->data, (size_t)body->length);
	if (bad == -ELOOP) {
		web_error(r, 400, "The JSON nests deeper than %d levels.", JSON_READ_DEPTH_MAX);
		return false;
	}
	if (bad == -EINVAL) {
		web_error(r, 400, "The body is not valid JSON: a ' or / outside a string.");
		return false;
	}
	if (bad < 0) {
		web_error(r, 422, "A string holds \\u0000; ctid keeps no text with a NUL in it.");
		return false;
	}
	JsonParser *parser = json_parser_new_immutable();
	GError *err = NULL;
	if (!json_parser_load_from_data(parser, body->data, (gssize)body->length, &err)) {
		web_error(r, 400, "The body is not valid JSON: %s.", err->message);
		g_error_free(err);
		g_object_unref(parser);
		return false;
	}
	JsonNode *root = json_parser_get_root(parser);
	r->body = root != NULL ? json_node_copy(root) : NULL;
	g_object_unref(parser);
	return true;
}

/* Whether every key and value of the query is UTF-8 (lookup?number=%ff
 * looked up U+FFFD). */
static bool query_utf8(GHashTable *query) {
	if (query == NULL) {
		return true;
	}
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, query);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		if (!g_utf8_validate(k, -1, NULL) || (v != NULL && !g_utf8_validate(v, -1, NULL))) {
			return false;
		}
	}
	return true;
}

static void api_request(struct web *w, SoupServerMessage *msg, const char *path, GHashTable *query) {
	struct web_request r = {
		.web = w,
		.msg = msg,
		.method = soup_server_message_get_method(msg),
		.path = path,
		.query = query,
	};
	common_headers(msg, "default-src 'none'; frame-ancestors 'none'");
	/* a NUL, decoded, would end a query's value early, unseen (libsoup
	 * refuses one in the path itself) */
	const char *raw_query = g_uri_get_query(soup_server_message_get_uri(msg));
	if (raw_query != NULL && strstr(raw_query, "%00") != NULL) {
		web_error(&r, 400, "The query holds %%00; ctid reads no text with a NUL in it.");
		return;
	}
	if (!query_utf8(query)) {
		web_error(&r, 400, "The query is not UTF-8.");
		return;
	}
	char buf[2][128];
	const struct web_route *route = NULL;
	bool path_known = false;
	for (const struct web_route *rt = web_routes; rt->pattern != NULL; rt++) {
		const char *args[2] = {NULL, NULL};
		if (match(rt->pattern, path, args, buf)) {
			path_known = true;
			if (strcmp(rt->method, r.method) == 0 ||
			    (strcmp(r.method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
				route = rt;
				r.args[0] = args[0];
				r.args[1] = args[1];
				break;
			}
		}
	}
	if (route == NULL || route->handler == NULL) {
		if (path_known) {
			web_error(&r, 405, "%s is not a method of %s.", r.method, path);
		} else {
			web_error(&r, 404, "There is no %s in the API (see /api/v1/openapi.json).",
				  path);
		}
		return;
	}
	if (route->role != WEB_ROLE_NONE) {
		if (!web_authenticate(&r)) {
			web_error(&r, 401, "Log in first, or send a token (Authorization: Bearer).");
			return;
		}
		if ((int)r.user.role < (int)route->role) {
			web_error(&r, 403, "This needs the %s role; %s is a %s.",
				  db_role_str((enum db_role)route->role), r.user.name,
				  db_role_str(r.user.role));
			return;
		}
		if (changes(r.method) && !web_csrf_ok(&r)) {
			web_error(&r, 403,
				  "The change lacks its CSRF token (X-CSRF-Token); "
				  "reload the page.");
			return;
		}
	}
	if (r.args[0] != NULL && strstr(route->pattern, "{id}") != NULL &&
	    !parse_id(r.args[0], &r.id)) {
		web_error(&r, 404, "'%s' is not an id.", r.args[0]);
		return;
	}
	r.db = w->hooks.db(w->data);
	if (r.db == NULL) {
		web_error(&r, 503, "The database cannot be opened right now.");
		return;
	}
	if (changes(r.method) && !parse_body(&r)) {
		return;
	}
	db_set_author(r.db, r.user.name[0] ? r.user.name : NULL);
	route->handler(&r);
	/* a restore opens another connection: the one the request began with
	 * may be gone */
	struct db *db = w->hooks.db(w->data);
	if (db != NULL) {
		db_set_author(db, NULL);
	}
	if (r.f != NULL) {
		web_reply(&r, 200);
	}
	if (r.body != NULL) {
		json_node_unref(r.body);
	}
}

static const char *content_type(const char *path) {
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
		{".json", "application/json"},	       {".png", "image/png"},
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(dot, types[i].ext) == 0) {
			return types[i].type;
		}
	}
	return "application/octet-stream";
}

static void static_file(struct web *w, SoupServerMessage *msg, const char *path) {
	common_headers(msg, csp_page);
	if (strcmp(soup_server_message_get_method(msg), "GET") != 0 &&
	    strcmp(soup_server_message_get_method(msg), "HEAD") != 0) {
		web_send_error(msg, 405, "Only GET is served here.");
		return;
	}
	char name[256];
	if (strcmp(path, "/") == 0) {
		path = "/index.html";
	}
	if (strstr(path, "..") != NULL || strlen(path) > 200) {
		web_send_error(msg, 404, "No such file.");
		return;
	}
	snprintf(name, sizeof(name), RESOURCE_ROOT "/page%s", path);
	GBytes *data = g_resource_lookup_data(w->resource, name, 0, NULL);
	if (data == NULL) {
		web_send_error(msg, 404, "No such file.");
		return;
	}
	soup_server_message_set_status(msg, 200, NULL);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
				     "no-cache");
	soup_message_headers_set_content_type(soup_server_message_get_response_headers(msg),
					      content_type(name), NULL);
	soup_message_body_append_bytes(soup_server_message_get_response_body(msg), data);
	g_bytes_unref(data);
}

static void on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
		       GHashTable *query, gpointer data) {
	struct web *w = data;
	if (strncmp(path, "/api/", 5) == 0) {
		api_request(w, msg, path, query);
	} else if (strncmp(path, "/login/", 7) == 0) {
		common_headers(msg, csp_page);
		web_link_login(w, msg, path + 7, query);
	} else {
		static_file(w, msg, path);
	}
}

/* Refuses a request before its body is read, and keeps none of the body
 * libsoup still reads (a 300 MiB login took the daemon to 320 MB), then
 * closes the connection. */
static void refuse_early(SoupServerMessage *msg, int status, const char *message) {
	common_headers(msg, "default-src 'none'");
	web_send_error(msg, status, message);
	soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
				     "close");
}

/* A body over WEB_BODY_MAX, or of a length not given: refused before it is
 * read. Returns whether it was. */
static bool body_refused(SoupServerMessage *msg) {
	SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
	SoupEncoding enc = soup_message_headers_get_encoding(h);
	if (enc == SOUP_ENCODING_CONTENT_LENGTH &&
	    soup_message_headers_get_content_length(h) > WEB_BODY_MAX) {
		refuse_early(msg, 413, "The request is larger than 1 MiB; nothing was done.");
		return true;
	}
	if (enc == SOUP_ENCODING_CHUNKED) {
		refuse_early(msg, 411, "Send the body with a Content-Length.");
		return true;
	}
	return false;
}

/* Before a body is read: refuse one over the limit without reading it. */
static void on_early(SoupServer *server, SoupServerMessage *msg, const char *path,
		     GHashTable *query, gpointer data) {
	if (strcmp(path, WEB_RESTORE_PATH) == 0 &&
	    strcmp(soup_server_message_get_method(msg), "POST") == 0) {
		/* a database, larger than any other body: to a file, as it comes */
		web_restore_begin(data, msg, path);
	} else {
		body_refused(msg);
	}
}

/* ?since=ID on the events: the last event id a page had, 0 or more (the
 * ids count up from 1 in a daemon's life). Returns whether s is one. */
static bool parse_since(const char *s, int64_t *out) {
	return web_parse_int(s, 0, INT64_MAX / 2, out);
}

/* The events' WebSocket: authenticated before the upgrade. */
static void on_events_early(SoupServer *server, SoupServerMessage *msg, const char *path,
			    GHashTable *query, gpointer data) {
	struct web *w = data;
	struct web_request r = {
		.web = w,
		.msg = msg,
		.method = soup_server_message_get_method(msg),
		.path = path,
		.query = query,
	};
	if (body_refused(msg)) {
		return; /* (this path's early handler is this one, not on_early) */
	}
	const char *since = query != NULL ? g_hash_table_lookup(query, "since") : NULL;
	int64_t id;
	if (since != NULL && !parse_since(since, &id)) {
		common_headers(msg, "default-src 'none'");
		web_error(&r, 400, "since must be the id of an event, a whole number from 0.");
		return;
	}
	if (!web_authenticate(&r)) {
		common_headers(msg, "default-src 'none'");
		web_error(&r, 401, "Log in first, or send a token (Authorization: Bearer).");
	} else if (!web_csrf_ok(&r)) {
		/* a page of another site may not open it with our cookie */
		common_headers(msg, "default-src 'none'");
		web_error(&r, 403, "The events may only be opened from ctid's own page.");
	} else {
		/* the page is closed when this login ends (web_tokens_changed) */
		g_object_set_data_full(G_OBJECT(msg), "ctid-token", g_strdup(r.user.token_hash),
				       g_free);
	}
}

struct upgrade {
	struct web *web;
	GSocket *socket;
	int64_t since;
	char *token_hash;
};

static void upgrade_free(gpointer data, GClosure *closure) {
	(void)closure;
	struct upgrade *u = data;
	g_clear_object(&u->socket);
	g_free(u->token_hash);
	g_free(u);
}

/* The 101 is out: the connection is the events thread's from here on. */
static void on_upgraded(SoupServerMessage *msg, gpointer data) {
	struct upgrade *u = data;
	g_object_ref(msg);
	GIOStream *stream = soup_server_message_steal_connection(msg);
	if (stream != NULL) {
		web_events_connected(u->web->events, stream, u->socket,
				     soup_server_message_get_uri(msg),
				     soup_message_headers_get_one(soup_server_message_get_request_headers(
									  msg),
								  "Origin"),
				     u->since, u->token_hash);
		g_object_unref(stream);
	}
	g_object_unref(msg);
}

/* GET /api/v1/events, authenticated by on_events_early. The upgrade is
 * libsoup's; the connection is then handed to the events' thread (not
 * soup_server_add_websocket_handler(), whose connection would live on this
 * thread's loop). No permessage-deflate: an event is a small frame, and
 * compressing it for each of 200 pages costs more than it saves on a LAN. */
static void on_events(SoupServer *server, SoupServerMessage *msg, const char *path,
		      GHashTable *query, gpointer data) {
	struct web *w = data;
	if (!soup_websocket_server_process_handshake(msg, NULL, NULL, NULL, NULL)) {
		return; /* libsoup answered (400: not a WebSocket handshake) */
	}
	const char *since = query != NULL ? g_hash_table_lookup(query, "since") : NULL;
	struct upgrade *u = g_new0(struct upgrade, 1);
	u->web = w;
	u->token_hash = g_strdup(g_object_get_data(G_OBJECT(msg), "ctid-token"));
	if (since == NULL || !parse_since(since, &u->since)) {
		u->since = -1; /* (on_events_early refused one that is not an id) */
	}
	/* the socket set up before the 101 leaves: a page that has its answer
	 * is on the kernel's keep-alives already */
	GSocket *socket = soup_server_message_get_socket(msg);
	if (socket != NULL) {
		u->socket = g_object_ref(socket);
		web_events_tune_socket(socket);
	}
	g_signal_connect_data(msg, "wrote-informational", G_CALLBACK(on_upgraded), u, upgrade_free,
			      0);
}

/* The URLs of the sockets the last listen added, with scheme. (Not
 * soup_server_get_uris(), which leaks an address in libsoup 3.2.) */
static void add_urls(struct web *w, GPtrArray *urls, GHashTable *seen, const char *scheme) {
	GSList *listeners = soup_server_get_listeners(w->server);
	for (GSList *l = listeners; l != NULL; l = l->next) {
		if (!g_hash_table_add(seen, l->data)) {
			continue;
		}
		GSocketAddress *a = g_socket_get_local_address(l->data, NULL);
		if (a == NULL || !G_IS_INET_SOCKET_ADDRESS(a)) {
			g_clear_object(&a);
			continue;
		}
		GInetSocketAddress *ia = G_INET_SOCKET_ADDRESS(a);
		char *host = g_inet_address_to_string(g_inet_socket_address_get_address(ia));
		bool v6 = strchr(host, ':') != NULL;
		g_ptr_array_add(urls,
				g_strdup_printf("%s://%s%s%s:%u/", scheme, v6 ? "[" : "", host,
						v6 ? "]" : "", g_inet_socket_address_get_port(ia)));
		g_free(host);
		g_object_unref(a);
	}
	g_slist_free(listeners);
}

static bool listen_one(struct web *w, const char *spec, GTlsCertificate **cert,
		       const struct web_options *o, GPtrArray *urls, GHashTable *seen) {
	char host[64];
	int port;
	const char *why = NULL;
	if (config_parse_listen(spec, host, &port, &why) < 0) {
		log_error("Web: cannot listen on %s: %s", spec, why);
		return false;
	}
	GInetAddress *addr = NULL;
	bool loopback = strcmp(host, "localhost") == 0;
	if (!loopback && strcmp(host, "*") != 0) {
		addr = g_inet_address_new_from_string(host);
		if (addr == NULL) {
			log_error("Web: cannot listen on %s: %s is not an IP address", spec, host);
			return false;
		}
		loopback = g_inet_address_get_is_loopback(addr);
	}
	SoupServerListenOptions opts = 0;
	if (!loopback) {
		/* plain HTTP only on this machine: anywhere else, TLS or nothing */
		if (*cert == NULL) {
			GError *err = NULL;
			if (o->tls_cert != NULL || o->tls_key != NULL) {
				*cert = g_tls_certificate_new_from_files(o->tls_cert,
									 o->tls_key != NULL
										 ? o->tls_key
										 : o->tls_cert,
									 &err);
				if (*cert == NULL) {
					log_error("Web: cannot use the certificate %s: %s",
						  o->tls_cert, err->message);
					g_error_free(err);
				}
			} else {
				*cert = web_cert_self_signed(o->state_dir);
			}
			if (*cert == NULL) {
				g_clear_object(&addr);
				return false;
			}
			g_object_set(w->server, "tls-certificate", *cert, NULL);
			auth_cert_fingerprint(*cert, w->fingerprint, sizeof(w->fingerprint));
			w->tls = true;
		}
		opts |= SOUP_SERVER_LISTEN_HTTPS;
	}
	GError *err = NULL;
	gboolean ok;
	if (addr != NULL) {
		GSocketAddress *sa = g_inet_socket_address_new(addr, (guint16)port);
		ok = soup_server_listen(w->server, sa, opts, &err);
		g_object_unref(sa);
		g_object_unref(addr);
	} else if (loopback) {
		ok = soup_server_listen_local(w->server, (guint)port, opts, &err);
	} else {
		ok = soup_server_listen_all(w->server, (guint)port, opts, &err);
	}
	if (!ok) {
		log_error("Web: cannot listen on %s: %s", spec, err->message);
		g_error_free(err);
		return false;
	}
	add_urls(w, urls, seen, opts & SOUP_SERVER_LISTEN_HTTPS ? "https" : "http");
	return true;
}

struct web *web_create(const struct web_options *o, const struct web_hooks *h, void *data) {
	struct web *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return NULL;
	}
	w->hooks = *h;
	w->data = data;
	static bool registered;
	if (!registered) {
		web_register_resource();
		registered = true;
	}
	w->resource = web_get_resource();
	w->server = soup_server_new("server-header", "ctid/" CTID_VERSION " ", NULL);
	w->throttle = web_throttle_create();
	w->events = web_events_create();
	soup_server_add_early_handler(w->server, NULL, on_early, w, NULL);
	soup_server_add_early_handler(w->server, "/api/v1/events", on_events_early, w, NULL);
	soup_server_add_handler(w->server, NULL, on_request, w, NULL);
	soup_server_add_handler(w->server, "/api/v1/events", on_events, w, NULL);
	GTlsCertificate *cert = NULL;
	GPtrArray *urls = g_ptr_array_new();
	GHashTable *seen = g_hash_table_new(NULL, NULL);
	bool ok = true;
	for (int i = 0; ok && i < o->n_listen; i++) {
		ok = listen_one(w, o->listen[i], &cert, o, urls, seen);
	}
	g_clear_object(&cert);
	g_hash_table_destroy(seen);
	g_ptr_array_add(urls, NULL);
	w->urls = (char **)g_ptr_array_free(urls, FALSE);
	if (!ok) {
		web_destroy(w);
		return NULL;
	}
	for (int i = 0; w->urls[i] != NULL; i++) {
		log_notice("Web page at %s", w->urls[i]);
	}
	if (w->tls) {
		log_notice("Web: TLS certificate SHA-256 fingerprint %s (compare it with what the "
			   "browser shows the first time)",
			   w->fingerprint);
	}
	return w;
}

void web_destroy(struct web *w) {
	if (w == NULL) {
		return;
	}
	struct queued *q;
	while ((q = g_queue_pop_head(&w->queued)) != NULL) {
		g_free(q->object);
		g_free(q);
	}
	web_events_destroy(w->events);
	if (w->server != NULL) {
		soup_server_disconnect(w->server);
		g_object_unref(w->server);
	}
	web_throttle_destroy(w->throttle);
	g_strfreev(w->urls);
	free(w);
}

void web_publish(struct web *w, const char *type, const char *key, const char *object, uint64_t live) {
	if (w == NULL || object == NULL) {
		return;
	}
	if (w->held > 0) {
		struct queued *q = g_new(struct queued, 1);
		*q = (struct queued){type, key, g_strdup(object), live};
		g_queue_push_tail(&w->queued, q);
		return;
	}
	web_events_publish(w->events, type, key, object, live);
}

void web_hold(struct web *w) {
	if (w != NULL) {
		w->held++;
	}
}

void web_release(struct web *w) {
	if (w == NULL || w->held == 0 || --w->held > 0) {
		return;
	}
	struct queued *q;
	while ((q = g_queue_pop_head(&w->queued)) != NULL) {
		web_events_publish(w->events, q->type, q->key, q->object, q->live);
		g_free(q->object);
		g_free(q);
	}
}

const char *web_url(const struct web *w) {
	return w != NULL && w->urls != NULL ? w->urls[0] : NULL;
}

const char *const *web_urls(const struct web *w) {
	static const char *const none[] = {NULL};
	return w != NULL && w->urls != NULL ? (const char *const *)w->urls : none;
}

const char *web_fingerprint(const struct web *w) {
	return w != NULL && w->tls ? w->fingerprint : NULL;
}

int web_clients(const struct web *w) {
	return w != NULL ? web_events_clients(w->events) : 0;
}
