#ifndef CTID_UTF8_H
#define CTID_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

/*
 * Copies text from outside (a modem, a file) into out as valid UTF-8: input
 * that is valid UTF-8 is kept, anything else is read as Latin-1. Control
 * characters are dropped, runs of blanks become one space, and leading and
 * trailing blanks are trimmed. The result is truncated on a character
 * boundary to fit outsz - 1 bytes and always NUL-terminated (outsz > 0).
 * Returns the length written.
 */
size_t utf8_sanitize(const char *in, size_t len, char *out, size_t outsz);

/* Length of the well-formed UTF-8 sequence that starts s[0..len), or 0 if
 * it is malformed. */
size_t utf8_char_len(const char *s, size_t len);

/* Length of the longest prefix of s[0..len) that ends on a character
 * boundary and is at most max bytes. */
size_t utf8_prefix(const char *s, size_t len, size_t max);

/* What an escaping writer puts for an ASCII byte c: a replacement (which may
 * be written into buf, 8 bytes), or NULL for c itself. */
typedef const char *(*utf8_escape_fn)(unsigned char c, char buf[8]);

/* Writes s to f for a format that quotes text (JSON, HTML): ASCII bytes as
 * escape says, well-formed UTF-8 sequences as they are, and each byte that
 * is not UTF-8 as invalid (the format's own spelling of U+FFFD). */
void utf8_write_escaped(FILE *f, const char *s, utf8_escape_fn escape, const char *invalid);

#endif
