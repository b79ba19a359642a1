/*
 * The libnotify side of notify/: what each popup asks of the notification
 * server, and following the server as it comes and goes. Everything here
 * runs on the worker thread (see notify.c for why there is one), with the
 * worker's context thread-default, so libnotify's D-Bus signals arrive here
 * too.
 */

#include <libnotify/notify.h>
#include <string.h>

#include "stages.h"
#include "worker.h"

/* A popup the server has (as far as we know). */
struct shown {
	struct worker *w;
	uint64_t key;
	NotifyNotification *nn;
	enum notify_call_state state;
	bool settled; /* a call that ended missed or unknown, or a reminder: no more changes */
	const char *default_action;
	uint64_t serial; /* when it was last shown, to forget the oldest */
	uint64_t look;	 /* what the server shows: look_of() */
};

/* FNV-1a over what a popup shows: its text, state and buttons. */
static uint64_t fnv(uint64_t h, const void *data, size_t len) {
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h = (h ^ p[i]) * 1099511628211ULL;
	}
	return h;
}

static uint64_t look_of(const struct job *job, const char *body) {
	uint64_t h = 14695981039346656037ULL;
	h = fnv(h, job->plain.summary, strlen(job->plain.summary) + 1);
	h = fnv(h, body, strlen(body) + 1);
	h = fnv(h, &job->state, sizeof(job->state));
	h = fnv(h, &job->reminder, sizeof(job->reminder));
	for (size_t i = 0; i < job->n_actions; i++) {
		h = fnv(h, job->actions[i].id, strlen(job->actions[i].id) + 1);
		h = fnv(h, job->actions[i].label, strlen(job->actions[i].label) + 1);
	}
	return h;
}

/*
 * Popups remembered for updates and buttons. Missed-call popups stay on the
 * server until the user dismisses them, which may be never: past this many,
 * the oldest of the calls that ended is forgotten here (it stays on the
 * screen; a button pressed on it then does nothing), so the daemon's memory
 * does not grow with every call of a long day. Calls still in progress are
 * forgotten last: a PBX's queue can hold a hundred at once, and a call
 * forgotten while it rings would pop up again, a second time, when it
 * changes.
 */
#define SHOWN_MAX 256

/* libnotify's own g_warning()s ("Failed to connect to proxy") would go to
 * stderr from the worker; our messages say it better, so they are debug. */
static void on_libnotify_log(const gchar *domain, GLogLevelFlags flags, const gchar *message,
			     gpointer data) {
	struct worker *w = data;
	enum log_level level = flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL) ? LOG_WARN
										  : LOG_DEBUG;
	notify_worker_log(w, level, "libnotify: %s", message);
}

static void shown_free(gpointer data) {
	struct shown *s = data;
	g_signal_handlers_disconnect_by_data(s->nn, s);
	g_object_unref(s->nn);
	g_free(s);
}

static void on_action(NotifyNotification *nn, char *action, gpointer data) {
	struct shown *s = data;
	const char *id = action;
	if (strcmp(action, "default") == 0) {
		id = s->default_action;
	}
	if (id == NULL) {
		return;
	}
	notify_worker_action(s->w, s->key, id);
}

/* The user dismissed it or it expired: an update for this call starts a new popup. */
static void on_closed(NotifyNotification *nn, gpointer data) {
	struct shown *s = data;
	notify_worker_log(s->w, LOG_DEBUG,
			  "Notification for call %" G_GUINT64_FORMAT " closed (reason %d)", s->key,
			  notify_notification_get_closed_reason(nn));
	g_hash_table_remove(s->w->shown, &s->key);
}

static void server_failed(struct worker *w, const char *what, GError *err) {
	if (err != NULL) {
		g_dbus_error_strip_remote_error(err);
	}
	const char *why = err != NULL ? err->message : "no answer";
	if (w->server != SERVER_DOWN) {
		notify_worker_log(w, LOG_WARN,
				  "Could not %s: %s (is a notification server running?); "
				  "will try again with the next call",
				  what, why);
	} else {
		notify_worker_log(w, LOG_DEBUG, "Could not %s: %s", what, why);
	}
	w->server = SERVER_DOWN;
	w->caps_known = false;
}

