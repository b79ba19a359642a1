/*
 * NCID clients' view of the daemon's calls (see ncidout.h). Sections cited
 * are those of doc/ncid.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "config.h"
#include "jobs.h"
#include "log.h"
#include "ncid.h"
#include "ncidout.h"
#include "server.h"

struct ncidout {
	struct ncid_server *server;
	ncidout_gateway_fn gateway;
	void *gateway_data;
	struct calls *calls; /* whose database is read (it may be opened again) */
	GHashTable *rings;   /* call key -> the last ring count sent (CIDINFO) */
	/* The CIDLOG: lines a client gets, made when the first client after a
	 * change asks: a hundred clients connecting at once read the log once. */
	char *log_lines;
	/* CID: lines of callers without a name yet, held until the telco's
	 * NAME line that a modem sends right after NMBR was read (see
	 * hold_cid()); struct held. */
	GPtrArray *held;
	guint held_idle;
};

struct held {
	uint64_t key;
	struct ncid_call call; /* strings owned */
};

static void held_free(gpointer data) {
	struct held *h = data;
	g_free((char *)h->call.line);
	g_free((char *)h->call.number);
	g_free((char *)h->call.name);
	g_free(h);
}

static void local_tm(int64_t seconds, struct tm *out) {
	time_t t = (time_t)seconds;
	if (localtime_r(&t, out) == NULL) {
		memset(out, 0, sizeof(*out));
	}
}

/* §3.3: withheld numbers as NCID's aliases write them. */
static const char *withheld_text(const char *why) {
	if (why == NULL) {
		return NULL;
	}
	return ncid_withheld_name(strcmp(why, "private") == 0 ? NCID_PRIVATE : NCID_OUT_OF_AREA);
}

struct log_lines {
	GPtrArray *lines;
	struct db *db;
};

static int add_log_line(const struct db_call *c, void *data) {
	struct log_lines *l = data;
	struct ncid_call nc = {
		.outgoing = c->outgoing,
		.line = c->line,
		.number = c->withheld != NULL ? withheld_text(c->withheld) : c->number,
		/* the contact's, else the telco's, else NO NAME (ncid.c) */
		.name = c->contact_name != NULL && c->contact_name[0] != '\0' ? c->contact_name
									      : c->name,
	};
	/* a caller who had no contact when they called may have one now (an
	 * NCID client's REQ: alias add, say): their name as a new call would
	 * have it */
	struct db_match m = {0};
	if ((c->contact_name == NULL || c->contact_name[0] == '\0') && c->withheld == NULL &&
	    c->number != NULL && c->number[0] != '\0' && db_lookup(l->db, c->number, &m) == 0 &&
	    m.contact_id != 0) {
		nc.name = m.name;
	}
	local_tm(c->started, &nc.when);
	g_ptr_array_add(l->lines, ncid_format_call(c->outgoing ? "OUTLOG" : "CIDLOG", &nc));
	return 0;
}

/* The last calls of the log, oldest first, as CIDLOG: lines (§3.2). */
static char *call_log(void *data) {
	struct ncidout *o = data;
	if (o->log_lines != NULL) {
		return g_strdup(o->log_lines);
	}
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	struct db_call_filter f = {.limit = NCIDOUT_LOG_MAX};
	struct log_lines l = {lines, calls_db(o->calls)};
	if (l.db == NULL || db_call_foreach(l.db, &f, add_log_line, &l) < 0) {
		log_warn("NCID: could not read the call log; clients get none");
	}
	GString *out = g_string_new(NULL);
	for (guint i = lines->len; i > 0; i--) {
		g_string_append(out, g_ptr_array_index(lines, i - 1));
	}
	g_ptr_array_free(lines, TRUE);
	o->log_lines = g_string_free(out, FALSE);
	return g_strdup(o->log_lines);
}

void ncidout_log_changed(struct ncidout *o) {
	g_free(o->log_lines);
	o->log_lines = NULL;
}

