/* Phone cells of an imported record that hold several numbers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db_private.h"
#include "import_private.h"
#include "phone.h"

/*
 * A cell of a file may hold several numbers: "020 7946 0499 / 020 7946
 * 0498", "...; ...", "... or ...", one a line. Such a cell is split when
 * each part is a number of its own. Otherwise it is one number, and what
 * the phone parser does not read of it (after a ";" or a word), or a
 * number glued together from several, is reported rather than stored
 * silently.
 */
#define MAX_PARTS 16

struct part {
	const char *s;
	size_t n;
};

/* The length of a separator between two numbers at p in cell, or 0. */
static size_t number_separator(const char *cell, const char *p) {
	switch (*p) {
	case '\n':
	case '\r':
	case ',':
		return 1;
	case ';':
		return strncasecmp(p, ";ext=", 5) == 0 ? 0 : 1;
	case '/': /* "030/1234567" is one number; "... / ..." two */
		return (p > cell && p[-1] == ' ') || p[1] == ' ' ? 1 : 0;
	case ' ':
		return strncasecmp(p, " or ", 4) == 0 ? 4 : 0;
	default:
		return 0;
	}
}

/* The non-empty parts of cell between separators; MAX_PARTS + 1 for too many. */
static size_t split_cell(const char *cell, struct part parts[MAX_PARTS]) {
	size_t n = 0;
	const char *start = cell;
	for (const char *p = cell;; p++) {
		size_t sep = *p != '\0' ? number_separator(cell, p) : 1;
		if (sep == 0) {
			continue;
		}
		const char *end = p;
		while (start < end && (*start == ' ' || *start == '\t')) {
			start++;
		}
		while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
			end--;
		}
		if (end > start) {
			if (n == MAX_PARTS) {
				return MAX_PARTS + 1;
			}
			parts[n++] = (struct part){start, (size_t)(end - start)};
		}
		if (*p == '\0') {
			return n;
		}
		p += sep - 1;
		start = p + 1;
	}
}

/* Normalises s[0..n); true when it is a number of its own (not a short code). */
static bool is_number(const char *s, size_t n, const char *region, struct phone_number *pn) {
	char buf[RECORD_NUMBER_MAX + 1];
	if (n >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return phone_normalize(buf, region, pn) == 0 && !pn->withheld && !pn->service &&
	       pn->digits[0] != '\0';
}

/* Where the text the phone parser leaves unread in cell begins, when that
 * holds a letter or a digit; NULL when it reads all. */
static const char *unread(const char *cell, const char *region, const struct phone_number *whole) {
	size_t len = strlen(cell);
	const char *rest = cell + strspn(cell, " \t+");
	if (rest[strspn(rest, "0123456789 .-()\t")] == '\0') {
		return NULL; /* digits and what people write between them: all read */
	}
	for (size_t k = 1; k < len; k++) {
		struct phone_number pn;
		if (is_number(cell, k, region, &pn) && strcmp(pn.digits, whole->digits) == 0 &&
		    strcmp(pn.e164, whole->e164) == 0 && strcmp(pn.ext, whole->ext) == 0) {
			const char *t = cell + k;
			t += strspn(t, " \t;,.:/-");
			for (const char *q = t; *q != '\0'; q++) {
				if ((unsigned char)*q >= 0x80 || (*q >= '0' && *q <= '9') ||
				    ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z')) {
					return t;
				}
			}
			return NULL;
		}
	}
	return NULL;
}

int import_split_numbers(const char *region, struct import_report *rep,
			 const struct contact_record *r, struct contact_record *out,
			 struct import_split *sp) {
	*out = *r;
	size_t n_out = 0, used = 0;
	for (size_t i = 0; i < r->n_phones; i++) {
		const struct record_phone *ph = &r->phones[i];
		struct part parts[MAX_PARTS];
		size_t n = strpbrk(ph->number, "\n\r,;/ ") != NULL ? split_cell(ph->number, parts)
								   : 1;
		struct phone_number pn, first;
		bool apart = n >= 2 && n <= MAX_PARTS;
		for (size_t k = 0; apart && k < n; k++) {
			apart = is_number(parts[k].s, parts[k].n, region, &pn);
		}
		if (apart && sp->phones == NULL) {
			size_t text = 0;
			for (size_t k = 0; k < r->n_phones; k++) {
				text += strlen(r->phones[k].number) + 1;
			}
			sp->phones = calloc(r->n_phones * MAX_PARTS, sizeof(*sp->phones));
			sp->text = malloc(text);
			if (sp->phones == NULL || sp->text == NULL) {
				return -ENOMEM;
			}
			memcpy(sp->phones, r->phones, i * sizeof(*sp->phones));
			n_out = i;
		}
		if (!apart) {
			if (sp->phones != NULL) {
				sp->phones[n_out++] = *ph;
			}
			if (phone_normalize(ph->number, region, &pn) < 0 || pn.digits[0] == '\0') {
				continue; /* not a number at all: import_record says so */
			}
			const char *rest = unread(ph->number, region, &pn);
			if (rest != NULL) {
				int read = (int)(rest - ph->number);
				while (read > 0 && strchr(" \t;,.:/-(", ph->number[read - 1])) {
					read--;
				}
				import_note(rep, false, ph->line, 0,
					    "phone '%.64s': '%.*s' is the number; '%.40s' is not read",
					    ph->number, read, ph->number, rest);
			} else if (n >= 2 && n <= MAX_PARTS && pn.e164[0] == '\0' &&
				   is_number(parts[0].s, parts[0].n, region, &first) &&
				   first.e164[0] != '\0') {
				import_note(rep, false, ph->line, 0,
					    "phone '%.64s' reads as one number, which is not valid; "
					    "check it",
					    ph->number);
			}
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			char *copy = sp->text + used;
			memcpy(copy, parts[k].s, parts[k].n);
			copy[parts[k].n] = '\0';
			used += parts[k].n + 1;
			sp->phones[n_out++] = (struct record_phone){copy, ph->label, ph->line};
		}
	}
	if (sp->phones != NULL) {
		out->phones = sp->phones;
		out->n_phones = n_out;
	}
	return 0;
}
