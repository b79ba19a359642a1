/* /api/v1/lookup, /contacts, their notes and reminders. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "civil.h"
#include "jsonout.h"
#include "output.h"
#include "web_private.h"
#include "when.h"

void web_api_lookup(struct web_request *r) {
	const char *number = web_query(r, "number");
	if (number == NULL || number[0] == '\0') {
		web_error(r, 400, "Give the number: /api/v1/lookup?number=N.");
		return;
	}
	if (strlen(number) > DB_NUMBER_MAX) {
		web_error(r, 413, "A number is at most %d bytes.", DB_NUMBER_MAX);
		return;
	}
	struct db_match m;
	int ret = db_lookup(r->db, number, &m);
	if (ret < 0) {
		web_db_error(r, ret, "number");
		return;
	}
	char formatted[64];
	output_number(m.e164, number, web_region(r), formatted, sizeof(formatted));
	jsonout_lookup(web_json(r), number, &m, formatted);
}

struct list_ctx {
	struct web_request *r;
};

static int brief(const struct db_contact *c, void *data) {
	struct web_request *r = data;
	jsonout_contact_brief(web_json(r), r->db, c, web_region(r));
	return 0;
}

void web_api_contacts(struct web_request *r) {
	long limit;
	const char *q = web_query(r, "q");
	if (!web_query_int(r, "limit", 1, 100, 20, &limit)) {
		return;
	}
	if (q != NULL && strlen(q) > DB_NAME_MAX) {
		web_error(r, 413, "A search is at most %d bytes.", DB_NAME_MAX);
		return;
	}
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "contacts");
	json_array_begin(w);
	int ret = db_contact_suggest(r->db, q, web_query(r, "after"), (int)limit, brief, r);
	if (ret < 0) {
		web_db_error(r, ret, "contact list");
		return;
	}
	json_array_end(w);
	json_object_end(w);
}

/* Writes contact id's card with status. */
static void reply_card(struct web_request *r, int64_t id, int status) {
	struct card *card = card_load(r->db, id);
	if (card == NULL) {
		web_db_error(r, -errno, "contact");
		return;
	}
	int y, m, d;
	civil_today(&y, &m, &d);
	card_write_json(web_json(r), r->db, card, web_region(r), y, m, d);
	card_destroy(card);
	web_reply(r, status);
}

void web_api_contact_get(struct web_request *r) {
	reply_card(r, r->id, 200);
}

/* The contact's details from the body: only those present are set. */
static bool read_details(struct web_request *r, JsonObject *o, struct db_contact *c,
			 char birthday[16]) {
	const char *bday = NULL;
	if (!web_member_string(r, o, "name", DB_NAME_MAX, false, &c->name) ||
	    !web_member_string(r, o, "company", DB_NAME_MAX, false, &c->company) ||
	    !web_member_string(r, o, "email", DB_NAME_MAX, false, &c->email) ||
	    !web_member_string(r, o, "birthday", 16, false, &bday)) {
		return false;
	}
	if (bday != NULL) {
		if (!when_parse_birthday(bday, birthday)) {
			web_error(r, 422,
				  "birthday must be YYYY-MM-DD or MM-DD (a date that exists).");
			return false;
		}
		c->birthday = birthday;
	}
	return true;
}

/* Each string of array member name, checked; fn applied to each. */
static bool each_string(struct web_request *r, JsonObject *o, const char *name, size_t max,
			int (*fn)(struct db *db, int64_t id, const char *s), int64_t id) {
	JsonNode *n = json_object_get_member(o, name);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n)) {
		return true;
	}
	if (!JSON_NODE_HOLDS_ARRAY(n)) {
		web_error(r, 422, "%s must be an array of strings.", name);
		return false;
	}
	JsonArray *a = json_node_get_array(n);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);
		if (json_node_get_value_type(e) != G_TYPE_STRING) {
			web_error(r, 422, "%s must be an array of strings.", name);
			return false;
		}
		const char *s = json_node_get_string(e);
		int ret = db_check_text(s, max, false);
		if (ret == 0 && s[0] == '\0') {
			ret = -EINVAL;
		}
		if (ret == 0) {
			ret = fn(r->db, id, s);
		}
		if (ret == -EINVAL) {
			web_error(r, 422, "%s holds an empty or invalid value.", name);
			return false;
		}
		if (ret < 0 && !web_text_refused(r, ret, name)) {
			web_db_error(r, ret, "contact");
			return false;
		} else if (ret < 0) {
			return false;
		}
	}
	return true;
}

