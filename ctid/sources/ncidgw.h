#ifndef CTID_NCIDGW_H
#define CTID_NCIDGW_H

/*
 * NCID gateways (sip2ncid, wc2ncid, yac2ncid, obi2ncid, NCID Android...):
 * programs that see calls somewhere (SIP packets, a Whozz Calling box, a
 * phone) and tell an NCID server over TCP, one line per event (NCID API 1.5,
 * feature set 2; doc/ncid.md §4):
 *
 *   CALL: ###DATE<mmddhhmm>...CALL<IN|OUT|PID|HUP|BLK|WID>...LINE<id>...NMBR<n>...NAME<name>+++
 *   CALLINFO:
 * ###<BYE|CANCEL>...DATE<mmddhhmm>...SCALL<stamp>...ECALL<stamp>...CALL<type>...LINE<id>...NMBR<n>...NAME<name>+++
 *
 * A CALL line starts a call on the line named by its LINE field (a missing
 * CALL field means IN); CALLINFO ends it: CANCEL before anyone answered,
 * BYE after. Gateways that send no CALLINFO (yac2ncid) leave their calls
 * to ncidgw_parser_expire(). The parser is pure: no clock, no I/O.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call_event.h"

#define NCIDGW_MAX_CALLS 32   /* followed at once; the oldest gives way */
#define NCIDGW_LINE_MAX	 51   /* NCID's field buffers (CIDSIZE), with the NUL */
#define NCIDGW_INPUT_MAX 1024 /* the longest line taken (NCID's fields are 50 bytes) */

/* call->line is the gateway's LINE field ("-" when it sent none). */
typedef void (*ncidgw_call_fn)(const struct call_info *call, enum call_change change, void *data);

struct ncidgw_parser;

/* Returns NULL with errno set; free with ncidgw_parser_destroy(). */
struct ncidgw_parser *ncidgw_parser_create(ncidgw_call_fn fn, void *data);
/* Ends no call; NULL is a no-op. */
void ncidgw_parser_destroy(struct ncidgw_parser *p);

/*
 * Feeds one line without its line break (a trailing '\r' is allowed), read
 * at now (ms since the epoch). Returns 0 when it started or ended a call;
 * -ENOENT for a CALLINFO that ends nothing followed and said too little to
 * log (no number); -EINVAL for a line that is no CALL: or CALLINFO: line;
 * -EMSGSIZE for one longer than NCIDGW_INPUT_MAX. A CALLINFO for a call
 * that began before ctid heard of it is logged as a whole call.
 */
int ncidgw_parser_line(struct ncidgw_parser *p, const char *s, size_t len, int64_t now);

/* How long a call is followed without its CALLINFO: on a line that never
 * sent one (its gateway sends none), as long as it may ring; else as long
 * as a conversation may last. */
#define NCIDGW_RING_MAX_MS (60 * 1000)
#define NCIDGW_CALL_MAX_MS (4 * 3600 * 1000)

/* Ends, as unknown (the gateway never said how), the calls older than
 * their line allows (above). Returns how many. */
int ncidgw_parser_expire(struct ncidgw_parser *p, int64_t now);

/* Ends every call in progress as unknown (ctid stops). */
void ncidgw_parser_finish(struct ncidgw_parser *p, int64_t now);

/* How many calls are in progress. */
int ncidgw_parser_calls(const struct ncidgw_parser *p);

#endif
