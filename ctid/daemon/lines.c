#include <dirent.h>
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ami.h"
#include "fd_watch.h"
#include "fritzbox.h"
#include "lines.h"
#include "log.h"
#include "ncidgw.h"
#include "stages.h"
#include "tr064.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000

/* What a line is: a modem, or a source of calls over the network. */
enum line_kind {
	LINE_MODEM = 0,
	LINE_FRITZBOX,
	LINE_AMI,
	LINE_GATEWAY, /* an NCID gateway's LINE */
};

/* NCID gateways' lines, made as their calls name them; at most this many. */
#define GATEWAY_LINES_MAX 32

struct line {
	struct lines *owner;
	enum line_kind kind;
	struct fritzbox *fritzbox; /* LINE_FRITZBOX */
	struct tr064 *tr064;	   /* LINE_FRITZBOX that can dial ([fritzbox] dial-user) */
	struct ami *ami;	   /* LINE_AMI */
	char *path;
	char *name;
	char *department;    /* from its [modem] section, or NULL */
	bool from_dir;	     /* an entry of the device folder: forgotten when it goes */
	bool seen;	     /* found by the current scan */
	struct modem *modem; /* LINE_MODEM */
	GSource *io;
	int io_fd;
	short io_events;
	GSource *timer;
	int64_t timer_deadline;
	GSource *retry;
	int64_t retry_ms;
	bool announced;
	struct line *next;
};

struct lines {
	struct lines_options opts;
	char *device_dir;
	struct lines_listener listener;
	void *data;
	struct line *list;
	int inotify_fd;
	GSource *inotify_source;
	GSource *rescan;		/* pending idle rescan */
	struct ncidgw_parser *gateways; /* NCID gateways' lines, once one spoke */
	GSource *gateway_expiry;	/* while gateway calls are followed */
	const char *gateway_peer;	/* the address of the line being read */
	bool gateway_full_warned;
};

static struct call_time now_time(void) {
	return (struct call_time){
		.mono = g_get_monotonic_time() / 1000,
		.wall = g_get_real_time() / 1000,
	};
}

static void line_sync(struct line *line);

static gboolean io_cb(gint fd, GIOCondition cond, gpointer data) {
	(void)fd;
	struct line *line = data;
	short revents = 0;
	if (cond & G_IO_IN) {
		stage_mark(STAGE_READ);
		revents |= POLLIN;
	}
	if (cond & G_IO_OUT) {
		revents |= POLLOUT;
	}
	if (cond & G_IO_HUP) {
		revents |= POLLHUP;
	}
	if (cond & G_IO_ERR) {
		revents |= POLLERR;
	}
	modem_dispatch(line->modem, revents, now_time());
	line_sync(line);
	return G_SOURCE_CONTINUE;
}

static gboolean timer_cb(gpointer data) {
	struct line *line = data;
	line->timer_deadline = -1;
	modem_tick(line->modem, now_time());
	line_sync(line);
	return G_SOURCE_CONTINUE;
}

/* The modem's deadline moves with every ring (the ring timeout). One source
 * per line reads it before each poll (prepare) rather than being moved:
 * g_source_set_ready_time() wakes the loop it is called from, an eventfd
 * write and a turn of the loop for nothing at every line read (strace -k of
 * a call: 4 of the main thread's 12 self-wake-ups), and a new timeout
 * source each time cost g_source_attach (3 % of a call's CPU). */
struct line_timer {
	GSource base;
	struct line *line;
};

/* Microseconds from the iteration's time to the deadline (0 when due), or
 * -1 for none. */
static int64_t timer_left(GSource *src) {
	int64_t deadline = ((struct line_timer *)src)->line->timer_deadline;
	if (deadline < 0) {
		return -1;
	}
	int64_t left = deadline * 1000 - g_source_get_time(src);
	return left > 0 ? left : 0;
}

