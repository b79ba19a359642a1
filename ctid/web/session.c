/*
 * Who is asking: a browser's session (a cookie, with a CSRF token for every
 * change), a script's token (Authorization: Bearer) or a one-time login
 * link. Only SHA-256 digests of sessions, tokens and links are stored;
 * passwords are yescrypt hashes (ctid/auth.c). Failed logins are counted
 * per address and per user name, and refused with 429 once there were
 * WEB_LOGIN_FAILS in WEB_LOGIN_WINDOW seconds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "log.h"
#include "web_private.h"

struct strike {
	int count;
	int64_t since;
};

struct web_throttle {
	GHashTable *strikes; /* "a:ADDRESS" or "u:NAME" -> struct strike */
};

struct web_throttle *web_throttle_create(void) {
	struct web_throttle *t = g_new0(struct web_throttle, 1);
	t->strikes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return t;
}

void web_throttle_destroy(struct web_throttle *t) {
	if (t == NULL) {
		return;
	}
	g_hash_table_destroy(t->strikes);
	g_free(t);
}

static gboolean strike_expired(gpointer key, gpointer value, gpointer data) {
	const struct strike *s = value;
	return *(int64_t *)data - s->since >= WEB_LOGIN_WINDOW;
}

/* Seconds until key may try again, 0 when it may now. */
static int64_t throttled(struct web_throttle *t, const char *key, int64_t now) {
	struct strike *s = g_hash_table_lookup(t->strikes, key);
	if (s == NULL || now - s->since >= WEB_LOGIN_WINDOW) {
		return 0;
	}
	return s->count >= WEB_LOGIN_FAILS ? s->since + WEB_LOGIN_WINDOW - now : 0;
}

static void strike(struct web_throttle *t, const char *key, int64_t now) {
	if (g_hash_table_size(t->strikes) > 10000) {
		/* a flood of names: forget the windows that are over */
		g_hash_table_foreach_remove(t->strikes, strike_expired, &now);
	}
	struct strike *s = g_hash_table_lookup(t->strikes, key);
	if (s == NULL || now - s->since >= WEB_LOGIN_WINDOW) {
		s = g_new0(struct strike, 1);
		s->since = now;
		g_hash_table_replace(t->strikes, g_strdup(key), s);
	}
	s->count++;
}

static char *throttle_key(char kind, const char *what) {
	char *lower = g_ascii_strdown(what, -1);
	char *key = g_strdup_printf("%c:%s", kind, lower);
	g_free(lower);
	return key;
}

/* The value of cookie name in the request, or NULL; a new string. */
static char *cookie(SoupServerMessage *msg, const char *name) {
	const char *header =
		soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Cookie");
	if (header == NULL) {
		return NULL;
	}
	GHashTable *params = soup_header_parse_semi_param_list(header);
	const char *v = g_hash_table_lookup(params, name);
	char *out = v != NULL ? g_strdup(v) : NULL;
	soup_header_free_param_list(params);
	return out;
}

struct found {
	struct web_user *user;
	enum db_token_kind want;
	bool ok;
};

static int take_token(const struct db_token *t, void *data) {
	struct found *f = data;
	if (t->kind != f->want) {
		return 0;
	}
	f->ok = true;
	f->user->id = t->user.id;
	g_strlcpy(f->user->name, t->user.name, sizeof(f->user->name));
	f->user->role = t->user.role;
	g_strlcpy(f->user->csrf, t->csrf != NULL ? t->csrf : "", sizeof(f->user->csrf));
	return 0;
}

static bool find_token(struct db *db, const char *token, enum db_token_kind kind,
		       struct web_user *user) {
	if (token == NULL || strlen(token) != AUTH_TOKEN_LEN) {
		return false;
	}
	char digest[AUTH_DIGEST_LEN + 1];
	auth_token_digest(token, digest);
	struct found f = {.user = user, .want = kind};
	bool ok = db_token_find(db, digest, (int64_t)time(NULL), take_token, &f) == 0 && f.ok;
	if (ok) {
		memcpy(user->token_hash, digest, sizeof(digest));
	}
	return ok;
}

