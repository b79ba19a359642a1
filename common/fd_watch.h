#ifndef CTID_FD_WATCH_H
#define CTID_FD_WATCH_H

/*
 * A GLib source on a descriptor, attached to ctx (NULL: the default
 * context), calling fn(fd, condition, data); the caller holds a reference.
 *
 * It may recurse: GLib blocks a source that may not for each dispatch by
 * taking its descriptor out of the poll and putting it back, and each is a
 * wake-up of the loop by itself (an eventfd write, a turn of the loop for
 * nothing: strace -k of a call found 2 a modem read, 2 a PUBACK from the
 * MQTT broker). Nothing in ctid runs a loop inside a source's callback, so
 * none is dispatched inside itself. (Header only: GLib is its users'.)
 */

#include <glib-unix.h>

static inline GSource *fd_watch_new(int fd, GIOCondition cond, GUnixFDSourceFunc fn, void *data,
				    GMainContext *ctx) {
	GSource *src = g_unix_fd_source_new(fd, cond);
	g_source_set_callback(src, (GSourceFunc)(void (*)(void))fn, data, NULL);
	g_source_set_can_recurse(src, TRUE);
	g_source_attach(src, ctx);
	return src;
}

#endif
