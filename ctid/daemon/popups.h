#ifndef CTID_DAEMON_POPUPS_H
#define CTID_DAEMON_POPUPS_H

/*
 * What the screen shows: one popup per call, updated in place as the call
 * goes on, one per reminder that falls due, and what their buttons do. The
 * buttons that act on a call (Mark handled, Call back) are the daemon's to
 * carry out; those that open something (Open card, Add note, Add contact)
 * run the configured commands (split into words before the placeholders are
 * filled in and started without a shell), else open the web page there,
 * else ctidctl in a terminal.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "calls.h"
#include "config.h"
#include "db.h"
#include "notify.h"

struct popups_actions {
	/* Mark handled on call_id's popup. Returns 0 or -errno. */
	int (*mark_handled)(int64_t call_id, void *data);
	/* Call back on the popup of call call_id (0: none) from number.
	 * Returns 0 or -errno (-ENOTSUP when no line can dial). */
	int (*call_back)(const char *number, int64_t call_id, void *data);
	/* Opens the web page at path ("/#/contacts/42") in the browser,
	 * logged in. Returns 0, or -errno when there is no web page (the
	 * buttons then open ctidctl in a terminal). May be NULL. */
	int (*open_page)(const char *path, void *data);
};

struct popups_options {
	bool notify;	      /* raise desktop notifications */
	FILE *print;	      /* also print each one here, or NULL */
	const char *database; /* {database} in the commands; must outlive the popups */
	/* open-card and add-note, read when a button is pressed (a reload may
	 * change them); must outlive the popups. */
	const struct config *config;
};

struct popups;

/* Returns the popups, or NULL with errno set when notifications cannot be
 * shown (the daemon runs on without them). */
struct popups *popups_create(const struct popups_options *o, const struct popups_actions *a,
			     void *data);
/* NULL is a no-op. */
void popups_destroy(struct popups *p);

/* fn(key) once the notification server answered the popup of key
 * (notify_set_shown); popups_async() says whether that will happen at all. */
void popups_set_shown(struct popups *p, void (*fn)(uint64_t key, void *data), void *data);
bool popups_async(const struct popups *p);

/* Shows or updates the popup of call e. line: the line's name when the user
 * has several lines, else NULL. can_dial: whether Call back is offered. */
void popups_show_call(struct popups *p, const struct call_entry *e, const char *line, bool can_dial);
/* What the popup of call e shows (its strings borrowed from e and line),
 * for the other outputs that show the same. */
void popups_card(const struct call_entry *e, const char *line, bool can_dial,
		 struct notify_card *out);
/* Shows or updates popup key with a card made elsewhere (a desk's, from its
 * server's events): call_id and number (as sent) for its buttons. */
void popups_show_card(struct popups *p, uint64_t key, const struct notify_card *card,
		      int64_t call_id, const char *number);
/* Shows a reminder that falls due. */
void popups_show_reminder(struct popups *p, const struct db_reminder *r);
/* The call was marked handled: its missed-call popup goes. */
void popups_call_handled(struct popups *p, int64_t call_id);

#endif
