/*
 * Building one contact record: the arena its strings live in, cleaning of
 * text from files, and the lists with their bounds and duplicates.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	b->refused_line = 0;
	b->refused[0] = '\0';
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

char *record_join(struct record_builder *b, const char *const *parts, size_t n, const char *sep,
		  size_t *len) {
	size_t total = 0, seplen = strlen(sep);
	for (size_t i = 0; i < n; i++) {
		total += parts[i] != NULL ? strlen(parts[i]) + seplen : 0;
	}
	*len = 0;
	if (total == 0) {
		return NULL;
	}
	char *out = arena_alloc(b, total + 1);
	if (out == NULL) {
		b->failed = true;
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (parts[i] == NULL) {
			continue;
		}
		if (o > 0) {
			memcpy(out + o, sep, seplen);
			o += seplen;
		}
		size_t m = strlen(parts[i]);
		memcpy(out + o, parts[i], m);
		o += m;
	}
	out[o] = '\0';
	*len = o;
	return out;
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
	/* The parsers refuse longer values before they get here. */
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

void record_refuse(struct record_builder *b, int line, const char *fmt, ...) {
	if (b->refused_line > 0) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	vsnprintf(b->refused, sizeof(b->refused), fmt, args);
	va_end(args);
	b->refused[utf8_prefix(b->refused, strlen(b->refused), sizeof(b->refused) - 1)] = '\0';
	b->refused_line = line > 0 ? line : b->line;
}

/* Whether text fits in max bytes; refuses the record when it does not. */
static bool fits(struct record_builder *b, const char *what, const char *text, size_t max, int line) {
	size_t n = text != NULL ? strlen(text) : 0;
	if (n <= max) {
		return true;
	}
	record_refuse(b, line, "%s is %zu bytes long; ctid keeps up to %zu", what, n, max);
	return false;
}

/* Grows *array to hold one more element of size elem; false when full or out of memory. */
static bool grow(struct record_builder *b, void **array, size_t *cap, size_t n, size_t elem,
		 size_t max, int line, const char *what) {
	if (n >= max) {
		record_refuse(b, line, "more than %zu %s on one contact; ctid keeps up to %zu", max,
			      what, max);
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
	if (name != NULL && fits(b, "the name", name, RECORD_NAME_MAX, 0)) {
		b->name = name;
	}
}

void record_set_company(struct record_builder *b, const char *company) {
	if (company != NULL && fits(b, "the company", company, RECORD_NAME_MAX, 0)) {
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
	if (number == NULL || !fits(b, "a phone number", number, RECORD_NUMBER_MAX, line) ||
	    !fits(b, "a phone label", label, RECORD_NAME_MAX, line)) {
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
	if (!fits(b, "an e-mail address", email, RECORD_NAME_MAX, line)) {
		return;
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
	if (key == NULL || value == NULL ||
	    !fits(b, "a field's name", key, RECORD_NAME_MAX - 8, line) ||
	    !fits(b, "a field's value", value, RECORD_TEXT_MAX, line)) {
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
		char numbered[RECORD_NAME_MAX + 1]; /* the key has room for " 99" */
		for (int k = 2; k < 100; k++) {
			snprintf(numbered, sizeof(numbered), "%s %d", key, k);
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
	if (tag == NULL || !fits(b, "a tag", tag, RECORD_NAME_MAX, line)) {
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
	if (n->text == NULL || !fits(b, "a note", n->text, RECORD_TEXT_MAX, line)) {
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