static gboolean timer_prepare(GSource *src, gint *timeout) {
	int64_t left = timer_left(src);
	*timeout = left < 0 ? -1 : (gint)MIN((left + 999) / 1000, G_MAXINT);
	return left == 0;
}

static gboolean timer_check(GSource *src) {
	return timer_left(src) == 0;
}

static gboolean timer_dispatch(GSource *src, GSourceFunc fn, gpointer data) {
	(void)src;
	return fn(data);
}

static GSourceFuncs timer_funcs = {
	.prepare = timer_prepare,
	.check = timer_check,
	.dispatch = timer_dispatch,
};

static void drop_source(GSource **src) {
	if (*src != NULL) {
		g_source_destroy(*src);
		g_source_unref(*src);
		*src = NULL;
	}
}

/* Makes the loop's sources match the modem's fd, events and deadline;
 * called after every modem_* call, as modem.h asks. */
static void line_sync(struct line *line) {
	int fd = line->modem != NULL ? modem_get_fd(line->modem) : -1;
	short events = fd >= 0 ? modem_get_events(line->modem) : 0;
	if (fd != line->io_fd || events != line->io_events) {
		drop_source(&line->io);
		line->io_fd = fd;
		line->io_events = events;
		if (fd >= 0 && events != 0) {
			GIOCondition cond = G_IO_HUP | G_IO_ERR;
			if (events & POLLIN) {
				cond |= G_IO_IN;
			}
			if (events & POLLOUT) {
				cond |= G_IO_OUT;
			}
			line->io = fd_watch_new(fd, cond, io_cb, line, NULL);
		}
	}
	int64_t deadline = line->modem != NULL ? modem_deadline(line->modem) : -1;
	/* the modem's clock is g_get_monotonic_time() in ms; the timer reads
	 * the deadline before the loop's next poll (this runs on the loop's
	 * thread) */
	line->timer_deadline = deadline;
	if (line->timer == NULL && deadline >= 0) {
		line->timer = g_source_new(&timer_funcs, sizeof(struct line_timer));
		((struct line_timer *)line->timer)->line = line;
		g_source_set_callback(line->timer, timer_cb, line, NULL);
		g_source_attach(line->timer, NULL);
	}
}

static void line_start(struct line *line);
static void schedule_retry(struct line *line);

static gboolean retry_cb(gpointer data) {
	struct line *line = data;
	g_source_unref(line->retry);
	line->retry = NULL;
	line_start(line);
	return G_SOURCE_REMOVE;
}

/* Opens the modem if its device exists; a device that exists but cannot
 * be opened yet (locked, permissions not set yet) is tried again with
 * back-off. A missing device waits for the folder watch instead. */
static void line_start(struct line *line) {
	if (line->kind != LINE_MODEM) {
		return; /* a network line connects by itself */
	}
	enum modem_state state = modem_get_info(line->modem)->state;
	if (state != MODEM_STATE_CLOSED && state != MODEM_STATE_GONE) {
		return;
	}
	if (access(line->path, F_OK) < 0) {
		return;
	}
	int ret = modem_start(line->modem, now_time());
	line_sync(line);
	if (ret == 0) {
		line->retry_ms = 0;
		return;
	}
	schedule_retry(line);
}

/* Tries line_start() again later, waiting twice as long each time. */
static void schedule_retry(struct line *line) {
	int64_t min = line->owner->opts.retry_min_ms > 0 ? line->owner->opts.retry_min_ms
							 : RETRY_MIN_MS;
	line->retry_ms = line->retry_ms == 0 ? min : line->retry_ms * 2;
	if (line->retry_ms > RETRY_MAX_MS) {
		line->retry_ms = RETRY_MAX_MS;
	}
	if (line->retry == NULL) {
		line->retry = g_timeout_source_new((guint)line->retry_ms);
		g_source_set_callback(line->retry, retry_cb, line, NULL);
		g_source_attach(line->retry, NULL);
	}
}

