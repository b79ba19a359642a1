#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon_private.h"
#include "log.h"
#include "output.h"

#define WRITE_RETRY_MIN	   1
#define WRITE_RETRY_MAX	   30
#define CHECKPOINT_QUIET_S 3

void daemon_today(int *y, int *m, int *day) {
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*day = tm.tm_mday;
}

static enum db_call_state db_state(enum call_state s) {
	switch (s) {
	case CALL_STATE_ANSWERED:
		return DB_CALL_ANSWERED;
	case CALL_STATE_MISSED:
		return DB_CALL_MISSED;
	case CALL_STATE_UNKNOWN:
		return DB_CALL_UNKNOWN;
	default:
		return DB_CALL_RINGING;
	}
}

static void fill_db_call(const struct active *a, struct db_call *c) {
	const struct call_info *i = &a->info;
	*c = (struct db_call){
		.id = a->id,
		.started = i->started_wall / 1000,
		.ended = i->ended_wall / 1000,
		.line = line_name(a->line),
		.number = i->number,
		.name = i->name,
		.withheld = call_withheld_str(i->withheld),
		.e164 = a->match.e164,
		.date = a->date,
		.ring_type = i->ring_type,
		.called = i->called,
		.contact_id = a->match.contact_id,
		.rings = i->rings,
		.state = db_state(i->state),
	};
}

static gboolean write_retry_cb(gpointer data);

/* A call must never wait long for another process's lock: the write is
 * retried from the loop instead. */
#define DAEMON_BUSY_TIMEOUT_MS 100

static void configure_db(struct daemon *d) {
	db_set_region(d->db, d->region);
	db_set_busy_timeout(d->db, DAEMON_BUSY_TIMEOUT_MS);
	if (d->config.min_suffix > 0) {
		db_set_min_suffix(d->db, d->config.min_suffix);
	}
}

/*
 * Opens the database afresh. SQLite keeps a connection opened read-only that
 * way after the file becomes writable, and keeps writing to a file that was
 * deleted or replaced: only a new connection sees the file as it is now.
 * Returns 0 or -errno (the old connection is kept).
 */
static int reopen_db(struct daemon *d) {
	struct db *db = db_open(d->database, DB_OPEN_LAZY_CHECKPOINT | DB_OPEN_QUIET);
	if (db == NULL) {
		return -errno;
	}
	if (!db_writable(db)) {
		db_close(db);
		return -EROFS;
	}
	/* The reminder walk reads through the old connection: start it again. */
	bool walking = daemon_reminders_pause(d);
	db_close(d->db);
	d->db = db;
	configure_db(d);
	if (walking) {
		daemon_reminders_resume(d);
	}
	log_info("Opened the database %s again", d->database);
	return 0;
}

/* Errors after which a new connection may succeed where the old one fails. */
static bool reopen_helps(int err) {
	return err == -EROFS || err == -EACCES || err == -EIO || err == -ENOENT;
}

/*
 * A checkpoint copies the write-ahead log into the file and fsyncs both:
 * 20-110 ms on the test machine's disk. SQLite runs one inside whichever
 * commit fills the log past 1,000 pages, which was the call being logged
 * one time in fifty (tests/bench: the worst screen-pops of a hundred).
 * The database is opened with DB_OPEN_LAZY_CHECKPOINT and checkpointed
 * here, once no call is ringing and nothing was written for a few seconds:
 * a one-shot timer, re-armed by each write, so an idle daemon never wakes.
 */
static gboolean checkpoint_cb(gpointer data) {
	struct daemon *d = data;
	for (struct active *a = d->calls; a != NULL; a = a->next) {
		if (!a->ended) {
			return G_SOURCE_CONTINUE; /* a call rings: later */
		}
	}
	d->checkpoint = 0;
	db_checkpoint(d->db);
	return G_SOURCE_REMOVE;
}

