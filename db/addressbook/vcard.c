/*
 * vCard reading. Physical lines are joined into logical ones (folding: CRLF
 * and a blank; 2.1 quoted-printable soft breaks: "=" at the end), each is
 * split into group, name, parameters and value, and the value decoded
 * (quoted-printable, CHARSET, backslash escapes). Everything is bounded,
 * and nothing is cut: a logical line longer than MAX_LOGICAL bytes (a photo
 * aside, which is not kept) or a card with more than the record's limits is
 * the file's error, at its line.
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

/* Physical lines end in CRLF, LF or CR. */
static bool phys_peek(const struct parser *ps, const char **s, size_t *n, const char **next) {
	if (ps->p >= ps->end) {
		return false;
	}
	const char *q = ps->p;
	while (q < ps->end && *q != '\n' && *q != '\r') {
		q++;
	}
	*s = ps->p;
	*n = (size_t)(q - ps->p);
	if (q < ps->end) {
		q += (*q == '\r' && q + 1 < ps->end && q[1] == '\n') ? 2 : 1;
	}
	*next = q;
	return true;
}

static bool phys_next(struct parser *ps, const char **s, size_t *n) {
	const char *next;
	if (!phys_peek(ps, s, n, &next)) {
		return false;
	}
	ps->p = next;
	ps->line++;
	return true;
}

static bool buf_add(struct parser *ps, const char *s, size_t n) {
	if (ps->len + n > MAX_LOGICAL) {
		n = ps->len < MAX_LOGICAL ? MAX_LOGICAL - ps->len : 0;
		ps->truncated = true;
	}
	if (ps->len + n + 1 > ps->cap) {
		size_t cap = ps->cap ? ps->cap : 1024;
		while (cap < ps->len + n + 1) {
			cap *= 2;
		}
		char *p = realloc(ps->buf, cap);
		if (p == NULL) {
			return false;
		}
		ps->buf = p;
		ps->cap = cap;
	}
	memcpy(ps->buf + ps->len, s, n);
	ps->len += n;
	ps->buf[ps->len] = '\0';
	return true;
}

static bool is_blank_line(const char *s, size_t n) {
	for (size_t i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t') {
			return false;
		}
	}
	return true;
}

/* 2.1 writers (Nokia, old Outlook) may put base64 lines without indent. */
static bool is_base64_line(const char *s, size_t n) {
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '+' && c != '/' && c != '=' && c != ' ' && c != '\t') {
			return false;
		}
	}
	return n > 0;
}

/* Whether the parameters on the first physical line ask for quoted-printable. */
static bool head_is_qp(const char *s, size_t n) {
	const char *colon = memchr(s, ':', n);
	size_t head = colon != NULL ? (size_t)(colon - s) : n;
	static const char qp[] = "QUOTED-PRINTABLE";
	for (size_t i = 0; i + sizeof(qp) - 1 <= head; i++) {
		if (strncasecmp(s + i, qp, sizeof(qp) - 1) == 0) {
			return true;
		}
	}
	return false;
}

static bool is_end_vcard(const char *s, size_t n) {
	return n >= 9 && strncasecmp(s, "END:VCARD", 9) == 0 && is_blank_line(s + 9, n - 9);
}

/* Splits a logical line into p; false when it has no name or no ':'. */
static bool parse_prop(const char *s, size_t n, struct prop *p) {
	memset(p, 0, sizeof(*p));
	size_t i = 0;
	while (i < n && s[i] != ';' && s[i] != ':') {
		i++;
	}
	if (i == n || i == 0) {
		return false;
	}
	const char *full = s;
	size_t full_len = i;
	const char *dot = NULL;
	for (size_t k = 0; k < full_len; k++) {
		if (full[k] == '.') {
			dot = full + k;
		}
	}
	const char *name = full;
	size_t name_len = full_len;
	if (dot != NULL) {
		p->group = full;
		p->group_len = (size_t)(dot - full);
		name = dot + 1;
		name_len = full_len - p->group_len - 1;
	}
	if (name_len == 0 || name_len >= sizeof(p->name)) {
		return false;
	}
	for (size_t k = 0; k < name_len; k++) {
		p->name[k] = (char)toupper((unsigned char)name[k]);
	}
	while (i < n && s[i] == ';') {
		i++;
		size_t start = i;
		bool quoted = false;
		const char *eq = NULL;
		while (i < n && (quoted || (s[i] != ';' && s[i] != ':'))) {
			if (s[i] == '"') {
				quoted = !quoted;
			} else if (s[i] == '=' && eq == NULL && !quoted) {
				eq = s + i;
			}
			i++;
		}
		if (i == start || p->n_params == MAX_PARAMS) {
			continue;
		}
		struct param *pa = &p->params[p->n_params++];
		if (eq != NULL) {
			pa->name = s + start;
			pa->name_len = (size_t)(eq - (s + start));
			pa->value = eq + 1;
			pa->value_len = (size_t)(s + i - (eq + 1));
		} else {
			pa->value = s + start;
			pa->value_len = i - start;
		}
		/* strip the quotes of a quoted value */
		if (pa->value_len >= 2 && pa->value[0] == '"' && pa->value[pa->value_len - 1] == '"') {
			pa->value++;
			pa->value_len -= 2;
		}
	}
	if (i >= n || s[i] != ':') {
		return false;
	}
	p->value = s + i + 1;
	p->value_len = n - i - 1;
	return true;
}

