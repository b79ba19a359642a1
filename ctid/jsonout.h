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
 * plus id, started, ended, handled, called_back. */
void jsonout_call(struct json_writer *w, const struct db_call *c);

#endif
