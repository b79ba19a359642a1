#ifndef CTID_NCID_JOBS_H
#define CTID_NCID_JOBS_H

/*
 * What NCID clients ask of the server (pure functions: no socket, no
 * database). Feature set 3, client jobs (doc/ncid.md §7): a client's
 * "REQ: INFO", "REQ: alias ...", "REQ: RELOAD" ... lines and the blocks of
 * INFO: or RESP: lines that answer them. Feature set 4, acknowledgments
 * (§8): "REQ: YO" and "REQ: ACK", answered with "ACK: " lines. Commands
 * and arguments are case sensitive, as NCID's server reads them.
 */

#include <stdbool.h>
#include <stddef.h>

enum ncid_job_kind {
	NCID_JOB_UNKNOWN, /* a REQ: or WRK: line with a command ctid does not know */
	NCID_JOB_BAD,	  /* a known command whose arguments are not as NCID sends them */
	NCID_JOB_YO,	  /* REQ: YO: is the server there? */
	NCID_JOB_ACK,	  /* REQ: ACK: acknowledge each line from now on */
	NCID_JOB_INFO,	  /* REQ: INFO number&&name[&&line] */
	NCID_JOB_ALIAS,	  /* REQ: alias add|modify|remove "number&&alias" "type&&name" */
	NCID_JOB_BLACK,	  /* REQ: black add|remove "item" "comment" */
	NCID_JOB_WHITE,	  /* REQ: white add|remove "item" "comment" */
	NCID_JOB_RELOAD,  /* REQ: RELOAD: read the alias and lists again */
	NCID_JOB_REREAD,  /* REQ: REREAD: send the call log again */
	NCID_JOB_UPDATE,  /* REQ: UPDATE: apply aliases to the current call log */
	NCID_JOB_UPDATES, /* REQ: UPDATES: apply them to every call log */
	NCID_JOB_WORK,	  /* WRK: ACCEPT|REJECT LOG|LOGS: the answer to an UPDATE */
};

enum ncid_job_action {
	NCID_JOB_ADD,
	NCID_JOB_MODIFY,
	NCID_JOB_REMOVE,
};

struct ncid_job {
	enum ncid_job_kind kind;
	enum ncid_job_action action; /* alias, black, white */
	/* Owned strings, "" when not given:
	 * INFO: number, name, line (line NULL when the client sent two fields);
	 * alias: number, alias (the new name), name (the call log's);
	 * black, white: item in number, comment in name;
	 * WRK: the command ("ACCEPT LOG" ...) in name. */
	char *number, *alias, *name, *line;
	const char *why; /* BAD: what is wrong (a static string) */
};

/*
 * Reads a line from a client (without its line break; s need not be
 * NUL-terminated). Returns false for a line that is no REQ: or WRK: line
 * (j untouched), else true with j filled in; free it with
 * ncid_job_clear().
 */
bool ncid_job_parse(const char *s, size_t len, struct ncid_job *j);
void ncid_job_clear(struct ncid_job *j);

/* The blocks the server answers client jobs with (§7.3). */
enum ncid_block {
	NCID_BLOCK_OK = 400,	    /* INFO: lines for the user to see, 410 */
	NCID_BLOCK_DECIDE = 401,    /* INFO: lines, then the client's WRK: ACCEPT or REJECT, 410 */
	NCID_BLOCK_STATUS = 402,    /* RESP: lines saying what a change did, 411 */
	NCID_BLOCK_PERMITTED = 403, /* the INFO: lines of REQ: INFO, 411 */
};

/*
 * A block: its opening line, each line of text (split at "\n") as an
 * INFO: line (RESP: for NCID_BLOCK_STATUS), its closing line; CRLF-ended,
 * control characters in text made spaces, stray bytes U+FFFD. A new
 * string; g_free() it.
 */
char *ncid_format_block(enum ncid_block block, const char *text);

/* "ACK: LINE" (§8): the line a client sent, control characters made
 * spaces, stray bytes U+FFFD. A new string; g_free() it. */
char *ncid_format_ack(const char *line, size_t len);

#endif