bool web_authenticate(struct web_request *r) {
	struct db *db = r->web->hooks.db(r->web->data);
	if (db == NULL) {
		return false;
	}
	SoupMessageHeaders *h = soup_server_message_get_request_headers(r->msg);
	const char *auth = soup_message_headers_get_one(h, "Authorization");
	if (auth != NULL) {
		if (g_ascii_strncasecmp(auth, "Bearer ", 7) != 0) {
			return false;
		}
		r->user.session = false;
		return find_token(db, auth + 7, DB_TOKEN_API, &r->user);
	}
	char *token = cookie(r->msg, WEB_COOKIE);
	bool ok = find_token(db, token, DB_TOKEN_SESSION, &r->user);
	g_free(token);
	r->user.session = ok;
	return ok;
}

/* An Origin header, when the browser sent one, must be this server. */
static bool origin_ok(struct web_request *r) {
	SoupMessageHeaders *h = soup_server_message_get_request_headers(r->msg);
	const char *origin = soup_message_headers_get_one(h, "Origin");
	if (origin == NULL) {
		return true;
	}
	const char *host = soup_message_headers_get_one(h, "Host");
	GUri *uri = g_uri_parse(origin, G_URI_FLAGS_NONE, NULL);
	bool ok = false;
	if (uri != NULL && host != NULL && g_uri_get_host(uri) != NULL) {
		char *want = g_uri_get_port(uri) > 0 ? g_strdup_printf("%s:%d", g_uri_get_host(uri),
								       g_uri_get_port(uri))
						     : g_strdup(g_uri_get_host(uri));
		/* IPv6 hosts come back without their brackets */
		char *bracketed = g_uri_get_port(uri) > 0
					  ? g_strdup_printf("[%s]:%d", g_uri_get_host(uri),
							    g_uri_get_port(uri))
					  : g_strdup_printf("[%s]", g_uri_get_host(uri));
		ok = g_ascii_strcasecmp(want, host) == 0 || g_ascii_strcasecmp(bracketed, host) == 0;
		g_free(want);
		g_free(bracketed);
	}
	if (uri != NULL) {
		g_uri_unref(uri);
	}
	return ok;
}

bool web_csrf_ok(struct web_request *r) {
	if (!r->user.session) {
		return true; /* a token is sent on purpose, never by a browser on its own */
	}
	if (!origin_ok(r)) {
		return false;
	}
	if (strcmp(r->method, "GET") == 0) {
		return true; /* the events' WebSocket: the Origin is what a browser proves */
	}
	const char *sent =
		soup_message_headers_get_one(soup_server_message_get_request_headers(r->msg),
					     "X-CSRF-Token");
	return sent != NULL && r->user.csrf[0] != '\0' && auth_equal(sent, r->user.csrf);
}

static void set_cookie(struct web *w, SoupServerMessage *msg, const char *value, int max_age) {
	char *c = g_strdup_printf("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
				  WEB_COOKIE, value, max_age, w->tls ? "; Secure" : "");
	soup_message_headers_append(soup_server_message_get_response_headers(msg), "Set-Cookie", c);
	g_free(c);
}

/* Makes a session for user; writes its CSRF token. Returns 0 or -errno. */
static int new_session(struct web *w, struct db *db, SoupServerMessage *msg, int64_t user,
		       char csrf[AUTH_TOKEN_LEN + 1]) {
	char token[AUTH_TOKEN_LEN + 1], digest[AUTH_DIGEST_LEN + 1];
	int ret = auth_token_new(token);
	if (ret == 0) {
		ret = auth_token_new(csrf);
	}
	if (ret < 0) {
		return ret;
	}
	auth_token_digest(token, digest);
	int64_t now = (int64_t)time(NULL);
	db_token_expire(db, now);
	ret = db_token_add(db, user, DB_TOKEN_SESSION, digest, csrf, now + WEB_SESSION_DAYS * 86400,
			   NULL);
	if (ret == 0) {
		set_cookie(w, msg, token, WEB_SESSION_DAYS * 86400);
	}
	return ret;
}

static void write_session(struct web_request *r, const char *user, enum db_role role,
			  const char *csrf) {
	struct json_writer *j = web_json(r);
	json_object_begin(j);
	json_key(j, "user");
	json_string(j, user);
	json_key(j, "role");
	json_string(j, db_role_str(role));
	json_key(j, "csrf");
	json_string(j, csrf != NULL && csrf[0] ? csrf : NULL);
	json_object_end(j);
}

