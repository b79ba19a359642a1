/*
 * ctidctl on a desk: the call log, the call-back list and notes of the
 * server the desk joined, through its HTTP API. The API speaks the same JSON
 * as 'ctidctl --json' (ctid/jsonout.c writes both), so each record is read
 * back into the database's own structs and printed by the same code as a
 * local one: the output and the exit codes do not depend on where the
 * database is.
 */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "ctl.h"

struct ctl_server {
	SoupSession *session;
	char *url;   /* ends with a '/' */
	char *token; /* an API token (ctidctl desk join, or user token) */
	char *pin;   /* the pinned fingerprint of a certificate the system does not trust */
};

/* The token file ctidctl desk join wrote: {"url", "user", "token", "fingerprint"}. */
static JsonParser *read_desk_file(const char *path, JsonObject **out, GError **err) {
	JsonParser *p = json_parser_new();
	if (!json_parser_load_from_file(p, path, err)) {
		g_object_unref(p);
		return NULL;
	}
	if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON object");
		g_object_unref(p);
		return NULL;
	}
	*out = json_node_get_object(json_parser_get_root(p));
	return p;
}

const char *ctl_json_text(JsonObject *o, const char *key) {
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
	return n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		       ? json_node_get_string(n)
		       : NULL;
}

bool ctl_remote(struct ctl *ctl) {
	if (ctl->server != NULL) {
		return strcmp(ctl->server, "none") != 0;
	}
	if (ctl->database != NULL) {
		return false;
	}
	/* a desk that joined a server and has no database of its own */
	char *path = config_default_token_file();
	bool joined = path != NULL && g_file_test(path, G_FILE_TEST_IS_REGULAR);
	g_free(path);
	return joined;
}

static gboolean on_accept(SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors,
			  gpointer data) {
	struct ctl_server *s = data;
	char fp[128];
	auth_cert_fingerprint(cert, fp, sizeof(fp));
	if (s->pin != NULL && g_ascii_strcasecmp(s->pin, fp) == 0) {
		return TRUE;
	}
	fprintf(stderr,
		"ctidctl: %s has a certificate this system does not trust (fingerprint %s)%s\n",
		s->url, fp,
		s->pin != NULL ? ", not the one pinned when the desk joined: if the server's "
				 "certificate really changed, run 'ctidctl desk join' again"
			       : "; run 'ctidctl desk join URL' to see and pin it");
	return FALSE;
}

/* Opens the server on first use; NULL after saying why. */
static struct ctl_server *server(struct ctl *ctl) {
	if (ctl->remote != NULL) {
		return ctl->remote;
	}
	char *path = config_default_token_file();
	JsonObject *o = NULL;
	GError *err = NULL;
	JsonParser *p = path != NULL ? read_desk_file(path, &o, &err) : NULL;
	const char *url = ctl->server != NULL ? ctl->server : ctl_json_text(o, "url");
	const char *joined = ctl_json_text(o, "url");
	if (p == NULL || ctl_json_text(o, "token") == NULL) {
		ctl_fail("no token for %s: run 'ctidctl desk join %s' first (%s: %s)",
			 url != NULL ? url : "the server", url != NULL ? url : "URL",
			 path != NULL ? path : "no HOME",
			 err != NULL ? err->message : "it holds no token");
	} else if (url != NULL && joined != NULL && strcmp(url, joined) != 0) {
		ctl_fail("this desk joined %s, not %s: run 'ctidctl desk join %s' first", joined,
			 url, url);
	} else {
		struct ctl_server *s = g_new0(struct ctl_server, 1);
		s->url = g_str_has_suffix(url, "/") ? g_strdup(url) : g_strconcat(url, "/", NULL);
		s->token = g_strdup(ctl_json_text(o, "token"));
		const char *pin = ctl_json_text(o, "fingerprint");
		s->pin = pin != NULL && pin[0] != '\0' ? g_strdup(pin) : NULL;
		s->session = soup_session_new_with_options("timeout", 30, "user-agent",
							   "ctidctl/" CTID_VERSION, NULL);
		ctl->remote = s;
	}
	g_clear_error(&err);
	if (p != NULL) {
		g_object_unref(p);
	}
	g_free(path);
	return ctl->remote;
}