static void server_answered(struct worker *w) {
	if (w->server == SERVER_DOWN) {
		notify_worker_log(w, LOG_INFO, "Notification server is back");
	}
	w->server = SERVER_UP;
}

/* Asks for the capabilities once per server (again after it went away). */
static void query_caps(struct worker *w) {
	if (w->caps_known) {
		return;
	}
	GList *caps = notify_get_server_caps();
	if (caps == NULL) {
		/* No error to report here; the show that follows will have one. */
		return;
	}
	w->markup = w->actions = w->persistence = false;
	GString *list = g_string_new(NULL);
	for (GList *l = caps; l != NULL; l = l->next) {
		const char *cap = l->data;
		w->markup |= strcmp(cap, "body-markup") == 0;
		w->actions |= strcmp(cap, "actions") == 0;
		w->persistence |= strcmp(cap, "persistence") == 0;
		g_string_append_printf(list, "%s%s", list->len > 0 ? " " : "", cap);
	}
	notify_worker_log(w, LOG_DEBUG, "Notification server capabilities: %s", list->str);
	g_string_free(list, TRUE);
	g_list_free_full(caps, g_free);
	w->caps_known = true;
}

/*
 * What each state asks of the server. Categories are the Desktop
 * Notifications spec 1.3 "call.*" ones (servers that predate them ignore
 * them); users can match them in dunst or mako rules.
 */
static void set_hints(struct worker *w, NotifyNotification *nn, enum notify_call_state state,
		      bool reminder) {
	const char *category = "call";
	NotifyUrgency urgency = NOTIFY_URGENCY_NORMAL;
	int timeout = NOTIFY_EXPIRES_DEFAULT;
	bool transient = false;
	bool resident = false;
	switch (reminder ? NOTIFY_CALL_UNKNOWN : state) {
	case NOTIFY_CALL_RINGING:
		/* Now or never: over full-screen windows, until the call ends and we
		 * replace or close it; not kept in history (the missed-call popup is
		 * the record); silent, the phone itself is ringing. */
		category = "call.incoming";
		urgency = NOTIFY_URGENCY_CRITICAL;
		timeout = NOTIFY_EXPIRES_NEVER;
		transient = true;
		notify_notification_set_hint(nn, "suppress-sound", g_variant_new_boolean(TRUE));
		break;
	case NOTIFY_CALL_ANSWERED:
		/* Someone is on the phone with the card in front of them already. */
		transient = true;
		break;
	case NOTIFY_CALL_MISSED:
		/* Must not go unseen: stays until dismissed, or (persistence) in the
		 * server's history; resident so "Add note" does not remove it. */
		category = "call.unanswered";
		timeout = w->persistence ? NOTIFY_EXPIRES_DEFAULT : NOTIFY_EXPIRES_NEVER;
		resident = true;
		break;
	case NOTIFY_CALL_UNKNOWN:
	default:
		/* Maybe missed: keep it in history, but do not pin it on screen for every
		 * call of a modem that cannot see pick-ups. */
		category = "call.ended";
		resident = true;
		break;
	}
	if (reminder) {
		/* Due today or soon: stays until read, like a note on the desk. */
		category = "x-ctid.reminder";
		timeout = w->persistence ? NOTIFY_EXPIRES_DEFAULT : NOTIFY_EXPIRES_NEVER;
	}
	notify_notification_set_category(nn, category);
	notify_notification_set_urgency(nn, urgency);
	notify_notification_set_timeout(nn, timeout);
	if (w->desktop_entry[0] != '\0') {
		notify_notification_set_hint_string(nn, "desktop-entry", w->desktop_entry);
	}
	if (transient) {
		notify_notification_set_hint(nn, "transient", g_variant_new_boolean(TRUE));
	}
	if (resident) {
		notify_notification_set_hint(nn, "resident", g_variant_new_boolean(TRUE));
	}
}

static void reconnect_if_closed(struct worker *w);

