#include <stdio.h>
#include <string.h>
#include <time.h>

#include "card.h"
#include "civil.h"
#include "utf8.h"

/*
 * Budgets, in characters. A line is at most LINE_CHARS characters of at most
 * 4 bytes, 6 bytes once escaped (&quot;), so six lines and their markup stay
 * well under NOTIFY_BODY_MAX; the summary's name under NOTIFY_SUMMARY_MAX.
 */
#define LINE_CHARS   80
#define NAME_CHARS   48
#define NUMBER_CHARS 32
#define ITEM_CHARS   40
#define LINE_BYTES   (LINE_CHARS * 4 + 1)
#define BODY_LINES   6
/* Input is read up to this many bytes; anything longer is cut anyway. */
#define INPUT_BYTES 1024

_Static_assert(BODY_LINES *(LINE_CHARS * 6 + 8) < NOTIFY_BODY_MAX, "body budget");
_Static_assert(sizeof("Missed call from ") + NAME_CHARS * 4 < NOTIFY_SUMMARY_MAX, "summary budget");

static const char ellipsis[] = "\xe2\x80\xa6"; /* … */
static const char dot[] = " \xc2\xb7 ";	       /* " · " */
static const char dash[] = " \xe2\x80\x94 ";   /* " — " */

/* A bounded string being built; it stops growing at a character boundary. */
struct buf {
	char *s;
	size_t size;
	size_t len;
};

static size_t count_chars(const char *s) {
	size_t n = 0;
	for (; *s != '\0'; s++) {
		n += ((unsigned char)*s & 0xc0) != 0x80;
	}
	return n;
}

static void buf_init(struct buf *b, char *s, size_t size) {
	b->s = s;
	b->size = size;
	b->len = 0;
	s[0] = '\0';
}

