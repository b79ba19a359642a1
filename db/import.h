#ifndef CTID_IMPORT_H
#define CTID_IMPORT_H

/*
 * Contacts in and out of the database: files from address books (vCard,
 * CSV) merged in one transaction, and the database written back as vCard
 * or CSV that ctid reads again without losing anything.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "record.h"

/* The address book's note kinds and limits are the database's own. */
_Static_assert(DB_NOTE_NOTE == (int)RECORD_NOTE && DB_NOTE_REQUEST == (int)RECORD_REQUEST &&
		       DB_NOTE_ORDER == (int)RECORD_ORDER,
	       "note kinds of record.h and db.h differ");
_Static_assert(DB_NAME_MAX == RECORD_NAME_MAX && DB_NUMBER_MAX == RECORD_NUMBER_MAX &&
		       DB_TEXT_MAX == RECORD_TEXT_MAX,
	       "limits of record.h and db.h differ");

enum import_format {
	IMPORT_AUTO = 0,
	IMPORT_VCARD,
	IMPORT_CSV,
};

/*
 * The format of a file: vCard when it begins with BEGIN:VCARD, else by the
 * name's extension (.vcf, .vcard), else CSV.
 */
enum import_format db_import_detect(const char *data, size_t len, const char *name);

/* Something worth telling about one contact of the file. */
struct import_message {
	int line;
	int64_t contact_id; /* the contact it concerns, 0 for none */
	char *text;
};

#define IMPORT_MAX_MESSAGES 1000

struct import_report {
	int added;     /* new contacts */
	int merged;    /* contacts of the file that were already there (by number) */
	int unchanged; /* of those, how many brought nothing new */
	int skipped;
	struct import_message *skips; /* why, for each skipped contact (up to the max) */
	size_t n_skips;
	struct import_message *notes; /* kept values, left-out data (up to the max) */
	size_t n_notes;
	size_t more_notes;	   /* notes beyond the max, counted only */
	struct record_error error; /* when the file could not be read */
};

/*
 * Imports data[0..len) in one transaction: each contact whose number (same
 * E.164, or same digits) a contact already has is merged into that one,
 * else added. Within the file, a card merges into one an earlier card
 * added only when the names agree (people sharing an office line stay
 * apart); contacts without a number merge with the one contact of the same
 * name that was there before. Merging adds what is missing (numbers, e-mail, company,
 * birthday, fields, tags, notes) and keeps what is there, saying so in the
 * report. Contacts with neither a name nor a number are skipped, with the
 * reason. With dry_run nothing is written. Returns 0 (report filled),
 * -EBADMSG for a file that cannot be read (report->error says where; the
 * database is unchanged), or another -errno from the database (logged;
 * unchanged too). Free the report with db_import_report_finish().
 */
int db_import(struct db *db, const char *data, size_t len, enum import_format format, bool dry_run,
	      struct import_report *report);
void db_import_report_finish(struct import_report *report);

enum export_format {
	EXPORT_VCARD = 0,
	EXPORT_CSV,
};

/*
 * Writes every contact to out (vCard 3.0 or Google's CSV), with numbers and
 * their labels, e-mail, company, birthday, fields, tags and notes (requests
 * and orders marked with their state and times). Writes how many to *count
 * when not NULL. What a file cannot hold as an import reads it back (more
 * numbers than RECORD_MAX_PHONES, a field's name over RECORD_NAME_MAX - 8,
 * a tag with ":::" in CSV ...) is left out of that contact and logged as a
 * warning naming the contact and what. Returns 0, the number of contacts
 * written with something left out, or -errno.
 */
int db_export(struct db *db, enum export_format format, FILE *out, int *count);

#endif
