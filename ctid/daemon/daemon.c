/*
 * The daemon: the parts wired together on one GLib main loop. A call event
 * from a line goes to the call log first (calls.c), then to NCID clients
 * (ncidout.c), D-Bus (service.c), the web page's live events (web/) and an MQTT broker
 * (mqttout.c), then to the screen (popups.c); reminders that fall due go to the page and the screen
 * too. Each part owns its state; this file owns only the wiring, the signals and the settings.
 */
#include <errno.h>
#include <glib-unix.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami.h"
#include "auth.h"
#include "browser.h"
#include "calls.h"
#include "daemon.h"
#include "dbwatch.h"
#include "jsonout.h"
#include "lines.h"
#include "log.h"
#include "mqttout.h"
#include "ncidout.h"
#include "output.h"
#include "popups.h"
#include "reminders.h"
#include "service.h"
#include "stages.h"
#include "web.h"
#include "webout.h"

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
	struct web *web;
	struct mqttout *mqtt;	 /* or NULL */
	struct ncidout *ncid;	 /* or NULL */
	struct dbwatch *dbwatch; /* with MQTT or NCID: what ctidctl changed */
	guint check_modems;	 /* the idle source that checks whether any modem is left */
	int ended_calls;
	/* The popups on their way to the screen, for which the web page's
	 * events wait (web_hold): web_wait_for() */
	uint64_t web_waits[8];
	size_t n_web_waits;
	guint web_wait_timer;
};

/* A popup the server does not answer holds the pages' events no longer. */
#define WEB_WAIT_MS 20

static void web_waits_over(struct daemon *d) {
	for (; d->n_web_waits > 0; d->n_web_waits--) {
		web_release(d->web);
	}
	if (d->web_wait_timer != 0) {
		g_source_remove(d->web_wait_timer);
		d->web_wait_timer = 0;
	}
}

static gboolean web_wait_cb(gpointer data) {
	struct daemon *d = data;
	d->web_wait_timer = 0;
	web_waits_over(d);
	return G_SOURCE_REMOVE;
}

/*
 * Sending a call's event to a couple of hundred pages is a couple of ms of
 * the main thread and of the kernel (a send() each): on a box of few CPUs
 * that is the CPU the popup's threads and the notification server need at
 * that moment. So the pages' events wait until the server answered the
 * popup of key (on_popup_shown), WEB_WAIT_MS at most; a page gets them a
 * millisecond or two later, the popup nothing later (tests/bench/run --only
 * path: the outputs case).
 */
static void web_wait_for(struct daemon *d, uint64_t key) {
	if (d->web == NULL || !popups_async(d->popups)) {
		return;
	}
	for (size_t i = 0; i < d->n_web_waits; i++) {
		if (d->web_waits[i] == key) {
			return;
		}
	}
	if (d->n_web_waits == sizeof(d->web_waits) / sizeof(d->web_waits[0])) {
		return; /* a queue of popups: they wait for none of them */
	}
	d->web_waits[d->n_web_waits++] = key;
	web_hold(d->web);
	if (d->web_wait_timer == 0) {
		d->web_wait_timer = g_timeout_add(WEB_WAIT_MS, web_wait_cb, d);
	}
}

static void on_popup_shown(uint64_t key, void *data) {
	struct daemon *d = data;
	for (size_t i = 0; i < d->n_web_waits; i++) {
		if (d->web_waits[i] == key) {
			d->web_waits[i] = d->web_waits[--d->n_web_waits];
			web_release(d->web);
			break;
		}
	}
	if (d->n_web_waits == 0) {
		web_waits_over(d); /* the timer */
	}
}

static gboolean quit_cb(gpointer data) {
	struct daemon *d = data;
	g_main_loop_quit(d->loop);
	return G_SOURCE_REMOVE;
}

/* The log first, then the screen and D-Bus, then the outputs whose clients
 * may be many (NCID, MQTT, the web page): their fan-out never holds up the
 * popup (tests/bench/run prints the stage budget). */
