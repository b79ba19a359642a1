/* The JSON objects scripts read (see jsonout.h). */
#include <stdio.h>
#include <string.h>

#include "jsonout.h"
#include "output.h"

void jsonout_contact(struct json_writer *w, int64_t id, const char *name) {
	if (id <= 0) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_key(w, "id");
	json_int(w, id);
	json_key(w, "name");
	json_string(w, name);
	json_object_end(w);
}

void jsonout_lookup(struct json_writer *w, const char *number, const struct db_match *m,
		    const char *formatted) {
	static const char *const kinds[] = {
		[DB_MATCH_NONE] = NULL,
		[DB_MATCH_EXACT] = "exact",
		[DB_MATCH_SUFFIX] = "suffix",
	};
	json_object_begin(w);
	json_key(w, "number");
	json_string(w, number);
	json_key(w, "e164");
	json_string(w, m->e164[0] ? m->e164 : NULL);
	json_key(w, "contact");
	jsonout_contact(w, m->contact_id, m->name);
	json_key(w, "ambiguous");
	json_bool(w, m->ambiguous);
	json_key(w, "match");
	json_string(w, kinds[m->kind]);
	json_key(w, "withheld");
	json_bool(w, m->withheld);
	json_key(w, "formatted");
	json_string(w, formatted);
	json_object_end(w);
}

void jsonout_phone(struct json_writer *w, const struct db_phone *p, const char *region) {
	char formatted[64];
	output_number(p->e164, p->raw, region, formatted, sizeof(formatted));
	json_object_begin(w);
	json_key(w, "id");
	json_int(w, p->id);
	json_key(w, "label");
	json_string(w, p->label);
	json_key(w, "number");
	json_string(w, p->raw);
	json_key(w, "e164");
	json_string(w, p->e164);
	json_key(w, "formatted");
	json_string(w, formatted);
	json_object_end(w);
}

struct phones_ctx {
	struct json_writer *w;
	const char *region;
};

static int phone_cb(const struct db_phone *p, void *data) {
	struct phones_ctx *pc = data;
	jsonout_phone(pc->w, p, pc->region);
	return 0;
}

void jsonout_phones(struct json_writer *w, struct db *db, int64_t contact, const char *region) {
	struct phones_ctx pc = {w, region};
	json_array_begin(w);
	db_phone_foreach(db, contact, phone_cb, &pc);
	json_array_end(w);
}

/* The keys a call has wherever it is shown (id first when it has one, > 0
 * or 0; -1: none), without the closing brace. */
static void call_keys(struct json_writer *w, int64_t id, const char *number, const char *name,
		      const char *withheld, const char *e164, const char *line, int rings,
		      const char *date, const char *state, int64_t contact_id,
		      const char *contact_name) {
	json_object_begin(w);
	if (id >= 0) {
		json_key(w, "id");
		json_int(w, id);
	}
	json_key(w, "number");
	json_string(w, number != NULL && number[0] ? number : NULL);
	json_key(w, "name");
	json_string(w, name != NULL && name[0] ? name : NULL);
	json_key(w, "withheld");
	json_string(w, withheld);
	json_key(w, "e164");
	json_string(w, e164 != NULL && e164[0] ? e164 : NULL);
	json_key(w, "line");
	json_string(w, line);
	json_key(w, "rings");
	json_int(w, rings);
	json_key(w, "date");
	json_string(w, date != NULL && date[0] ? date : NULL);
	json_key(w, "state");
	json_string(w, state);
	json_key(w, "contact");
	jsonout_contact(w, contact_id, contact_name);
}

void jsonout_call_event(struct json_writer *w, const struct call_info *c, const char *e164,
			const char *date, const struct db_match *m) {
	call_keys(w, -1, c->number, c->name, call_withheld_str(c->withheld), e164, c->line,
		  c->rings, date, call_state_str(c->state), m->contact_id, m->name);
	json_object_end(w);
}

