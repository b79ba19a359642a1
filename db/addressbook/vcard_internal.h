#ifndef CTID_VCARD_INTERNAL_H
#define CTID_VCARD_INTERNAL_H

/* What vcard.c (lines and their syntax) and vcard_props.c (what each property means) share. */

#include <stdbool.h>
#include <stddef.h>

#include "vcard.h"

#define MAX_LOGICAL RECORD_MAX_TEXT
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

/* Case-insensitive: whether s[0..n) is word. */
bool vcard_word_is(const char *s, size_t n, const char *word);
/* The first parameter called name, or NULL. */
const struct param *vcard_param_get(const struct prop *p, const char *name);
/* Whether TYPE (any of its comma-separated values, or a bare 2.1 parameter) is type. */
bool vcard_has_type(const struct prop *p, const char *type);
/* 1 for quoted-printable; *binary for base64. */
int vcard_encoding(const struct prop *p, bool *binary);
/* The value as UTF-8 with its escapes still in; in the arena; NULL for binary or empty. */
char *vcard_decode_value(struct parser *ps, const struct prop *p, size_t *outlen);
/* Splits on unescaped separators into at most max unescaped, cleaned components. */
size_t vcard_split(struct parser *ps, const char *s, size_t n, const char *seps, const char **out,
		   size_t max, bool multiline);
/* The whole value unescaped and cleaned. */
const char *vcard_text_value(struct parser *ps, const struct prop *p, bool multiline);

/* vcard_props.c: a card begins, takes a property, ends (calling the record_fn). */
/* Records why the file cannot be read (its line and a message); returns
 * -EBADMSG. */
int vcard_fail(struct parser *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vcard_begin_card(struct parser *ps, int line);
void vcard_take_property(struct parser *ps, const struct prop *p);
int vcard_finish_card(struct parser *ps);

#endif
