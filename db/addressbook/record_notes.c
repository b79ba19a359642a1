/*
 * ctid's notes, requests and orders as one text with a marker line before
 * each, so they travel in a single NOTE or Notes cell and come back whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"

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
		sbuf_str(&out, kind_words[note->kind <= RECORD_ORDER ? note->kind : 0]);
		if (note->created > 0) {
			iso_utc(note->created, when);
			sbuf_str(&out, " ");
			sbuf_str(&out, when);
		}
		if (note->kind != RECORD_NOTE) {
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
	*n = (struct record_note){.kind = RECORD_NOTE};
	int kind = -1;
	for (int k = 0; k <= RECORD_ORDER; k++) {
		if (tlen[0] == strlen(kind_words[k]) && memcmp(tok[0], kind_words[k], tlen[0]) == 0) {
			kind = k;
		}
	}
	if (kind < 0) {
		return false;
	}
	n->kind = (enum record_note_kind)kind;
	n->open = kind != RECORD_NOTE;
	size_t t = 1;
	if (t < count && parse_utc(tok[t], tlen[t], &n->created)) {
		t++;
	}
	if (t < count && kind != RECORD_NOTE) {
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
	if (n->text == NULL && n->kind == RECORD_NOTE) {
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
		struct record_note plain = {.kind = RECORD_NOTE, .text = text};
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