/* Forgets popups past SHOWN_MAX, never keep (the one just shown). */
static void forget_oldest(struct worker *w, const struct shown *keep) {
	while (g_hash_table_size(w->shown) > SHOWN_MAX) {
		GHashTableIter iter;
		gpointer value;
		struct shown *oldest = NULL, *oldest_ended = NULL;
		g_hash_table_iter_init(&iter, w->shown);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			struct shown *s = value;
			if (oldest == NULL || s->serial < oldest->serial) {
				oldest = s;
			}
			bool ended = s->state == NOTIFY_CALL_MISSED ||
				     s->state == NOTIFY_CALL_UNKNOWN;
			if (ended && (oldest_ended == NULL || s->serial < oldest_ended->serial)) {
				oldest_ended = s;
			}
		}
		g_hash_table_remove(w->shown,
				    oldest_ended != NULL ? &oldest_ended->key : &oldest->key);
	}
}

void notify_server_show(struct worker *w, const struct job *job) {
	reconnect_if_closed(w);
	query_caps(w);
	const char *body = w->markup ? job->markup_body : job->plain.body;

	struct shown *s = g_hash_table_lookup(w->shown, &job->key);
	uint64_t look = look_of(job, body);
	if (s != NULL && s->look == look) {
		/* nothing would change on the screen (the telco's name under a
		 * contact's, say): no round trip to the server */
		s->serial = ++w->shown_serial;
		return;
	}
	if (s == NULL) {
		s = g_new0(struct shown, 1);
		s->w = w;
		s->key = job->key;
		s->nn = notify_notification_new(job->plain.summary, body, w->icon);
		g_signal_connect(s->nn, "closed", G_CALLBACK(on_closed), s);
		g_hash_table_insert(w->shown, &s->key, s);
	} else {
		notify_notification_update(s->nn, job->plain.summary, body, w->icon);
	}
	s->state = job->state;
	s->look = look;
	s->settled = job->reminder || job->state == NOTIFY_CALL_MISSED ||
		     job->state == NOTIFY_CALL_UNKNOWN;
	s->default_action = job->default_action;
	s->serial = ++w->shown_serial;
	forget_oldest(w, s);

	notify_notification_clear_hints(s->nn);
	set_hints(w, s->nn, job->state, job->reminder);
	notify_notification_clear_actions(s->nn);
	if (w->actions) {
		for (size_t i = 0; i < job->n_actions; i++) {
			notify_notification_add_action(s->nn, job->actions[i].id,
						       job->actions[i].label, on_action, s, NULL);
		}
		if (job->default_action != NULL) {
			/* Servers invoke "default" on a click; some list it with its label. */
			const char *label = "Open";
			for (size_t i = 0; i < job->n_actions; i++) {
				if (strcmp(job->actions[i].id, job->default_action) == 0) {
					label = job->actions[i].label;
				}
			}
			notify_notification_add_action(s->nn, "default", label, on_action, s, NULL);
		}
	}

	GError *err = NULL;
	stage_mark(STAGE_NOTIFY_SENT);
	bool shown = notify_notification_show(s->nn, &err);
	stage_mark(STAGE_NOTIFY_REPLY);
	if (!shown) {
		server_failed(w, "show a notification", err);
		g_clear_error(&err);
		/* The server may restart without it: start afresh next time. */
		g_hash_table_remove(w->shown, &job->key);
		return;
	}
	/* From here on the server's actions on it find their way back (tests
	 * wait for this line before they press a button). */
	static const char *const states[] = {"ringing", "answered", "missed", "unknown"};
	gint id = 0;
	g_object_get(s->nn, "id", &id, NULL);
	notify_worker_log(w, LOG_DEBUG,
			  "The popup of call %" G_GUINT64_FORMAT " (%s) is notification %d", s->key,
			  job->reminder ? "reminder" : states[job->state], id);
	server_answered(w);
}

/* Closes s on the server; the caller then drops it from w->shown. */
static void close_shown(struct worker *w, struct shown *s) {
	/* With the portal, libnotify emits "closed" from within the call. */
	g_signal_handlers_disconnect_by_data(s->nn, s);
	GError *err = NULL;
	if (w->server != SERVER_DOWN && !notify_notification_close(s->nn, &err)) {
		/* Already closed by the user, or the server is gone. */
		notify_worker_log(w, LOG_DEBUG,
				  "Could not close notification for call %" G_GUINT64_FORMAT ": %s",
				  s->key, err->message);
		g_clear_error(&err);
	}
}

