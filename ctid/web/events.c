/*
 * Live events over WebSockets: every page gets each call event as it
 * happens. The last WEB_EVENTS_KEPT are kept, numbered, so that a page that
 * reconnects with ?since=ID gets what it missed. A page that does not read
 * (its socket stays full while WEB_CLIENT_QUEUE events are published) is
 * disconnected: one slow client never holds the others or the daemon.
 * A page that connects afresh first gets the calls ringing at that moment.
 *
 * The pages live on a thread of their own, with a main context of their
 * own: the daemon's thread hands it each event (a queue and a wake-up) and
 * each page that connects (its stolen connection), and does no more. With
 * 200 pages open, sending an event to each of them and polling their
 * sockets at every turn of the daemon's loop was three quarters of the
 * daemon's CPU a call, on the call's own thread (tests/bench/run --only
 * path --perf, outputs case).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "stages.h"
#include "web_private.h"

struct kept {
	int64_t id;
	char *text;
};

struct client {
	struct web_events *events;
	SoupWebsocketConnection *conn;
	GSocket *socket; /* the connection's socket, to see that it drains */
	int waiting;	 /* events sent while the socket was full */
	unsigned sent;	 /* events sent, to look at the socket every few */
	gulong closed_handler;
	char *token_hash; /* of the session or token it was opened with */
};

enum job_kind { JOB_EVENT, JOB_PAGE, JOB_TOKENS, JOB_STOP };

/* What the daemon's thread hands the events' thread, in order. */
struct job {
	enum job_kind kind;
	/* JOB_EVENT */
	int64_t id;
	char *text;
	uint64_t live; /* a ringing call's key, or 0 */
	bool ended;    /* the call of live ended */
	/* JOB_PAGE */
	GIOStream *stream;
	GSocket *socket;
	GUri *uri;
	char *origin;
	int64_t since;
	char *token_hash;
	/* JOB_TOKENS: the hashes of the sessions and tokens that still hold */
	GHashTable *valid;
};

struct web_events {
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	GAsyncQueue *jobs; /* struct job */
	int64_t next_id;   /* the id the next event gets, from 1 (the daemon's thread) */
	atomic_int n_clients;
	/* the events' thread's alone: */
	struct kept ring[WEB_EVENTS_KEPT];
	int64_t last_id;  /* the last event published */
	GList *clients;	  /* struct client */
	GHashTable *live; /* a ringing call's key -> its latest message */
};

static void job_free(struct job *j) {
	g_free(j->text);
	g_clear_object(&j->stream);
	g_clear_object(&j->socket);
	if (j->uri != NULL) {
		g_uri_unref(j->uri);
	}
	g_free(j->origin);
	g_free(j->token_hash);
	if (j->valid != NULL) {
		g_hash_table_destroy(j->valid);
	}
	g_free(j);
}

static void client_free(struct client *c) {
	g_signal_handler_disconnect(c->conn, c->closed_handler);
	g_object_unref(c->conn);
	if (c->socket != NULL) {
		g_object_unref(c->socket);
	}
	g_free(c->token_hash);
	g_free(c);
}

static void on_closed(SoupWebsocketConnection *conn, gpointer data) {
	struct client *c = data;
	struct web_events *e = c->events;
	e->clients = g_list_remove(e->clients, c);
	int n = atomic_fetch_sub(&e->n_clients, 1) - 1;
	log_debug("Web: an events client left (%d connected)", n);
	client_free(c);
}

/* Sends text unless the client stopped reading; false when it was dropped. */
static bool send_to(struct client *c, const char *text) {
	if (soup_websocket_connection_get_state(c->conn) != SOUP_WEBSOCKET_STATE_OPEN) {
		return true;
	}
	/* a poll() per page per event was a sixth of the main thread's time
	 * with 200 pages (tests/bench/run --only path --perf, outputs case):
	 * every few events, then each one once the socket was seen full */
	if (c->socket != NULL && (c->waiting > 0 || ++c->sent % WEB_CHECK_EVERY == 0)) {
		bool full = !(g_socket_condition_check(c->socket, G_IO_OUT) & G_IO_OUT);
		c->waiting = full ? c->waiting + 1 : 0;
	}
	if (c->waiting > WEB_CLIENT_QUEUE) {
		log_warn("Web: dropped an events client that stopped reading (%d events waiting)",
			 c->waiting);
		soup_websocket_connection_close(c->conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
						"too slow: reconnect with ?since=");
		return false;
	}
	soup_websocket_connection_send_text(c->conn, text);
	return true;
}

