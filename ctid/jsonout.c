/* The JSON objects scripts read (see jsonout.h). */
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

void jsonout_call(struct json_writer *w, const struct db_call *c) {
	char t[40];
	call_keys(w, c->id, c->number, c->name, c->withheld, c->e164, c->line, c->rings, c->date,
		  db_call_state_str(c->state), c->contact_id, c->contact_name);
	output_iso_time(c->started, t, sizeof(t));
	json_key(w, "started");
	json_string(w, t);
	output_iso_time(c->ended, t, sizeof(t));
	json_key(w, "ended");
	json_string(w, c->ended ? t : NULL);
	json_key(w, "handled");
	json_bool(w, c->handled != 0);
	output_iso_time(c->called_back, t, sizeof(t));
	json_key(w, "called_back");
	json_string(w, c->called_back ? t : NULL);
	json_object_end(w);
}
