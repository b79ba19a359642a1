#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phone.h"
#include "phone_data.h"

/*
 * Formatting with libphonenumber's national and international formats. Their patterns are only
 * runs of digits ("(\d{3})(\d{4})"), so they are matched by counting, not with a regex.
 */

#define FORMAT_GROUPS 8
#define E164_DIGITS   15

static bool is_digit(char c) {
	return c >= '0' && c <= '9';
}

struct out_buf {
	char *p;
	size_t size, len;
};

static void put(struct out_buf *b, const char *s, size_t n) {
	for (size_t i = 0; i < n && b->len + 1 < b->size; i++) {
		b->p[b->len++] = s[i];
	}
	if (b->size > 0) {
		b->p[b->len] = '\0';
	}
}

static void puts_buf(struct out_buf *b, const char *s) {
	put(b, s, strlen(s));
}

/* Parses "(\d{n})(\d{n,m})..." into bounds. Returns the number of groups, 0 if malformed. */
static size_t groups_parse(const char *p, unsigned lo[], unsigned hi[]) {
	size_t g = 0;
	while (*p) {
		if (g == FORMAT_GROUPS || strncmp(p, "(\\d", 3) != 0) {
			return 0;
		}
		p += 3;
		lo[g] = hi[g] = 1;
		if (*p == '{') {
			char *end;
			lo[g] = hi[g] = (unsigned)strtoul(p + 1, &end, 10);
			if (*end == ',') {
				hi[g] = (unsigned)strtoul(end + 1, &end, 10);
			}
			if (*end != '}') {
				return 0;
			}
			p = end + 1;
		}
		if (*p++ != ')') {
			return 0;
		}
		g++;
	}
	return g;
}

/* Splits n digits into the groups, each as long as it can be (greedy, as a regex would). */
static bool groups_fit(const unsigned lo[], const unsigned hi[], size_t g, size_t n, unsigned len[]) {
	if (g == 0) {
		return n == 0;
	}
	for (unsigned l = hi[0]; l >= lo[0] && l > 0; l--) {
		if (l <= n && groups_fit(lo + 1, hi + 1, g - 1, n - l, len + 1)) {
			len[0] = l;
			return true;
		}
	}
	return false;
}

static const struct phone_format *format_choose(const struct phone_region *r, const char *d,
						size_t n, bool intl, unsigned len[]) {
	for (size_t i = 0; i < r->fmt_count; i++) {
		const struct phone_format *f = &phone_formats[r->fmt_first + i];
		unsigned lo[FORMAT_GROUPS], hi[FORMAT_GROUPS];
		if (intl && f->intl && strcmp(f->intl, "NA") == 0) {
			continue;
		}
		if (f->leading && !phone_pattern_starts(f->leading, d, n)) {
			continue;
		}
		size_t g = groups_parse(f->pattern, lo, hi);
		memset(len, 0, FORMAT_GROUPS * sizeof(len[0]));
		if (g > 0 && groups_fit(lo, hi, g, n, len)) {
			return f;
		}
	}
	return NULL;
}

/* Writes rule with $1..$9 taken from the groups; np_rule stands in for the first group. */
static void format_apply(struct out_buf *b, const char *rule, const char *np_rule, const char *d,
			 const unsigned len[]) {
	size_t start[FORMAT_GROUPS + 1] = {0};
	for (size_t i = 0; i < FORMAT_GROUPS; i++) {
		start[i + 1] = start[i] + len[i];
	}
	for (const char *p = rule; *p; p++) {
		if (p[0] == '$' && p[1] >= '1' && p[1] <= '0' + FORMAT_GROUPS) {
			size_t g = (size_t)(p[1] - '1');
			p++;
			if (np_rule) {
				format_apply(b, np_rule, NULL, d, len);
				np_rule = NULL;
			} else {
				put(b, d + start[g], len[g]);
			}
		} else {
			put(b, p, 1);
		}
	}
}

size_t phone_format(const char *e164, const char *region, char *out, size_t outsz) {
	struct out_buf b = {out, outsz, 0};
	if (outsz > 0) {
		out[0] = '\0';
	}
	if (!e164) {
		return 0;
	}
	size_t n = strlen(e164);
	bool ok = e164[0] == '+' && n >= 3 && n <= E164_DIGITS + 1;
	for (size_t i = 1; ok && i < n; i++) {
		ok = is_digit(e164[i]);
	}
	unsigned cc;
	size_t first, count, cl = ok ? phone_cc_read(e164 + 1, n - 1, &cc, &first, &count) : 0;
	if (cl == 0) {
		puts_buf(&b, e164);
		return b.len;
	}
	const char *d = e164 + 1 + cl;
	size_t dn = n - 1 - cl;
	const struct phone_region *primary = &phone_regions[phone_cc_order[first]];
	const struct phone_region *home = region ? phone_region_find(region) : NULL;
	unsigned len[FORMAT_GROUPS];
	if (home && home->cc == cc) {
		if (cc == 1 && dn == 10 && phone_group_region(first, count, d, dn) != home) {
			puts_buf(&b, "1 "); /* another NANP country: dialled with 1 first */
		}
		const struct phone_format *f = format_choose(primary, d, dn, false, len);
		if (f) {
			format_apply(&b, f->format, f->np_rule, d, len);
		} else {
			put(&b, d, dn); /* no pattern fits: as libphonenumber, the bare number */
		}
		return b.len;
	}
	put(&b, e164, 1 + cl);
	const struct phone_format *f = format_choose(primary, d, dn, true, len);
	put(&b, " ", 1);
	if (f) {
		format_apply(&b, f->intl ? f->intl : f->format, NULL, d, len);
	} else {
		put(&b, d, dn);
	}
	return b.len;
}

bool phone_region_of(const char *e164, char out[3]) {
	size_t n = e164 ? strlen(e164) : 0;
	unsigned cc;
	size_t first, count;
	if (n < 3 || e164[0] != '+' || !is_digit(e164[1])) {
		return false;
	}
	for (size_t i = 1; i < n; i++) {
		if (!is_digit(e164[i])) {
			return false;
		}
	}
	size_t cl = phone_cc_read(e164 + 1, n - 1, &cc, &first, &count);
	if (cl == 0) {
		return false;
	}
	const struct phone_region *r = phone_group_region(first, count, e164 + 1 + cl, n - 1 - cl);
	if (r->iso[2] != '\0') {
		return false; /* non-geographic, such as +800 */
	}
	memcpy(out, r->iso, 3);
	return true;
}
