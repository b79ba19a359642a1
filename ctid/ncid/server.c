/*
 * NCID's TCP server (see server.h). Sections cited are those of
 * doc/ncid.md.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "fd_watch.h"
#include "jobs.h"
#include "log.h"
#include "ncid.h"
#include "server.h"
#include "stages.h"

struct client {
	GList link; /* in the server's clients */
	struct ncid_server *server;
	GSocketConnection *conn;
	GSocket *sock;
	char *peer;    /* its address, for the log */
	bool gateway;  /* its address is a gateway's */
	bool editor;   /* its address is an editor's: its alias jobs change contacts */
	bool ack;      /* REQ: ACK: its CALL:, CALLINFO: and NOT: lines are acknowledged */
	bool started;  /* had the call log and "300" */
	bool no_log;   /* HELLO: CMD: no_log */
	bool skipping; /* in a line longer than NCID_LINE_MAX */
	size_t junk;   /* bytes read since its last NCID line that were none */
	bool warned;   /* told the log it is no gateway (or editor, for relay jobs) */
	GString *in;   /* the line being read */
	GString *held; /* lines broadcast before it started */
	GString *out;  /* bytes not yet sent, from out_off */
	size_t out_off;
	int fd;
	bool want_out;	     /* the socket is full: watched for room */
	bool paused;	     /* sent NCID_SERVER_CLIENT_RATE this second: not read */
	bool slowed;	     /* told the log so */
	gint64 window_start; /* monotonic us: the second its input is counted in */
	size_t window_in;    /* bytes read from it in that second */
	GSource *hello_src;  /* the end of the HELLO window */
	char *doomed;	     /* why the sender gave up on it: dropped by the main thread */
};

struct ncid_server {
	GSocketService *service;
	int port;
	char *version;
	GPtrArray *gateways; /* GInetAddressMask */
	GPtrArray *editors;  /* GInetAddressMask */
	char *(*log)(void *data);
	void (*gateway)(const char *line, size_t len, const char *peer, void *data);
	char *(*job)(const struct ncid_job *job, const char *peer, bool editor, void *data);
	void *data;
	/* struct client, oldest first: lines go out in that order, so a client
	 * waits only for those that connected before it */
	GQueue clients;
	size_t n_clients;
	size_t max_clients; /* more are closed as they connect */
	bool full;	    /* at max_clients: said once in the log */
	int epfd;	    /* every client's socket */
	GSource *epsrc;	    /* watches epfd */
	/*
	 * The fan-out: a line to 200 clients is 200 send()s, 1 to 2 ms of CPU
	 * (tests/bench/run --only ncid), which on the main thread came right
	 * after the popup's hand-off and held up the next thing the loop had to
	 * do. A sender thread of its own, at a lower priority than the
	 * notification's threads, sends them instead (to a few clients the
	 * main thread sends itself). The lock covers the clients and
	 * everything in them; the sender never frees a client, it marks it
	 * doomed and the main thread drops it (reap()). Recursive: a gateway's
	 * call, read with the lock held, comes back as lines to broadcast.
	 */
	GRecMutex lock;
	GAsyncQueue *lines; /* char *, broadcast in order; QUIT ends the sender */
	gint queued;	    /* lines pushed the sender has not finished with */
	GThread *sender;
	guint reaper; /* idle source: doomed clients to drop */
	guint resume; /* timer: paused clients are read again */
};

static char quit_line[] = "";
#define QUIT ((gpointer)quit_line)

static void drop_source(GSource **src) {
	if (*src != NULL) {
		g_source_destroy(*src);
		g_source_unref(*src);
		*src = NULL;
	}
}

static void client_drop(struct client *c, const char *why) {
	struct ncid_server *s = c->server;
	log_debug("NCID client dropped: %s", c->doomed != NULL ? c->doomed : why);
	g_queue_unlink(&s->clients, &c->link);
	s->n_clients--;
	s->full = s->full && s->n_clients >= s->max_clients;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	drop_source(&c->hello_src);
	g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
	g_object_unref(c->conn);
	g_string_free(c->in, TRUE);
	g_string_free(c->held, TRUE);
	g_string_free(c->out, TRUE);
	g_free(c->peer);
	g_free(c->doomed);
	g_free(c);
}

