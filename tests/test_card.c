#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "tap.h"
#include "utf8.h"

/* TZ=UTC (tests/meson.build). Thursday 14 March 2024, 15:30. */
#define NOW	       1710430200000LL
#define MINUTE	       (60 * 1000LL)
#define YESTERDAY_1403 1710338580000LL
#define TODAY_1529     1710430140000LL
#define MON_11_MARCH   1710151200000LL
#define FRI_1_MARCH    1709283600000LL
#define DEC_2023       1702371600000LL

static int count_lines(const char *s) {
	int n = s[0] != '\0';
	for (; *s != '\0'; s++) {
		n += *s == '\n';
	}
	return n;
}

static size_t count_chars(const char *s) {
	size_t n = 0;
	for (; *s != '\0'; s++) {
		n += ((unsigned char)*s & 0xc0) != 0x80;
	}
	return n;
}

/* The line of body that starts with prefix, copied into out ("" if none). */
static const char *find_line(const char *body, const char *prefix, char *out, size_t outsz) {
	out[0] = '\0';
	const char *p = body;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '\n');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			snprintf(out, outsz, "%.*s", (int)len, p);
			return out;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return out;
}

/* A regular customer of a shoe shop that also orders books, as in the brief. */
static struct notify_card known_client(void) {
	return (struct notify_card){
		.name = "Marta Kowalska",
		.company = "Kowalska & Syn",
		.telco_name = "KOWALSKA M",
		.number = "020 7946 0018",
		.line = "Shop",
		.contact_id = 42,
		.can_dial = true,
		.calls_before = 3,
		.last_call = YESTERDAY_1403,
		.last_missed = true,
		.missed_unhandled = 1,
		.notes = {{"asked for black shoe cream; Pelevin's Generation P on order", FRI_1_MARCH},
			  {"older note", DEC_2023}},
		.requests = {"black shoe cream, 2 tins", "Generation P, hardback"},
		.requests_open = 3,
		.reminders = {{"send the price list", 1}},
		.state = NOTIFY_CALL_RINGING,
		.rings = 1,
		.started = NOW - MINUTE / 60,
		.now = NOW,
	};
}

static struct notify_card unknown_caller(void) {
	return (struct notify_card){
		.number = "07700 900123",
		.can_dial = true,
		.state = NOTIFY_CALL_RINGING,
		.started = NOW,
		.now = NOW,
	};
}

static void test_known_client(void) {
	struct notify_card card = known_client();
	struct notify_text t;
	notify_card_format(&card, false, &t);
	is_str(t.summary, "Marta Kowalska",
	       "known client: summary is the contact's name, not the telco's");
	is_str(t.body,
	       "020 7946 0018 \xc2\xb7 Shop\n"
	       "Kowalska & Syn\n"
	       "Last call missed yesterday 14:03, not called back \xe2\x80\x94 3 calls before\n"
	       "Open: black shoe cream, 2 tins; Generation P, hardback (+1 more)\n"
	       "Note 1 Mar: asked for black shoe cream; Pelevin's Generation P on order\n"
	       "Reminder tomorrow: send the price list",
	       "known client: number and line, company, past, requests, latest note, reminder");
	ok(count_lines(t.body) <= 6, "known client: at most six lines");

	notify_card_format(&card, true, &t);
	is_str(t.body,
	       "020 7946 0018 \xc2\xb7 Shop\n"
	       "Kowalska &amp; Syn\n"
	       "<b>Last call missed yesterday 14:03, not called back \xe2\x80\x94 3 calls before</b>\n"
	       "Open: black shoe cream, 2 tins; Generation P, hardback (+1 more)\n"
	       "Note 1 Mar: asked for black shoe cream; Pelevin&#39;s Generation P on order\n"
	       "Reminder tomorrow: send the price list",
	       "known client with markup: escaped, the line about the past in bold");

	struct notify_action a[NOTIFY_ACTIONS_MAX];
	size_t n = notify_card_actions(&card, a);
	is_int((int64_t)n, 2, "ringing known client: two actions");
	is_str(a[0].id, "open-card", "ringing known client: open card first");
	is_str(a[1].id, "add-note", "ringing known client: then add note");
	is_str(notify_card_default_action(&card), "open-card",
	       "clicking a known client opens the card");

	card.last_missed = false;
	card.missed_unhandled = 0;
	card.last_call = NOW - 10 * MINUTE;
	notify_card_format(&card, false, &t);
	char line[512];
	is_str(find_line(t.body, "Last", line, sizeof(line)),
	       "Last call today 15:20 \xe2\x80\x94 3 calls before",
	       "answered last call: when, and how many before");

	card.last_missed = true;
	card.last_handled = true;
	card.missed_unhandled = 2;
	notify_card_format(&card, false, &t);
	is_str(find_line(t.body, "Last", line, sizeof(line)),
	       "Last call missed today 15:20, handled, 2 missed not called back \xe2\x80\x94 3 calls before",
	       "handled last miss but older ones open");

	card.history_unknown = true;
	notify_card_format(&card, false, &t);
	ok(strstr(t.body, "call") == NULL && strstr(t.body, "First") == NULL,
	   "history unknown (database down): nothing said about the past");
}

