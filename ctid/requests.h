#ifndef CTID_REQUESTS_H
#define CTID_REQUESTS_H

/*
 * Requests and orders copied out of the database, for the lists people call
 * from: "the shoe cream arrived" gives the clients who asked for it, in the
 * order they asked, each once, with their numbers. ctidctl and the web API
 * write them with the same keys.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "json.h"

struct request_item {
	int64_t id, contact_id;
	char *contact_name;
	char *text;
	char *author, *closed_by;
	enum db_note_kind kind;
	bool open;
	int64_t created, closed;
};

struct request_items {
	struct request_item *v;
	size_t n, cap;
	bool oom; /* set when a copy failed: the list is incomplete */
};

/* A db_note_fn that appends a copy of the note to a struct request_items. */
int requests_take(const struct db_note *n, void *data);
void requests_finish(struct request_items *l);
/* Oldest first (the order they were asked in). */
void requests_sort_asked(struct request_items *l);

/*
 * The caller of l->v[first] as ctidctl request arrived --json writes it:
 * contact, company, phones, requests (every item of theirs in l, in l's
 * order), first_asked, closed.
 */
void requests_write_arrived(struct json_writer *w, struct db *db, const struct request_items *l,
			    size_t first, bool closed, const char *region);

#endif
