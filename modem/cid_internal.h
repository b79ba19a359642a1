#ifndef CTID_CID_INTERNAL_H
#define CTID_CID_INTERNAL_H

/*
 * Shared between the cid_*.c files; not part of the module's interface.
 * Each dialect parser gets one cleaned line (no line ending, no NUL, no DLE
 * pairs, blanks trimmed) and either claims it, emitting its events through
 * the sink, or returns false so the next one can try.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cid.h"

struct cid_sink {
	cid_event_fn fn;
	void *data;
	size_t count;
	/* The parser's pending ring cadence (DRON/DROF), or NULL without a parser. */
	char *cadence;
	size_t cadence_size;
};

/* Clears ev and marks its date fields unknown. */
void cid_event_init(struct cid_event *ev, enum cid_event_type type);
/* Calls the sink's callback; a RING takes the pending cadence. */
void cid_emit(struct cid_sink *s, struct cid_event *ev);
/* Emits an event of type with the source line as its text. */
void cid_emit_simple(struct cid_sink *s, enum cid_event_type type, const char *line, size_t len);
/* Emits CID_EV_ERROR with a printf-style explanation. */
void cid_emit_error(struct cid_sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies at most len bytes of s into out (size outsz), always terminated. */
void cid_copy(char *out, size_t outsz, const char *s, size_t len);
/* Trims blanks and control characters at both ends of s[0..*len). */
const char *cid_trim(const char *s, size_t *len);
/* Whether s[0..len) starts with prefix. */
bool cid_prefix(const char *s, size_t len, const char *prefix);
/* Same, ignoring ASCII case. */
bool cid_prefix_ci(const char *s, size_t len, const char *prefix);

/*
 * Whether a number or name field holds one of the special values telcos and
 * modems use instead of data (P, O, PRIVATE, OUT OF AREA, ANONYMOUS, ...).
 */
enum call_withheld cid_special_value(const char *s, size_t len);
/*
 * Fills ev->number from a number field: digits and a leading '+' are kept.
 * A special value, or a field without a digit, sets ev->withheld instead.
 */
void cid_set_number(struct cid_event *ev, const char *s, size_t len);
/* Fills ev->name (valid UTF-8), or ev->withheld for a special value. */
void cid_set_name(struct cid_event *ev, const char *s, size_t len);
/* Fills a called number: digits and '+' only, "" if none. */
void cid_set_called(struct cid_event *ev, const char *s, size_t len);

/* Validates and stores a date; fields that are -1 are unknown. */
bool cid_date_valid(int month, int day);
bool cid_time_valid(int hour, int minute);
/* Reads n decimal digits at s; -1 if any is not a digit. */
int cid_digits(const char *s, size_t n);

/*
 * Decodes hex text (blanks between digits allowed) into out. Returns the
 * byte count, or -1 when s is not an even run of hex digits or too long.
 */
int cid_hex_decode(const char *s, size_t len, uint8_t *out, size_t outsz);
/* Writes len bytes as upper-case hex into out (always terminated). */
void cid_hex_encode(const uint8_t *buf, size_t len, char *out, size_t outsz);

/* Dialect parsers: true when the line was theirs (events emitted). */
bool cid_parse_gsm(struct cid_sink *s, const char *line, size_t len);
bool cid_parse_text(struct cid_sink *s, const char *line, size_t len);
bool cid_parse_hex_line(struct cid_sink *s, const char *line, size_t len);
/* A MESG value: emits CID_EV_MESG, then any parameter it can decode. */
void cid_parse_mesg(struct cid_sink *s, const char *val, size_t len);
/* Parses one cleaned line with the given sink (shared by feed and parse_line). */
void cid_parse_clean_line(struct cid_sink *s, const char *line, size_t len);

#endif
