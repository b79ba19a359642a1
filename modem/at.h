#ifndef CTID_AT_H
#define CTID_AT_H

/*
 * The AT command engine: a queue of commands, each written when the one
 * before it finished, with its own timeout. Pure: lines and time go in,
 * bytes to write and completions come out through callbacks; it never
 * touches a file descriptor or reads a clock.
 *
 * It copes with what modems print around a command: the echo of the command
 * (ATZ\r\r\nOK), blank lines, intermediate lines (ATI answers), which are
 * collected for the command, and unsolicited lines (RING, caller ID, +CRING,
 * +CLIP) arriving between a command and its final result, which are left to
 * the caller.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AT_CMD_MAX   128 /* longest command, without the CR */
#define AT_LINE_MAX  256 /* longer response lines are truncated */
#define AT_LINES_MAX 16	 /* response lines kept per command; more are dropped */
#define AT_QUEUE_MAX 32	 /* commands waiting at once */

enum at_result {
	AT_RESULT_OK = 0,
	AT_RESULT_CONNECT,
	AT_RESULT_ERROR,
	AT_RESULT_CME_ERROR, /* +CME ERROR: n; error_code holds n, or -1 when not numeric */
	AT_RESULT_CMS_ERROR, /* +CMS ERROR: n */
	AT_RESULT_NO_CARRIER,
	AT_RESULT_BUSY,
	AT_RESULT_NO_DIALTONE,
	AT_RESULT_NO_ANSWER,
	AT_RESULT_TIMEOUT,   /* no final result within the command's timeout */
	AT_RESULT_CANCELLED, /* at_engine_cancel(), at_engine_destroy() or a failed write */
};

struct at_response {
	enum at_result result;
	int error_code;		/* CME/CMS error number, -1 otherwise */
	const char *command;	/* the command as sent, without CR */
	const char *final_line; /* the final result line ("" on timeout/cancel) */
	size_t n_lines;		/* intermediate lines, in order, blank lines and echo removed */
	const char *const *lines;
};

/* Called once per command. The response and its strings live until the
 * callback returns. The callback may queue new commands or cancel. */
typedef void (*at_done_fn)(const struct at_response *resp, void *data);

/* Called with bytes to send to the modem ("ATZ\r"). Returns 0, or a negative
 * errno; a failed write completes the command as AT_RESULT_CANCELLED. */
typedef int (*at_write_fn)(const char *buf, size_t len, void *data);

struct at_engine;

/* Returns a new engine or NULL with errno set; free with at_engine_destroy. */
struct at_engine *at_engine_create(at_write_fn write, void *data);

/* Completes every queued command as AT_RESULT_CANCELLED, then frees. Must not
 * be called from a completion callback. */
void at_engine_destroy(struct at_engine *e);

/*
 * Queues cmd (printable ASCII, at most AT_CMD_MAX bytes, no CR/LF) with a
 * timeout in milliseconds counted from when it is written. It is written at
 * once when nothing else is waiting. Returns 0, -EINVAL for a bad command,
 * -ENOBUFS when AT_QUEUE_MAX commands are waiting.
 */
int at_engine_send(struct at_engine *e, const char *cmd, int64_t timeout_ms, at_done_fn done,
		   void *data, int64_t now);

/*
 * Feeds one line the modem printed (without line ending) at monotonic time
 * now (milliseconds). Returns true when the line belonged to the command in
 * progress (echo, blank, intermediate or final line), false when it was not
 * the engine's: no command is running, or it is unsolicited (RING, caller
 * ID, +CRING, +CLIP, +CCWA, NO CARRIER from the line, ...). The caller
 * handles lines the engine did not take.
 */
bool at_engine_feed_line(struct at_engine *e, const char *line, int64_t now);

/* Monotonic time at which the running command times out, or -1. */
int64_t at_engine_deadline(const struct at_engine *e);

/* Completes the running command as AT_RESULT_TIMEOUT when its deadline has
 * passed, then writes the next one. */
void at_engine_tick(struct at_engine *e, int64_t now);

/* Completes every queued command as AT_RESULT_CANCELLED (the port closed).
 * Commands queued from those callbacks are cancelled too. */
void at_engine_cancel(struct at_engine *e);

/* Whether a command is running or waiting. */
bool at_engine_busy(const struct at_engine *e);

/* The command being run ("" when idle); valid until the next engine call. */
const char *at_engine_current(const struct at_engine *e);

/* "OK", "ERROR", "+CME ERROR", "timeout", ... */
const char *at_result_str(enum at_result r);

/* Whether line is an unsolicited report (RING, caller ID, +CLIP, ...). */
bool at_line_is_unsolicited(const char *line);

#endif
