/*
 * The daemon: the parts wired together on one GLib main loop. A call event
 * from a line goes to the call log first (calls.c), then to D-Bus
 * (service.c), then to the screen (popups.c); reminders that fall due go to
 * the screen too. Each part owns its state; this file owns only the wiring,
 * the signals and the settings.
 */
#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calls.h"
#include "daemon.h"
#include "lines.h"
#include "log.h"
#include "popups.h"
#include "reminders.h"
#include "service.h"

struct daemon {
	struct daemon_options opts;
	struct config config; /* the settings, built again on SIGHUP */
	char *database;
	GMainLoop *loop;
	int status;
	struct calls *calls;
	struct service *service;
	struct popups *popups;
	struct reminders *reminders;
	struct lines *lines;
	int ended_calls;
};

static gboolean quit_cb(gpointer data) {
	struct daemon *d = data;
	g_main_loop_quit(d->loop);
	return G_SOURCE_REMOVE;
}

/* The log first, then D-Bus, then the screen. */
static void on_call(struct line *line, const struct call_info *info, enum call_change change,
		    void *data) {
	struct daemon *d = data;
	bool visible;
	struct call_entry *e = calls_update(d->calls, line, line_name(line), info, change, &visible);
	if (e == NULL) {
		return;
	}
	service_call(d->service, change, e);
	if (change != CALL_UPDATED || visible) {
		const struct modem_info *mi = line_info(line);
		popups_show_call(d->popups, e, lines_count(d->lines) > 1 ? line_name(line) : NULL,
				 mi != NULL && mi->can_dial);
	}
	if (change == CALL_ENDED) {
		calls_forget_ended(d->calls);
		d->ended_calls++;
		if (d->opts.exit_after_calls > 0 && d->ended_calls >= d->opts.exit_after_calls) {
			/* let the last popup reach the screen before quitting */
			g_timeout_add(1500, quit_cb, d);
		}
	}
}

static void on_added(struct line *line, void *data) {
	struct daemon *d = data;
	service_modem_added(d->service, line);
}

static gboolean check_modems_cb(gpointer data) {
	struct daemon *d = data;
	if (lines_count(d->lines) == 0) {
		log_info("No modem left; quitting");
		g_main_loop_quit(d->loop);
	}
	return G_SOURCE_REMOVE;
}

static void on_removed(struct line *line, void *data) {
	struct daemon *d = data;
	service_modem_removed(d->service, line);
	if (d->opts.exit_without_modems) {
		g_idle_add(check_modems_cb, d);
	}
}

static const struct lines_listener lines_listener = {
	.call = on_call,
	.added = on_added,
	.removed = on_removed,
};

static void on_reopened(void *data) {
	struct daemon *d = data;
	reminders_restart_walk(d->reminders);
}

static void on_health_changed(void *data) {
	struct daemon *d = data;
	service_database_changed(d->service);
}

static const struct calls_listener calls_listener = {
	.reopened = on_reopened,
	.health_changed = on_health_changed,
};

static void on_reminder_due(const struct db_reminder *r, void *data) {
	struct daemon *d = data;
	popups_show_reminder(d->popups, r);
}

static const struct reminders_listener reminders_listener = {
	.due = on_reminder_due,
};

/* Mark handled, from D-Bus or a popup's button: in the log, and off the screen. */
static int mark_handled(int64_t call_id, void *data) {
	struct daemon *d = data;
	int ret = db_call_mark_handled(calls_db(d->calls), call_id, (int64_t)time(NULL));
	if (ret == 0) {
		popups_call_handled(d->popups, call_id);
	}
	return ret;
}

static int dial(const char *number, void *data) {
	struct daemon *d = data;
	struct line *line = lines_dialer(d->lines);
	if (line == NULL) {
		return -ENOTSUP;
	}
	log_info("Dialling %s on %s", number, line_path(line));
	return line_dial(line, number);
}

/* Call back, from a popup's button: dial, and note that the caller was called back. */
static int call_back(const char *number, int64_t call_id, void *data) {
	struct daemon *d = data;
	int ret = dial(number, d);
	if (ret == 0 && call_id > 0) {
		db_call_mark_called_back(calls_db(d->calls), call_id, (int64_t)time(NULL));
	}
	return ret;
}

static const struct service_actions service_actions = {
	.mark_handled = mark_handled,
	.dial = dial,
};

static const struct popups_actions popups_actions = {
	.mark_handled = mark_handled,
	.call_back = call_back,
};

