#ifndef CTID_DAEMON_NCIDOUT_H
#define CTID_DAEMON_NCIDOUT_H

/*
 * The daemon's calls for NCID clients (ncid/ formats the lines and serves
 * them): each client gets the last NCIDOUT_LOG_MAX calls of the log as
 * CIDLOG: lines, then a CID: line when a call comes in, CIDINFO: lines
 * with its rings and an END: line when it ends. NAME is the contact's name when the number matched,
 * else the telco's, else NO NAME.
 */

#include "calls.h"
#include "db.h"

#define NCIDOUT_LOG_MAX 200

struct ncidout;

/* Serves NCID clients on listen ("ADDR:PORT", port 0: any free one, which
 * the log names); the call log is read from db. Returns NULL (logged) when
 * it cannot listen. */
struct ncidout *ncidout_create(const char *listen, struct db *db);
void ncidout_destroy(struct ncidout *o);

/* A call changed. */
void ncidout_call(struct ncidout *o, enum call_change change, const struct call_entry *e);

#endif