static void publish(struct web_events *e, struct job *j) {
	struct kept *k = &e->ring[j->id % WEB_EVENTS_KEPT];
	g_free(k->text);
	k->id = j->id;
	k->text = g_steal_pointer(&j->text);
	e->last_id = j->id;
	if (j->live != 0 && j->ended) {
		int64_t k64 = (int64_t)j->live;
		g_hash_table_remove(e->live, &k64);
	} else if (j->live != 0) {
		int64_t *k64 = g_new(int64_t, 1);
		*k64 = (int64_t)j->live;
		g_hash_table_replace(e->live, k64, g_strdup(k->text));
	}
	GList *l = e->clients;
	while (l != NULL) {
		GList *next = l->next;
		send_to(l->data, k->text);
		l = next;
	}
	stage_mark(STAGE_WEB_SENT);
}

/* A page's connection, made on this thread so that its sources are this
 * thread's context's. */
static void page(struct web_events *e, struct job *j) {
	SoupWebsocketConnection *conn =
		soup_websocket_connection_new(j->stream, j->uri, SOUP_WEBSOCKET_CONNECTION_SERVER,
					      j->origin, NULL, NULL);
	struct client *c = g_new0(struct client, 1);
	c->events = e;
	c->conn = conn;
	c->socket = g_steal_pointer(&j->socket);
	if (c->socket == NULL) {
		soup_websocket_connection_set_keepalive_interval(conn, 30);
	}
	soup_websocket_connection_set_max_incoming_payload_size(conn, 4096);
	c->closed_handler = g_signal_connect(conn, "closed", G_CALLBACK(on_closed), c);
	c->token_hash = g_steal_pointer(&j->token_hash);
	e->clients = g_list_prepend(e->clients, c);
	log_debug("Web: an events client joined (%d connected)", atomic_load(&e->n_clients));
	int64_t since = j->since;
	if (since < 0) {
		/* a page that just opened sees the calls ringing now */
		GHashTableIter it;
		gpointer text;
		g_hash_table_iter_init(&it, e->live);
		while (g_hash_table_iter_next(&it, NULL, &text)) {
			send_to(c, text);
		}
		return;
	}
	int64_t next = e->last_id + 1;
	int64_t oldest = next - WEB_EVENTS_KEPT > 1 ? next - WEB_EVENTS_KEPT : 1;
	if (since + 1 < oldest || since >= next) {
		/* more was missed than is kept, or ctid started again since */
		soup_websocket_connection_send_text(conn, "{\"event\":\"resync\"}");
		since = oldest - 1;
	}
	for (int64_t id = since + 1; id < next; id++) {
		struct kept *k = &e->ring[id % WEB_EVENTS_KEPT];
		if (k->id == id && !send_to(c, k->text)) {
			break;
		}
	}
}

/* A page whose login ended (logged out, its user deleted, a new password,
 * its token revoked) gets no more calls: closed, 1008 (policy). */
static void tokens(struct web_events *e, GHashTable *valid) {
	for (GList *l = e->clients; l != NULL; l = l->next) {
		struct client *c = l->data;
		if ((c->token_hash == NULL || !g_hash_table_contains(valid, c->token_hash)) &&
		    soup_websocket_connection_get_state(c->conn) == SOUP_WEBSOCKET_STATE_OPEN) {
			log_info("Web: closed an events client whose login ended");
			soup_websocket_connection_close(c->conn,
							SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
							"the login ended");
		}
	}
}

static void stop(struct web_events *e) {
	for (GList *l = e->clients; l != NULL; l = l->next) {
		struct client *c = l->data;
		if (soup_websocket_connection_get_state(c->conn) == SOUP_WEBSOCKET_STATE_OPEN) {
			soup_websocket_connection_close(c->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
							"ctid is stopping");
		}
		client_free(c);
	}
	g_list_free(e->clients);
	e->clients = NULL;
	atomic_store(&e->n_clients, 0);
	g_main_loop_quit(e->loop);
}

/* On the events' thread: everything handed over since the last time. */
static gboolean run_jobs(gpointer data) {
	struct web_events *e = data;
	struct job *j;
	while ((j = g_async_queue_try_pop(e->jobs)) != NULL) {
		switch (j->kind) {
		case JOB_EVENT:
			publish(e, j);
			break;
		case JOB_PAGE:
			page(e, j);
			break;
		case JOB_TOKENS:
			tokens(e, j->valid);
			break;
		case JOB_STOP:
			stop(e);
			break;
		}
		job_free(j);
	}
	return G_SOURCE_REMOVE;
}

/* Queues j; the thread is woken when the queue was empty (it then takes
 * all there is). */
static void hand(struct web_events *e, struct job *j) {
	g_async_queue_lock(e->jobs);
	bool wake = g_async_queue_length_unlocked(e->jobs) <= 0;
	g_async_queue_push_unlocked(e->jobs, j);
	g_async_queue_unlock(e->jobs);
	if (wake) {
		g_main_context_invoke(e->context, run_jobs, e);
	}
}