/* Drops the clients the sender gave up on (main thread, lock held). */
static void reap_locked(struct ncid_server *s) {
	for (GList *l = s->clients.head; l != NULL;) {
		GList *next = l->next;
		struct client *c = l->data;
		if (c->doomed != NULL) {
			client_drop(c, NULL);
		}
		l = next;
	}
}

static gboolean reap(gpointer data) {
	struct ncid_server *s = data;
	g_rec_mutex_lock(&s->lock);
	s->reaper = 0;
	reap_locked(s);
	g_rec_mutex_unlock(&s->lock);
	return G_SOURCE_REMOVE;
}

/* Gives up on c: the main thread drops it. Any thread, lock held. */
static void client_doom(struct client *c, const char *why) {
	if (c->doomed == NULL) {
		c->doomed = g_strdup(why);
		struct ncid_server *s = c->server;
		if (s->reaper == 0) {
			s->reaper = g_idle_add(reap, s);
		}
	}
}

/* Tells the epoll set what c's socket is watched for: input unless c is
 * paused, room when its queue waits for some. Lock held. */
static void client_events(struct client *c) {
	struct epoll_event ev = {.events = (c->paused ? 0 : EPOLLIN | EPOLLRDHUP) |
					   (c->want_out ? EPOLLOUT : 0),
				 .data.ptr = c};
	epoll_ctl(c->server->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Whether the epoll set watches c's socket for room. Any thread, lock
 * held. */
static void client_watch(struct client *c, bool out) {
	if (out == c->want_out) {
		return;
	}
	c->want_out = out;
	client_events(c);
}

/* Main thread: every paused client is read again, a second after. */
static gboolean resume(gpointer data) {
	struct ncid_server *s = data;
	g_rec_mutex_lock(&s->lock);
	s->resume = 0;
	for (GList *l = s->clients.head; l != NULL; l = l->next) {
		struct client *c = l->data;
		if (c->paused) {
			c->paused = false;
			client_events(c);
		}
	}
	g_rec_mutex_unlock(&s->lock);
	return G_SOURCE_REMOVE;
}

/* Counts n bytes read from c; one that sent more than
 * NCID_SERVER_CLIENT_RATE in a second is not read again until the next
 * (its sends wait: TCP holds them). Main thread, lock held. */
static void client_rate(struct client *c, size_t n) {
	gint64 now = g_get_monotonic_time();
	if (now - c->window_start >= G_USEC_PER_SEC) {
		c->window_start = now;
		c->window_in = 0;
	}
	c->window_in += n;
	if (c->window_in <= NCID_SERVER_CLIENT_RATE) {
		return;
	}
	if (!c->slowed) {
		log_info("NCID client %s sends more than %d KB a second: read at that pace",
			 c->peer, NCID_SERVER_CLIENT_RATE / 1024);
		c->slowed = true;
	}
	c->paused = true;
	client_events(c);
	struct ncid_server *s = c->server;
	if (s->resume == 0) {
		s->resume = g_timeout_add(1000, resume, s);
	}
}

/* Sends what is queued without blocking; watches for room when the socket
 * is full. Returns false when the client is doomed (any thread, lock held). */
static bool client_flush(struct client *c) {
	while (c->out_off < c->out->len) {
		GError *err = NULL;
		gssize n = g_socket_send(c->sock, c->out->str + c->out_off,
					 c->out->len - c->out_off, NULL, &err);
		if (n < 0) {
			bool full = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
			if (!full) {
				client_doom(c, err->message);
				g_error_free(err);
				return false;
			}
			g_error_free(err);
			client_watch(c, true);
			return true;
		}
		c->out_off += (size_t)n;
	}
	g_string_truncate(c->out, 0);
	c->out_off = 0;
	client_watch(c, false);
	return true;
}

/* Queues text for c; a client that lets its queue grow past the limit
 * does not read and is dropped rather than waited for. Any thread, lock
 * held; returns false when c is doomed. */
static bool client_send(struct client *c, const char *text) {
	if (c->doomed != NULL) {
		return false;
	}
	if (c->out->len - c->out_off + strlen(text) > NCID_SERVER_QUEUE_MAX) {
		client_doom(c, "it does not read");
		return false;
	}
	g_string_append(c->out, text);
	return c->want_out || client_flush(c);
}

/* §1.1 steps 5-8: the call log (or 251 when not sent), 250 or 252, 300. */
static void append_log(struct ncid_server *s, GString *out, bool send) {
	enum ncid_log log = NCID_LOG_NOT_SENT;
	if (send) {
		char *calls = s->log != NULL ? s->log(s->data) : NULL;
		log = calls != NULL && calls[0] != '\0' ? NCID_LOG_SENT : NCID_LOG_EMPTY;
		if (log == NCID_LOG_SENT) {
			g_string_append(out, calls);
		}
		g_free(calls);
	}
	g_string_append(out, ncid_startup_end(log));
}

/* The start-up's end (append_log(), no_log as the client said), then what
 * was broadcast meanwhile. Returns false when c was dropped. */
static bool client_start(struct client *c) {
	struct ncid_server *s = c->server;
	drop_source(&c->hello_src);
	c->started = true;
	GString *start = g_string_new(NULL);
	append_log(s, start, !c->no_log);
	g_string_append_len(start, c->held->str, (gssize)c->held->len);
	g_string_truncate(c->held, 0);
	bool ok = client_send(c, start->str);
	g_string_free(start, TRUE);
	if (!ok) {
		client_drop(c, NULL);
	}
	return ok;
}

static gboolean on_hello_over(gpointer data) {
	struct client *c = data;
	struct ncid_server *s = c->server;
	g_rec_mutex_lock(&s->lock); /* c is dropped on this thread only: still there */
	g_source_unref(c->hello_src);
	c->hello_src = NULL;
	client_start(c);
	g_rec_mutex_unlock(&s->lock);
	return G_SOURCE_REMOVE;
}

static bool has_prefix(const char *s, size_t len, const char *prefix) {
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

static void broadcast_locked(struct ncid_server *s, const char *line);

/* The local time now, for the lines that carry one (all zero if unknown). */
static struct tm local_now(void) {
	time_t t = time(NULL);
	struct tm now;
	if (localtime_r(&t, &now) == NULL) {
		memset(&now, 0, sizeof(now));
	}
	return now;
}

/* §3.5: a message or a phone's notice from a gateway goes to every client,
 * as ncidd relays it (ncid_relay_msg()). */
static void relay_msg(struct client *c, const char *s, size_t len) {
	struct tm now = local_now();
	const char *why = NULL;
	char *line = ncid_relay_msg(s, len, &now, &why);
	if (line == NULL) {
		log_warn("NCID: a message from %s was not relayed (%s): %.*s", c->peer, why,
			 (int)(len < 120 ? len : 120), s);
		return;
	}
	log_info("NCID: relaying a message from %s: %.*s", c->peer, (int)(len < 120 ? len : 120), s);
	broadcast_locked(c->server, line);
	g_free(line);
}

/* Sends c a new string (freed). Returns false when c was dropped. */
static bool client_reply(struct client *c, char *text) {
	bool ok = client_send(c, text);
	g_free(text);
	if (!ok) {
		client_drop(c, NULL);
	}
	return ok;
}

/* Tells c alone, in a message its user sees, why a line of its was not
 * passed on. Returns false when c was dropped. */
static bool client_refuse(struct client *c, const char *why) {
	struct tm now = local_now();
	return client_reply(c, ncid_format_msg(why, &now, NULL, NULL));
}

/* Feature set 5 (§4.5): a relay job goes to every client and gateway, the
 * sender included (each ignores its own by FROM); from a gateway's or an
 * editor's address only, since a job may have a phone dial or send a text.
 * Returns false when c was dropped. */
static bool relay_job(struct client *c, const char *s, size_t len) {
	if (!c->gateway && !c->editor) {
		if (!c->warned) {
			log_warn("NCID: relay jobs from %s refused: that address is in neither "
				 "ncid-gateways nor ncid-editors",
				 c->peer);
			c->warned = true;
		}
		return client_refuse(c, "ctid: relay jobs from this address are refused (it is in "
					"neither ncid-gateways nor ncid-editors)");
	}
	const char *why = NULL;
	char *line = ncid_relay_job(s, len, &why);
	if (line == NULL) {
		log_warn("NCID: a relay job from %s was not relayed (%s): %.*s", c->peer, why,
			 (int)(len < 120 ? len : 120), s);
		char *text = g_strdup_printf("ctid: a relay job was not relayed: %s", why);
		bool ok = client_refuse(c, text);
		g_free(text);
		return ok;
	}
	log_info("NCID: relaying a job from %s: %.*s", c->peer, (int)(len < 120 ? len : 120), s);
	/* §8: acknowledged first, as ncidd does (a sender dropped meanwhile
	 * still has its job relayed) */
	struct ncid_server *srv = c->server;
	bool ok = !c->ack || client_reply(c, ncid_format_ack(s, len));
	broadcast_locked(srv, line);
	g_free(line);
	return ok;
}

/* A REQ: or WRK: line from c (§7, §8). Returns false when c was dropped. */
static bool client_job(struct client *c, const struct ncid_job *job, const char *s, size_t len) {
	struct ncid_server *srv = c->server;
	switch (job->kind) {
	case NCID_JOB_ACK:
		c->ack = true; /* and acknowledged, as REQ: YO is */
		return client_reply(c, ncid_format_ack(s, len));
	case NCID_JOB_YO:
		return client_reply(c, ncid_format_ack(s, len));
	case NCID_JOB_REREAD: {
		/* §7.2: the call log again, as at start-up */
		GString *out = g_string_new(NULL);
		append_log(srv, out, true);
		return client_reply(c, g_string_free(out, FALSE));
	}
	case NCID_JOB_UNKNOWN:
		/* ncidd logs such a job and answers nothing */
		log_info("NCID client %s: %.*s: no job ctid knows, ignored", c->peer,
			 (int)(len < 80 ? len : 80), s);
		return true;
	default:
		break;
	}
	char *reply = srv->job != NULL ? srv->job(job, c->peer, c->editor, srv->data) : NULL;
	return reply == NULL || client_reply(c, reply);
}

/* One line from c. Returns false when c was dropped. */
static bool client_line(struct client *c, const char *s, size_t len) {
	struct ncid_server *srv = c->server;
	if (len == 0) {
		return true; /* §4.6: an empty line keeps the connection alive */
	}
	bool hello = has_prefix(s, len, "HELLO: ");
	if (!c->started) {
		/* §2: HELLO lines come first; "no_log" is the one command */
		if (hello && has_prefix(s, len, "HELLO: CMD: ")) {
			c->no_log = c->no_log || g_strstr_len(s, (gssize)len, "no_log") != NULL;
			return true;
		}
		if (hello) {
			log_debug("NCID client %s: %.*s", c->peer, (int)len, s);
			return true;
		}
		if (!client_start(c)) {
			return false;
		}
	}
	size_t junk = c->junk;
	c->junk = 0; /* an NCID line, unless it turns out to be garbage below */
	struct ncid_job job;
	if (ncid_job_parse(s, len, &job)) {
		bool ok = client_job(c, &job, s, len);
		ncid_job_clear(&job);
		return ok;
	}
	if (has_prefix(s, len, "RLY: ") || has_prefix(s, len, "+RLY: ")) {
		return relay_job(c, s, len);
	}
	bool call = has_prefix(s, len, "CALL: ") || has_prefix(s, len, "CALLINFO: ");
	bool msg = has_prefix(s, len, "MSG: ") || has_prefix(s, len, "NOT: ");
	if (!call && !msg) {
		/* HELLO too late, "+" relays (§2, §4.5): ignored; garbage: ignored
		 * up to NCID_SERVER_JUNK_MAX (client_input()) */
		c->junk = hello || s[0] == '+' ? 0 : junk + len + 1;
		return true;
	}
	if (!c->gateway) {
		if (!c->warned) {
			log_warn("NCID: %.*s from %s ignored: that address is not in ncid-gateways",
				 (int)(len < 40 ? len : 40), s, c->peer);
			c->warned = true;
		}
		return true;
	}
	if (msg) {
		relay_msg(c, s, len);
	} else if (srv->gateway != NULL) {
		srv->gateway(s, len, c->peer, srv->data);
	}
	/* §8: CALL:, CALLINFO: and NOT: lines, as ncidd (not MSG:) */
	if (c->ack && !has_prefix(s, len, "MSG: ")) {
		return client_reply(c, ncid_format_ack(s, len));
	}
	return true;
}

/* Splits what came into lines, LF or CRLF ended (§4.6); a line longer than
 * NCID_LINE_MAX is skipped to its end, said once in the log. A client that
 * sent NCID_SERVER_JUNK_MAX bytes of such lines and garbage without an
 * NCID line between is dropped: no NCID client or gateway does that, and
 * reading it forever was a CPU's worth of the main loop (4 clients sending
 * an endless line as fast as they could). Returns false when c was
 * dropped. */
static bool client_input(struct client *c, const char *buf, size_t n) {
	for (size_t i = 0; i < n; i++) {
		char ch = buf[i];
		if (ch == '\n' || ch == '\r') {
			bool ok = c->skipping || client_line(c, c->in->str, c->in->len);
			c->skipping = false;
			g_string_truncate(c->in, 0);
			if (!ok) {
				return false;
			}
		} else if (c->skipping) {
			c->junk++;
		} else if (c->in->len >= NCID_LINE_MAX) {
			if (c->gateway) {
				log_warn("NCID: a line from %s longer than %d bytes was dropped",
					 c->peer, NCID_LINE_MAX);
			}
			c->skipping = true;
			c->junk += c->in->len + 1;
			g_string_truncate(c->in, 0);
		} else {
			g_string_append_c(c->in, ch);
		}
	}
	if (c->junk > NCID_SERVER_JUNK_MAX) {
		log_warn("NCID: dropped %s: it sent %zu bytes that are no NCID line", c->peer,
			 c->junk);
		client_drop(c, "it sends no NCID lines");
		return false;
	}
	return true;
}

/* c's socket has input, or was closed; what was read is added to *taken.
 * Returns false when c was dropped. */
static bool client_readable(struct client *c, size_t *taken) {
	char buf[4096];
	GError *err = NULL;
	gssize n = g_socket_receive(c->sock, buf, sizeof(buf), NULL, &err);
	if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
		g_error_free(err);
		return true;
	}
	*taken += n > 0 ? (size_t)n : 0;
	if (n <= 0) {
		/* a gateway's last line may come without its line break */
		if (c->in->len > 0 && !c->skipping && !client_line(c, c->in->str, c->in->len)) {
			g_clear_error(&err);
			return false;
		}
		client_drop(c, n == 0 ? "closed" : err->message);
		g_clear_error(&err);
		return false;
	}
	if (!client_input(c, buf, (size_t)n)) {
		return false;
	}
	client_rate(c, (size_t)n);
	return true;
}

/*
 * Every client's socket is in one epoll set, watched by one source: the
 * main loop polls one descriptor however many clients there are, where a
 * source each made every turn of the loop cost a little more per client
 * (200 clients: a millisecond on a call). One event at a time, as handling
 * one may drop another client. A turn reads NCID_SERVER_TURN_INPUT at most
 * (the sockets stay ready for the next): clients that send without a pause
 * had it read a megabyte, and a call's NMBR line waited milliseconds for
 * its turn (4 such clients: the CID: line 4.6 to 6.2 ms after NMBR,
 * against 1.2 to 1.5 without them).
 */
static gboolean on_clients(gint fd, GIOCondition cond, gpointer data) {
	(void)cond;
	struct ncid_server *s = data;
	g_rec_mutex_lock(&s->lock);
	if (s->reaper != 0) {
		reap_locked(s); /* an event may name a doomed client */
	}
	size_t taken = 0;
	for (int budget = 256; budget > 0 && taken < NCID_SERVER_TURN_INPUT; budget--) {
		struct epoll_event ev;
		if (epoll_wait(fd, &ev, 1, 0) != 1) {
			break;
		}
		struct client *c = ev.data.ptr;
		if ((ev.events & EPOLLOUT) && !client_flush(c)) {
			client_drop(c, NULL);
			continue;
		}
		if (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			client_readable(c, &taken);
		}
	}
	g_rec_mutex_unlock(&s->lock);
	return G_SOURCE_CONTINUE;
}

/* The client's address as a person writes it; an IPv4 address seen on an
 * IPv6 socket (::ffff:a.b.c.d) as the IPv4 address it is. */
static GInetAddress *peer_address(GSocketConnection *conn) {
	GSocketAddress *sa = g_socket_connection_get_remote_address(conn, NULL);
	if (sa == NULL || !G_IS_INET_SOCKET_ADDRESS(sa)) {
		g_clear_object(&sa);
		return NULL;
	}
	GInetAddress *a = g_object_ref(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)));
	g_object_unref(sa);
	if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6) {
		const guint8 *b = g_inet_address_to_bytes(a);
		static const guint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(b, mapped, sizeof(mapped)) == 0) {
			GInetAddress *v4 =
				g_inet_address_new_from_bytes(b + 12, G_SOCKET_FAMILY_IPV4);
			g_object_unref(a);
			a = v4;
		}
	}
	return a;
}

