/* The calls the daemon follows, and the call log they go into first. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calls.h"
#include "civil.h"
#include "log.h"
#include "output.h"
#include "stages.h"

#define WRITE_RETRY_MIN	       1
#define WRITE_RETRY_MAX	       30
#define CHECKPOINT_QUIET_S     3
#define CHECKPOINT_BUSY_FRAMES 2000 /* pages in the log: 8 MB, 220 calls */
#define CHECKPOINT_FOLD_FRAMES 1000 /* a quiet line's log is copied into the file */
#define UPDATE_DELAY_MS	       10000
/* A call must never wait long for another process's lock: the write is
 * retried from the loop instead. */
#define BUSY_TIMEOUT_MS 100

struct active {
	struct call_entry e;
	const void *source;
	uint64_t seq;
	bool dirty; /* a change still to be written */
	bool ended;
	struct active *next;
};

struct calls {
	struct calls_listener listener;
	void *data;
	char *path;
	struct db *db;
	char region[3];
	int min_suffix;
	struct active *list; /* oldest first */
	uint64_t next_key;
	guint write_retry;
	unsigned int write_backoff;
	int write_error;	  /* the last failed write's -errno; 0 while writes succeed */
	int64_t unwritable_since; /* when writing began to fail */
	guint checkpoint;	  /* pending: the log goes into the file once quiet */
	GThread *checkpointer;	  /* the checkpoints' thread, from the first one on */
	GMutex ck_lock;
	GCond ck_cond;
	int ck_want;	    /* enum checkpoint_want (under ck_lock) */
	gint checkpointing; /* one was asked for and has not ended (atomic) */
	int ck_busy_next;   /* the log's size that calls for a checkpoint at once (on_wal) */
	int wal_frames;	    /* the log's pages after this connection's last commit */
	int data_version;   /* db_data_version() when last asked */
	guint update_timer; /* pending: a ringing call's changes are written */
};

enum db_call_state calls_db_state(enum call_state s) {
	switch (s) {
	case CALL_STATE_ANSWERED:
		return DB_CALL_ANSWERED;
	case CALL_STATE_MISSED:
		return DB_CALL_MISSED;
	case CALL_STATE_UNKNOWN:
		return DB_CALL_UNKNOWN;
	case CALL_STATE_RINGING:
		break;
	}
	return DB_CALL_RINGING;
}

void calls_row(const struct call_info *i, const char *line, const struct db_match *m,
	       const char *date, struct db_call *out) {
	*out = (struct db_call){
		.started = i->started_wall / 1000,
		.ended = i->ended_wall / 1000,
		.line = line,
		.number = i->number,
		.name = i->name,
		.withheld = call_withheld_str(i->withheld),
		.e164 = m->e164,
		.date = date,
		.ring_type = i->ring_type,
		.called = i->called,
		.contact_id = m->contact_id,
		.rings = i->rings,
		.state = calls_db_state(i->state),
		.outgoing = i->outgoing,
		.answered_by = i->answered_by[0] ? i->answered_by : NULL,
	};
}

void calls_date(const struct call_info *i, char out[24]) {
	out[0] = '\0';
	if (i->has_date && i->has_time) {
		snprintf(out, 24, "%04d-%02d-%02dT%02d:%02d", i->year, i->month, i->day, i->hour,
			 i->minute);
	} else if (i->has_date) {
		snprintf(out, 24, "%04d-%02d-%02d", i->year, i->month, i->day);
	}
}

static void on_wal(int frames, void *data);

static void configure_db(struct calls *c) {
	db_set_wal_watch(c->db, on_wal, c);
	db_set_region(c->db, c->region);
	db_set_busy_timeout(c->db, BUSY_TIMEOUT_MS);
	if (c->min_suffix > 0) {
		db_set_min_suffix(c->db, c->min_suffix);
	}
}

void calls_configure(struct calls *c, const char region[3], int min_suffix) {
	memcpy(c->region, region, sizeof(c->region));
	c->min_suffix = min_suffix;
	configure_db(c);
}