void ctl_server_close(struct ctl *ctl) {
	struct ctl_server *s = ctl->remote;
	if (s == NULL) {
		return;
	}
	g_object_unref(s->session);
	g_free(s->url);
	g_free(s->token);
	g_free(s->pin);
	g_free(s);
	ctl->remote = NULL;
}

/*
 * Sends METHOD api/v1/PATH (with body, JSON, when not NULL). Returns the
 * parser holding the answer's JSON, or NULL with *status: -ENOENT for a 404
 * (not said: the caller names what is missing), -ECANCELED after saying why
 * (no answer, refused, an error of the server).
 */
static JsonParser *request_raw(struct ctl *ctl, const char *method, const char *path,
			       const char *body, int *status, GBytes **raw) {
	*status = -ECANCELED;
	struct ctl_server *s = server(ctl);
	if (s == NULL) {
		return NULL;
	}
	char *url = g_strconcat(s->url, "api/v1/", path, NULL);
	SoupMessage *msg = soup_message_new(method, url);
	if (msg == NULL) {
		ctl_fail("%s is not a URL", s->url);
		g_free(url);
		return NULL;
	}
	g_signal_connect(msg, "accept-certificate", G_CALLBACK(on_accept), s);
	SoupMessageHeaders *h = soup_message_get_request_headers(msg);
	char *auth = g_strconcat("Bearer ", s->token, NULL);
	soup_message_headers_replace(h, "Authorization", auth);
	g_free(auth);
	if (body != NULL) {
		GBytes *b = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, "application/json", b);
		g_bytes_unref(b);
	}
	GError *err = NULL;
	GBytes *bytes = soup_session_send_and_read(s->session, msg, NULL, &err);
	guint code = soup_message_get_status(msg);
	JsonParser *p = json_parser_new();
	bool parsed = bytes != NULL &&
		      json_parser_load_from_data(p, g_bytes_get_data(bytes, NULL),
						 (gssize)g_bytes_get_size(bytes), NULL);
	JsonNode *root = parsed ? json_parser_get_root(p) : NULL;
	const char *why = root != NULL && JSON_NODE_HOLDS_OBJECT(root)
				  ? ctl_json_text(json_node_get_object(root), "error")
				  : NULL;
	if (bytes == NULL) {
		ctl_fail("no answer from %s: %s", s->url, err != NULL ? err->message : "?");
	} else if (code == 404) {
		*status = -ENOENT;
	} else if (code == 401) {
		ctl_fail("%s refused this desk's token (revoked?): run 'ctidctl desk join %s' again",
			 s->url, s->url);
	} else if (code < 200 || code >= 300) {
		ctl_fail("%s answered %u: %s", s->url, code,
			 why != NULL ? why : soup_status_get_phrase(code));
	} else if (root == NULL) {
		ctl_fail("%s answered something that is not JSON", s->url);
	} else {
		*status = 0;
	}
	g_clear_error(&err);
	if (raw != NULL && *status == 0) {
		*raw = bytes;
	} else if (bytes != NULL) {
		g_bytes_unref(bytes);
	}
	g_object_unref(msg);
	g_free(url);
	if (*status < 0) {
		g_object_unref(p);
		return NULL;
	}
	return p;
}

static JsonParser *request(struct ctl *ctl, const char *method, const char *path, const char *body,
			   int *status) {
	return request_raw(ctl, method, path, body, status, NULL);
}

int64_t ctl_json_int(JsonObject *o, const char *key) {
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
	return n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
		       ? json_node_get_int(n)
		       : 0;
}

bool ctl_json_bool(JsonObject *o, const char *key) {
	JsonNode *n = o != NULL ? json_object_get_member(o, key) : NULL;
	return n != NULL && JSON_NODE_HOLDS_VALUE(n) &&
	       json_node_get_value_type(n) == G_TYPE_BOOLEAN && json_node_get_boolean(n);
}

