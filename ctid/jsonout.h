#ifndef CTID_JSONOUT_H
#define CTID_JSONOUT_H

/*
 * The JSON objects scripts read, each written in one place: ctidctl --json,
 * ctid --replay and the daemon's interfaces give the same keys for the same
 * things. Keys are only ever added.
 */

#include <stdint.h>

#include "call_event.h"
#include "db.h"
#include "json.h"

/* {"id", "name"}, or null when id is 0. */
void jsonout_contact(struct json_writer *w, int64_t id, const char *name);

/* What a call from number would show (ctidctl lookup --json): number, e164,
 * contact, ambiguous, match ("exact", "suffix" or null), withheld, formatted. */
void jsonout_lookup(struct json_writer *w, const char *number, const struct db_match *m,
		    const char *formatted);

/* A phone number: id, label, number (as written), e164, formatted for region. */
void jsonout_phone(struct json_writer *w, const struct db_phone *p, const char *region);
/* The contact's numbers as an array of jsonout_phone objects. */
void jsonout_phones(struct json_writer *w, struct db *db, int64_t contact, const char *region);

/* A call as a line told it (ctid --replay): number, name, withheld, e164,
 * line, rings, date, state, contact. e164 and date may be NULL. */
void jsonout_call_event(struct json_writer *w, const struct call_info *c, const char *e164,
			const char *date, const struct db_match *m);

/* A logged call (ctidctl calls --json): the keys of jsonout_call_event
 * plus id, started, ended, handled, called_back, formatted (for region),
 * handled_by, direction ("in" or "out"), answered_by, department. */
void jsonout_call(struct json_writer *w, const struct db_call *c, const char *region);

/* A note, request or order: id, kind, contact, text, created, author,
 * open, closed (a time or null), closed_by. */
void jsonout_note(struct json_writer *w, const struct db_note *n);

/* A request or order as ctidctl request list --json shows it: id, kind,
 * contact, phone (the first number, formatted, or null), text, created,
 * age_days (whole local days before now), open, closed; and author,
 * closed_by. */
void jsonout_request(struct json_writer *w, const struct db_note *n, const char *phone, int64_t now);

/* A reminder that falls due (ctidctl reminders --json): id (null for a
 * birthday), contact, phone, date, days_left, yearly, notice, birthday, age,
 * text. */
void jsonout_reminder(struct json_writer *w, const struct db_reminder *r, const char *phone);

/* A caller of the call-back list (ctidctl missed --json): contact, name,
 * number, e164, formatted, withheld, calls, missed, unknown, maybe_missed,
 * first, last, called_back, call_ids. */
void jsonout_missed(struct json_writer *w, const struct db_missed *m, const char *region);

/* A contact in a list: id, name, company, phones (jsonout_phones). */
void jsonout_contact_brief(struct json_writer *w, struct db *db, const struct db_contact *c,
			   const char *region);

/* A user of the web page: name, role, created, has_password. */
void jsonout_user(struct json_writer *w, const struct db_user *u);

/*
 * The settings in effect as one object, from (key, value) pairs in
 * config_foreach()'s order: a list key ("device", "listen") is an array of
 * its consecutive values, every other key a string.
 */
struct jsonout_settings {
	struct json_writer *w;
	const char *list; /* the list key whose array is open, or NULL */
};
void jsonout_settings_begin(struct jsonout_settings *s, struct json_writer *w);
void jsonout_settings_add(struct jsonout_settings *s, const char *key, const char *value);
void jsonout_settings_end(struct jsonout_settings *s);

/* The name a caller of the call-back list goes by: the contact's, else
 * "Withheld", else the number formatted. */
void jsonout_missed_name(const struct db_missed *m, const char *formatted, char *buf, size_t size);

#endif
