/* ctid's daemon mode: command line and configuration file into daemon options. */
#include <stdio.h>

#include "daemon.h"
#include "log.h"
#include "run.h"

#define DEFAULT_DEVICE_DIR "/dev/ctid"

int run_daemon(const struct run_options *ro) {
	const struct config *cfg = ro->config;
	struct daemon_options o = {
		.database = ro->database != NULL ? ro->database : cfg->database,
		.ring_timeout_ms = (int64_t)cfg->ring_timeout * 1000,
		.min_suffix = cfg->min_suffix,
		.bus = cfg->bus,
		.notify = cfg->notify,
		.print = ro->print ? stdout : NULL,
		.config = cfg,
	};
	config_region(ro->region != NULL ? ro->region : cfg->region, o.region);
	o.device_dir = ro->device_dir != NULL	 ? ro->device_dir
		       : cfg->device_dir != NULL ? cfg->device_dir
						 : DEFAULT_DEVICE_DIR;
	/* Devices on the command line replace those of the file. */
	if (ro->n_devices > 0) {
		o.devices = ro->devices;
		o.n_devices = ro->n_devices;
	} else {
		o.devices = (const char *const *)cfg->devices;
		o.n_devices = cfg->n_devices;
	}
	if (o.region[0] == '\0') {
		log_info("No home region (--region, region= or the locale): numbers are matched "
			 "by their digits only");
	}
	struct daemon *d = daemon_create(&o);
	if (d == NULL) {
		return 1;
	}
	int status = daemon_run(d);
	daemon_destroy(d);
	return status;
}