int64_t ctl_json_time(JsonObject *o, const char *key) {
	const char *t = ctl_json_text(o, key);
	GDateTime *dt = t != NULL ? g_date_time_new_from_iso8601(t, NULL) : NULL;
	int64_t out = dt != NULL ? g_date_time_to_unix(dt) : 0;
	if (dt != NULL) {
		g_date_time_unref(dt);
	}
	return out;
}

/* {"id", "name"} or null. */
static void contact_member(JsonObject *o, int64_t *id, const char **name) {
	JsonNode *n = json_object_get_member(o, "contact");
	JsonObject *c = n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
	*id = c != NULL ? ctl_json_int(c, "id") : 0;
	*name = c != NULL ? ctl_json_text(c, "name") : NULL;
}

static int call_from_json(JsonObject *o, db_call_fn fn, void *data) {
	struct db_call c = {
		.id = ctl_json_int(o, "id"),
		.started = ctl_json_time(o, "started"),
		.ended = ctl_json_time(o, "ended"),
		.line = ctl_json_text(o, "line"),
		.number = ctl_json_text(o, "number"),
		.name = ctl_json_text(o, "name"),
		.withheld = ctl_json_text(o, "withheld"),
		.e164 = ctl_json_text(o, "e164"),
		.date = ctl_json_text(o, "date"),
		.rings = (int)ctl_json_int(o, "rings"),
		.handled = ctl_json_bool(o, "handled") ? 1 : 0,
		.called_back = ctl_json_time(o, "called_back"),
		.handled_by = ctl_json_text(o, "handled_by"),
		.answered_by = ctl_json_text(o, "answered_by"),
		.department = ctl_json_text(o, "department"),
	};
	const char *direction = ctl_json_text(o, "direction");
	c.outgoing = direction != NULL && strcmp(direction, "out") == 0;
	const char *state = ctl_json_text(o, "state");
	if (state == NULL || db_call_state_parse(state, &c.state) < 0) {
		c.state = DB_CALL_UNKNOWN;
	}
	contact_member(o, &c.contact_id, &c.contact_name);
	if (c.line == NULL) {
		c.line = "";
	}
	return fn(&c, data);
}

/* What to call with each record. */
struct visit {
	db_call_fn call;
	db_missed_fn missed;
	void *data;
};

/* Calls one with each object of the array root[key]. */
static int each(JsonParser *p, const char *key, int (*one)(JsonObject *, struct visit *),
		struct visit *v, int *count) {
	JsonNode *root = json_parser_get_root(p);
	JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
	JsonNode *a = o != NULL ? json_object_get_member(o, key) : NULL;
	if (a == NULL || !JSON_NODE_HOLDS_ARRAY(a)) {
		ctl_fail("the server's answer has no \"%s\" list", key);
		return -ECANCELED;
	}
	JsonArray *arr = json_node_get_array(a);
	int ret = 0;
	*count = (int)json_array_get_length(arr);
	for (guint i = 0; ret == 0 && i < json_array_get_length(arr); i++) {
		JsonNode *n = json_array_get_element(arr, i);
		if (JSON_NODE_HOLDS_OBJECT(n)) {
			ret = one(json_node_get_object(n), v);
		}
	}
	return ret;
}

static int one_call(JsonObject *o, struct visit *v) {
	return call_from_json(o, v->call, v->data);
}

