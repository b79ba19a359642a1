#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phone.h"
#include "phone_data.h"

/*
 * Normalisation: what a person or a telco wrote, read the way a person dialling from the home
 * region would read it. scan() collects the digits, resolve() decides between international,
 * national and local readings using the region table (phone_data.c). No regex, no allocation.
 */

/* The longest digit run we look at: an international prefix of up to 7 digits and a
 * 15-digit E.164 number fit with room to spare. */
#define SCAN_MAX    (PHONE_DIGITS_MAX - 1)
#define E164_DIGITS 15
/* National numbers shorter than this are short codes, never a contact. */
#define SHORT_CODE_LEN 5

struct scan {
	char d[SCAN_MAX + 1];
	size_t n;
	char ext[PHONE_EXT_MAX];
	bool plus;
	bool letters; /* letters followed the first digit (a vanity number, or a comment) */
	int zero;     /* index in d of a "(0)" written into an international number, or -1 */
};

/* The digits of a national number while it is being rewritten. */
struct nsn {
	char d[SCAN_MAX + 8];
	size_t n;
};

static bool is_digit(char c) {
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char upper(char c) {
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* Whether s begins with prefix, ASCII letters in either case (locale-independent). */
static bool starts_nocase(const char *s, const char *prefix) {
	for (; *prefix; s++, prefix++) {
		if (upper(*s) != upper(*prefix)) {
			return false;
		}
	}
	return true;
}

static bool bit(uint32_t mask, size_t n) {
	return n < 32 && (mask >> n & 1);
}

/* Reads "{n}" or "{n,m}" at p into lo and hi. Returns the length read, 0 if none. */
static size_t repeat_read(const char *p, size_t *lo, size_t *hi) {
	const char *q = p;
	if (*q++ != '{') {
		return 0;
	}
	for (*lo = 0; is_digit(*q); q++) {
		*lo = *lo * 10 + (size_t)(*q - '0');
	}
	*hi = *lo;
	if (*q == ',') {
		for (*hi = 0, q++; is_digit(*q); q++) {
			*hi = *hi * 10 + (size_t)(*q - '0');
		}
	}
	return *q == '}' ? (size_t)(q + 1 - p) : 0;
}

/*
 * Matches a digit pattern (see phone_data.h) against the start of the n digits at s. Returns a
 * mask with bit k set when an alternative matched the first k digits.
 */
static uint32_t pattern_prefixes(const char *pat, const char *s, size_t n) {
	uint32_t found = 0;
	if (!pat) {
		return 0;
	}
	while (*pat) {
		size_t i = 0, lo = 0, hi = 0;
		bool ok = true;
		while (*pat && *pat != '|') {
			size_t len;
			if (!ok) {
				pat++;
			} else if (*pat == '.' && (len = repeat_read(pat + 1, &lo, &hi)) > 0) {
				pat += 1 + len; /* ".{lo,hi}" ends an alternative */
			} else {
				char c = i < n ? s[i] : '\0';
				bool hit = false;
				if (*pat == '[') {
					for (pat++; *pat && *pat != ']'; pat++) {
						if (pat[1] == '-' && pat[2] && pat[2] != ']') {
							hit = hit || (c >= pat[0] && c <= pat[2]);
							pat += 2;
						} else {
							hit = hit || c == *pat;
						}
					}
				} else {
					hit = *pat == '.' ? is_digit(c) : c == *pat;
				}
				if (*pat) {
					pat++;
				}
				ok = hit;
				i++;
			}
		}
		for (size_t k = i + lo; ok && k <= i + hi && k <= n && k < 32; k++) {
			found |= (uint32_t)1 << k;
		}
		if (*pat == '|') {
			pat++;
		}
	}
	return found;
}

static bool pattern_whole(const char *pat, const char *s, size_t n) {
	return bit(pattern_prefixes(pat, s, n), n);
}

bool phone_pattern_starts(const char *pat, const char *s, size_t n) {
	return pattern_prefixes(pat, s, n) != 0;
}

static int region_cmp(const void *key, const void *elem) {
	const char *cc = key;
	const struct phone_region *r = elem;
	return strcmp(cc, r->iso);
}

const struct phone_region *phone_region_find(const char *cc) {
	if (!cc || !is_alpha(cc[0]) || !is_alpha(cc[1]) || cc[2] != '\0') {
		return NULL;
	}
	char key[3] = {upper(cc[0]), upper(cc[1]), '\0'};
	return bsearch(key, phone_regions, phone_regions_len, sizeof(phone_regions[0]), region_cmp);
}

/* The regions sharing calling code cc, main region first: phone_cc_order[*first ..]. */
static size_t cc_group(unsigned cc, size_t *first) {
	size_t lo = 0, hi = phone_regions_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (phone_regions[phone_cc_order[mid]].cc < cc) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	size_t end = lo;
	while (end < phone_regions_len && phone_regions[phone_cc_order[end]].cc == cc) {
		end++;
	}
	*first = lo;
	return end - lo;
}

/* The region of a national number within a calling code group (KZ for +7 7..., else RU). */
const struct phone_region *phone_group_region(size_t first, size_t count, const char *d, size_t n) {
	for (size_t i = 1; i < count; i++) {
		const struct phone_region *r = &phone_regions[phone_cc_order[first + i]];
		if (r->leading && phone_pattern_starts(r->leading, d, n)) {
			return r;
		}
	}
	return &phone_regions[phone_cc_order[first]];
}

/* Reads the calling code at the start of d (codes are prefix-free). Returns its length. */
size_t phone_cc_read(const char *d, size_t n, unsigned *cc, size_t *first, size_t *count) {
	unsigned v = 0;
	for (size_t len = 1; len <= 3 && len < n; len++) {
		v = v * 10 + (unsigned)(d[len - 1] - '0');
		if (v == 0) {
			return 0;
		}
		*count = cc_group(v, first);
		if (*count > 0) {
			*cc = v;
			return len;
		}
	}
	return 0;
}

static size_t shortest(const struct phone_region *r) {
	uint32_t all = r->lengths | r->local;
	for (size_t n = 1; n < 32; n++) {
		if (bit(all, n)) {
			return n;
		}
	}
	return 0;
}

static bool national_valid(const struct phone_region *r, const char *d, size_t n) {
	if (!bit(r->lengths, n) || !bit(pattern_prefixes(r->shape, d, n), n)) {
		return false;
	}
	return !bit(r->local, n) || (r->national_also && pattern_whole(r->national_also, d, n));
}

/* Valid in r's numbering plan, which for a shared code (+1, +7, +44) is the group's. */
static bool plan_valid(const struct phone_region *r, const char *d, size_t n) {
	size_t first;
	if (national_valid(r, d, n)) {
		return true;
	}
	size_t count = cc_group(r->cc, &first);
	const struct phone_region *other = count > 1 ? phone_group_region(first, count, d, n) : r;
	return other != r && national_valid(other, d, n);
}

static bool local_only(const struct phone_region *r, size_t n) {
	return bit(r->local, n);
}

static void nsn_set(struct nsn *v, const char *a, size_t an, const char *b, size_t bn) {
	v->n = 0;
	if (an + bn >= sizeof(v->d)) {
		return;
	}
	memcpy(v->d, a, an);
	memcpy(v->d + an, b, bn);
	v->n = an + bn;
}

/*
 * Finds the trunk (or carrier) prefix to strip from d: the longest that leaves a valid national
 * number (BY "8 0152 ...", RU "8 800 ..." but not "800 ..."), as libphonenumber does; with
 * strict (after a calling code, where people rarely add one), only when d is not valid as it
 * is. Sets valid when the result is valid. Failing that, d is kept when valid as it stands;
 * else the prefix leaving a local number ("1 555 0123") or the shortest that matched is
 * stripped, so the digits of an invalid number come without it. Returns the length to strip.
 */
static size_t trunk_strip(const struct phone_region *r, const char *d, size_t n, bool strict,
			  bool *valid) {
	const char *pat = r->np_parse ? r->np_parse : r->np;
	uint32_t m = pat ? pattern_prefixes(pat, d, n) : 0;
	size_t local = 0, plain = 0;
	if (strict && plan_valid(r, d, n)) {
		*valid = true;
		return 0;
	}
	for (size_t len = 31; len > 0 && m; len--) {
		if (!bit(m, len) || len >= n) {
			continue;
		}
		if (plan_valid(r, d + len, n - len)) {
			*valid = true;
			return len;
		}
		if (!local && local_only(r, n - len)) {
			local = len;
		}
		plain = len;
	}
	*valid = plan_valid(r, d, n);
	if (*valid) {
		return 0;
	}
	return local ? local : plain;
}

static void set_digits(struct phone_number *out, const char *d, size_t n, bool zeros) {
	if (!zeros) {
		while (n > 1 && *d == '0') {
			d++;
			n--;
		}
	}
	if (n >= sizeof(out->digits)) {
		n = sizeof(out->digits) - 1;
	}
	memcpy(out->digits, d, n);
	out->digits[n] = '\0';
}

static bool set_e164(struct phone_number *out, unsigned cc, const char *d, size_t n) {
	char ccs[4];
	size_t cl = 0;
	for (unsigned v = cc; v; v /= 10) {
		ccs[cl++] = (char)('0' + v % 10);
	}
	if (cl + n > E164_DIGITS) {
		return false;
	}
	out->e164[0] = '+';
	for (size_t i = 0; i < cl; i++) {
		out->e164[1 + i] = ccs[cl - 1 - i];
	}
	memcpy(out->e164 + 1 + cl, d, n);
	out->e164[1 + cl + n] = '\0';
	memcpy(out->digits, out->e164 + 1, cl + n + 1);
	return true;
}

/* d is a calling code and national number (after "+" or an international prefix). */
static bool try_international(const char *d, size_t n, int zero, struct phone_number *out) {
	unsigned cc;
	size_t first, count;
	size_t cl = phone_cc_read(d, n, &cc, &first, &count);
	if (cl == 0) {
		return false;
	}
	const char *nd = d + cl;
	size_t nn = n - cl;
	const struct phone_region *primary = &phone_regions[phone_cc_order[first]];
	if (zero == (int)cl && nd[0] == '0' && !(primary->flags & PHONE_REGION_LEADING_ZERO)) {
		nd++; /* "+44 (0)20": the trunk prefix written for national callers */
		nn--;
	} else {
		bool valid;
		size_t cut =
			trunk_strip(phone_group_region(first, count, nd, nn), nd, nn, true, &valid);
		if (valid) {
			nd += cut;
			nn -= cut;
		}
	}
	if (nn == 0 || !plan_valid(phone_group_region(first, count, nd, nn), nd, nn)) {
		return false;
	}
	return set_e164(out, cc, nd, nn);
}

/*
 * A number written with "+" (or sent with GSM's type 145) already says its
 * country: it is E.164 as it stands, whatever the validity tables know of
 * that country's plan, as long as the calling code exists and the length
 * fits (the tables lag behind new ranges and omit special ones). The
 * tables still say where a trunk prefix written by mistake ends.
 */
#define LENIENT_MIN_NSN 4

static bool take_international(const char *d, size_t n, int zero, struct phone_number *out) {
	if (try_international(d, n, zero, out)) {
		return true;
	}
	unsigned cc;
	size_t first, count;
	size_t cl = phone_cc_read(d, n, &cc, &first, &count);
	if (cl == 0 || n - cl < LENIENT_MIN_NSN) {
		return false;
	}
	return set_e164(out, cc, d + cl, n - cl);
}

static void set_service(struct phone_number *out, const char *d, size_t n) {
	out->service = true;
	set_digits(out, d, n, true);
}

static void resolve_home(const struct scan *s, const struct phone_region *home,
			 struct phone_number *out) {
	const char *d = s->d;
	size_t n = s->n;
	unsigned cc;
	size_t first, count;
	if (home->emergency && pattern_whole(home->emergency, d, n)) {
		set_service(out, d, n);
		return;
	}
	uint32_t idd = pattern_prefixes(home->idd, d, n);
	size_t idd_len = 0;
	for (size_t len = 31; len > 0 && idd; len--) {
		if (bit(idd, len) && len < n) {
			idd_len = idd_len ? idd_len : len;
			if (try_international(d + len, n - len, s->zero - (int)len, out)) {
				return;
			}
		}
	}
	struct nsn v;
	bool valid = false;
	if (home->local_rule && pattern_whole(home->local_rule, d, n)) {
		nsn_set(&v, home->local_add, strlen(home->local_add), d, n);
		valid = plan_valid(home, v.d, v.n);
	}
	if (!valid) {
		size_t cut = trunk_strip(home, d, n, false, &valid);
		nsn_set(&v, d + cut, n - cut, "", 0);
	}
	if (valid && set_e164(out, home->cc, v.d, v.n)) {
		return;
	}
	if (v.n < SHORT_CODE_LEN || (!local_only(home, v.n) && v.n <= 6 && v.n < shortest(home))) {
		set_service(out, d, n);
		return;
	}
	if (!local_only(home, v.n) && !idd_len) {
		/* The home code sent without a prefix, as telcos do (RU 7 916 ...), or 00, the
		 * international prefix of most of the world, where it is not home's (US 00 44). */
		if (n > 10 && phone_cc_read(d, n, &cc, &first, &count) > 0 && cc == home->cc &&
		    try_international(d, n, s->zero, out)) {
			return;
		}
		if (d[0] == '0' && d[1] == '0' && try_international(d + 2, n - 2, s->zero - 2, out)) {
			return;
		}
	}
	if (idd_len && !local_only(home, v.n)) {
		set_digits(out, d + idd_len, n - idd_len, false);
	} else {
		set_digits(out, v.d, v.n, false);
	}
}

static void resolve(const struct scan *s, const struct phone_region *home, struct phone_number *out) {
	const char *d = s->d;
	size_t n = s->n;
	memcpy(out->ext, s->ext, sizeof(out->ext));
	if (s->plus) {
		if (!take_international(d, n, s->zero, out)) {
			set_digits(out, d, n, false);
		}
		return;
	}
	if (home) {
		resolve_home(s, home, out);
		return;
	}
	/* No home region: only an international form that cannot be read two ways. */
	if (n < SHORT_CODE_LEN) {
		set_service(out, d, n);
		return;
	}
	if (d[0] == '0' && d[1] == '0' && try_international(d + 2, n - 2, s->zero - 2, out)) {
		return;
	}
	if (d[0] != '0' && n > 10 && try_international(d, n, s->zero, out)) {
		return;
	}
	set_digits(out, d, n, false);
}

/* Length of the UTF-8 separator at p (no-break and thin spaces, dashes), or 0. */
static size_t utf8_separator(const unsigned char *p) {
	if (p[0] == 0xc2 && p[1] == 0xa0) {
		return 2;
	}
	if (p[0] == 0xe2 && p[1] == 0x80 &&
	    ((p[2] >= 0x89 && p[2] <= 0x95) || p[2] == 0xaf || p[2] == 0x8b)) {
		return 3;
	}
	return 0;
}

/* The ASCII for a fullwidth "＋" or digit at p (some phones and address books write them). */
static char fullwidth(const unsigned char *p) {
	if (p[0] != 0xef || p[1] != 0xbc) {
		return '\0';
	}
	if (p[2] == 0x8b) {
		return '+';
	}
	return p[2] >= 0x90 && p[2] <= 0x99 ? (char)('0' + p[2] - 0x90) : '\0';
}

static bool is_separator(char c) {
	return strchr(" \t.-/()[]~'\"", c) != NULL && c != '\0';
}

/* Length of an extension marker at p followed by digits ("ext. 23", "x23", ";ext=23",
 * "#23", ",,23", "доб. 23"), or 0. */
static size_t ext_marker(const char *p) {
	static const char *const markers[] = {
		";ext=", "extension", "extn", "ext", "x", "#", ",", "\xd0\xb4\xd0\xbe\xd0\xb1",
	};
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		if (!starts_nocase(p, markers[i])) {
			continue;
		}
		const char *q = p + strlen(markers[i]);
		/* Dial-string pauses come in runs (",,23"); a word may be followed by ". " or
		 * ": ". A comma and a space start another number, not an extension. */
		const char *skip = *p == ',' ? "," : " .:=";
		while (*q && strchr(skip, *q)) {
			q++;
		}
		if (is_digit(*q)) {
			return (size_t)(q - p);
		}
	}
	return 0;
}

static char keypad(char c) {
	static const char keys[] = "22233344455566677778889999";
	return keys[upper(c) - 'A'];
}

/* Collects digits, "+", "(0)", letters (keypad digits with vanity) and an extension. */
static int scan(const char *p, bool vanity, struct scan *s) {
	memset(s, 0, sizeof(*s));
	s->zero = -1;
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	if (starts_nocase(p, "tel:")) {
		p += 4;
	}
	while (*p) {
		size_t skip;
		char wide = fullwidth((const unsigned char *)p);
		if (wide == '+' && s->n == 0) {
			s->plus = true;
			p += 3;
			continue;
		}
		if (is_digit(wide)) {
			if (s->n >= SCAN_MAX) {
				return -E2BIG;
			}
			s->d[s->n++] = wide;
			p += 3;
			continue;
		}
		if (is_digit(*p) || (vanity && s->n > 0 && is_alpha(*p) && !ext_marker(p))) {
			if (s->n >= SCAN_MAX) {
				return -E2BIG;
			}
			s->letters = s->letters || !is_digit(*p);
			s->d[s->n++] = is_digit(*p) ? *p : keypad(*p);
			p++;
		} else if (*p == '+' && s->n == 0) {
			s->plus = true;
			p++;
		} else if (p[0] == '(' && p[1] == '0' && p[2] == ')' && (s->plus || s->n > 0)) {
			s->zero = (int)s->n;
			s->d[s->n++] = '0';
			p += 3;
		} else if (is_separator(*p)) {
			p++;
		} else if ((skip = utf8_separator((const unsigned char *)p)) > 0) {
			p += skip;
		} else if (s->n > 0 && (skip = ext_marker(p)) > 0) {
			size_t e = 0;
			for (p += skip; is_digit(*p); p++) {
				if (e + 1 >= sizeof(s->ext)) {
					return -E2BIG;
				}
				s->ext[e++] = *p;
			}
			break;
		} else if (s->n == 0 && *p != ';' && *p != ',' && *p != '#') {
			p++; /* a label before the number: "Tel: ", "Mobile " */
		} else {
			s->letters = s->letters || is_alpha(*p);
			break;
		}
	}
	return 0;
}

static bool is_withheld(const char *input) {
	static const char *const markers[] = {
		"P",
		"O",
		"A",
		"PRIVATE",
		"PRIVATE NUMBER",
		"UNAVAILABLE",
		"ANONYMOUS",
		"OUT OF AREA",
		"OUT-OF-AREA",
		"WITHHELD",
		"RESTRICTED",
		"UNKNOWN",
		"NO CALLER ID",
		"-",
	};
	while (*input == ' ' || *input == '\t') {
		input++;
	}
	size_t len = strlen(input);
	while (len > 0 && (input[len - 1] == ' ' || input[len - 1] == '\t' ||
			   input[len - 1] == '\r' || input[len - 1] == '\n')) {
		len--;
	}
	if (len == 0 || starts_nocase(input, "anonymous@") || starts_nocase(input, "sip:anonymous@")) {
		return true;
	}
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		if (strlen(markers[i]) == len && starts_nocase(input, markers[i])) {
			return true;
		}
	}
	return false;
}

