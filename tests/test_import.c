/*
 * The contacts parsers and writers without a database: every vCard
 * dialect in tests/fixtures/contacts (see its README for where each shape
 * comes from), folding, quoted-printable, character sets, escapes,
 * birthdays, broken files with their line numbers, garbage, and the
 * writers read back. CSV is in test_import_csv.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "import_util.h"
#include "record.h"
#include "tap.h"
#include "utf8.h"
#include "vcard.h"

void test_csv(void);

static void test_google(void) {
	struct tcards cs;
	is_int(t_parse_fixture(vcard_parse, "google.vcf", &cs), 0, "google.vcf: parses");
	is_int(cs.n, 2, "google.vcf: two cards");
	struct tcard *c = &cs.cards[0];
	is_str(c->name, "Ivan Pozdniakov", "google: FN");
	is_int(c->line, 1, "google: the card's line");
	is_str(c->company, "Pozdniakov & Sons", "google: ORG");
	is_int(c->n_emails, 2, "google: both e-mail addresses");
	is_str(c->emails[0], "ivan@pozdniakov.example", "google: the first e-mail first");
	is_str(t_label(c, "+44 7700 900123"), "mobile", "google: TYPE=CELL is mobile");
	is_str(t_label(c, "+44 20 7946 0018"), "work", "google: TYPE=WORK is work");
	is_str(t_label(c, "020 7946 0019"), "Shop", "google: item1.X-ABLabel names the number");
	is_str(c->birthday, "1971-03-14", "google: BDAY");
	is_str(t_field(c, "title"), "Owner", "google: TITLE is a field");
	is_str(t_field(c, "website"), "http://pozdniakov.example", "google: URL with \\: unescaped");
	is_str(t_field(c, "anniversary"), "1995-06-01", "google: X-ABDATE labelled Anniversary");
	is_str(t_field(c, "spouse"), "Marina", "google: X-ABRELATEDNAMES labelled Spouse");
	is_str(t_field(c, "home address"), "12 Baker Street\nFlat 3, London, NW1 6XE, United Kingdom",
	       "google: ADR;TYPE=HOME joined, street first");
	is_int(c->n_notes, 1, "google: one note");
	is_str(c->n_notes ? c->notes[0].text : NULL,
	       "Asked for black shoe cream, 2 tins; call when it arrives.\nPrefers calls after "
	       "10:00. Buys gifts for his friend's birthday every March.",
	       "google: NOTE folded and unescaped");
	is_str(t_tags(c), "starred|Shoe shop", "google: CATEGORIES without myContacts");
	is_str(cs.cards[1].birthday, "--02-29", "google: BDAY --02-29 has no year");
	is_int(cs.cards[1].line, 25, "google: the second card's line");
	is_int(cs.cards[1].n_tags, 0, "google: myContacts alone is no tag");
	t_free(&cs);
}

static void test_apple(void) {
	struct tcards cs;
	is_int(t_parse_fixture(vcard_parse, "apple.vcf", &cs), 0, "apple.vcf: parses");
	is_int(cs.n, 2, "apple.vcf: two cards");
	struct tcard *c = &cs.cards[0];
	is_str(c->name, "Marta Kowalska", "apple: FN");
	is_str(c->company, "Kowalski Hurt", "apple: ORG with an empty unit");
	ok(t_field(c, "department") == NULL, "apple: an empty unit is no department");
	is_str(c->n_emails ? c->emails[0] : NULL, "marta@kowalski.example", "apple: item1.EMAIL");
	is_str(t_label(c, "+48 500 600 700"), "mobile", "apple: _$!<Mobile>!$_ is mobile");
	is_str(t_label(c, "+48 22 123 45 67"), "work", "apple: type=WORK;type=VOICE is work");
	is_str(t_label(c, "+48 22 765 43 21"), "Warehouse", "apple: X-ABLabel before its TEL");
	is_str(t_label(c, "+48 22 123 45 68"), "home fax", "apple: type=HOME;type=FAX");
	is_str(c->birthday, "--03-14", "apple: X-APPLE-OMIT-YEAR=1604 means no year");
	is_str(c->n_notes ? c->notes[0].text : NULL, "Orders twice a year; pays on time.",
	       "apple: NOTE");
	is_int(c->n_warnings, 0, "apple: the base64 photo is skipped without a warning");
	c = &cs.cards[1];
	ok(c->name == NULL, "apple: a company card's empty FN and N give no name");
	is_str(c->company, "Acme Trading Ltd", "apple: the company card's ORG");
	is_str(t_field(c, "department"), "Purchasing", "apple: ORG's unit is the department");
	is_str(t_label(c, "(212) 555-0142"), "main", "apple: _$!<Main>!$_");
	is_str(c->birthday, "1965-11-02", "apple: BDAY;value=date");
	t_free(&cs);
}

static void test_thunderbird(void) {
	struct tcards cs;
	is_int(t_parse_fixture(vcard_parse, "thunderbird.vcf", &cs), 0, "thunderbird.vcf: parses");
	is_int(cs.n, 2, "thunderbird.vcf: two cards");
	struct tcard *c = &cs.cards[0];
	is_str(c->name, "Dr. Jörg Müller", "thunderbird: FN in UTF-8");
	is_str(c->n_emails ? c->emails[0] : NULL, "joerg.mueller@tu.example",
	       "thunderbird: EMAIL;PREF=1");
	is_str(t_label(c, "+49 231 755-1234"), "work", "thunderbird: TYPE=work;VALUE=TEXT");
	is_str(t_label(c, "+49 170 1234567"), "mobile", "thunderbird: TYPE=cell in lower case");
	is_str(c->birthday, "1985-03-17", "thunderbird: BDAY;VALUE=DATE:19850317");
	is_str(c->company, "TU Dortmund", "thunderbird: ORG");
	is_str(c->n_notes ? c->notes[0].text : NULL, "Raum 3.14\nSprechstunde Di",
	       "thunderbird: NOTE");
	c = &cs.cards[1];
	is_str(t_label(c, "+49-30-1234567"), "home", "thunderbird: TYPE=\"voice,home\" and tel: URI");
	is_str(c->birthday, "--04-03", "thunderbird: BDAY --0403");
	t_free(&cs);
}

static void test_evolution(void) {
	struct tcards cs;
	is_int(t_parse_fixture(vcard_parse, "evolution.vcf", &cs), 0, "evolution.vcf: parses");
	is_int(cs.n, 2, "evolution.vcf: two cards, a blank line between");
	struct tcard *c = &cs.cards[0];
	is_str(c->name, "Mr. John Richter, James Doe Sr.", "evolution: FN with \\,");
	is_str(t_label(c, "905-666-1234"), "mobile", "evolution: a number folded in the middle");
	is_str(t_label(c, "905-555-1234"), "work", "evolution: TYPE=WORK,VOICE");
	is_str(t_tags(c), "Business|VIP", "evolution: CATEGORIES");
	is_str(c->n_notes ? c->notes[0].text : NULL,
	       "Wants the quarterly price list, printed; call Tuesdays. Backslash: \\ and a folded "
	       "line that goes on",
	       "evolution: NOTE with \\, \\; \\\\ and a fold");
	is_str(t_field(c, "spouse"), "Maria", "evolution: X-EVOLUTION-SPOUSE");
	is_str(t_field(c, "anniversary"), "1980-03-22", "evolution: X-EVOLUTION-ANNIVERSARY");
	is_str(t_field(c, "department"), "Accounting, Dungeon", "evolution: ORG's units");
	is_str(t_field(c, "nickname"), "Johny", "evolution: NICKNAME");
	is_str(cs.cards[1].name, "Marie Tremblay", "evolution: the second card");
	is_int(cs.cards[1].line, 26, "evolution: the second card's line");
	t_free(&cs);
}

static void test_android(void) {
	struct tcards cs;
	is_int(t_parse_fixture(vcard_parse, "android.vcf", &cs), 0, "android.vcf: parses");
	is_int(cs.n, 3, "android.vcf: three cards");
	struct tcard *c = &cs.cards[0];
	is_str(c->name, "Иван Поздняков", "android: QP UTF-8 FN with a soft break");
	is_str(c->company, "Обувь и Ко", "android: QP ORG");
	is_str(t_label(c, "+7 916 123-45-67"), "mobile", "android: 2.1 bare TEL;CELL;PREF");
	is_str(t_label(c, "+7 495 123-45-67"), "home", "android: TEL;HOME");
	is_str(t_label(c, "+7 495 765-43-21"), "work fax", "android: TEL;WORK;FAX");
	is_str(c->n_emails ? c->emails[0] : NULL, "ivan@obuv.example", "android: EMAIL;PREF;WORK");
	is_str(c->n_notes ? c->notes[0].text : NULL,
	       "Заказал крем для обуви\nПерезвонить в пятницу", "android: QP NOTE across lines");
	is_str(c->birthday, "1970-07-12", "android: BDAY:19700712");
	is_int(c->n_tags, 0, "android: My Contacts is no tag");
	is_int(c->n_warnings, 0, "android: the photo and its blank line pass silently");
	ok(cs.cards[1].name == NULL, "android: N:;;;; gives no name");
	is_str(t_label(&cs.cards[1], "+7 903 555-01-02"), "mobile", "android: the nameless number");
	is_int(cs.cards[1].line, 26, "android: its line");
	is_str(t_label(&cs.cards[2], "n/a"), "phone", "android: TEL;VOICE is a plain phone");
	t_free(&cs);
}

static void test_outlook(void) {
	struct tcards cs;
	is_int(t_parse_fixture(vcard_parse, "outlook.vcf", &cs), 0, "outlook.vcf: parses");
	is_int(cs.n, 2, "outlook.vcf: two cards");
	struct tcard *c = &cs.cards[0];
	is_str(c->name, "Mr. Michael Angstadt Jr.", "outlook: FN");
	is_str(c->n_notes ? c->notes[0].text : NULL,
	       "Call about the order\nSecond line of the note= with an equals sign\nThird line",
	       "outlook: QP NOTE with =0D=0A= soft breaks at column 0");
	is_str(t_label(c, "(111) 555-1111"), "work", "outlook: TEL;WORK;VOICE");
	is_str(t_label(c, "(111) 555-4444"), "mobile", "outlook: TEL;CELL;VOICE");
	is_str(t_label(c, "(111) 555-3333"), "work fax", "outlook: TEL;WORK;FAX");
	is_str(c->birthday, "1922-03-10", "outlook: BDAY:19220310");
	is_str(t_field(c, "anniversary"), "2012-08-01", "outlook: X-MS-ANNIVERSARY as a date");
	is_str(t_field(c, "work address"), "222 Broadway, TheOffice, New York, NY, 99999, USA",
	       "outlook: ADR;WORK;PREF");
	is_str(c->n_emails ? c->emails[0] : NULL, "mike.angstadt@example.com",
	       "outlook: EMAIL after the LABEL");
	ok(t_field(c, "label") == NULL && c->n_warnings == 0,
	   "outlook: LABEL, PHOTO and X-MS-OL-DESIGN pass silently");
	c = &cs.cards[1];
	is_str(c->name, "Jürgen Müller", "outlook: CHARSET=Windows-1252 to UTF-8");
	is_str(c->company, "Bäckerei Müller", "outlook: CHARSET=ISO-8859-1 to UTF-8");
	is_str(c->n_notes ? c->notes[0].text : NULL, "Grüße an die Familie – bis bald",
	       "outlook: QP in Windows-1252 (0x96 is an en dash)");
	t_free(&cs);
}

static void test_edge_files(void) {
	struct tcards cs;
	is_int(t_parse_fixture(vcard_parse, "lf-bom.vcf", &cs), 0, "lf-bom.vcf: BOM and LF");
	is_str(cs.n ? cs.cards[0].name : NULL, "Zoë Ångström", "lf-bom: the name after the BOM");
	is_str(cs.n && cs.cards[0].n_notes ? cs.cards[0].notes[0].text : NULL,
	       "first line\nsecond line, with a comma and a folded tail",
	       "lf-bom: folded with a tab");
	t_free(&cs);

	is_int(t_parse_fixture(vcard_parse, "bad-end.vcf", &cs), -EBADMSG, "bad-end.vcf: an error");
	is_int(cs.err.line, 11, "bad-end: on line 11");
	is_str(cs.err.message, "END:VCARD without BEGIN", "bad-end: says what");
	is_int(cs.n, 2, "bad-end: the cards before were read");
	t_free(&cs);
	is_int(t_parse_fixture(vcard_parse, "bad-nested.vcf", &cs), -EBADMSG,
	       "bad-nested.vcf: an error");
	is_int(cs.err.line, 5, "bad-nested: on line 5");
	ok(strstr(cs.err.message, "begun on line 1") != NULL, "bad-nested: names the open card");
	t_free(&cs);
	is_int(t_parse_fixture(vcard_parse, "bad-unclosed.vcf", &cs), -EBADMSG,
	       "bad-unclosed.vcf: an error");
	is_int(cs.err.line, 6, "bad-unclosed: the BEGIN that never ends");
	ok(strstr(cs.err.message, "no END:VCARD") != NULL, "bad-unclosed: says so");
	t_free(&cs);
}

static void test_syntax(void) {
	struct tcards cs;
	t_parse(vcard_parse,
		"begin:vcard\r\nversion:3.0\r\nfn:Lower Case\r\nnote:a\\,b\\;c\\\\d\\ne\\Nf\r\n"
		"tel;type=cell:1\r\n 23 456 7890\r\nend:vcard\r\n",
		-1, &cs);
	is_int(cs.n, 1, "lower-case BEGIN and END");
	is_str(cs.n ? cs.cards[0].notes[0].text : NULL, "a,b;c\\d\ne\nf", "all the escapes");
	is_str(cs.n ? t_label(&cs.cards[0], "123 456 7890") : NULL, "mobile",
	       "a fold removes one blank in 3.0");
	t_free(&cs);

	t_parse(vcard_parse,
		"BEGIN:VCARD\rVERSION:2.1\rN:Mac;Old;;;\rTEL;WORK:555 0100\rEND:VCARD\r", -1, &cs);
	is_str(cs.n ? cs.cards[0].name : NULL, "Old Mac", "CR line ends; N without FN");
	t_free(&cs);

	t_parse(vcard_parse,
		"BEGIN:VCARD\nVERSION:2.1\nN:Lumia;Nokia\nPHOTO;ENCODING=BASE64;TYPE=JPEG:/9j/4AAQ\n"
		"SkZJRgABAQAAAQABAAD\nAAAAAAAA==\n\nTEL;CELL:+358 40 123 4567\nEND:VCARD\n",
		-1, &cs);
	is_int(cs.ret, 0, "2.1 base64 lines without indent are skipped");
	is_str(cs.n ? t_label(&cs.cards[0], "+358 40 123 4567") : NULL, "mobile",
	       "the property after the photo is read");
	t_free(&cs);

	t_parse(vcard_parse, "BEGIN:VCARD\nVERSION:3.0\nFN:Ren\xe9 Fran\xe7ois\nEND:VCARD\n", -1,
		&cs);
	is_str(cs.n ? cs.cards[0].name : NULL, "René François", "invalid UTF-8 read as Windows-1252");
	t_free(&cs);

	/* UTF-16LE with a byte order mark, as Windows tools save */
	const char *text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Wide\r\nEND:VCARD\r\n";
	char wide[256] = "\xff\xfe";
	size_t n = 2;
	for (const char *p = text; *p != '\0'; p++) {
		wide[n++] = *p;
		wide[n++] = '\0';
	}
	ok(vcard_detect(wide, n), "UTF-16 vCards are detected");
	t_parse(vcard_parse, wide, (long)n, &cs);
	is_str(cs.n ? cs.cards[0].name : NULL, "Wide", "UTF-16LE is read");
	t_free(&cs);

	is_int(t_parse(vcard_parse, "BEGIN:VCARD\nFN:A\nEND:VCARD\nhello\n", -1, &cs), -EBADMSG,
	       "text after the cards is an error");
	is_int(cs.err.line, 4, "on its line");
	ok(strstr(cs.err.message, "'hello'") != NULL, "quoting it");
	t_free(&cs);
	is_int(t_parse(vcard_parse, "BEGIN:VCALENDAR\nEND:VCALENDAR\n", -1, &cs), -EBADMSG,
	       "a calendar is not a vCard");
	t_free(&cs);
	is_int(t_parse(vcard_parse, "BEGIN:VCARD\nFN:A\nwhat is this\nEND:VCARD\n", -1, &cs), 0,
	       "a line without ':' inside a card is only a warning");
	ok(cs.n == 1 && t_warned(&cs.cards[0], "not a vCard property") &&
		   cs.cards[0].warning_lines[0] == 3,
	   "with its line");
	t_free(&cs);

	t_parse(vcard_parse,
		"BEGIN:VCARD\nFN:B\nBDAY:1970-13-45\nEND:VCARD\nBEGIN:VCARD\nFN:C\n"
		"BDAY:1970-07-12T10:30:00Z\nEND:VCARD\nBEGIN:VCARD\nFN:D\nBDAY:19700712T103000\n"
		"END:VCARD\nBEGIN:VCARD\nFN:E\nBDAY:--0712\nEND:VCARD\n",
		-1, &cs);
	ok(cs.n == 4 && cs.cards[0].birthday == NULL && t_warned(&cs.cards[0], "1970-13-45"),
	   "a birthday that is no date is left out with a warning");
	is_str(cs.n == 4 ? cs.cards[1].birthday : NULL, "1970-07-12", "BDAY with a time");
	is_str(cs.n == 4 ? cs.cards[2].birthday : NULL, "1970-07-12", "BDAY basic with a time");
	is_str(cs.n == 4 ? cs.cards[3].birthday : NULL, "--07-12", "BDAY --0712");
	t_free(&cs);

	is_int(t_parse(vcard_parse, "", 0, &cs), 0, "an empty file has no cards");
	is_int(cs.n, 0, "none");
	t_free(&cs);
}

