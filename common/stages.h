#ifndef CTID_STAGES_H
#define CTID_STAGES_H

/*
 * Marks on a call's way from the modem to the screen, for the benchmark's
 * stage budget (tests/bench/run prints it). Off unless the environment
 * variable CTID_STAGES names a file when the first mark is made: then each
 * mark appends one line, "STAGE NANOSECONDS\n" (CLOCK_REALTIME, comparable
 * with the other processes' stamps), through a shared mapping of the file:
 * no system call. The file's unwritten end reads as NUL bytes; one process
 * at a time marks into a file (a later one starts after the earlier marks).
 * Off, a mark costs a load and a branch. Any thread may mark.
 */

enum stage {
	STAGE_READ,	    /* the line's bytes were read (each read of a modem) */
	STAGE_EVENT,	    /* the line's parser reported a call event */
	STAGE_MATCHED,	    /* the number was matched with the contacts */
	STAGE_LOGGED,	    /* the call was written to the log */
	STAGE_HISTORY,	    /* the caller's history was read */
	STAGE_HANDED,	    /* the popup's card went to the notification thread */
	STAGE_SIGNAL,	    /* the D-Bus signal was sent */
	STAGE_NOTIFY_SENT,  /* the notification thread calls the server */
	STAGE_NOTIFY_REPLY, /* and has its answer */
	STAGE_OUTPUTS,	    /* the other outputs (NCID, web, MQTT) had the event */
	STAGE_NCID_SENT,    /* NCID's sender thread sent a line to its first client */
	STAGE_WEB_SENT,	    /* an event went to the web page's clients */
	STAGE_COUNT,
};

/* "read", "event", ... as the file names them. */
const char *stage_name(enum stage s);
void stage_mark(enum stage s);

#endif