static void buf_addn(struct buf *b, const char *s, size_t n) {
	size_t room = b->size - 1 - b->len;
	if (n > room) {
		n = utf8_prefix(s, n, room);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_add(struct buf *b, const char *s) {
	buf_addn(b, s, strlen(s));
}

static void buf_add_int(struct buf *b, int v) {
	char num[16];
	int n = snprintf(num, sizeof(num), "%d", v);
	buf_addn(b, num, (size_t)n);
}

/* Adds sep first unless b is still empty. */
static void buf_join(struct buf *b, const char *sep, const char *s) {
	if (s[0] == '\0') {
		return;
	}
	if (b->len > 0) {
		buf_add(b, sep);
	}
	buf_add(b, s);
}

/*
 * Cuts valid UTF-8 s to at most max characters, ending in "…" when cut.
 * s must have room for the ellipsis (it replaces at least one character, so
 * 4 * max + 1 bytes always do). Returns whether it cut.
 */
static bool fit(char *s, size_t size, size_t max) {
	if (max == 0) {
		bool cut = s[0] != '\0';
		s[0] = '\0';
		return cut;
	}
	size_t chars = 0;
	size_t i = 0;
	size_t cut = 0;
	for (; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80) {
			continue;
		}
		if (chars == max - 1) {
			cut = i;
		}
		if (++chars > max) {
			break;
		}
	}
	if (chars <= max) {
		return false;
	}
	while (cut > 0 && (s[cut - 1] == ' ' || s[cut - 1] == ',' || s[cut - 1] == ';')) {
		cut--;
	}
	if (cut + sizeof(ellipsis) > size) {
		cut = utf8_prefix(s, cut, size - sizeof(ellipsis));
	}
	memcpy(s + cut, ellipsis, sizeof(ellipsis));
	return true;
}

/*
 * Copies untrusted text into out as valid UTF-8 on one line, at most max
 * characters (then ending in "…"). out needs 4 * max + 1 bytes. Returns the
 * length; 0 for NULL.
 */
static size_t clean(const char *in, char *out, size_t outsz, size_t max) {
	out[0] = '\0';
	if (in == NULL) {
		return 0;
	}
	char raw[INPUT_BYTES];
	/* Look a few bytes further so a character straddling the limit is seen whole. */
	size_t n = strnlen(in, sizeof(raw) + 4);
	size_t m = utf8_prefix(in, n, sizeof(raw) - 1);
	bool cut = m < n;
	for (size_t i = 0; i < m; i++) {
		char c = in[i];
		raw[i] = c == '\n' || c == '\r' || c == '\v' || c == '\f' ? ' ' : c;
	}
	utf8_sanitize(raw, m, out, outsz);
	if (!fit(out, outsz, max) && cut && out[0] != '\0') {
		/* The input was longer than we read: show that something is missing. */
		size_t len = strlen(out);
		if (len + sizeof(ellipsis) > outsz) {
			len = utf8_prefix(out, len, outsz - sizeof(ellipsis));
		}
		memcpy(out + len, ellipsis, sizeof(ellipsis));
		fit(out, outsz, max);
	}
	return strlen(out);
}

static bool present(const char *s) {
	return s != NULL && s[0] != '\0';
}

static bool local_tm(int64_t ms, struct tm *tm) {
	time_t t = (time_t)(ms / 1000);
	return localtime_r(&t, tm) != NULL;
}

static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

size_t notify_format_when(int64_t when, int64_t now, char *out, size_t outsz) {
	if (outsz == 0) {
		return 0;
	}
	out[0] = '\0';
	struct tm w;
	struct tm n;
	if (when <= 0 || !local_tm(when, &w) || !local_tm(now, &n)) {
		return 0;
	}
	int64_t days = civil_days((int64_t)n.tm_year + 1900, n.tm_mon + 1, n.tm_mday) -
		       civil_days((int64_t)w.tm_year + 1900, w.tm_mon + 1, w.tm_mday);
	int len;
	if (days == 0) {
		len = snprintf(out, outsz, "today %02d:%02d", w.tm_hour, w.tm_min);
	} else if (days == 1) {
		len = snprintf(out, outsz, "yesterday %02d:%02d", w.tm_hour, w.tm_min);
	} else if (days >= 2 && days <= 6) {
		len = snprintf(out, outsz, "%d days ago", (int)days);
	} else if (w.tm_year == n.tm_year) {
		len = snprintf(out, outsz, "%d %s", w.tm_mday, months[w.tm_mon]);
	} else {
		len = snprintf(out, outsz, "%d %s %d", w.tm_mday, months[w.tm_mon], w.tm_year + 1900);
	}
	if (len < 0) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)len < outsz ? (size_t)len : outsz - 1;
}

static bool has_number(const struct notify_card *card) {
	return card->withheld == NULL && present(card->number);
}

static bool is_contact(const struct notify_card *card) {
	return card->contact_id != 0 || present(card->name);
}

/* The caller as the summary names them; sets *named when it is a name. */
static void caller(const struct notify_card *card, char *out, size_t outsz, bool *named) {
	*named = true;
	if (clean(card->name, out, outsz, NAME_CHARS) > 0) {
		return;
	}
	if (clean(card->telco_name, out, outsz, NAME_CHARS) > 0) {
		return;
	}
	*named = false;
	out[0] = '\0';
}

