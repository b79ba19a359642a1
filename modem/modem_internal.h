#ifndef CTID_MODEM_INTERNAL_H
#define CTID_MODEM_INTERNAL_H

/* Shared by modem.c (the object, I/O, dialling, retries) and probe.c
 * (start-up and dialect probing); not part of the public API. */

#include <stddef.h>

#include "at.h"
#include "call.h"
#include "cid.h"
#include "lock.h"
#include "modem.h"

#define MODEM_OUT_MAX 4096

struct modem {
	/* Options, strings copied. */
	struct modem_options opts;
	char *path, *line, *init, *country, *lock_dir;
	struct modem_listener listener;
	void *data;

	struct modem_info info;
	struct serial *serial;
	struct uucp_lock *lock;
	struct cid_parser *parser;
	struct at_engine *at;
	struct call_tracker *tracker;
	bool tracker_pickup, tracker_hangup; /* the flags the tracker was made with */

	struct call_time now;
	char out[MODEM_OUT_MAX];
	size_t out_len;

	/* Start-up (probe.c). */
	const struct modem_probe_hooks *probe;
	int step;
	size_t cid_try;
	char ati0[64], ati3[96], gmi[64], gmm[96];
	bool gcap_gsm;

	int64_t retry_at; /* RETRYING: when to start again */
	int64_t backoff_ms;
	bool reinit_pending; /* after the call in progress ends */
	bool gone_pending;   /* a write found the device gone */
	bool closing;	     /* cancelled commands are not failures */

	/* Caller ID health: calls that rang without it although it worked. */
	bool cid_seen;
	int no_cid_calls;

	/* modem_dial(): ATH due at hangup_at (-1: none). */
	bool dialling;
	int64_t hangup_at;
};

/* What the start-up sequence (probe.c) tells the modem object (modem.c). */
struct modem_probe_hooks {
	/* Start-up failed: back off and try again. */
	void (*failed)(struct modem *m, const char *why);
	/* Start-up finished: caller ID is on. */
	void (*ready)(struct modem *m);
	void (*state)(struct modem *m, enum modem_state s);
};

/* Starts (or restarts) the start-up sequence; h must outlive the modem. */
void modem_probe_start(struct modem *m, const struct modem_probe_hooks *h);

#define MODEM_DEFAULT_TIMEOUT_MS 3000

/* How long a command may take. */
static inline int64_t modem_command_timeout(const struct modem *m) {
	return m->opts.command_timeout_ms > 0 ? m->opts.command_timeout_ms : MODEM_DEFAULT_TIMEOUT_MS;
}

#endif
