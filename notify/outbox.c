/*
 * The worker thread's way back to the main context: actions the user picked
 * and log messages, queued under the lock and delivered by an idle source on
 * the main context (notify.c's deliver function runs them there).
 */
#include <glib.h>
#include <stdarg.h>

#include "worker.h"

void notify_event_free(struct event *ev) {
	g_free(ev->action);
	g_free(ev->msg);
	g_free(ev);
}

/* Any thread: queues ev for the main context. Takes ownership. */
static void post_event(struct worker *w, struct event *ev) {
	g_mutex_lock(&w->lock);
	if (w->owner == NULL) {
		g_mutex_unlock(&w->lock);
		notify_event_free(ev);
		return;
	}
	g_queue_push_tail(&w->events, ev);
	if (w->deliver == NULL) {
		w->deliver = g_idle_source_new();
		g_source_set_callback(w->deliver, w->deliver_fn, w->owner, NULL);
		g_source_attach(w->deliver, w->main_ctx);
	}
	g_mutex_unlock(&w->lock);
}

void notify_worker_log(struct worker *w, enum log_level level, const char *fmt, ...) {
	if (level > log_get_level()) {
		return;
	}
	struct event *ev = g_new0(struct event, 1);
	ev->level = level;
	va_list args;
	va_start(args, fmt);
	ev->msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	post_event(w, ev);
}

void notify_worker_shown(struct worker *w, uint64_t key) {
	struct event *ev = g_new0(struct event, 1);
	ev->key = key;
	ev->shown = true;
	post_event(w, ev);
}

void notify_worker_action(struct worker *w, uint64_t key, const char *action) {
	struct event *ev = g_new0(struct event, 1);
	ev->key = key;
	ev->action = g_strdup(action);
	post_event(w, ev);
}
