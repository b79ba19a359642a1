/*
 * Values as address books write them: birthdays in every spelling, phone
 * labels, and text in Windows-1252 or UTF-16 made UTF-8.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "record.h"
#include "utf8.h"

/* Birthdays. */

/* Reads exactly n digits. */
static bool digits(const char **p, int n, int *out) {
	int v = 0;
	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9') {
			return false;
		}
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Reads one to max digits. */
static bool some_digits(const char **p, int max, int *out) {
	int n = 0;
	while (n < max && (*p)[n] >= '0' && (*p)[n] <= '9') {
		n++;
	}
	return n > 0 && digits(p, n, out);
}

/* What may follow a date: nothing, or a time. */
static bool date_end(const char *p) {
	return *p == '\0' || *p == 'T' || *p == 't' || *p == ' ';
}

int record_birthday_parse(const char *in, char out[11]) {
	char buf[48];
	while (*in == ' ' || *in == '\t') {
		in++;
	}
	snprintf(buf, sizeof(buf), "%s", in);
	size_t len = strlen(buf);
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t')) {
		buf[--len] = '\0';
	}
	if (len == 0 || strncmp(buf, "0/0/", 4) == 0) {
		return 0;
	}
	const char *p = buf;
	int y = 0, m = 0, d = 0;
	bool year = true;
	if (p[0] == '-' && p[1] == '-') {
		p += 2;
		year = false;
		if (!digits(&p, 2, &m)) {
			return -EINVAL;
		}
		if (*p == '-') {
			p++;
		}
		if (!digits(&p, 2, &d) || !date_end(p)) {
			return -EINVAL;
		}
	} else if (len >= 8 && strspn(buf, "0123456789") == 8 && date_end(buf + 8)) {
		digits(&p, 4, &y);
		digits(&p, 2, &m);
		digits(&p, 2, &d);
	} else if (digits(&p, 4, &y) && (*p == '-' || *p == '/')) {
		char sep = *p++;
		if (!some_digits(&p, 2, &m) || *p++ != sep || !some_digits(&p, 2, &d) ||
		    !date_end(p)) {
			return -EINVAL;
		}
	} else {
		p = buf;
		int a, c;
		if (!some_digits(&p, 2, &a) || (*p != '/' && *p != '.')) {
			return -EINVAL;
		}
		char sep = *p++;
		if (!some_digits(&p, 2, &c) || *p++ != sep || !some_digits(&p, 4, &y) ||
		    !date_end(p)) {
			return -EINVAL;
		}
		if (y < 100) {
			return -EINVAL; /* a two-digit year is a guess */
		}
		/* Outlook writes month/day (US); dots are day.month. */
		if (sep == '/' && a <= 12) {
			m = a;
			d = c;
		} else {
			d = a;
			m = c;
		}
	}
	if (!civil_month_day_valid(m, d)) {
		return -EINVAL;
	}
	char tmp[32];
	if (!year) {
		snprintf(tmp, sizeof(tmp), "--%02d-%02d", m, d);
		memcpy(out, tmp, 8);
		return 1;
	}
	bool leap = civil_leap(y);
	if (y < 1000 || y > 9999 || (m == 2 && d == 29 && !leap)) {
		return -EINVAL;
	}
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
	memcpy(out, tmp, 11);
	return 1;
}

/* Phone labels. */

static const struct {
	const char *written;
	const char *label;
} labels[] = {
	{"mobile", "mobile"},
	{"cell", "mobile"},
	{"cellular", "mobile"},
	{"mobile phone", "mobile"},
	{"iphone", "mobile"},
	{"work", "work"},
	{"business", "work"},
	{"business phone", "work"},
	{"work phone", "work"},
	{"home", "home"},
	{"home phone", "home"},
	{"main", "main"},
	{"company main phone", "main"},
	{"primary phone", "main"},
	{"fax", "fax"},
	{"other fax", "fax"},
	{"otherfax", "fax"},
	{"work fax", "work fax"},
	{"workfax", "work fax"},
	{"business fax", "work fax"},
	{"home fax", "home fax"},
	{"homefax", "home fax"},
	{"pager", "pager"},
	{"other", "other"},
	{"other phone", "other"},
	{"phone", "phone"},
	{"voice", "phone"},
	{"work mobile", "work mobile"},
	{"home mobile", "home mobile"},
	{"assistant", "assistant"},
	{"assistantphone", "assistant"},
	{"assistant's phone", "assistant"},
	{"car", "car"},
	{"car phone", "car"},
};

const char *record_label_canonical(const char *label) {
	if (label == NULL) {
		return NULL;
	}
	while (*label == '*' || *label == ' ') {
		label++; /* Google marks the primary one "* Mobile" */
	}
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		if (strcasecmp(label, labels[i].written) == 0) {
			return labels[i].label;
		}
	}
	return NULL;
}

/* Character sets. */

static const uint16_t cp1252_high[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
	0x2039, 0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
	0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static size_t put_utf8(uint32_t cp, char *out) {
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *record_from_cp1252(const char *in, size_t len, size_t *outlen) {
	if (len > SIZE_MAX / 3 - 1) {
		errno = E2BIG;
		return NULL;
	}
	char *out = malloc(len * 3 + 1);
	if (out == NULL) {
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		uint32_t cp = c >= 0x80 && c < 0xa0 ? cp1252_high[c - 0x80] : c;
		o += put_utf8(cp, out + o);
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

char *record_to_utf8(const char *in, size_t len, size_t *outlen) {
	if (!utf8_valid(in, len)) {
		return record_from_cp1252(in, len, outlen);
	}
	char *out = malloc(len + 1);
	if (out == NULL) {
		return NULL;
	}
	memcpy(out, in, len);
	out[len] = '\0';
	*outlen = len;
	return out;
}

char *record_fix_utf8(const char *s) {
	size_t len = strlen(s);
	if (utf8_valid(s, len)) {
		return NULL;
	}
	char *out = malloc(len * 3 + 1);
	if (out == NULL) {
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len(s + i, len - i);
		if (n == 0) {
			o += put_utf8(0xfffd, out + o);
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

char *record_from_utf16(const char *in, size_t len, size_t *outlen) {
	const unsigned char *p = (const unsigned char *)in;
	bool le;
	if (len >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		le = true;
	} else if (len >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		le = false;
	} else {
		return NULL;
	}
	char *out = malloc(len / 2 * 3 + 1);
	if (out == NULL) {
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 2; i + 1 < len; i += 2) {
		uint32_t u = le ? (uint32_t)(p[i] | p[i + 1] << 8) : (uint32_t)(p[i] << 8 | p[i + 1]);
		if (u >= 0xd800 && u < 0xdc00 && i + 3 < len) {
			uint32_t v = le ? (uint32_t)(p[i + 2] | p[i + 3] << 8)
					: (uint32_t)(p[i + 2] << 8 | p[i + 3]);
			if (v >= 0xdc00 && v < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
				i += 2;
			} else {
				u = 0xfffd;
			}
		} else if (u >= 0xd800 && u < 0xe000) {
			u = 0xfffd;
		}
		o += put_utf8(u, out + o);
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}