void daemon_checkpoint_later(struct daemon *d) {
	if (d->checkpoint != 0) {
		g_source_remove(d->checkpoint);
	}
	d->checkpoint = g_timeout_add_seconds(CHECKPOINT_QUIET_S, checkpoint_cb, d);
}

static const char *caller(const struct active *a) {
	return a->info.number[0] ? a->info.number : "a withheld number";
}

/* Writes one call (or its change). A row that vanished with a replaced file
 * is written anew. Returns 0 or -errno. */
static int write_call(struct daemon *d, struct active *a) {
	struct db_call c;
	fill_db_call(a, &c);
	int ret = a->id != 0 ? db_call_update(d->db, &c) : -ENOENT;
	if (ret == -ENOENT) {
		c.id = 0;
		ret = db_call_add(d->db, &c, &a->id);
	}
	return ret;
}

static size_t waiting_calls(const struct daemon *d) {
	size_t n = 0;
	for (const struct active *a = d->calls; a != NULL; a = a->next) {
		n += a->dirty;
	}
	return n;
}

/* The log cannot be written: say so once, then retry with back-off. */
static void log_unwritable(struct daemon *d, int err, const struct active *a) {
	if (d->write_error == 0) {
		d->write_error = err;
		d->unwritable_since = (int64_t)time(NULL);
		log_warn("Could not write to the database %s (%s): the call from %s and any that "
			 "follow are kept in memory and written later",
			 d->database, strerror(-err), caller(a));
		bus_database_changed(d->bus);
	} else {
		log_debug("The call from %s waits to be written (%s)", caller(a), strerror(-err));
		d->write_error = err;
	}
	if (d->write_retry == 0) {
		d->write_backoff = d->write_backoff == 0 ? WRITE_RETRY_MIN : d->write_backoff * 2;
		if (d->write_backoff > WRITE_RETRY_MAX) {
			d->write_backoff = WRITE_RETRY_MAX;
		}
		d->write_retry = g_timeout_add_seconds(d->write_backoff, write_retry_cb, d);
	}
}

/*
 * Writes the calls that wait (oldest first, so they reach the file in the
 * order they rang) and stops at the first failure, which keeps the rest in
 * memory and arms a retry: no call is lost to a locked, read-only, full or
 * vanished database. Returns 0 when nothing waits any more.
 */
static int flush(struct daemon *d) {
	if (db_moved(d->db)) {
		log_warn("The database %s was deleted or replaced while ctid ran; opening it "
			 "again",
			 d->database);
		if (reopen_db(d) < 0) {
			log_unwritable(d, -ENOENT, d->calls);
			return -ENOENT;
		}
	}
	bool wrote = false;
	for (struct active *a = d->calls; a != NULL; a = a->next) {
		if (!a->dirty) {
			continue;
		}
		int ret = write_call(d, a);
		if (ret < 0) {
			log_unwritable(d, ret, a);
			return ret;
		}
		a->dirty = false;
		wrote = true;
		if (d->write_error != 0) {
			log_info("Logged the call from %s after all (id %lld)", caller(a),
				 (long long)a->id);
		}
	}
	if (wrote) {
		daemon_checkpoint_later(d);
	}
	if (d->write_error != 0) {
		log_warn("The database %s can be written again; every call kept meanwhile is in it",
			 d->database);
		d->write_error = 0;
		d->unwritable_since = 0;
		bus_database_changed(d->bus);
	}
	d->write_backoff = 0;
	return 0;
}

/* Forgets calls that ended and are safely logged. */
static void prune(struct daemon *d) {
	struct active **link = &d->calls;
	while (*link != NULL) {
		struct active *a = *link;
		if (a->ended && !a->dirty) {
			*link = a->next;
			free(a);
		} else {
			link = &a->next;
		}
	}
}

static gboolean write_retry_cb(gpointer data) {
	struct daemon *d = data;
	d->write_retry = 0;
	if ((reopen_helps(d->write_error) || !db_writable(d->db)) && reopen_db(d) < 0) {
		log_unwritable(d, d->write_error, d->calls);
		return G_SOURCE_REMOVE;
	}
	flush(d);
	prune(d);
	return G_SOURCE_REMOVE;
}

