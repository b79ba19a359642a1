#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "record.h"
#include "utf8.h"

/* Strings of one record live in blocks freed together when the next begins. */
struct record_arena_block {
	struct record_arena_block *next;
	size_t size, used;
	char data[];
};

#define ARENA_BLOCK 16384

static char *arena_alloc(struct record_builder *b, size_t n) {
	struct record_arena_block *blk = b->blocks;
	if (blk == NULL || blk->size - blk->used < n) {
		size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		blk = malloc(sizeof(*blk) + size);
		if (blk == NULL) {
			b->failed = true;
			return NULL;
		}
		blk->size = size;
		blk->used = 0;
		blk->next = b->blocks;
		b->blocks = blk;
	}
	char *p = blk->data + blk->used;
	blk->used += n;
	return p;
}

void record_builder_init(struct record_builder *b) {
	memset(b, 0, sizeof(*b));
}

void record_builder_reset(struct record_builder *b, int line) {
	/* Keep the newest block (the one most likely to be big enough). */
	if (b->blocks != NULL) {
		struct record_arena_block *rest = b->blocks->next;
		while (rest != NULL) {
			struct record_arena_block *next = rest->next;
			free(rest);
			rest = next;
		}
		b->blocks->next = NULL;
		b->blocks->used = 0;
	}
	b->n_emails = b->n_phones = b->n_fields = b->n_tags = b->n_notes = b->n_warnings = 0;
	b->name = b->company = b->birthday = NULL;
	b->failed = false;
	b->line = line;
}

void record_builder_finish(struct record_builder *b) {
	record_builder_reset(b, 0);
	free(b->blocks);
	free(b->emails);
	free(b->phones);
	free(b->fields);
	free(b->tags);
	free(b->notes);
	free(b->warnings);
	memset(b, 0, sizeof(*b));
}

void record_builder_get(const struct record_builder *b, struct contact_record *out) {
	*out = (struct contact_record){
		.line = b->line,
		.name = b->name,
		.company = b->company,
		.birthday = b->birthday,
		.emails = b->emails,
		.n_emails = b->n_emails,
		.phones = b->phones,
		.n_phones = b->n_phones,
		.fields = b->fields,
		.n_fields = b->n_fields,
		.tags = b->tags,
		.n_tags = b->n_tags,
		.notes = b->notes,
		.n_notes = b->n_notes,
		.warnings = b->warnings,
		.n_warnings = b->n_warnings,
	};
}