/* Whether two settings differ (either may be NULL). */
static bool differ(const char *a, const char *b) {
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* Says which changed settings take effect only at the next start. */
static void note_restart_needed(const struct config *old, const struct config *new) {
	const char *changed[4];
	int n = 0;
	if (differ(old->database, new->database)) {
		changed[n++] = "database";
	}
	if (old->bus != new->bus) {
		changed[n++] = "bus";
	}
	if (old->notify != new->notify) {
		changed[n++] = "notify";
	}
	if (differ(old->device_dir, new->device_dir)) {
		changed[n++] = "device-dir";
	}
	for (int i = 0; i < n; i++) {
		log_warn("SIGHUP: %s changed; that takes effect when ctid is started again",
			 changed[i]);
	}
}

/* Applies the settings that can change while ctid runs. */
static void apply_settings(struct daemon *d) {
	char region[3];
	config_region(d->config.region, region);
	calls_configure(d->calls, region, d->config.min_suffix);
	log_set_level(d->config.verbose >= 2   ? LOG_DEBUG
		      : d->config.verbose == 1 ? LOG_INFO
					       : LOG_WARN);
}

static gboolean on_reload_signal(gpointer data) {
	struct daemon *d = data;
	struct config c;
	int ret = config_build(&c, d->opts.source);
	if (ret < 0) {
		log_error("SIGHUP: %s has errors; keeping the old settings",
			  c.path != NULL ? c.path : "the configuration");
		config_finish(&c);
		return G_SOURCE_CONTINUE;
	}
	note_restart_needed(&d->config, &c);
	config_finish(&d->config);
	d->config = c; /* the modems' sections apply when a modem is plugged in */
	apply_settings(d);
	reminders_reschedule(d->reminders);
	log_info("Reloaded the settings%s%s (the command line's win over the file's)",
		 d->config.path != NULL ? " from " : "",
		 d->config.path != NULL ? d->config.path : "");
	return G_SOURCE_CONTINUE;
}

static gboolean on_quit_signal(gpointer data) {
	struct daemon *d = data;
	log_info("Quitting");
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

struct daemon *daemon_create(struct config *config, const struct daemon_options *opts) {
	struct daemon *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		config_finish(config);
		return NULL;
	}
	d->opts = *opts;
	d->config = *config;
	config_init(config); /* the daemon owns what it held */
	d->loop = g_main_loop_new(NULL, FALSE);
	d->database = d->config.database != NULL ? strdup(d->config.database) : db_default_path();
	if (d->database == NULL) {
		log_error("No database path: set HOME or use --database");
		goto fail;
	}
	if ((d->calls = calls_create(d->database, &calls_listener, d)) == NULL) {
		goto fail;
	}
	apply_settings(d);
	if (calls_region(d->calls)[0] == '\0') {
		log_info("No home region (--region, region= or the locale): numbers are matched "
			 "by their digits only");
	}
	if (d->config.bus != CONFIG_BUS_NONE) {
		struct service_env env = {
			.calls = d->calls,
			.config = &d->config,
			.database = d->database,
		};
		/* The lines come later (their modems announce themselves on the bus). */
		d->service =
			service_create(d->config.bus == CONFIG_BUS_SYSTEM ? BUS_SYSTEM : BUS_SESSION,
				       &env, &service_actions, d);
		if (d->service == NULL) {
			goto fail;
		}
	}
	if (d->config.notify || opts->print != NULL) {
		struct popups_options po = {
			.notify = d->config.notify,
			.print = opts->print,
			.database = d->database,
			.config = &d->config,
		};
		d->popups = popups_create(&po, &popups_actions, d);
		if (d->popups == NULL) {
			log_warn("Screen-pops are off: %s", strerror(errno));
		}
	}
	struct lines_options lo = {
		.config = &d->config,
		.lock_dir = opts->lock_dir,
	};
	d->lines = lines_create(&lo, &lines_listener, d);
	if (d->lines == NULL) {
		goto fail;
	}
	service_set_lines(d->service, d->lines);
	if (lines_count(d->lines) == 0) {
		log_info("No modem yet; waiting for one in %s", d->config.device_dir != NULL
									? d->config.device_dir
									: CONFIG_DEFAULT_DEVICE_DIR);
	}
	d->reminders = reminders_create(d->calls, &d->config, &reminders_listener, d);
	if (d->reminders == NULL) {
		goto fail;
	}
	g_unix_signal_add(SIGINT, on_quit_signal, d);
	g_unix_signal_add(SIGTERM, on_quit_signal, d);
	g_unix_signal_add(SIGHUP, on_reload_signal, d);
	return d;

fail:
	daemon_destroy(d);
	return NULL;
}

int daemon_run(struct daemon *d) {
	g_main_loop_run(d->loop);
	return d->status;
}

void daemon_destroy(struct daemon *d) {
	if (d == NULL) {
		return;
	}
	reminders_destroy(d->reminders);
	d->reminders = NULL;
	/* Ends calls in progress: they are logged as they end. */
	lines_destroy(d->lines);
	d->lines = NULL;
	calls_destroy(d->calls);
	popups_destroy(d->popups);
	service_destroy(d->service);
	if (d->loop != NULL) {
		g_main_loop_unref(d->loop);
	}
	free(d->database);
	config_finish(&d->config);
	free(d);
}
