#ifndef CTID_SIM_INTERNAL_H
#define CTID_SIM_INTERNAL_H

/* Shared between sim.c (pty, loop, script, calls) and sim_at.c (AT
 * commands); not part of the public API. */

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	volatile sig_atomic_t stop;

	struct sim_modem m;
	char in[SIM_LINE_MAX];
	size_t in_len;
	bool in_overflow;

	char *out;
	size_t out_len, out_cap;
	uint64_t noise_left;
	bool noise_printable;
	unsigned rng;
};

/* Queues bytes for the host (dropped while unplugged). */
void sim_out(struct sim *s, const char *buf, size_t len);
/* Queues "\r\n<text>\r\n", a V.250 verbose response line. */
void sim_out_line(struct sim *s, const char *text);
void sim_event(struct sim *s, const char *fmt, ...);

/* Handles one command line the host sent (without CR). */
void sim_at_line(struct sim *s, const char *line);
/* Power-on / ATZ settings of the dialect. */
void sim_at_reset(struct sim *s, bool power_on);

#endif
