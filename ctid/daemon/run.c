/* ctid's daemon mode: the settings into a running daemon. */
#include <stdio.h>

#include "daemon.h"
#include "desk.h"
#include "log.h"
#include "run.h"

int run_daemon(struct config *cfg, const struct run_options *ro) {
	if (cfg->connect != NULL) {
		return desk_run(cfg, ro->print ? stdout : NULL);
	}
	struct daemon_options o = {
		.source = ro->source,
		.print = ro->print ? stdout : NULL,
	};
	struct daemon *d = daemon_create(cfg, &o);
	if (d == NULL) {
		return 1;
	}
	int status = daemon_run(d);
	daemon_destroy(d);
	return status;
}