static void test_unknown_caller(void) {
	struct notify_card card = unknown_caller();
	struct notify_text t;
	notify_card_format(&card, false, &t);
	is_str(t.summary, "Unknown caller", "unknown first-time caller: summary");
	is_str(t.body, "07700 900123\nFirst call from this number",
	       "unknown first-time caller: body");
	struct notify_action a[NOTIFY_ACTIONS_MAX];
	size_t n = notify_card_actions(&card, a);
	ok(n == 2 && strcmp(a[0].id, "add-contact") == 0 && strcmp(a[1].id, "add-note") == 0,
	   "unknown caller: add contact, add note");
	is_str(notify_card_default_action(&card), "add-contact",
	       "clicking an unknown caller adds a contact");

	card.calls_before = 2;
	card.last_call = MON_11_MARCH;
	notify_card_format(&card, false, &t);
	is_str(t.body, "07700 900123\nLast call 3 days ago \xe2\x80\x94 2 calls before",
	       "unknown caller who called before: when and how often");

	card.calls_before = 1;
	card.last_call = DEC_2023;
	card.last_missed = true;
	card.missed_unhandled = 1;
	notify_card_format(&card, false, &t);
	is_str(t.body,
	       "07700 900123\nLast call missed 12 Dec 2023, not called back \xe2\x80\x94 1 call before",
	       "unknown caller, one missed call last year");
}

static void test_withheld(void) {
	struct notify_card card = {.withheld = "private",
				   .line = "Shop",
				   .state = NOTIFY_CALL_RINGING,
				   .now = NOW};
	struct notify_text t;
	notify_card_format(&card, false, &t);
	is_str(t.summary, "Private number", "withheld private: summary");
	is_str(t.body, "Shop", "withheld private: only the line, no history");
	struct notify_action a[NOTIFY_ACTIONS_MAX];
	size_t n = notify_card_actions(&card, a);
	ok(n == 1 && strcmp(a[0].id, "add-note") == 0, "withheld: only add note");
	ok(notify_card_default_action(&card) == NULL, "withheld: no default action");

	card.withheld = "unavailable";
	card.line = NULL;
	notify_card_format(&card, false, &t);
	is_str(t.summary, "Number unavailable", "withheld unavailable: summary");
	is_str(t.body, "", "withheld unavailable, one line: empty body");

	card.state = NOTIFY_CALL_MISSED;
	card.started = TODAY_1529;
	notify_card_format(&card, false, &t);
	is_str(t.summary, "Missed call, number unavailable", "missed, number unavailable");
	card.withheld = "private";
	card.can_dial = true;
	notify_card_format(&card, false, &t);
	is_str(t.summary, "Missed call from a private number", "missed private call");
	n = notify_card_actions(&card, a);
	ok(n == 2 && strcmp(a[0].id, "mark-handled") == 0,
	   "missed private: no call back, mark handled");
}

static void test_telco_name(void) {
	struct notify_card card = unknown_caller();
	struct notify_text before;
	struct notify_text after;
	notify_card_format(&card, false, &before);
	card.telco_name = "  SMITH  JOHN \r";
	notify_card_format(&card, false, &after);
	is_str(before.summary, "Unknown caller", "late name: first shown without a name");
	is_str(after.summary, "SMITH JOHN", "late name: telco name becomes the summary, cleaned");
	is_str(after.body, before.body, "late name: body unchanged");

	card.withheld = "private";
	card.number = NULL;
	notify_card_format(&card, false, &after);
	is_str(after.summary, "SMITH JOHN", "withheld number with a telco name: the name wins");
}