static void on_call(struct modem *m, const struct call_info *call, enum call_change change,
		    void *data) {
	(void)m;
	struct line *line = data;
	line->owner->listener.call(line, call, change, line->owner->data);
}

static void on_state(struct modem *m, enum modem_state state, void *data) {
	(void)m;
	struct line *line = data;
	struct lines *lines = line->owner;
	log_debug("%s: %s", line->path, modem_state_str(state));
	if (state == MODEM_STATE_READY && !line->announced) {
		line->announced = true;
		lines->listener.added(line, lines->data);
	} else if (state == MODEM_STATE_GONE) {
		log_info("%s went away; waiting for it to come back", line->path);
		drop_source(&line->io);
		drop_source(&line->timer);
		line->io_fd = -1;
		line->io_events = 0;
		line->timer_deadline = -1;
		if (line->announced) {
			line->announced = false;
			lines->listener.removed(line, lines->data);
		}
		/* The device may still be there (a crashed modem); if it is gone,
		 * the retry finds no path and the folder watch takes over. */
		line->retry_ms = 0;
		schedule_retry(line);
	}
}

static const struct modem_listener modem_listener = {
	.call = on_call,
	.state = on_state,
};

static enum serial_flow parse_flow(const char *s) {
	if (s != NULL && strcmp(s, "rtscts") == 0) {
		return SERIAL_FLOW_RTSCTS;
	}
	if (s != NULL && strcmp(s, "xonxoff") == 0) {
		return SERIAL_FLOW_XONXOFF;
	}
	return SERIAL_FLOW_NONE;
}

static struct line *line_add(struct lines *lines, const char *path, bool from_dir) {
	struct line *line = calloc(1, sizeof(*line));
	if (line == NULL) {
		return NULL;
	}
	line->owner = lines;
	line->path = strdup(path);
	line->from_dir = from_dir;
	line->io_fd = -1;
	line->timer_deadline = -1;
	const struct config *cfg = lines->opts.config;
	const struct config_modem *cm = config_find_modem(cfg, path);
	const char *base = strrchr(path, '/');
	line->name = strdup(cm != NULL && cm->line != NULL ? cm->line
			    : base != NULL		   ? base + 1
							   : path);
	line->department = cm != NULL && cm->department != NULL ? strdup(cm->department) : NULL;
	struct modem_options mo = {
		.path = path,
		.line = line->name,
		.baud = cm != NULL ? cm->baud : 0,
		.flow = parse_flow(cm != NULL ? cm->flow : NULL),
		.init = cm != NULL ? cm->init : NULL,
		.country = cm != NULL ? cm->country : NULL,
		.ring_timeout_ms = (int64_t)cfg->ring_timeout * 1000,
		.lock_dir = lines->opts.lock_dir,
		.retry_min_ms = lines->opts.retry_min_ms,
		.command_timeout_ms = lines->opts.command_timeout_ms,
	};
	line->modem = modem_create(&mo, &modem_listener, line);
	if (line->path == NULL || line->name == NULL || line->modem == NULL) {
		free(line->path);
		free(line->name);
		free(line->department);
		free(line);
		return NULL;
	}
	line->next = lines->list;
	lines->list = line;
	log_info("Watching %s (line %s)", path, line->name);
	return line;
}

static void line_free(struct line *line) {
	/* ends its calls in progress: they are logged as they end */
	fritzbox_destroy(line->fritzbox);
	tr064_destroy(line->tr064);
	ami_destroy(line->ami);
	drop_source(&line->io);
	drop_source(&line->timer);
	drop_source(&line->retry);
	modem_destroy(line->modem);
	if (line->announced) {
		line->owner->listener.removed(line, line->owner->data);
	}
	if (line->kind != LINE_MODEM) {
		g_free(line->path);
	} else {
		free(line->path);
	}
	free(line->name);
	free(line->department);
	free(line);
}

