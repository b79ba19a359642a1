/*
 * What each vCard property means for ctid: names from FN or N, labels from
 * TYPE or Apple's X-ABLabel of the same group, birthdays in Apple's and
 * everybody's spellings, addresses and the rest as fields.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vcard_internal.h"

static const char *join_words(struct parser *ps, const char *const *parts, size_t n) {
	size_t o;
	char *buf = record_join(&ps->b, parts, n, " ", &o);
	/* several values in one component are comma-separated ("Richter,James") */
	for (size_t i = 0; i < o; i++) {
		if (buf[i] == ',') {
			buf[i] = ' ';
		}
	}
	return buf != NULL ? record_line(&ps->b, buf, o) : NULL;
}

/* The components of v[0..n) apart at seps, as many as there are, in *out
 * (freed by the caller); how many, 0 for none or no memory. */
static size_t split_all(struct parser *ps, const char *v, size_t n, const char *seps,
			const char ***out) {
	size_t max = 1;
	for (size_t i = 0; i < n; i++) {
		max += strchr(seps, v[i]) != NULL && v[i] != '\0';
	}
	*out = calloc(max, sizeof(**out));
	if (*out == NULL) {
		ps->b.failed = true;
		return 0;
	}
	return vcard_split(ps, v, n, seps, *out, max, false);
}