void daemon_database_state(struct daemon *d, struct bus_database *out) {
	*out = (struct bus_database){
		.path = d->database,
		.writable = d->write_error == 0,
		.error = d->write_error != 0 ? strerror(-d->write_error) : "",
		.since = d->unwritable_since,
		.waiting = (uint32_t)waiting_calls(d),
	};
}

static struct active *find_active(struct daemon *d, struct line *line, uint64_t seq) {
	for (struct active *a = d->calls; a != NULL; a = a->next) {
		if (a->line == line && a->seq == seq && !a->ended) {
			return a;
		}
	}
	return NULL;
}

/* Matches the number against the contacts and formats it for reading. */
static void match_number(struct daemon *d, struct active *a) {
	const char *number = a->info.number;
	memset(&a->match, 0, sizeof(a->match));
	a->company[0] = '\0';
	a->formatted[0] = '\0';
	if (number[0] == '\0') {
		return;
	}
	if (db_lookup(d->db, number, &a->match) < 0) {
		log_warn("Could not look up %s in the contacts", number);
	}
	output_number(a->match.e164, number, d->region, a->formatted, sizeof(a->formatted));
}

static int take_company(const struct db_contact *c, void *data) {
	struct active *a = data;
	snprintf(a->company, sizeof(a->company), "%s", c->company != NULL ? c->company : "");
	return 0;
}

static void load_history(struct daemon *d, struct active *a) {
	int y, m, day;
	daemon_today(&y, &m, &day);
	const char *key = a->match.e164[0] ? a->match.e164 : a->info.number;
	int ret = db_history_get(d->db, a->match.contact_id, key, a->id, y, m, day, &a->history);
	a->history_ok = ret == 0;
	if (a->match.contact_id > 0) {
		db_contact_get(d->db, a->match.contact_id, take_company, a);
	}
}

static enum notify_call_state notify_state(enum call_state s) {
	switch (s) {
	case CALL_STATE_ANSWERED:
		return NOTIFY_CALL_ANSWERED;
	case CALL_STATE_MISSED:
		return NOTIFY_CALL_MISSED;
	case CALL_STATE_UNKNOWN:
		return NOTIFY_CALL_UNKNOWN;
	default:
		return NOTIFY_CALL_RINGING;
	}
}

static void show(struct daemon *d, struct active *a) {
	if (d->notify == NULL) {
		return;
	}
	const struct db_history *h = &a->history;
	const struct call_info *i = &a->info;
	const struct modem_info *mi = line_info(a->line);
	struct notify_card card = {
		.name = a->match.contact_id > 0 ? a->match.name : NULL,
		.company = a->company[0] ? a->company : NULL,
		.telco_name = i->name[0] ? i->name : NULL,
		.withheld = call_withheld_str(i->withheld),
		.ambiguous = a->match.ambiguous,
		.number = a->formatted[0] ? a->formatted : NULL,
		.line = lines_count(d->lines) > 1 ? line_name(a->line) : NULL,
		.contact_id = a->match.contact_id,
		.can_dial = mi != NULL && mi->can_dial && i->number[0] != '\0',
		.history_unknown = !a->history_ok,
		.calls_before = h->calls,
		.last_call = h->last_call * 1000,
		.last_missed = h->calls > 0 && h->last_state == DB_CALL_MISSED,
		.last_handled = h->last_handled,
		.missed_unhandled = h->missed_unhandled,
		.requests_open = h->open_requests,
		.state = notify_state(i->state),
		.rings = i->rings,
		.started = i->started_wall,
		.now = g_get_real_time() / 1000,
	};
	for (int k = 0; k < h->n_notes && k < NOTIFY_NOTES_MAX; k++) {
		card.notes[k].text = h->notes[k].text;
		card.notes[k].time = h->notes[k].when * 1000;
	}
	for (int k = 0; k < h->n_requests && k < NOTIFY_REQUESTS_MAX; k++) {
		card.requests[k] = h->requests[k].text;
	}
	for (int k = 0; k < h->n_reminders && k < NOTIFY_REMINDERS_MAX; k++) {
		card.reminders[k].text = h->reminders[k].text;
		card.reminders[k].days_left = h->reminders[k].days_left;
	}
	notify_show(d->notify, a->key, &card);
	daemon_remember_popup(d, a);
}