static void format_summary(const struct notify_card *card, char *out, size_t outsz) {
	char who[NAME_CHARS * 4 + 1];
	bool named;
	caller(card, who, sizeof(who), &named);
	char number[NUMBER_CHARS * 4 + 1];
	clean(has_number(card) ? card->number : NULL, number, sizeof(number), NUMBER_CHARS);
	bool unavailable = card->withheld != NULL && strcmp(card->withheld, "unavailable") == 0;

	struct buf b;
	buf_init(&b, out, outsz);
	switch (card->state) {
	case NOTIFY_CALL_MISSED:
	case NOTIFY_CALL_UNKNOWN:
		/* Read later, maybe in a list of summaries: name the caller as best we can. */
		buf_add(&b, card->state == NOTIFY_CALL_MISSED ? "Missed call" : "Call");
		if (named) {
			buf_add(&b, " from ");
			buf_add(&b, who);
		} else if (card->withheld != NULL) {
			buf_add(&b, unavailable ? ", number unavailable" : " from a private number");
		} else if (number[0] != '\0') {
			buf_add(&b, " from ");
			buf_add(&b, number);
		} else {
			buf_add(&b, " from an unknown caller");
		}
		break;
	case NOTIFY_CALL_RINGING:
	case NOTIFY_CALL_ANSWERED:
	default:
		if (named) {
			buf_add(&b, who);
		} else if (card->withheld != NULL) {
			buf_add(&b, unavailable ? "Number unavailable" : "Private number");
		} else {
			buf_add(&b, "Unknown caller");
		}
		break;
	}
}

/* "020 7946 0018 · Shop · today 14:03, 5 rings" */
static void line_number(const struct notify_card *card, char *out, size_t outsz) {
	struct buf b;
	buf_init(&b, out, outsz);
	char part[LINE_BYTES];
	clean(has_number(card) ? card->number : NULL, part, sizeof(part), NUMBER_CHARS);
	buf_join(&b, dot, part);
	clean(card->line, part, sizeof(part), ITEM_CHARS);
	buf_join(&b, dot, part);

	char when[64];
	switch (card->state) {
	case NOTIFY_CALL_ANSWERED:
		buf_join(&b, dot, "answered");
		break;
	case NOTIFY_CALL_MISSED:
	case NOTIFY_CALL_UNKNOWN:
		notify_format_when(card->started, card->now, when, sizeof(when));
		buf_join(&b, dot, when);
		if (card->state == NOTIFY_CALL_MISSED && card->rings > 0) {
			char rings[32];
			snprintf(rings, sizeof(rings), "%d %s", card->rings,
				 card->rings == 1 ? "ring" : "rings");
			buf_join(&b, when[0] != '\0' ? ", " : dot, rings);
		}
		break;
	case NOTIFY_CALL_RINGING:
	default:
		break;
	}
}

static void line_company(const struct notify_card *card, char *out, size_t outsz) {
	struct buf b;
	buf_init(&b, out, outsz);
	char company[NAME_CHARS * 4 + 1];
	clean(card->company, company, sizeof(company), NAME_CHARS);
	buf_add(&b, company);
	if (card->ambiguous) {
		buf_join(&b, dot,
			 b.len > 0 ? "several contacts have this number"
				   : "Several contacts have this number");
	}
}

/* The one line about the past: "Last call missed yesterday 14:03, not called back — 3 calls
 * before". */
static void line_history(const struct notify_card *card, char *out, size_t outsz) {
	struct buf b;
	buf_init(&b, out, outsz);
	if (card->history_unknown || !has_number(card)) {
		return;
	}
	if (card->calls_before <= 0) {
		buf_add(&b, "First call from this number");
		return;
	}
	char when[64];
	notify_format_when(card->last_call, card->now, when, sizeof(when));
	bool open_miss = card->last_missed && !card->last_handled;
	if (card->last_missed) {
		buf_add(&b, "Last call missed");
		if (when[0] != '\0') {
			buf_add(&b, " ");
			buf_add(&b, when);
		}
		buf_add(&b, open_miss ? ", not called back" : ", handled");
	} else if (when[0] != '\0') {
		buf_add(&b, "Last call ");
		buf_add(&b, when);
	}
	int others = card->missed_unhandled - (open_miss ? 1 : 0);
	if (others > 0) {
		buf_add(&b, b.len > 0 ? ", " : "");
		buf_add_int(&b, others);
		buf_add(&b, open_miss ? " more" : " missed");
		buf_add(&b, " not called back");
	}
	/* How often comes last and is never cut: the head gives way. */
	char tail[48];
	snprintf(tail, sizeof(tail), "%s%d %s", b.len > 0 ? dash : "", card->calls_before,
		 card->calls_before == 1 ? "call before" : "calls before");
	fit(out, outsz, LINE_CHARS - count_chars(tail));
	b.len = strlen(out);
	buf_add(&b, tail);
}

