#ifndef CTID_UTF8_H
#define CTID_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

/*
 * Copies text from outside (a modem, a file) into out as valid UTF-8: input
 * that is valid UTF-8 is kept, anything else is read as Latin-1. Control
 * characters and bidirectional embeddings, overrides and isolates (which
 * could turn the text around it) are dropped, runs of blanks become one space, and leading and
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

/* Decodes the character at s[0..len) into *cp; returns its length, or 0
 * (and U+FFFD) for a byte that begins no well-formed sequence. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/* The bidirectional embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069): text from outside that holds one can reverse what is
 * shown after it. */
bool utf8_is_bidi_control(uint32_t cp);
/* Control characters (C0, DEL, C1) and bidirectional controls: what must
 * not reach a terminal, a log or a page as it is. */
bool utf8_is_unsafe(uint32_t cp);

/* What an escaping writer puts for the character cp: a replacement (which
 * may be written into buf, 8 bytes), or NULL for the character itself. */
typedef const char *(*utf8_escape_fn)(uint32_t cp, char buf[8]);

/*
 * Whether s is text to keep: at most max bytes of UTF-8 without control
 * characters (tabs and line breaks allowed when lines is true). Returns 0,
 * -EMSGSIZE when too long or -EILSEQ; NULL is empty text.
 */
int utf8_check_text(const char *s, size_t max, bool lines);

/* Writes s to f for a format that quotes text (JSON, HTML): each character
 * as escape says, and each byte that is not UTF-8 as invalid (the format's
 * own spelling of U+FFFD). */
void utf8_write_escaped(FILE *f, const char *s, utf8_escape_fn escape, const char *invalid);

/* Writes s for a person to read on a terminal or in a log: control
 * characters, bidirectional controls and bytes that are not UTF-8 become
 * U+FFFD, so no text from outside can move the cursor, set a title or turn
 * the line around. Tabs stay, and line breaks when lines is true. */
void utf8_write_safe(FILE *f, const char *s, bool lines);

#endif