const char *calls_region(const struct calls *c) {
	return c->region;
}

struct db *calls_db(struct calls *c) {
	return c->db;
}

bool calls_changed_elsewhere(struct calls *c) {
	int v = c->db != NULL ? db_data_version(c->db) : -1;
	bool changed = v >= 0 && v != c->data_version;
	c->data_version = v;
	return changed;
}

/*
 * Opens the database afresh. SQLite keeps a connection opened read-only that
 * way after the file becomes writable, and keeps writing to a file that was
 * deleted or replaced: only a new connection sees the file as it is now.
 * Returns 0 or -errno (the old connection is kept).
 */
static int reopen_db(struct calls *c) {
	struct db *db = db_open(c->path, DB_OPEN_LAZY_CHECKPOINT | DB_OPEN_QUIET);
	if (db == NULL) {
		return -errno;
	}
	if (!db_writable(db)) {
		db_close(db);
		return -EROFS;
	}
	db_close(c->db);
	c->db = db;
	configure_db(c);
	c->data_version = db_data_version(db); /* a new connection's own count */
	log_info("Opened the database %s again", c->path);
	c->listener.reopened(c->data);
	return 0;
}

/* Errors after which a new connection may succeed where the old one fails. */
static bool reopen_helps(int err) {
	return err == -EROFS || err == -EACCES || err == -EIO || err == -ENOENT;
}

/*
 * A checkpoint copies the write-ahead log into the file and fsyncs both:
 * 20-110 ms on the test machine's disk. SQLite runs one inside whichever
 * commit fills the log past 1,000 pages, which was the call being logged
 * one time in fifty (tests/bench: the worst screen-pops of a hundred).
 * The database is opened with DB_OPEN_LAZY_CHECKPOINT and looked after
 * here, once no call is ringing and nothing was written for a few seconds:
 * a one-shot timer, re-armed by each write, so an idle daemon never wakes.
 * Commits do not sync the log (synchronous = NORMAL): that quiet moment
 * has the disk keep the calls, by one sync of the log (CK_SYNC) until it
 * holds CHECKPOINT_FOLD_FRAMES, then by a checkpoint that copies it into
 * the file and starts it over (CK_QUIET). A checkpoint after every call
 * wrote each page twice and synced three times (490 KB written a call on
 * the bench, 0.8 ms of CPU on this thread), and its write of the file made
 * the main connection drop its page cache: the next call read its pages
 * again.
 */
enum checkpoint_want {
	CK_IDLE,
	CK_RUN,	  /* a checkpoint now, calls may be ringing */
	CK_QUIET, /* no call rings: a checkpoint, then the log starts over */
	CK_SYNC,  /* no call rings: the log onto the disk, no checkpoint */
	CK_QUIT,
};

/* A checkpoint's own thread and connection: its fsyncs (tens of ms) never
 * hold up the main loop, where the next call's NMBR line may be waiting
 * to be read (tests/bench/run --only path: a call's line read 30 ms late,
 * behind a checkpoint that ran between its first ring and its number). A
 * passive checkpoint waits for no writer, and no writer waits for it; a
 * quiet line's then starts the log over (a write, and a sync of the log's
 * header: a call starting meanwhile waits that long for its own write,
 * the sync it would otherwise have paid itself). The log's sync alone
 * waits for no one either (other writers append meanwhile).
 * Both live as long as the daemon: a thread and a connection made for each
 * checkpoint read and parsed the schema every time, 1.5 M of the 1.8 M
 * instructions a checkpoint cost, as much again as the call before it
 * (callgrind, tests/bench/run --only path --callgrind). */
