#ifndef CTID_AMI_H
#define CTID_AMI_H

/*
 * The Asterisk Manager Interface (TCP port 5038): messages of "Key: Value"
 * lines ended by an empty line, after a one-line banner ("Asterisk Call
 * Manager/9.0.0"). The parser follows the calls that come in through the
 * inbound contexts: every channel of a call shares its Linkedid, the first
 * one (Uniqueid = Linkedid) is the trunk's, which gives the caller and the
 * number dialled (its Exten). A call is answered when a phone's leg (not the
 * trunk's, not a Local channel) goes Up, gets DialEnd ANSWER or enters a
 * bridge; it is missed when the trunk's channel hangs up before that. Queues
 * and ring groups ring many legs: still one call. Calls placed from an
 * extension are followed where the trunks' channel names are known. Pure: lines and the time
 * come in, call events and the server's responses go out.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call_event.h"

#define AMI_DEFAULT_PORT     5038
#define AMI_DEFAULT_TLS_PORT 5039
#define AMI_DEFAULT_CONTEXTS "from-pstn,from-trunk" /* FreePBX's inbound contexts */
#define AMI_MAX_CALLS	     1024		    /* followed at once; the oldest gives way */
#define AMI_MAX_CHANNELS     8192		    /* legs followed at once */

struct ami_listener {
	void (*call)(const struct call_info *call, enum call_change change, void *data);
	/* A Response: message (to Login, Ping ...): success is "Response:
	 * Success"; message is its Message: ("" without one). May be NULL. */
	void (*response)(bool success, const char *message, void *data);
};

struct ami_parser_options {
	const char *line;     /* the line's name, copied */
	const char *contexts; /* inbound contexts, comma-separated; NULL: AMI_DEFAULT_CONTEXTS */
	/* How the trunks' channels are named ("PJSIP/provider,SIP/voipgrid",
	 * each the start of a name), comma-separated; NULL: calls placed are
	 * not followed. A call an extension places is followed once one of
	 * its legs is a trunk's: outgoing, answered when that leg answers. */
	const char *trunks;
};

struct ami_parser;

/* Returns NULL with errno set; free with ami_parser_destroy(). */
struct ami_parser *ami_parser_create(const struct ami_parser_options *opts,
				     const struct ami_listener *l, void *data);
/* Ends no call (see ami_parser_finish()); NULL is a no-op. */
void ami_parser_destroy(struct ami_parser *p);

/* Feeds one line without its line break ('\r' allowed), read at now (ms
 * since the epoch). An empty line ends a message, which is then acted on. */
void ami_parser_line(struct ami_parser *p, const char *s, size_t len, int64_t now);

/* Forgets a message begun and ends every call in progress (the connection
 * was lost): answered ones stay answered, the others end as unknown. */
void ami_parser_finish(struct ami_parser *p, int64_t now);

/* How many calls are in progress. */
int ami_parser_calls(const struct ami_parser *p);

/* The extension a channel name stands for: "PJSIP/21-0000001a" is "21",
 * "SIP/777-000000bc" is "777"; "" for a Local channel. */
void ami_channel_extension(const char *channel, char out[CALL_EXT_MAX]);

/* The connection: a PBX's manager interface, followed for as long as it
 * lives: it logs in (Events: call) whenever it connects, and reconnects
 * with back-off whenever it goes. */
struct ami_options {
	const char *host;
	int port;	      /* 0: AMI_DEFAULT_PORT, or AMI_DEFAULT_TLS_PORT with tls */
	bool tls;	      /* over TLS (manager.conf's tlsenable) */
	const char *tls_ca;   /* PEM certificates to trust (the PBX's own); NULL: the system's */
	const char *line;     /* the line's name */
	const char *user;     /* manager.conf's [user] */
	const char *secret;   /* its secret= */
	const char *contexts; /* as in struct ami_parser_options */
	const char *trunks;   /* as in struct ami_parser_options */
	int64_t retry_min_ms; /* first wait before reconnecting; 0: 1 s */
};

typedef void (*ami_call_fn)(const struct call_info *call, enum call_change change, void *data);

struct ami;

/* Starts connecting (on the thread-default main context). Returns NULL with
 * errno set; free with ami_destroy(), which ends the calls in progress. */
struct ami *ami_create(const struct ami_options *opts, ami_call_fn fn, void *data);
void ami_destroy(struct ami *a);

/* Whether the PBX accepted the login on the connection that is up. */
bool ami_logged_in(const struct ami *a);

/*
 * Has the PBX ring channel (the user's phone, "PJSIP/21") and, when it is
 * picked up, dial number (digits and a leading +) in context: AMI's
 * Originate, asynchronous. Returns 0 when asked (a refusal is logged when
 * it comes), -ENOTCONN when not logged in, -EINVAL for a bad argument.
 */
int ami_originate(struct ami *a, const char *channel, const char *context, const char *number);

/*
 * Reads the secret from the first line of path into out (outsz bytes).
 * A file others than its owner can read is refused: -EPERM, with why
 * saying so (as for any other error). Returns 0 or -errno.
 */
int ami_read_secret(const char *path, char *out, size_t outsz, char *why, size_t whysz);

#endif