void notify_server_close(struct worker *w, const struct job *job) {
	struct shown *s = g_hash_table_lookup(w->shown, &job->key);
	if (s == NULL) {
		return;
	}
	close_shown(w, s);
	g_hash_table_remove(w->shown, &job->key);
}

/*
 * Servers come and go (dunst restarted with another configuration, a session
 * switching compositors): popups die with theirs, and the next one may take
 * markup or actions where the last did not.
 */
static void on_server_vanished(GDBusConnection *bus, const gchar *name, gpointer data) {
	struct worker *w = data;
	if (w->server_name != NULL) {
		notify_worker_log(w, LOG_DEBUG, "Notification server %s went away", w->server_name);
	}
	g_clear_pointer(&w->server_name, g_free);
	w->caps_known = false;
	g_hash_table_remove_all(w->shown);
}

static void on_server_appeared(GDBusConnection *bus, const gchar *name, const gchar *owner,
			       gpointer data) {
	struct worker *w = data;
	if (w->server_name != NULL && strcmp(w->server_name, owner) != 0) {
		w->caps_known = false; /* replaced before we saw it go */
	}
	notify_worker_log(w, LOG_DEBUG, "Notification server is %s", owner);
	g_free(w->server_name);
	w->server_name = g_strdup(owner);
}

/* Connects to the session bus and follows the notification server on it. */
static void connect_bus(struct worker *w) {
	/* The session bus connection is shared; by default GIO ends the process when
	 * it closes, which is not ours to decide. */
	GError *err = NULL;
	w->bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &err);
	if (w->bus != NULL) {
		g_dbus_connection_set_exit_on_close(w->bus, FALSE);
		w->watch = g_bus_watch_name_on_connection(w->bus, "org.freedesktop.Notifications",
							  G_BUS_NAME_WATCHER_FLAGS_NONE,
							  on_server_appeared, on_server_vanished, w,
							  NULL);
	} else {
		notify_worker_log(w, LOG_WARN, "Could not connect to the session bus: %s",
				  err->message);
		g_clear_error(&err);
	}
	notify_init(w->app_name);
	w->connected_at = g_get_monotonic_time();
}

/*
 * The session bus went away (the session restarted its bus, a test killed
 * it): GIO forgets a closed shared connection, so start afresh with a new
 * one and a new libnotify proxy, at most every few seconds.
 */
static void reconnect_if_closed(struct worker *w) {
	if (w->bus != NULL && !g_dbus_connection_is_closed(w->bus)) {
		return;
	}
	if (g_get_monotonic_time() - w->connected_at < 3 * G_USEC_PER_SEC) {
		return;
	}
	if (w->bus != NULL) {
		notify_worker_log(w, LOG_WARN, "Lost the session bus; connecting again");
	}
	if (w->watch != 0) {
		g_bus_unwatch_name(w->watch);
		w->watch = 0;
	}
	g_hash_table_remove_all(w->shown);
	g_clear_pointer(&w->server_name, g_free);
	w->caps_known = false;
	g_clear_object(&w->bus);
	notify_uninit();
	connect_bus(w);
}

void notify_server_open(struct worker *w) {
	w->shown = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, shown_free);
	w->log_handler = g_log_set_handler("libnotify", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL,
					   on_libnotify_log, w);
	connect_bus(w);
}

void notify_server_shutdown(struct worker *w, bool abandoned) {
	if (w->watch != 0) {
		g_bus_unwatch_name(w->watch);
		w->watch = 0;
	}
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, w->shown);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		struct shown *s = value;
		if (!abandoned &&
		    (s->state == NOTIFY_CALL_RINGING || s->state == NOTIFY_CALL_ANSWERED)) {
			close_shown(w, s);
		}
	}
	/* Unref before notify_uninit(), which would close every popup with actions. */
	g_hash_table_destroy(w->shown);
	w->shown = NULL;
	notify_uninit();
	g_log_remove_handler("libnotify", w->log_handler);
	g_clear_object(&w->bus);
}