/* "Open: black shoe cream; Generation P (+2 more)" */
static void line_requests(const struct notify_card *card, char *out, size_t outsz) {
	struct buf b;
	buf_init(&b, out, outsz);
	char items[LINE_BYTES];
	struct buf ib;
	buf_init(&ib, items, sizeof(items));
	int listed = 0;
	for (size_t i = 0; i < NOTIFY_REQUESTS_MAX; i++) {
		char item[ITEM_CHARS * 4 + 1];
		if (clean(card->requests[i], item, sizeof(item), ITEM_CHARS) > 0) {
			buf_join(&ib, "; ", item);
			listed++;
		}
	}
	int total = card->requests_open > listed ? card->requests_open : listed;
	if (total == 0) {
		return;
	}
	if (listed == 0) {
		buf_add_int(&b, total);
		buf_add(&b, total == 1 ? " open request" : " open requests");
		return;
	}
	char more[32] = "";
	if (total > listed) {
		snprintf(more, sizeof(more), " (+%d more)", total - listed);
	}
	static const char prefix[] = "Open: ";
	fit(items, sizeof(items), LINE_CHARS - (sizeof(prefix) - 1) - strlen(more));
	buf_add(&b, prefix);
	buf_add(&b, items);
	buf_add(&b, more);
}

/* "Note 12 Mar: asked for black shoe cream" */
static void line_note(const struct notify_card *card, char *out, size_t outsz) {
	struct buf b;
	buf_init(&b, out, outsz);
	for (size_t i = 0; i < NOTIFY_NOTES_MAX; i++) {
		char text[LINE_BYTES];
		if (clean(card->notes[i].text, text, sizeof(text), LINE_CHARS) == 0) {
			continue;
		}
		char when[64];
		notify_format_when(card->notes[i].time, card->now, when, sizeof(when));
		buf_add(&b, "Note");
		if (when[0] != '\0') {
			buf_add(&b, " ");
			buf_add(&b, when);
		}
		buf_add(&b, ": ");
		buf_add(&b, text);
		return;
	}
}

/* "Reminder tomorrow: send the price list; in 3 days: call about the invoice" */
static void line_reminders(const struct notify_card *card, char *out, size_t outsz) {
	struct buf b;
	buf_init(&b, out, outsz);
	for (size_t i = 0; i < NOTIFY_REMINDERS_MAX; i++) {
		const struct notify_reminder *r = &card->reminders[i];
		char text[ITEM_CHARS * 4 + 1];
		if (clean(r->text, text, sizeof(text), ITEM_CHARS) == 0) {
			continue;
		}
		buf_add(&b, b.len == 0 ? "Reminder " : "; ");
		if (r->days_left < 0) {
			buf_add(&b, "overdue");
		} else if (r->days_left == 0) {
			buf_add(&b, "today");
		} else if (r->days_left == 1) {
			buf_add(&b, "tomorrow");
		} else {
			buf_add(&b, "in ");
			buf_add_int(&b, r->days_left);
			buf_add(&b, " days");
		}
		buf_add(&b, ": ");
		buf_add(&b, text);
	}
}

/* Appends s escaped for the notification body markup (a subset of Pango/HTML),
 * the way g_markup_escape_text() does it; whole characters or entities only. */
static void buf_add_escaped(struct buf *b, const char *s) {
	size_t left = strlen(s);
	while (left > 0) {
		const char *rep = NULL;
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			break;
		}
		size_t in = rep != NULL ? 1 : utf8_char_len(s, left);
		size_t n = rep != NULL ? strlen(rep) : in;
		if (in == 0 || b->len + n > b->size - 1) {
			return;
		}
		memcpy(b->s + b->len, rep != NULL ? rep : s, n);
		b->len += n;
		b->s[b->len] = '\0';
		s += in;
		left -= in;
	}
}

