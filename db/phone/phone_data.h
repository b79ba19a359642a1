#ifndef CTID_PHONE_DATA_H
#define CTID_PHONE_DATA_H

/*
 * Private to the phone module: the compiled-in region table (phone_data.c, generated from
 * libphonenumber's metadata), the shapes of its rows and the look-ups phone.c and
 * phone_format.c share. Everything here is constant data; nothing is allocated or freed.
 *
 * Digit patterns. Where libphonenumber has a regex that only ever describes a finite set of
 * digit prefixes (international and trunk prefixes, leading digits, emergency numbers), the
 * table holds it expanded into a "digit pattern": alternatives separated by '|', each a
 * sequence of a digit, '.' (any digit) or a set such as "[2-57]"; the last atom may be
 * ".{n}" or ".{n,m}" (n to m more digits). phone.c matches them from the start of a digit
 * string without a regex engine, which keeps phone_normalize() small, allocation-free and
 * fast.
 *
 * Simplifications made when the table was generated (the rest is as libphonenumber has it):
 * - BR: the trunk prefix with an optional carrier selection code is stripped by prefix; the
 *   digit count check stands in for libphonenumber's trailing \d{10,11}.
 * - JP: 000[2569] numbers are not kept apart from the trunk prefix 0.
 * - GA: the 0 dropped before 11, 6x and 7x and eight more digits is never dropped (GA
 *   numbers beginning with 0 are valid as they are).
 * - AR: the mobile "15" infix (0AA 15 NNNN for 9 AA NNNN) is not rewritten.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum phone_region_flags {
	/* The region whose rules format every number of a shared calling code (US for +1). */
	PHONE_REGION_MAIN = 1 << 0,
	/* National numbers may begin with 0 with no trunk prefix, so "(0)" is a digit (IT). */
	PHONE_REGION_LEADING_ZERO = 1 << 1,
};

struct phone_format {
	/* libphonenumber's pattern over the national number; only groups "(\d{n})" and
	 * "(\d{n,m})" occur, which phone.c matches greedily as Java's regexes would. */
	const char *pattern;
	const char *format;  /* "$1 $2 $3" */
	const char *intl;    /* international format; NULL: as format; "NA": not for abroad */
	const char *np_rule; /* replaces the first group in national format, "0$1"; or NULL */
	const char *leading; /* digit pattern the national number starts with; NULL: any */
};

struct phone_region {
	char iso[4];	/* "GB"; "001" for non-geographic codes such as +800 */
	uint16_t cc;	/* country calling code */
	uint16_t flags; /* enum phone_region_flags */
	/* National numbers by their first three digits and how many digits may follow (from
	 * libphonenumber's general description): "[2-9]...{7}" for NANP. */
	const char *shape;
	uint32_t lengths;     /* bit n: an n-digit national number is possible */
	uint32_t local;	      /* bit n: n digits is a local-only number (no area code) */
	const char *idd;      /* international prefixes (digit pattern) */
	const char *np;	      /* national (trunk) prefix written when formatting, or NULL */
	const char *np_parse; /* trunk (and carrier) prefixes to strip; NULL: np */
	/* National numbers of a length that is also local-only elsewhere in the plan (CA 310xxxx,
	 * GB 8001111): only these are national at that length. Digit pattern, whole number. */
	const char *national_also;
	const char *local_rule; /* local numbers completed by prepending local_add (AG: 268) */
	const char *local_add;
	const char *leading;   /* prefixes telling this region apart within a shared code */
	const char *emergency; /* emergency numbers (digit pattern, whole number) */
	uint16_t fmt_first;    /* formats: phone_formats[fmt_first .. fmt_first + fmt_count) */
	uint16_t fmt_count;
};

/* Sorted by iso; the non-geographic entries ("001") come first. */
extern const struct phone_region phone_regions[];
extern const size_t phone_regions_len;

/* Indices into phone_regions sorted by calling code, the main region of a code first. */
extern const uint16_t phone_cc_order[];

extern const struct phone_format phone_formats[];
extern const size_t phone_formats_len;

/*
 * Look-ups shared by phone.c and phone_format.c, defined in phone.c. They return pointers into
 * the constant table (never freed) or NULL.
 */

/* The region for a two-letter code, case-insensitive. */
const struct phone_region *phone_region_find(const char *cc);

/* Reads the calling code at the start of n digits (codes are prefix-free). Returns its length,
 * 0 if none; sets cc and the group phone_cc_order[*first .. *first + *count). */
size_t phone_cc_read(const char *d, size_t n, unsigned *cc, size_t *first, size_t *count);

/* The region a national number belongs to within a calling code group (KZ for +7 7...). */
const struct phone_region *phone_group_region(size_t first, size_t count, const char *d, size_t n);

/* Whether the n digits at d begin with one of the alternatives of a digit pattern. */
bool phone_pattern_starts(const char *pat, const char *d, size_t n);

#endif