static bool is_in(GPtrArray *masks, GInetAddress *a) {
	for (guint i = 0; a != NULL && i < masks->len; i++) {
		GInetAddressMask *m = g_ptr_array_index(masks, i);
		if (g_inet_address_mask_get_family(m) == g_inet_address_get_family(a) &&
		    g_inet_address_mask_matches(m, a)) {
			return true;
		}
	}
	return false;
}

/* Clients at once: half the descriptors this process may open (the rest
 * are the modems', the database's, the web page's), NCID_SERVER_CLIENTS_MAX
 * at most. ncidd takes 50. */
static size_t clients_max(void) {
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur / 2 > NCID_SERVER_CLIENTS_MAX) {
		return NCID_SERVER_CLIENTS_MAX;
	}
	return rl.rlim_cur / 2;
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source,
			    gpointer data) {
	(void)service;
	(void)source;
	struct ncid_server *s = data;
	if (s->n_clients >= s->max_clients) {
		/* closed at once: left waiting to be accepted, they filled the
		 * backlog; accepted all, they took every descriptor, and GLib
		 * then retried the failing accept() without pause (100 % CPU,
		 * 400,000 warnings in 3 s) */
		if (!s->full) {
			log_warn("NCID: %zu clients connected, as many as ctid takes (half its "
				 "descriptors, 1,000 at most); more are refused until some leave",
				 s->n_clients);
			s->full = true;
		}
		g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
		return TRUE;
	}
	struct client *c = g_new0(struct client, 1);
	c->server = s;
	g_rec_mutex_lock(&s->lock);
	c->conn = g_object_ref(conn);
	c->sock = g_socket_connection_get_socket(conn);
	g_socket_set_blocking(c->sock, FALSE);
	GInetAddress *a = peer_address(conn);
	c->peer = a != NULL ? g_inet_address_to_string(a) : g_strdup("?");
	c->gateway = is_in(s->gateways, a);
	c->editor = is_in(s->editors, a);
	g_clear_object(&a);
	c->in = g_string_new(NULL);
	c->held = g_string_new(NULL);
	c->out = g_string_new(NULL);
	c->link.data = c;
	g_queue_push_tail_link(&s->clients, &c->link);
	s->n_clients++;
	c->fd = g_socket_get_fd(c->sock);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		client_drop(c, "epoll_ctl failed");
		g_rec_mutex_unlock(&s->lock);
		return TRUE;
	}
	c->hello_src = g_timeout_source_new(NCID_HELLO_WAIT_MS);
	g_source_set_callback(c->hello_src, on_hello_over, c, NULL);
	g_source_attach(c->hello_src, NULL);

	/* §1.1: 200 and 210 at once; the rest after the HELLO lines */
	char *greeting = ncid_greeting(s->version);
	if (!client_send(c, greeting)) {
		client_drop(c, NULL);
	}
	g_free(greeting);
	g_rec_mutex_unlock(&s->lock);
	return TRUE;
}