int ctl_server_calls(struct ctl *ctl, const struct ctl_calls_query *q, db_call_fn fn, void *data) {
	/* the API gives at most 1,000 calls a request */
	enum { API_MAX = 1000 };
	GString *path = g_string_new("calls?");
	g_string_append_printf(path, "limit=%d",
			       q->limit > 0 && q->limit < API_MAX ? q->limit : API_MAX);
	if (q->missed) {
		g_string_append(path, "&missed=true");
	}
	if (q->unhandled) {
		g_string_append(path, "&unhandled=true");
	}
	if (q->contact_id > 0) {
		g_string_append_printf(path, "&contact=%lld", (long long)q->contact_id);
	}
	const char *const text[][2] = {{"since", q->since},
				       {"until", q->until},
				       {"state", q->states},
				       {"number", q->number}};
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		if (text[i][1] != NULL && text[i][1][0] != '\0') {
			char *v = g_uri_escape_string(text[i][1], NULL, FALSE);
			g_string_append_printf(path, "&%s=%s", text[i][0], v);
			g_free(v);
		}
	}
	int ret;
	JsonParser *p = request(ctl, "GET", path->str, NULL, &ret);
	g_string_free(path, TRUE);
	if (p == NULL) {
		return ret == -ENOENT ? -ECANCELED : ret;
	}
	int count = 0;
	struct visit v = {.call = fn, .data = data};
	ret = each(p, "calls", one_call, &v, &count);
	if (ret == 0 && count >= API_MAX && (q->limit == 0 || q->limit > API_MAX)) {
		fprintf(stderr,
			"ctidctl: the server gives %d calls a request: these are the newest %d; "
			"narrow with --since/--until for the others\n",
			API_MAX, API_MAX);
	}
	g_object_unref(p);
	return ret;
}

static int one_missed(JsonObject *o, struct visit *v) {
	struct db_missed m = {
		.number = ctl_json_text(o, "number"),
		.e164 = ctl_json_text(o, "e164"),
		.withheld = ctl_json_bool(o, "withheld"),
		.calls = (int)ctl_json_int(o, "calls"),
		.missed = (int)ctl_json_int(o, "missed"),
		.unknown = (int)ctl_json_int(o, "unknown"),
		.first = ctl_json_time(o, "first"),
		.last = ctl_json_time(o, "last"),
		.called_back = ctl_json_time(o, "called_back"),
	};
	contact_member(o, &m.contact_id, &m.contact_name);
	JsonNode *n = json_object_get_member(o, "call_ids");
	JsonArray *a = n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
	int64_t *ids = g_new0(int64_t, a != NULL ? json_array_get_length(a) + 1 : 1);
	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++) {
		ids[m.n_call_ids++] = json_array_get_int_element(a, i);
	}
	m.call_ids = ids;
	int ret = v->missed(&m, v->data);
	g_free(ids);
	return ret;
}

int ctl_server_missed(struct ctl *ctl, bool unknown, const char *since, db_missed_fn fn, void *data) {
	char *path = g_strdup_printf("missed?unknown=%s", unknown ? "true" : "false");
	if (since != NULL) {
		char *v = g_uri_escape_string(since, NULL, FALSE);
		char *more = g_strconcat(path, "&since=", v, NULL);
		g_free(v);
		g_free(path);
		path = more;
	}
	int ret;
	JsonParser *p = request(ctl, "GET", path, NULL, &ret);
	g_free(path);
	if (p == NULL) {
		return ret == -ENOENT ? -ECANCELED : ret;
	}
	int count = 0;
	struct visit v = {.missed = fn, .data = data};
	ret = each(p, "callers", one_missed, &v, &count);
	g_object_unref(p);
	return ret;
}

int ctl_server_handle(struct ctl *ctl, int64_t id) {
	char path[64];
	snprintf(path, sizeof(path), "calls/%lld/handled", (long long)id);
	int ret;
	JsonParser *p = request(ctl, "POST", path, NULL, &ret);
	if (p != NULL) {
		g_object_unref(p);
	}
	return ret;
}

int ctl_server_note_add(struct ctl *ctl, int64_t contact, const char *kind, const char *text,
			int64_t *id) {
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, text);
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, kind);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *body = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	char path[64];
	snprintf(path, sizeof(path), "contacts/%lld/notes", (long long)contact);
	int ret;
	JsonParser *p = request(ctl, "POST", path, body, &ret);
	g_free(body);
	if (p != NULL) {
		JsonNode *r = json_parser_get_root(p);
		*id = JSON_NODE_HOLDS_OBJECT(r) ? ctl_json_int(json_node_get_object(r), "id") : 0;
		g_object_unref(p);
	}
	return ret;
}

