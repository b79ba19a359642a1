#ifndef CTID_RUN_H
#define CTID_RUN_H

/* What ctid's command line asks for, after the options were read: the
 * daemon, a replay of a transcript, or the demo. Each returns the exit
 * status. */

#include <stdbool.h>

#include "config.h"

#define RUN_MAX_DEVICES 16

struct run_options {
	const char *devices[RUN_MAX_DEVICES];
	int n_devices;
	const char *device_dir;
	const char *database;
	const char *region;
	bool print;
	struct config *config; /* the file, with the command line's overrides */
};

int run_daemon(const struct run_options *ro);
/* Feeds FILE through the parser and call tracker; one JSON line per call. */
int run_replay(const struct run_options *ro, const char *path);
/* A demo database, a simulated modem and two calls. */
int run_demo(const struct run_options *ro);

#endif
