/*
 * ctid --connect URL: a desk. No modem and no database of its own: it
 * follows the server's live events (ctid/remote/) and shows each call it
 * follows (its lines and departments) through the same popups, with the
 * card the server made; the popup's buttons act on the server. Its D-Bus
 * service sends the same signals a ctid with modems sends, so scripts and
 * ctidctl monitor do not care where the modem is. A call pops up once,
 * however often the link comes back and the server replays what it missed.
 */
#include <errno.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "browser.h"
#include "bus.h"
#include "desk.h"
#include "log.h"
#include "notify.h"
#include "popups.h"
#include "remote.h"

struct desk {
	struct config config;
	GMainLoop *loop;
	struct remote *remote;
	struct popups *popups;
	struct bus *bus;
	char *user;
	GHashTable *ended;  /* ids of calls whose end was shown: nothing of them again */
	int64_t down_since; /* when the link last went down; 0 while up */
};

static const char *str(JsonObject *o, const char *key) {
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
	return n != NULL && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
									 : NULL;
}

static int64_t num(JsonObject *o, const char *key) {
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n)) {
		return 0;
	}
	GType t = json_node_get_value_type(n);
	return t == G_TYPE_INT64     ? json_node_get_int(n)
	       : t == G_TYPE_BOOLEAN ? json_node_get_boolean(n)
				     : 0;
}

