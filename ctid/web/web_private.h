#ifndef CTID_WEB_PRIVATE_H
#define CTID_WEB_PRIVATE_H

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>

#include "auth.h"
#include "json.h"
#include "web.h"

#define WEB_BODY_MAX	  (1024 * 1024) /* bytes of a request's body */
#define WEB_SESSION_DAYS  30		/* a browser's login lasts this long, used or not */
#define WEB_LOGIN_FAILS	  10		/* failed logins allowed per window ... */
#define WEB_LOGIN_WINDOW  600		/* ... of this many seconds */
#define WEB_CLIENT_QUEUE  256		/* messages a slow page may have waiting */
#define WEB_CHECK_EVERY	  8		/* events between looks at a page's socket */
#define WEB_CLIENT_SNDBUF (64 * 1024)	/* a page's socket buffer (the kernel doubles it) */
#define WEB_COOKIE	  "ctid_session"
#define WEB_RESTORE_MAX	  ((int64_t)16 << 30) /* bytes of a database to restore */
#define WEB_RESTORE_PATH  "/api/v1/restore"

struct web_events;
struct web_throttle;

/* An event published while held; type and key are the callers' literals. */
struct queued {
	const char *type;
	const char *key;
	char *object;
	uint64_t live;
};

struct web {
	SoupServer *server;
	struct web_hooks hooks;
	void *data;
	bool tls;
	char fingerprint[96]; /* "AB:CD:..." or "" */
	char **urls;	      /* NULL-terminated */
	struct web_events *events;
	struct web_throttle *throttle;
	GResource *resource;
	int held;      /* web_hold() calls not yet released */
	GQueue queued; /* struct queued: published while held */
};

/* Who a request comes from, once authenticated. */
struct web_user {
	int64_t id;
	char name[DB_USER_NAME_MAX + 1];
	enum db_role role;
	bool session;			      /* by cookie (needs CSRF on changes), not by token */
	char token_hash[AUTH_DIGEST_LEN + 1]; /* of the session or token in use */
	char csrf[80];
};

/* One request being answered. */
struct web_request {
	struct web *web;
	SoupServerMessage *msg;
	const char *method;
	const char *path;
	GHashTable *query; /* may be NULL */
	struct web_user user;
	const char *args[2]; /* the route's {id} / {name} parts */
	int64_t id;	     /* args[0] as an id, when it is one */
	struct db *db;
	JsonNode *body; /* the parsed JSON body of a POST/PATCH, or NULL */
	/* the response being written */
	char *out;
	size_t out_len;
	FILE *f;
	struct json_writer w;
};

enum web_role_need {
	WEB_ROLE_NONE = -1, /* no login needed */
	WEB_ROLE_SELLER = DB_ROLE_SELLER,
	WEB_ROLE_MANAGER = DB_ROLE_MANAGER,
	WEB_ROLE_ADMIN = DB_ROLE_ADMIN,
};

typedef void (*web_handler)(struct web_request *r);

struct web_route {
	const char *method;
	const char *pattern; /* "/api/v1/contacts/{id}" */
	enum web_role_need role;
	web_handler handler;
};

/* Every route of the API (routes.c), ending with a NULL pattern. */
extern const struct web_route web_routes[];

/* The home region numbers are formatted for. */
static inline const char *web_region(struct web_request *r) {
	return r->web->hooks.region(r->web->data);
}

/* Starts a JSON response: the handler then writes one value to r->w. */
struct json_writer *web_json(struct web_request *r);
/* Sends what was written to r->w with status. */
void web_reply(struct web_request *r, int status);
/* Sends {"error": message} with status on msg, before any request. */
void web_send_error(SoupServerMessage *msg, int status, const char *message);
/* Sends {"error": message} with status; the message is one sentence. */
void web_error(struct web_request *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sends a database error (-errno) as the right status and sentence. */
void web_db_error(struct web_request *r, int err, const char *doing);
/* Sends a body of another type (taken: freed with g_free). */
void web_reply_bytes(struct web_request *r, int status, const char *type, char *data, size_t len);

/* The query parameter name, or NULL. */
const char *web_query(struct web_request *r, const char *name);
/* Whether s is a whole number from min to max in decimal digits (a '-'
 * before them when min is below 0; no sign, blank or other byte else):
 * then *out holds it. */
bool web_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);
/* Parses query parameter name as an integer from min to max (def when
 * absent or empty; web_parse_int()); false after answering 400 when it is
 * not one. */