static void on_call(struct line *line, const struct call_info *info, enum call_change change,
		    void *data) {
	struct daemon *d = data;
	stage_mark(STAGE_EVENT);
	bool visible;
	struct call_entry *e = calls_update(d->calls, line, line_name(line),
					    line_call_department(line, info), info, change, &visible);
	if (e == NULL) {
		return;
	}
	if (info->outgoing) {
		/* placed from the office: logged, but not announced (it would pop
		 * up as a call coming in); NCID clients tell OUT: lines apart */
		if (d->ncid != NULL) {
			ncidout_call(d->ncid, change, e);
		}
		if (change == CALL_ENDED) {
			calls_forget_ended(d->calls);
		}
		return;
	}
	const struct modem_info *mi = line_info(line);
	const char *shown_line = lines_count(d->lines) > 1 ? line_name(line) : NULL;
	bool can_dial = mi != NULL && mi->can_dial;
	bool handed = false;
	if (change != CALL_UPDATED || visible) {
		popups_show_call(d->popups, e, shown_line, can_dial);
		stage_mark(STAGE_HANDED);
		web_wait_for(d, e->key);
		handed = d->popups != NULL;
	}
	/* NCID's line before the yield: a write to each of a few clients (to
	 * more, a wake of the server's thread), where waiting for the popup's
	 * threads put the CID: line 0.1-0.4 ms later on one core */
	if (d->ncid != NULL) {
		ncidout_call(d->ncid, change, e);
	}
	if (handed) {
		/* The popup first, on one core too. A kernel that puts the woken
		 * thread on this CPU (one core; a VM that packs its vCPUs) left it
		 * waiting for the signals below: 108 us at the median, 4 with the
		 * yield, and 30 context switches a call became 21
		 * (tests/bench/run --only path --sched 30, 7 Dec 2026). With
		 * another core free, nothing to yield to. */
		sched_yield();
	}
	/* after the hand-off: with two cores, libnotify's thread builds the
	 * popup on the other while this one marshals the signals */
	service_call(d->service, change, e);
	stage_mark(STAGE_SIGNAL);
	if (d->mqtt != NULL) {
		mqttout_call(d->mqtt, change, e);
	}
	if (d->web != NULL) {
		struct bus_call view;
		struct notify_card card;
		service_call_view(e, &view);
		popups_card(e, shown_line, can_dial, &card);
		char *json = webout_call(&view, &card);
		static const char *const types[] = {
			[CALL_STARTED] = "call-started",
			[CALL_UPDATED] = "call-updated",
			[CALL_ENDED] = "call-ended",
		};
		web_publish(d->web, types[change], "call", json, e->key);
		free(json);
	}
	stage_mark(STAGE_OUTPUTS);
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
	if (d->mqtt != NULL) {
		mqttout_line(d->mqtt, line_name(line));
	}
	if (d->web != NULL) {
		struct bus_modem m;
		service_modem_view(line, &m);
		char *json = webout_modem(&m);
		web_publish(d->web, "modem-added", "modem", json, 0);
		free(json);
	}
}

/* A FRITZ!Box's or a PBX's line is there from the start (modems are when
 * ready, on_added()): its MQTT topics and Home Assistant entity too, not
 * from its first call. A gateway's line is made by its first call. */
static void mqtt_network_line(struct line *line, void *data) {
	struct daemon *d = data;
	if (!line_is_modem(line)) {
		mqttout_line(d->mqtt, line_name(line));
	}
}

static gboolean check_modems_cb(gpointer data) {
	struct daemon *d = data;
	d->check_modems = 0;
	if (lines_count(d->lines) == 0) {
		log_info("No modem left; quitting");
		g_main_loop_quit(d->loop);
	}
	return G_SOURCE_REMOVE;
}

