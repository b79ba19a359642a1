#ifndef CTID_PHONE_H
#define CTID_PHONE_H

/*
 * Phone numbers as a person reads them: normalisation to E.164 from the
 * ways people and telcos write numbers, formatting for reading, and the keys
 * the database matches on. Pure: no I/O; the region table is compiled in
 * (generated from libphonenumber's public metadata, see phone_data.c).
 */

#include <stdbool.h>
#include <stddef.h>

#define PHONE_E164_MAX	 17 /* "+" and up to 15 digits, NUL */
#define PHONE_DIGITS_MAX 33
#define PHONE_EXT_MAX	 12

struct phone_number {
	char e164[PHONE_E164_MAX];     /* "" when it cannot be derived */
	char digits[PHONE_DIGITS_MAX]; /* significant digits for suffix matching, see below */
	char ext[PHONE_EXT_MAX];       /* extension, "" if none */
	bool withheld;		       /* P, O, PRIVATE, Unavailable, empty ... */
	bool service;		       /* short/service number (112, 911, 0800 short codes) */
};

/* Returns true if cc is a region the table knows ("GB", "us" — case-insensitive). */
bool phone_region_known(const char *cc);

/* The calling code of a region (44 for GB), or 0 if unknown. */
int phone_region_calling_code(const char *cc);

/*
 * Derives a region from a locale name such as "en_GB.UTF-8" or "uk_UA";
 * writes the upper-case code to out (3 bytes). Returns false for "C",
 * "POSIX", empty or unknown.
 */
bool phone_region_from_locale(const char *locale, char out[3]);

/*
 * Normalises input as written by a person or sent by a telco, in home region
 * (may be NULL or "": then only numbers written with + or an unambiguous
 * international form get an E.164: 00 and a valid number, or 11 or more
 * digits, not beginning with 0, that read as a calling code and a valid
 * number). Accepts spaces, dots, dashes, slashes, brackets, "+44 (0)20",
 * trunk prefixes (0, 8, 1), international prefixes (00, 011, 810 ...),
 * extensions ("ext. 23", "x23", ";ext=23", "#23", ",23"), "tel:" and vanity
 * letters (1-800-FLOWERS, used only when the digits alone make no number).
 * Italian-style regions keep their leading 0. A number is valid when its
 * length and first digits fit the region's plan; a local number (without
 * area code) or an invalid one gets no E.164. Validity is a question for
 * national input only: a number written with "+" is E.164 as it stands when
 * its calling code exists and it has 4 to 15 digits after it, whatever the
 * plan's tables say ("+420 123 456 789").
 *
 * digits is what suffix matching compares: the E.164 digits without "+" when
 * an E.164 was derived, else the digits with leading zeros, the trunk prefix
 * and any international prefix removed. service is set, with the digits as
 * given and no E.164, for the region's emergency numbers and for short codes
 * (national number under 5 digits, or shorter than any number of the region).
 *
 * Returns 0, or -EINVAL for input with no digits that is not a withheld
 * marker (out->withheld is set for those and 0 returned) or for a region the
 * table does not know (check it once with phone_region_known()), -E2BIG for
 * more digits than fit in digits or ext. out is always cleared first.
 */
int phone_normalize(const char *input, const char *region, struct phone_number *out);

/*
 * Formats an E.164 number for reading: national format with the trunk
 * prefix when it belongs to region ("020 7946 0018", "(212) 555-1234"),
 * international format otherwise ("+44 20 7946 0018"). A number of another
 * region with the same calling code is formatted nationally too (+7 KZ from
 * RU), with "1 " in front between NANP countries ("1 (416) 555-0123" from
 * US), as libphonenumber does. Falls back to the input unchanged when it is
 * not E.164. Returns the length written (output truncated to outsz - 1 and
 * NUL-terminated). Uses no regex and allocates nothing.
 */
size_t phone_format(const char *e164, const char *region, char *out, size_t outsz);

/*
 * Writes the region an E.164 number belongs to ("CA" for +1 416 ...) to out
 * (3 bytes). Returns false when the code is unknown or non-geographic (+800).
 */
bool phone_region_of(const char *e164, char out[3]);

/*
 * Writes s reversed into out ("4420..." to "...0244"), for prefix indexes that
 * match on suffixes. With outsz < strlen(s) + 1 the output is cut to
 * outsz - 1 bytes, which keeps the end of s, the part suffix matching needs.
 */
void phone_reverse(const char *s, char *out, size_t outsz);

#endif
