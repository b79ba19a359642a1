#ifndef CTID_JSON_H
#define CTID_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16
/* Arrays and objects in one another that JSON read from outside may have. */
#define JSON_READ_DEPTH_MAX 32

/*
 * A streaming JSON writer: commas and nesting are tracked so callers only
 * say what comes next. Output is compact, one value per json_writer; strings
 * are escaped and invalid UTF-8 is replaced by U+FFFD.
 */
struct json_writer {
	FILE *f;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json_writer *w, FILE *f);

/*
 * Checks JSON text from outside before a parser reads it: -ELOOP when
 * arrays and objects nest deeper than JSON_READ_DEPTH_MAX (json-glib
 * parses recursively, and 100,000 brackets, 200 KB, ran it out of stack),
 * -EILSEQ when a string holds \u0000 (which a C string would end at,
 * cutting the text short without a word), -EINVAL for a single quote or
 * a slash outside a string (not JSON; json-glib would read them as a
 * string or a comment, which may hide the brackets counted), else 0.
 */
int json_text_check(const char *s, size_t len);

/* Runs write(w, a, b) on a fresh writer; returns what it wrote as a new
 * string the caller frees, or NULL when out of memory. */
char *json_capture(void (*write)(struct json_writer *w, const void *a, const void *b),
		   const void *a, const void *b);
void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
/* A NULL string is written as null. */
void json_string(struct json_writer *w, const char *s);
void json_int(struct json_writer *w, int64_t v);
void json_bool(struct json_writer *w, bool v);
/* A finite number with up to 6 significant digits (null when not finite). */
void json_double(struct json_writer *w, double v);
void json_null(struct json_writer *w);
/* Writes an int, or null when has_value is false. */
void json_int_or_null(struct json_writer *w, bool has_value, int64_t v);

/* Writes s as a quoted JSON string to f. */
void json_write_string(FILE *f, const char *s);

#endif