static void on_removed(struct line *line, void *data) {
	struct daemon *d = data;
	service_modem_removed(d->service, line);
	if (d->web != NULL) {
		char *json = webout_modem_removed(line_path(line));
		web_publish(d->web, "modem-removed", "modem", json, 0);
		free(json);
	}
	if (d->opts.exit_without_modems && d->check_modems == 0) {
		d->check_modems = g_idle_add(check_modems_cb, d);
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
	char phone[128] = "";
	if (d->web != NULL || d->ncid != NULL) {
		output_phones(calls_db(d->calls), r->contact_id, calls_region(d->calls), false,
			      phone, sizeof(phone));
	}
	if (d->ncid != NULL) {
		ncidout_reminder(d->ncid, r, phone);
	}
	if (d->web != NULL) {
		char *json = webout_reminder(r, phone);
		web_publish(d->web, "reminder", "reminder", json, 0);
		free(json);
	}
	popups_show_reminder(d->popups, r);
}

/* An NCID gateway's line: a call on one of the gateway lines. */
static void on_gateway_line(const char *line, size_t len, const char *peer, void *data) {
	struct daemon *d = data;
	lines_gateway_line(d->lines, line, len, peer);
}

/* The database was written: by another program, ctid's count of missed
 * calls waiting (ctidctl calls handle), NCID's call log and the web
 * page's logins (ctidctl user delete) may be out of date. */
static void on_db_written(void *data) {
	struct daemon *d = data;
	if (!calls_changed_elsewhere(d->calls)) {
		return;
	}
	web_tokens_changed(d->web);
	if (d->mqtt != NULL) {
		mqttout_missed_changed(d->mqtt);
	}
	if (d->ncid != NULL) {
		ncidout_log_changed(d->ncid);
	}
}

static const struct reminders_listener reminders_listener = {
	.due = on_reminder_due,
};

/* Mark handled, from D-Bus or a popup's button: in the log, off the screen,
 * and one fewer missed call waiting over MQTT. */
static int mark_handled(int64_t call_id, void *data) {
	struct daemon *d = data;
	int ret = db_call_mark_handled(calls_db(d->calls), call_id, (int64_t)time(NULL));
	if (ret == 0) {
		popups_call_handled(d->popups, call_id);
		if (d->mqtt != NULL) {
			mqttout_missed_changed(d->mqtt);
		}
	}
	return ret;
}

static int dial(const char *number, void *data) {
	struct daemon *d = data;
	struct line *line = lines_dialer(d->lines);
	if (line == NULL) {
		return -ENOTSUP;
	}
	if (line_is_modem(line)) {
		log_info("Dialling %s on %s", number, line_path(line));
	}
	return line_dial(line, number);
}

struct call_line {
	char line[DB_NAME_MAX + 1];
	char number[64];
	bool withheld;
};

static int take_call_line(const struct db_call *c, void *data) {
	struct call_line *cl = data;
	snprintf(cl->line, sizeof(cl->line), "%s", c->line != NULL ? c->line : "");
	/* the number as the line sent it is one the line can dial */
	const char *n = c->number != NULL && c->number[0] ? c->number : c->e164;
	snprintf(cl->number, sizeof(cl->number), "%s", n != NULL ? n : "");
	cl->withheld = c->withheld != NULL || cl->number[0] == '\0';
	return 0;
}

static const char *unix_user(void);

static int take_extension(const struct db_user *u, void *data) {
	snprintf(data, 65, "%s", u->extension != NULL ? u->extension : "");
	return 0;
}

/* Dials number for call call_id, for user (NULL: none in particular): on
 * the line the call came in on when it can dial now (a PBX's call back
 * through the PBX, ringing the user's own extension first), else on the
 * first that can. */
static int dial_for_call(struct daemon *d, const char *number, int64_t call_id, const char *user) {
	char extension[65] = "";
	if (user != NULL && user[0] != '\0') {
		db_user_get(calls_db(d->calls), user, take_extension, extension);
	}
	struct call_line cl = {0};
	if (call_id > 0) {
		db_call_get(calls_db(d->calls), call_id, take_call_line, &cl);
	}
	struct line *line = lines_dialer_for(d->lines, cl.line);
	if (line == NULL) {
		return -ENOTSUP;
	}
	if (line_is_modem(line)) {
		log_info("Dialling %s on %s", number, line_path(line));
	}
	return line_dial_from(line, number, extension[0] ? extension : NULL);
}

/* CallBack on D-Bus (ctidctl callback): the call's number, on its line. */
static int bus_call_back(int64_t call_id, char number[64], void *data) {
	struct daemon *d = data;
	struct call_line cl = {0};
	int ret = db_call_get(calls_db(d->calls), call_id, take_call_line, &cl);
	if (ret < 0) {
		return ret;
	}
	if (cl.withheld) {
		return -ENODATA;
	}
	char digits[OUTPUT_DIAL_MAX];
	if (!output_dial_digits(cl.number, digits)) {
		return -EINVAL;
	}
	snprintf(number, 64, "%s", digits);
	ret = dial_for_call(d, digits, call_id, unix_user());
	if (ret == 0) {
		db_call_mark_called_back(calls_db(d->calls), call_id, (int64_t)time(NULL));
	}
	return ret;
}

/* Call back, from a popup's button: dial, and note that the caller was called back. */
static int call_back(const char *number, int64_t call_id, void *data) {
	struct daemon *d = data;
	int ret = dial_for_call(d, number, call_id, unix_user());
	if (ret == 0 && call_id > 0) {
		db_call_mark_called_back(calls_db(d->calls), call_id, (int64_t)time(NULL));
	}
	return ret;
}

/* The Unix user this daemon runs for: who the desk's own links log in. */
static const char *unix_user(void) {
	struct passwd *pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : getenv("USER");
}

/* Open card, Add note, Add contact: the page, logged in, at path. */
static int open_page(const char *path, void *data) {
	struct daemon *d = data;
	const char *base = web_url(d->web);
	if (base == NULL) {
		return -ENOTSUP;
	}
	char link[AUTH_TOKEN_LEN + 1];
	int ret = auth_link_new(calls_db(d->calls), unix_user(), link);
	char *url;
	if (ret == 0) {
		url = auth_link_url(base, link, path);
	} else {
		/* not a user of the page: it asks for a password */
		log_info("No login link for %s (%s): the page will ask for a password", unix_user(),
			 ret == -ENOENT ? "not a user of the web page" : strerror(-ret));
		url = g_strdup_printf("%s%s", base, path[0] == '/' ? path + 1 : path);
	}
	ret = browser_open(url);
	g_free(url);
	return ret;
}

static const struct service_actions service_actions = {
	.mark_handled = mark_handled,
	.dial = dial,
	.call_back = bus_call_back,
};

static const struct popups_actions popups_actions = {
	.mark_handled = mark_handled,
	.call_back = call_back,
	.open_page = open_page,
};

/* What the web page asks of the daemon. */
static struct db *web_db(void *data) {
	struct daemon *d = data;
	return calls_db(d->calls);
}

static const char *web_region(void *data) {
	struct daemon *d = data;
	return calls_region(d->calls);
}

static int web_call_back(const char *number, int64_t call_id, const char *user, bool *dialled,
			 void *data) {
	struct daemon *d = data;
	int ret = dial_for_call(d, number, call_id, user);
	*dialled = ret == 0;
	if (ret < 0 && ret != -ENOTSUP) {
		log_warn("Could not dial %s: %s", number, strerror(-ret));
	}
	/* called back, by the modem or by hand */
	return db_call_mark_called_back(calls_db(d->calls), call_id, (int64_t)time(NULL));
}

static void web_modem(struct line *line, void *data) {
	struct bus_modem m;
	service_modem_view(line, &m);
	webout_modem_object(data, &m);
}

static void web_line(struct line *line, void *data) {
	struct json_writer *w = data;
	json_object_begin(w);
	json_key(w, "line");
	json_string(w, line_name(line));
	json_key(w, "department");
	json_string(w, line_department(line));
	json_object_end(w);
}

static void web_status(struct json_writer *w, void *data) {
	struct daemon *d = data;
	json_key(w, "version");
	json_string(w, CTID_VERSION);
	struct bus_database db;
	service_database_view(d->calls, &db);
	json_key(w, "database");
	webout_status_database(w, &db);
	json_key(w, "modems");
	json_array_begin(w);
	if (d->lines != NULL) {
		lines_foreach(d->lines, web_modem, w);
	}
	json_array_end(w);
	/* the lines and their departments, for a page to choose what it follows */
	json_key(w, "lines");
	json_array_begin(w);
	if (d->lines != NULL) {
		lines_foreach(d->lines, web_line, w);
	}
	json_array_end(w);
}

static void web_setting(const char *key, const char *value, void *data) {
	jsonout_settings_add(data, key, value);
}

static void web_settings(struct json_writer *w, void *data) {
	struct daemon *d = data;
	struct service_env env = {.calls = d->calls, .config = &d->config, .database = d->database};
	struct jsonout_settings js;
	jsonout_settings_begin(&js, w);
	service_settings_view(&env, web_setting, &js);
	jsonout_settings_end(&js);
}

static int web_restore(const char *path, char *why, size_t whysz, void *data) {
	struct daemon *d = data;
	return calls_restore(d->calls, path, why, whysz);
}

static const struct web_hooks web_hooks = {
	.restore = web_restore,
	.db = web_db,
	.region = web_region,
	.mark_handled = mark_handled,
	.call_back = web_call_back,
	.dial = dial,
	.status = web_status,
	.settings = web_settings,
};

/* Where ctid keeps its state (the web page's certificate): systemd's
 * StateDirectory, else $XDG_STATE_HOME/ctid, else ~/.local/state/ctid. */
static char *state_dir(void) {
	const char *sd = getenv("STATE_DIRECTORY");
	if (sd != NULL && sd[0] == '/') {
		return g_strndup(sd, strcspn(sd, ":"));
	}
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg != NULL && xdg[0] == '/') {
		return g_build_filename(xdg, "ctid", NULL);
	}
	const char *home = getenv("HOME");
	return home != NULL ? g_build_filename(home, ".local", "state", "ctid", NULL) : NULL;
}