/* Each line to every client, oldest first: on the sender thread, or on the
 * main one for a few clients (broadcast_locked()). Lock held. */
static void fan_out_locked(struct ncid_server *s, const char *line) {
	int sent = 0;
	for (GList *l = s->clients.head; l != NULL; l = l->next) {
		struct client *c = l->data;
		if (c->doomed != NULL) {
			continue;
		}
		if (c->started) {
			client_send(c, line);
			if (sent++ == 0) {
				stage_mark(STAGE_NCID_SENT);
			}
		} else if (c->held->len + strlen(line) > NCID_SERVER_QUEUE_MAX) {
			client_doom(c, "it does not finish its start-up");
		} else {
			g_string_append(c->held, line); /* sent after its start-up */
		}
	}
}

/* Main thread: whether a line goes to the clients at once, they being few
 * and the sender having nothing before it (only this thread queues lines,
 * and the sender counts one done after it let go of the lock: with none
 * queued, none is in its hands either). */
static bool broadcast_inline(struct ncid_server *s) {
	return s->n_clients <= NCID_SERVER_INLINE_MAX && g_atomic_int_get(&s->queued) == 0;
}

/* Main thread: line for the sender to send. */
static void queue_line(struct ncid_server *s, const char *line) {
	g_atomic_int_inc(&s->queued);
	g_async_queue_push(s->lines, g_strdup(line));
}

