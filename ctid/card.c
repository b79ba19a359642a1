/* A contact's card (see card.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "civil.h"
#include "jsonout.h"
#include "output.h"

static char *dup_or_null(const char *s) {
	return s != NULL ? strdup(s) : NULL;
}

static int take_contact(const struct db_contact *c, void *data) {
	struct card *card = data;
	card->c = *c;
	card->c.name = card->name = dup_or_null(c->name);
	card->c.company = card->company = dup_or_null(c->company);
	card->c.email = card->email = dup_or_null(c->email);
	card->c.birthday = card->birthday = dup_or_null(c->birthday);
	return 0;
}

static struct card_event *next_event(struct card *card) {
	if (card->n_events >= CARD_TIMELINE_MAX) {
		return NULL;
	}
	struct card_event *e = &card->events[card->n_events++];
	memset(e, 0, sizeof(*e));
	return e;
}

static int take_note(const struct db_note *n, void *data) {
	struct card_event *e = next_event(data);
	if (e == NULL) {
		return 1;
	}
	e->when = n->created;
	e->id = n->id;
	e->type = db_note_kind_str(n->kind);
	e->text = dup_or_null(n->text);
	e->open = n->open;
	e->closed = n->closed;
	e->author = dup_or_null(n->author);
	e->closed_by = dup_or_null(n->closed_by);
	return 0;
}

static int take_call(const struct db_call *c, void *data) {
	struct card_event *e = next_event(data);
	if (e == NULL) {
		return 1;
	}
	e->when = c->started;
	e->id = c->id;
	e->type = "call";
	e->state = c->state;
	e->rings = c->rings;
	e->line = dup_or_null(c->line);
	e->number = dup_or_null(c->number);
	e->handled = c->handled != 0;
	e->handled_by = dup_or_null(c->handled_by);
	e->outgoing = c->outgoing;
	e->answered_by = dup_or_null(c->answered_by);
	return 0;
}

static int event_cmp(const void *a, const void *b) {
	const struct card_event *x = a, *y = b;
	if (x->when != y->when) {
		return x->when > y->when ? -1 : 1;
	}
	return x->id > y->id ? -1 : x->id < y->id;
}

struct card *card_load(struct db *db, int64_t id) {
	struct card *card = calloc(1, sizeof(*card));
	if (card == NULL) {
		return NULL;
	}
	int ret = db_contact_get(db, id, take_contact, card);
	if (ret == 0 && card->name == NULL) {
		ret = -ENOMEM;
	}
	struct db_note_filter nf = {.contact_id = id, .limit = CARD_TIMELINE_MAX / 2};
	if (ret == 0) {
		ret = db_note_foreach(db, &nf, take_note, card);
	}
	struct db_call_filter cf = {.contact_id = id, .limit = CARD_TIMELINE_MAX / 2};
	if (ret == 0) {
		ret = db_call_foreach(db, &cf, take_call, card);
	}
	int y, m, d;
	civil_today(&y, &m, &d);
	struct db_history h;
	if (ret == 0 && db_history_get(db, id, NULL, 0, y, m, d, &h) == 0) {
		card->calls = h.calls;
		card->missed_unhandled = h.missed_unhandled;
		card->last_call = h.last_call;
		card->last_state = h.last_state;
	}
	if (ret < 0) {
		card_destroy(card);
		errno = -ret;
		return NULL;
	}
	qsort(card->events, (size_t)card->n_events, sizeof(card->events[0]), event_cmp);
	return card;
}

void card_destroy(struct card *card) {
	if (card == NULL) {
		return;
	}
	for (int i = 0; i < card->n_events; i++) {
		struct card_event *e = &card->events[i];
		free(e->text);
		free(e->author);
		free(e->closed_by);
		free(e->line);
		free(e->number);
		free(e->handled_by);
		free(e->answered_by);
	}
	free(card->name);
	free(card->company);
	free(card->email);
	free(card->birthday);
	free(card);
}

static void write_time(struct json_writer *w, const char *key, int64_t t) {
	char buf[40];
	output_iso_time(t, buf, sizeof(buf));
	json_key(w, key);
	json_string(w, t != 0 ? buf : NULL);
}

static int json_field(const char *key, const char *value, void *data) {
	json_key(data, key);
	json_string(data, value);
	return 0;
}

static int json_tag(const char *tag, const char *value, void *data) {
	(void)value;
	json_string(data, tag);
	return 0;
}

static int json_reminder(const struct db_reminder *r, void *data) {
	struct json_writer *w = data;
	char date[16];
	snprintf(date, sizeof(date), "%04d-%02d-%02d", r->next_year, r->next_month, r->next_day);
	json_object_begin(w);
	json_key(w, "id");
	json_int_or_null(w, r->id > 0, r->id);
	json_key(w, "text");
	json_string(w, r->text);
	json_key(w, "date");
	json_string(w, date);
	json_key(w, "days_left");
	json_int(w, r->days_left);
	json_key(w, "yearly");
	json_bool(w, r->yearly);
	json_key(w, "birthday");
	json_bool(w, r->birthday);
	json_object_end(w);
	return 0;
}

static void write_event(struct json_writer *w, const struct card_event *e) {
	json_object_begin(w);
	json_key(w, "type");
	json_string(w, e->type);
	json_key(w, "id");
	json_int(w, e->id);
	write_time(w, "time", e->when);
	if (strcmp(e->type, "call") == 0) {
		json_key(w, "state");
		json_string(w, db_call_state_str(e->state));
		json_key(w, "number");
		json_string(w, e->number);
		json_key(w, "line");
		json_string(w, e->line);
		json_key(w, "rings");
		json_int(w, e->rings);
		json_key(w, "handled");
		json_bool(w, e->handled);
		json_key(w, "handled_by");
		json_string(w, e->handled_by);
		json_key(w, "direction");
		json_string(w, e->outgoing ? "out" : "in");
		json_key(w, "answered_by");
		json_string(w, e->answered_by);
	} else {
		json_key(w, "text");
		json_string(w, e->text);
		json_key(w, "author");
		json_string(w, e->author);
		if (strcmp(e->type, "note") != 0) {
			json_key(w, "open");
			json_bool(w, e->open);
			write_time(w, "closed", e->open ? 0 : e->closed);
			json_key(w, "closed_by");
			json_string(w, e->closed_by);
		}
	}
	json_object_end(w);
}

void card_write_json(struct json_writer *w, struct db *db, const struct card *card,
		     const char *region, int year, int month, int day) {
	json_object_begin(w);
	json_key(w, "id");
	json_int(w, card->c.id);
	json_key(w, "name");
	json_string(w, card->name);
	json_key(w, "company");
	json_string(w, card->company);
	json_key(w, "email");
	json_string(w, card->email);
	json_key(w, "birthday");
	json_string(w, card->birthday);
	write_time(w, "created", card->c.created);
	write_time(w, "updated", card->c.updated);
	json_key(w, "phones");
	jsonout_phones(w, db, card->c.id, region);
	json_key(w, "fields");
	json_object_begin(w);
	db_field_foreach(db, card->c.id, json_field, w);
	json_object_end(w);
	json_key(w, "tags");
	json_array_begin(w);
	db_tag_foreach(db, card->c.id, json_tag, w);
	json_array_end(w);
	json_key(w, "open_requests");
	json_array_begin(w);
	for (int i = card->n_events - 1; i >= 0; i--) {
		const struct card_event *e = &card->events[i];
		if (strcmp(e->type, "request") == 0 && e->open) {
			json_object_begin(w);
			json_key(w, "id");
			json_int(w, e->id);
			json_key(w, "text");
			json_string(w, e->text);
			write_time(w, "created", e->when);
			json_key(w, "author");
			json_string(w, e->author);
			json_object_end(w);
		}
	}
	json_array_end(w);
	json_key(w, "reminders");
	json_array_begin(w);
	db_reminder_foreach_due(db, card->c.id, year, month, day, 366, json_reminder, w);
	json_array_end(w);
	json_key(w, "timeline");
	json_array_begin(w);
	for (int i = 0; i < card->n_events; i++) {
		write_event(w, &card->events[i]);
	}
	json_array_end(w);
	json_key(w, "history");
	json_object_begin(w);
	json_key(w, "calls");
	json_int(w, card->calls);
	json_key(w, "missed_unhandled");
	json_int(w, card->missed_unhandled);
	write_time(w, "last_call", card->last_call);
	json_key(w, "last_state");
	json_string(w, card->calls > 0 ? db_call_state_str(card->last_state) : NULL);
	json_object_end(w);
	json_object_end(w);
}
