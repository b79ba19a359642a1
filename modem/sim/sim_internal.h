#ifndef CTID_SIM_INTERNAL_H
#define CTID_SIM_INTERNAL_H

/* Shared between sim.c (pty, loop, script, calls) and sim_at.c (AT
 * commands); not part of the public API. */

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sim.h"

#define SIM_LINE_MAX 256

/* Modem settings the host changes with AT commands. */
struct sim_modem {
	bool echo;
	int cid_mode; /* 0 off, 1 formatted, 2 raw hex */
	int ste;      /* Conexant -STE bits: 1 line in use, 2 extension pick-up */
	int scid;
	bool clip; /* GSM +CLIP=1 */
	bool crc;  /* GSM +CRC=1: +CRING instead of RING */
	char gci[8];
	bool muted;
	bool errors;
};

struct sim {
	struct sim_options opts;
	char *link;
	int master, slave;
	char pty_path[128];
	bool plugged;
	pid_t owner; /* the process that ran sim_run(); only it removes the link */
	volatile sig_atomic_t stop;

	struct sim_modem m;
	char in[SIM_LINE_MAX];
	size_t in_len;
	bool in_overflow;

	char *out;
	size_t out_len, out_cap;
	size_t stamp_at; /* queued bytes up to the end of the number line; 0: none */
	uint64_t noise_left;
	bool noise_printable;
	unsigned rng;
};

/* Queues bytes for the host (dropped while unplugged). */
void sim_out(struct sim *s, const char *buf, size_t len);
/* Queues "\r\n<text>\r\n", a V.250 verbose response line. */
void sim_out_line(struct sim *s, const char *text);
/* Called right after queuing the line with the caller's number: with the
 * timestamps option, "event nmbr" is printed when it has been written. */
void sim_mark_number(struct sim *s);
void sim_event(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Handles one command line the host sent (without CR). */
void sim_at_line(struct sim *s, const char *line);
/* Power-on / ATZ settings of the dialect. */
void sim_at_reset(struct sim *s, bool power_on);

/* sim_call.c: one scripted call. */
#define SIM_MAX_RINGS  50
#define SIM_NUMBER_MAX 40

enum sim_step_kind { SIM_STEP_RING, SIM_STEP_CID, SIM_STEP_NAME, SIM_STEP_PICKUP, SIM_STEP_END };

struct sim_step {
	int64_t at;
	enum sim_step_kind kind;
};

struct sim_call {
	char number[SIM_NUMBER_MAX]; /* digits, "P", "O" or "" */
	char name[96];
	bool nocid;
	int rings, answer;
	int64_t name_delay_ms;
	bool uk;
	bool nowait; /* the script goes on while it rings */
	struct sim_step steps[SIM_MAX_RINGS + 8];
	size_t n_steps, next;
	int64_t start;
	int rings_sent;
	bool picked_up;
};

/* Parses "call NUMBER ..." split into words. Returns 0, or -EINVAL with *err
 * saying why. */
int sim_call_parse(char **words, size_t n, struct sim_call *c, const char **err);
/* Lays out the call's timeline from c->start. */
void sim_call_plan(struct sim *s, struct sim_call *c, int64_t interval);
/* Sends what is due by now; returns true when the call is over. */
bool sim_call_play(struct sim *s, struct sim_call *c, int64_t now);
/* When the next step is due, or -1. */
int64_t sim_call_deadline(const struct sim_call *c);

#endif