static void time_or_null(struct json_writer *w, const char *key, int64_t t) {
	char buf[40];
	output_iso_time(t, buf, sizeof(buf));
	json_key(w, key);
	json_string(w, t != 0 ? buf : NULL);
}

void jsonout_call(struct json_writer *w, const struct db_call *c, const char *region) {
	char t[40];
	call_keys(w, c->id, c->number, c->name, c->withheld, c->e164, c->line, c->rings, c->date,
		  db_call_state_str(c->state), c->contact_id, c->contact_name);
	output_iso_time(c->started, t, sizeof(t));
	json_key(w, "started");
	json_string(w, t);
	time_or_null(w, "ended", c->ended);
	json_key(w, "handled");
	json_bool(w, c->handled != 0);
	time_or_null(w, "called_back", c->called_back);
	char formatted[64] = "";
	if (c->withheld == NULL) {
		output_number(c->e164, c->number, region, formatted, sizeof(formatted));
	}
	json_key(w, "formatted");
	json_string(w, formatted[0] ? formatted : NULL);
	json_key(w, "handled_by");
	json_string(w, c->handled_by);
	json_key(w, "direction");
	json_string(w, c->outgoing ? "out" : "in");
	json_key(w, "answered_by");
	json_string(w, c->answered_by);
	json_key(w, "department");
	json_string(w, c->department);
	json_object_end(w);
}

void jsonout_note(struct json_writer *w, const struct db_note *n) {
	json_object_begin(w);
	json_key(w, "id");
	json_int(w, n->id);
	json_key(w, "kind");
	json_string(w, db_note_kind_str(n->kind));
	json_key(w, "contact");
	jsonout_contact(w, n->contact_id, n->contact_name);
	json_key(w, "text");
	json_string(w, n->text);
	time_or_null(w, "created", n->created);
	json_key(w, "author");
	json_string(w, n->author);
	json_key(w, "open");
	json_bool(w, n->open);
	time_or_null(w, "closed", n->open ? 0 : n->closed);
	json_key(w, "closed_by");
	json_string(w, n->closed_by);
	json_object_end(w);
}

void jsonout_request(struct json_writer *w, const struct db_note *n, const char *phone, int64_t now) {
	json_object_begin(w);
	json_key(w, "id");
	json_int(w, n->id);
	json_key(w, "kind");
	json_string(w, db_note_kind_str(n->kind));
	json_key(w, "contact");
	jsonout_contact(w, n->contact_id, n->contact_name);
	json_key(w, "phone");
	json_string(w, phone != NULL && phone[0] ? phone : NULL);
	json_key(w, "text");
	json_string(w, n->text);
	time_or_null(w, "created", n->created);
	json_key(w, "age_days");
	json_int(w, output_days_between(n->created, now));
	json_key(w, "open");
	json_bool(w, n->open);
	time_or_null(w, "closed", n->open ? 0 : n->closed);
	json_key(w, "author");
	json_string(w, n->author);
	json_key(w, "closed_by");
	json_string(w, n->closed_by);
	json_object_end(w);
}

void jsonout_reminder(struct json_writer *w, const struct db_reminder *r, const char *phone) {
	char date[16];
	snprintf(date, sizeof(date), "%04d-%02d-%02d", r->next_year, r->next_month, r->next_day);
	json_object_begin(w);
	json_key(w, "id");
	json_int_or_null(w, r->id > 0, r->id);
	json_key(w, "contact");
	jsonout_contact(w, r->contact_id, r->contact_name);
	json_key(w, "phone");
	json_string(w, phone != NULL && phone[0] ? phone : NULL);
	json_key(w, "date");
	json_string(w, date);
	json_key(w, "days_left");
	json_int(w, r->days_left);
	json_key(w, "yearly");
	json_bool(w, r->yearly);
	json_key(w, "notice");
	json_int(w, r->notice);
	json_key(w, "birthday");
	json_bool(w, r->birthday);
	json_key(w, "age");
	json_int_or_null(w, r->age > 0, r->age);
	json_key(w, "text");
	json_string(w, r->text);
	json_object_end(w);
}