/* Main thread, lock held: line to every client, now or by the sender. */
static void broadcast_locked(struct ncid_server *s, const char *line) {
	if (broadcast_inline(s)) {
		fan_out_locked(s, line);
	} else {
		queue_line(s, line);
	}
}

static gpointer sender_main(gpointer data) {
	struct ncid_server *s = data;
	/* below the popup's threads: when the CPUs are few, the notification
	 * goes first and the clients' lines fill the gaps (nice 10 weighs a
	 * tenth of nice 0) */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	for (;;) {
		char *line = g_async_queue_pop(s->lines);
		if (line == QUIT) {
			return NULL;
		}
		g_rec_mutex_lock(&s->lock);
		fan_out_locked(s, line);
		g_rec_mutex_unlock(&s->lock);
		g_free(line);
		g_atomic_int_dec_and_test(&s->queued);
	}
}

/* The masks of an address list setting (ncid-gateways, ncid-editors);
 * NULL (why set) when one is no address. */
static GPtrArray *parse_masks(const char *key, const char *list, char **why) {
	GPtrArray *out = g_ptr_array_new_with_free_func(g_object_unref);
	if (list == NULL || strcmp(list, "none") == 0) {
		return out;
	}
	char **parts = g_strsplit_set(list, ", \t", -1);
	for (char **p = parts; *p != NULL; p++) {
		if ((*p)[0] == '\0') {
			continue;
		}
		GError *err = NULL;
		GInetAddressMask *m = g_inet_address_mask_new_from_string(*p, &err);
		if (m == NULL) {
			*why = g_strdup_printf("%s: %s: %s", key, *p, err->message);
			g_error_free(err);
			g_strfreev(parts);
			g_ptr_array_free(out, TRUE);
			return NULL;
		}
		g_ptr_array_add(out, m);
	}
	g_strfreev(parts);
	return out;
}