static void on_source_call(const struct call_info *call, enum call_change change, void *data) {
	struct line *line = data;
	line->owner->listener.call(line, call, change, line->owner->data);
}

/* A line over the network: its path is HOST:PORT, its department is
 * looked up per call. */
static struct line *net_line_new(struct lines *lines, enum line_kind kind,
				 const struct config_box *cb, int default_port,
				 const char *default_name) {
	struct line *line = calloc(1, sizeof(*line));
	if (line == NULL) {
		return NULL;
	}
	line->owner = lines;
	line->kind = kind;
	line->io_fd = -1;
	line->timer_deadline = -1;
	int port = cb->port > 0 ? cb->port : default_port;
	line->path = g_strdup_printf(strchr(cb->host, ':') ? "[%s]:%d" : "%s:%d", cb->host, port);
	line->name = strdup(cb->name != NULL ? cb->name : default_name);
	if (line->name == NULL) {
		g_free(line->path);
		free(line);
		return NULL;
	}
	return line;
}

static void net_line_add(struct lines *lines, struct line *line, const char *what) {
	line->next = lines->list;
	lines->list = line;
	log_info("Following the %s at %s (line %s)", what, line->path, line->name);
}

static void net_line_fail(struct line *line, const char *what) {
	log_error("Could not follow the %s at %s: %s", what, line->path, strerror(errno));
	g_free(line->path);
	free(line->name);
	free(line);
}

/* The FRITZ!Box of the [fritzbox] section (or --fritzbox), if any. */
static int fritzbox_add(struct lines *lines) {
	const struct config_box *cb = &lines->opts.config->fritzbox;
	struct line *line = net_line_new(lines, LINE_FRITZBOX, cb, FRITZBOX_DEFAULT_PORT,
					 CONFIG_DEFAULT_FRITZBOX);
	if (line == NULL) {
		return -ENOMEM;
	}
	struct fritzbox_options fo = {
		.host = cb->host,
		.port = cb->port,
		.line = line->name,
		.retry_min_ms = lines->opts.retry_min_ms,
	};
	line->fritzbox = fritzbox_create(&fo, on_source_call, line);
	if (line->fritzbox == NULL) {
		net_line_fail(line, "FRITZ!Box");
		return -ENOMEM;
	}
	const struct config_tr064 *cd = &lines->opts.config->fritzbox_dial;
	if (cd->user != NULL) {
		/* the box's dial help: its password is read now, and kept */
		char password[256], why[160];
		if (ami_read_secret(cd->password_file, password, sizeof(password), why,
				    sizeof(why)) < 0) {
			log_error("[fritzbox] dial-password-file %s: %s; calling back through the "
				  "box is off",
				  cd->password_file, why);
		} else {
			struct tr064_options to = {
				.host = cb->host,
				.port = cd->port,
				.user = cd->user,
				.password = password,
			};
			line->tr064 = tr064_create(&to);
			explicit_bzero(password, sizeof(password));
		}
	}
	net_line_add(lines, line, "FRITZ!Box call monitor");
	return 0;
}

/* The PBX of the [ami] section, if any: its secret is read now. */
static int ami_add(struct lines *lines) {
	const struct config_ami *ca = &lines->opts.config->ami;
	char secret[256], why[160];
	int ret = ami_read_secret(ca->secret_file, secret, sizeof(secret), why, sizeof(why));
	if (ret < 0) {
		log_error("[ami] secret-file %s: %s", ca->secret_file, why);
		return ret;
	}
	struct line *line =
		net_line_new(lines, LINE_AMI, &ca->box, AMI_DEFAULT_PORT, CONFIG_DEFAULT_AMI);
	if (line == NULL) {
		explicit_bzero(secret, sizeof(secret));
		return -ENOMEM;
	}
	struct ami_options ao = {
		.host = ca->box.host,
		.port = ca->box.port,
		.line = line->name,
		.user = ca->user,
		.secret = secret,
		.contexts = ca->context,
		.trunks = ca->trunks,
		.tls = ca->tls,
		.tls_ca = ca->tls_ca,
		.retry_min_ms = lines->opts.retry_min_ms,
	};
	line->ami = ami_create(&ao, on_source_call, line);
	explicit_bzero(secret, sizeof(secret));
	if (line->ami == NULL) {
		net_line_fail(line, "Asterisk manager");
		return -ENOMEM;
	}
	net_line_add(lines, line, "Asterisk manager interface");
	return 0;
}

