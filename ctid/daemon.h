#ifndef CTID_DAEMON_H
#define CTID_DAEMON_H

/*
 * The daemon: one GLib main loop owns the modems (and the device folder
 * watch that finds them), the call log, the D-Bus service, the screen-pops
 * and the reminders. Every call is written to the database first, then
 * announced on D-Bus, then shown.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

struct daemon_options {
	const char *database;
	char region[3];
	int64_t ring_timeout_ms; /* 0: the default (8 s) */
	int min_suffix;		 /* 0: the default */
	enum config_bus bus;
	bool notify; /* raise desktop notifications */
	FILE *print; /* also print each screen-pop here, or NULL */
	const char *device_dir;
	const char *const *devices; /* --device paths */
	int n_devices;
	const struct config *config; /* per-modem settings, open-card, reminder-time */
	const char *lock_dir;	     /* NULL: /run/lock, /var/lock */
	/* Quit after this many calls ended (the demo); 0: run until a signal. */
	int exit_after_calls;
	/* Quit when no modem is left (the demo's simulator went away). */
	bool exit_without_modems;
};

struct daemon;

/* Opens the database, connects to the bus and starts the modems. Returns
 * NULL (after logging why) when the daemon cannot run. */
struct daemon *daemon_create(const struct daemon_options *opts);
/* Runs until SIGINT/SIGTERM (or the demo's end); SIGHUP reloads the
 * configuration. Returns the exit status. */
int daemon_run(struct daemon *d);
void daemon_destroy(struct daemon *d);

#endif