bool phone_region_known(const char *cc) {
	return phone_region_find(cc) != NULL;
}

int phone_region_calling_code(const char *cc) {
	const struct phone_region *r = phone_region_find(cc);
	return r ? r->cc : 0;
}

bool phone_region_from_locale(const char *locale, char out[3]) {
	if (!locale) {
		return false;
	}
	/* language[_-]Script?[_-]REGION[.codeset][@modifier], as in "sr_RS@latin" or
	 * "zh-Hant-TW"; the first two-letter subtag after the language is the region. */
	const char *p = locale;
	while (is_alpha(*p)) {
		p++;
	}
	while (*p == '_' || *p == '-') {
		const char *tag = ++p;
		while (is_alpha(*p) || is_digit(*p)) {
			p++;
		}
		if (p - tag == 2 && is_alpha(tag[0]) && is_alpha(tag[1])) {
			char cc[3] = {tag[0], tag[1], '\0'};
			const struct phone_region *r = phone_region_find(cc);
			if (!r) {
				return false;
			}
			memcpy(out, r->iso, 3);
			return true;
		}
	}
	return false;
}

int phone_normalize(const char *input, const char *region, struct phone_number *out) {
	if (!out) {
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (!input) {
		return -EINVAL;
	}
	const struct phone_region *home = NULL;
	if (region && *region && !(home = phone_region_find(region))) {
		return -EINVAL;
	}
	if (is_withheld(input)) {
		out->withheld = true;
		return 0;
	}
	struct scan s;
	int ret = scan(input, false, &s);
	if (ret < 0) {
		return ret;
	}
	if (s.n > 0) {
		resolve(&s, home, out);
	}
	if (s.letters && out->e164[0] == '\0') {
		/* Letters and no number yet: read them on the keypad (1-800-FLOWERS). */
		struct scan v;
		struct phone_number alt = {0};
		if (scan(input, true, &v) == 0 && v.n > s.n) {
			resolve(&v, home, &alt);
			if (alt.e164[0] != '\0') {
				*out = alt;
			}
		}
	}
	return out->digits[0] == '\0' ? -EINVAL : 0;
}

void phone_reverse(const char *s, char *out, size_t outsz) {
	if (outsz == 0) {
		return;
	}
	size_t len = s ? strlen(s) : 0;
	size_t n = len < outsz - 1 ? len : outsz - 1;
	for (size_t i = 0; i < n; i++) {
		out[i] = s[len - 1 - i];
	}
	out[n] = '\0';
}
