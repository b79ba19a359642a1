/*
 * Why a thread (the house style allows one only for a measured need):
 *
 * libnotify has no asynchronous API. notify_notification_show(),
 * notify_notification_close() and notify_get_server_caps() are
 * g_dbus_proxy_call_sync() with the default timeout ("TODO: make this
 * nonblocking" in libnotify 0.8), and even unreffing a notification may
 * create the proxy and ask for the server's information synchronously.
 * Measured with tests/notify_driver's "measure-sync" command: against a
 * server that owns its name but never answers (stopped, deadlocked, a
 * compositor under a debugger) one show blocks for 25.0 s; against the
 * python3-dbusmock server that answers, 3 ms. The daemon's main loop also
 * reads the modem and serves ctid's D-Bus API, and "a slow or hung
 * notification server never delays logging or the D-Bus API". Through the
 * worker, notify_show() returns in well under a millisecond either way
 * (tests/test_notify.py checks < 100 ms against the hung server).
 *
 * So libnotify lives on one worker thread with its own GMainContext, pushed
 * as thread-default before libnotify first touches D-Bus: its proxy's
 * signals (ActionInvoked, NotificationClosed) are then dispatched there too.
 * The main thread only composes text, queues a job and wakes the worker with
 * an idle source; the worker sends actions and log messages back through an
 * idle source on the main context. Everything libnotify, including the last
 * unref, happens on the worker.
 *
 * Talking GDBus directly would be asynchronous without a thread, but would
 * reimplement what libnotify does for us (portal use inside Flatpak and
 * Snap, spec version quirks, sender-pid) and the brief asks for libnotify.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notify.h"
#include "worker.h"

#define QUEUE_MAX    64 /* distinct calls waiting for the worker; older ones are dropped */
#define DESTROY_WAIT (500 * G_TIME_SPAN_MILLISECOND)

struct notify {
	notify_shown_fn shown_fn;
	void *shown_data;
	bool print;
	FILE *print_to;
	notify_action_fn fn;
	void *data;
	GMainContext *main_ctx;
	struct worker *w; /* NULL when not enabled */
	GThread *thread;
	bool overflow_logged;
	/* What was printed last, so that an update that changes nothing on the
	 * screen (a ring, a name the contact's name already covers) is not
	 * printed again. */
	uint64_t printed_key;
	guint printed_hash;
};

/* libnotify is global: one worker at a time, until its thread is done. */
static gint worker_running;

static struct worker *worker_ref(struct worker *w) {
	g_atomic_int_inc(&w->refs);
	return w;
}

static void worker_unref(struct worker *w) {
	if (!g_atomic_int_dec_and_test(&w->refs)) {
		return;
	}
	/* A wake-up can still be pending when the worker saw quit first. */
	if (w->wake != NULL) {
		g_source_destroy(w->wake);
		g_source_unref(w->wake);
	}
	g_queue_clear_full(&w->jobs, g_free);
	g_queue_clear_full(&w->events, (GDestroyNotify)notify_event_free);
	g_main_loop_unref(w->loop);
	g_main_context_unref(w->ctx);
	g_main_context_unref(w->main_ctx);
	g_free(w->app_name);
	g_free(w->icon);
	g_free(w->desktop_entry);
	g_free(w->server_name);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->cond);
	g_free(w);
}

/* Main context side: runs the daemon's callback and logs what the worker said. */
static void run_event(struct notify *n, struct event *ev) {
	if (ev->shown) {
		if (n != NULL && n->shown_fn != NULL) {
			n->shown_fn(ev->key, n->shown_data);
		}
	} else if (ev->action != NULL) {
		if (n != NULL && n->fn != NULL) {
			n->fn(ev->key, ev->action, n->data);
		}
	} else {
		log_printf(ev->level, "%s", ev->msg);
	}
}

static gboolean deliver_events(gpointer data) {
	struct notify *n = data;
	struct worker *w = n->w;
	g_mutex_lock(&w->lock);
	GSource *src = w->deliver;
	w->deliver = NULL;
	GQueue events = w->events;
	g_queue_init(&w->events);
	g_mutex_unlock(&w->lock);
	g_source_unref(src);

	struct event *ev;
	while ((ev = g_queue_pop_head(&events)) != NULL) {
		run_event(n, ev);
		notify_event_free(ev);
	}
	return G_SOURCE_REMOVE;
}

/*
 * Takes the jobs one at a time from the shared queue, so one queued while
 * the server answers the last is still sorted (enqueue: calls before
 * reminders) and merged with a newer state of the same popup. The wake
 * source stays set while there is work: enqueue() adds none meanwhile.
 */