static void announce(struct daemon *d, struct active *a, const char *signal) {
	struct bus_call bc;
	daemon_call_to_bus(d, a, &bc);
	bus_emit_call(d->bus, signal, &bc);
}

static void set_date(struct active *a) {
	const struct call_info *i = &a->info;
	a->date[0] = '\0';
	if (i->has_date && i->has_time) {
		snprintf(a->date, sizeof(a->date), "%04d-%02d-%02dT%02d:%02d", i->year, i->month,
			 i->day, i->hour, i->minute);
	} else if (i->has_date) {
		snprintf(a->date, sizeof(a->date), "%04d-%02d-%02d", i->year, i->month, i->day);
	}
}

static gboolean quit_cb(gpointer data) {
	struct daemon *d = data;
	g_main_loop_quit(d->loop);
	return G_SOURCE_REMOVE;
}

static void on_call(struct line *line, const struct call_info *info, enum call_change change,
		    void *data) {
	struct daemon *d = data;
	struct active *a = find_active(d, line, info->seq);
	if (a == NULL) {
		a = calloc(1, sizeof(*a));
		if (a == NULL) {
			log_error("Out of memory: the call from %s is not logged", info->number);
			return;
		}
		a->line = line;
		a->seq = info->seq;
		a->key = ++d->next_key;
		/* Oldest first: calls waiting to be written reach the file in order. */
		struct active **tail = &d->calls;
		while (*tail != NULL) {
			tail = &(*tail)->next;
		}
		*tail = a;
	}
	bool number_changed = a->id == 0 || strcmp(a->info.number, info->number) != 0;
	bool visible = number_changed || strcmp(a->info.name, info->name) != 0 ||
		       a->info.state != info->state || a->info.withheld != info->withheld;
	a->info = *info;
	set_date(a);
	if (number_changed) {
		match_number(d, a);
	}
	/* The log first: whatever happens next, the call is on disk (or queued). */
	a->dirty = true;
	flush(d);
	if (number_changed) {
		load_history(d, a);
	}
	const char *signal = change == CALL_STARTED ? "CallStarted"
			     : change == CALL_ENDED ? "CallEnded"
						    : "CallUpdated";
	announce(d, a, signal);
	if (change == CALL_STARTED || visible || change == CALL_ENDED) {
		show(d, a);
	}
	if (change == CALL_ENDED) {
		a->ended = true;
		prune(d);
		d->ended_calls++;
		if (d->opts.exit_after_calls > 0 && d->ended_calls >= d->opts.exit_after_calls) {
			/* let the last popup reach the screen before quitting */
			g_timeout_add(1500, quit_cb, d);
		}
	}
}

static void on_added(struct line *line, void *data) {
	struct daemon *d = data;
	struct bus_modem m;
	daemon_modem_to_bus(line, &m);
	bus_emit_modem_added(d->bus, &m);
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
	bus_emit_modem_removed(d->bus, line_path(line));
	if (d->opts.exit_without_modems) {
		g_idle_add(check_modems_cb, d);
	}
}

static const struct lines_listener lines_listener = {
	.call = on_call,
	.added = on_added,
	.removed = on_removed,
};

