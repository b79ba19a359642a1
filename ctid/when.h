#ifndef CTID_WHEN_H
#define CTID_WHEN_H

/* Dates as people and scripts write them, for ctidctl and the web API
 * alike. Each returns false for text that is not such a date. */

#include <stdbool.h>
#include <stdint.h>

/* YYYY-MM-DD, a real date from year 1000. */
bool when_parse_date(const char *s, int *y, int *m, int *d);
/* YYYY-MM-DD, "today", "yesterday" or "Nd" (N days ago): the Unix time of
 * that day's local midnight, which must be after 1 January 1970. */
bool when_parse_since(const char *s, int64_t *out);
/* The same date's end: the next local midnight. */
bool when_parse_until(const char *s, int64_t *out);
/* A birthday, YYYY-MM-DD, MM-DD or --MM-DD ("" clears): writes the stored
 * form (YYYY-MM-DD or --MM-DD). */
bool when_parse_birthday(const char *in, char out[16]);
/* A reminder's date: MM-DD (or --MM-DD) every year (*yearly set, *y 0), or
 * YYYY-MM-DD. */
bool when_parse_reminder(const char *s, int *y, int *m, int *d, bool *yearly);

#endif
