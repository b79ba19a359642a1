#ifndef CTID_NOTIFY_CARD_H
#define CTID_NOTIFY_CARD_H

/*
 * The screen-pop's text: who is calling and the one glance of history a
 * salesperson needs before picking up. Pure: a filled struct notify_card in,
 * summary and body out; no I/O, no clock (the caller passes now), no
 * allocation. The daemon fills the card from the call and the database; this
 * module knows neither.
 *
 * Every string in a card is borrowed for the duration of the call, may be
 * NULL, may be any length and need not be valid UTF-8: it is cut to a bounded
 * length, invalid bytes are read as Latin-1, control characters dropped and
 * line breaks turned into spaces.
 *
 * Times are wall-clock milliseconds since the Unix epoch (as in struct
 * call_time.wall); 0 means unknown. Relative times ("today 14:03",
 * "yesterday 09:15", "3 days ago", "12 Mar") use the local time zone.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTIFY_NOTES_MAX     3
#define NOTIFY_REQUESTS_MAX  3
#define NOTIFY_REMINDERS_MAX 2
#define NOTIFY_ACTIONS_MAX   3

/* Sizes of the composed text, in bytes with the NUL. Worst cases fit. */
#define NOTIFY_SUMMARY_MAX 256
#define NOTIFY_BODY_MAX	   4096

enum notify_call_state {
	NOTIFY_CALL_RINGING = 0,
	NOTIFY_CALL_ANSWERED, /* picked up, call in progress or over */
	NOTIFY_CALL_MISSED,   /* rang out, nobody picked up */
	NOTIFY_CALL_UNKNOWN,  /* over, but the modem cannot tell answered from missed */
};

struct notify_note {
	const char *text; /* NULL or "": no note */
	int64_t time;	  /* when it was written */
};

struct notify_reminder {
	const char *text; /* NULL or "": no reminder */
	int days_left;	  /* 0 due today, 1 tomorrow, negative: overdue */
};

struct notify_card {
	/* Who is calling. */
	const char *name;	/* the matched contact's name; NULL when no contact matched */
	const char *company;	/* the contact's company, or NULL */
	const char *telco_name; /* the name the telco sent with the number, or NULL */
	const char *withheld;	/* NULL, "private" or "unavailable" (call_withheld_str) */
	bool ambiguous;		/* several contacts share the number; name is the best guess */
	const char *number;	/* formatted for reading ("020 7946 0018"); NULL if withheld */
	const char *line;	/* the line's name when there are several, else NULL */
	int64_t contact_id;	/* 0 when no contact matched */
	bool can_dial;		/* the modem can call back */

	/* Earlier calls from this number, not counting this one. */
	bool history_unknown; /* the database could not be asked: say nothing about the past */
	int calls_before;
	int64_t last_call;    /* time of the latest earlier call */
	bool last_missed;     /* the latest earlier call was missed ... */
	bool last_handled;    /* ... and since called back or marked handled */
	int missed_unhandled; /* earlier missed calls nobody handled */
	struct notify_note notes[NOTIFY_NOTES_MAX]; /* newest first; the first is shown */
	const char *requests[NOTIFY_REQUESTS_MAX];  /* open requests or orders, newest first */
	int requests_open;			    /* how many are open in all */
	struct notify_reminder reminders[NOTIFY_REMINDERS_MAX]; /* due soon, soonest first */

	/* This call. */
	enum notify_call_state state;
	int rings;
	int64_t started;
	int64_t now;
};

/* The text of one notification. body holds \n-separated lines. */
struct notify_text {
	char summary[NOTIFY_SUMMARY_MAX];
	char body[NOTIFY_BODY_MAX];
};

/*
 * Composes the summary (plain text: servers never parse markup there) and
 * the body of card into out. With markup (the server has the body-markup
 * capability) the body is escaped (& < > " ') and the line about the past
 * is bold; without it the body is plain text. Both are valid UTF-8 and at
 * most six lines.
 */
void notify_card_format(const struct notify_card *card, bool markup, struct notify_text *out);

struct notify_action {
	const char *id;	   /* reported to the daemon: "open-card", "call-back" ... */
	const char *label; /* the button's text */
};

/*
 * Fills out with the actions worth offering for card, most useful first
 * (servers show the first few as buttons). The strings are static. Returns
 * how many, at most NOTIFY_ACTIONS_MAX.
 *
 * Ids: "open-card", "add-contact", "add-note", "call-back" and
 * "mark-handled".
 */
size_t notify_card_actions(const struct notify_card *card,
			   struct notify_action out[NOTIFY_ACTIONS_MAX]);

/*
 * The action a click on the popup itself stands for: "open-card" for a
 * contact, "add-contact" for an unknown number, NULL for a withheld one.
 * Static string.
 */
const char *notify_card_default_action(const struct notify_card *card);

/* A reminder's popup: "Reminder: Ivan Petrov" and what is due when. */
struct notify_reminder_card {
	const char *contact_name;
	const char *text;
	int days_left; /* 0 today */
	int year, month, day;
	int64_t contact_id;
};

/* Composes a reminder's popup, as notify_card_format() does a call's. */
void notify_reminder_format(const struct notify_reminder_card *r, bool markup,
			    struct notify_text *out);

/*
 * Writes when (ms since the epoch) as seen from now: "today 14:03",
 * "yesterday 09:15", "3 days ago" (up to six days), "12 Mar", "12 Mar 2023"
 * (another year), or "" for 0. Returns the length written (out is always
 * NUL-terminated when outsz > 0).
 */
size_t notify_format_when(int64_t when, int64_t now, char *out, size_t outsz);

#endif