struct login_user {
	bool found;
	int64_t id;
	enum db_role role;
	char name[DB_USER_NAME_MAX + 1];
	char hash[AUTH_HASH_MAX];
};

static int take_user(const struct db_user *u, void *data) {
	struct login_user *l = data;
	l->found = true;
	l->id = u->id;
	l->role = u->role;
	g_strlcpy(l->name, u->name, sizeof(l->name));
	g_strlcpy(l->hash, u->password != NULL ? u->password : "", sizeof(l->hash));
	return 0;
}

void web_login(struct web_request *r) {
	if (!origin_ok(r)) {
		/* a page of another site posting its own user's login (the
		 * form needs no script) would log the browser in as them */
		web_error(r, 403, "Log in from ctid's own page.");
		return;
	}
	JsonObject *o = web_body_object(r);
	const char *name = NULL, *password = NULL;
	if (o == NULL || !web_member_string(r, o, "user", DB_USER_NAME_MAX, false, &name) ||
	    !web_member_string(r, o, "password", AUTH_PASSWORD_MAX, true, &password)) {
		return;
	}
	if (name == NULL || password == NULL) {
		web_error(r, 400, "Send the user and the password.");
		return;
	}
	struct web_throttle *t = r->web->throttle;
	const char *address = soup_server_message_get_remote_host(r->msg);
	char *by_address = throttle_key('a', address != NULL ? address : "?");
	char *by_user = throttle_key('u', name);
	int64_t now = (int64_t)time(NULL);
	int64_t wait = MAX(throttled(t, by_address, now), throttled(t, by_user, now));
	if (wait > 0) {
		char retry[24];
		snprintf(retry, sizeof(retry), "%lld", (long long)wait);
		soup_message_headers_replace(soup_server_message_get_response_headers(r->msg),
					     "Retry-After", retry);
		g_strlcpy(r->user.name, name, sizeof(r->user.name));
		web_error(r, 429, "Too many failed logins; try again in %lld minutes.",
			  (long long)(wait + 59) / 60);
		goto out;
	}
	struct login_user u = {0};
	int ret = db_user_name_valid(name) ? db_user_get(r->db, name, take_user, &u) : -ENOENT;
	if (ret < 0 && ret != -ENOENT) {
		web_db_error(r, ret, "user");
		goto out;
	}
	/* verified even for no such user, so both take as long */
	bool ok = auth_password_verify(password, u.found && u.hash[0] ? u.hash : NULL) && u.found;
	if (!ok) {
		strike(t, by_address, now);
		strike(t, by_user, now);
		g_strlcpy(r->user.name, name, sizeof(r->user.name));
		web_error(r, 401, "Wrong user name or password.");
		goto out;
	}
	g_hash_table_remove(t->strikes, by_user);
	char csrf[AUTH_TOKEN_LEN + 1];
	ret = new_session(r->web, r->db, r->msg, u.id, csrf);
	if (ret < 0) {
		web_db_error(r, ret, "session");
		goto out;
	}
	log_info("Web: %s logged in from %s", u.name, address);
	write_session(r, u.name, u.role, csrf);
out:
	g_free(by_address);
	g_free(by_user);
}

void web_logout(struct web_request *r) {
	char *token = cookie(r->msg, WEB_COOKIE);
	if (r->user.session && token != NULL) {
		char digest[AUTH_DIGEST_LEN + 1];
		auth_token_digest(token, digest);
		db_token_delete(r->db, digest);
		web_tokens_changed(r->web);
	}
	g_free(token);
	set_cookie(r->web, r->msg, "", 0);
	web_reply(r, 204);
}

void web_session(struct web_request *r) {
	write_session(r, r->user.name, r->user.role, r->user.session ? r->user.csrf : NULL);
}

/* Where a link may send the browser: a path on this server. */
static const char *safe_next(const char *next) {
	if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
	    strpbrk(next, "\r\n\\") != NULL || strlen(next) > 1000) {
		return "/";
	}
	/* one the redirect can resolve (a bare "%" cannot be: libsoup then
	 * answered 500 with no Location, the link spent) */
	char *to = g_uri_resolve_relative("http://localhost/", next, SOUP_HTTP_URI_FLAGS, NULL);
	if (to == NULL) {
		return "/";
	}
	g_free(to);
	return next;
}

