#ifndef CTID_WEB_H
#define CTID_WEB_H

/*
 * The web page and the JSON API (doc/api.md), served by libsoup on the
 * daemon's GLib main loop: no threads, every handler one bounded database
 * query or a few. The page's files are compiled in (GResource). Users log
 * in with a password (a session cookie and a CSRF token) or a token
 * (Authorization: Bearer), and their role decides what they may do.
 *
 * The web knows no modem and no screen: the daemon hands it the database
 * connection, the actions only the daemon can take (mark handled, which
 * also closes popups; dial), and the events it publishes to the page.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "json.h"

struct web_options {
	const char *const *listen; /* "ADDR:PORT"s (config_parse_listen) */
	int n_listen;
	const char *tls_cert, *tls_key; /* PEM files, or NULL: self-signed */
	const char *state_dir;		/* where the self-signed pair is kept */
};

struct web_hooks {
	/* The database connection, borrowed for the handler's duration; NULL
	 * while it cannot be opened (the API answers 503). */
	struct db *(*db)(void *data);
	/* The home region for formatting numbers ("" for none). */
	const char *(*region)(void *data);
	/* Marks a call handled (and closes its popup). 0 or -errno. */
	int (*mark_handled)(int64_t call_id, void *data);
	/* Dials number back for call call_id when a line can (*dialled), and
	 * records that the caller was called back. 0 or -errno. */
	int (*call_back)(const char *number, int64_t call_id, const char *user, bool *dialled,
			 void *data);
	/* Dials digits (output_dial_digits) on a line that can: 0, -ENOTSUP
	 * when none can, -EBUSY, -EAGAIN (see modem_dial). */
	int (*dial)(const char *digits, void *data);
	/* Writes the status's keys (version, database, modems) into the
	 * object open on w; "web" is added here. */
	void (*status)(struct json_writer *w, void *data);
	/* Writes the settings in effect as one object (jsonout_settings). */
	void (*settings)(struct json_writer *w, void *data);
	/* Replaces the database with the backup at path (calls_restore).
	 * Returns 0, or -errno with the reason in why. */
	int (*restore)(const char *path, char *why, size_t whysz, void *data);
};

struct web;

/*
 * Listens on every address of o; an address that is not loopback is served
 * over TLS only, with o's certificate or, without one, a self-signed one
 * made once and kept in o->state_dir (mode 0600). Returns NULL (after
 * logging why) when an address cannot be used or TLS cannot be set up.
 * The hooks must outlive the object.
 */
struct web *web_create(const struct web_options *o, const struct web_hooks *h, void *data);
/* Closes every connection. NULL is a no-op. */
void web_destroy(struct web *w);

/*
 * Publishes an event to every connected page: type is "call-started",
 * "call-updated", "call-ended", "reminder", "modem-added" or
 * "modem-removed"; key the member that holds object ("call", "reminder",
 * "modem"), both string literals; object one JSON object (copied). Kept
 * in a ring of the last WEB_EVENTS_KEPT for pages that reconnect with
 * ?since=. live: the call's key (0 for other events): the latest event of
 * a call until its call-ended is what a page that connects afresh gets
 * first.
 */
#define WEB_EVENTS_KEPT 256
void web_publish(struct web *w, const char *type, const char *key, const char *object, uint64_t live);

/*
 * Holds what is published until as many web_release() calls: it then goes
 * out in order. The daemon holds the pages' events while a popup is on its
 * way to the screen, so that sending an event to a couple of hundred pages
 * does not take the CPU the popup needs (tests/bench/run --only path,
 * outputs case).
 */
void web_hold(struct web *w);
void web_release(struct web *w);

/* The first URL the page is served at ("http://127.0.0.1:8733/"), or NULL
 * when nothing listens. */
const char *web_url(const struct web *w);
/* Every URL, as a NULL-terminated array owned by w. */
const char *const *web_urls(const struct web *w);
/* The SHA-256 fingerprint of the TLS certificate ("AB:CD:..."), or NULL
 * without TLS. */
const char *web_fingerprint(const struct web *w);

/* How many pages are connected to the events. */
int web_clients(const struct web *w);
/* Sessions or tokens may have ended (a logout, a user deleted, a new
 * password, ctidctl): the pages whose login ended are closed. */
void web_tokens_changed(struct web *w);

#endif