void jsonout_missed_name(const struct db_missed *m, const char *formatted, char *buf, size_t size) {
	if (m->contact_name != NULL) {
		snprintf(buf, size, "%s", m->contact_name);
	} else if (m->withheld) {
		snprintf(buf, size, "Withheld");
	} else {
		snprintf(buf, size, "%s", formatted);
	}
}

void jsonout_missed(struct json_writer *w, const struct db_missed *m, const char *region) {
	char formatted[64] = "", name[DB_NAME_MAX + 1];
	if (!m->withheld) {
		output_number(m->e164, m->number, region, formatted, sizeof(formatted));
	}
	jsonout_missed_name(m, formatted, name, sizeof(name));
	json_object_begin(w);
	json_key(w, "contact");
	jsonout_contact(w, m->contact_id, m->contact_name);
	json_key(w, "name");
	json_string(w, name);
	json_key(w, "number");
	json_string(w, m->number);
	json_key(w, "e164");
	json_string(w, m->e164);
	json_key(w, "formatted");
	json_string(w, m->withheld ? NULL : formatted);
	json_key(w, "withheld");
	json_bool(w, m->withheld);
	json_key(w, "calls");
	json_int(w, m->calls);
	json_key(w, "missed");
	json_int(w, m->missed);
	json_key(w, "unknown");
	json_int(w, m->unknown);
	json_key(w, "maybe_missed");
	json_bool(w, m->missed == 0);
	char t[40];
	output_iso_time(m->first, t, sizeof(t));
	json_key(w, "first");
	json_string(w, t);
	output_iso_time(m->last, t, sizeof(t));
	json_key(w, "last");
	json_string(w, t);
	time_or_null(w, "called_back", m->called_back);
	json_key(w, "call_ids");
	json_array_begin(w);
	for (int i = 0; i < m->n_call_ids; i++) {
		json_int(w, m->call_ids[i]);
	}
	json_array_end(w);
	json_object_end(w);
}

void jsonout_contact_brief(struct json_writer *w, struct db *db, const struct db_contact *c,
			   const char *region) {
	json_object_begin(w);
	json_key(w, "id");
	json_int(w, c->id);
	json_key(w, "name");
	json_string(w, c->name);
	json_key(w, "company");
	json_string(w, c->company);
	json_key(w, "phones");
	jsonout_phones(w, db, c->id, region);
	json_object_end(w);
}

void jsonout_user(struct json_writer *w, const struct db_user *u) {
	json_object_begin(w);
	json_key(w, "name");
	json_string(w, u->name);
	json_key(w, "role");
	json_string(w, db_role_str(u->role));
	time_or_null(w, "created", u->created);
	json_key(w, "has_password");
	json_bool(w, u->password != NULL);
	json_key(w, "extension");
	json_string(w, u->extension);
	json_object_end(w);
}

void jsonout_settings_begin(struct jsonout_settings *s, struct json_writer *w) {
	s->w = w;
	s->list = NULL;
	json_object_begin(w);
}

void jsonout_settings_add(struct jsonout_settings *s, const char *key, const char *value) {
	static const char *const lists[] = {"device", "listen"};
	const char *list = NULL;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (strcmp(key, lists[i]) == 0) {
			list = lists[i];
		}
	}
	if (s->list != NULL && s->list != list) {
		json_array_end(s->w);
		s->list = NULL;
	}
	if (list != NULL && s->list == NULL) {
		json_key(s->w, list);
		json_array_begin(s->w);
		s->list = list;
	} else if (list == NULL) {
		json_key(s->w, key);
	}
	json_string(s->w, value);
}

void jsonout_settings_end(struct jsonout_settings *s) {
	if (s->list != NULL) {
		json_array_end(s->w);
	}
	json_object_end(s->w);
}
