/*
 * vCard 3.0 writing. 3.0 rather than 4.0: Google Contacts and Apple
 * Contacts export 3.0 themselves and import it best; Outlook and Android
 * read 3.0 but not 4.0. A birthday without a year is written --MM-DD, as
 * Google does (iOS reads it too); labels that have no TYPE go Apple's way,
 * itemN.TEL with itemN.X-ABLabel, which Google writes and reads as well.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "vcard.h"

struct out {
	FILE *f;
	char *s;
	size_t len, cap;
	bool failed;
};

static void add(struct out *o, const char *s, size_t n) {
	if (o->failed) {
		return;
	}
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap < o->len + n + 1) {
			cap *= 2;
		}
		char *p = realloc(o->s, cap);
		if (p == NULL) {
			o->failed = true;
			return;
		}
		o->s = p;
		o->cap = cap;
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
}

static void str(struct out *o, const char *s) {
	add(o, s, strlen(s));
}

/* Text with the escapes of RFC 2426 5.1: backslash, comma, semicolon, newline. */
static void esc(struct out *o, const char *text) {
	char *fixed = text != NULL ? record_fix_utf8(text) : NULL;
	const char *s = fixed != NULL ? fixed : text;
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			str(o, "\\\\");
			break;
		case ',':
			str(o, "\\,");
			break;
		case ';':
			str(o, "\\;");
			break;
		case '\n':
			str(o, "\\n");
			break;
		case '\r':
			break;
		default:
			add(o, s, 1);
		}
	}
	free(fixed);
}

/* Ends the line in o: folded at 75 bytes, never inside a character, CRLF. */
static void emit(struct out *o) {
	if (o->failed) {
		o->len = 0;
		return;
	}
	size_t i = 0;
	size_t limit = 75;
	while (i < o->len) {
		size_t n = utf8_prefix(o->s + i, o->len - i, limit);
		if (n == 0) {
			n = 1;
		}
		if (i > 0) {
			fputc(' ', o->f);
		}
		fwrite(o->s + i, 1, n, o->f);
		fputs("\r\n", o->f);
		i += n;
		limit = 74;
	}
	o->len = 0;
}

static void simple(struct out *o, const char *name, const char *value) {
	if (value == NULL) {
		return;
	}
	str(o, name);
	str(o, ":");
	esc(o, value);
	emit(o);
}

static const struct {
	const char *label;
	const char *type;
} tel_types[] = {
	{"mobile", "CELL"},	  {"work", "WORK"},   {"home", "HOME"},
	{"main", "MAIN"},	  {"fax", "FAX"},     {"work fax", "WORK,FAX"},
	{"home fax", "HOME,FAX"}, {"pager", "PAGER"}, {"work mobile", "WORK,CELL"},
	{"car", "CAR"},		  {"phone", "VOICE"},
};

/* Fields with a vCard property of their own; the rest are X-CTID-FIELD. */
static const struct {
	const char *key;
	const char *property;
} field_props[] = {
	{"title", "TITLE"},
	{"role", "ROLE"},
	{"nickname", "NICKNAME"},
	{"website", "URL"},
	{"anniversary", "X-ANNIVERSARY"},
};

/* "address 2" has the base "address". */
static bool base_is(const char *key, const char *base) {
	size_t n = strlen(base);
	if (strncmp(key, base, n) != 0) {
		return false;
	}
	if (key[n] == '\0') {
		return true;
	}
	if (key[n] != ' ' || key[n + 1] == '\0') {
		return false;
	}
	return strspn(key + n + 1, "0123456789") == strlen(key + n + 1);
}

static bool write_known_field(struct out *o, const struct record_field *f) {
	for (size_t i = 0; i < sizeof(field_props) / sizeof(field_props[0]); i++) {
		if (base_is(f->key, field_props[i].key) && strchr(f->value, '\n') == NULL) {
			simple(o, field_props[i].property, f->value);
			return true;
		}
	}
	const char *type = base_is(f->key, "home address")   ? ";TYPE=HOME"
			   : base_is(f->key, "work address") ? ";TYPE=WORK"
			   : base_is(f->key, "address")	     ? ""
							     : NULL;
	if (type != NULL) {
		str(o, "ADR");
		str(o, type);
		str(o, ":;;");
		esc(o, f->value);
		str(o, ";;;;");
		emit(o);
		return true;
	}
	return strcmp(f->key, "department") == 0; /* written with ORG */
}

