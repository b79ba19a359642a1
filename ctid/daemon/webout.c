/* The daemon's objects as the web page gets them (see webout.h). */
#include <stdio.h>
#include <stdlib.h>

#include "jsonout.h"
#include "output.h"
#include "webout.h"

static void key_string(struct json_writer *w, const char *key, const char *value) {
	json_key(w, key);
	json_string(w, value != NULL ? value : "");
}

static void key_int(struct json_writer *w, const char *key, int64_t value) {
	json_key(w, key);
	json_int(w, value);
}

static void key_bool(struct json_writer *w, const char *key, bool value) {
	json_key(w, key);
	json_bool(w, value);
}

static void key_time(struct json_writer *w, const char *key, int64_t ms) {
	char t[40];
	output_iso_time(ms / 1000, t, sizeof(t));
	json_key(w, key);
	json_string(w, ms > 0 ? t : NULL);
}

static void write_card(struct json_writer *w, const struct notify_card *card) {
	struct notify_text text;
	notify_card_format(card, false, &text);
	static const char *const states[] = {"ringing", "answered", "missed", "unknown"};
	json_object_begin(w);
	key_string(w, "summary", text.summary);
	key_string(w, "body", text.body);
	/* and what the text is made of, for a desk that makes its own popup */
	json_key(w, "name");
	json_string(w, card->name);
	json_key(w, "withheld");
	json_string(w, card->withheld);
	key_bool(w, "ambiguous", card->ambiguous);
	json_key(w, "number");
	json_string(w, card->number);
	json_key(w, "line");
	json_string(w, card->line);
	key_int(w, "contact_id", card->contact_id);
	key_bool(w, "can_dial", card->can_dial);
	key_string(w, "state", states[card->state]);
	key_int(w, "rings", card->rings);
	key_time(w, "started", card->started);
	json_key(w, "company");
	json_string(w, card->company);
	json_key(w, "telco_name");
	json_string(w, card->telco_name);
	key_bool(w, "history_unknown", card->history_unknown);
	key_int(w, "calls_before", card->calls_before);
	key_time(w, "last_call", card->last_call);
	key_bool(w, "last_missed", card->last_missed);
	key_bool(w, "last_handled", card->last_handled);
	key_int(w, "missed_unhandled", card->missed_unhandled);
	json_key(w, "notes");
	json_array_begin(w);
	for (int i = 0; i < NOTIFY_NOTES_MAX && card->notes[i].text != NULL; i++) {
		json_object_begin(w);
		key_string(w, "text", card->notes[i].text);
		key_time(w, "time", card->notes[i].time);
		json_object_end(w);
	}
	json_array_end(w);
	json_key(w, "requests");
	json_array_begin(w);
	for (int i = 0; i < NOTIFY_REQUESTS_MAX && card->requests[i] != NULL; i++) {
		json_string(w, card->requests[i]);
	}
	json_array_end(w);
	key_int(w, "requests_open", card->requests_open);
	json_key(w, "reminders");
	json_array_begin(w);
	for (int i = 0; i < NOTIFY_REMINDERS_MAX && card->reminders[i].text != NULL; i++) {
		json_object_begin(w);
		key_string(w, "text", card->reminders[i].text);
		key_int(w, "days_left", card->reminders[i].days_left);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

/* The keys of bus.c's append_call, in its order. */
static void write_call(struct json_writer *w, const void *a, const void *b) {
	const struct bus_call *c = a;
	json_object_begin(w);
	key_int(w, "id", c->id);
	key_string(w, "line", c->line);
	key_string(w, "number", c->number);
	key_string(w, "name", c->name);
	key_string(w, "withheld", c->withheld);
	key_string(w, "e164", c->e164);
	key_string(w, "formatted", c->formatted);
	key_int(w, "contact_id", c->contact_id);
	key_string(w, "contact_name", c->contact_name);
	key_bool(w, "ambiguous", c->ambiguous);
	key_int(w, "rings", c->rings);
	key_string(w, "state", c->state);
	key_int(w, "started", c->started);
	key_int(w, "ended", c->ended);
	key_string(w, "date", c->date);
	key_bool(w, "handled", c->handled);
	key_string(w, "department", c->department);
	if (b != NULL) {
		json_key(w, "card");
		write_card(w, b);
	}
	json_object_end(w);
}

char *webout_call(const struct bus_call *c, const struct notify_card *card) {
	return json_capture(write_call, c, card);
}

void webout_modem_object(struct json_writer *w, const struct bus_modem *m) {
	json_object_begin(w);
	key_string(w, "path", m->path);
	key_string(w, "line", m->line);
	key_string(w, "state", m->state);
	key_string(w, "manufacturer", m->manufacturer);
	key_string(w, "model", m->model);
	key_string(w, "dialect", m->dialect);
	key_string(w, "cid_command", m->cid_command);
	key_bool(w, "gsm", m->gsm);
	key_bool(w, "can_dial", m->can_dial);
	key_bool(w, "detects_pickup", m->detects_pickup);
	json_object_end(w);
}

static void write_modem(struct json_writer *w, const void *a, const void *b) {
	webout_modem_object(w, a);
}

char *webout_modem(const struct bus_modem *m) {
	return json_capture(write_modem, m, NULL);
}

static void write_removed(struct json_writer *w, const void *a, const void *b) {
	json_object_begin(w);
	key_string(w, "path", a);
	json_object_end(w);
}

char *webout_modem_removed(const char *path) {
	return json_capture(write_removed, path, NULL);
}

static void write_reminder(struct json_writer *w, const void *a, const void *b) {
	jsonout_reminder(w, a, b);
}

char *webout_reminder(const struct db_reminder *r, const char *phone) {
	return json_capture(write_reminder, r, phone);
}

void webout_status_database(struct json_writer *w, const struct bus_database *d) {
	json_object_begin(w);
	key_string(w, "path", d->path);
	key_bool(w, "writable", d->writable);
	key_string(w, "error", d->error);
	key_int(w, "since", d->since);
	key_int(w, "waiting", d->waiting);
	json_object_end(w);
}