static gpointer checkpoint_thread(gpointer data) {
	struct calls *c = data;
	struct db *db = NULL;
	g_mutex_lock(&c->ck_lock);
	for (;;) {
		while (c->ck_want == CK_IDLE) {
			g_cond_wait(&c->ck_cond, &c->ck_lock);
		}
		if (c->ck_want == CK_QUIT) {
			break;
		}
		enum checkpoint_want want = c->ck_want;
		c->ck_want = CK_IDLE;
		g_mutex_unlock(&c->ck_lock);
		if (db != NULL && db_moved(db)) {
			db_close(db); /* the file was replaced: the new one's */
			db = NULL;
		}
		if (db == NULL) {
			db = db_open(c->path,
				     DB_OPEN_LAZY_CHECKPOINT | DB_OPEN_QUIET | DB_OPEN_NO_CREATE);
		}
		if (db != NULL && (want != CK_SYNC || db_sync_log(db) == -ENOENT)) {
			db_checkpoint(db, want != CK_RUN);
		}
		g_atomic_int_set(&c->checkpointing, 0);
		g_mutex_lock(&c->ck_lock);
	}
	g_mutex_unlock(&c->ck_lock);
	db_close(db);
	return NULL;
}

/* Ends the checkpoints' thread (after the one it runs) and closes its
 * connection; the next checkpoint starts them again. */
static void checkpointer_stop(struct calls *c) {
	if (c->checkpointer == NULL) {
		return;
	}
	g_mutex_lock(&c->ck_lock);
	c->ck_want = CK_QUIT;
	g_cond_signal(&c->ck_cond);
	g_mutex_unlock(&c->ck_lock);
	g_thread_join(c->checkpointer);
	c->checkpointer = NULL;
	c->ck_want = CK_IDLE;
	g_atomic_int_set(&c->checkpointing, 0);
}

/* Has the checkpoints' thread do what want says (main thread; not while
 * it is at the last one). */
static void checkpoint_start(struct calls *c, enum checkpoint_want want) {
	g_atomic_int_set(&c->checkpointing, 1);
	if (c->checkpointer == NULL) {
		c->checkpointer = g_thread_new("ctid-checkpoint", checkpoint_thread, c);
	}
	g_mutex_lock(&c->ck_lock);
	c->ck_want = want;
	g_cond_signal(&c->ck_cond);
	g_mutex_unlock(&c->ck_lock);
}

static gboolean checkpoint_cb(gpointer data) {
	struct calls *c = data;
	for (struct active *a = c->list; a != NULL; a = a->next) {
		if (!a->ended) {
			return G_SOURCE_CONTINUE; /* a call rings: later */
		}
	}
	if (g_atomic_int_get(&c->checkpointing)) {
		return G_SOURCE_CONTINUE; /* the last one is still at it */
	}
	c->checkpoint = 0;
	checkpoint_start(c, c->wal_frames >= CHECKPOINT_FOLD_FRAMES ? CK_QUIET : CK_SYNC);
	return G_SOURCE_REMOVE;
}

/*
 * A line that is never quiet for CHECKPOINT_QUIET_S (a busy office, or
 * another program writing much, as ctidctl's import) would leave the log to
 * grow to DB_LAZY_CHECKPOINT_PAGES, where a commit of the main loop's
 * copies 40 MB itself: a call held up for the best part of a second. Past
 * CHECKPOINT_BUSY_FRAMES the thread runs one at once instead, ringing
 * calls or not (a passive checkpoint waits for no writer), and again each
 * CHECKPOINT_BUSY_FRAMES more while it cannot empty the log.
 */
static void on_wal(int frames, void *data) {
	struct calls *c = data;
	c->wal_frames = frames;
	if (frames < CHECKPOINT_BUSY_FRAMES) {
		c->ck_busy_next = CHECKPOINT_BUSY_FRAMES;
		return;
	}
	if (frames < c->ck_busy_next || g_atomic_int_get(&c->checkpointing)) {
		return;
	}
	c->ck_busy_next = frames + CHECKPOINT_BUSY_FRAMES;
	log_debug("The write-ahead log holds %d pages: a checkpoint now", frames);
	checkpoint_start(c, CK_RUN); /* (calls may be ringing: the log is not restarted) */
}

void calls_checkpoint_later(struct calls *c) {
	if (c->checkpoint != 0) {
		g_source_remove(c->checkpoint);
	}
	c->checkpoint = g_timeout_add_seconds(CHECKPOINT_QUIET_S, checkpoint_cb, c);
}