static int start_web(struct daemon *d) {
	const struct config *c = &d->config;
	if (c->listen_none) {
		log_info("Web page off (listen = none)");
		return 0;
	}
	const char *def = CONFIG_DEFAULT_LISTEN;
	char *dir = state_dir();
	struct web_options o = {
		.listen = c->n_listen > 0 ? (const char *const *)c->listen : &def,
		.n_listen = c->n_listen > 0 ? c->n_listen : 1,
		.tls_cert = c->tls_cert,
		.tls_key = c->tls_key,
		.state_dir = dir,
	};
	d->web = web_create(&o, &web_hooks, d);
	g_free(dir);
	if (d->web == NULL) {
		log_error("The web page cannot be served (another program on the port? "
			  "--listen ADDR:PORT picks another, --listen none turns it off)");
		return -EADDRINUSE;
	}
	return 0;
}

/* Publishing calls over MQTT, when mqtt = names a broker. */
static int start_mqtt(struct daemon *d) {
	const struct config_mqtt *q = &d->config.mqtt;
	if (q->host == NULL) {
		return 0;
	}
	char password[256] = "", why[160];
	if (q->password_file != NULL &&
	    ami_read_secret(q->password_file, password, sizeof(password), why, sizeof(why)) < 0) {
		log_error("mqtt-password-file %s: %s", q->password_file, why);
		return -EINVAL;
	}
	d->mqtt = mqttout_create(q, q->password_file != NULL ? password : NULL, d->calls);
	explicit_bzero(password, sizeof(password));
	return d->mqtt != NULL ? 0 : -EINVAL;
}

