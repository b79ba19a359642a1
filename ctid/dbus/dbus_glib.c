#include <glib-unix.h>
#include <stdbool.h>

#include "dbus_glib.h"
#include "fd_watch.h"

struct loop {
	GMainContext *ctx;
	GSource *dispatch; /* pending idle dispatch, or NULL */
	DBusConnection *conn;
};

static dbus_int32_t slot = -1;

static gboolean dispatch_cb(gpointer data) {
	struct loop *l = data;
	dbus_connection_ref(l->conn);
	while (dbus_connection_dispatch(l->conn) == DBUS_DISPATCH_DATA_REMAINS) {
	}
	if (l->dispatch != NULL) {
		g_source_unref(l->dispatch);
		l->dispatch = NULL;
	}
	dbus_connection_unref(l->conn);
	return G_SOURCE_REMOVE;
}

static void schedule_dispatch(struct loop *l) {
	if (l->dispatch != NULL) {
		return;
	}
	l->dispatch = g_idle_source_new();
	g_source_set_priority(l->dispatch, G_PRIORITY_DEFAULT);
	g_source_set_callback(l->dispatch, dispatch_cb, l, NULL);
	g_source_attach(l->dispatch, l->ctx);
}

static void dispatch_status(DBusConnection *conn, DBusDispatchStatus status, void *data) {
	(void)conn;
	if (status == DBUS_DISPATCH_DATA_REMAINS) {
		schedule_dispatch(data);
	}
}

static void wakeup_main(void *data) {
	struct loop *l = data;
	g_main_context_wakeup(l->ctx);
}

/* Watches */

struct watch {
	struct loop *loop;
	DBusWatch *watch;
	GSource *source;
};

static gboolean watch_cb(gint fd, GIOCondition cond, gpointer data) {
	(void)fd;
	struct watch *w = data;
	unsigned int flags = 0;
	if (cond & G_IO_IN) {
		flags |= DBUS_WATCH_READABLE;
	}
	if (cond & G_IO_OUT) {
		flags |= DBUS_WATCH_WRITABLE;
	}
	if (cond & G_IO_ERR) {
		flags |= DBUS_WATCH_ERROR;
	}
	if (cond & G_IO_HUP) {
		flags |= DBUS_WATCH_HANGUP;
	}
	struct loop *l = w->loop;
	dbus_watch_handle(w->watch, flags);
	if (dbus_connection_get_dispatch_status(l->conn) == DBUS_DISPATCH_DATA_REMAINS) {
		schedule_dispatch(l);
	}
	return G_SOURCE_CONTINUE;
}

static void watch_start(struct watch *w) {
	if (w->source != NULL || !dbus_watch_get_enabled(w->watch)) {
		return;
	}
	unsigned int flags = dbus_watch_get_flags(w->watch);
	GIOCondition cond = G_IO_HUP | G_IO_ERR;
	if (flags & DBUS_WATCH_READABLE) {
		cond |= G_IO_IN;
	}
	if (flags & DBUS_WATCH_WRITABLE) {
		cond |= G_IO_OUT;
	}
	w->source = fd_watch_new(dbus_watch_get_unix_fd(w->watch), cond, watch_cb, w, w->loop->ctx);
}

static void watch_stop(struct watch *w) {
	if (w->source != NULL) {
		g_source_destroy(w->source);
		g_source_unref(w->source);
		w->source = NULL;
	}
}

static void watch_free(void *data) {
	struct watch *w = data;
	watch_stop(w);
	g_free(w);
}

static dbus_bool_t add_watch(DBusWatch *watch, void *data) {
	struct watch *w = g_new0(struct watch, 1);
	w->loop = data;
	w->watch = watch;
	dbus_watch_set_data(watch, w, watch_free);
	watch_start(w);
	return TRUE;
}

static void remove_watch(DBusWatch *watch, void *data) {
	(void)data;
	struct watch *w = dbus_watch_get_data(watch);
	if (w != NULL) {
		watch_stop(w);
	}
}

