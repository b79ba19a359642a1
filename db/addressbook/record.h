#ifndef CTID_RECORD_H
#define CTID_RECORD_H

/*
 * A contact as address books exchange it: what the vCard and CSV parsers
 * produce and what the writers take. Plain data and pure code: nothing here
 * touches the database, a file or the clock, so the parsers can be fed any
 * bytes (tests, fuzzers).
 *
 * Every string of a record is valid UTF-8, trimmed, and lives in the
 * builder's arena: valid only while the record is being handled (during a
 * record_fn call); copy what you keep.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a note is; the same kinds, in the same order, as the database's. */
enum record_note_kind {
	RECORD_NOTE = 0,
	RECORD_REQUEST,
	RECORD_ORDER,
};

/* The longest texts ctid keeps, in bytes of UTF-8: the database's own limits
 * (db/import.c checks that they agree). */
#define RECORD_NAME_MAX	  1024	/* a name, company, e-mail, tag, phone label, field's key */
#define RECORD_NUMBER_MAX 64	/* a phone number as written */
#define RECORD_TEXT_MAX	  65536 /* a note, a field's value */

/*
 * Bounds on what one contact may carry. A contact with more, or with a text
 * longer than the limits above, is refused, never cut: the import stops at
 * its line with the reason.
 */
#define RECORD_MAX_PHONES   64
#define RECORD_MAX_EMAILS   64
#define RECORD_MAX_FIELDS   256
#define RECORD_MAX_TAGS	    256
#define RECORD_MAX_NOTES    100000
#define RECORD_MAX_WARNINGS 16		       /* warnings kept per contact; the rest are counted */
#define RECORD_MAX_TEXT	    (16 * 1024 * 1024) /* bytes of one value as a file writes it */

struct record_phone {
	const char *number; /* as written, e.g. "+44 20 7946 0018" */
	const char *label;  /* "mobile", "work", "home fax", a custom label, or NULL */
	int line;
};

struct record_field {
	const char *key;
	const char *value;
};

struct record_note {
	enum record_note_kind kind;
	const char *text;
	bool open;	 /* requests and orders */
	int64_t created; /* Unix seconds, 0 when the file does not say */
	int64_t closed;	 /* 0 unless closed and the file says when */
};

struct record_warning {
	int line;
	const char *message;
};

struct contact_record {
	int line; /* where the card or row begins, 1-based */
	const char *name;
	const char *company;
	const char *birthday; /* "YYYY-MM-DD", "--MM-DD" or NULL */
	const char *const *emails;
	size_t n_emails;
	const struct record_phone *phones;
	size_t n_phones;
	const struct record_field *fields; /* keys unique */
	size_t n_fields;
	const char *const *tags;
	size_t n_tags;
	const struct record_note *notes; /* oldest first */
	size_t n_notes;
	const struct record_warning *warnings; /* things in the card that were not taken */
	size_t n_warnings;
};

/* Called once per contact; a non-zero return stops parsing and is returned. */
typedef int (*record_fn)(const struct contact_record *r, void *data);

/* Why a file could not be read: the line and a message without it. */
struct record_error {
	int line;
	char message[200];
};

/* Builds one record at a time; reused from one contact to the next. */
struct record_arena_block;

struct record_builder {
	struct record_arena_block *blocks;
	const char **emails;
	struct record_phone *phones;
	struct record_field *fields;
	const char **tags;
	struct record_note *notes;
	struct record_warning *warnings;
	size_t n_emails, n_phones, n_fields, n_tags, n_notes, n_warnings;
	size_t cap_emails, cap_phones, cap_fields, cap_tags, cap_notes;
	int line;
	const char *name, *company, *birthday;
	bool failed; /* out of memory: the record is incomplete */
	/* The first reason the record cannot be taken whole (refused_line > 0). */
	int refused_line;
	char refused[200];
};

void record_builder_init(struct record_builder *b);
/* Forgets the current record (keeps memory for the next); line is where the next begins. */
void record_builder_reset(struct record_builder *b, int line);
void record_builder_finish(struct record_builder *b);
/* The record built so far; valid until the next reset. */
void record_builder_get(const struct record_builder *b, struct contact_record *out);

