/*
 * CSV writing in Google Contacts' 2023 layout, which Google imports as its
 * own and Outlook and spreadsheets read as any CSV. The name is split at
 * its last word (First Name, Last Name); labels Google knows are written
 * its way ("Mobile", "Work Fax"), others as they are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* Fields with a column of their own. */
static const char *const own_columns[] = {"nickname", "title", "department"};

static bool has_column(const char *key) {
	for (size_t i = 0; i < sizeof(own_columns) / sizeof(own_columns[0]); i++) {
		if (strcmp(key, own_columns[i]) == 0) {
			return true;
		}
	}
	return false;
}

void csv_shape_fit(struct csv_shape *shape, const struct contact_record *r) {
	size_t fields = 0;
	for (size_t i = 0; i < r->n_fields; i++) {
		fields += !has_column(r->fields[i].key);
	}
	shape->emails = r->n_emails > shape->emails ? r->n_emails : shape->emails;
	shape->phones = r->n_phones > shape->phones ? r->n_phones : shape->phones;
	shape->fields = fields > shape->fields ? fields : shape->fields;
}

bool csv_cell_is_formula(const char *s) {
	s += strspn(s, " ");
	switch (s[0]) {
	case '=':
	case '@':
	case '\t':
	case '\r':
		return true;
	case '+':
	case '-':
		/* digits and what people write between them: no function, no reference */
		return s[strspn(s, "0123456789 +-()./")] != '\0';
	default:
		return false;
	}
}

void csv_write_cell(FILE *f, const char *s, bool first) {
	if (!first) {
		fputc(',', f);
	}
	if (s == NULL) {
		return;
	}
	char *fixed = record_fix_utf8(s);
	if (fixed != NULL) {
		s = fixed; /* a CSV file is UTF-8 throughout or read as Windows-1252 */
	}
	/* Text, not a formula: csv_parse() takes the apostrophe off again. */
	const char *mark = csv_cell_is_formula(s) || s[0] == '\'' ? "'" : "";
	size_t n = strlen(s);
	bool quote = strpbrk(s, ",\"\r\n") != NULL ||
		     (n > 0 && (s[0] == ' ' || s[n - 1] == ' ' || s[0] == '\t'));
	if (!quote) {
		fputs(mark, f);
		fputs(s, f);
		free(fixed);
		return;
	}
	fputc('"', f);
	fputs(mark, f);
	for (; *s != '\0'; s++) {
		if (*s == '"') {
			fputc('"', f);
		}
		fputc(*s, f);
	}
	fputc('"', f);
	free(fixed);
}

static void numbered_pair(FILE *f, const char *what, size_t n) {
	char h[64];
	for (size_t i = 1; i <= n; i++) {
		snprintf(h, sizeof(h), "%s %zu - Label", what, i);
		csv_write_cell(f, h, false);
		snprintf(h, sizeof(h), "%s %zu - Value", what, i);
		csv_write_cell(f, h, false);
	}
}

int csv_write_header(FILE *f, const struct csv_shape *shape) {
	fputs("First Name,Middle Name,Last Name,Nickname,Organization Name,Organization Title,"
	      "Organization Department,Birthday,Notes,Labels",
	      f);
	numbered_pair(f, "E-mail", shape->emails);
	numbered_pair(f, "Phone", shape->phones);
	numbered_pair(f, "Custom Field", shape->fields);
	fputs("\r\n", f);
	return ferror(f) ? -EIO : 0;
}

static const struct {
	const char *label;
	const char *google;
} google_labels[] = {
	{"mobile", "Mobile"},
	{"work", "Work"},
	{"home", "Home"},
	{"main", "Main"},
	{"fax", "Fax"},
	{"work fax", "Work Fax"},
	{"home fax", "Home Fax"},
	{"pager", "Pager"},
	{"other", "Other"},
	{"car", "Car"},
	{"work mobile", "Work Mobile"},
	{"assistant", "Assistant"},
	{"phone", ""},
};

static const char *google_label(const char *label) {
	if (label == NULL) {
		return "";
	}
	for (size_t i = 0; i < sizeof(google_labels) / sizeof(google_labels[0]); i++) {
		if (strcmp(label, google_labels[i].label) == 0) {
			return google_labels[i].google;
		}
	}
	return label;
}

static const char *field(const struct contact_record *r, const char *key) {
	for (size_t i = 0; i < r->n_fields; i++) {
		if (strcmp(r->fields[i].key, key) == 0) {
			return r->fields[i].value;
		}
	}
	return NULL;
}

/* The Labels cell: the tags joined as Google does (" ::: "), then written as
 * any cell, so that a formula among them goes out as text. */
static int write_tags(FILE *f, const struct contact_record *r) {
	if (r->n_tags == 0) {
		csv_write_cell(f, NULL, false);
		return 0;
	}
	char *joined = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&joined, &len);
	if (m == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->n_tags; i++) {
		fputs(i > 0 ? " " CSV_VALUE_SEP " " : "", m);
		fputs(r->tags[i], m);
	}
	if (fclose(m) != 0) {
		free(joined);
		return -ENOMEM;
	}
	csv_write_cell(f, joined, false);
	free(joined);
	return 0;
}

int csv_write(FILE *f, const struct csv_shape *shape, const struct contact_record *r) {
	const char *name = r->name != NULL ? r->name : "";
	const char *space = strrchr(name, ' ');
	char *given = space != NULL ? strndup(name, (size_t)(space - name)) : strdup(name);
	if (given == NULL) {
		return -ENOMEM;
	}
	csv_write_cell(f, given, true);
	free(given);
	csv_write_cell(f, NULL, false);
	csv_write_cell(f, space != NULL ? space + 1 : NULL, false);
	csv_write_cell(f, field(r, "nickname"), false);
	csv_write_cell(f, r->company, false);
	csv_write_cell(f, field(r, "title"), false);
	csv_write_cell(f, field(r, "department"), false);
	csv_write_cell(f, r->birthday, false);
	char *notes = r->n_notes > 0 ? record_notes_write(r->notes, r->n_notes) : NULL;
	if (r->n_notes > 0 && notes == NULL) {
		return -ENOMEM;
	}
	csv_write_cell(f, notes, false);
	free(notes);
	if (write_tags(f, r) < 0) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < shape->emails; i++) {
		csv_write_cell(f, NULL, false);
		csv_write_cell(f, i < r->n_emails ? r->emails[i] : NULL, false);
	}
	for (size_t i = 0; i < shape->phones; i++) {
		bool have = i < r->n_phones;
		csv_write_cell(f, have ? google_label(r->phones[i].label) : NULL, false);
		csv_write_cell(f, have ? r->phones[i].number : NULL, false);
	}
	size_t written = 0;
	for (size_t i = 0; i < r->n_fields; i++) {
		if (!has_column(r->fields[i].key)) {
			csv_write_cell(f, r->fields[i].key, false);
			csv_write_cell(f, r->fields[i].value, false);
			written++;
		}
	}
	for (; written < shape->fields; written++) {
		csv_write_cell(f, NULL, false);
		csv_write_cell(f, NULL, false);
	}
	fputs("\r\n", f);
	return ferror(f) ? -EIO : 0;
}