/* TYPE parameters of a TEL as ctid's label. */
static const char *phone_label(const struct prop *p) {
	bool work = vcard_has_type(p, "WORK"), home = vcard_has_type(p, "HOME");
	if (vcard_has_type(p, "FAX")) {
		return work ? "work fax" : home ? "home fax" : "fax";
	}
	if (vcard_has_type(p, "PAGER")) {
		return "pager";
	}
	if (vcard_has_type(p, "CELL") || vcard_has_type(p, "IPHONE") || vcard_has_type(p, "MOBILE")) {
		return work ? "work mobile" : "mobile";
	}
	if (vcard_has_type(p, "MAIN")) {
		return "main";
	}
	if (vcard_has_type(p, "CAR")) {
		return "car";
	}
	if (work || home) {
		return work ? "work" : "home";
	}
	if (vcard_has_type(p, "OTHER")) {
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
	const char *v = vcard_text_value(ps, p, false);
	char iso[11];
	if (v != NULL && record_birthday_parse(v, iso) > 0) {
		return record_strndup(&ps->b, iso, strlen(iso));
	}
	return v;
}

static void take_birthday(struct parser *ps, const struct prop *p) {
	const char *v = vcard_text_value(ps, p, false);
	if (v == NULL) {
		return;
	}
	/* Apple writes a birthday without a year as BDAY;X-APPLE-OMIT-YEAR=1604:1604-07-12 */
	const struct param *omit = vcard_param_get(p, "X-APPLE-OMIT-YEAR");
	if (omit != NULL && omit->value_len == 4 && strncmp(v, omit->value, 4) == 0) {
		char buf[48];
		snprintf(buf, sizeof(buf), "--%s", v + 4 + (v[4] == '-'));
		v = record_strndup(&ps->b, buf, strlen(buf));
	}
	record_set_birthday(&ps->b, v, p->line);
}

static void take_address(struct parser *ps, const struct prop *p, const char *v, size_t n) {
	const char *parts[7] = {0};
	size_t count = vcard_split(ps, v, n, ";", parts, 7, true);
	/* street and extended address first, as a person writes it */
	static const int order[] = {2, 1, 0, 3, 4, 5, 6};
	const char *ordered[7] = {0};
	for (size_t i = 0; i < 7; i++) {
		size_t k = (size_t)order[i];
		ordered[i] = k < count ? parts[k] : NULL;
	}
	size_t o;
	const char *buf = record_join(&ps->b, ordered, 7, ", ", &o);
	if (buf == NULL) {
		return;
	}
	const char *key = vcard_has_type(p, "HOME")   ? "home address"
			  : vcard_has_type(p, "WORK") ? "work address"
						      : "address";
	record_add_field(&ps->b, key, record_text(&ps->b, buf, o), p->line);
}

void vcard_take_property(struct parser *ps, const struct prop *p) {
	const char *name = p->name;
	struct record_builder *b = &ps->b;
	if (strcmp(name, "VERSION") == 0) {
		ps->version = p->value_len >= 3 && strncmp(p->value, "2.1", 3) == 0   ? 21
			      : p->value_len >= 3 && strncmp(p->value, "4.0", 3) == 0 ? 40
										      : 30;
	} else if (strcmp(name, "FN") == 0) {
		if (ps->fn == NULL) {
			ps->fn = vcard_text_value(ps, p, false);
		}
	} else if (strcmp(name, "N") == 0) {
		size_t n;
		char *v = vcard_decode_value(ps, p, &n);
		if (v != NULL && ps->n_name == NULL) {
			const char *c[5] = {0};
			vcard_split(ps, v, n, ";", c, 5, false);
			const char *order[5] = {c[3], c[1], c[2], c[0], c[4]};
			ps->n_name = join_words(ps, order, 5);
		}
	} else if (strcmp(name, "ORG") == 0) {
		size_t n;
		char *v = vcard_decode_value(ps, p, &n);
		if (v != NULL && !ps->have_org) {
			/* the company, then its units: "IBM;Accounting;Dungeon" */
			const char **c;
			size_t count = split_all(ps, v, n, ";", &c);
			if (count > 0) {
				record_set_company(b, c[0]);
				size_t o;
				const char *units = record_join(b, c + 1, count - 1, ", ", &o);
				if (units != NULL) {
					record_add_field(b, "department", record_line(b, units, o),
							 p->line);
				}
				ps->have_org = c[0] != NULL;
			}
			free(c);
		}
	} else if (strcmp(name, "EMAIL") == 0) {
		record_add_email(b, vcard_text_value(ps, p, false), p->line);
	} else if (strcmp(name, "TEL") == 0) {
		const char *v = vcard_text_value(ps, p, false);
		if (v != NULL && strncasecmp(v, "tel:", 4) == 0) {
			v = v[4] != '\0' ? v + 4 : NULL;
		}
		add_pending(ps, p, PENDING_PHONE, v, phone_label(p));
	} else if (strcmp(name, "BDAY") == 0) {
		take_birthday(ps, p);
	} else if (strcmp(name, "NOTE") == 0) {
		record_add_notes_text(b, vcard_text_value(ps, p, true), p->line);
	} else if (strcmp(name, "CATEGORIES") == 0) {
		size_t n;
		char *v = vcard_decode_value(ps, p, &n);
		const char **tags = NULL;
		size_t count = v != NULL ? split_all(ps, v, n, ",;", &tags) : 0;
		for (size_t i = 0; i < count; i++) {
			/* Google's and Android's group of every contact */
			if (tags[i] != NULL && strcasecmp(tags[i], "myContacts") != 0 &&
			    strcasecmp(tags[i], "My Contacts") != 0) {
				record_add_tag(b, tags[i], p->line);
			}
		}
		free(tags);
	} else if (strcmp(name, "TITLE") == 0 || strcmp(name, "ROLE") == 0 ||
		   strcmp(name, "NICKNAME") == 0) {
		char key[sizeof(p->name)];
		snprintf(key, sizeof(key), "%s", name);
		for (char *c = key; *c != '\0'; c++) {
			*c = (char)tolower((unsigned char)*c);
		}
		record_add_field(b, record_strndup(b, key, strlen(key)),
				 vcard_text_value(ps, p, false), p->line);
	} else if (strcmp(name, "ADR") == 0) {
		size_t n;
		char *v = vcard_decode_value(ps, p, &n);
		if (v != NULL) {
			take_address(ps, p, v, n);
		}
	} else if (strcmp(name, "URL") == 0) {
		record_add_field(b, "website", vcard_text_value(ps, p, false), p->line);
	} else if (strcmp(name, "X-ABLABEL") == 0) {
		add_pending(ps, p, PENDING_LABEL, NULL, vcard_text_value(ps, p, false));
	} else if (strcmp(name, "X-ABDATE") == 0) {
		add_pending(ps, p, PENDING_FIELD, date_value(ps, p), "date");
	} else if (strcmp(name, "X-ABRELATEDNAMES") == 0 || strcmp(name, "RELATED") == 0) {
		add_pending(ps, p, PENDING_FIELD, vcard_text_value(ps, p, false), "related");
	} else if (strcmp(name, "ANNIVERSARY") == 0 || strcmp(name, "X-ANNIVERSARY") == 0 ||
		   strcmp(name, "X-MS-ANNIVERSARY") == 0 ||
		   strcmp(name, "X-EVOLUTION-ANNIVERSARY") == 0) {
		record_add_field(b, "anniversary", date_value(ps, p), p->line);
	} else if (strcmp(name, "X-EVOLUTION-SPOUSE") == 0 || strcmp(name, "X-MS-SPOUSE") == 0 ||
		   strcmp(name, "X-SPOUSE") == 0) {
		record_add_field(b, "spouse", vcard_text_value(ps, p, false), p->line);
	} else if (strcmp(name, "X-CTID-FIELD") == 0) {
		size_t n;
		char *v = vcard_decode_value(ps, p, &n);
		const char *kv[2] = {0};
		if (v != NULL && vcard_split(ps, v, n, ";", kv, 2, true) == 2) {
			record_add_field(b, kv[0], kv[1], p->line);
		}
	}
	/* Everything else (UID, REV, PRODID, PHOTO, LABEL, X-...) is not ctid's. */
}

int vcard_finish_card(struct parser *ps) {
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
	if (b->refused_line > 0) {
		return vcard_fail(ps, b->refused_line, "%s", b->refused);
	}
	struct contact_record rec;
	record_builder_get(b, &rec);
	int ret = ps->fn_cb(&rec, ps->userdata);
	ps->in_card = false;
	return ret;
}

void vcard_begin_card(struct parser *ps, int line) {
	record_builder_reset(&ps->b, line);
	ps->in_card = true;
	ps->begin_line = line;
	ps->version = 30;
	ps->fn = ps->n_name = NULL;
	ps->have_org = false;
	ps->n_pending = 0;
}