static gboolean worker_wake(gpointer data) {
	struct worker *w = data;
	for (;;) {
		g_mutex_lock(&w->lock);
		struct job *job = g_queue_pop_head(&w->jobs);
		bool abandoned = w->owner == NULL;
		if (job == NULL) {
			GSource *src = w->wake;
			w->wake = NULL;
			if (w->quit) {
				g_main_loop_quit(w->loop);
			}
			g_mutex_unlock(&w->lock);
			g_source_unref(src);
			return G_SOURCE_REMOVE;
		}
		g_mutex_unlock(&w->lock);
		/* After notify_destroy() gave up waiting, the server is known to hang:
		 * do not queue up another 25 s per job. */
		if (!abandoned) {
			if (job->type == JOB_SHOW) {
				notify_server_show(w, job);
				g_mutex_lock(&w->lock);
				bool tell = w->tell_shown;
				g_mutex_unlock(&w->lock);
				if (tell) {
					notify_worker_shown(w, job->key);
				}
			} else {
				notify_server_close(w, job);
			}
		}
		g_free(job);
	}
}

/* With lock held: makes the worker look at its queue and quit flag. */
static void wake_locked(struct worker *w) {
	if (w->wake == NULL) {
		w->wake = g_idle_source_new();
		g_source_set_callback(w->wake, worker_wake, w, NULL);
		g_source_attach(w->wake, w->ctx);
	}
}

static gpointer worker_main(gpointer data) {
	struct worker *w = data;
	/* Before libnotify creates its proxy: its signals are dispatched here. */
	g_main_context_push_thread_default(w->ctx);
	notify_server_open(w);
	g_main_loop_run(w->loop);
	g_mutex_lock(&w->lock);
	bool abandoned = w->owner == NULL;
	g_mutex_unlock(&w->lock);
	notify_server_shutdown(w, abandoned);
	g_main_context_pop_thread_default(w->ctx);

	g_mutex_lock(&w->lock);
	w->finished = true;
	g_cond_broadcast(&w->cond);
	g_mutex_unlock(&w->lock);
	g_atomic_int_set(&worker_running, 0);
	worker_unref(w);
	return NULL;
}

static struct worker *worker_create(const struct notify_options *opts, struct notify *n) {
	struct worker *w = g_new0(struct worker, 1);
	w->refs = 1;
	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	g_queue_init(&w->jobs);
	g_queue_init(&w->events);
	w->owner = n;
	w->deliver_fn = deliver_events;
	w->main_ctx = g_main_context_ref(n->main_ctx);
	w->ctx = g_main_context_new();
	w->loop = g_main_loop_new(w->ctx, FALSE);
	w->app_name = g_strdup(opts->app_name != NULL ? opts->app_name : "ctid");
	w->icon = g_strdup(opts->icon != NULL ? opts->icon : CTID_APP_ID);
	w->desktop_entry = g_strdup(opts->desktop_entry != NULL ? opts->desktop_entry : CTID_APP_ID);
	return w;
}

void notify_set_shown(struct notify *n, notify_shown_fn fn, void *data) {
	n->shown_fn = fn;
	n->shown_data = data;
	if (n->w != NULL) {
		g_mutex_lock(&n->w->lock);
		n->w->tell_shown = fn != NULL;
		g_mutex_unlock(&n->w->lock);
	}
}

bool notify_enabled(const struct notify *n) {
	return n != NULL && n->w != NULL;
}

struct notify *notify_create(const struct notify_options *opts, GMainContext *main_ctx,
			     notify_action_fn fn, void *data) {
	if (opts == NULL) {
		errno = EINVAL;
		return NULL;
	}
	struct notify *n = calloc(1, sizeof(*n));
	if (n == NULL) {
		return NULL;
	}
	n->print = opts->print;
	n->print_to = opts->print_to != NULL ? opts->print_to : stdout;
	n->fn = fn;
	n->data = data;
	n->main_ctx = g_main_context_ref(main_ctx != NULL ? main_ctx : g_main_context_default());
	if (!opts->enabled) {
		return n;
	}

	if (!g_atomic_int_compare_and_exchange(&worker_running, 0, 1)) {
		log_error("Desktop notifications are already set up in this process");
		g_main_context_unref(n->main_ctx);
		free(n);
		errno = EBUSY;
		return NULL;
	}
	n->w = worker_create(opts, n);
	GError *err = NULL;
	n->thread = g_thread_try_new("ctid-notify", worker_main, worker_ref(n->w), &err);
	if (n->thread == NULL) {
		log_error("Could not start the notification thread: %s", err->message);
		g_clear_error(&err);
		worker_unref(n->w); /* the thread's reference */
		worker_unref(n->w);
		g_atomic_int_set(&worker_running, 0);
		g_main_context_unref(n->main_ctx);
		free(n);
		errno = EAGAIN;
		return NULL;
	}
	return n;
}

void notify_destroy(struct notify *n) {
	if (n == NULL) {
		return;
	}
	struct worker *w = n->w;
	if (w != NULL) {
		g_mutex_lock(&w->lock);
		w->quit = true;
		wake_locked(w);
		gint64 until = g_get_monotonic_time() + DESTROY_WAIT;
		while (!w->finished && g_cond_wait_until(&w->cond, &w->lock, until)) {
		}
		bool finished = w->finished;
		w->owner = NULL;
		GSource *src = w->deliver;
		w->deliver = NULL;
		GQueue events = w->events;
		g_queue_init(&w->events);
		g_mutex_unlock(&w->lock);

		if (src != NULL) {
			g_source_destroy(src);
			g_source_unref(src);
		}
		/* Say what the worker had to say; actions are too late now. */
		struct event *ev;
		while ((ev = g_queue_pop_head(&events)) != NULL) {
			if (ev->action == NULL) {
				run_event(NULL, ev);
			}
			notify_event_free(ev);
		}
		if (finished) {
			g_thread_join(n->thread);
		} else {
			log_warn("The notification server is not answering; not waiting for it");
			g_thread_unref(n->thread);
		}
		worker_unref(w);
	}
	g_main_context_unref(n->main_ctx);
	free(n);
}