/* The line of a gateway's LINE field, made when first heard of. A name
 * another line has gets "ncid-" in front; NULL past GATEWAY_LINES_MAX. */
static struct line *gateway_line(struct lines *lines, const char *field) {
	int n = 0;
	bool taken = false;
	for (struct line *l = lines->list; l != NULL; l = l->next) {
		if (l->kind == LINE_GATEWAY && strcmp(l->path + strlen("ncid:"), field) == 0) {
			return l;
		}
		n += l->kind == LINE_GATEWAY;
		taken = taken || strcmp(l->name, field) == 0;
	}
	if (n >= GATEWAY_LINES_MAX) {
		if (!lines->gateway_full_warned) {
			log_warn("NCID gateways name more than %d lines: the calls of line %s and "
				 "others are not followed",
				 GATEWAY_LINES_MAX, field);
			lines->gateway_full_warned = true;
		}
		return NULL;
	}
	struct line *line = calloc(1, sizeof(*line));
	if (line == NULL) {
		return NULL;
	}
	line->owner = lines;
	line->kind = LINE_GATEWAY;
	line->io_fd = -1;
	line->timer_deadline = -1;
	line->path = g_strdup_printf("ncid:%s", field);
	line->name = taken ? g_strdup_printf("ncid-%s", field) : g_strdup(field);
	line->next = lines->list;
	lines->list = line;
	log_info("NCID gateway at %s: line %s",
		 lines->gateway_peer != NULL ? lines->gateway_peer : "?", line->name);
	return line;
}

static void on_gateway_call(const struct call_info *call, enum call_change change, void *data) {
	struct lines *lines = data;
	struct line *line = gateway_line(lines, call->line);
	if (line != NULL) {
		lines->listener.call(line, call, change, lines->data);
	}
}

static gboolean gateway_expiry_cb(gpointer data) {
	struct lines *lines = data;
	ncidgw_parser_expire(lines->gateways, g_get_real_time() / 1000);
	if (ncidgw_parser_calls(lines->gateways) > 0) {
		return G_SOURCE_CONTINUE;
	}
	g_source_unref(lines->gateway_expiry);
	lines->gateway_expiry = NULL;
	return G_SOURCE_REMOVE;
}

void lines_gateway_line(struct lines *lines, const char *s, size_t len, const char *peer) {
	if (lines == NULL) {
		return;
	}
	if (lines->gateways == NULL &&
	    (lines->gateways = ncidgw_parser_create(on_gateway_call, lines)) == NULL) {
		log_error("NCID gateway at %s: %s", peer, strerror(errno));
		return;
	}
	lines->gateway_peer = peer;
	int ret = ncidgw_parser_line(lines->gateways, s, len, g_get_real_time() / 1000);
	lines->gateway_peer = NULL;
	if (ret == -ENOENT) {
		log_info("NCID gateway at %s ended a call ctid did not see begin: %.*s", peer,
			 (int)(len < 120 ? len : 120), s);
	} else if (ret < 0) {
		log_warn("NCID gateway at %s sent a line ctid cannot read (%s): %.*s", peer,
			 strerror(-ret), (int)(len < 120 ? len : 120), s);
	}
	if (ncidgw_parser_calls(lines->gateways) > 0 && lines->gateway_expiry == NULL) {
		lines->gateway_expiry = g_timeout_source_new_seconds(10);
		g_source_set_callback(lines->gateway_expiry, gateway_expiry_cb, lines, NULL);
		g_source_attach(lines->gateway_expiry, NULL);
	}
}