static const char *caller(const struct active *a) {
	return a != NULL && a->e.info.number[0] ? a->e.info.number : "a withheld number";
}

/* Writes one call (or its change). A row that vanished with a replaced file
 * is written anew. Returns 0 or -errno. */
static int write_call(struct calls *c, struct active *a) {
	struct db_call row;
	calls_row(&a->e.info, a->e.line, &a->e.match, a->e.date, &row);
	row.id = a->e.id;
	row.department = a->e.department;
	int ret = a->e.id != 0 ? db_call_update(c->db, &row) : -ENOENT;
	if (ret == -ENOENT) {
		row.id = 0;
		ret = db_call_add(c->db, &row, &a->e.id);
	}
	return ret;
}

static size_t waiting_calls(const struct calls *c) {
	size_t n = 0;
	for (const struct active *a = c->list; a != NULL; a = a->next) {
		n += a->dirty;
	}
	return n;
}

static gboolean write_retry_cb(gpointer data);

/* The log cannot be written: say so once, then retry with back-off. */
static void log_unwritable(struct calls *c, int err, const struct active *a) {
	if (c->write_error == 0) {
		c->write_error = err;
		c->unwritable_since = (int64_t)time(NULL);
		log_warn("Could not write to the database %s (%s): the call from %s and any that "
			 "follow are kept in memory and written later",
			 c->path, strerror(-err), caller(a));
		c->listener.health_changed(c->data);
	} else {
		log_debug("The call from %s waits to be written (%s)", caller(a), strerror(-err));
		c->write_error = err;
	}
	if (c->write_retry == 0) {
		c->write_backoff = c->write_backoff == 0 ? WRITE_RETRY_MIN : c->write_backoff * 2;
		if (c->write_backoff > WRITE_RETRY_MAX) {
			c->write_backoff = WRITE_RETRY_MAX;
		}
		c->write_retry = g_timeout_add_seconds(c->write_backoff, write_retry_cb, c);
	}
}

/*
 * Writes the calls that wait (oldest first, so they reach the file in the
 * order they rang) and stops at the first failure, which keeps the rest in
 * memory and arms a retry. Returns 0 when nothing waits any more.
 */
static int flush(struct calls *c) {
	if (db_moved(c->db)) {
		log_warn("The database %s was deleted or replaced while ctid ran; opening it "
			 "again",
			 c->path);
		if (reopen_db(c) < 0) {
			log_unwritable(c, -ENOENT, c->list);
			return -ENOENT;
		}
	}
	bool wrote = false;
	if (c->update_timer != 0) {
		g_source_remove(c->update_timer); /* what it waits for goes now */
		c->update_timer = 0;
	}
	for (struct active *a = c->list; a != NULL; a = a->next) {
		if (!a->dirty) {
			continue;
		}
		int ret = write_call(c, a);
		if (ret < 0) {
			log_unwritable(c, ret, a);
			return ret;
		}
		a->dirty = false;
		wrote = true;
		if (c->write_error != 0) {
			log_info("Logged the call from %s after all (id %lld)", caller(a),
				 (long long)a->e.id);
		}
	}
	if (wrote) {
		calls_checkpoint_later(c);
	}
	if (c->write_error != 0) {
		log_warn("The database %s can be written again; every call kept meanwhile is in it",
			 c->path);
		c->write_error = 0;
		c->unwritable_since = 0;
		c->listener.health_changed(c->data);
	}
	c->write_backoff = 0;
	return 0;
}

static gboolean flush_later_cb(gpointer data) {
	struct calls *c = data;
	c->update_timer = 0;
	flush(c);
	return G_SOURCE_REMOVE;
}

/* Writes what waits within UPDATE_DELAY_MS (or with the next write). */
static void flush_later(struct calls *c) {
	if (c->update_timer == 0) {
		c->update_timer = g_timeout_add(UPDATE_DELAY_MS, flush_later_cb, c);
	}
}

static void entry_free(struct active *a) {
	free(a->e.line);
	free(a->e.department);
	free(a->e.company);
	free(a);
}

