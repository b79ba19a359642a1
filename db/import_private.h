#ifndef CTID_DB_IMPORT_PRIVATE_H
#define CTID_DB_IMPORT_PRIVATE_H

/* What import.c, import_write.c and import_split.c share (import_base.c). */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "import.h"

#define MAX_TRIGGERS 8 /* insert triggers a bulk import drops (import.c) */

/* The statements only the import needs (import.c prepares them). */
enum {
	Q_BY_E164,
	Q_BY_DIGITS,
	Q_NOTE_EXISTS,
	Q_NOTE_INSERT,
	Q_MAX_ID,
	Q_CONTACTS,
	Q_COUNT,
};

struct importer {
	struct db *db;
	struct import_report *rep;
	sqlite3_stmt *q[Q_COUNT];
	int64_t now;
	int64_t first_new; /* contacts from this id on were added by this import */
	int error;	   /* a database error: the import stops */
	int64_t existing;  /* contacts before the import */
	int64_t imported;
	char *triggers[MAX_TRIGGERS]; /* dropped for a bulk import, to create again */
	size_t n_triggers;
	bool bulk;
};

/* What import_record found out about the numbers of a record, one each. */
struct import_numbers {
	bool *usable;
	int64_t *shared; /* another contact with the number, or 0 */
};

/* A statement of im's (import.c prepares them), reset, its bindings
 * cleared. */
sqlite3_stmt *import_query(struct importer *im, int id);

/* Steps s once and resets it; 0 or -errno after logging. */
int import_step_done(struct importer *im, sqlite3_stmt *s);

/* Adds a message to rep: a skipped record's (skip) or a note about one
 * imported. */
void import_note(struct import_report *rep, bool skip, int line, int64_t contact, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));

/* Fills what contact id lacks from r; keeps (and reports) what differs
 * (import_write.c). 0 or -errno. */
int import_merge(struct importer *im, int64_t id, const struct contact_record *r,
		 const struct import_numbers *nums);

/* Adds r as a new contact named name (import_write.c). 0 or -errno. */
int import_add(struct importer *im, const char *name, const struct contact_record *r,
	       const struct import_numbers *nums);

/* Numbers of a record after splitting its cells (import_split.c). */
struct import_split {
	struct record_phone *phones;
	char *text; /* the parts' copies */
};

/*
 * Checks the record's phone cells; when any holds several numbers, out gets
 * the record with them apart (in sp, which the caller frees: its phones and
 * text). Reports to rep what is left unread. 0 or -ENOMEM.
 */
int import_split_numbers(const char *region, struct import_report *rep,
			 const struct contact_record *r, struct contact_record *out,
			 struct import_split *sp);

#endif