static JsonObject *obj(JsonObject *o, const char *key) {
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
	return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *arr(JsonObject *o, const char *key) {
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
	return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

/* An ISO 8601 time in milliseconds since the epoch, 0 for none. */
static int64_t iso_ms(const char *s) {
	GDateTime *t = s != NULL ? g_date_time_new_from_iso8601(s, NULL) : NULL;
	if (t == NULL) {
		return 0;
	}
	int64_t ms = g_date_time_to_unix(t) * 1000;
	g_date_time_unref(t);
	return ms;
}

static enum notify_call_state state_of(const char *s) {
	if (s == NULL) {
		return NOTIFY_CALL_RINGING;
	}
	return !strcmp(s, "answered")  ? NOTIFY_CALL_ANSWERED
	       : !strcmp(s, "missed")  ? NOTIFY_CALL_MISSED
	       : !strcmp(s, "unknown") ? NOTIFY_CALL_UNKNOWN
				       : NOTIFY_CALL_RINGING;
}

/* The popup's card from the server's: the strings borrowed from card. */
static void card_from_json(JsonObject *card, struct notify_card *out) {
	*out = (struct notify_card){
		.name = str(card, "name"),
		.company = str(card, "company"),
		.telco_name = str(card, "telco_name"),
		.withheld = str(card, "withheld"),
		.ambiguous = num(card, "ambiguous") != 0,
		.number = str(card, "number"),
		.line = str(card, "line"),
		.contact_id = num(card, "contact_id"),
		.can_dial = num(card, "can_dial") != 0,
		.history_unknown = num(card, "history_unknown") != 0,
		.calls_before = (int)num(card, "calls_before"),
		.last_call = iso_ms(str(card, "last_call")),
		.last_missed = num(card, "last_missed") != 0,
		.last_handled = num(card, "last_handled") != 0,
		.missed_unhandled = (int)num(card, "missed_unhandled"),
		.requests_open = (int)num(card, "requests_open"),
		.state = state_of(str(card, "state")),
		.rings = (int)num(card, "rings"),
		.started = iso_ms(str(card, "started")),
		.now = g_get_real_time() / 1000,
	};
	JsonArray *notes = arr(card, "notes");
	for (guint i = 0; notes != NULL && i < json_array_get_length(notes) && i < NOTIFY_NOTES_MAX;
	     i++) {
		JsonObject *n = json_array_get_object_element(notes, i);
		out->notes[i].text = str(n, "text");
		out->notes[i].time = iso_ms(str(n, "time"));
	}
	JsonArray *requests = arr(card, "requests");
	for (guint i = 0;
	     requests != NULL && i < json_array_get_length(requests) && i < NOTIFY_REQUESTS_MAX; i++) {
		out->requests[i] = json_array_get_string_element(requests, i);
	}
	JsonArray *reminders = arr(card, "reminders");
	for (guint i = 0;
	     reminders != NULL && i < json_array_get_length(reminders) && i < NOTIFY_REMINDERS_MAX;
	     i++) {
		JsonObject *r = json_array_get_object_element(reminders, i);
		out->reminders[i].text = str(r, "text");
		out->reminders[i].days_left = (int)num(r, "days_left");
	}
}

/* The key of a call's popup: its id in the server's log. */
static uint64_t call_key(JsonObject *call) {
	int64_t id = num(call, "id");
	return id > 0 ? (uint64_t)id
		      : (uint64_t)g_str_hash(str(call, "line") ? str(call, "line") : "") ^
				(uint64_t)num(call, "started") << 20;
}

static void emit_signal(struct desk *d, const char *event, JsonObject *call) {
	static const struct {
		const char *event, *signal;
	} names[] = {{"call-started", "CallStarted"},
		     {"call-updated", "CallUpdated"},
		     {"call-ended", "CallEnded"}};
	for (size_t i = 0; d->bus != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(event, names[i].event) != 0) {
			continue;
		}
		struct bus_call c = {
			.id = num(call, "id"),
			.line = str(call, "line"),
			.number = str(call, "number"),
			.name = str(call, "name"),
			.withheld = str(call, "withheld"),
			.e164 = str(call, "e164"),
			.formatted = str(call, "formatted"),
			.contact_id = num(call, "contact_id"),
			.contact_name = str(call, "contact_name"),
			.ambiguous = num(call, "ambiguous") != 0,
			.rings = (int)num(call, "rings"),
			.state = str(call, "state"),
			.started = num(call, "started"),
			.ended = num(call, "ended"),
			.date = str(call, "date"),
			.handled = num(call, "handled") != 0,
			.department = str(call, "department"),
		};
		bus_emit_call(d->bus, names[i].signal, &c);
	}
}

static void on_call_event(struct desk *d, const char *event, JsonObject *call) {
	if (call == NULL || !config_follows(&d->config, str(call, "line"), str(call, "department"))) {
		return;
	}
	int64_t id = num(call, "id");
	if (id > 0 && g_hash_table_contains(d->ended, &id)) {
		return; /* shown to its end already: a replay after the link came back */
	}
	emit_signal(d, event, call);
	JsonObject *card_json = obj(call, "card");
	if (card_json != NULL) {
		struct notify_card card;
		card_from_json(card_json, &card);
		popups_show_card(d->popups, call_key(call), &card, id, str(call, "number"));
	}
	if (id > 0 && (strcmp(event, "call-ended") == 0 || num(call, "ended") > 0)) {
		int64_t *k = g_new(int64_t, 1);
		*k = id;
		g_hash_table_add(d->ended, k);
	}
}

/* The missed calls of the time the link was down, which the server no
 * longer kept as events: each as a missed call's popup, once. */
static void on_missed_while_away(int status, JsonNode *body, const char *error, void *data) {
	struct desk *d = data;
	JsonObject *o = body != NULL && JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body)
								     : NULL;
	JsonArray *calls = arr(o, "calls");
	if (status != 200 || calls == NULL) {
		log_warn("Desk: could not ask for the calls missed while away: %s",
			 error != NULL ? error : "no list");
		return;
	}
	for (guint i = 0; i < json_array_get_length(calls); i++) {
		JsonObject *c = json_array_get_object_element(calls, i);
		int64_t id = num(c, "id");
		JsonObject *contact = obj(c, "contact");
		if (id <= 0 || g_hash_table_contains(d->ended, &id) ||
		    !config_follows(&d->config, str(c, "line"), str(c, "department"))) {
			continue;
		}
		struct notify_card card = {
			.name = str(contact, "name"),
			.contact_id = num(contact, "id"),
			.telco_name = str(c, "name"),
			.withheld = str(c, "withheld"),
			.number = str(c, "formatted"),
			.line = str(c, "line"),
			.state = state_of(str(c, "state")),
			.rings = (int)num(c, "rings"),
			.started = iso_ms(str(c, "started")),
			.history_unknown = true,
			.now = g_get_real_time() / 1000,
		};
		popups_show_card(d->popups, (uint64_t)id, &card, id, str(c, "number"));
		int64_t *k = g_new(int64_t, 1);
		*k = id;
		g_hash_table_add(d->ended, k);
	}
}