void calls_forget_ended(struct calls *c) {
	struct active **link = &c->list;
	while (*link != NULL) {
		struct active *a = *link;
		if (a->ended && !a->dirty) {
			*link = a->next;
			entry_free(a);
		} else {
			link = &a->next;
		}
	}
}

static gboolean write_retry_cb(gpointer data) {
	struct calls *c = data;
	c->write_retry = 0;
	if ((reopen_helps(c->write_error) || !db_writable(c->db)) && reopen_db(c) < 0) {
		log_unwritable(c, c->write_error, c->list);
		return G_SOURCE_REMOVE;
	}
	flush(c);
	calls_forget_ended(c);
	return G_SOURCE_REMOVE;
}

void calls_health(struct calls *c, struct calls_health *out) {
	*out = (struct calls_health){
		.path = c->path,
		.error = c->write_error,
		.since = c->unwritable_since,
		/* (a ringing call's changes wait a moment by design, not for want
		 * of a database) */
		.waiting = c->write_error != 0 ? waiting_calls(c) : 0,
	};
}

/* Matches the number against the contacts and formats it for reading. */
static void match_number(struct calls *c, struct call_entry *e) {
	const char *number = e->info.number;
	memset(&e->match, 0, sizeof(e->match));
	free(e->company);
	e->company = NULL;
	e->formatted[0] = '\0';
	if (number[0] == '\0') {
		return;
	}
	if (db_lookup(c->db, number, &e->match) < 0) {
		log_warn("Could not look up %s in the contacts", number);
	}
	output_number(e->match.e164, number, c->region, e->formatted, sizeof(e->formatted));
}

static int take_company(const struct db_contact *contact, void *data) {
	struct call_entry *e = data;
	free(e->company);
	e->company = contact->company != NULL ? strdup(contact->company) : NULL;
	return 0;
}

static void load_history(struct calls *c, struct call_entry *e) {
	int y, m, day;
	civil_today(&y, &m, &day);
	const char *key = e->match.e164[0] ? e->match.e164 : e->info.number;
	/* the card's half-dozen queries in one read */
	bool began = db_snapshot_begin(c->db);
	int ret = db_history_get(c->db, e->match.contact_id, key, e->id, y, m, day, &e->history);
	e->history_ok = ret == 0;
	if (e->match.contact_id > 0) {
		db_contact_get(c->db, e->match.contact_id, take_company, e);
	}
	db_snapshot_end(c->db, began);
}

/* The call source's seq names, or a new one at the end of the list. */
static struct active *follow(struct calls *c, const void *source, const char *line,
			     const char *department, uint64_t seq) {
	struct active **tail = &c->list;
	for (; *tail != NULL; tail = &(*tail)->next) {
		struct active *a = *tail;
		if (a->source == source && a->seq == seq && !a->ended) {
			return a;
		}
	}
	struct active *a = calloc(1, sizeof(*a));
	if (a == NULL || (a->e.line = strdup(line)) == NULL) {
		free(a);
		return NULL;
	}
	a->e.department = department != NULL ? strdup(department) : NULL;
	a->source = source;
	a->seq = seq;
	a->e.key = ++c->next_key;
	*tail = a; /* oldest first: calls waiting to be written reach the file in order */
	return a;
}

