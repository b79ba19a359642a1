/* Writes to the database from anywhere (see dbwatch.h). */
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "dbwatch.h"
#include "fd_watch.h"
#include "log.h"

#define DEBOUNCE_MS 100

struct dbwatch {
	int fd;
	char *name;	/* the file's name in its folder */
	char *wal_name; /* and its log's */
	GSource *io;
	GSource *timer; /* pending: the end of a burst */
	void (*fn)(void *data);
	void *data;
};

static gboolean burst_over(gpointer data) {
	struct dbwatch *w = data;
	g_source_unref(w->timer);
	w->timer = NULL;
	w->fn(w->data);
	return G_SOURCE_REMOVE;
}

static gboolean on_events(gint fd, GIOCondition cond, gpointer data) {
	(void)cond;
	struct dbwatch *w = data;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	bool ours = false;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			ours = ours || (ev->len > 0 && (strcmp(ev->name, w->name) == 0 ||
							strcmp(ev->name, w->wal_name) == 0));
			p += sizeof(*ev) + ev->len;
		}
	}
	if (ours) {
		if (w->timer != NULL) {
			g_source_destroy(w->timer);
			g_source_unref(w->timer);
		}
		w->timer = g_timeout_source_new(DEBOUNCE_MS);
		g_source_set_callback(w->timer, burst_over, w, NULL);
		g_source_attach(w->timer, NULL);
	}
	return G_SOURCE_CONTINUE;
}

struct dbwatch *dbwatch_create(const char *path, void (*fn)(void *data), void *data) {
	char *dir = g_path_get_dirname(path);
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	/* not IN_MODIFY: each of the daemon's own writes would wake it */
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		log_warn("Could not watch %s for changes by other programs: %s", dir,
			 strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		g_free(dir);
		return NULL;
	}
	g_free(dir);
	struct dbwatch *w = g_new0(struct dbwatch, 1);
	w->fd = fd;
	w->name = g_path_get_basename(path);
	w->wal_name = g_strconcat(w->name, "-wal", NULL);
	w->fn = fn;
	w->data = data;
	w->io = fd_watch_new(fd, G_IO_IN, on_events, w, NULL);
	return w;
}

void dbwatch_destroy(struct dbwatch *w) {
	if (w == NULL) {
		return;
	}
	if (w->timer != NULL) {
		g_source_destroy(w->timer);
		g_source_unref(w->timer);
	}
	g_source_destroy(w->io);
	g_source_unref(w->io);
	close(w->fd);
	g_free(w->name);
	g_free(w->wal_name);
	g_free(w);
}
