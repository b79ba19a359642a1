/* /api/v1/calls, /missed, /requests: the call log and the lists to call
 * from. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonout.h"
#include "log.h"
#include "output.h"
#include "phone.h"
#include "requests.h"
#include "web_private.h"

static int write_call(const struct db_call *c, void *data) {
	struct web_request *r = data;
	jsonout_call(web_json(r), c, web_region(r));
	return 0;
}

/* lines=shop,service: the calls of those lines or departments only. */
static const char *lines_param(struct web_request *r) {
	const char *v = web_query(r, "lines");
	return v != NULL && v[0] != '\0' && strcmp(v, "all") != 0 ? v : NULL;
}

/* state=missed,unknown: a bit per state; false (answered) when one is bad. */
static bool states_param(struct web_request *r, int *states) {
	const char *v = web_query(r, "state");
	*states = 0;
	if (v == NULL || v[0] == '\0') {
		return true;
	}
	gchar **parts = g_strsplit(v, ",", 8);
	bool ok = true;
	for (gchar **p = parts; ok && *p != NULL; p++) {
		enum db_call_state state;
		ok = db_call_state_parse(*p, &state) == 0;
		*states |= ok ? 1 << state : 0;
	}
	g_strfreev(parts);
	if (!ok) {
		web_error(r, 400, "state is a list of answered, missed, unknown and ringing.");
	}
	return ok;
}

void web_api_calls(struct web_request *r) {
	struct db_call_filter f = {0};
	long limit, contact;
	if (!web_query_bool(r, "missed", false, &f.missed) ||
	    !web_query_bool(r, "unhandled", false, &f.unhandled) ||
	    !web_query_since(r, "since", false, &f.since) ||
	    !web_query_since(r, "until", true, &f.until) ||
	    !web_query_int(r, "contact", 1, INT32_MAX, 0, &contact) ||
	    !web_query_int(r, "limit", 1, 1000, 100, &limit) || !states_param(r, &f.states)) {
		return;
	}
	const char *number = web_query(r, "number");
	struct phone_number pn;
	if (number != NULL && number[0] != '\0') {
		/* calls carry E.164 when the region gave one; else as sent */
		if (phone_normalize(number, web_region(r), &pn) < 0 || pn.withheld) {
			web_error(r, 400, "number is not a phone number.");
			return;
		}
		f.number = pn.e164[0] != '\0' ? pn.e164 : number;
	}
	f.contact_id = contact;
	f.limit = (int)limit;
	f.lines = lines_param(r);
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "calls");
	json_array_begin(w);
	int ret = db_call_foreach(r->db, &f, write_call, r);
	if (ret < 0) {
		web_db_error(r, ret, "call log");
		return;
	}
	json_array_end(w);
	json_object_end(w);
}

static int write_missed(const struct db_missed *m, void *data) {
	struct web_request *r = data;
	jsonout_missed(web_json(r), m, web_region(r));
	return 0;
}

void web_api_missed(struct web_request *r) {
	struct db_missed_filter f = {.lines = lines_param(r)};
	if (!web_query_bool(r, "unknown", true, &f.unknown) ||
	    !web_query_since(r, "since", false, &f.since)) {
		return;
	}
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "callers");
	json_array_begin(w);
	int ret = db_missed_foreach(r->db, &f, write_missed, r);
	if (ret < 0) {
		web_db_error(r, ret, "call log");
		return;
	}
	json_array_end(w);
	json_object_end(w);
}

struct one_call {
	char number[DB_NUMBER_MAX + 1];
	bool found;
};

static int take_number(const struct db_call *c, void *data) {
	struct one_call *o = data;
	o->found = true;
	snprintf(o->number, sizeof(o->number), "%s",
		 c->withheld == NULL && c->number != NULL ? c->number : "");
	return 0;
}

void web_api_call_get(struct web_request *r) {
	int ret = db_call_get(r->db, r->id, write_call, r);
	if (ret < 0) {
		web_db_error(r, ret, "call");
	}
}

void web_api_dial(struct web_request *r) {
	JsonObject *o = web_body_object(r);
	const char *number = NULL;
	if (o == NULL || !web_member_string(r, o, "number", DB_NUMBER_MAX, false, &number)) {
		return;
	}
	char digits[OUTPUT_DIAL_MAX];
	if (number == NULL || !output_dial_digits(number, digits)) {
		web_error(r, 400,
			  "number must be a phone number: digits, +, * and # (spaces, dots, "
			  "dashes and brackets are dropped).");
		return;
	}
	int ret = r->web->hooks.dial(digits, r->web->data);
	switch (ret) {
	case 0:
		log_info("Web: %s dials %s", r->user.name, digits);
		break;
	case -ENOTSUP:
		web_error(r, 409, "No line of the server can dial; dial %s yourself.", digits);
		return;
	case -EBUSY:
	case -EAGAIN:
		web_error(r, 409, "The line is busy or not ready; try again in a moment.");
		return;
	default:
		web_error(r, 500, "Could not dial: %s.", strerror(-ret));
		return;
	}
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "dialled");
	json_string(w, digits);
	json_object_end(w);
}