static void on_gateway(const char *line, size_t len, const char *peer, void *data) {
	struct ncidout *o = data;
	if (o->gateway != NULL) {
		o->gateway(line, len, peer, o->gateway_data);
	}
}

/* A 402 block (§7.3) of one RESP: line, also said in the log. */
static char *status(const char *peer, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static char *status(const char *peer, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	log_info("NCID client %s: %s", peer, text);
	char *block = ncid_format_block(NCID_BLOCK_STATUS, text);
	g_free(text);
	return block;
}

/* §7.2 REQ: INFO: the alias a number has is its contact's name (NCID's
 * NMBRONLY alias: a number's name); ctid keeps no alias of names or lines
 * and no black or white list. */
static char *info_job(struct ncidout *o, const struct ncid_job *job) {
	struct db *db = calls_db(o->calls); /* NULL: a restore could not reopen it */
	struct db_match m = {0};
	bool known = db != NULL && job->number[0] != '\0' && db_lookup(db, job->number, &m) == 0 &&
		     m.contact_id != 0;
	char *text = g_strdup_printf("alias %s%s\nneither", known ? "NMBRONLY" : "NOALIAS",
				     job->line != NULL ? " NOALIAS" : "");
	char *block = ncid_format_block(NCID_BLOCK_PERMITTED, text);
	g_free(text);
	return block;
}

/* A new contact called alias with the number. */
static int add_contact(struct db *db, const char *alias, const char *number) {
	struct db_contact c = {.name = alias};
	int64_t id = 0;
	int ret = db_begin(db);
	if (ret < 0) {
		return ret;
	}
	if ((ret = db_contact_add(db, &c, &id)) < 0 ||
	    (ret = db_phone_add(db, id, number, "phone", NULL)) < 0) {
		db_rollback(db);
		return ret;
	}
	return db_commit(db);
}

/* §7.2 REQ: alias add|modify: the name of the number's contact, a new
 * contact when it has none. Only from an editor's address; contacts are
 * never removed over NCID, whose clients are not told who is asking. */
static char *alias_job(struct ncidout *o, const struct ncid_job *job, const char *peer, bool editor) {
	const char *number = job->number, *alias = job->alias;
	if (!editor) {
		return status(peer, "denied: %s is not one of ncid-editors; nothing was changed",
			      peer);
	}
	if (job->action == NCID_JOB_REMOVE || alias[strspn(alias, " ")] == '\0') {
		return status(peer, "ctid removes no contact for NCID clients (ctidctl and the web "
				    "page do); nothing was changed");
	}
	if (db_check_text(alias, DB_NAME_MAX, false) < 0) {
		return status(peer,
			      "a name of at most %d bytes of text is wanted; nothing was changed",
			      DB_NAME_MAX);
	}
	struct db *db = calls_db(o->calls);
	if (db == NULL) {
		return status(peer, "the database is not open; nothing was changed");
	}
	struct db_match m = {0};
	int ret = db_check_text(number, DB_NUMBER_MAX, false) < 0 ? -EINVAL
								  : db_lookup(db, number, &m);
	if (ret == 0 && m.withheld) {
		ret = -EINVAL;
	}
	if (ret == 0 && m.ambiguous) {
		return status(peer,
			      "%s is the number of several contacts: change it with ctidctl or "
			      "the web page; nothing was changed",
			      number);
	}
	if (ret == 0 && m.contact_id != 0 && strcmp(m.name, alias) == 0) {
		return status(peer, "%s is %s already", number, alias);
	}
	if (ret == 0 && m.contact_id != 0) {
		struct db_contact c = {.id = m.contact_id, .name = alias};
		ret = db_contact_update(db, &c);
	} else if (ret == 0) {
		ret = add_contact(db, alias, number);
	}
	if (ret == -EINVAL) {
		return status(peer, "'%s' is not a phone number; nothing was changed", number);
	}
	if (ret < 0) {
		return status(peer, "the contacts could not be changed (%s); nothing was changed",
			      db_errmsg(db));
	}
	ncidout_log_changed(o); /* the names in its CIDLOG: lines */
	if (m.contact_id != 0) {
		return status(peer, "%s renamed %s (%s)", m.name, alias, number);
	}
	return status(peer, "%s added, number %s", alias, number);
}

/* §7: a client job. */
static char *on_job(const struct ncid_job *job, const char *peer, bool editor, void *data) {
	struct ncidout *o = data;
	switch (job->kind) {
	case NCID_JOB_INFO:
		return info_job(o, job);
	case NCID_JOB_ALIAS:
		return alias_job(o, job, peer, editor);
	case NCID_JOB_BLACK:
	case NCID_JOB_WHITE:
		return status(peer, "ctid keeps no black or white list; nothing was changed");
	case NCID_JOB_RELOAD:
		return ncid_format_block(NCID_BLOCK_OK, "ctid reads its contacts as they change: "
							"there is nothing to reload");
	case NCID_JOB_UPDATE:
	case NCID_JOB_UPDATES:
		/* as ncidd answers when its call log needs no change */
		return ncid_format_block(NCID_BLOCK_OK, "no changes: ctid's call log gives each "
							"caller the name their contact has now");
	case NCID_JOB_BAD:
		return status(peer, "%s; nothing was done", job->why);
	default:
		return NULL; /* WRK: no UPDATE waits for an answer */
	}
}

struct ncidout *ncidout_create(const struct config *config, struct calls *calls,
			       ncidout_gateway_fn gateway, void *data) {
	const char *listen = config->ncid_listen;
	char host[64];
	int port;
	const char *bad;
	if (config_parse_listen(listen, host, &port, &bad) < 0) {
		log_error("ncid-listen %s: %s", listen, bad);
		return NULL;
	}
	struct ncidout *o = g_new0(struct ncidout, 1);
	o->calls = calls;
	o->rings = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	o->held = g_ptr_array_new_with_free_func(held_free);
	char *why = NULL;
	struct ncid_server_options so = {
		.host = host,
		.port = port,
		.version = CTID_VERSION,
		.gateways = config->ncid_gateways != NULL ? config->ncid_gateways
							  : CONFIG_DEFAULT_NCID_GATEWAYS,
		.editors = config->ncid_editors != NULL ? config->ncid_editors
							: CONFIG_DEFAULT_NCID_EDITORS,
		.log = call_log,
		.gateway = on_gateway,
		.job = on_job,
		.data = o,
	};
	o->gateway = gateway;
	o->gateway_data = data;
	o->server = ncid_server_create(&so, &why);
	if (o->server == NULL) {
		log_error("Could not serve NCID clients on %s: %s", listen, why);
		g_free(why);
		g_hash_table_destroy(o->rings);
		g_ptr_array_free(o->held, TRUE);
		g_free(o);
		return NULL;
	}
	log_notice("NCID server at %s:%d", host, ncid_server_port(o->server));
	return o;
}

void ncidout_destroy(struct ncidout *o) {
	if (o == NULL) {
		return;
	}
	if (o->held_idle != 0) {
		g_source_remove(o->held_idle);
	}
	g_ptr_array_free(o->held, TRUE);
	ncid_server_destroy(o->server);
	g_hash_table_destroy(o->rings);
	g_free(o->log_lines);
	g_free(o);
}

static const char *withheld_call(enum call_withheld w) {
	switch (w) {
	case CALL_WITHHELD_NONE:
		return NULL;
	case CALL_WITHHELD_PRIVATE:
		return ncid_withheld_name(NCID_PRIVATE);
	default:
		return ncid_withheld_name(NCID_OUT_OF_AREA);
	}
}

/* §3.4, §6: CIDINFO when the ring count grew, or RING 0 when ringing
 * stopped (ended). A call that ended without a ring (a gateway's, one
 * placed) gets what ncidd sends before a gateway's END: (§4.4): RING -1
 * when nobody answered, -2 when somebody did. */
static char *rings_line(struct ncidout *o, const struct call_entry *e, bool ended) {
	gint64 key = (gint64)e->key;
	int last = GPOINTER_TO_INT(g_hash_table_lookup(o->rings, &key));
	int ring = ended ? 0 : e->info.rings;
	if (ended && last <= 0) {
		ring = e->info.state == CALL_STATE_MISSED ? -1 : -2;
	} else if (!ended && ring <= last) {
		return NULL;
	}
	if (ended) {
		g_hash_table_remove(o->rings, &key);
	} else {
		g_hash_table_replace(o->rings, g_memdup2(&key, sizeof(key)), GINT_TO_POINTER(ring));
	}
	struct tm now;
	local_tm((int64_t)time(NULL), &now);
	return ncid_format_info(e->line, ring, &now);
}

/* Sends first and, after it, what rings_line() says, in one write to each
 * client (a send each is what a hundred clients cost). */
static void broadcast(struct ncidout *o, char *first, char *rings) {
	if (first != NULL && rings != NULL) {
		char *both = g_strconcat(first, rings, NULL);
		ncid_server_broadcast(o->server, both);
		g_free(both);
	} else if (first != NULL || rings != NULL) {
		ncid_server_broadcast(o->server, first != NULL ? first : rings);
	}
	g_free(first);
	g_free(rings);
}

static void send_rings(struct ncidout *o, const struct call_entry *e, bool ended) {
	broadcast(o, NULL, rings_line(o, e, ended));
}

/* The call as NCID shows it; its strings are e's. */
static void ncid_view(const struct call_entry *e, struct ncid_call *nc) {
	const struct call_info *i = &e->info;
	*nc = (struct ncid_call){
		.line = e->line,
		.number = i->number[0] != '\0' ? i->number : withheld_call(i->withheld),
		/* the contact's, else the telco's, else withheld or none */
		.name = e->match.name[0] != '\0' ? e->match.name
			: i->name[0] != '\0'	 ? i->name
						 : withheld_call(i->name_withheld),
		.outgoing = i->outgoing,
	};
	local_tm(i->started_wall / 1000, &nc->when);
	if (i->has_date && i->has_time) {
		/* §3.2: DATE and TIME as the line (the telco, a gateway) sent them */
		nc->when.tm_year = i->year - 1900;
		nc->when.tm_mon = i->month - 1;
		nc->when.tm_mday = i->day;
		nc->when.tm_hour = i->hour;
		nc->when.tm_min = i->minute;
	}
}

/* §3.2: CID: for a call that came in, OUT: for one placed */
static const char *call_label(const struct ncid_call *nc) {
	return nc->outgoing ? "OUT" : "CID";
}

static void send_cid(struct ncidout *o, const struct ncid_call *nc) {
	broadcast(o, ncid_format_call(call_label(nc), nc), NULL);
}

/* Sends the held CID: line of key (all of them for 0), as it stands. */
static void send_held(struct ncidout *o, uint64_t key) {
	for (guint k = 0; k < o->held->len;) {
		struct held *h = g_ptr_array_index(o->held, k);
		if (key != 0 && h->key != key) {
			k++;
			continue;
		}
		send_cid(o, &h->call);
		g_ptr_array_remove_index(o->held, k);
	}
}

static gboolean held_idle_cb(gpointer data) {
	struct ncidout *o = data;
	o->held_idle = 0;
	send_held(o, 0); /* no NAME came with the number: NO NAME (§3.3) */
	return G_SOURCE_REMOVE;
}

/* A caller no contact matched, whose NAME line has not come: a modem sends
 * it right after NMBR, in the same read, where it becomes a change of the
 * call a moment later. The CID: line waits for it until what was read is
 * handled (an idle callback), so clients get the telco's name, not NO
 * NAME; a NAME that comes later than that is not waited for. The callback
 * has the default priority, that of the sources that read: at the idle
 * priority, NCID clients sending without a pause (their input always
 * ready) held the line back until the call ended. */
static void hold_cid(struct ncidout *o, const struct call_entry *e, const struct ncid_call *nc) {
	struct held *h = g_new0(struct held, 1);
	h->key = e->key;
	h->call = *nc;
	h->call.line = g_strdup(nc->line);
	h->call.number = g_strdup(nc->number);
	h->call.name = NULL;
	g_ptr_array_add(o->held, h);
	if (o->held_idle == 0) {
		o->held_idle = g_idle_add_full(G_PRIORITY_DEFAULT, held_idle_cb, o, NULL);
	}
}

static struct held *find_held(struct ncidout *o, uint64_t key) {
	for (guint k = 0; k < o->held->len; k++) {
		struct held *h = g_ptr_array_index(o->held, k);
		if (h->key == key) {
			return h;
		}
	}
	return NULL;
}

void ncidout_call(struct ncidout *o, enum call_change change, const struct call_entry *e) {
	if (change != CALL_UPDATED) {
		ncidout_log_changed(o); /* it is in the log from its start */
	}
	struct ncid_call nc;
	ncid_view(e, &nc);
	struct held *h = find_held(o, e->key);
	if (change == CALL_UPDATED) {
		if (h != NULL && nc.name != NULL) {
			g_free((char *)h->call.name);
			h->call.name = g_strdup(nc.name); /* the NAME line came */
			send_held(o, e->key);
		}
		if (h == NULL || nc.name != NULL) {
			send_rings(o, e, false); /* NCID sends one CID: line per call (§3.2) */
		}
		return;
	}
	if (change == CALL_STARTED) {
		if (nc.name == NULL && e->match.contact_id == 0 && !nc.outgoing) {
			hold_cid(o, e, &nc);
			return;
		}
		/* the CID line first: that one is waited for */
		broadcast(o, ncid_format_call(call_label(&nc), &nc), rings_line(o, e, false));
		return;
	}
	send_held(o, e->key); /* ended before its CID: line went */
	struct tm ended;
	const struct call_info *i = &e->info;
	local_tm((i->ended_wall != 0 ? i->ended_wall : i->started_wall) / 1000, &ended);
	/* §6: RING 0, ringing stopped; §4.4: END, BYE after an answer, CANCEL before one */
	char *stopped = rings_line(o, e, true);
	broadcast(o, stopped, ncid_format_end(&nc, &ended, i->state != CALL_STATE_MISSED));
}

/* "today", "tomorrow" or "in N days", and the day: "in 3 days (12 Dec)". */
static void append_due(GString *out, const struct db_reminder *r) {
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	if (r->days_left <= 0) {
		g_string_append(out, "today");
	} else if (r->days_left == 1) {
		g_string_append(out, "tomorrow");
	} else {
		g_string_append_printf(out, "in %d days", r->days_left);
	}
	if (r->next_month >= 1 && r->next_month <= 12) {
		g_string_append_printf(out, " (%d %s)", r->next_day, months[r->next_month - 1]);
	}
}

void ncidout_reminder(struct ncidout *o, const struct db_reminder *r, const char *phone) {
	GString *text = g_string_new("Reminder: ");
	if (r->text != NULL && r->text[0] != '\0') {
		g_string_append(text, r->text);
	} else if (r->birthday && r->age > 0) {
		g_string_append_printf(text, "birthday, %d", r->age);
	} else {
		g_string_append(text, r->birthday ? "birthday" : "due");
	}
	g_string_append(text, ", ");
	append_due(text, r);
	/* the first of the contact's numbers */
	size_t n = strcspn(phone, ",");
	char *number = g_strndup(phone, n);
	struct tm now;
	local_tm((int64_t)time(NULL), &now);
	char *line = ncid_format_msg(text->str, &now, r->contact_name, number);
	ncid_server_broadcast(o->server, line);
	g_free(line);
	g_free(number);
	g_string_free(text, TRUE);
}
