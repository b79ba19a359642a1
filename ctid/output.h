#ifndef CTID_OUTPUT_H
#define CTID_OUTPUT_H

/* What ctidctl prints: aligned tables and colour on a terminal (NO_COLOR
 * honoured), local dates for people, ISO 8601 for scripts. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TABLE_MAX_COLS 8

struct table {
	int cols;
	const char *headers[TABLE_MAX_COLS];
	char **cells; /* rows * cols, owned */
	size_t rows, cap;
};

void table_init(struct table *t, int cols, const char *const headers[]);
/* Adds a row of cols strings (NULL shows as empty); copies them. */
int table_add(struct table *t, const char *const cells[]);
/* Prints with columns padded to their widest cell; headers bold on a TTY. */
void table_print(const struct table *t, FILE *f);
void table_finish(struct table *t);

/* Puts stdout and stderr, where they are terminals, behind a filter that
 * turns control characters and bidirectional controls into U+FFFD (see
 * guard.c). Once, before anything is printed. */
void output_guard_terminal(void);

/* Whether f is a terminal that wants colour. */
bool output_colour(FILE *f);
/* Escape sequences, or "" when colour is off. */
const char *output_bold(FILE *f);
const char *output_dim(FILE *f);
const char *output_red(FILE *f);
const char *output_reset(FILE *f);

/* "2026-11-27 14:03" in local time; "" for 0. */
void output_time(int64_t t, char *buf, size_t size);
/* "2026-11-27T14:03:05+01:00"; "" for 0. */
void output_iso_time(int64_t t, char *buf, size_t size);
/* "today 14:03", "yesterday 09:12", "3 days ago", "12 Mar 2025" relative to now. */
void output_relative(int64_t t, int64_t now, char *buf, size_t size);

/* How long ago t was, in whole local days: "today", "1 day", "5 days",
 * "3 weeks", "4 months", "2 years". */
void output_age(int64_t t, int64_t now, char *buf, size_t size);
/* Whole local calendar days from t to now (negative when t is later). */
long output_days_between(int64_t t, int64_t now);

/* A number for reading: e164 formatted for region when there is one, else
 * raw as it came (NULL: ""). Truncated to size - 1 and NUL-terminated. */
void output_number(const char *e164, const char *raw, const char *region, char *buf, size_t size);

/* The contact's first number for reading (all: every number, with its
 * label), ", "-separated; "" when none. Cut to size - 1 bytes. */
struct db;
void output_phones(struct db *db, int64_t contact, const char *region, bool all, char *buf,
		   size_t size);

/* Display width of UTF-8 text (code points; wide characters count once). */
size_t output_width(const char *s);

/*
 * The digits a line dials for number as people write it (spaces, dots,
 * dashes, brackets and slashes dropped; digits, +, * and # kept) into out
 * (OUTPUT_DIAL_MAX bytes). False for a letter, nothing to dial, or too long.
 */
#define OUTPUT_DIAL_MAX 40
bool output_dial_digits(const char *number, char out[OUTPUT_DIAL_MAX]);

#endif
