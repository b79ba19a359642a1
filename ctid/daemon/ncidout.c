/*
 * NCID clients' view of the daemon's calls (see ncidout.h). Sections cited
 * are those of /work/research/ncid.md.
 */
#include <string.h>
#include <time.h>

#include <glib.h>

#include "config.h"
#include "log.h"
#include "ncid.h"
#include "ncidout.h"
#include "server.h"

struct ncidout {
	struct ncid_server *server;
	struct db *db;
	GHashTable *rings; /* call key -> the last ring count sent (CIDINFO) */
};

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

static int add_log_line(const struct db_call *c, void *data) {
	GPtrArray *lines = data;
	if (c->outgoing) {
		return 0; /* OUTLOG: lines are not served yet */
	}
	struct ncid_call nc = {
		.line = c->line,
		.number = c->withheld != NULL ? withheld_text(c->withheld) : c->number,
		/* the contact's, else the telco's, else NO NAME (ncid.c) */
		.name = c->contact_name != NULL && c->contact_name[0] != '\0' ? c->contact_name
									      : c->name,
	};
	local_tm(c->started, &nc.when);
	g_ptr_array_add(lines, ncid_format_call("CIDLOG", &nc));
	return 0;
}

/* The last calls of the log, oldest first, as CIDLOG: lines (§3.2). */
static char *call_log(void *data) {
	struct ncidout *o = data;
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	struct db_call_filter f = {.limit = NCIDOUT_LOG_MAX};
	if (db_call_foreach(o->db, &f, add_log_line, lines) < 0) {
		log_warn("NCID: could not read the call log; clients get none");
	}
	GString *out = g_string_new(NULL);
	for (guint i = lines->len; i > 0; i--) {
		g_string_append(out, g_ptr_array_index(lines, i - 1));
	}
	g_ptr_array_free(lines, TRUE);
	return g_string_free(out, FALSE);
}

struct ncidout *ncidout_create(const char *listen, struct db *db) {
	char host[64];
	int port;
	const char *bad;
	if (config_parse_listen(listen, host, &port, &bad) < 0) {
		log_error("ncid-listen %s: %s", listen, bad);
		return NULL;
	}
	struct ncidout *o = g_new0(struct ncidout, 1);
	o->db = db;
	o->rings = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	char *why = NULL;
	o->server = ncid_server_create(host, port, CTID_VERSION, call_log, o, &why);
	if (o->server == NULL) {
		log_error("Could not serve NCID clients on %s: %s", listen, why);
		g_free(why);
		g_hash_table_destroy(o->rings);
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
	ncid_server_destroy(o->server);
	g_hash_table_destroy(o->rings);
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
 * stopped (ended). */
static void send_rings(struct ncidout *o, const struct call_entry *e, bool ended) {
	gint64 key = (gint64)e->key;
	int last = GPOINTER_TO_INT(g_hash_table_lookup(o->rings, &key));
	int ring = ended ? 0 : e->info.rings;
	if (ended ? last <= 0 : ring <= last) {
		return;
	}
	if (ended) {
		g_hash_table_remove(o->rings, &key);
	} else {
		g_hash_table_replace(o->rings, g_memdup2(&key, sizeof(key)), GINT_TO_POINTER(ring));
	}
	struct tm now;
	local_tm((int64_t)time(NULL), &now);
	char *line = ncid_format_info(e->line, ring, &now);
	ncid_server_broadcast(o->server, line);
	g_free(line);
}

void ncidout_call(struct ncidout *o, enum call_change change, const struct call_entry *e) {
	if (change == CALL_UPDATED) {
		send_rings(o, e, false); /* NCID sends one CID: line per call (§3.2) */
		return;
	}
	const struct call_info *i = &e->info;
	const char *number = i->number[0] != '\0' ? i->number : withheld_call(i->withheld);
	const char *name = e->match.name[0] != '\0' ? e->match.name
			   : i->name[0] != '\0'	    ? i->name
						    : withheld_call(i->name_withheld);
	struct ncid_call nc = {.line = e->line, .number = number, .name = name};
	local_tm(i->started_wall / 1000, &nc.when);
	char *line;
	if (change == CALL_STARTED) {
		line = ncid_format_call("CID", &nc);
	} else {
		send_rings(o, e, true);
		struct tm ended;
		local_tm((i->ended_wall != 0 ? i->ended_wall : i->started_wall) / 1000, &ended);
		/* §4.4: BYE after an answer, CANCEL before one. */
		line = ncid_format_end(&nc, &ended, i->state != CALL_STATE_MISSED);
	}
	ncid_server_broadcast(o->server, line);
	g_free(line);
	if (change == CALL_STARTED) {
		send_rings(o, e, false); /* after the CID line: that one is waited for */
	}
}