static void test_birthdays(void) {
	static const struct {
		const char *in, *out;
		int ret;
	} cases[] = {
		{"1970-07-12", "1970-07-12", 1},
		{"19700712", "1970-07-12", 1},
		{"--07-12", "--07-12", 1},
		{"--0712", "--07-12", 1},
		{" --02-29", "--02-29", 1},
		{"1970-07-12T00:00:00Z", "1970-07-12", 1},
		{"7/12/1970", "1970-07-12", 1},
		{"25/12/1980", "1980-12-25", 1},
		{"12.07.1970", "1970-07-12", 1},
		{"1970/07/12", "1970-07-12", 1},
		{"0/0/00", "", 0},
		{"", "", 0},
		{"1970-02-30", "", -EINVAL},
		{"1900-02-29", "", -EINVAL},
		{"2000-02-29", "2000-02-29", 1},
		{"7/12/70", "", -EINVAL},
		{"yesterday", "", -EINVAL},
		{"0999-01-01", "", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[11] = "";
		int ret = record_birthday_parse(cases[i].in, out);
		ok(ret == cases[i].ret && (ret <= 0 || strcmp(out, cases[i].out) == 0),
		   "birthday '%s' -> '%s' (%d)", cases[i].in, ret > 0 ? out : "", ret);
	}
}

static void test_notes_text(void) {
	struct record_note notes[] = {
		{.kind = RECORD_NOTE,
		 .text = "plain\n--- note 2020-01-01T00:00:00Z\n\\ back",
		 .created = 1700000000},
		{.kind = RECORD_REQUEST,
		 .text = "black shoe cream, 2 tins",
		 .open = true,
		 .created = 1700000100},
		{.kind = RECORD_ORDER,
		 .text = "Generation P",
		 .created = 1700000200,
		 .closed = 1700000300},
	};
	char *text = record_notes_write(notes, 3);
	ok(text != NULL && strstr(text, "--- request 2023-11-14T22:15:00Z open\n") != NULL,
	   "notes text marks a request with its time and state");
	ok(text != NULL && strstr(text, "\n\\--- note 2020") != NULL &&
		   strstr(text, "\n\\\\ back") != NULL,
	   "lines that look like markers are escaped");
	struct tcards cs;
	char card[2048];
	struct record_builder b;
	record_builder_init(&b);
	record_builder_reset(&b, 1);
	record_add_notes_text(&b, text, 1);
	struct contact_record r;
	record_builder_get(&b, &r);
	is_int((int)r.n_notes, 3, "read back: three notes");
	for (size_t i = 0; i < r.n_notes && i < 3; i++) {
		ok(r.notes[i].kind == notes[i].kind && strcmp(r.notes[i].text, notes[i].text) == 0 &&
			   r.notes[i].open == notes[i].open &&
			   r.notes[i].created == notes[i].created &&
			   r.notes[i].closed == notes[i].closed,
		   "read back: note %zu exactly", i);
	}
	record_builder_finish(&b);
	snprintf(card, sizeof(card),
		 "BEGIN:VCARD\nFN:X\nNOTE:just text\\n--- not a marker\nEND:VCARD\n");
	t_parse(vcard_parse, card, -1, &cs);
	ok(cs.n == 1 && cs.cards[0].n_notes == 1 &&
		   strcmp(cs.cards[0].notes[0].text, "just text\n--- not a marker") == 0,
	   "text from elsewhere is one note, as written");
	t_free(&cs);
	free(text);
}

/* The record every writer test writes and reads back. */
static const char *const tags[] = {"VIP", "Shoes, polish; brushes"};
static const struct record_phone phones[] = {
	{"+44 20 7946 0018", "work", 0},     {"+44 7700 900123", "mobile", 0},
	{"020 7946 0019", "Shop", 0},	     {"+44 20 7946 0020", "phone", 0},
	{"+44 20 7946 0021", "work fax", 0}, {"+44 20 7946 0022", "other", 0},
};
static const struct record_field fields[] = {
	{"department", "Sales, North"},
	{"home address", "12 Baker Street\nLondon; NW1"},
	{"title", "Owner"},
	{"Конто", "№ 42; \\ 7"},
	{"website", "http://example.com/a,b"},
};
static const char *const emails[] = {"ivan@example.com", "ivan.p@example.org"};
static const struct record_note wnotes[] = {
	{RECORD_NOTE, "Likes ☕, hates; delays\nsecond line", false, 1700000000, 0},
	{RECORD_REQUEST, "Black shoe cream", true, 1700000100, 0},
};

static const struct contact_record full = {
	.name = "Иван «Ваня» Поздняков, Jr.",
	.company = "Pozdniakov & Sons; Ltd",
	.birthday = "--03-14",
	.emails = emails,
	.n_emails = 2,
	.phones = phones,
	.n_phones = 6,
	.fields = fields,
	.n_fields = 5,
	.tags = tags,
	.n_tags = 2,
	.notes = wnotes,
	.n_notes = 2,
};

static void check_full(const struct tcards *cs, const char *what) {
	ok(cs->ret == 0 && cs->n == 1, "%s: read back one contact", what);
	if (cs->n != 1) {
		return;
	}
	const struct tcard *c = &cs->cards[0];
	is_str(c->name, full.name, "%s: name", what);
	is_str(c->company, full.company, "%s: company", what);
	is_str(c->birthday, full.birthday, "%s: birthday without a year", what);
	ok(c->n_emails == 2 && strcmp(c->emails[1], emails[1]) == 0, "%s: e-mail addresses", what);
	bool same = c->n_phones == 6;
	for (int i = 0; same && i < 6; i++) {
		same = strcmp(c->numbers[i], phones[i].number) == 0 &&
		       strcmp(c->labels[i], phones[i].label) == 0;
	}
	ok(same, "%s: numbers and labels in order", what);
	same = c->n_fields == 5;
	for (int i = 0; same && i < 5; i++) {
		const char *v = t_field(c, fields[i].key);
		same = v != NULL && strcmp(v, fields[i].value) == 0;
	}
	ok(same, "%s: fields", what);
	is_str(t_tags(c), "VIP|Shoes, polish; brushes", "%s: tags with commas and semicolons", what);
	same = c->n_notes == 2;
	for (int i = 0; same && i < 2; i++) {
		same = strcmp(c->notes[i].text, wnotes[i].text) == 0 &&
		       c->notes[i].kind == wnotes[i].kind && c->notes[i].open == wnotes[i].open &&
		       c->notes[i].created == wnotes[i].created;
	}
	ok(same, "%s: notes with kinds, states and times", what);
}

static void test_vcard_write(void) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	is_int(vcard_write(f, &full), 0, "vcard_write");
	fclose(f);
	ok(strncmp(buf, "BEGIN:VCARD\r\nVERSION:3.0\r\n", 26) == 0, "vCard 3.0 with CRLF");
	bool short_lines = true, valid = true;
	for (char *p = buf; *p != '\0';) {
		char *e = strstr(p, "\r\n");
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
		short_lines = short_lines && n <= 75;
		valid = valid && utf8_valid(p, n);
		p += n + (e != NULL ? 2 : 0);
	}
	ok(short_lines, "lines folded at 75 bytes");
	ok(valid, "folds never split a character");
	ok(strstr(buf, "BDAY:--03-14\r\n") != NULL, "a birthday without a year as --MM-DD");
	ok(strstr(buf, "\r\nitem1.TEL:020 7946 0019\r\nitem1.X-ABLabel:Shop\r\n") != NULL,
	   "a custom label as Apple and Google write it");
	struct tcards cs;
	t_parse(vcard_parse, buf, (long)len, &cs);
	check_full(&cs, "vCard");
	t_free(&cs);
	free(buf);
}

