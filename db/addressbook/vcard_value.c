/*
 * What a vCard property's value says: its parameters (TYPE, ENCODING,
 * CHARSET), its decoding (quoted-printable, 8-bit charsets, backslash
 * escapes) and its parts; and how the parser reports a file it cannot read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"
#include "vcard_internal.h"

int vcard_fail(struct parser *ps, int line, const char *fmt, ...) {
	if (ps->err != NULL) {
		ps->err->line = line;
		va_list args;
		va_start(args, fmt);
		vsnprintf(ps->err->message, sizeof(ps->err->message), fmt, args);
		va_end(args);
		size_t n = strlen(ps->err->message);
		ps->err->message[utf8_prefix(ps->err->message, n, n)] = '\0';
	}
	return -EBADMSG;
}

bool vcard_word_is(const char *s, size_t n, const char *word) {
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* The value of parameter name (first one), or NULL. */
const struct param *vcard_param_get(const struct prop *p, const char *name) {
	for (size_t i = 0; i < p->n_params; i++) {
		if (p->params[i].name != NULL &&
		    vcard_word_is(p->params[i].name, p->params[i].name_len, name)) {
			return &p->params[i];
		}
	}
	return NULL;
}

static bool bare_is_encoding(const struct param *pa) {
	return pa->name == NULL && (vcard_word_is(pa->value, pa->value_len, "QUOTED-PRINTABLE") ||
				    vcard_word_is(pa->value, pa->value_len, "BASE64") ||
				    vcard_word_is(pa->value, pa->value_len, "8BIT") ||
				    vcard_word_is(pa->value, pa->value_len, "7BIT"));
}

/* Whether TYPE (any of its comma-separated values, or a bare 2.1 parameter) is type. */
bool vcard_has_type(const struct prop *p, const char *type) {
	for (size_t i = 0; i < p->n_params; i++) {
		const struct param *pa = &p->params[i];
		if (pa->name == NULL) {
			if (!bare_is_encoding(pa) && vcard_word_is(pa->value, pa->value_len, type)) {
				return true;
			}
			continue;
		}
		if (!vcard_word_is(pa->name, pa->name_len, "TYPE")) {
			continue;
		}
		const char *v = pa->value, *end = pa->value + pa->value_len;
		while (v < end) {
			const char *comma = memchr(v, ',', (size_t)(end - v));
			size_t l = comma != NULL ? (size_t)(comma - v) : (size_t)(end - v);
			if (l >= 2 && v[0] == '"') {
				v++; /* TYPE="voice,cell" */
				l--;
			}
			if (l > 0 && v[l - 1] == '"') {
				l--;
			}
			if (vcard_word_is(v, l, type)) {
				return true;
			}
			v += l + 1;
			while (v < end && (*v == ',' || *v == '"')) {
				v++;
			}
		}
	}
	return false;
}

int vcard_encoding(const struct prop *p, bool *binary) {
	const struct param *enc = vcard_param_get(p, "ENCODING");
	*binary = false;
	if (enc != NULL) {
		if (vcard_word_is(enc->value, enc->value_len, "QUOTED-PRINTABLE")) {
			return 1;
		}
		*binary = vcard_word_is(enc->value, enc->value_len, "BASE64") ||
			  vcard_word_is(enc->value, enc->value_len, "B");
		return 0;
	}
	for (size_t i = 0; i < p->n_params; i++) {
		const struct param *pa = &p->params[i];
		if (pa->name == NULL && vcard_word_is(pa->value, pa->value_len, "QUOTED-PRINTABLE")) {
			return 1;
		}
		if (pa->name == NULL && vcard_word_is(pa->value, pa->value_len, "BASE64")) {
			*binary = true;
		}
	}
	return 0;
}

static int hexval(char c) {
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = (char)toupper((unsigned char)c);
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Quoted-printable in place (soft breaks were joined while reading lines). */
static size_t qp_decode(char *s, size_t n) {
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			s[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
			continue;
		}
		s[o++] = s[i];
	}
	return o;
}