struct call_entry *calls_update(struct calls *c, const void *source, const char *line,
				const char *department, const struct call_info *info,
				enum call_change change, bool *visible) {
	struct active *a = follow(c, source, line, department, info->seq);
	if (a == NULL) {
		log_error("Out of memory: the call from %s is not logged", info->number);
		return NULL;
	}
	struct call_entry *e = &a->e;
	bool number_changed = e->id == 0 || strcmp(e->info.number, info->number) != 0;
	/* the telco's name shows only where no contact's does */
	bool name_shown = e->match.name[0] == '\0' && strcmp(e->info.name, info->name) != 0;
	*visible = number_changed || name_shown || e->info.state != info->state ||
		   e->info.withheld != info->withheld;
	e->info = *info;
	calls_date(info, e->date);
	if (number_changed) {
		match_number(c, e);
		stage_mark(STAGE_MATCHED);
	}
	/* The log first: whatever happens next, the call is on disk (or queued).
	 * What a call in the log already gains while it rings (a ring, the
	 * telco's name, its date) waits for the next write, UPDATE_DELAY_MS at
	 * most: a commit per ring was most of a call's CPU (tests/bench/run
	 * --only path --perf). A new number, the state and the end go at once. */
	a->dirty = true;
	a->ended = change == CALL_ENDED;
	bool urgent = change != CALL_UPDATED || number_changed || c->write_error != 0 ||
		      e->info.state != CALL_STATE_RINGING;
	if (urgent) {
		flush(c);
	} else {
		flush_later(c);
	}
	stage_mark(STAGE_LOGGED);
	if (number_changed) {
		load_history(c, e);
		stage_mark(STAGE_HISTORY);
	}
	return e;
}

struct calls *calls_create(const char *path, const struct calls_listener *l, void *data) {
	struct calls *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		return NULL;
	}
	g_mutex_init(&c->ck_lock);
	g_cond_init(&c->ck_cond);
	c->listener = *l;
	c->data = data;
	c->db = db_open(path, DB_OPEN_LAZY_CHECKPOINT);
	if (c->db == NULL) {
		calls_destroy(c);
		return NULL;
	}
	configure_db(c);
	c->data_version = db_data_version(c->db);
	if (!db_writable(c->db)) {
		/* Calls still pop up; they wait in memory until the file can be written. */
		c->write_error = -EROFS;
		c->unwritable_since = (int64_t)time(NULL);
	}
	return c;
}

void calls_destroy(struct calls *c) {
	if (c == NULL) {
		return;
	}
	if (c->write_retry != 0) {
		g_source_remove(c->write_retry);
		c->write_retry = 0;
	}
	/* A last try for calls still waiting to be written (flush() may arm
	 * another retry, which is then dropped: there is no later). */
	if (c->db != NULL && waiting_calls(c) > 0) {
		if (c->write_error != 0 && reopen_helps(c->write_error)) {
			reopen_db(c);
		}
		flush(c);
		for (struct active *a = c->list; a != NULL; a = a->next) {
			if (a->dirty) {
				log_error("The call from %s could not be logged before quitting",
					  caller(a));
			}
		}
	}
	if (c->write_retry != 0) {
		g_source_remove(c->write_retry);
	}
	if (c->checkpoint != 0) {
		g_source_remove(c->checkpoint);
	}
	checkpointer_stop(c);
	if (c->update_timer != 0) {
		g_source_remove(c->update_timer);
	}
	while (c->list != NULL) {
		struct active *a = c->list;
		c->list = a->next;
		entry_free(a);
	}
	db_close(c->db);
	g_mutex_clear(&c->ck_lock);
	g_cond_clear(&c->ck_cond);
	free(c->path);
	free(c);
}

int calls_restore(struct calls *c, const char *source, char *why, size_t whysz) {
	/* db_restore refuses while any connection has the file open: this one
	 * goes first (and a checkpoint's), and a new one opens whichever file
	 * is then in place */
	checkpointer_stop(c);
	db_close(c->db);
	c->db = NULL;
	int ret = db_restore(c->path, source, why, whysz);
	struct db *db = db_open(c->path, DB_OPEN_LAZY_CHECKPOINT);
	if (db == NULL) {
		int err = errno;
		log_error("Could not open %s after the restore: %s", c->path, strerror(err));
		/* the daemon needs a connection: the same file, read-only if need be */
		db = db_open(c->path, DB_OPEN_LAZY_CHECKPOINT | DB_OPEN_READONLY);
	}
	c->db = db;
	if (db != NULL) {
		configure_db(c);
	}
	if (ret == 0) {
		/* calls still in memory get rows of their own in the new file */
		for (struct active *a = c->list; a != NULL; a = a->next) {
			a->e.id = 0;
			a->dirty = true;
		}
		if (c->list != NULL) {
			flush(c);
		}
	}
	c->listener.reopened(c->data);
	return ret;
}