static void toggle_watch(DBusWatch *watch, void *data) {
	(void)data;
	struct watch *w = dbus_watch_get_data(watch);
	if (w == NULL) {
		return;
	}
	watch_stop(w);
	watch_start(w);
}

/* Timeouts */

struct timeout {
	struct loop *loop;
	DBusTimeout *timeout;
	GSource *source;
};

static gboolean timeout_cb(gpointer data) {
	struct timeout *t = data;
	dbus_timeout_handle(t->timeout);
	return G_SOURCE_CONTINUE;
}

static void timeout_start(struct timeout *t) {
	if (t->source != NULL || !dbus_timeout_get_enabled(t->timeout)) {
		return;
	}
	t->source = g_timeout_source_new((guint)dbus_timeout_get_interval(t->timeout));
	g_source_set_callback(t->source, timeout_cb, t, NULL);
	g_source_attach(t->source, t->loop->ctx);
}

static void timeout_stop(struct timeout *t) {
	if (t->source != NULL) {
		g_source_destroy(t->source);
		g_source_unref(t->source);
		t->source = NULL;
	}
}

static void timeout_free(void *data) {
	struct timeout *t = data;
	timeout_stop(t);
	g_free(t);
}

static dbus_bool_t add_timeout(DBusTimeout *timeout, void *data) {
	struct timeout *t = g_new0(struct timeout, 1);
	t->loop = data;
	t->timeout = timeout;
	dbus_timeout_set_data(timeout, t, timeout_free);
	timeout_start(t);
	return TRUE;
}

static void remove_timeout(DBusTimeout *timeout, void *data) {
	(void)data;
	struct timeout *t = dbus_timeout_get_data(timeout);
	if (t != NULL) {
		timeout_stop(t);
	}
}

static void toggle_timeout(DBusTimeout *timeout, void *data) {
	(void)data;
	struct timeout *t = dbus_timeout_get_data(timeout);
	if (t == NULL) {
		return;
	}
	timeout_stop(t);
	timeout_start(t);
}

static void loop_free(void *data) {
	struct loop *l = data;
	if (l->dispatch != NULL) {
		g_source_destroy(l->dispatch);
		g_source_unref(l->dispatch);
	}
	g_main_context_unref(l->ctx);
	g_free(l);
}

bool dbus_glib_attach(DBusConnection *conn, GMainContext *ctx) {
	if (!dbus_connection_allocate_data_slot(&slot)) {
		return false;
	}
	struct loop *l = g_new0(struct loop, 1);
	l->ctx = ctx != NULL ? g_main_context_ref(ctx) : g_main_context_ref(g_main_context_default());
	l->conn = conn;
	if (!dbus_connection_set_data(conn, slot, l, loop_free)) {
		loop_free(l);
		return false;
	}
	dbus_connection_set_dispatch_status_function(conn, dispatch_status, l, NULL);
	dbus_connection_set_wakeup_main_function(conn, wakeup_main, l, NULL);
	if (!dbus_connection_set_watch_functions(conn, add_watch, remove_watch, toggle_watch, l,
						 NULL) ||
	    !dbus_connection_set_timeout_functions(conn, add_timeout, remove_timeout,
						   toggle_timeout, l, NULL)) {
		dbus_glib_detach(conn);
		return false;
	}
	if (dbus_connection_get_dispatch_status(conn) == DBUS_DISPATCH_DATA_REMAINS) {
		schedule_dispatch(l);
	}
	return true;
}

void dbus_glib_detach(DBusConnection *conn) {
	dbus_connection_set_watch_functions(conn, NULL, NULL, NULL, NULL, NULL);
	dbus_connection_set_timeout_functions(conn, NULL, NULL, NULL, NULL, NULL);
	dbus_connection_set_dispatch_status_function(conn, NULL, NULL, NULL);
	dbus_connection_set_wakeup_main_function(conn, NULL, NULL, NULL);
	if (slot >= 0) {
		dbus_connection_set_data(conn, slot, NULL, NULL);
	}
}