char *record_strndup(struct record_builder *b, const char *s, size_t n) {
	char *p = arena_alloc(b, n + 1);
	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Reads one code point; malformed bytes come back as 0xfffd, one at a time. */
static uint32_t next_cp(const unsigned char *s, size_t len, size_t *n) {
	*n = utf8_char_len((const char *)s, len);
	if (*n == 0) {
		*n = 1;
		return 0xfffd;
	}
	uint32_t cp = *n == 1 ? s[0] : s[0] & (0xff >> (*n + 1));
	for (size_t i = 1; i < *n; i++) {
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	return cp;
}

static bool is_control(uint32_t cp) {
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0xfeff;
}

static const char *clean(struct record_builder *b, const char *s, size_t n, bool multiline) {
	if (s == NULL) {
		return NULL;
	}
	if (n > RECORD_MAX_TEXT) {
		n = utf8_prefix(s, n, RECORD_MAX_TEXT);
	}
	char *out = arena_alloc(b, n + 1);
	if (out == NULL) {
		return NULL;
	}
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0;
	size_t line_start = 0; /* where the output's current line begins */
	bool space = false;    /* a blank is pending (one line) */
	while (i < n) {
		size_t k;
		uint32_t cp = next_cp(p + i, n - i, &k);
		if (multiline && (cp == '\r' || cp == '\n')) {
			i += k;
			if (cp == '\r' && i < n && p[i] == '\n') {
				i++;
			}
			while (o > line_start && out[o - 1] == ' ') {
				o--; /* trailing blanks of a line */
			}
			if (o > 0) {
				out[o++] = '\n';
			}
			line_start = o;
			continue;
		}
		if (cp == ' ' || cp == 0xa0 || (cp == '\t' && !multiline) || cp == '\r' ||
		    cp == '\n') {
			i += k;
			if (multiline) {
				if (o > 0) {
					out[o++] = ' '; /* indentation and spacing of notes stay */
				}
			} else {
				space = o > 0;
			}
			continue;
		}
		if (is_control(cp) && cp != '\t') {
			i += k;
			continue;
		}
		if (space) {
			out[o++] = ' ';
			space = false;
		}
		if (cp == 0xfffd && k == 1) {
			/* a bad byte: the replacement character, while it fits */
			if (o + 3 <= n) {
				memcpy(out + o, "\xef\xbf\xbd", 3);
				o += 3;
			}
		} else {
			memcpy(out + o, s + i, k);
			o += k;
		}
		i += k;
	}
	/* trailing blanks and blank lines */
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\n' || out[o - 1] == '\t')) {
		o--;
	}
	out[o] = '\0';
	return o > 0 ? out : NULL;
}

const char *record_line(struct record_builder *b, const char *s, size_t n) {
	return clean(b, s, n, false);
}

const char *record_text(struct record_builder *b, const char *s, size_t n) {
	return clean(b, s, n, true);
}

void record_warn(struct record_builder *b, int line, const char *fmt, ...) {
	if (b->n_warnings >= RECORD_MAX_WARNINGS) {
		return;
	}
	if (b->warnings == NULL) {
		b->warnings = calloc(RECORD_MAX_WARNINGS, sizeof(*b->warnings));
		if (b->warnings == NULL) {
			b->failed = true;
			return;
		}
	}
	char msg[256];
	va_list args;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	/* the message quotes the file: keep it valid UTF-8 */
	size_t len = utf8_prefix(msg, strlen(msg), sizeof(msg) - 1);
	const char *copy = record_strndup(b, msg, len);
	if (copy != NULL) {
		b->warnings[b->n_warnings++] = (struct record_warning){line, copy};
	}
}

/* Grows *array to hold one more element of size elem; false when full or out of memory. */
static bool grow(struct record_builder *b, void **array, size_t *cap, size_t n, size_t elem,
		 size_t max, int line, const char *what) {
	if (n >= max) {
		if (n == max) {
			record_warn(b, line, "more than %zu %s; the rest were left out", max, what);
		}
		return false;
	}
	if (n < *cap) {
		return true;
	}
	size_t cap2 = *cap ? *cap * 2 : 8;
	void *p = realloc(*array, cap2 * elem);
	if (p == NULL) {
		b->failed = true;
		return false;
	}
	*array = p;
	*cap = cap2;
	return true;
}

void record_set_name(struct record_builder *b, const char *name) {
	if (name != NULL) {
		b->name = name;
	}
}

void record_set_company(struct record_builder *b, const char *company) {
	if (company != NULL) {
		b->company = company;
	}
}

void record_set_birthday(struct record_builder *b, const char *raw, int line) {
	if (raw == NULL) {
		return;
	}
	char out[11];
	int ret = record_birthday_parse(raw, out);
	if (ret > 0) {
		b->birthday = record_strndup(b, out, strlen(out));
	} else if (ret < 0) {
		record_warn(b, line, "birthday '%.60s' is not a date; left out", raw);
	}
}

void record_add_phone(struct record_builder *b, const char *number, const char *label, int line) {
	if (number == NULL) {
		return;
	}
	for (size_t i = 0; i < b->n_phones; i++) {
		if (strcmp(b->phones[i].number, number) == 0) {
			return;
		}
	}
	if (grow(b, (void **)&b->phones, &b->cap_phones, b->n_phones, sizeof(*b->phones),
		 RECORD_MAX_PHONES, line, "phone numbers")) {
		b->phones[b->n_phones++] = (struct record_phone){number, label, line};
	}
}

void record_add_email(struct record_builder *b, const char *email, int line) {
	if (email == NULL) {
		return;
	}
	if (strncasecmp(email, "mailto:", 7) == 0 && email[7] != '\0') {
		email += 7;
	}
	for (size_t i = 0; i < b->n_emails; i++) {
		if (strcasecmp(b->emails[i], email) == 0) {
			return;
		}
	}
	if (grow(b, (void **)&b->emails, &b->cap_emails, b->n_emails, sizeof(*b->emails),
		 RECORD_MAX_EMAILS, line, "e-mail addresses")) {
		b->emails[b->n_emails++] = email;
	}
}

static bool field_base_is(const char *key, const char *base) {
	size_t n = strlen(base);
	if (strncmp(key, base, n) != 0) {
		return false;
	}
	if (key[n] == '\0') {
		return true;
	}
	/* "address 2" has base "address" */
	if (key[n] != ' ' || key[n + 1] < '2' || key[n + 1] > '9') {
		return false;
	}
	for (const char *p = key + n + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			return false;
		}
	}
	return true;
}

