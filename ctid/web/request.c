/* Reading a request's parameters and JSON body, with a clear answer for
 * each thing that is wrong, and writing the answer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "web_private.h"
#include "when.h"

struct json_writer *web_json(struct web_request *r) {
	if (r->f == NULL) {
		r->f = open_memstream(&r->out, &r->out_len);
		json_init(&r->w, r->f);
	}
	return &r->w;
}

void web_reply_bytes(struct web_request *r, int status, const char *type, char *data, size_t len) {
	soup_server_message_set_status(r->msg, (guint)status, NULL);
	soup_server_message_set_response(r->msg, type, SOUP_MEMORY_TAKE, data, len);
}

void web_reply(struct web_request *r, int status) {
	if (status == 204 || r->f == NULL) {
		if (r->f != NULL) {
			fclose(r->f);
			r->f = NULL;
			free(r->out);
			r->out = NULL;
		}
		soup_server_message_set_status(r->msg, (guint)status, NULL);
		/* libsoup 3.2 drops the connection after a 204 (it takes a reply
		 * without Content-Length for one that ends at EOF); say so, or a
		 * client reusing the connection has its next request reset. */
		if (status == 204) {
			soup_message_headers_replace(soup_server_message_get_response_headers(r->msg),
						     "Connection", "close");
		}
		return;
	}
	fclose(r->f);
	r->f = NULL;
	/* the stream's buffer is malloc'd; hand soup a copy it may g_free */
	char *copy = g_memdup2(r->out, r->out_len);
	size_t len = r->out_len;
	free(r->out);
	r->out = NULL;
	web_reply_bytes(r, status, "application/json", copy, len);
}

void web_send_error(SoupServerMessage *msg, int status, const char *message) {
	GString *s = g_string_new("{\"error\":");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f != NULL) {
		json_write_string(f, message);
		fclose(f);
		g_string_append_len(s, buf, (gssize)len);
		free(buf);
	}
	g_string_append(s, "}");
	soup_server_message_set_status(msg, (guint)status, NULL);
	gsize n = s->len;
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE,
					 g_string_free(s, FALSE), n);
}

void web_error(struct web_request *r, int status, const char *fmt, ...) {
	char message[512];
	va_list args;
	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);
	if (r->f != NULL) {
		fclose(r->f);
		r->f = NULL;
		free(r->out);
		r->out = NULL;
	}
	if (status == 401 || status == 403 || status == 429) {
		log_warn("Web: refused %s %s from %s%s%s: %s", r->method, r->path,
			 soup_server_message_get_remote_host(r->msg), r->user.name[0] ? " as " : "",
			 r->user.name, message);
	}
	web_send_error(r->msg, status, message);
}

void web_db_error(struct web_request *r, int err, const char *doing) {
	switch (err) {
	case -ENOENT:
		web_error(r, 404, "There is no such %s.", doing);
		break;
	case -EBUSY:
	case -EAGAIN:
		web_error(r, 503, "The database is busy; try again in a moment.");
		break;
	case -EROFS:
	case -EACCES:
	case -EPERM:
		web_error(r, 503, "The database cannot be written right now (%s).", strerror(-err));
		break;
	default:
		log_error("Web: %s: %s", doing, strerror(-err));
		web_error(r, 500, "Could not read or write the %s: %s.", doing, strerror(-err));
	}
}

bool web_text_refused(struct web_request *r, int err, const char *what) {
	if (err == -EMSGSIZE) {
		web_error(r, 413, "The %s is longer than ctid keeps; nothing was saved.", what);
		return true;
	}
	if (err == -EILSEQ) {
		web_error(r, 422,
			  "The %s holds a control character or is not UTF-8; nothing was saved.",
			  what);
		return true;
	}
	return false;
}

const char *web_query(struct web_request *r, const char *name) {
	return r->query != NULL ? g_hash_table_lookup(r->query, name) : NULL;
}