static void test_missed(void) {
	struct notify_card card = known_client();
	card.state = NOTIFY_CALL_MISSED;
	card.started = TODAY_1529;
	card.rings = 5;
	struct notify_text t;
	notify_card_format(&card, false, &t);
	is_str(t.summary, "Missed call from Marta Kowalska", "missed call summary names the caller");
	char line[512];
	is_str(find_line(t.body, "020", line, sizeof(line)),
	       "020 7946 0018 \xc2\xb7 Shop \xc2\xb7 today 15:29, 5 rings",
	       "missed call: when and how long it rang");
	struct notify_action a[NOTIFY_ACTIONS_MAX];
	size_t n = notify_card_actions(&card, a);
	ok(n == 3 && strcmp(a[0].id, "call-back") == 0 && strcmp(a[1].id, "mark-handled") == 0 &&
		   strcmp(a[2].id, "open-card") == 0,
	   "missed call: call back, mark handled, open card");
	card.can_dial = false;
	n = notify_card_actions(&card, a);
	ok(n == 3 && strcmp(a[0].id, "mark-handled") == 0,
	   "missed call, modem cannot dial: no call back");

	struct notify_card u = unknown_caller();
	u.state = NOTIFY_CALL_MISSED;
	notify_card_format(&u, false, &t);
	is_str(t.summary, "Missed call from 07700 900123", "missed unknown caller: named by number");

	u.state = NOTIFY_CALL_UNKNOWN;
	notify_card_format(&u, false, &t);
	is_str(t.summary, "Call from 07700 900123", "ended, outcome unknown: neutral summary");
	is_str(t.body, "07700 900123 \xc2\xb7 today 15:30\nFirst call from this number",
	       "ended, outcome unknown: when");

	u.state = NOTIFY_CALL_ANSWERED;
	notify_card_format(&u, false, &t);
	is_str(t.summary, "Unknown caller", "answered: summary as when ringing");
	is_str(t.body, "07700 900123 \xc2\xb7 answered\nFirst call from this number",
	       "answered: said so");
}

static void test_ambiguous(void) {
	struct notify_card card = known_client();
	card.ambiguous = true;
	struct notify_text t;
	notify_card_format(&card, false, &t);
	is_str(t.summary, "Marta Kowalska", "ambiguous: best guess named");
	char line[512];
	is_str(find_line(t.body, "Kowalska", line, sizeof(line)),
	       "Kowalska & Syn \xc2\xb7 several contacts have this number",
	       "ambiguous: said next to the company");
	ok(count_lines(t.body) <= 6, "ambiguous with full history: still six lines at most");
	card.company = NULL;
	notify_card_format(&card, false, &t);
	ok(strstr(t.body, "\nSeveral contacts have this number\n") != NULL,
	   "ambiguous, no company: own line");
}

static void test_markup(void) {
	struct notify_card card = unknown_caller();
	card.name = "<b>x</b>";
	card.company = "Smith & \"Sons\" <Ltd>";
	card.notes[0].text = "<i>call</i> at 5 & don't forget";
	card.requests[0] = "<b>x</b>";
	struct notify_text t;
	notify_card_format(&card, true, &t);
	is_str(t.summary, "<b>x</b>", "summary is plain text: never escaped");
	ok(strstr(t.body, "Smith &amp; &quot;Sons&quot; &lt;Ltd&gt;") != NULL, "company escaped");
	ok(strstr(t.body, "&lt;i&gt;call&lt;/i&gt; at 5 &amp; don&#39;t forget") != NULL,
	   "note escaped: & < > and quotes");
	ok(strstr(t.body, "Open: &lt;b&gt;x&lt;/b&gt;") != NULL,
	   "<b>x</b> in the body shows literally");
	ok(strstr(t.body, "<i>") == NULL && strstr(t.body, "Sons\"") == NULL,
	   "no raw markup from input");
	ok(strstr(t.body, "<b>First call from this number</b>") != NULL, "only our bold is markup");

	notify_card_format(&card, false, &t);
	ok(strstr(t.body, "Smith & \"Sons\" <Ltd>") != NULL, "without markup: literal text");
	ok(strstr(t.body, "<b>First") == NULL && strstr(t.body, "&amp;") == NULL &&
		   strstr(t.body, "Open: <b>x</b>") != NULL,
	   "without markup: no bold of ours, no entities, the caller's text as is");
}

static void test_truncation(void) {
	static const char phrase[] = "Просил чёрный крем для обуви и Generation P Пелевина; ";
	char note[4096] = "";
	while (strlen(note) + sizeof(phrase) < sizeof(note)) {
		strcat(note, phrase);
	}
	struct notify_card card = known_client();
	card.notes[0].text = note;
	for (int markup = 0; markup <= 1; markup++) {
		struct notify_text t;
		notify_card_format(&card, markup, &t);
		char line[1024];
		find_line(t.body, "Note", line, sizeof(line));
		ok(utf8_valid(t.body, strlen(t.body)),
		   "long Cyrillic note (markup %d): valid UTF-8", markup);
		size_t len = strlen(line);
		ok(len > 3 && strcmp(line + len - 3, "\xe2\x80\xa6") == 0,
		   "long Cyrillic note (markup %d): ends with an ellipsis", markup);
		ok(count_chars(line) <= 80, "long Cyrillic note (markup %d): %zu characters",
		   markup, count_chars(line));
		ok(strncmp(line, "Note 1 Mar: Просил чёрный крем",
			   strlen("Note 1 Mar: Просил чёрный крем")) == 0,
		   "long Cyrillic note (markup %d): starts as written", markup);
	}
}