static struct line *find_line(struct lines *lines, const char *path) {
	for (struct line *l = lines->list; l != NULL; l = l->next) {
		if (strcmp(l->path, path) == 0) {
			return l;
		}
	}
	return NULL;
}

/* Brings the list in line with the folder and starts what can start. */
static void scan(struct lines *lines) {
	for (struct line *l = lines->list; l != NULL; l = l->next) {
		l->seen = !l->from_dir;
	}
	DIR *dir = lines->device_dir != NULL ? opendir(lines->device_dir) : NULL;
	if (dir != NULL) {
		struct dirent *e;
		while ((e = readdir(dir)) != NULL) {
			if (e->d_name[0] == '.') {
				continue;
			}
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", lines->device_dir, e->d_name);
			struct line *l = find_line(lines, path);
			if (l == NULL) {
				l = line_add(lines, path, true);
			}
			if (l != NULL) {
				l->seen = true;
			}
		}
		closedir(dir);
	}
	struct line **link = &lines->list;
	while (*link != NULL) {
		struct line *l = *link;
		if (!l->seen) {
			*link = l->next;
			log_info("%s was removed", l->path);
			line_free(l);
			continue;
		}
		link = &l->next;
		line_start(l);
	}
}

static gboolean rescan_cb(gpointer data) {
	struct lines *lines = data;
	g_source_unref(lines->rescan);
	lines->rescan = NULL;
	scan(lines);
	return G_SOURCE_REMOVE;
}

static gboolean inotify_cb(gint fd, GIOCondition cond, gpointer data) {
	(void)cond;
	struct lines *lines = data;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	bool overflow = false;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF)) {
				overflow = true;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (overflow) {
		/* The device folder itself came or went: watch it afresh. */
		inotify_add_watch(fd, lines->device_dir,
				  IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB |
					  IN_DELETE_SELF | IN_ONLYDIR);
	}
	/* Events come in bursts (udev makes the node, then the link, then sets
	 * permissions): scan once when the burst is over. */
	if (lines->rescan == NULL) {
		lines->rescan = g_timeout_source_new(50);
		g_source_set_callback(lines->rescan, rescan_cb, lines, NULL);
		g_source_attach(lines->rescan, NULL);
	}
	return G_SOURCE_CONTINUE;
}

static void watch_dir(struct lines *lines, const char *dir) {
	uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB | IN_ONLYDIR;
	if (inotify_add_watch(lines->inotify_fd, dir, mask) < 0 && errno != ENOENT) {
		log_warn("Could not watch %s for modems: %s", dir, strerror(errno));
	}
}

static void watch_parent(struct lines *lines, const char *path) {
	char *copy = strdup(path);
	if (copy == NULL) {
		return;
	}
	char *slash = strrchr(copy, '/');
	if (slash == copy) {
		slash[1] = '\0';
	} else if (slash != NULL) {
		*slash = '\0';
	} else {
		strcpy(copy, ".");
	}
	watch_dir(lines, copy);
	free(copy);
}