/*
 * Copies text into the arena. record_line() makes it one line: control
 * characters dropped, blanks collapsed, trimmed. record_text() keeps line
 * breaks (CRLF and CR become LF) and tabs, drops other control characters and
 * trims blank lines and spaces at both ends. Input must be valid UTF-8 (see
 * record_to_utf8). Both return NULL for an empty result (or no memory).
 */
const char *record_line(struct record_builder *b, const char *s, size_t n);
const char *record_text(struct record_builder *b, const char *s, size_t n);
/* A copy of s[0..n) as it is, NUL-terminated. */
char *record_strndup(struct record_builder *b, const char *s, size_t n);
/*
 * The parts of parts[0..n) that are not NULL, joined with sep, in the arena
 * (as they are: clean with record_line/record_text); its length in *len.
 * NULL when there is none (*len 0) or no memory (b->failed set).
 */
char *record_join(struct record_builder *b, const char *const *parts, size_t n, const char *sep,
		  size_t *len);

/* Setters take text already cleaned by record_line/record_text (or NULL, a no-op). */
void record_set_name(struct record_builder *b, const char *name);
void record_set_company(struct record_builder *b, const char *company);
/* Normalises a birthday; one it cannot read is kept out with a warning. */
void record_set_birthday(struct record_builder *b, const char *raw, int line);
void record_add_phone(struct record_builder *b, const char *number, const char *label, int line);
/* Duplicates (case-insensitive) are dropped. */
void record_add_email(struct record_builder *b, const char *email, int line);
/* A key already present gets " 2", " 3" ... appended; duplicates of the same pair are dropped. */
void record_add_field(struct record_builder *b, const char *key, const char *value, int line);
void record_add_tag(struct record_builder *b, const char *tag, int line);
void record_add_note(struct record_builder *b, const struct record_note *n, int line);
/*
 * Adds the notes in text: ctid's own export form (see record_notes_write)
 * becomes its notes with their kinds and times; any other text is one note.
 */
void record_add_notes_text(struct record_builder *b, const char *text, int line);
void record_warn(struct record_builder *b, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Marks the record as one that cannot be taken whole (the first reason is
 * kept): the parser stops with it as the file's error. */
void record_refuse(struct record_builder *b, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Reads a birthday as address books write it: 1970-07-12, 19700712,
 * --07-12, --0712 (no year), each with or without a time after it;
 * 7/12/1970 (Outlook: month first unless the first number is over 12),
 * 12.07.1970, 1970/07/12. Writes "YYYY-MM-DD" or "--MM-DD". Returns 1, 0 for
 * an empty value or Outlook's 0/0/00, -EINVAL when it cannot be read.
 */
int record_birthday_parse(const char *in, char out[11]);

/*
 * Phone labels: label_canonical() returns ctid's own word for a label
 * written by any address book in any case ("Mobile", "CELL", "* Work Fax"
 * become "mobile", "mobile", "work fax"), or NULL for a custom label, which
 * is kept as written.
 */
const char *record_label_canonical(const char *label);

/*
 * Text from a file into UTF-8: valid UTF-8 is copied, anything else is read
 * as Windows-1252 (a superset of ISO-8859-1's printable range). Returns a
 * new string (malloc) and its length in *outlen, or NULL.
 */
char *record_to_utf8(const char *in, size_t len, size_t *outlen);
/* Windows-1252 always, whatever the bytes are. */
char *record_from_cp1252(const char *in, size_t len, size_t *outlen);
/*
 * For writers: NULL when s is valid UTF-8 (write it as it is), else a new
 * copy (malloc) with each bad byte replaced by U+FFFD.
 */
char *record_fix_utf8(const char *s);
/* If data starts with a UTF-16 byte order mark, a new UTF-8 copy; else NULL. */
char *record_from_utf16(const char *in, size_t len, size_t *outlen);

/*
 * ctid's notes as one text, oldest first, each under a marker line:
 *     --- request 2026-03-01T10:00:00Z open
 *     --- order 2026-03-01T10:00:00Z closed 2026-03-04T09:30:00Z
 *     --- note 2026-03-02T08:00:00Z
 * Lines of a note that begin with "---" or "\" get a "\" in front, so a note
 * can say anything. Readable in any address book; record_add_notes_text
 * reads it back. Returns a new string (malloc) or NULL (errno set).
 */
char *record_notes_write(const struct record_note *notes, size_t n);

#endif
