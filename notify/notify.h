#ifndef CTID_NOTIFY_H
#define CTID_NOTIFY_H

/*
 * The screen-pop: one desktop notification per call, shown while the phone
 * rings and updated in place as the call goes on (the telco's name arrives,
 * the call is missed). It talks to the notification server through libnotify
 * on a thread of its own, so a slow or hung server never delays the caller:
 * every function here returns without waiting for D-Bus. Action callbacks
 * and this module's log messages are delivered on the main context given to
 * notify_create(), never on the worker thread.
 *
 * libnotify keeps global state, so there is at most one enabled struct
 * notify per process.
 */

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "card.h"

struct notify_options {
	const char *app_name; /* NULL: "ctid" */
	/* NULL: ctid's own, CTID_APP_ID (installed as a desktop entry and a
	 * hicolor icon of that name); "": no desktop-entry hint */
	const char *icon; /* icon name or file path */
	const char *desktop_entry;
	bool enabled;	/* show popups through the notification server */
	bool print;	/* also print each notification's text (ctid --demo) */
	FILE *print_to; /* where to print; NULL: stdout. Borrowed. */
};

/*
 * Called on the main context when the user picks an action on the popup of
 * key: "open-card", "add-contact", "add-note", "call-back" or
 * "mark-handled" (see notify_card_actions). Clicking the popup itself
 * reports notify_card_default_action(). action is valid during the call.
 * The callback may call notify_show() and notify_close(), not
 * notify_destroy().
 */
typedef void (*notify_action_fn)(uint64_t key, const char *action, void *data);

struct notify;

/*
 * Returns a new notifier, or NULL with errno set (EBUSY: another enabled
 * one exists; EAGAIN: no thread could be started). opts is copied, except
 * print_to. main_ctx (NULL: the global default context) is where fn runs;
 * it must be iterated for actions and log messages to arrive. With
 * opts->enabled false nothing talks to D-Bus and no thread is started.
 * Free with notify_destroy().
 */
struct notify *notify_create(const struct notify_options *opts, GMainContext *main_ctx,
			     notify_action_fn fn, void *data);

/*
 * Stops the worker thread. Popups for calls still ringing are closed (their
 * actions would go nowhere); missed-call popups stay, as the record that
 * someone called. Waits at most half a second for the notification server:
 * a hung one is left to time out on the abandoned thread. NULL is a no-op.
 * Must be called on the thread that iterates the main context.
 */
void notify_destroy(struct notify *n);

/*
 * Shows the popup for key (the daemon's call id), or updates it in place if
 * one is up. The card is composed now (and printed if asked); the server is
 * told later, on the worker thread. When several updates for a key wait,
 * only the last is sent. Returns 0, or -EINVAL.
 */
int notify_show(struct notify *n, uint64_t key, const struct notify_card *card);

/* Shows a reminder's popup (persistent, with "Open card") under key, which
 * must not be a call's. Returns 0, or -EINVAL. */
int notify_show_reminder(struct notify *n, uint64_t key, const struct notify_reminder_card *r);

/*
 * Called on the main context once the server answered the show of key (or
 * could not be reached): the popup is on the screen. Not called for shows
 * that were merged into a later one of the same key, nor when notifications
 * are not enabled. NULL: not told (the default), which spares the worker a
 * wake-up of the main context per popup.
 */
typedef void (*notify_shown_fn)(uint64_t key, void *data);
void notify_set_shown(struct notify *n, notify_shown_fn fn, void *data);

/* Whether popups go to a notification server (the worker runs). */
bool notify_enabled(const struct notify *n);

/* Closes the popup for key, if any. Returns 0, or -EINVAL. */
int notify_close(struct notify *n, uint64_t key);

#endif