bool web_parse_int(const char *s, int64_t min, int64_t max, int64_t *out) {
	const char *digits = s[0] == '-' && min < 0 ? s + 1 : s;
	if (digits[0] < '0' || digits[0] > '9') {
		return false; /* (strtoll would take a blank, a '+' or a '-') */
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		return false;
	}
	*out = v;
	return true;
}

bool web_query_int(struct web_request *r, const char *name, long min, long max, long def, long *out) {
	const char *v = web_query(r, name);
	if (v == NULL || v[0] == '\0') {
		*out = def;
		return true;
	}
	int64_t n;
	if (!web_parse_int(v, min, max, &n)) {
		web_error(r, 400, "%s must be a whole number from %ld to %ld.", name, min, max);
		return false;
	}
	*out = (long)n;
	return true;
}

bool web_query_bool(struct web_request *r, const char *name, bool def, bool *out) {
	const char *v = web_query(r, name);
	if (v == NULL || v[0] == '\0') {
		*out = def;
	} else if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes")) {
		*out = true;
	} else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")) {
		*out = false;
	} else {
		web_error(r, 400, "%s must be true or false.", name);
		return false;
	}
	return true;
}

bool web_query_since(struct web_request *r, const char *name, bool until, int64_t *out) {
	const char *v = web_query(r, name);
	*out = 0;
	if (v == NULL || v[0] == '\0') {
		return true;
	}
	if (!(until ? when_parse_until(v, out) : when_parse_since(v, out))) {
		web_error(r, 400,
			  "%s must be YYYY-MM-DD (from 1970), today, yesterday or a number of days "
			  "ago such as 7d.",
			  name);
		return false;
	}
	return true;
}

JsonObject *web_body_object(struct web_request *r) {
	if (r->body == NULL || !JSON_NODE_HOLDS_OBJECT(r->body)) {
		web_error(r, 400, "Send a JSON object as the body (Content-Type: application/json).");
		return NULL;
	}
	return json_node_get_object(r->body);
}

bool web_member_string(struct web_request *r, JsonObject *o, const char *name, size_t max,
		       bool lines, const char **out) {
	*out = NULL;
	JsonNode *n = json_object_get_member(o, name);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n)) {
		return true;
	}
	if (json_node_get_value_type(n) != G_TYPE_STRING) {
		web_error(r, 422, "%s must be a string.", name);
		return false;
	}
	const char *s = json_node_get_string(n);
	int bad = db_check_text(s, max, lines);
	if (bad == -EMSGSIZE) {
		web_error(r, 413, "%s is %zu bytes long; ctid keeps up to %zu (nothing was saved).",
			  name, strlen(s), max);
		return false;
	}
	if (bad < 0) {
		web_error(r, 422,
			  "%s holds a control character or is not UTF-8; ctid keeps plain text%s "
			  "(nothing was saved).",
			  name, lines ? "" : " on one line");
		return false;
	}
	*out = s;
	return true;
}

bool web_member_int(struct web_request *r, JsonObject *o, const char *name, int64_t min,
		    int64_t max, int64_t def, int64_t *out) {
	*out = def;
	JsonNode *n = json_object_get_member(o, name);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n)) {
		return true;
	}
	if (json_node_get_value_type(n) != G_TYPE_INT64) {
		web_error(r, 422, "%s must be a whole number.", name);
		return false;
	}
	int64_t v = json_node_get_int(n);
	if (v < min || v > max) {
		web_error(r, 422, "%s must be from %lld to %lld.", name, (long long)min,
			  (long long)max);
		return false;
	}
	*out = v;
	return true;
}

bool web_member_bool(struct web_request *r, JsonObject *o, const char *name, bool def, bool *out) {
	*out = def;
	JsonNode *n = json_object_get_member(o, name);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n)) {
		return true;
	}
	if (json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
		web_error(r, 422, "%s must be true or false.", name);
		return false;
	}
	*out = json_node_get_boolean(n);
	return true;
}