struct lines *lines_create(const struct lines_options *opts, const struct lines_listener *l,
			   void *data) {
	struct lines *lines = calloc(1, sizeof(*lines));
	if (lines == NULL) {
		return NULL;
	}
	lines->opts = *opts;
	lines->listener = *l;
	lines->data = data;
	const struct config *cfg = opts->config;
	lines->device_dir =
		strdup(cfg->device_dir != NULL ? cfg->device_dir : CONFIG_DEFAULT_DEVICE_DIR);
	lines->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (lines->inotify_fd < 0) {
		log_error("Could not watch for modems: inotify: %s", strerror(errno));
		free(lines->device_dir);
		free(lines);
		return NULL;
	}
	lines->inotify_source = g_unix_fd_source_new(lines->inotify_fd, G_IO_IN);
	g_source_set_callback(lines->inotify_source, (GSourceFunc)(void (*)(void))inotify_cb, lines,
			      NULL);
	g_source_attach(lines->inotify_source, NULL);
	if (lines->device_dir != NULL) {
		watch_parent(lines, lines->device_dir);
		inotify_add_watch(lines->inotify_fd, lines->device_dir,
				  IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB |
					  IN_DELETE_SELF | IN_ONLYDIR);
	}
	if ((cfg->fritzbox.host != NULL && fritzbox_add(lines) < 0) ||
	    (cfg->ami.box.host != NULL && ami_add(lines) < 0)) {
		lines_destroy(lines);
		return NULL;
	}
	for (int i = 0; i < cfg->n_devices; i++) {
		if (find_line(lines, cfg->devices[i]) == NULL) {
			line_add(lines, cfg->devices[i], false);
		}
		watch_parent(lines, cfg->devices[i]);
	}
	scan(lines);
	return lines;
}

void lines_destroy(struct lines *lines) {
	if (lines == NULL) {
		return;
	}
	if (lines->gateways != NULL) {
		/* their calls end first, while their lines are there */
		ncidgw_parser_finish(lines->gateways, g_get_real_time() / 1000);
		ncidgw_parser_destroy(lines->gateways);
	}
	drop_source(&lines->gateway_expiry);
	while (lines->list != NULL) {
		struct line *l = lines->list;
		lines->list = l->next;
		line_free(l);
	}
	drop_source(&lines->rescan);
	drop_source(&lines->inotify_source);
	close(lines->inotify_fd);
	free(lines->device_dir);
	free(lines);
}

void lines_foreach(struct lines *lines, lines_fn fn, void *ctx) {
	for (struct line *l = lines->list; l != NULL; l = l->next) {
		fn(l, ctx);
	}
}

int lines_count(struct lines *lines) {
	int n = 0;
	for (struct line *l = lines->list; l != NULL; l = l->next) {
		n++;
	}
	return n;
}

/* Whether a network line can dial now: a PBX that is told which phone to
 * ring first, while logged in. */
static bool net_can_dial(const struct line *line) {
	if (line->kind == LINE_FRITZBOX) {
		return line->tr064 != NULL;
	}
	return line->kind == LINE_AMI && line->owner->opts.config->ami.dial_channel != NULL &&
	       ami_logged_in(line->ami);
}

struct line *lines_dialer(struct lines *lines) {
	struct line *network = NULL;
	for (struct line *l = lines->list; l != NULL; l = l->next) {
		if (l->kind != LINE_MODEM) {
			if (network == NULL || net_can_dial(l)) {
				network = l;
			}
			continue;
		}
		const struct modem_info *info = modem_get_info(l->modem);
		if (info->state == MODEM_STATE_READY && info->can_dial) {
			return l;
		}
	}
	return network;
}

struct line *lines_dialer_for(struct lines *lines, const char *name) {
	for (struct line *l = lines->list; name != NULL && l != NULL; l = l->next) {
		if (strcmp(l->name, name) != 0) {
			continue;
		}
		if (l->kind != LINE_MODEM ? net_can_dial(l)
					  : modem_get_info(l->modem)->state == MODEM_STATE_READY &&
						    modem_get_info(l->modem)->can_dial) {
			return l;
		}
	}
	return lines_dialer(lines);
}

int line_dial(struct line *line, const char *number) {
	return line_dial_from(line, number, NULL);
}

