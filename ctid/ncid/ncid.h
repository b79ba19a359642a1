#ifndef CTID_NCID_NCID_H
#define CTID_NCID_NCID_H

/*
 * NCID's client protocol, the lines a server sends (pure functions: no
 * clock, no socket). Line formats follow NCID 1.6 (API 1.5), as summarised
 * with sources in doc/ncid.md (cited below by its section
 * numbers). Every line ends in CRLF (§1.1, writeClients in ncidd.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The longest field NCID's server sends: its field buffers are CIDSIZE 51
 * bytes (§5). */
#define NCID_FIELD_MAX 50

/* A call as NCID shows it. Strings may be NULL or "" for "none". */
struct ncid_call {
	struct tm when;	    /* local time the call began */
	const char *line;   /* line id; none: "-" (§3.3) */
	const char *number; /* none: "NO-NUMBER"; withheld: ncid_withheld_name() */
	const char *name;   /* none: "NO NAME" (§3.3) */
	bool outgoing;	    /* placed from here: OUT: lines, CTYPE OUT (§3.2, §4.4) */
};

/* Why a number is missing, as NCID writes it (§3.3: the built-in aliases
 * O, P, A of nciddalias.c). */
enum ncid_withheld {
	NCID_OUT_OF_AREA,
	NCID_PRIVATE,
	NCID_ANONYMOUS,
};
/* "OUT-OF-AREA", "PRIVATE" or "ANONYMOUS"; a static string. */
const char *ncid_withheld_name(enum ncid_withheld w);

/* The greeting (§1.1 steps 2-3): "200 Server: ctid (NCID) VERSION" and
 * "210 API: 1.5 Feature Set 1 2 3 4 5", as ncidd 1.6 (feature sets 1,
 * modem and device support; 2, gateways' CALL: and CALLINFO: lines; 3,
 * client jobs, of which ctid refuses the black and white lists with a
 * reason; 4, acknowledgments; 5, relay jobs between clients; §1.2). A new
 * string; g_free() it. */
char *ncid_greeting(const char *version);

/*
 * A call line (§3.2): "LABEL: *DATE*mmddyyyy*TIME*hhmm*LINE*…*NMBR*…*MESG*NONE*NAME*…*"
 * in the server's fixed field order. label is "CID" for a live call,
 * "CIDLOG" for one replayed from the log, "OUT" and "OUTLOG" for a call
 * placed (§3.2). Fields are cut to
 * NCID_FIELD_MAX bytes (at a UTF-8 boundary); "*", CR, LF and other control
 * characters in them become spaces so a field never ends early. A new
 * string; g_free() it.
 */
char *ncid_format_call(const char *label, const struct ncid_call *c);

/*
 * The END line of a call (§4.4):
 * "END: *HTYPE*BYE|CANCEL*DATE*…*TIME*…*SCALL*mm/dd/yyyy
 * hh:mm:ss*ECALL*…*CTYPE*IN*LINE*…*NMBR*…*NAME*…*" (CTYPE OUT for a call
 * placed). answered: BYE (hung up after answer), else CANCEL. ended is the
 * local time the call ended. A new string; g_free() it.
 */
char *ncid_format_end(const struct ncid_call *c, const struct tm *ended, bool answered);

/* A ring count (§3.4, §6): "CIDINFO: *LINE*…*RING*n*TIME*hh:mm:ss*", n the
 * ring (1, 2 ...) or 0 when ringing stopped; now is the server's local
 * time, as ncidd sends it. A new string; g_free() it. */
char *ncid_format_info(const char *line, int ring, const struct tm *now);

/* What became of the call log at a client's start-up (§1.1 step 5). */
enum ncid_log {
	NCID_LOG_SENT,	   /* "250 End of call log" */
	NCID_LOG_EMPTY,	   /* "252 Call log empty" */
	NCID_LOG_NOT_SENT, /* "251 Call log not sent": the client said HELLO: CMD: no_log (§2) */
};

/* The line that ends the call log, then "300 End of connection startup"
 * (§1.1 step 8). A static string. */
const char *ncid_startup_end(enum ncid_log log);

/*
 * A message (§3.5): "MSG: TEXT ***DATE*mmddyyyy*TIME*hhmm*NAME*…*NMBR*…*LINE*NO-LINE*MTYPE*-*",
 * for a reminder that falls due. name and number are those of the contact
 * it is about (NULL: "-"), the line NO-LINE (a message is of no line).
 * TEXT keeps to one line: control characters become spaces, and so does
 * every "*", which would end it early for clients that split at " ***". A
 * new string; g_free() it.
 */
char *ncid_format_msg(const char *text, const struct tm *when, const char *name, const char *number);

/*
 * A MSG: or NOT: line a client sent (§3.5), as every client gets it:
 * "MSG: TEXT" or "NOT: TEXT ###DATE*mmddyyyy*TIME*hhmm*NAME*…*NMBR*…*LINE*…*MTYPE*IN*"
 * becomes "MSG: TEXT ***DATE*…*TIME*…*NAME*…*NMBR*…*LINE*…*MTYPE*…*": the
 * fields given are kept, in the server's order; those missing are filled
 * as ncidd's getINFO() fills them (now, NO NAME, NO-NUMBER, NO-LINE, "-"); "*" and control
 * characters in the text become spaces. s is the line without its
 * line break, len its length. Returns a new string (g_free() it), or NULL
 * with *why set (a static string) for a line that is no such message, one
 * with no text, or a field that is not one (a DATE of other than 8 digits,
 * a TIME of other than 4, a field longer than NCID_FIELD_MAX or with a
 * control character, an unknown MTYPE).
 */
char *ncid_relay_msg(const char *s, size_t len, const struct tm *now, const char **why);

/*
 * A relay job (feature set 5, §4.5): a client asks another client or a
 * gateway (a phone running NCID Android, say) to do something, through the
 * server. "RLY: TEXT ###DATE*…*TIME*…*TO*target*FROM*origin*CMD*command*ARG1*…*"
 * (or "+RLY: …" from a forwarding server) becomes the line every client
 * gets: the same with its first "###" made "***", control characters made
 * spaces, so is every "*" of the text before it (clients split at the first
 * "***"), and stray bytes U+FFFD. s is the line without its line break.
 * Returns a new string (g_free() it), or NULL with *why set (a static
 * string) for a line that is no RLY: line, has no "###", or lacks a TO,
 * FROM or CMD field.
 */
char *ncid_relay_job(const char *s, size_t len, const char **why);

#endif