struct ncid_server *ncid_server_create(const struct ncid_server_options *opts, char **why) {
	const char *host = opts->host;
	GPtrArray *gateways = parse_masks("ncid-gateways", opts->gateways, why);
	if (gateways == NULL) {
		return NULL;
	}
	GPtrArray *editors = parse_masks("ncid-editors", opts->editors, why);
	if (editors == NULL) {
		g_ptr_array_free(gateways, TRUE);
		return NULL;
	}
	GInetAddress *ia = strcmp(host, "*") == 0 ? g_inet_address_new_any(G_SOCKET_FAMILY_IPV6)
			   : strcmp(host, "localhost") == 0
				   ? g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4)
				   : g_inet_address_new_from_string(host);
	if (ia == NULL) {
		*why = g_strdup_printf("%s is not an IP address", host);
		g_ptr_array_free(gateways, TRUE);
		g_ptr_array_free(editors, TRUE);
		return NULL;
	}
	GSocketAddress *addr = g_inet_socket_address_new(ia, (guint16)opts->port);
	g_object_unref(ia);
	struct ncid_server *s = g_new0(struct ncid_server, 1);
	s->service = g_socket_service_new();
	GSocketAddress *effective = NULL;
	GError *err = NULL;
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(s->service), addr, G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_TCP, NULL, &effective, &err)) {
		*why = g_strdup(err->message);
		g_error_free(err);
		g_object_unref(addr);
		g_object_unref(s->service);
		g_free(s);
		g_ptr_array_free(gateways, TRUE);
		g_ptr_array_free(editors, TRUE);
		return NULL;
	}
	g_object_unref(addr);
	s->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
	g_object_unref(effective);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		*why = g_strdup_printf("epoll: %s", g_strerror(errno));
		g_socket_listener_close(G_SOCKET_LISTENER(s->service));
		g_object_unref(s->service);
		g_free(s);
		g_ptr_array_free(gateways, TRUE);
		g_ptr_array_free(editors, TRUE);
		return NULL;
	}
	g_rec_mutex_init(&s->lock);
	s->max_clients = clients_max();
	s->lines = g_async_queue_new();
	s->sender = g_thread_new("ctid-ncid", sender_main, s);
	s->epsrc = fd_watch_new(s->epfd, G_IO_IN, on_clients, s, NULL);
	s->version = g_strdup(opts->version);
	s->gateways = gateways;
	s->editors = editors;
	s->log = opts->log;
	s->gateway = opts->gateway;
	s->job = opts->job;
	s->data = opts->data;
	g_signal_connect(s->service, "incoming", G_CALLBACK(on_incoming), s);
	g_socket_service_start(s->service);
	return s;
}