static int tag_add(struct db *db, int64_t id, const char *s) {
	return db_tag_add(db, id, s);
}

static int tag_remove(struct db *db, int64_t id, const char *s) {
	int ret = db_tag_remove(db, id, s);
	return ret == -ENOENT ? 0 : ret;
}

static bool add_phones(struct web_request *r, JsonObject *o, const char *name, int64_t id) {
	JsonNode *n = json_object_get_member(o, name);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n)) {
		return true;
	}
	if (!JSON_NODE_HOLDS_ARRAY(n)) {
		web_error(r, 422, "%s must be an array of {\"number\", \"label\"}.", name);
		return false;
	}
	JsonArray *a = json_node_get_array(n);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);
		if (!JSON_NODE_HOLDS_OBJECT(e)) {
			web_error(r, 422, "%s must be an array of {\"number\", \"label\"}.", name);
			return false;
		}
		JsonObject *p = json_node_get_object(e);
		const char *number = NULL, *label = NULL;
		if (!web_member_string(r, p, "number", DB_NUMBER_MAX, false, &number) ||
		    !web_member_string(r, p, "label", DB_NAME_MAX, false, &label)) {
			return false;
		}
		int ret = number != NULL
				  ? db_phone_add(r->db, id, number,
						 label != NULL && label[0] ? label : "phone", NULL)
				  : -EINVAL;
		if (ret == -EINVAL) {
			web_error(r, 422, "'%s' is not a phone number.", number ? number : "");
			return false;
		}
		if (ret < 0 && ret != -EEXIST) {
			web_db_error(r, ret, "contact");
			return false;
		}
	}
	return true;
}

struct phone_by_id {
	int64_t id;
	char raw[DB_NUMBER_MAX + 1];
};

static int find_phone(const struct db_phone *p, void *data) {
	struct phone_by_id *f = data;
	if (p->id == f->id) {
		snprintf(f->raw, sizeof(f->raw), "%s", p->raw);
		return 1;
	}
	return 0;
}

static bool remove_phones(struct web_request *r, JsonObject *o, int64_t id) {
	JsonNode *n = json_object_get_member(o, "phones_remove");
	if (n == NULL || JSON_NODE_HOLDS_NULL(n)) {
		return true;
	}
	if (!JSON_NODE_HOLDS_ARRAY(n)) {
		web_error(r, 422, "phones_remove must be an array of phone ids or numbers.");
		return false;
	}
	JsonArray *a = json_node_get_array(n);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);
		struct phone_by_id f = {0};
		if (json_node_get_value_type(e) == G_TYPE_INT64) {
			f.id = json_node_get_int(e);
			db_phone_foreach(r->db, id, find_phone, &f);
		} else if (json_node_get_value_type(e) == G_TYPE_STRING &&
			   strlen(json_node_get_string(e)) <= DB_NUMBER_MAX) {
			snprintf(f.raw, sizeof(f.raw), "%s", json_node_get_string(e));
		}
		int ret = f.raw[0] ? db_phone_remove(r->db, id, f.raw) : -ENOENT;
		if (ret == -ENOENT) {
			web_error(r, 422, "The contact has no such number to remove.");
			return false;
		}
		if (ret < 0) {
			web_db_error(r, ret, "contact");
			return false;
		}
	}
	return true;
}

static bool set_fields(struct web_request *r, JsonObject *o, int64_t id) {
	JsonNode *n = json_object_get_member(o, "fields");
	if (n == NULL || JSON_NODE_HOLDS_NULL(n)) {
		return true;
	}
	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		web_error(r, 422, "fields must be an object of \"key\": \"value\" or null.");
		return false;
	}
	JsonObject *f = json_node_get_object(n);
	GList *keys = json_object_get_members(f);
	bool ok = true;
	for (GList *l = keys; ok && l != NULL; l = l->next) {
		const char *key = l->data, *value = NULL;
		int bad = db_check_text(key, DB_NAME_MAX, false);
		if (bad < 0 || key[0] == '\0') {
			ok = false;
			if (bad == 0 || !web_text_refused(r, bad, "field's name")) {
				web_error(r, 422, "A field's name cannot be empty.");
			}
			break;
		}
		ok = web_member_string(r, f, key, DB_TEXT_MAX, true, &value);
		int ret = ok ? db_field_set(r->db, id, key, value) : 0;
		if (ret < 0) {
			web_db_error(r, ret, "contact");
			ok = false;
		}
	}
	g_list_free(keys);
	return ok;
}