static void on_event(JsonObject *msg, void *data) {
	struct desk *d = data;
	const char *event = str(msg, "event");
	if (event == NULL) {
		return;
	}
	if (strncmp(event, "call-", 5) == 0) {
		on_call_event(d, event, obj(msg, "call"));
	} else if (strcmp(event, "resync") == 0) {
		/* more happened than the server kept: ask for what was missed */
		char path[160], day[16];
		time_t since = (time_t)(d->down_since > 0 ? d->down_since : time(NULL) - 86400);
		struct tm tm;
		localtime_r(&since, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		snprintf(path, sizeof(path),
			 "api/v1/calls?missed=true&unhandled=true&since=%s&limit=100", day);
		remote_request(d->remote, "GET", path, NULL, on_missed_while_away, d);
	}
}

static void on_state(bool connected, const char *why, void *data) {
	struct desk *d = data;
	if (!connected && d->down_since == 0) {
		d->down_since = (int64_t)time(NULL);
	} else if (connected) {
		d->down_since = 0;
	}
}

static const struct remote_listener remote_listener = {
	.event = on_event,
	.state = on_state,
};

/* What the popup's buttons ask of the server. */
struct ask {
	struct desk *d;
	char what[64];
	int64_t call_id;
};

static void on_answer(int status, JsonNode *body, const char *error, void *data) {
	struct ask *a = data;
	if (status < 200 || status >= 300) {
		log_error("Desk: could not %s: %s", a->what, error != NULL ? error : "no answer");
	} else if (a->call_id > 0 && strcmp(a->what, "mark the call handled") == 0) {
		popups_call_handled(a->d->popups, a->call_id);
	}
	g_free(a);
}

static void ask_server(struct desk *d, const char *what, int64_t call_id, const char *path) {
	struct ask *a = g_new0(struct ask, 1);
	a->d = d;
	a->call_id = call_id;
	g_strlcpy(a->what, what, sizeof(a->what));
	remote_request(d->remote, "POST", path, NULL, on_answer, a);
}

static int mark_handled(int64_t call_id, void *data) {
	char path[64];
	snprintf(path, sizeof(path), "api/v1/calls/%lld/handled", (long long)call_id);
	ask_server(data, "mark the call handled", call_id, path);
	return 0;
}

static int call_back(const char *number, int64_t call_id, void *data) {
	if (call_id <= 0) {
		return -ENOTSUP;
	}
	char path[64];
	snprintf(path, sizeof(path), "api/v1/calls/%lld/callback", (long long)call_id);
	ask_server(data, "call back", call_id, path);
	return 0;
}

static void on_link(int status, JsonNode *body, const char *error, void *data) {
	struct desk *d = data;
	JsonObject *o = body != NULL && JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body)
								     : NULL;
	const char *url = str(o, "url");
	if (status != 200 || url == NULL) {
		log_error("Desk: could not open the server's page: %s",
			  error != NULL ? error : "no link");
		return;
	}
	char *full = g_strconcat(remote_url(d->remote), url[0] == '/' ? url + 1 : url, NULL);
	browser_open(full);
	g_free(full);
}

/* Open card, Add note, Add contact: the server's page, logged in. */
static int open_page(const char *path, void *data) {
	struct desk *d = data;
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "next");
	json_builder_add_string_value(b, path);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *body = json_to_string(root, FALSE);
	remote_request(d->remote, "POST", "api/v1/links", body, on_link, d);
	g_free(body);
	json_node_unref(root);
	g_object_unref(b);
	return 0;
}

static const struct popups_actions popups_actions = {
	.mark_handled = mark_handled,
	.call_back = call_back,
	.open_page = open_page,
};

/* The D-Bus service: the signals of a ctid with modems, and its methods
 * answered by the server through the API (the desk waits for the answer:
 * a few milliseconds on a LAN, REMOTE_WAIT_S at most). */
struct waited {
	int status;
	JsonNode *body; /* a copy, or NULL */
};

static void on_waited(int status, JsonNode *body, const char *error, void *data) {
	struct waited *w = data;
	w->status = status;
	w->body = body != NULL ? json_node_copy(body) : NULL;
	if (status == 0 || status >= 500 || status == 401 || status == 403) {
		log_warn("Desk: the server could not answer a D-Bus method: %s",
			 error != NULL ? error : "no answer");
	}
}

/* Sends the request and waits; 0 with the answer's object in *out (free
 * with json_node_unref; may be NULL), or -errno for the D-Bus caller. */
