#ifndef CTID_CARD_H
#define CTID_CARD_H

/*
 * A contact's card: their details and their timeline of notes, requests,
 * orders and calls, newest first. Read once from the database into plain
 * data that ctidctl prints and the web page gets as JSON (card_write_json:
 * the keys of ctidctl contact show --json).
 */

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "json.h"

#define CARD_TIMELINE_MAX 200

struct card_event {
	int64_t when;
	int64_t id;
	const char *type; /* "note", "request", "order", "call" (static) */
	char *text;
	bool open;
	int64_t closed;
	char *author, *closed_by;
	/* calls */
	enum db_call_state state;
	int rings;
	char *line;
	char *number;
	bool handled;
	char *handled_by;
	bool outgoing;	   /* placed from the office */
	char *answered_by; /* the extension that took it, or NULL */
};

struct card {
	struct db_contact c; /* its strings point into the fields below */
	char *name, *company, *email, *birthday;
	struct card_event events[CARD_TIMELINE_MAX];
	int n_events;
	/* every call of the contact, not only those on the timeline */
	int calls, missed_unhandled;
	int64_t last_call;
	enum db_call_state last_state;
};

/* Reads contact id's card; NULL with errno ENOENT when there is none (or
 * another errno). Free with card_destroy(). */
struct card *card_load(struct db *db, int64_t id);
void card_destroy(struct card *card);

/*
 * The card as JSON: id, name, company, email, birthday, created, updated,
 * phones, fields, tags, open_requests [{id, text, created, author}],
 * reminders (within a year, birthdays included), timeline, history {calls,
 * missed_unhandled, last_call, last_state}. today is the local date
 * reminders count from; region formats numbers.
 */
void card_write_json(struct json_writer *w, struct db *db, const struct card *card,
		     const char *region, int year, int month, int day);

#endif
