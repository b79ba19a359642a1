#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

void json_init(struct json_writer *w, FILE *f) {
	memset(w, 0, sizeof(*w));
	w->f = f;
}

static void before_value(struct json_writer *w) {
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth]) {
		fputc(',', w->f);
	}
	w->need_comma[w->depth] = true;
}

static void open(struct json_writer *w, char c) {
	before_value(w);
	fputc(c, w->f);
	if (w->depth + 1 < JSON_MAX_DEPTH) {
		w->depth++;
	}
	w->need_comma[w->depth] = false;
}

static void close(struct json_writer *w, char c) {
	fputc(c, w->f);
	if (w->depth > 0) {
		w->depth--;
	}
}

void json_object_begin(struct json_writer *w) {
	open(w, '{');
}

void json_object_end(struct json_writer *w) {
	close(w, '}');
}

void json_array_begin(struct json_writer *w) {
	open(w, '[');
}

void json_array_end(struct json_writer *w) {
	close(w, ']');
}

static const char *json_escape(uint32_t c, char buf[8]) {
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		if (c < 0x20 || c == 0x7f) {
			snprintf(buf, 8, "\\u%04x", (unsigned)c);
			return buf;
		}
		return NULL;
	}
}

void json_write_string(FILE *f, const char *s) {
	fputc('"', f);
	utf8_write_escaped(f, s, json_escape, "\\ufffd");
	fputc('"', f);
}

void json_key(struct json_writer *w, const char *key) {
	before_value(w);
	json_write_string(w->f, key);
	fputc(':', w->f);
	w->after_key = true;
}

void json_string(struct json_writer *w, const char *s) {
	if (s == NULL) {
		json_null(w);
		return;
	}
	before_value(w);
	json_write_string(w->f, s);
}

void json_int(struct json_writer *w, int64_t v) {
	before_value(w);
	fprintf(w->f, "%" PRId64, v);
}

void json_bool(struct json_writer *w, bool v) {
	before_value(w);
	fputs(v ? "true" : "false", w->f);
}

void json_double(struct json_writer *w, double v) {
	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "%.6g", v);
	for (char *p = buf; *p != '\0'; p++) {
		if (*p == ',') {
			*p = '.'; /* a locale's decimal comma is no JSON */
		}
	}
	before_value(w);
	fputs(buf, w->f);
}

void json_null(struct json_writer *w) {
	before_value(w);
	fputs("null", w->f);
}

void json_int_or_null(struct json_writer *w, bool has_value, int64_t v) {
	if (has_value) {
		json_int(w, v);
	} else {
		json_null(w);
	}
}

char *json_capture(void (*write)(struct json_writer *w, const void *a, const void *b),
		   const void *a, const void *b) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) {
		return NULL;
	}
	struct json_writer w;
	json_init(&w, f);
	write(&w, a, b);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int json_text_check(const char *s, size_t len) {
	int depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '\\') {
				if (len - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0) {
					return -EILSEQ;
				}
				i++;
			} else if (s[i] == '"') {
				in_string = false;
			}
		} else if (s[i] == '"') {
			in_string = true;
		} else if (s[i] == '\'' || s[i] == '/') {
			/* not JSON, but json-glib reads single-quoted strings
			 * and comments, where a '"' would have this walk lose
			 * its place in the text */
			return -EINVAL;
		} else if (s[i] == '[' || s[i] == '{') {
			if (++depth > JSON_READ_DEPTH_MAX) {
				return -ELOOP;
			}
		} else if (s[i] == ']' || s[i] == '}') {
			depth--;
		}
	}
	return 0;
}