/* Applies the numbers, tags and fields of o to contact id. */
static bool apply_lists(struct web_request *r, JsonObject *o, int64_t id, bool adding) {
	return add_phones(r, o, adding ? "phones" : "phones_add", id) &&
	       (adding || remove_phones(r, o, id)) &&
	       each_string(r, o, adding ? "tags" : "tags_add", DB_NAME_MAX, tag_add, id) &&
	       (adding || each_string(r, o, "tags_remove", DB_NAME_MAX, tag_remove, id)) &&
	       set_fields(r, o, id);
}

void web_api_contact_add(struct web_request *r) {
	JsonObject *o = web_body_object(r);
	struct db_contact c = {0};
	char birthday[16];
	if (o == NULL || !read_details(r, o, &c, birthday)) {
		return;
	}
	if (c.name == NULL || c.name[strspn(c.name, " ")] == '\0') {
		web_error(r, 422, "A contact needs a name.");
		return;
	}
	int64_t id = 0;
	db_begin(r->db);
	int ret = db_contact_add(r->db, &c, &id);
	if (ret < 0) {
		db_rollback(r->db);
		web_db_error(r, ret, "contact");
		return;
	}
	if (!apply_lists(r, o, id, true)) {
		db_rollback(r->db);
		return;
	}
	if ((ret = db_commit(r->db)) < 0) {
		web_db_error(r, ret, "contact");
		return;
	}
	reply_card(r, id, 201);
}

void web_api_contact_patch(struct web_request *r) {
	JsonObject *o = web_body_object(r);
	struct db_contact c = {.id = r->id};
	char birthday[16];
	if (o == NULL || !read_details(r, o, &c, birthday)) {
		return;
	}
	if (c.name != NULL && c.name[strspn(c.name, " ")] == '\0') {
		web_error(r, 422, "The name cannot be empty.");
		return;
	}
	db_begin(r->db);
	int ret = db_contact_update(r->db, &c);
	if (ret < 0) {
		db_rollback(r->db);
		web_db_error(r, ret, "contact");
		return;
	}
	if (!apply_lists(r, o, r->id, false)) {
		db_rollback(r->db);
		return;
	}
	if ((ret = db_commit(r->db)) < 0) {
		web_db_error(r, ret, "contact");
		return;
	}
	reply_card(r, r->id, 200);
}

void web_api_contact_delete(struct web_request *r) {
	int ret = db_contact_delete(r->db, r->id);
	if (ret < 0) {
		web_db_error(r, ret, "contact");
		return;
	}
	web_reply(r, 204);
}

void web_api_contact_merge(struct web_request *r) {
	JsonObject *o = web_body_object(r);
	int64_t from;
	if (o == NULL || !web_member_int(r, o, "from", 1, INT64_MAX, 0, &from)) {
		return;
	}
	if (from == 0 || from == r->id) {
		web_error(r, 422, "Give the id of another contact to merge in: {\"from\": ID}.");
		return;
	}
	struct db_merge_counts n = {0};
	int ret = db_contact_merge(r->db, r->id, from, &n);
	if (ret < 0) {
		web_db_error(r, ret, "contact");
		return;
	}
	struct card *card = card_load(r->db, r->id);
	if (card == NULL) {
		web_db_error(r, -errno, "contact");
		return;
	}
	int y, m, d;
	civil_today(&y, &m, &d);
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "card");
	card_write_json(w, r->db, card, web_region(r), y, m, d);
	card_destroy(card);
	json_key(w, "moved");
	json_object_begin(w);
	const struct {
		const char *key;
		int n;
	} moved[] = {{"phones", n.phones},	 {"notes", n.notes},   {"calls", n.calls},
		     {"reminders", n.reminders}, {"fields", n.fields}, {"tags", n.tags},
		     {"details", n.details}};
	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		json_key(w, moved[i].key);
		json_int(w, moved[i].n);
	}
	json_object_end(w);
	json_object_end(w);
}

static int write_note(const struct db_note *n, void *data) {
	jsonout_note(data, n);
	return 0;
}