void record_add_field(struct record_builder *b, const char *key, const char *value, int line) {
	if (key == NULL || value == NULL) {
		return;
	}
	bool taken = false;
	for (size_t i = 0; i < b->n_fields; i++) {
		if (field_base_is(b->fields[i].key, key)) {
			if (strcmp(b->fields[i].value, value) == 0) {
				return;
			}
		}
		if (strcmp(b->fields[i].key, key) == 0) {
			taken = true;
		}
	}
	if (taken) {
		char numbered[256];
		for (int k = 2; k < 100; k++) {
			snprintf(numbered, sizeof(numbered), "%.200s %d", key, k);
			bool used = false;
			for (size_t i = 0; i < b->n_fields && !used; i++) {
				used = strcmp(b->fields[i].key, numbered) == 0;
			}
			if (!used) {
				key = record_strndup(b, numbered, strlen(numbered));
				break;
			}
		}
		if (key == NULL) {
			return;
		}
	}
	if (grow(b, (void **)&b->fields, &b->cap_fields, b->n_fields, sizeof(*b->fields),
		 RECORD_MAX_FIELDS, line, "fields")) {
		b->fields[b->n_fields++] = (struct record_field){key, value};
	}
}

void record_add_tag(struct record_builder *b, const char *tag, int line) {
	if (tag == NULL) {
		return;
	}
	for (size_t i = 0; i < b->n_tags; i++) {
		if (strcasecmp(b->tags[i], tag) == 0) {
			return;
		}
	}
	if (grow(b, (void **)&b->tags, &b->cap_tags, b->n_tags, sizeof(*b->tags), RECORD_MAX_TAGS,
		 line, "tags")) {
		b->tags[b->n_tags++] = tag;
	}
}

void record_add_note(struct record_builder *b, const struct record_note *n, int line) {
	if (n->text == NULL) {
		return;
	}
	for (size_t i = 0; i < b->n_notes; i++) {
		if (b->notes[i].kind == n->kind && b->notes[i].created == n->created &&
		    strcmp(b->notes[i].text, n->text) == 0) {
			return;
		}
	}
	if (grow(b, (void **)&b->notes, &b->cap_notes, b->n_notes, sizeof(*b->notes),
		 RECORD_MAX_NOTES, line, "notes")) {
		b->notes[b->n_notes++] = *n;
	}
}

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
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) {
		return -EINVAL;
	}
	char tmp[32];
	if (!year) {
		snprintf(tmp, sizeof(tmp), "--%02d-%02d", m, d);
		memcpy(out, tmp, 8);
		return 1;
	}
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
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

/* ctid's notes in one text. */

static const char *const kind_words[] = {"note", "request", "order"};

static void iso_utc(int64_t t, char out[32]) {
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(out, 32, "1970-01-01T00:00:00Z");
		return;
	}
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", (tm.tm_year + 1900) % 10000,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Reads "YYYY-MM-DDTHH:MM:SSZ" (exactly) into Unix seconds. */
static bool parse_utc(const char *s, size_t n, int64_t *out) {
	if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z') {
		return false;
	}
	const char *p = s;
	int y, mo, d, h, mi, se;
	if (!digits(&p, 4, &y) || !(p++, digits(&p, 2, &mo)) || !(p++, digits(&p, 2, &d)) ||
	    !(p++, digits(&p, 2, &h)) || !(p++, digits(&p, 2, &mi)) || !(p++, digits(&p, 2, &se))) {
		return false;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
		return false;
	}
	struct tm tm = {
		.tm_year = y - 1900,
		.tm_mon = mo - 1,
		.tm_mday = d,
		.tm_hour = h,
		.tm_min = mi,
		.tm_sec = se,
	};
	*out = (int64_t)timegm(&tm);
	return true;
}