static void test_csv_write(void) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct csv_shape shape = {0};
	csv_shape_fit(&shape, &full);
	ok(shape.emails == 2 && shape.phones == 6 && shape.fields == 3,
	   "CSV shape: 2 e-mails, 6 phones, 3 custom fields");
	is_int(csv_write_header(f, &shape), 0, "csv_write_header");
	is_int(csv_write(f, &shape, &full), 0, "csv_write");
	fclose(f);
	ok(strncmp(buf, "First Name,Middle Name,Last Name,", 33) == 0, "Google's 2023 header");
	ok(strstr(buf, "Phone 6 - Label,Phone 6 - Value,Custom Field 1 - Label") != NULL,
	   "numbered columns as many as needed");
	struct tcards cs;
	t_parse(csv_parse, buf, (long)len, &cs);
	check_full(&cs, "CSV");
	t_free(&cs);
	free(buf);
}

/* A string of n copies of c, for values longer than a buffer would hold. */
static char *repeat(char c, size_t n) {
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Long values are kept whole or the contact is refused, never cut. */
static void test_long_values(void) {
	char *street = repeat('s', 1500), *city = repeat('c', 1500), *unit = repeat('u', 1500);
	char *family = repeat('f', 1500), *first = repeat('a', 600), *last = repeat('z', 600);
	char *buf = NULL;
	struct tcards cs;
	if (asprintf(&buf,
		     "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Long Address\r\n"
		     "ADR;TYPE=HOME:;;%s;%s;;;\r\nORG:Acme;%s;Second\r\nEND:VCARD\r\n",
		     street, city, unit) < 0) {
		return;
	}
	is_int(t_parse(vcard_parse, buf, -1, &cs), 0, "a vCard with a 3 KB address");
	const char *adr = cs.n == 1 ? t_field(&cs.cards[0], "home address") : NULL;
	ok(adr != NULL && strlen(adr) == 3002 && strstr(adr, city) != NULL,
	   "ADR over 2 KB: kept whole (%zu bytes)", adr != NULL ? strlen(adr) : 0);
	const char *dept = cs.n == 1 ? t_field(&cs.cards[0], "department") : NULL;
	ok(dept != NULL && strlen(dept) == 1508 && strstr(dept, ", Second") != NULL,
	   "ORG units over 1 KB: kept whole (%zu bytes)", dept != NULL ? strlen(dept) : 0);
	t_free(&cs);
	free(buf);

	if (asprintf(&buf, "BEGIN:VCARD\r\nVERSION:3.0\r\nN:%s;Given;;;\r\nEND:VCARD\r\n", family) <
	    0) {
		return;
	}
	is_int(t_parse(vcard_parse, buf, -1, &cs), -EBADMSG,
	       "N without FN longer than a name may be: refused, not cut");
	ok(strstr(cs.err.message, "name") != NULL && strstr(cs.err.message, "1024") != NULL,
	   "... saying why: %s", cs.err.message);
	t_free(&cs);
	free(buf);

	size_t cap = 300 * 8 + 200, o = 0;
	buf = malloc(cap);
	o += (size_t)snprintf(buf, cap, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Tags\r\nCATEGORIES:");
	for (int i = 0; i < 300; i++) {
		o += (size_t)snprintf(buf + o, cap - o, "%st%d", i > 0 ? "," : "", i);
	}
	snprintf(buf + o, cap - o, "\r\nEND:VCARD\r\n");
	is_int(t_parse(vcard_parse, buf, -1, &cs), -EBADMSG, "300 CATEGORIES: refused, not cut");
	ok(strstr(cs.err.message, "tags") != NULL, "... saying why: %s", cs.err.message);
	t_free(&cs);
	free(buf);

	if (asprintf(&buf, "First Name,Last Name,Phone\n%s,%s,+44 20 7946 0018\n", first, last) < 0) {
		return;
	}
	is_int(t_parse(csv_parse, buf, -1, &cs), -EBADMSG,
	       "CSV First and Last Name longer than a name together: refused, not cut");
	ok(strstr(cs.err.message, "name") != NULL, "... saying why: %s", cs.err.message);
	t_free(&cs);
	free(buf);

	if (asprintf(&buf, "Name,Address 1 - Street,Address 1 - City\nX,%s,%s\n", street, city) < 0) {
		return;
	}
	is_int(t_parse(csv_parse, buf, -1, &cs), 0, "CSV with a 3 KB address");
	adr = cs.n == 1 ? t_field(&cs.cards[0], "address") : NULL;
	ok(adr != NULL && strlen(adr) == 3002,
	   "CSV address parts over 2 KB: kept whole (%zu bytes)", adr != NULL ? strlen(adr) : 0);
	t_free(&cs);
	free(buf);
	free(street);
	free(city);
	free(unit);
	free(family);
	free(first);
	free(last);
}

static void test_garbage(void) {
	/* Any bytes: an answer, never a crash (the sanitizers watch). */
	unsigned int seed = 12345;
	static char junk[4096];
	static const char *const pieces[] = {"BEGIN:VCARD\r\n",
					     "END:VCARD\r\n",
					     "N;ENCODING=QUOTED-PRINTABLE:=",
					     "\r\n ",
					     "=\r\n",
					     "TEL;TYPE=\"",
					     "\\",
					     ";",
					     ":",
					     ",",
					     "\"",
					     "\n",
					     "item1.X-ABLabel:_$!<",
					     "BDAY:--",
					     "\xff\xfe",
					     "\xc3"};
	int answered = 0;
	for (int round = 0; round < 400; round++) {
		size_t n = 0;
		while (n < sizeof(junk) - 32) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 3 == 0) {
				const char *p =
					pieces[(seed >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
				memcpy(junk + n, p, strlen(p));
				n += strlen(p);
			} else {
				junk[n++] = (char)(seed >> 16);
			}
			if ((seed >> 20) % 97 == 0) {
				break;
			}
		}
		struct tcards cs;
		int a = t_parse(vcard_parse, junk, (long)n, &cs);
		t_free(&cs);
		int b = t_parse(csv_parse, junk, (long)n, &cs);
		t_free(&cs);
		answered += (a == 0 || a == -EBADMSG) && (b == 0 || b == -EBADMSG);
	}
	is_int(answered, 400, "400 garbage files: each parsed or refused");
}

int main(void) {
	test_google();
	test_apple();
	test_thunderbird();
	test_evolution();
	test_android();
	test_outlook();
	test_edge_files();
	test_syntax();
	test_birthdays();
	test_notes_text();
	test_vcard_write();
	test_csv_write();
	test_csv();
	test_long_values();
	test_garbage();
	return tap_done();
}
