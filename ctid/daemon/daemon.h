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
	/* Where the settings came from: built again from it on SIGHUP. */
	const struct config_source *source;
	FILE *print;	      /* also print each screen-pop here, or NULL */
	const char *lock_dir; /* NULL: /run/lock, /var/lock */
	/* Quit after this many calls ended (the demo); 0: run until a signal. */
	int exit_after_calls;
	/* Quit when no modem is left (the demo's simulator went away). */
	bool exit_without_modems;
};

struct daemon;

/* Opens the database, connects to the bus and starts the modems, with the
 * settings in config, which the daemon takes (it is cleared). Returns NULL
 * (after logging why) when the daemon cannot run. */
struct daemon *daemon_create(struct config *config, const struct daemon_options *opts);
/* Runs until SIGINT/SIGTERM (or the demo's end); SIGHUP builds the settings
 * again from the same source. Returns the exit status. */
int daemon_run(struct daemon *d);
void daemon_destroy(struct daemon *d);

/* Where the web page is served ("http://127.0.0.1:8733/"), or NULL. */
const char *daemon_web_url(const struct daemon *d);

#endif