static bool charset_is_8bit_western(const char *s, size_t n) {
	static const char *const names[] = {
		"ISO-8859-1", "ISO8859-1", "LATIN1", "ISO-8859-15", "WINDOWS-1252",
		"CP1252",     "US-ASCII",  "ASCII",  "ISO_8859-1",  "ANSI_X3.4-1968",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (vcard_word_is(s, n, names[i])) {
			return true;
		}
	}
	return false;
}

/*
 * The value as UTF-8 text, still with its backslash escapes; in the
 * builder's arena. NULL for binary values and empty ones.
 */
char *vcard_decode_value(struct parser *ps, const struct prop *p, size_t *outlen) {
	bool binary;
	int qp = vcard_encoding(p, &binary);
	if (binary || p->value_len == 0) {
		return NULL;
	}
	char *raw = record_strndup(&ps->b, p->value, p->value_len);
	if (raw == NULL) {
		return NULL;
	}
	size_t n = qp ? qp_decode(raw, p->value_len) : p->value_len;
	raw[n] = '\0';
	const struct param *cs = vcard_param_get(p, "CHARSET");
	bool western = cs != NULL && charset_is_8bit_western(cs->value, cs->value_len);
	if (!western && utf8_valid(raw, n)) {
		*outlen = n;
		return raw;
	}
	if (cs != NULL && !western && !vcard_word_is(cs->value, cs->value_len, "UTF-8") &&
	    !vcard_word_is(cs->value, cs->value_len, "UTF8")) {
		record_warn(&ps->b, p->line, "CHARSET=%.*s is not supported; read as Windows-1252",
			    (int)(cs->value_len < 30 ? cs->value_len : 30), cs->value);
	}
	size_t m;
	char *conv = record_from_cp1252(raw, n, &m);
	if (conv == NULL) {
		ps->b.failed = true;
		return NULL;
	}
	char *out = record_strndup(&ps->b, conv, m);
	free(conv);
	*outlen = m;
	return out;
}

/* Text escapes (RFC 6350 3.4): \\ \, \; \n \N, and \: which Google writes in URLs. */
static size_t unescape(const char *s, size_t n, char *out) {
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			char c = s[i + 1];
			if (c == 'n' || c == 'N') {
				out[o++] = '\n';
				i++;
				continue;
			}
			if (c == '\\' || c == ',' || c == ';' || c == ':') {
				out[o++] = c;
				i++;
				continue;
			}
		}
		out[o++] = s[i];
	}
	return o;
}

/*
 * Splits value on unescaped sep characters (any of seps) into up to max
 * components, each unescaped and copied into the arena (NULL when empty).
 * Returns the number of components.
 */
size_t vcard_split(struct parser *ps, const char *s, size_t n, const char *seps, const char **out,
		   size_t max, bool multiline) {
	size_t count = 0;
	size_t start = 0;
	char *tmp = malloc(n + 1);
	if (tmp == NULL) {
		ps->b.failed = true;
		return 0;
	}
	for (size_t i = 0; count < max; i++) {
		if (i + 1 < n && s[i] == '\\') {
			i++;
			continue;
		}
		/* the last component takes the rest */
		bool last = count + 1 == max;
		if (i >= n || (!last && s[i] != '\0' && memchr(seps, s[i], strlen(seps)) != NULL)) {
			size_t end = i < n ? i : n;
			size_t m = unescape(s + start, end - start, tmp);
			out[count++] = multiline ? record_text(&ps->b, tmp, m)
						 : record_line(&ps->b, tmp, m);
			start = i + 1;
			if (i >= n) {
				break;
			}
		}
	}
	free(tmp);
	return count;
}

/* The whole value unescaped (one component). */
const char *vcard_text_value(struct parser *ps, const struct prop *p, bool multiline) {
	size_t n;
	char *v = vcard_decode_value(ps, p, &n);
	if (v == NULL) {
		return NULL;
	}
	size_t m = unescape(v, n, v);
	return multiline ? record_text(&ps->b, v, m) : record_line(&ps->b, v, m);
}

/* A short, printable quote of a line for error messages. */
