#ifndef CTID_REMOTE_H
#define CTID_REMOTE_H

/*
 * A client of another ctid's web API: a desk without a modem follows the
 * server's live events (GET /api/v1/events, a WebSocket) and acts on its
 * calls through the API. On the GLib main loop with libsoup; the link
 * survives the server restarting, the network dropping and the machine
 * sleeping: it reconnects with back-off and asks for what it missed
 * (?since= the last event it saw).
 *
 * TLS is verified: by the system's trust, or, for a server with a
 * certificate of its own, by the SHA-256 fingerprint pinned when the desk
 * joined; a certificate that is neither is refused, and the reason says so.
 */

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

struct remote_options {
	const char *url;	 /* the server's page, "https://shop.example:8733/" */
	const char *token;	 /* an API token of the desk's user */
	const char *fingerprint; /* "AB:CD:..." pinned, or NULL: the system's trust */
};

struct remote_listener {
	/* One message of the events socket, parsed (an object with "event"). */
	void (*event)(JsonObject *msg, void *data);
	/* The link came up, or went down (why: one sentence). */
	void (*state)(bool connected, const char *why, void *data);
};

struct remote;

/* Starts connecting at once. Returns NULL (logged) for a URL that is not
 * http(s). The listener must outlive the object. */
struct remote *remote_create(const struct remote_options *o, const struct remote_listener *l,
			     void *data);
/* Closes the link. NULL is a no-op. */
void remote_destroy(struct remote *r);

/* Whether the events socket is open; since when (Unix seconds), the last
 * error (one sentence, "" when none) and the last event id seen (-1). */
bool remote_connected(const struct remote *r);
int64_t remote_since(const struct remote *r);
const char *remote_error(const struct remote *r);
const char *remote_url(const struct remote *r);

/*
 * An API request, answered later on the main loop: fn gets the HTTP status
 * (0 when the server could not be reached), the parsed JSON body (or NULL)
 * and, for an error, its sentence. body is JSON text or NULL. fn may be NULL.
 */
typedef void (*remote_reply_fn)(int status, JsonNode *body, const char *error, void *data);
void remote_request(struct remote *r, const char *method, const char *path, const char *body,
		    remote_reply_fn fn, void *data);

/*
 * The same, answered before it returns (fn is called, not NULL): for the
 * D-Bus methods, which answer at once. The loop waits meanwhile, at most
 * REMOTE_WAIT_S seconds; a LAN answers in a few milliseconds.
 */
#define REMOTE_WAIT_S 5
void remote_request_wait(struct remote *r, const char *method, const char *path, const char *body,
			 remote_reply_fn fn, void *data);

#endif