static int ask_now(struct desk *d, const char *method, const char *path, const char *body,
		   JsonNode **out) {
	struct waited w = {0};
	remote_request_wait(d->remote, method, path, body, on_waited, &w);
	int ret = w.status >= 200 && w.status < 300    ? 0
		  : w.status == 0		       ? -ENOTCONN
		  : w.status == 404		       ? -ENOENT
		  : w.status == 400 || w.status == 422 ? -EINVAL
		  : w.status == 401 || w.status == 403 ? -EACCES
		  : w.status == 409		       ? -EBUSY
		  : w.status == 413		       ? -EMSGSIZE
						       : -EIO;
	if (ret == 0 && out != NULL) {
		*out = w.body;
	} else if (w.body != NULL) {
		json_node_unref(w.body);
	}
	return ret;
}

static JsonObject *as_object(JsonNode *n) {
	return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static int lookup(void *data, const char *number, bus_lookup_fn fn, void *ctx) {
	char *q = g_uri_escape_string(number, NULL, FALSE);
	char *path = g_strconcat("api/v1/lookup?number=", q, NULL);
	JsonNode *n = NULL;
	int ret = ask_now(data, "GET", path, NULL, &n);
	g_free(path);
	g_free(q);
	JsonObject *o = as_object(n);
	if (ret == 0 && o != NULL) {
		JsonObject *c = obj(o, "contact");
		const char *match = str(o, "match");
		struct bus_lookup l = {
			.e164 = str(o, "e164"),
			.formatted = str(o, "formatted"),
			.contact_id = num(c, "id"),
			.contact_name = str(c, "name"),
			.ambiguous = num(o, "ambiguous") != 0,
			.withheld = num(o, "withheld") != 0,
			.match = match != NULL ? match : "",
		};
		fn(&l, ctx);
	}
	if (n != NULL) {
		json_node_unref(n);
	}
	return ret;
}

/* A call of the API (ctidctl calls --json's keys) as the bus shows it. */
static void call_from_api(JsonObject *o, bus_call_fn fn, void *ctx) {
	JsonObject *c = obj(o, "contact");
	struct bus_call b = {
		.id = num(o, "id"),
		.line = str(o, "line"),
		.number = str(o, "number"),
		.name = str(o, "name"),
		.withheld = str(o, "withheld"),
		.e164 = str(o, "e164"),
		.formatted = str(o, "formatted"),
		.contact_id = num(c, "id"),
		.contact_name = str(c, "name"),
		.rings = (int)num(o, "rings"),
		.state = str(o, "state"),
		.started = iso_ms(str(o, "started")) / 1000,
		.ended = iso_ms(str(o, "ended")) / 1000,
		.date = str(o, "date"),
		.handled = num(o, "handled") != 0,
		.department = str(o, "department"),
	};
	fn(&b, ctx);
}

static int get_call(void *data, int64_t id, bus_call_fn fn, void *ctx) {
	if (id <= 0) {
		return -EINVAL;
	}
	char path[64];
	snprintf(path, sizeof(path), "api/v1/calls/%lld", (long long)id);
	JsonNode *n = NULL;
	int ret = ask_now(data, "GET", path, NULL, &n);
	if (ret == 0 && as_object(n) != NULL) {
		call_from_api(as_object(n), fn, ctx);
	}
	if (n != NULL) {
		json_node_unref(n);
	}
	return ret;
}

static int list_calls(void *data, const struct bus_call_filter *f, int limit, bus_call_fn fn,
		      void *ctx) {
	GString *path = g_string_new("api/v1/calls?");
	g_string_append_printf(path, "limit=%d", limit > 0 && limit <= 1000 ? limit : 100);
	if (f->missed) {
		g_string_append(path, "&missed=true");
	}
	if (f->unhandled) {
		g_string_append(path, "&unhandled=true");
	}
	if (f->contact > 0) {
		g_string_append_printf(path, "&contact=%lld", (long long)f->contact);
	}
	if (f->number != NULL && f->number[0] != '\0') {
		char *q = g_uri_escape_string(f->number, NULL, FALSE);
		g_string_append_printf(path, "&number=%s", q);
		g_free(q);
	}
	if (f->since > 0) {
		/* the API takes days (the server's): the day before since in
		 * UTC covers it wherever the server is; the rest is left out here */
		GDateTime *t = g_date_time_new_from_unix_utc(f->since - 86400);
		char *day = t != NULL ? g_date_time_format(t, "%Y-%m-%d") : NULL;
		if (day != NULL) {
			g_string_append_printf(path, "&since=%s", day);
		}
		g_free(day);
		if (t != NULL) {
			g_date_time_unref(t);
		}
	}
	JsonNode *n = NULL;
	int ret = ask_now(data, "GET", path->str, NULL, &n);
	g_string_free(path, TRUE);
	JsonArray *calls = ret == 0 ? arr(as_object(n), "calls") : NULL;
	for (guint i = 0; calls != NULL && i < json_array_get_length(calls); i++) {
		JsonObject *o = json_array_get_object_element(calls, i);
		if (o != NULL && iso_ms(str(o, "started")) / 1000 >= f->since) {
			call_from_api(o, fn, ctx);
		}
	}
	if (n != NULL) {
		json_node_unref(n);
	}
	return ret;
}

static int bus_mark_handled(void *data, int64_t id) {
	if (id <= 0) {
		return -EINVAL;
	}
	char path[64];
	snprintf(path, sizeof(path), "api/v1/calls/%lld/handled", (long long)id);
	return ask_now(data, "POST", path, NULL, NULL);
}

/* The contact text names, as ctidctl reads it: an id, else one match of a
 * search (name, company, number). */
static int resolve_contact(struct desk *d, const char *text, int64_t *id) {
	const char *digits = text[0] == '#' ? text + 1 : text;
	if (digits[0] != '\0' && strspn(digits, "0123456789") == strlen(digits) &&
	    strlen(digits) < 12) {
		*id = g_ascii_strtoll(digits, NULL, 10);
		return *id > 0 ? 0 : -EINVAL;
	}
	char *q = g_uri_escape_string(text, NULL, FALSE);
	char *path = g_strconcat("api/v1/contacts?limit=2&q=", q, NULL);
	JsonNode *n = NULL;
	int ret = ask_now(d, "GET", path, NULL, &n);
	g_free(path);
	g_free(q);
	JsonArray *found = ret == 0 ? arr(as_object(n), "contacts") : NULL;
	guint count = found != NULL ? json_array_get_length(found) : 0;
	if (ret == 0) {
		ret = count == 0 ? -ENOENT : count > 1 ? -ENOTUNIQ : 0;
	}
	if (ret == 0) {
		*id = num(json_array_get_object_element(found, 0), "id");
	}
	if (n != NULL) {
		json_node_unref(n);
	}
	return ret;
}

static char *json_text_body(const char *key, const char *value) {
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, value);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *body = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return body;
}

