/*
 * vCard reading. Physical lines are joined into logical ones (folding: CRLF
 * and a blank; 2.1 quoted-printable soft breaks: "=" at the end), each is
 * split into group, name, parameters and value, and the value decoded
 * (quoted-printable, CHARSET, backslash escapes). Everything is bounded:
 * a logical line keeps at most MAX_LOGICAL bytes, a card a fixed number of
 * properties of each kind.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"
#include "vcard.h"

#define MAX_LOGICAL (1024 * 1024)
#define MAX_PARAMS  24
#define MAX_PENDING 128 /* grouped properties waiting for their X-ABLabel */

struct param {
	const char *name; /* NULL for a bare 2.1 parameter ("TEL;CELL:") */
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct prop {
	const char *group;
	size_t group_len;
	char name[40]; /* upper case */
	struct param params[MAX_PARAMS];
	size_t n_params;
	const char *value;
	size_t value_len;
	int line;
};

/* A property whose label may come from an X-ABLabel of the same group. */
struct pending {
	enum { PENDING_PHONE, PENDING_FIELD, PENDING_LABEL } kind;
	const char *group;
	const char *value;
	const char *label; /* the phone's label from TYPE, or the field's key */
	int line;
};

struct parser {
	const char *p, *end;
	int line; /* number of the last physical line read */
	char *buf;
	size_t len, cap;
	bool truncated;
	struct record_builder b;
	bool in_card;
	int begin_line;
	int version; /* 21, 30, 40 */
	const char *fn, *n_name;
	bool have_org;
	struct pending pending[MAX_PENDING];
	size_t n_pending;
	record_fn fn_cb;
	void *userdata;
	struct record_error *err;
};

static int fail(struct parser *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, int line, const char *fmt, ...) {
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

static bool word_is(const char *s, size_t n, const char *word) {
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* The value of parameter name (first one), or NULL. */
static const struct param *param_get(const struct prop *p, const char *name) {
	for (size_t i = 0; i < p->n_params; i++) {
		if (p->params[i].name != NULL &&
		    word_is(p->params[i].name, p->params[i].name_len, name)) {
			return &p->params[i];
		}
	}
	return NULL;
}

static bool bare_is_encoding(const struct param *pa) {
	return pa->name == NULL && (word_is(pa->value, pa->value_len, "QUOTED-PRINTABLE") ||
				    word_is(pa->value, pa->value_len, "BASE64") ||
				    word_is(pa->value, pa->value_len, "8BIT") ||
				    word_is(pa->value, pa->value_len, "7BIT"));
}

/* Whether TYPE (any of its comma-separated values, or a bare 2.1 parameter) is type. */
static bool has_type(const struct prop *p, const char *type) {
	for (size_t i = 0; i < p->n_params; i++) {
		const struct param *pa = &p->params[i];
		if (pa->name == NULL) {
			if (!bare_is_encoding(pa) && word_is(pa->value, pa->value_len, type)) {
				return true;
			}
			continue;
		}
		if (!word_is(pa->name, pa->name_len, "TYPE")) {
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
			if (word_is(v, l, type)) {
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

static int encoding(const struct prop *p, bool *binary) {
	const struct param *enc = param_get(p, "ENCODING");
	*binary = false;
	if (enc != NULL) {
		if (word_is(enc->value, enc->value_len, "QUOTED-PRINTABLE")) {
			return 1;
		}
		*binary = word_is(enc->value, enc->value_len, "BASE64") ||
			  word_is(enc->value, enc->value_len, "B");
		return 0;
	}
	for (size_t i = 0; i < p->n_params; i++) {
		const struct param *pa = &p->params[i];
		if (pa->name == NULL && word_is(pa->value, pa->value_len, "QUOTED-PRINTABLE")) {
			return 1;
		}
		if (pa->name == NULL && word_is(pa->value, pa->value_len, "BASE64")) {
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
		if (word_is(s, n, names[i])) {
			return true;
		}
	}
	return false;
}

/*
 * The value as UTF-8 text, still with its backslash escapes; in the
 * builder's arena. NULL for binary values and empty ones.
 */
static char *decode_value(struct parser *ps, const struct prop *p, size_t *outlen) {
	bool binary;
	int qp = encoding(p, &binary);
	if (binary || p->value_len == 0) {
		return NULL;
	}
	char *raw = record_strndup(&ps->b, p->value, p->value_len);
	if (raw == NULL) {
		return NULL;
	}
	size_t n = qp ? qp_decode(raw, p->value_len) : p->value_len;
	raw[n] = '\0';
	const struct param *cs = param_get(p, "CHARSET");
	bool western = cs != NULL && charset_is_8bit_western(cs->value, cs->value_len);
	if (!western && utf8_valid(raw, n)) {
		*outlen = n;
		return raw;
	}
	if (cs != NULL && !western && !word_is(cs->value, cs->value_len, "UTF-8") &&
	    !word_is(cs->value, cs->value_len, "UTF8")) {
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
static size_t split(struct parser *ps, const char *s, size_t n, const char *seps, const char **out,
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
static const char *text_value(struct parser *ps, const struct prop *p, bool multiline) {
	size_t n;
	char *v = decode_value(ps, p, &n);
	if (v == NULL) {
		return NULL;
	}
	size_t m = unescape(v, n, v);
	return multiline ? record_text(&ps->b, v, m) : record_line(&ps->b, v, m);
}

static const char *join_words(struct parser *ps, const char *const *parts, size_t n) {
	char buf[1024];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (parts[i] == NULL) {
			continue;
		}
		int w = snprintf(buf + o, sizeof(buf) - o, "%s%s", o > 0 ? " " : "", parts[i]);
		if (w < 0 || (size_t)w >= sizeof(buf) - o) {
			break;
		}
		o += (size_t)w;
	}
	/* several values in one component are comma-separated ("Richter,James") */
	for (size_t i = 0; i < o; i++) {
		if (buf[i] == ',') {
			buf[i] = ' ';
		}
	}
	return record_line(&ps->b, buf, o);
}

/* TYPE parameters of a TEL as ctid's label. */
static const char *phone_label(const struct prop *p) {
	bool work = has_type(p, "WORK"), home = has_type(p, "HOME");
	if (has_type(p, "FAX")) {
		return work ? "work fax" : home ? "home fax" : "fax";
	}
	if (has_type(p, "PAGER")) {
		return "pager";
	}
	if (has_type(p, "CELL") || has_type(p, "IPHONE") || has_type(p, "MOBILE")) {
		return work ? "work mobile" : "mobile";
	}
	if (has_type(p, "MAIN")) {
		return "main";
	}
	if (has_type(p, "CAR")) {
		return "car";
	}
	if (work || home) {
		return work ? "work" : "home";
	}
	if (has_type(p, "OTHER")) {
		return "other";
	}
	return "phone";
}

/* Apple's labels: "_$!<HomeFAX>!$_" for its own words, plain text for the user's. */
static const char *apple_label(struct parser *ps, const char *label) {
	if (label == NULL) {
		return NULL;
	}
	size_t n = strlen(label);
	if (n > 8 && strncmp(label, "_$!<", 4) == 0 && strcmp(label + n - 4, ">!$_") == 0) {
		char *word = record_strndup(&ps->b, label + 4, n - 8);
		if (word == NULL) {
			return NULL;
		}
		const char *canonical = record_label_canonical(word);
		if (canonical != NULL) {
			return canonical;
		}
		for (char *c = word; *c != '\0'; c++) {
			*c = (char)tolower((unsigned char)*c);
		}
		return word;
	}
	return label;
}

static void add_pending(struct parser *ps, const struct prop *p, int kind, const char *value,
			const char *label) {
	if (value == NULL && kind != PENDING_LABEL) {
		return;
	}
	if (ps->n_pending == MAX_PENDING) {
		record_warn(&ps->b, p->line, "too many properties in one card; %s left out", p->name);
		return;
	}
	const char *group = p->group != NULL ? record_strndup(&ps->b, p->group, p->group_len) : NULL;
	ps->pending[ps->n_pending++] = (struct pending){kind, group, value, label, p->line};
}

static const char *group_label(struct parser *ps, const char *group) {
	if (group == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < ps->n_pending; i++) {
		const struct pending *pe = &ps->pending[i];
		if (pe->kind == PENDING_LABEL && pe->group != NULL &&
		    strcasecmp(pe->group, group) == 0) {
			return apple_label(ps, pe->label);
		}
	}
	return NULL;
}

/* A date as ISO 8601 when it reads as one, else as written. */
static const char *date_value(struct parser *ps, const struct prop *p) {
	const char *v = text_value(ps, p, false);
	char iso[11];
	if (v != NULL && record_birthday_parse(v, iso) > 0) {
		return record_strndup(&ps->b, iso, strlen(iso));
	}
	return v;
}

static void take_birthday(struct parser *ps, const struct prop *p) {
	const char *v = text_value(ps, p, false);
	if (v == NULL) {
		return;
	}
	/* Apple writes a birthday without a year as BDAY;X-APPLE-OMIT-YEAR=1604:1604-07-12 */
	const struct param *omit = param_get(p, "X-APPLE-OMIT-YEAR");
	if (omit != NULL && omit->value_len == 4 && strncmp(v, omit->value, 4) == 0) {
		char buf[48];
		snprintf(buf, sizeof(buf), "--%s", v + 4 + (v[4] == '-'));
		v = record_strndup(&ps->b, buf, strlen(buf));
	}
	record_set_birthday(&ps->b, v, p->line);
}

static void take_address(struct parser *ps, const struct prop *p, const char *v, size_t n) {
	const char *parts[7] = {0};
	size_t count = split(ps, v, n, ";", parts, 7, true);
	/* street and extended address first, as a person writes it */
	static const int order[] = {2, 1, 0, 3, 4, 5, 6};
	char buf[2048];
	size_t o = 0;
	for (size_t i = 0; i < 7; i++) {
		size_t k = (size_t)order[i];
		if (k >= count || parts[k] == NULL) {
			continue;
		}
		int w = snprintf(buf + o, sizeof(buf) - o, "%s%s", o > 0 ? ", " : "", parts[k]);
		if (w < 0 || (size_t)w >= sizeof(buf) - o) {
			break;
		}
		o += (size_t)w;
	}
	const char *key = has_type(p, "HOME")	? "home address"
			  : has_type(p, "WORK") ? "work address"
						: "address";
	record_add_field(&ps->b, key, record_text(&ps->b, buf, o), p->line);
}

static void take_property(struct parser *ps, const struct prop *p) {
	const char *name = p->name;
	struct record_builder *b = &ps->b;
	if (strcmp(name, "VERSION") == 0) {
		ps->version = p->value_len >= 3 && strncmp(p->value, "2.1", 3) == 0   ? 21
			      : p->value_len >= 3 && strncmp(p->value, "4.0", 3) == 0 ? 40
										      : 30;
	} else if (strcmp(name, "FN") == 0) {
		if (ps->fn == NULL) {
			ps->fn = text_value(ps, p, false);
		}
	} else if (strcmp(name, "N") == 0) {
		size_t n;
		char *v = decode_value(ps, p, &n);
		if (v != NULL && ps->n_name == NULL) {
			const char *c[5] = {0};
			split(ps, v, n, ";", c, 5, false);
			const char *order[5] = {c[3], c[1], c[2], c[0], c[4]};
			ps->n_name = join_words(ps, order, 5);
		}
	} else if (strcmp(name, "ORG") == 0) {
		size_t n;
		char *v = decode_value(ps, p, &n);
		if (v != NULL && !ps->have_org) {
			/* the company, then its units: "IBM;Accounting;Dungeon" */
			const char *c[8] = {0};
			size_t count = split(ps, v, n, ";", c, 8, false);
			record_set_company(b, c[0]);
			char units[1024] = "";
			size_t o = 0;
			for (size_t i = 1; i < count; i++) {
				if (c[i] != NULL && o < sizeof(units)) {
					o += (size_t)snprintf(units + o, sizeof(units) - o, "%s%s",
							      o > 0 ? ", " : "", c[i]);
				}
			}
			record_add_field(b, "department", record_line(b, units, strlen(units)),
					 p->line);
			ps->have_org = c[0] != NULL;
		}
	} else if (strcmp(name, "EMAIL") == 0) {
		record_add_email(b, text_value(ps, p, false), p->line);
	} else if (strcmp(name, "TEL") == 0) {
		const char *v = text_value(ps, p, false);
		if (v != NULL && strncasecmp(v, "tel:", 4) == 0) {
			v = v[4] != '\0' ? v + 4 : NULL;
		}
		add_pending(ps, p, PENDING_PHONE, v, phone_label(p));
	} else if (strcmp(name, "BDAY") == 0) {
		take_birthday(ps, p);
	} else if (strcmp(name, "NOTE") == 0) {
		record_add_notes_text(b, text_value(ps, p, true), p->line);
	} else if (strcmp(name, "CATEGORIES") == 0) {
		size_t n;
		char *v = decode_value(ps, p, &n);
		const char *tags[RECORD_MAX_TAGS];
		size_t count = v != NULL ? split(ps, v, n, ",;", tags, RECORD_MAX_TAGS, false) : 0;
		for (size_t i = 0; i < count; i++) {
			/* Google's and Android's group of every contact */
			if (tags[i] != NULL && strcasecmp(tags[i], "myContacts") != 0 &&
			    strcasecmp(tags[i], "My Contacts") != 0) {
				record_add_tag(b, tags[i], p->line);
			}
		}
	} else if (strcmp(name, "TITLE") == 0 || strcmp(name, "ROLE") == 0 ||
		   strcmp(name, "NICKNAME") == 0) {
		char key[sizeof(p->name)];
		snprintf(key, sizeof(key), "%s", name);
		for (char *c = key; *c != '\0'; c++) {
			*c = (char)tolower((unsigned char)*c);
		}
		record_add_field(b, record_strndup(b, key, strlen(key)), text_value(ps, p, false),
				 p->line);
	} else if (strcmp(name, "ADR") == 0) {
		size_t n;
		char *v = decode_value(ps, p, &n);
		if (v != NULL) {
			take_address(ps, p, v, n);
		}
	} else if (strcmp(name, "URL") == 0) {
		record_add_field(b, "website", text_value(ps, p, false), p->line);
	} else if (strcmp(name, "X-ABLABEL") == 0) {
		add_pending(ps, p, PENDING_LABEL, NULL, text_value(ps, p, false));
	} else if (strcmp(name, "X-ABDATE") == 0) {
		add_pending(ps, p, PENDING_FIELD, date_value(ps, p), "date");
	} else if (strcmp(name, "X-ABRELATEDNAMES") == 0 || strcmp(name, "RELATED") == 0) {
		add_pending(ps, p, PENDING_FIELD, text_value(ps, p, false), "related");
	} else if (strcmp(name, "ANNIVERSARY") == 0 || strcmp(name, "X-ANNIVERSARY") == 0 ||
		   strcmp(name, "X-MS-ANNIVERSARY") == 0 ||
		   strcmp(name, "X-EVOLUTION-ANNIVERSARY") == 0) {
		record_add_field(b, "anniversary", date_value(ps, p), p->line);
	} else if (strcmp(name, "X-EVOLUTION-SPOUSE") == 0 || strcmp(name, "X-MS-SPOUSE") == 0 ||
		   strcmp(name, "X-SPOUSE") == 0) {
		record_add_field(b, "spouse", text_value(ps, p, false), p->line);
	} else if (strcmp(name, "X-CTID-FIELD") == 0) {
		size_t n;
		char *v = decode_value(ps, p, &n);
		const char *kv[2] = {0};
		if (v != NULL && split(ps, v, n, ";", kv, 2, true) == 2) {
			record_add_field(b, kv[0], kv[1], p->line);
		}
	}
	/* Everything else (UID, REV, PRODID, PHOTO, LABEL, X-...) is not ctid's. */
}

static int finish_card(struct parser *ps) {
	struct record_builder *b = &ps->b;
	for (size_t i = 0; i < ps->n_pending; i++) {
		const struct pending *pe = &ps->pending[i];
		const char *label = group_label(ps, pe->group);
		if (pe->kind == PENDING_PHONE) {
			record_add_phone(b, pe->value, label != NULL ? label : pe->label, pe->line);
		} else if (pe->kind == PENDING_FIELD) {
			record_add_field(b, label != NULL ? label : pe->label, pe->value, pe->line);
		}
	}
	record_set_name(b, ps->fn != NULL ? ps->fn : ps->n_name);
	if (b->failed) {
		return -ENOMEM;
	}
	struct contact_record rec;
	record_builder_get(b, &rec);
	int ret = ps->fn_cb(&rec, ps->userdata);
	ps->in_card = false;
	return ret;
}

static void begin_card(struct parser *ps, int line) {
	record_builder_reset(&ps->b, line);
	ps->in_card = true;
	ps->begin_line = line;
	ps->version = 30;
	ps->fn = ps->n_name = NULL;
	ps->have_org = false;
	ps->n_pending = 0;
}

/* A short, printable quote of a line for error messages. */
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
			return fail(ps, line, "'%s' is not a vCard line", q);
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
		bool vcard = word_is(p.value, n, "VCARD");
		if (is_begin && vcard && ps->in_card) {
			return fail(ps, line,
				    "BEGIN:VCARD inside the card begun on line %d (no END:VCARD?)",
				    ps->begin_line);
		}
		if (is_begin && vcard) {
			begin_card(ps, line);
			return 0;
		}
		if (is_end && vcard && !ps->in_card) {
			return fail(ps, line, "END:VCARD without BEGIN");
		}
		if (is_end && vcard) {
			return finish_card(ps);
		}
		return fail(ps, line, "%s:%s where %s expected", p.name, what,
			    ps->in_card ? "END:VCARD" : "BEGIN:VCARD");
	}
	if (!ps->in_card) {
		char q[48];
		quote(ps->buf, ps->len, q, sizeof(q));
		return fail(ps, line, "'%s' outside BEGIN:VCARD ... END:VCARD", q);
	}
	encoding(&p, binary);
	if (ps->truncated && !*binary) {
		record_warn(&ps->b, line, "%s longer than %d bytes; cut", p.name, MAX_LOGICAL);
	}
	take_property(ps, &p);
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
		return fail(ps, ps->begin_line, "BEGIN:VCARD has no END:VCARD");
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
