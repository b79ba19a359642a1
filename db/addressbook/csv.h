#ifndef CTID_CSV_H
#define CTID_CSV_H

/*
 * Contacts in CSV: Google Contacts (the old "Given Name, Phone 1 - Type"
 * header and the 2023 one, "First Name, Phone 1 - Label, Labels"), Outlook
 * ("Business Phone", "E-mail Address", "Categories") and plain files with a
 * header such as "name,phone,company,email". RFC 4180 quoting (embedded
 * newlines, doubled quotes), any of , ; and tab as delimiter (read from the
 * header line, or Excel's "sep=;" line), CRLF or LF, UTF-8 with or without
 * a byte order mark, else Windows-1252. Pure: bytes in, records out.
 *
 * Columns ctid has no place for become custom fields named by their header
 * (empty cells and Outlook's placeholder values such as "0/0/00" and
 * "Normal" are skipped); phonetic names, photos and the type columns of
 * e-mail addresses are ignored.
 */

#include <stddef.h>
#include <stdio.h>

#include "record.h"

/* Google joins several values of one cell (numbers, labels) with " ::: ",
 * and has no escape for it: a value holding it reads back as several. */
#define CSV_VALUE_SEP ":::"

/*
 * Calls fn for each row after the header that has any content. Returns 0;
 * fn's non-zero return; -EBADMSG with err set for a quoted cell that never
 * ends or a file without a header; -ENOMEM.
 */
int csv_parse(const char *data, size_t len, record_fn fn, void *userdata, struct record_error *err);

/* How many e-mail, phone and custom-field columns a file needs. */
struct csv_shape {
	size_t emails, phones, fields;
};

/* Widens shape to fit r. */
void csv_shape_fit(struct csv_shape *shape, const struct contact_record *r);

/*
 * Google Contacts' 2023 layout: First Name, Middle Name, Last Name,
 * Nickname, Organization Name/Title/Department, Birthday, Notes, Labels,
 * then "E-mail N - Label/Value", "Phone N - Label/Value" and "Custom Field N
 * - Label/Value" pairs as shape says. Rows end in CRLF. Return 0 or -errno.
 */
int csv_write_header(FILE *f, const struct csv_shape *shape);
/*
 * Whether a spreadsheet would evaluate a cell holding s: it begins (after
 * any spaces) with =, +, -, @, a tab or a carriage return, as OWASP's
 * guidance on CSV injection lists them. A number as people write one
 * ("+380 44 123 45 67", "-12.50") is not: nothing in it could call a
 * function, and it stays usable as it is.
 */
bool csv_cell_is_formula(const char *s);

/*
 * Writes one cell (the comma before it unless first), quoted when it must
 * be (RFC 4180), in UTF-8 throughout. Rows end with "\r\n". NULL is an
 * empty cell. A cell a spreadsheet would evaluate gets an apostrophe in
 * front, which spreadsheets show as the text it is; so does a cell that
 * already begins with one, so that csv_parse() gives back the text exactly.
 */
void csv_write_cell(FILE *f, const char *s, bool first);
int csv_write(FILE *f, const struct csv_shape *shape, const struct contact_record *r);

#endif