static int add_note(void *data, const char *contact, const char *text, int64_t *note_id) {
	int64_t id = 0;
	int ret = resolve_contact(data, contact, &id);
	if (ret < 0) {
		return ret;
	}
	char path[64];
	snprintf(path, sizeof(path), "api/v1/contacts/%lld/notes", (long long)id);
	char *body = json_text_body("text", text);
	JsonNode *n = NULL;
	ret = ask_now(data, "POST", path, body, &n);
	g_free(body);
	*note_id = ret == 0 ? num(as_object(n), "id") : 0;
	if (n != NULL) {
		json_node_unref(n);
	}
	return ret;
}

/* CallBack: the server dials on the call's line (or says it cannot). */
static int bus_call_back(void *data, int64_t id, char number[64]) {
	if (id <= 0) {
		return -EINVAL;
	}
	char path[64];
	snprintf(path, sizeof(path), "api/v1/calls/%lld/callback", (long long)id);
	JsonNode *n = NULL;
	int ret = ask_now(data, "POST", path, NULL, &n);
	JsonObject *o = as_object(n);
	if (ret == 0) {
		const char *dialled = str(obj(o, "call"), "number");
		snprintf(number, 64, "%s", dialled != NULL ? dialled : "");
		ret = num(o, "dialled") ? 0 : -ENOTSUP;
	}
	if (n != NULL) {
		json_node_unref(n);
	}
	/* 409: the caller withheld their number */
	return ret == -EBUSY ? -ENODATA : ret;
}

static int dial(void *data, const char *number) {
	char *body = json_text_body("number", number);
	int ret = ask_now(data, "POST", "api/v1/dial", body, NULL);
	g_free(body);
	/* 409: no line of the server can dial, or it is busy */
	return ret == -EBUSY ? -ENOTSUP : ret;
}

static void list_modems(void *data, bus_modem_fn fn, void *ctx) {}