static void test_invalid_utf8(void) {
	struct notify_card card = unknown_caller();
	card.telco_name = "Jos\xe9 M\xfcller";
	card.company = "\xd0\x9f\xd0"; /* cut in the middle of a character */
	card.notes[0].text = "line one\nline two\r\n\x01\x7f tail \xff\xfe";
	card.requests[0] = "\xc0\xaf overlong";
	card.line = "";
	struct notify_text t;
	notify_card_format(&card, true, &t);
	ok(utf8_valid(t.summary, strlen(t.summary)) && utf8_valid(t.body, strlen(t.body)),
	   "invalid UTF-8 in: valid UTF-8 out");
	is_str(t.summary, "Jos\xc3\xa9 M\xc3\xbcller", "Latin-1 telco name read as Latin-1");
	ok(strstr(t.body, "line one line two") != NULL, "line breaks in a note become spaces");
	ok(count_lines(t.body) <= 6, "invalid input: still at most six lines");

	/* 1 MB with no line breaks, every field: bounded output. */
	size_t big = 1 << 20;
	char *huge = malloc(big + 1);
	if (huge == NULL) {
		ok(false, "malloc");
		return;
	}
	for (size_t i = 0; i < big; i++) {
		huge[i] = (char)("&<\xd0\x96x\xe2\x80"[i % 6]);
	}
	huge[big] = '\0';
	struct notify_card h = known_client();
	h.name = h.company = h.telco_name = h.number = h.line = huge;
	h.notes[0].text = h.requests[0] = h.requests[1] = h.requests[2] = h.reminders[0].text = huge;
	h.reminders[1].text = huge;
	h.requests_open = 1000000;
	h.calls_before = 2147483647;
	h.missed_unhandled = 2147483647;
	h.rings = 2147483647;
	h.state = NOTIFY_CALL_MISSED;
	notify_card_format(&h, true, &t);
	ok(strlen(t.body) < sizeof(t.body) - 1 && strlen(t.summary) < sizeof(t.summary) - 1,
	   "megabyte fields: summary %zu and body %zu bytes, not truncated by the buffers",
	   strlen(t.summary), strlen(t.body));
	ok(utf8_valid(t.body, strlen(t.body)) && count_lines(t.body) <= 6,
	   "megabyte fields: valid UTF-8, six lines at most");
	char line[1024];
	find_line(t.body, "<b>", line, sizeof(line));
	size_t len = strlen(line);
	ok(len > 16 && strcmp(line + len - 16, "calls before</b>") == 0,
	   "a long line about the past keeps its end: %s", line);
	free(huge);
}

static void test_when(void) {
	char out[64];
	notify_format_when(NOW - 27 * MINUTE, NOW, out, sizeof(out));
	is_str(out, "today 15:03", "when: today");
	notify_format_when(YESTERDAY_1403, NOW, out, sizeof(out));
	is_str(out, "yesterday 14:03", "when: yesterday");
	notify_format_when(MON_11_MARCH, NOW, out, sizeof(out));
	is_str(out, "3 days ago", "when: days ago");
	notify_format_when(FRI_1_MARCH, NOW, out, sizeof(out));
	is_str(out, "1 Mar", "when: this year");
	notify_format_when(DEC_2023, NOW, out, sizeof(out));
	is_str(out, "12 Dec 2023", "when: another year");
	notify_format_when(0, NOW, out, sizeof(out));
	is_str(out, "", "when: unknown");
	/* 23:59 yesterday is yesterday although only a minute ago. */
	notify_format_when(1710374340000LL, 1710374400000LL, out, sizeof(out));
	is_str(out, "yesterday 23:59", "when: calendar days, not 24-hour periods");
	char small[8];
	notify_format_when(YESTERDAY_1403, NOW, small, sizeof(small));
	ok(strlen(small) < sizeof(small), "when: small buffer stays terminated");
}

int main(void) {
	test_known_client();
	test_unknown_caller();
	test_withheld();
	test_telco_name();
	test_missed();
	test_ambiguous();
	test_markup();
	test_truncation();
	test_invalid_utf8();
	test_when();
	return tap_done();
}