static void link_refused(SoupServerMessage *msg, const char *why) {
	static const char page[] =
		"<!doctype html><meta charset=utf-8><title>ctid</title>"
		"<h1>This login link cannot be used</h1><p>%s</p>"
		"<p>Run <code>ctidctl open</code> again, or <a href=\"/\">log in</a>.</p>";
	char *body = g_strdup_printf(page, why);
	soup_server_message_set_status(msg, 401, NULL);
	soup_server_message_set_response(msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE, body,
					 strlen(body));
}

void web_link_login(struct web *w, SoupServerMessage *msg, const char *link, GHashTable *query) {
	const char *address = soup_server_message_get_remote_host(msg);
	char *by_address = throttle_key('a', address != NULL ? address : "?");
	int64_t now = (int64_t)time(NULL);
	struct db *db = w->hooks.db(w->data);
	struct web_user user = {0};
	char digest[AUTH_DIGEST_LEN + 1];
	if (throttled(w->throttle, by_address, now) > 0) {
		log_warn("Web: refused a login link from %s: too many failed logins", address);
		link_refused(msg, "Too many failed logins from this address; wait a few minutes.");
	} else if (db == NULL) {
		link_refused(msg, "The database cannot be opened right now.");
	} else if (!find_token(db, link, DB_TOKEN_LINK, &user)) {
		strike(w->throttle, by_address, now);
		log_warn("Web: refused a login link from %s: used, expired or unknown", address);
		link_refused(msg, "It was used already, or it expired (links work once, for two "
				  "minutes).");
	} else {
		auth_token_digest(link, digest);
		db_token_delete(db, digest); /* once */
		char csrf[AUTH_TOKEN_LEN + 1];
		int ret = new_session(w, db, msg, user.id, csrf);
		if (ret < 0) {
			link_refused(msg, "The database cannot be written right now.");
		} else {
			log_info("Web: %s logged in from %s with a login link", user.name, address);
			const char *next =
				safe_next(query != NULL ? g_hash_table_lookup(query, "next") : NULL);
			soup_server_message_set_redirect(msg, 303, next);
		}
	}
	g_free(by_address);
}

void web_token_new(struct web_request *r) {
	char token[AUTH_TOKEN_LEN + 1], digest[AUTH_DIGEST_LEN + 1];
	int ret = auth_token_new(token);
	if (ret == 0) {
		auth_token_digest(token, digest);
		ret = db_token_add(r->db, r->user.id, DB_TOKEN_API, digest, NULL, 0, NULL);
	}
	if (ret < 0) {
		web_db_error(r, ret, "token");
		return;
	}
	log_info("Web: %s made an API token (a desk joining from %s)", r->user.name,
		 soup_server_message_get_remote_host(r->msg));
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "token");
	json_string(w, token);
	json_key(w, "user");
	json_string(w, r->user.name);
	json_key(w, "role");
	json_string(w, db_role_str(r->user.role));
	json_object_end(w);
	web_reply(r, 201);
}

void web_link_new(struct web_request *r) {
	const char *next = NULL;
	JsonObject *o = r->body != NULL ? web_body_object(r) : NULL;
	if (r->body != NULL && (o == NULL || !web_member_string(r, o, "next", 1000, false, &next))) {
		return;
	}
	char link[AUTH_TOKEN_LEN + 1], digest[AUTH_DIGEST_LEN + 1];
	int ret = auth_token_new(link);
	if (ret == 0) {
		auth_token_digest(link, digest);
		ret = db_token_add(r->db, r->user.id, DB_TOKEN_LINK, digest, NULL,
				   (int64_t)time(NULL) + AUTH_LINK_SECONDS, NULL);
	}
	if (ret < 0) {
		web_db_error(r, ret, "link");
		return;
	}
	char *url = auth_link_url("/", link, next != NULL ? safe_next(next) : NULL);
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "url");
	json_string(w, url);
	json_object_end(w);
	g_free(url);
}