int daemon_mark_handled(struct daemon *d, int64_t call_id) {
	int ret = db_call_mark_handled(d->db, call_id, (int64_t)time(NULL));
	if (ret < 0) {
		return ret;
	}
	for (int i = 0; i < POPUPS_KEPT; i++) {
		struct popup *p = &d->popups[i];
		if (p->key != 0 && p->call_id == call_id && p->missed && d->notify != NULL) {
			notify_close(d->notify, p->key);
		}
	}
	return 0;
}

static gboolean on_quit_signal(gpointer data) {
	struct daemon *d = data;
	log_info("Quitting");
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

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
	config_region(d->config.region, d->region);
	configure_db(d);
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
	daemon_reminders_stop(d);
	daemon_reminders_start(d);
	log_info("Reloaded the settings%s%s (the command line's win over the file's)",
		 d->config.path != NULL ? " from " : "",
		 d->config.path != NULL ? d->config.path : "");
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
	config_region(d->config.region, d->region);
	if (d->region[0] == '\0') {
		log_info("No home region (--region, region= or the locale): numbers are matched "
			 "by their digits only");
	}
	d->loop = g_main_loop_new(NULL, FALSE);
	d->database = d->config.database != NULL ? strdup(d->config.database) : db_default_path();
	if (d->database == NULL) {
		log_error("No database path: set HOME or use --database");
		goto fail;
	}
	d->db = db_open(d->database, DB_OPEN_LAZY_CHECKPOINT);
	if (d->db == NULL) {
		goto fail;
	}
	configure_db(d);
	if (!db_writable(d->db)) {
		/* Calls still pop up; they wait in memory until the file can be written. */
		d->write_error = -EROFS;
		d->unwritable_since = (int64_t)time(NULL);
	}
	if (d->config.bus != CONFIG_BUS_NONE) {
		d->bus = bus_create(d->config.bus == CONFIG_BUS_SYSTEM ? BUS_SYSTEM : BUS_SESSION,
				    &daemon_bus_handler, d);
		if (d->bus == NULL) {
			goto fail;
		}
	}
	if (d->config.notify || opts->print != NULL) {
		struct notify_options no = {
			.enabled = d->config.notify,
			.print = opts->print != NULL,
			.print_to = opts->print,
		};
		d->notify = notify_create(&no, NULL, daemon_action, d);
		if (d->notify == NULL) {
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
	if (lines_count(d->lines) == 0) {
		log_info("No modem yet; waiting for one in %s", d->config.device_dir != NULL
									? d->config.device_dir
									: CONFIG_DEFAULT_DEVICE_DIR);
	}
	g_unix_signal_add(SIGINT, on_quit_signal, d);
	g_unix_signal_add(SIGTERM, on_quit_signal, d);
	g_unix_signal_add(SIGHUP, on_reload_signal, d);
	daemon_reminders_start(d);
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
	daemon_reminders_finish(d);
	/* Ends calls in progress: they are logged as they end. */
	lines_destroy(d->lines);
	if (d->write_retry != 0) {
		g_source_remove(d->write_retry);
		d->write_retry = 0;
	}
	/* A last try for calls still waiting to be written (flush() may arm
	 * another retry, which is then dropped: there is no later). */
	if (d->db != NULL && waiting_calls(d) > 0) {
		if (d->write_error != 0 && reopen_helps(d->write_error)) {
			reopen_db(d);
		}
		flush(d);
		for (struct active *a = d->calls; a != NULL; a = a->next) {
			if (a->dirty) {
				log_error("The call from %s could not be logged before quitting",
					  caller(a));
			}
		}
	}
	if (d->write_retry != 0) {
		g_source_remove(d->write_retry);
		d->write_retry = 0;
	}
	if (d->checkpoint != 0) {
		g_source_remove(d->checkpoint);
	}
	while (d->calls != NULL) {
		struct active *a = d->calls;
		d->calls = a->next;
		free(a);
	}
	notify_destroy(d->notify);
	bus_destroy(d->bus);
	db_close(d->db);
	if (d->loop != NULL) {
		g_main_loop_unref(d->loop);
	}
	free(d->database);
	config_finish(&d->config);
	free(d);
}