/* A growing string for the writers. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n) {
	if (b->failed) {
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		char *p = realloc(b->s, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sbuf_str(struct sbuf *b, const char *s) {
	sbuf_add(b, s, strlen(s));
}

char *record_notes_write(const struct record_note *notes, size_t n) {
	struct sbuf out = {0};
	sbuf_add(&out, "", 0);
	for (size_t i = 0; i < n; i++) {
		const struct record_note *note = &notes[i];
		char when[32];
		if (i > 0) {
			sbuf_str(&out, "\n");
		}
		sbuf_str(&out, "--- ");
		sbuf_str(&out, kind_words[note->kind <= DB_NOTE_ORDER ? note->kind : 0]);
		if (note->created > 0) {
			iso_utc(note->created, when);
			sbuf_str(&out, " ");
			sbuf_str(&out, when);
		}
		if (note->kind != DB_NOTE_NOTE) {
			sbuf_str(&out, note->open ? " open" : " closed");
			if (!note->open && note->closed > 0) {
				iso_utc(note->closed, when);
				sbuf_str(&out, " ");
				sbuf_str(&out, when);
			}
		}
		sbuf_str(&out, "\n");
		const char *p = note->text != NULL ? note->text : "";
		while (*p != '\0') {
			size_t len = strcspn(p, "\n");
			if (*p == '\\' || strncmp(p, "---", 3) == 0) {
				sbuf_str(&out, "\\");
			}
			sbuf_add(&out, p, len);
			p += len;
			if (*p == '\n') {
				sbuf_str(&out, "\n");
				p++;
			}
		}
	}
	if (out.failed) {
		free(out.s);
		errno = ENOMEM;
		return NULL;
	}
	return out.s;
}

/* Reads a marker line ("--- request 2026-03-01T10:00:00Z open") into n. */
static bool parse_marker(const char *s, size_t len, struct record_note *n) {
	if (len < 4 || strncmp(s, "--- ", 4) != 0) {
		return false;
	}
	const char *tok[5];
	size_t tlen[5];
	size_t count = 0;
	const char *p = s + 4, *end = s + len;
	while (p < end) {
		const char *q = memchr(p, ' ', (size_t)(end - p));
		size_t l = q != NULL ? (size_t)(q - p) : (size_t)(end - p);
		if (l == 0 || count == 5) {
			return false;
		}
		tok[count] = p;
		tlen[count++] = l;
		p += l + (q != NULL ? 1 : 0);
		if (q != NULL && p == end) {
			return false; /* a trailing blank */
		}
	}
	if (count == 0) {
		return false;
	}
	*n = (struct record_note){.kind = DB_NOTE_NOTE};
	int kind = -1;
	for (int k = 0; k <= DB_NOTE_ORDER; k++) {
		if (tlen[0] == strlen(kind_words[k]) && memcmp(tok[0], kind_words[k], tlen[0]) == 0) {
			kind = k;
		}
	}
	if (kind < 0) {
		return false;
	}
	n->kind = (enum db_note_kind)kind;
	n->open = kind != DB_NOTE_NOTE;
	size_t t = 1;
	if (t < count && parse_utc(tok[t], tlen[t], &n->created)) {
		t++;
	}
	if (t < count && kind != DB_NOTE_NOTE) {
		if (tlen[t] == 4 && memcmp(tok[t], "open", 4) == 0) {
			t++;
		} else if (tlen[t] == 6 && memcmp(tok[t], "closed", 6) == 0) {
			n->open = false;
			t++;
			if (t < count && parse_utc(tok[t], tlen[t], &n->closed)) {
				t++;
			}
		}
	}
	return t == count;
}

static void finish_note(struct record_builder *b, struct record_note *n, struct sbuf *text, int line) {
	n->text = text->failed ? NULL : record_text(b, text->s, text->len);
	if (n->text == NULL && n->kind == DB_NOTE_NOTE) {
		text->len = 0;
		return;
	}
	if (n->text == NULL) {
		n->text = kind_words[n->kind]; /* an empty request still counts */
	}
	record_add_note(b, n, line);
	text->len = 0;
}

void record_add_notes_text(struct record_builder *b, const char *text, int line) {
	if (text == NULL) {
		return;
	}
	struct record_note n;
	size_t first = strcspn(text, "\n");
	if (!parse_marker(text, first, &n)) {
		struct record_note plain = {.kind = DB_NOTE_NOTE, .text = text};
		record_add_note(b, &plain, line);
		return;
	}
	struct sbuf body = {0};
	sbuf_add(&body, "", 0);
	const char *p = text + first + (text[first] == '\n' ? 1 : 0);
	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		struct record_note next;
		if (parse_marker(p, len, &next)) {
			finish_note(b, &n, &body, line);
			n = next;
		} else {
			if (body.len > 0) {
				sbuf_str(&body, "\n");
			}
			const char *s = p;
			size_t l = len;
			if (l > 0 && s[0] == '\\') {
				s++;
				l--;
			}
			sbuf_add(&body, s, l);
		}
		p += len + (p[len] == '\n' ? 1 : 0);
	}
	finish_note(b, &n, &body, line);
	free(body.s);
}