void web_api_call_handled(struct web_request *r) {
	int ret = r->web->hooks.mark_handled(r->id, r->web->data);
	if (ret < 0) {
		web_db_error(r, ret, "call");
		return;
	}
	db_call_get(r->db, r->id, write_call, r);
}

void web_api_call_callback(struct web_request *r) {
	struct one_call c = {0};
	int ret = db_call_get(r->db, r->id, take_number, &c);
	if (ret < 0) {
		web_db_error(r, ret, "call");
		return;
	}
	if (c.number[0] == '\0') {
		web_error(r, 409, "The caller withheld their number: it cannot be called back.");
		return;
	}
	bool dialled = false;
	ret = r->web->hooks.call_back(c.number, r->id, r->user.name, &dialled, r->web->data);
	if (ret < 0) {
		web_db_error(r, ret, "call");
		return;
	}
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "call");
	db_call_get(r->db, r->id, write_call, r);
	json_key(w, "dialled");
	json_bool(w, dialled);
	json_object_end(w);
}

/* kind=request|order (default request); false after answering 400. */
static bool query_kind(struct web_request *r, enum db_note_kind *kind) {
	const char *k = web_query(r, "kind");
	*kind = DB_NOTE_REQUEST;
	if (k != NULL && k[0] != '\0' && (db_note_kind_parse(k, kind) < 0 || *kind == DB_NOTE_NOTE)) {
		web_error(r, 400, "kind must be request or order.");
		return false;
	}
	return true;
}

void web_api_requests(struct web_request *r) {
	enum db_note_kind kind;
	bool open;
	long limit;
	const char *q = web_query(r, "q");
	if (!query_kind(r, &kind) || !web_query_bool(r, "open", false, &open) ||
	    !web_query_int(r, "limit", 1, 1000, 200, &limit)) {
		return;
	}
	struct db_note_filter f = {
		.kinds = 1 << kind,
		.open_only = open,
		.query = q != NULL && q[0] != '\0' ? q : NULL,
		.limit = (int)limit,
	};
	struct request_items l = {0};
	int ret = db_note_foreach(r->db, &f, requests_take, &l);
	if (ret < 0 || l.oom) {
		requests_finish(&l);
		web_db_error(r, ret < 0 ? ret : -ENOMEM, "request");
		return;
	}
	int64_t now = (int64_t)time(NULL);
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "requests");
	json_array_begin(w);
	for (size_t i = 0; i < l.n; i++) {
		const struct request_item *it = &l.v[i];
		char phone[128];
		output_phones(r->db, it->contact_id, web_region(r), false, phone, sizeof(phone));
		struct db_note n = {
			.id = it->id,
			.contact_id = it->contact_id,
			.contact_name = it->contact_name,
			.kind = it->kind,
			.text = it->text,
			.open = it->open,
			.created = it->created,
			.closed = it->closed,
			.author = it->author,
			.closed_by = it->closed_by,
		};
		jsonout_request(w, &n, phone, now);
	}
	json_array_end(w);
	json_object_end(w);
	requests_finish(&l);
}

void web_api_requests_arrived(struct web_request *r) {
	enum db_note_kind kind;
	const char *q = web_query(r, "q");
	if (!query_kind(r, &kind)) {
		return;
	}
	if (q == NULL || q[strspn(q, " \t")] == '\0') {
		web_error(r, 400, "Say what arrived: ?q=WORDS of the request's text.");
		return;
	}
	struct db_note_filter f = {.kinds = 1 << kind, .open_only = true, .query = q};
	struct request_items l = {0};
	int ret = db_note_foreach(r->db, &f, requests_take, &l);
	if (ret < 0 || l.oom) {
		requests_finish(&l);
		web_db_error(r, ret < 0 ? ret : -ENOMEM, "request");
		return;
	}
	requests_sort_asked(&l);
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "callers");
	json_array_begin(w);
	for (size_t i = 0; i < l.n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			seen = l.v[j].contact_id == l.v[i].contact_id;
		}
		if (!seen) {
			requests_write_arrived(w, r->db, &l, i, false, web_region(r));
		}
	}
	json_array_end(w);
	json_object_end(w);
	requests_finish(&l);
}
