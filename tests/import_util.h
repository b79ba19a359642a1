#ifndef CTID_TEST_IMPORT_UTIL_H
#define CTID_TEST_IMPORT_UTIL_H

/*
 * Records from the contacts parsers, copied out of the callback so tests
 * can look at them afterwards (test_import.c, test_import_csv.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define T_MAX 24

struct tcard {
	int line;
	char *name, *company, *birthday;
	char *emails[T_MAX];
	int n_emails;
	char *numbers[T_MAX], *labels[T_MAX];
	int n_phones;
	char *keys[T_MAX * 2], *values[T_MAX * 2];
	int n_fields;
	char *tags[T_MAX];
	int n_tags;
	struct record_note notes[T_MAX];
	int n_notes;
	char *warnings[T_MAX];
	int warning_lines[T_MAX];
	int n_warnings;
};

struct tcards {
	struct tcard cards[64];
	int n;
	int ret;
	struct record_error err;
};

typedef int (*parse_fn)(const char *data, size_t len, record_fn fn, void *userdata,
			struct record_error *err);

/* Parses len bytes of data (a string when len is -1) into out; returns the parser's result. */
int t_parse(parse_fn parse, const char *data, long len, struct tcards *out);
/* Parses FIXTURES_DIR/contacts/name. */
int t_parse_fixture(parse_fn parse, const char *name, struct tcards *out);
void t_free(struct tcards *c);

/* The label of number in c, "" if c has no such number. */
const char *t_label(const struct tcard *c, const char *number);
/* The value of field key, NULL if none. */
const char *t_field(const struct tcard *c, const char *key);
bool t_has_tag(const struct tcard *c, const char *tag);
/* Tags joined with "|" in order. */
const char *t_tags(const struct tcard *c);
/* Whether any warning contains text. */
bool t_warned(const struct tcard *c, const char *text);

#endif
