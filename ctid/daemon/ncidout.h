#ifndef CTID_DAEMON_NCIDOUT_H
#define CTID_DAEMON_NCIDOUT_H

/*
 * The daemon's calls for NCID clients (ncid/ formats the lines and serves
 * them): each client gets the last NCIDOUT_LOG_MAX calls of the log as
 * CIDLOG: lines (OUTLOG: for calls placed), then a CID: line when a call
 * comes in (OUT: when one is placed), CIDINFO: lines with its rings and an
 * END: line when it ends, and a MSG: line when a reminder falls due. NAME
 * is the contact's name when the number matched, else the telco's, else NO
 * NAME. NCID gateways' CALL: and CALLINFO: lines, from the addresses
 * ncid-gateways allows, go to the owner's gateway function: they are calls
 * of lines like any other.
 */

#include "calls.h"
#include "config.h"
#include "db.h"

#define NCIDOUT_LOG_MAX 200

struct ncidout;

/* A gateway's CALL: or CALLINFO: line (no line break) from address peer. */
typedef void (*ncidout_gateway_fn)(const char *line, size_t len, const char *peer, void *data);

/* Serves NCID clients on config's ncid-listen ("ADDR:PORT", port 0: any
 * free one, which the log names), gateways from its ncid-gateways; the call
 * log is read from calls' database. Returns NULL (logged) when it cannot listen. */
struct ncidout *ncidout_create(const struct config *config, struct calls *calls,
			       ncidout_gateway_fn gateway, void *data);
void ncidout_destroy(struct ncidout *o);

/* A call changed. */
void ncidout_call(struct ncidout *o, enum call_change change, const struct call_entry *e);

/* The call log changed other than by a call (ctidctl deleted calls): the
 * next client's CIDLOG: lines are read again. */
void ncidout_log_changed(struct ncidout *o);

/* A reminder fell due; phone is the contact's (output_phones(), the first
 * of a list is taken), "" for none. */
void ncidout_reminder(struct ncidout *o, const struct db_reminder *r, const char *phone);

#endif