static int print_candidate(JsonObject *o, struct visit *v) {
	const char *company = ctl_json_text(o, "company");
	fprintf(stderr, "  #%lld  %s%s%s\n", (long long)ctl_json_int(o, "id"),
		ctl_json_text(o, "name") != NULL ? ctl_json_text(o, "name") : "",
		company ? ", " : "", company ? company : "");
	return 0;
}

int ctl_server_contact_resolve(struct ctl *ctl, const char *text, int64_t *id) {
	int ret;
	JsonParser *p;
	if (ctl_parse_id(text, id)) {
		char path[48];
		snprintf(path, sizeof(path), "contacts/%lld", (long long)*id);
		if ((p = request(ctl, "GET", path, NULL, &ret)) != NULL) {
			g_object_unref(p);
			return CTL_OK;
		}
		return ret == -ENOENT ? ctl_fail("no contact matches '%s'", text) : CTL_ERROR;
	}
	char *q = g_uri_escape_string(text, NULL, FALSE);
	char *path = g_strconcat("contacts?limit=20&q=", q, NULL);
	p = request(ctl, "GET", path, NULL, &ret);
	g_free(path);
	g_free(q);
	if (p == NULL) {
		return CTL_ERROR;
	}
	JsonNode *root = json_parser_get_root(p);
	JsonNode *list = JSON_NODE_HOLDS_OBJECT(root)
				 ? json_object_get_member(json_node_get_object(root), "contacts")
				 : NULL;
	JsonArray *a = list != NULL && JSON_NODE_HOLDS_ARRAY(list) ? json_node_get_array(list) : NULL;
	guint n = a != NULL ? json_array_get_length(a) : 0;
	int status = CTL_OK;
	if (n == 0) {
		status = ctl_fail("no contact matches '%s'", text);
	} else if (n == 1) {
		*id = ctl_json_int(json_array_get_object_element(a, 0), "id");
	} else {
		status = ctl_fail("'%s' matches several contacts; use the id:", text);
		int count;
		struct visit v = {0};
		each(p, "contacts", print_candidate, &v, &count);
	}
	g_object_unref(p);
	return status;
}

char *ctl_server_link(struct ctl *ctl, const char *path) {
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	if (path != NULL) {
		json_builder_set_member_name(b, "next");
		json_builder_add_string_value(b, path);
	}
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *body = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	int ret;
	JsonParser *p = request(ctl, "POST", "links", body, &ret);
	g_free(body);
	if (p == NULL) {
		if (ret == -ENOENT) {
			ctl_fail("%s has no login links (an older ctid?)", ctl->remote->url);
		}
		return NULL;
	}
	JsonNode *r = json_parser_get_root(p);
	const char *url = JSON_NODE_HOLDS_OBJECT(r) ? ctl_json_text(json_node_get_object(r), "url")
						    : NULL;
	char *out = url != NULL ? g_strconcat(ctl->remote->url, url[0] == '/' ? url + 1 : url, NULL)
				: NULL;
	if (out == NULL) {
		ctl_fail("the server's answer has no link");
	}
	g_object_unref(p);
	return out;
}

int ctl_server_card(struct ctl *ctl, int64_t id, char **json, size_t *len) {
	char path[48];
	snprintf(path, sizeof(path), "contacts/%lld", (long long)id);
	int ret;
	GBytes *raw = NULL;
	JsonParser *p = request_raw(ctl, "GET", path, NULL, &ret, &raw);
	if (p == NULL) {
		return ret;
	}
	g_object_unref(p);
	gsize n = 0;
	const char *data = g_bytes_get_data(raw, &n);
	*json = malloc(n + 1);
	if (*json != NULL) {
		memcpy(*json, data, n);
		(*json)[n] = '\0';
		*len = n;
	}
	g_bytes_unref(raw);
	return *json != NULL ? 0 : -ENOMEM;
}