void notify_card_format(const struct notify_card *card, bool markup, struct notify_text *out) {
	format_summary(card, out->summary, sizeof(out->summary));

	typedef void (*line_fn)(const struct notify_card *, char *, size_t);
	static const line_fn lines[BODY_LINES] = {
		line_number, line_company, line_history, line_requests, line_note, line_reminders,
	};
	static const size_t key_line = 2; /* line_history: the one to read if nothing else */

	struct buf b;
	buf_init(&b, out->body, sizeof(out->body));
	for (size_t i = 0; i < BODY_LINES; i++) {
		char line[LINE_BYTES];
		lines[i](card, line, sizeof(line));
		fit(line, sizeof(line), LINE_CHARS);
		if (line[0] == '\0') {
			continue;
		}
		if (b.len > 0) {
			buf_add(&b, "\n");
		}
		if (!markup) {
			buf_add(&b, line);
			continue;
		}
		buf_add(&b, i == key_line ? "<b>" : "");
		buf_add_escaped(&b, line);
		buf_add(&b, i == key_line ? "</b>" : "");
	}
}

void notify_reminder_format(const struct notify_reminder_card *r, bool markup,
			    struct notify_text *out) {
	char name[NAME_CHARS * 4 + 1];
	struct buf b;
	buf_init(&b, out->summary, sizeof(out->summary));
	buf_add(&b, "Reminder: ");
	buf_add(&b, clean(r->contact_name, name, sizeof(name), NAME_CHARS) > 0 ? name : "a client");

	char text[ITEM_CHARS * 4 + 1];
	char line[LINE_BYTES];
	struct buf l;
	buf_init(&l, line, sizeof(line));
	if (r->days_left <= 0) {
		buf_add(&l, "Today");
	} else if (r->days_left == 1) {
		buf_add(&l, "Tomorrow");
	} else {
		buf_add(&l, "In ");
		buf_add_int(&l, r->days_left);
		buf_add(&l, " days");
	}
	if (r->month >= 1 && r->month <= 12) {
		buf_add(&l, ", ");
		buf_add_int(&l, r->day);
		buf_add(&l, " ");
		buf_add(&l, months[r->month - 1]);
	}
	buf_init(&b, out->body, sizeof(out->body));
	if (clean(r->text, text, sizeof(text), ITEM_CHARS) > 0) {
		if (markup) {
			buf_add(&b, "<b>");
			buf_add_escaped(&b, text);
			buf_add(&b, "</b>");
		} else {
			buf_add(&b, text);
		}
		buf_add(&b, "\n");
	}
	buf_add(&b, line);
}

static size_t add_action(struct notify_action out[NOTIFY_ACTIONS_MAX], size_t n, const char *id,
			 const char *label) {
	if (n < NOTIFY_ACTIONS_MAX) {
		out[n] = (struct notify_action){.id = id, .label = label};
		n++;
	}
	return n;
}

size_t notify_card_actions(const struct notify_card *card,
			   struct notify_action out[NOTIFY_ACTIONS_MAX]) {
	size_t n = 0;
	bool ended = card->state == NOTIFY_CALL_MISSED || card->state == NOTIFY_CALL_UNKNOWN;
	if (ended) {
		/* Possibly missed: getting back to the caller comes first. */
		if (card->can_dial && has_number(card)) {
			n = add_action(out, n, "call-back", "Call back");
		}
		n = add_action(out, n, "mark-handled", "Mark handled");
	}
	if (is_contact(card)) {
		n = add_action(out, n, "open-card", "Open card");
	} else if (has_number(card)) {
		n = add_action(out, n, "add-contact", "Add contact");
	}
	n = add_action(out, n, "add-note", "Add note");
	return n;
}

const char *notify_card_default_action(const struct notify_card *card) {
	if (is_contact(card)) {
		return "open-card";
	}
	return has_number(card) ? "add-contact" : NULL;
}