static void print_text(struct notify *n, uint64_t key, const struct notify_text *t) {
	guint hash = g_str_hash(t->summary) * 31 + g_str_hash(t->body);
	if (key == n->printed_key && hash == n->printed_hash) {
		return;
	}
	n->printed_key = key;
	n->printed_hash = hash;
	FILE *f = n->print_to;
	fprintf(f, "%s\n", t->summary);
	const char *p = t->body;
	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		fprintf(f, "  %.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
	fputc('\n', f);
	fflush(f);
}

static GList *find_reminder(GList *l) {
	while (l != NULL && !((struct job *)l->data)->reminder) {
		l = l->next;
	}
	return l;
}

static void enqueue(struct notify *n, struct job *job) {
	struct worker *w = n->w;
	struct job *dropped = NULL;
	g_mutex_lock(&w->lock);
	GList *l = w->jobs.head;
	for (; l != NULL; l = l->next) {
		struct job *queued = l->data;
		if (queued->key == job->key) {
			/* Only the latest state of a call matters. */
			g_free(queued);
			l->data = job;
			break;
		}
	}
	if (l == NULL) {
		GList *first_reminder = find_reminder(w->jobs.head);
		if (w->jobs.length >= QUEUE_MAX) {
			/* Full: the oldest reminder goes first, else the oldest call. */
			GList *victim = first_reminder != NULL ? first_reminder : w->jobs.head;
			if (victim == first_reminder) {
				first_reminder = find_reminder(victim->next);
			}
			dropped = victim->data;
			g_queue_delete_link(&w->jobs, victim);
		}
		/* A ringing call's popup never waits behind reminders (a million
		 * contacts have a thousand birthdays due at start-up). */
		if (!job->reminder && first_reminder != NULL) {
			g_queue_insert_before(&w->jobs, first_reminder, job);
		} else {
			g_queue_push_tail(&w->jobs, job);
		}
	}
	wake_locked(w);
	g_mutex_unlock(&w->lock);

	if (dropped != NULL) {
		if (!n->overflow_logged) {
			log_warn("Notification server is not keeping up; dropping the oldest popups");
			n->overflow_logged = true;
		}
		g_free(dropped);
	}
}

int notify_show(struct notify *n, uint64_t key, const struct notify_card *card) {
	if (n == NULL || card == NULL) {
		return -EINVAL;
	}
	if (!n->print && n->w == NULL) {
		return 0;
	}
	struct job *job = g_new0(struct job, 1);
	job->type = JOB_SHOW;
	job->key = key;
	job->state = card->state;
	notify_card_format(card, false, &job->plain);
	if (n->print) {
		print_text(n, key, &job->plain);
	}
	if (n->w == NULL) {
		g_free(job);
		return 0;
	}
	/* The worker picks one once it knows whether the server takes markup. */
	struct notify_text *markup = g_new(struct notify_text, 1);
	notify_card_format(card, true, markup);
	memcpy(job->markup_body, markup->body, sizeof(job->markup_body));
	g_free(markup);
	job->n_actions = notify_card_actions(card, job->actions);
	job->default_action = notify_card_default_action(card);
	enqueue(n, job);
	return 0;
}

int notify_show_reminder(struct notify *n, uint64_t key, const struct notify_reminder_card *r) {
	if (n == NULL || r == NULL) {
		return -EINVAL;
	}
	if (!n->print && n->w == NULL) {
		return 0;
	}
	struct job *job = g_new0(struct job, 1);
	job->type = JOB_SHOW;
	job->key = key;
	job->reminder = true;
	notify_reminder_format(r, false, &job->plain);
	if (n->print) {
		print_text(n, key, &job->plain);
	}
	if (n->w == NULL) {
		g_free(job);
		return 0;
	}
	struct notify_text *markup = g_new(struct notify_text, 1);
	notify_reminder_format(r, true, markup);
	memcpy(job->markup_body, markup->body, sizeof(job->markup_body));
	g_free(markup);
	if (r->contact_id > 0) {
		job->actions[0] = (struct notify_action){.id = "open-card", .label = "Open card"};
		job->n_actions = 1;
		job->default_action = "open-card";
	}
	enqueue(n, job);
	return 0;
}

int notify_close(struct notify *n, uint64_t key) {
	if (n == NULL) {
		return -EINVAL;
	}
	if (n->w == NULL) {
		return 0;
	}
	struct job *job = g_new0(struct job, 1);
	job->type = JOB_CLOSE;
	job->key = key;
	enqueue(n, job);
	return 0;
}
