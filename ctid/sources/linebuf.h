#ifndef CTID_LINEBUF_H
#define CTID_LINEBUF_H

/*
 * Cuts a byte stream into lines at '\n', keeping at most max bytes of a
 * line: a longer one is dropped whole, up to its end, so the line after it
 * is read as it was sent. Pure: the network sources and their fuzz targets
 * share it.
 */

#include <stdbool.h>
#include <stddef.h>

struct linebuf {
	char *buf;
	size_t max;
	size_t len;
	bool skipping; /* in an overlong line: dropping up to its end */
};

/* A line without its '\n' (not NUL-terminated). */
typedef void (*linebuf_fn)(const char *s, size_t len, void *data);

/* Returns 0 or -ENOMEM; linebuf_finish() it. */
int linebuf_init(struct linebuf *lb, size_t max);
void linebuf_finish(struct linebuf *lb);
/* Forgets a line begun (the connection it came on is gone). */
void linebuf_reset(struct linebuf *lb);

/* Hands each whole line of p[0..len) to fn. Returns how many lines began to
 * be dropped for being longer than max. */
size_t linebuf_feed(struct linebuf *lb, const char *p, size_t len, linebuf_fn fn, void *data);

#endif
