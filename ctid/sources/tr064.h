#ifndef CTID_TR064_H
#define CTID_TR064_H

/*
 * Calling back through a FRITZ!Box: its TR-064 "dial help" (Wählhilfe).
 * X_VoIP:1#X_AVM-DE_DialNumber makes the phone chosen as the dial help ring;
 * when it is picked up the box dials the number. The box asks for HTTP
 * Digest authentication with a user of its own (FRITZ!OS 7.24 and later
 * have no default user), and answers 500 with a UPnP fault when the dial
 * help is off (as kbr/fritzconnection's soaper.py and its tests'
 * tr64desc.xml of a 7590 show the service; FHEM's 72_FRITZBOX.pm and
 * curl transcripts show the request).
 *
 * On the GLib main loop with libsoup: tr064_dial() returns at once and the
 * outcome is logged (a refused login, the dial help off, no answer).
 */

#define TR064_DEFAULT_PORT 49000

struct tr064_options {
	const char *host;
	int port; /* 0: TR064_DEFAULT_PORT */
	const char *user;
	const char *password;
};

struct tr064;

/* Returns NULL with errno set; the strings are copied. */
struct tr064 *tr064_create(const struct tr064_options *o);
/* Cancels a dial in flight. NULL is a no-op. */
void tr064_destroy(struct tr064 *t);

/* Asks the box to dial digits (digits, *, #, + only; -EINVAL else).
 * Returns 0 once asked; -EBUSY while an earlier request is unanswered. */
int tr064_dial(struct tr064 *t, const char *digits);

#endif
