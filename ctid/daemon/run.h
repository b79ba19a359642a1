#ifndef CTID_RUN_H
#define CTID_RUN_H

/* What ctid's command line asks for, after the options were read: the
 * daemon, a replay of a transcript, or the demo. Each returns the exit
 * status. */

#include <stdbool.h>

#include "config.h"

struct run_options {
	const struct config_source *source; /* where the settings came from */
	bool print;			    /* also print each screen-pop */
	int desks;			    /* --demo --desks N: desks of the demo's server */
};

/* Runs the daemon with cfg, which it takes (and frees). */
int run_daemon(struct config *cfg, const struct run_options *ro);
/* Feeds FILE through the parser and call tracker; one JSON line per call. */
int run_replay(const struct config *cfg, const char *path);
/* A demo database, a simulated modem and two calls. */
int run_demo(const struct run_options *ro);

#endif