/* Whether two settings differ (either may be NULL). */
static bool differ(const char *a, const char *b) {
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* Says which changed settings take effect only at the next start. */
static void note_restart_needed(const struct config *old, const struct config *new) {
	const char *changed[12];
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
	if (differ(old->fritzbox.host, new->fritzbox.host) ||
	    old->fritzbox.port != new->fritzbox.port ||
	    differ(old->fritzbox.name, new->fritzbox.name)) {
		changed[n++] = "fritzbox";
	}
	if (differ(old->ami.box.host, new->ami.box.host) || old->ami.box.port != new->ami.box.port ||
	    differ(old->ami.box.name, new->ami.box.name) || differ(old->ami.user, new->ami.user) ||
	    differ(old->ami.secret_file, new->ami.secret_file) ||
	    differ(old->ami.context, new->ami.context) || differ(old->ami.trunks, new->ami.trunks) ||
	    old->ami.tls != new->ami.tls || differ(old->ami.tls_ca, new->ami.tls_ca)) {
		changed[n++] = "ami";
	}
	const struct config_mqtt *om = &old->mqtt, *nm = &new->mqtt;
	if (differ(om->host, nm->host) || om->port != nm->port || differ(om->user, nm->user) ||
	    om->tls != nm->tls || differ(om->ca, nm->ca) ||
	    differ(om->password_file, nm->password_file) || differ(om->prefix, nm->prefix) ||
	    differ(om->discovery, nm->discovery) || om->no_discovery != nm->no_discovery ||
	    om->no_names != nm->no_names) {
		changed[n++] = "mqtt";
	}
	if (differ(old->ncid_listen, new->ncid_listen) ||
	    differ(old->ncid_gateways, new->ncid_gateways) ||
	    differ(old->ncid_editors, new->ncid_editors)) {
		changed[n++] = "ncid-listen";
	}
	bool listen_changed =
		old->n_listen != new->n_listen || old->listen_none != new->listen_none ||
		differ(old->tls_cert, new->tls_cert) || differ(old->tls_key, new->tls_key);
	for (int i = 0; !listen_changed && i < old->n_listen; i++) {
		listen_changed = differ(old->listen[i], new->listen[i]);
	}
	if (listen_changed) {
		changed[n++] = "listen";
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
	if (start_web(d) < 0) {
		goto fail;
	}
	if (d->config.bus != CONFIG_BUS_NONE) {
		struct service_env env = {
			.web = d->web,
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
		} else if (d->web != NULL) {
			popups_set_shown(d->popups, on_popup_shown, d);
		}
	}
	if (start_mqtt(d) < 0) {
		goto fail;
	}
	if (d->config.ncid_listen != NULL) {
		d->ncid = ncidout_create(&d->config, d->calls, on_gateway_line, d);
		if (d->ncid == NULL) {
			goto fail;
		}
	}
	if (d->mqtt != NULL || d->ncid != NULL || d->web != NULL) {
		d->dbwatch = dbwatch_create(d->database, on_db_written, d);
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
	if (d->mqtt != NULL) {
		lines_foreach(d->lines, mqtt_network_line, d);
	}
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

const char *daemon_web_url(const struct daemon *d) {
	return d != NULL ? web_url(d->web) : NULL;
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
	popups_set_shown(d->popups, NULL, NULL);
	web_waits_over(d); /* what waited goes out */
	web_destroy(d->web);
	mqttout_destroy(d->mqtt);
	ncidout_destroy(d->ncid);
	dbwatch_destroy(d->dbwatch);
	d->web = NULL;
	calls_destroy(d->calls);
	popups_destroy(d->popups);
	service_destroy(d->service);
	/* (the lines going away above may have asked for it) */
	if (d->check_modems != 0) {
		g_source_remove(d->check_modems);
	}
	if (d->loop != NULL) {
		g_main_loop_unref(d->loop);
	}
	free(d->database);
	config_finish(&d->config);
	free(d);
}