static gpointer thread_main(gpointer data) {
	struct web_events *e = data;
	/* below the popup's threads, as NCID's sender: with few CPUs the
	 * notification and the call's next lines go first */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	g_main_context_push_thread_default(e->context);
	g_main_loop_run(e->loop);
	g_main_context_pop_thread_default(e->context);
	return NULL;
}

struct web_events *web_events_create(void) {
	struct web_events *e = g_new0(struct web_events, 1);
	e->next_id = 1;
	e->live = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	e->context = g_main_context_new();
	e->loop = g_main_loop_new(e->context, FALSE);
	e->jobs = g_async_queue_new();
	e->thread = g_thread_new("ctid-web", thread_main, e);
	return e;
}

void web_events_destroy(struct web_events *e) {
	if (e == NULL) {
		return;
	}
	struct job *j = g_new0(struct job, 1);
	j->kind = JOB_STOP;
	hand(e, j);
	g_thread_join(e->thread);
	while ((j = g_async_queue_try_pop(e->jobs)) != NULL) {
		job_free(j);
	}
	g_async_queue_unref(e->jobs);
	g_main_loop_unref(e->loop);
	/* what the closed connections left on the context (their close
	 * timeouts) goes with it */
	g_main_context_unref(e->context);
	for (int i = 0; i < WEB_EVENTS_KEPT; i++) {
		g_free(e->ring[i].text);
	}
	g_hash_table_destroy(e->live);
	g_free(e);
}

int web_events_clients(const struct web_events *e) {
	return e != NULL ? atomic_load(&e->n_clients) : 0;
}

void web_events_publish(struct web_events *e, const char *type, const char *key, const char *object,
			uint64_t live) {
	if (e == NULL) {
		return;
	}
	struct job *j = g_new0(struct job, 1);
	j->kind = JOB_EVENT;
	j->id = e->next_id++;
	j->text = g_strdup_printf("{\"id\":%lld,\"event\":\"%s\",\"%s\":%s}", (long long)j->id,
				  type, key, object);
	j->live = live;
	j->ended = strcmp(type, "call-ended") == 0;
	hand(e, j);
}

void web_events_tune_socket(GSocket *socket) {
	/* an event is one small frame: send it now, not when the last one was
	 * acknowledged (Nagle), which costs a delayed ACK */
	g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
	/* a page whose machine went away is found by the kernel's keep-alives
	 * (30 s idle, then 3 probes 10 s apart), not by a ping timer of
	 * libsoup's each: 200 pages' timers made every turn of the loop look
	 * at 200 more sources */
	g_socket_set_keepalive(socket, TRUE);
	g_socket_set_option(socket, IPPROTO_TCP, TCP_KEEPIDLE, 30, NULL);
	g_socket_set_option(socket, IPPROTO_TCP, TCP_KEEPINTVL, 10, NULL);
	g_socket_set_option(socket, IPPROTO_TCP, TCP_KEEPCNT, 3, NULL);
	/* the kernel would let a page that stopped reading hold a megabyte or
	 * more (autotuning: 2 x cwnd x MSS) before its socket is seen full; a
	 * page's events are a few KiB a call */
	g_socket_set_option(socket, SOL_SOCKET, SO_SNDBUF, WEB_CLIENT_SNDBUF, NULL);
}

void web_events_connected(struct web_events *e, GIOStream *stream, GSocket *socket, GUri *uri,
			  const char *origin, int64_t since, const char *token_hash) {
	/* counted from here: a page that has its 101 is in the status */
	atomic_fetch_add(&e->n_clients, 1);
	struct job *j = g_new0(struct job, 1);
	j->kind = JOB_PAGE;
	j->stream = g_object_ref(stream);
	j->socket = socket != NULL ? g_object_ref(socket) : NULL;
	j->uri = g_uri_ref(uri);
	j->origin = g_strdup(origin);
	j->since = since;
	j->token_hash = g_strdup(token_hash);
	hand(e, j);
}

static int add_hash(const char *hash, void *data) {
	g_hash_table_add(data, g_strdup(hash));
	return 0;
}

/* (here, not in web.c: the routes that end logins call it, and web.c
 * calls them) */
void web_tokens_changed(struct web *w) {
	if (w == NULL || web_events_clients(w->events) == 0) {
		return;
	}
	struct db *db = w->hooks.db(w->data);
	GHashTable *valid = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (db == NULL || db_token_hashes(db, (int64_t)time(NULL), add_hash, valid) < 0) {
		g_hash_table_destroy(valid); /* (none closed for want of the file) */
		return;
	}
	struct job *j = g_new0(struct job, 1);
	j->kind = JOB_TOKENS;
	j->valid = valid;
	hand(w->events, j);
}