bool web_query_int(struct web_request *r, const char *name, long min, long max, long def, long *out);
/* "true"/"false"/"1"/"0"/"yes"/"no"; false after answering 400. */
bool web_query_bool(struct web_request *r, const char *name, bool def, bool *out);
/* A date parameter (YYYY-MM-DD, today, yesterday, Nd); 0 when absent. */
bool web_query_since(struct web_request *r, const char *name, bool until, int64_t *out);

/* The body's JSON object; NULL after answering 400 when there is none. */
JsonObject *web_body_object(struct web_request *r);
/*
 * Member name of o as a string: *out is NULL when absent (or null when
 * nullable), and false after answering 422 when it is of another type or
 * fails db_check_text(max, lines) (413 when too long).
 */
bool web_member_string(struct web_request *r, JsonObject *o, const char *name, size_t max,
		       bool lines, const char **out);
bool web_member_int(struct web_request *r, JsonObject *o, const char *name, int64_t min,
		    int64_t max, int64_t def, int64_t *out);
bool web_member_bool(struct web_request *r, JsonObject *o, const char *name, bool def, bool *out);

/* Answers a text the database refused (-EMSGSIZE, -EILSEQ) and returns
 * true; false for any other value. */
bool web_text_refused(struct web_request *r, int err, const char *what);

/* Sessions, tokens and logins (session.c). */
struct web_throttle *web_throttle_create(void);
void web_throttle_destroy(struct web_throttle *t);
/* Fills r->user from the cookie or the token; false when neither is valid. */
bool web_authenticate(struct web_request *r);
/* Whether a change by a session carries its CSRF token (and a same-origin
 * Origin when it has one). */
bool web_csrf_ok(struct web_request *r);
void web_login(struct web_request *r);
void web_logout(struct web_request *r);
void web_session(struct web_request *r);
/* POST /api/v1/tokens: a new API token of the caller (a desk joining). */
void web_token_new(struct web_request *r);
/* POST /api/v1/links: a one-time login link of the caller (a desk's popup
 * opening the page). */
void web_link_new(struct web_request *r);
/* GET /login/LINK */
void web_link_login(struct web *w, SoupServerMessage *msg, const char *link, GHashTable *query);

/* Live events (events.c). */
struct web_events *web_events_create(void);
void web_events_destroy(struct web_events *e);
void web_events_publish(struct web_events *e, const char *type, const char *key, const char *object,
			uint64_t live);
int web_events_clients(const struct web_events *e);
/* Sets a page's socket up for events (before its 101 goes out). */
void web_events_tune_socket(GSocket *socket);
/* A page's events connection, taken from libsoup after the upgrade, with
 * its socket (or NULL); since is ?since=ID, or -1; token_hash the hash of
 * the session or token it logged in with. */
void web_events_connected(struct web_events *e, GIOStream *stream, GSocket *socket, GUri *uri,
			  const char *origin, int64_t since, const char *token_hash);

/* The self-signed certificate (cert.c): loads dir/web.crt and web.key or
 * makes them. Returns a new certificate or NULL after logging why. */
GTlsCertificate *web_cert_self_signed(const char *dir);

/* The handlers (api_*.c). */
void web_api_lookup(struct web_request *r);
void web_api_contacts(struct web_request *r);
void web_api_contact_add(struct web_request *r);
void web_api_contact_get(struct web_request *r);
void web_api_contact_patch(struct web_request *r);
void web_api_contact_delete(struct web_request *r);
void web_api_contact_merge(struct web_request *r);
void web_api_note_add(struct web_request *r);
void web_api_note_close(struct web_request *r);
void web_api_reminder_add(struct web_request *r);
void web_api_reminder_delete(struct web_request *r);
void web_api_reminders(struct web_request *r);
void web_api_requests(struct web_request *r);
void web_api_requests_arrived(struct web_request *r);
void web_api_calls(struct web_request *r);
void web_api_missed(struct web_request *r);
void web_api_call_get(struct web_request *r);
void web_api_dial(struct web_request *r);
void web_api_call_handled(struct web_request *r);
void web_api_call_callback(struct web_request *r);
void web_api_report(struct web_request *r);
void web_api_export(struct web_request *r);
void web_api_activity(struct web_request *r);
void web_api_users(struct web_request *r);
void web_api_user_add(struct web_request *r);
void web_api_user_patch(struct web_request *r);
void web_api_user_delete(struct web_request *r);
void web_api_backup(struct web_request *r);
void web_api_settings(struct web_request *r);
void web_api_restore(struct web_request *r);
/* Before the body of a restore is read: checks the login and the role and
 * streams the body to a file next to the database. Returns false after
 * answering. */
bool web_restore_begin(struct web *w, SoupServerMessage *msg, const char *path);
void web_api_status(struct web_request *r);
void web_api_openapi(struct web_request *r);

#endif