void ncid_server_destroy(struct ncid_server *s) {
	if (s == NULL) {
		return;
	}
	g_socket_service_stop(s->service);
	g_socket_listener_close(G_SOCKET_LISTENER(s->service));
	g_signal_handlers_disconnect_by_data(s->service, s);
	g_async_queue_push(s->lines, QUIT); /* after the lines before it */
	g_thread_join(s->sender);
	g_async_queue_unref(s->lines);
	if (s->reaper != 0) {
		g_source_remove(s->reaper);
	}
	if (s->resume != 0) {
		g_source_remove(s->resume);
	}
	while (s->clients.head != NULL) {
		client_drop(s->clients.head->data, "ctid stops");
	}
	g_rec_mutex_clear(&s->lock);
	g_source_destroy(s->epsrc);
	g_source_unref(s->epsrc);
	close(s->epfd);
	g_object_unref(s->service);
	g_ptr_array_free(s->gateways, TRUE);
	g_ptr_array_free(s->editors, TRUE);
	g_free(s->version);
	g_free(s);
}

int ncid_server_port(const struct ncid_server *s) {
	return s->port;
}

size_t ncid_server_clients(const struct ncid_server *s) {
	return s->n_clients; /* changed on the main thread only */
}

void ncid_server_broadcast(struct ncid_server *s, const char *line) {
	if (!broadcast_inline(s)) {
		/* never the lock: the sender may hold it for a line to 200
		 * clients, and this thread does not wait for one at nice 10 */
		queue_line(s, line);
		return;
	}
	g_rec_mutex_lock(&s->lock); /* free: the sender has nothing in hand */
	fan_out_locked(s, line);
	g_rec_mutex_unlock(&s->lock);
}