static void quote(const char *s, size_t n, char *out, size_t outsz) {
	size_t len = utf8_sanitize(s, n < 200 ? n : 200, out, outsz > 41 ? 41 : outsz);
	if (len == 40) {
		snprintf(out + utf8_prefix(out, len, 37), 4, "...");
	}
}

static int handle_line(struct parser *ps, int line, bool *binary) {
	struct prop p;
	*binary = false;
	if (!parse_prop(ps->buf, ps->len, &p)) {
		char q[48];
		quote(ps->buf, ps->len, q, sizeof(q));
		if (!ps->in_card) {
			return vcard_fail(ps, line, "'%s' is not a vCard line", q);
		}
		record_warn(&ps->b, line, "'%s' is not a vCard property; left out", q);
		return 0;
	}
	p.line = line;
	bool is_begin = strcmp(p.name, "BEGIN") == 0, is_end = strcmp(p.name, "END") == 0;
	if (is_begin || is_end) {
		char what[32];
		size_t n = p.value_len;
		while (n > 0 && (p.value[n - 1] == ' ' || p.value[n - 1] == '\t')) {
			n--;
		}
		quote(p.value, n, what, sizeof(what));
		bool vcard = vcard_word_is(p.value, n, "VCARD");
		if (is_begin && vcard && ps->in_card) {
			return vcard_fail(ps, line,
					  "BEGIN:VCARD inside the card begun on line %d (no END:VCARD?)",
					  ps->begin_line);
		}
		if (is_begin && vcard) {
			vcard_begin_card(ps, line);
			return 0;
		}
		if (is_end && vcard && !ps->in_card) {
			return vcard_fail(ps, line, "END:VCARD without BEGIN");
		}
		if (is_end && vcard) {
			return vcard_finish_card(ps);
		}
		return vcard_fail(ps, line, "%s:%s where %s expected", p.name, what,
				  ps->in_card ? "END:VCARD" : "BEGIN:VCARD");
	}
	if (!ps->in_card) {
		char q[48];
		quote(ps->buf, ps->len, q, sizeof(q));
		return vcard_fail(ps, line, "'%s' outside BEGIN:VCARD ... END:VCARD", q);
	}
	vcard_encoding(&p, binary);
	if (ps->truncated && !*binary) {
		return vcard_fail(ps, line,
				  "%s is longer than %d bytes, the most ctid reads in one "
				  "value",
				  p.name, MAX_LOGICAL);
	}
	vcard_take_property(ps, &p);
	return ps->b.failed ? -ENOMEM : 0;
}

static int parse(struct parser *ps) {
	const char *s;
	size_t n;
	bool in_base64 = false;
	while (phys_next(ps, &s, &n)) {
		int line = ps->line;
		if (is_blank_line(s, n)) {
			in_base64 = false;
			continue;
		}
		if (in_base64 && is_base64_line(s, n) && memchr(s, ':', n) == NULL) {
			continue;
		}
		in_base64 = false;
		ps->len = 0;
		ps->truncated = false;
		if (!buf_add(ps, s, n)) {
			return -ENOMEM;
		}
		bool qp = head_is_qp(s, n);
		const char *t, *next;
		size_t tn;
		while (phys_peek(ps, &t, &tn, &next)) {
			if (qp && ps->len > 0 && ps->buf[ps->len - 1] == '=' && !is_end_vcard(t, tn)) {
				ps->len--; /* a soft line break */
			} else if (tn > 0 && (t[0] == ' ' || t[0] == '\t')) {
				/* 2.1 folds as RFC 822 does, keeping the blank */
				if (ps->version != 21) {
					t++;
					tn--;
				}
			} else {
				break;
			}
			if (!buf_add(ps, t, tn)) {
				return -ENOMEM;
			}
			ps->p = next;
			ps->line++;
		}
		bool binary;
		int ret = handle_line(ps, line, &binary);
		if (ret != 0) {
			return ret;
		}
		in_base64 = binary;
	}
	if (ps->in_card) {
		return vcard_fail(ps, ps->begin_line, "BEGIN:VCARD has no END:VCARD");
	}
	return 0;
}

static size_t skip_bom(const char *data, size_t len) {
	return len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

int vcard_parse(const char *data, size_t len, record_fn fn, void *userdata, struct record_error *err) {
	struct parser ps = {.fn_cb = fn, .userdata = userdata, .err = err};
	size_t ulen;
	char *utf8 = record_from_utf16(data, len, &ulen);
	if (utf8 != NULL) {
		data = utf8;
		len = ulen;
	}
	size_t bom = skip_bom(data, len);
	ps.p = data + bom;
	ps.end = data + len;
	record_builder_init(&ps.b);
	int ret = parse(&ps);
	record_builder_finish(&ps.b);
	free(ps.buf);
	free(utf8);
	return ret;
}

bool vcard_detect(const char *data, size_t len) {
	size_t ulen;
	char *utf8 = record_from_utf16(data, len < 256 ? len : 256, &ulen);
	if (utf8 != NULL) {
		bool yes = vcard_detect(utf8, ulen);
		free(utf8);
		return yes;
	}
	size_t i = skip_bom(data, len);
	while (i < len && (data[i] == '\r' || data[i] == '\n' || data[i] == ' ' || data[i] == '\t')) {
		i++;
	}
	return len - i >= 11 && strncasecmp(data + i, "BEGIN:VCARD", 11) == 0;
}