/* Splits a full name for N: the last word is the family name. */
static void write_n(struct out *o, const char *name) {
	const char *space = strrchr(name, ' ');
	str(o, "N:");
	if (space != NULL) {
		esc(o, space + 1);
		str(o, ";");
		char *given = strndup(name, (size_t)(space - name));
		if (given == NULL) {
			o->failed = true;
			return;
		}
		esc(o, given);
		free(given);
	} else {
		esc(o, name);
		str(o, ";");
	}
	str(o, ";;;");
	emit(o);
}

int vcard_write(FILE *f, const struct contact_record *r) {
	struct out o = {.f = f};
	str(&o, "BEGIN:VCARD");
	emit(&o);
	str(&o, "VERSION:3.0");
	emit(&o);
	str(&o, "PRODID:-//ctid//ctid " CTID_VERSION "//EN");
	emit(&o);
	if (r->name != NULL) {
		write_n(&o, r->name);
		simple(&o, "FN", r->name);
	}
	const char *department = NULL;
	for (size_t i = 0; i < r->n_fields; i++) {
		if (strcmp(r->fields[i].key, "department") == 0) {
			department = r->fields[i].value;
		}
	}
	if (r->company != NULL || department != NULL) {
		str(&o, "ORG:");
		esc(&o, r->company);
		if (department != NULL) {
			str(&o, ";");
			esc(&o, department);
		}
		emit(&o);
	}
	for (size_t i = 0; i < r->n_emails; i++) {
		simple(&o, "EMAIL;TYPE=INTERNET", r->emails[i]);
	}
	int item = 0;
	for (size_t i = 0; i < r->n_phones; i++) {
		const struct record_phone *p = &r->phones[i];
		const char *type = p->label == NULL ? "" : NULL;
		for (size_t k = 0; type == NULL && k < sizeof(tel_types) / sizeof(tel_types[0]); k++) {
			if (strcmp(p->label, tel_types[k].label) == 0) {
				type = tel_types[k].type;
			}
		}
		if (type != NULL) {
			str(&o, "TEL");
			if (type[0] != '\0') {
				str(&o, ";TYPE=");
				str(&o, type);
			}
			str(&o, ":");
			esc(&o, p->number);
			emit(&o);
			continue;
		}
		char group[32];
		snprintf(group, sizeof(group), "item%d.", ++item);
		str(&o, group);
		str(&o, "TEL:");
		esc(&o, p->number);
		emit(&o);
		str(&o, group);
		str(&o, "X-ABLabel:");
		esc(&o, strcmp(p->label, "other") == 0 ? "_$!<Other>!$_" : p->label);
		emit(&o);
	}
	simple(&o, "BDAY", r->birthday);
	for (size_t i = 0; i < r->n_fields; i++) {
		if (!write_known_field(&o, &r->fields[i])) {
			str(&o, "X-CTID-FIELD:");
			esc(&o, r->fields[i].key);
			str(&o, ";");
			esc(&o, r->fields[i].value);
			emit(&o);
		}
	}
	if (r->n_tags > 0) {
		str(&o, "CATEGORIES:");
		for (size_t i = 0; i < r->n_tags; i++) {
			if (i > 0) {
				str(&o, ",");
			}
			esc(&o, r->tags[i]);
		}
		emit(&o);
	}
	if (r->n_notes > 0) {
		char *notes = record_notes_write(r->notes, r->n_notes);
		if (notes == NULL) {
			o.failed = true;
		}
		simple(&o, "NOTE", notes);
		free(notes);
	}
	str(&o, "END:VCARD");
	emit(&o);
	bool failed = o.failed;
	free(o.s);
	if (failed) {
		return -ENOMEM;
	}
	return ferror(f) ? -EIO : 0;
}
