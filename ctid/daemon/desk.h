#ifndef CTID_DAEMON_DESK_H
#define CTID_DAEMON_DESK_H

/*
 * ctid --connect URL: a desk that shows the calls of the ctid at URL (see
 * desk.c). Runs until SIGINT or SIGTERM; takes config (cleared). Returns
 * the exit status.
 */

#include <stdio.h>

#include "config.h"

int desk_run(struct config *config, FILE *print);

#endif
