#ifndef CTID_NOTIFY_WORKER_H
#define CTID_NOTIFY_WORKER_H

/*
 * Inside notify/: what notify.c (the thread, the queues, the public API)
 * and server.c (libnotify, on the worker thread only) share. Not installed,
 * not for other modules.
 */

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "card.h"
#include "log.h"

struct notify;

enum job_type {
	JOB_SHOW,
	JOB_CLOSE,
};

struct job {
	enum job_type type;
	uint64_t key;
	enum notify_call_state state;
	bool reminder; /* a reminder's popup, not a call's */
	struct notify_text plain;
	char markup_body[NOTIFY_BODY_MAX];
	struct notify_action actions[NOTIFY_ACTIONS_MAX];
	size_t n_actions;
	const char *default_action; /* static */
};

enum server_state {
	SERVER_UNKNOWN,
	SERVER_UP,
	SERVER_DOWN,
};

/* Something for the main context: an action (action set) or a log message. */
struct event {
	uint64_t key;
	bool shown; /* the show of key was answered */
	char *action;
	enum log_level level;
	char *msg;
};

/* Shared by the main thread and the worker; freed by whichever lets go last. */
struct worker {
	gint refs;
	GMutex lock;
	GCond cond;

	/* Guarded by lock. */
	GQueue jobs; /* struct job * */
	GSource *wake;
	bool quit;
	bool finished;
	GQueue events; /* struct event * */
	GSource *deliver;
	GSourceFunc deliver_fn; /* runs the events on the main context (notify.c) */
	bool tell_shown;	/* post a shown event after each show */
	struct notify *owner;	/* NULL once notify_destroy() let go */
	GMainContext *main_ctx;

	/* Worker thread only. */
	GMainContext *ctx;
	GMainLoop *loop;
	char *app_name;
	char *icon;
	char *desktop_entry;
	GDBusConnection *bus;
	gint64 connected_at; /* monotonic µs of the last (re)connection */
	guint watch;
	GHashTable *shown; /* &shown->key -> struct shown (server.c) */
	uint64_t shown_serial;
	enum server_state server;
	char *server_name; /* its unique bus name, while it has one */
	bool caps_known;
	bool markup;
	bool actions;
	bool persistence;
	guint log_handler;
};

/* outbox.c, any thread: hands a log message or an action to the main context. */
void notify_worker_log(struct worker *w, enum log_level level, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
void notify_worker_action(struct worker *w, uint64_t key, const char *action);
void notify_worker_shown(struct worker *w, uint64_t key);
void notify_event_free(struct event *ev);

/* Worker thread only (server.c): set up libnotify and the server watch, with
 * w->ctx already thread-default; show or close one popup; tear down. */
void notify_server_open(struct worker *w);
void notify_server_show(struct worker *w, const struct job *job);
void notify_server_close(struct worker *w, const struct job *job);
/* abandoned: notify_destroy() gave up on a hung server, do not ask it anything. */
void notify_server_shutdown(struct worker *w, bool abandoned);

#endif