void web_api_note_add(struct web_request *r) {
	JsonObject *o = web_body_object(r);
	const char *text = NULL, *kind_name = NULL;
	if (o == NULL || !web_member_string(r, o, "text", DB_TEXT_MAX, true, &text) ||
	    !web_member_string(r, o, "kind", 16, false, &kind_name)) {
		return;
	}
	enum db_note_kind kind = DB_NOTE_NOTE;
	if (kind_name != NULL && db_note_kind_parse(kind_name, &kind) < 0) {
		web_error(r, 422, "kind must be note, request or order.");
		return;
	}
	if (text == NULL || text[strspn(text, " \t\r\n")] == '\0') {
		web_error(r, 422, "The text is empty.");
		return;
	}
	int64_t id;
	int ret = db_note_add(r->db, r->id, kind, text, &id);
	if (ret < 0) {
		web_db_error(r, ret, "contact");
		return;
	}
	db_note_get(r->db, id, write_note, web_json(r));
	web_reply(r, 201);
}

void web_api_note_close(struct web_request *r) {
	int ret = db_note_close(r->db, r->id);
	if (ret == -EALREADY) {
		web_error(r, 409, "It is closed already.");
		return;
	}
	if (ret == -EINVAL) {
		web_error(r, 409, "A note cannot be closed; only requests and orders can.");
		return;
	}
	if (ret < 0) {
		web_db_error(r, ret, "request or order");
		return;
	}
	db_note_get(r->db, r->id, write_note, web_json(r));
}

struct reminder_find {
	struct web_request *r;
	int64_t id;
	bool written;
};

static int write_reminder(const struct db_reminder *rm, void *data) {
	struct reminder_find *f = data;
	if (f->id != 0 && rm->id != f->id) {
		return 0;
	}
	char phone[128];
	output_phones(f->r->db, rm->contact_id, web_region(f->r), false, phone, sizeof(phone));
	jsonout_reminder(web_json(f->r), rm, phone);
	f->written = true;
	return 0;
}

void web_api_reminder_add(struct web_request *r) {
	JsonObject *o = web_body_object(r);
	const char *text = NULL, *date = NULL;
	bool yearly = false;
	int64_t notice;
	if (o == NULL || !web_member_string(r, o, "text", DB_TEXT_MAX, true, &text) ||
	    !web_member_string(r, o, "date", 16, false, &date) ||
	    !web_member_bool(r, o, "yearly", false, &yearly) ||
	    !web_member_int(r, o, "notice", 0, 366, 2, &notice)) {
		return;
	}
	int y, m, d;
	if (date == NULL || !when_parse_reminder(date, &y, &m, &d, &yearly)) {
		web_error(r, 422, "date must be MM-DD (every year) or YYYY-MM-DD.");
		return;
	}
	if (text == NULL || text[strspn(text, " \t\r\n")] == '\0') {
		web_error(r, 422, "The text is empty.");
		return;
	}
	int ty, tm, td;
	civil_today(&ty, &tm, &td);
	if (!yearly && (y < ty || (y == ty && (m < tm || (m == tm && d < td))))) {
		web_error(r, 422, "%s is in the past (set yearly, or give MM-DD, for every year).",
			  date);
		return;
	}
	int64_t id;
	int ret = db_reminder_add(r->db, r->id, y, m, d, yearly, (int)notice, text, &id);
	if (ret == -EEXIST || ret == -ENOENT) {
		web_db_error(r, -ENOENT, "contact");
		return;
	}
	if (ret < 0) {
		web_db_error(r, ret, "reminder");
		return;
	}
	/* the reminder as it falls due: within the year, whatever its notice */
	struct reminder_find f = {.r = r, .id = id};
	web_json(r);
	db_reminder_foreach_due(r->db, r->id, ty, tm, td, 366 * 2, write_reminder, &f);
	if (!f.written) {
		json_object_begin(&r->w);
		json_key(&r->w, "id");
		json_int(&r->w, id);
		json_object_end(&r->w);
	}
	web_reply(r, 201);
}

void web_api_reminder_delete(struct web_request *r) {
	int ret = db_reminder_delete(r->db, r->id);
	if (ret < 0) {
		web_db_error(r, ret, "reminder");
		return;
	}
	web_reply(r, 204);
}

void web_api_reminders(struct web_request *r) {
	long days;
	if (!web_query_int(r, "days", 0, 366, 7, &days)) {
		return;
	}
	int y, m, d;
	civil_today(&y, &m, &d);
	struct reminder_find f = {.r = r};
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "reminders");
	json_array_begin(w);
	int ret = db_reminder_foreach_due(r->db, 0, y, m, d, (int)days, write_reminder, &f);
	if (ret < 0) {
		web_db_error(r, ret, "reminder");
		return;
	}
	json_array_end(w);
	json_object_end(w);
}