static void database(void *data, struct bus_database *out) {
	*out = (struct bus_database){.path = "",
				     .writable = false,
				     .error = "a desk: the "
					      "server keeps the log"};
}

static void settings(void *data, bus_setting_fn fn, void *ctx) {
	struct desk *d = data;
	config_foreach(&d->config, fn, ctx);
}

static void server(void *data, struct bus_server *out) {
	struct desk *d = data;
	*out = (struct bus_server){
		.url = remote_url(d->remote),
		.connected = remote_connected(d->remote),
		.since = remote_since(d->remote),
		.error = remote_error(d->remote),
		.user = d->user != NULL ? d->user : "",
	};
}

static const struct bus_handler bus_handler = {
	.lookup = lookup,
	.get_call = get_call,
	.list_calls = list_calls,
	.mark_handled = bus_mark_handled,
	.add_note = add_note,
	.dial = dial,
	.call_back = bus_call_back,
	.list_modems = list_modems,
	.database = database,
	.settings = settings,
	.server = server,
};

/* The token file: {"url", "user", "token", "fingerprint"} (ctidctl desk
 * join). Returns the parser holding it, or NULL after logging why. */
static JsonParser *read_token_file(const char *path, JsonObject **out) {
	JsonParser *parser = json_parser_new();
	GError *err = NULL;
	if (!json_parser_load_from_file(parser, path, &err) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		log_error("Desk: cannot read %s: %s (run ctidctl desk join URL first)", path,
			  err != NULL ? err->message : "not a JSON object");
		g_clear_error(&err);
		g_object_unref(parser);
		return NULL;
	}
	*out = json_node_get_object(json_parser_get_root(parser));
	return parser;
}

static gboolean on_quit_signal(gpointer data) {
	struct desk *d = data;
	log_info("Quitting");
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

int desk_run(struct config *config, FILE *print) {
	struct desk *d = g_new0(struct desk, 1);
	d->config = *config;
	config_init(config);
	d->loop = g_main_loop_new(NULL, FALSE);
	d->ended = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	int status = 1;
	char *token_path = d->config.token_file != NULL ? g_strdup(d->config.token_file)
							: config_default_token_file();
	JsonObject *t = NULL;
	JsonParser *parser = token_path != NULL ? read_token_file(token_path, &t) : NULL;
	if (parser == NULL) {
		goto out;
	}
	const char *joined = str(t, "url");
	if (joined != NULL && strcmp(joined, d->config.connect) != 0) {
		log_error("Desk: %s holds the token of %s, not of %s (run ctidctl desk join %s)",
			  token_path, joined, d->config.connect, d->config.connect);
		goto out;
	}
	d->user = g_strdup(str(t, "user"));
	struct popups_options po = {
		.notify = d->config.notify,
		.print = print,
		.database = "",
		.config = &d->config,
	};
	d->popups = popups_create(&po, &popups_actions, d);
	if (d->popups == NULL) {
		log_warn("Screen-pops are off: %s", strerror(errno));
	}
	if (d->config.bus != CONFIG_BUS_NONE) {
		d->bus = bus_create(d->config.bus == CONFIG_BUS_SYSTEM ? BUS_SYSTEM : BUS_SESSION,
				    &bus_handler, d);
		if (d->bus == NULL) {
			goto out;
		}
	}
	struct remote_options ro = {
		.url = d->config.connect,
		.token = str(t, "token"),
		.fingerprint = str(t, "fingerprint"),
	};
	d->remote = remote_create(&ro, &remote_listener, d);
	if (d->remote == NULL) {
		goto out;
	}
	log_notice("A desk of %s, as %s%s", d->config.connect, d->user != NULL ? d->user : "?",
		   d->config.n_lines > 0 ? ", for some lines only" : "");
	g_unix_signal_add(SIGINT, on_quit_signal, d);
	g_unix_signal_add(SIGTERM, on_quit_signal, d);
	g_main_loop_run(d->loop);
	status = 0;
out:
	remote_destroy(d->remote);
	bus_destroy(d->bus);
	popups_destroy(d->popups);
	if (parser != NULL) {
		g_object_unref(parser);
	}
	g_free(token_path);
	g_free(d->user);
	g_hash_table_destroy(d->ended);
	g_main_loop_unref(d->loop);
	config_finish(&d->config);
	g_free(d);
	return status;
}
