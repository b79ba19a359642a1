#ifndef CTID_UTF8_H
#define CTID_UTF8_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