int line_dial_from(struct line *line, const char *number, const char *phone) {
	const struct config_ami *ca = &line->owner->opts.config->ami;
	char channel[160] = "";
	if (line->kind == LINE_AMI && phone != NULL && strchr(phone, '/') != NULL) {
		snprintf(channel, sizeof(channel), "%s", phone);
	} else if (line->kind == LINE_AMI && phone != NULL) {
		/* an extension: the technology of dial-channel, else PJSIP */
		const char *dc = ca->dial_channel != NULL ? ca->dial_channel : "PJSIP/";
		const char *slash = strchr(dc, '/');
		int tech = slash != NULL ? (int)(slash - dc) : (int)strlen(dc);
		snprintf(channel, sizeof(channel), "%.*s/%s", tech, dc, phone);
	} else if (line->kind == LINE_AMI && ca->dial_channel != NULL) {
		snprintf(channel, sizeof(channel), "%s", ca->dial_channel);
	}
	if (line->kind == LINE_AMI && channel[0] != '\0') {
		const char *context = ca->dial_context != NULL ? ca->dial_context : "from-internal";
		int ret = ami_originate(line->ami, channel, context, number);
		if (ret == -ENOTCONN) {
			log_warn("%s cannot dial %s now: the PBX is not connected", line->name,
				 number);
		} else if (ret == 0) {
			log_info("Dialling %s through the PBX: ringing %s first", number, channel);
		}
		return ret == -ENOTCONN ? -EBUSY : ret;
	}
	if (line->kind == LINE_FRITZBOX && line->tr064 != NULL) {
		int ret = tr064_dial(line->tr064, number);
		if (ret == 0) {
			log_info("Dialling %s through the FRITZ!Box's dial help", number);
		}
		return ret;
	}
	if (line->kind == LINE_GATEWAY) {
		log_warn("%s cannot dial %s: it is an NCID gateway's line", line->name, number);
		return -ENOTSUP;
	}
	if (line->kind != LINE_MODEM) {
		log_warn("%s cannot dial %s: %s", line->name, number,
			 line->kind == LINE_AMI
				 ? "[ami] dial-channel (the phone to ring first) is not set, nor "
				   "an extension of the user (ctidctl user extension)"
				 : "give [fritzbox] dial-user and dial-password-file (a user of "
				   "the box) and turn its dial help on to call back through it");
		return -ENOTSUP;
	}
	int ret = modem_dial(line->modem, number, now_time());
	line_sync(line);
	return ret;
}

const char *line_path(const struct line *line) {
	return line->path;
}

/* The section of a network line's settings. */
static const struct config_box *net_box(const struct line *line) {
	const struct config *c = line->owner->opts.config;
	return line->kind == LINE_FRITZBOX ? &c->fritzbox : &c->ami.box;
}

const char *line_department(const struct line *line) {
	return line_call_department(line, NULL);
}

const char *line_call_department(const struct line *line, const struct call_info *call) {
	if (line->kind == LINE_MODEM) {
		return line->department;
	}
	if (line->kind == LINE_GATEWAY) {
		/* read at each call: a reloaded configuration applies at once */
		return config_ncid_department(line->owner->opts.config, line->path + strlen("ncid:"));
	}
	return config_box_department(net_box(line), call != NULL ? call->called : NULL);
}

bool line_is_modem(const struct line *line) {
	return line->kind == LINE_MODEM;
}

void line_net_view(const struct line *line, const char **maker, const char **model, bool *up,
		   bool *can_dial) {
	*can_dial = net_can_dial(line);
	if (line->kind == LINE_GATEWAY) {
		*maker = "NCID";
		*model = "gateway";
		*up = true; /* gateways may connect for each call (yac2ncid) */
		return;
	}
	bool fritzbox = line->kind == LINE_FRITZBOX;
	*maker = fritzbox ? "AVM" : "Asterisk";
	*model = fritzbox ? "FRITZ!Box call monitor" : "manager interface";
	*up = fritzbox ? fritzbox_connected(line->fritzbox) : ami_logged_in(line->ami);
}

const char *line_name(const struct line *line) {
	return line->name;
}

const struct modem_info *line_info(const struct line *line) {
	return line->kind == LINE_MODEM ? modem_get_info(line->modem) : NULL;
}
