/* AMI messages to call events. The events and their fields:
 * doc/ami.md (Asterisk's AMI v2 specification and its generated event
 * reference; transcripts from real PBXes). */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ami.h"
#include "utf8.h"

#define MAX_HEADERS 96
#define MSG_BYTES   12288
/* Asterisk's AST_MAX_UNIQUEID, its ids' room: "pbx-1529936170.42", the
 * PBX's SystemName first (doc/ami.md §5.2) */
#define ID_MAX	 150
#define CHAN_MAX 96

struct header {
	const char *key, *value;
};

/* The message being read: its headers, copied NUL-terminated into buf.
 * Headers beyond the room are dropped (the ones ctid reads come first). */
struct message {
	char buf[MSG_BYTES];
	size_t used;
	struct header h[MAX_HEADERS];
	int n;
};

struct ami_call;

struct ami_channel {
	bool first;	/* the call's first channel, Uniqueid = Linkedid */
	bool local;	/* a Local/ channel: only joins two others */
	bool trunk_leg; /* its name starts as one of the trunks' */
	struct ami_call *call;
	char uniqueid[ID_MAX];
	char name[CHAN_MAX];
};

struct ami_call {
	bool announced; /* CALL_STARTED was sent (a placed call: once it reached a trunk) */
	bool answered;
	char linkedid[ID_MAX];
	struct call_info info;
};

struct ami_parser {
	char *line;
	char *contexts; /* ",a,b," for matching ",NAME," */
	char *trunks;	/* ",a,b,": channel name prefixes, or NULL */
	struct ami_listener listener;
	void *data;
	uint64_t seq;
	struct message msg;
	/* Linkedid -> struct ami_call, Uniqueid -> struct ami_channel (both
	 * keyed by the strings in their values): a queue of a hundred calls
	 * costs a lookup each event, not a walk. */
	GHashTable *calls;
	GHashTable *channels;
};

/* "a, b" as ",a,b," (no blanks), for matching ",NAME,". */
static char *comma_list(const char *list) {
	char *out = malloc(strlen(list) + 3);
	if (out == NULL) {
		return NULL;
	}
	char *o = out;
	*o++ = ',';
	for (const char *c = list; *c != '\0'; c++) {
		if (*c != ' ' && *c != '\t') {
			*o++ = *c;
		}
	}
	*o++ = ',';
	*o = '\0';
	return out;
}

struct ami_parser *ami_parser_create(const struct ami_parser_options *opts,
				     const struct ami_listener *l, void *data) {
	struct ami_parser *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return NULL;
	}
	p->line = strdup(opts->line != NULL ? opts->line : "asterisk");
	p->contexts = comma_list(opts->contexts != NULL ? opts->contexts : AMI_DEFAULT_CONTEXTS);
	p->trunks = opts->trunks != NULL ? comma_list(opts->trunks) : NULL;
	if (p->line == NULL || p->contexts == NULL || (opts->trunks != NULL && !p->trunks)) {
		ami_parser_destroy(p);
		errno = ENOMEM;
		return NULL;
	}
	p->listener = *l;
	p->data = data;
	p->calls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	p->channels = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	return p;
}

void ami_parser_destroy(struct ami_parser *p) {
	if (p == NULL) {
		return;
	}
	if (p->channels != NULL) {
		g_hash_table_destroy(p->channels);
	}
	if (p->calls != NULL) {
		g_hash_table_destroy(p->calls);
	}
	free(p->line);
	free(p->contexts);
	free(p->trunks);
	free(p);
}

int ami_parser_calls(const struct ami_parser *p) {
	int n = 0;
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, p->calls);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		n += ((struct ami_call *)value)->announced;
	}
	return n;
}

void ami_channel_extension(const char *channel, char out[CALL_EXT_MAX]) {
	out[0] = '\0';
	const char *slash = strchr(channel, '/');
	if (slash == NULL || strncasecmp(channel, "Local/", 6) == 0) {
		return;
	}
	const char *res = slash + 1;
	/* the resource, without the channel's "-0000001a" (or DAHDI's "-1") */
	const char *dash = strrchr(res, '-');
	size_t len = dash != NULL && dash > res ? (size_t)(dash - res) : strlen(res);
	utf8_sanitize(res, len, out, CALL_EXT_MAX);
}

static const char *get(const struct message *m, const char *key) {
	for (int i = 0; i < m->n; i++) {
		if (strcasecmp(m->h[i].key, key) == 0) {
			return m->h[i].value;
		}
	}
	return NULL;
}

static const char *get_or(const struct message *m, const char *key) {
	const char *v = get(m, key);
	return v != NULL ? v : "";
}

/* Adds "Key: Value" to the message; a line without ": " (the banner, a
 * PBX's console noise) is no header. */
static void add_header(struct message *m, const char *s, size_t len) {
	const char *colon = memchr(s, ':', len);
	if (colon == NULL || colon == s || m->n >= MAX_HEADERS) {
		return;
	}
	size_t klen = (size_t)(colon - s);
	const char *v = colon + 1;
	size_t vlen = len - klen - 1;
	while (vlen > 0 && *v == ' ') {
		v++;
		vlen--;
	}
	if (m->used + klen + vlen + 2 > sizeof(m->buf)) {
		return;
	}
	char *k = m->buf + m->used;
	memcpy(k, s, klen);
	k[klen] = '\0';
	char *val = k + klen + 1;
	memcpy(val, v, vlen);
	val[vlen] = '\0';
	m->used += klen + vlen + 2;
	m->h[m->n++] = (struct header){k, val};
}

static struct ami_call *find_call(struct ami_parser *p, const char *linkedid) {
	return linkedid != NULL ? g_hash_table_lookup(p->calls, linkedid) : NULL;
}

static struct ami_channel *find_channel(struct ami_parser *p, const char *uniqueid) {
	return uniqueid != NULL ? g_hash_table_lookup(p->channels, uniqueid) : NULL;
}

static gboolean of_call(gpointer key, gpointer value, gpointer call) {
	return ((struct ami_channel *)value)->call == call;
}

/* Ends a call: answered, else state; one never announced (a call between
 * extensions) just goes. Forgets it and its channels. */
static void end_call(struct ami_parser *p, struct ami_call *c, enum call_state state, int64_t now) {
	g_hash_table_foreach_remove(p->channels, of_call, c);
	if (c->announced) {
		c->info.state = c->answered ? CALL_STATE_ANSWERED : state;
		c->info.ended_wall = now;
		p->listener.call(&c->info, CALL_ENDED, p->data);
	}
	g_hash_table_remove(p->calls, c->linkedid);
}

/* The call followed longest, or NULL. */
static struct ami_call *oldest_call(struct ami_parser *p) {
	struct ami_call *oldest = NULL;
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, p->calls);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct ami_call *c = value;
		if (oldest == NULL || c->info.seq < oldest->info.seq) {
			oldest = c;
		}
	}
	return oldest;
}

/* The caller as the first channel gives it: number, name, withheld.
 * Returns whether anything changed. */
static bool take_caller(struct call_info *i, const struct message *m) {
	const char *num = get_or(m, "CallerIDNum");
	const char *name = get_or(m, "CallerIDName");
	const char *pres = get_or(m, "CID-CallingPres");
	char number[CALL_NUMBER_MAX];
	size_t n = 0;
	for (const char *c = num; *c != '\0' && n < sizeof(number) - 1; c++) {
		if ((*c >= '0' && *c <= '9') || (*c == '+' && n == 0)) {
			number[n++] = *c;
		}
	}
	number[n] = '\0';
	enum call_withheld withheld = CALL_WITHHELD_NONE;
	if (strstr(pres, "Prohibited") != NULL || !strcasecmp(num, "anonymous") ||
	    !strcasecmp(num, "restricted") || !strcasecmp(num, "private")) {
		withheld = CALL_WITHHELD_PRIVATE;
		number[0] = '\0';
	} else if (number[0] == '\0') {
		withheld = CALL_WITHHELD_UNAVAILABLE; /* "<unknown>", empty */
	}
	char clean[CALL_NAME_MAX] = "";
	if (strcmp(name, "<unknown>") != 0 && strcmp(name, num) != 0 &&
	    withheld != CALL_WITHHELD_PRIVATE) {
		utf8_sanitize(name, strlen(name), clean, sizeof(clean));
	}
	bool changed = strcmp(i->number, number) != 0 || strcmp(i->name, clean) != 0 ||
		       i->withheld != withheld;
	memcpy(i->number, number, sizeof(number));
	memcpy(i->name, clean, sizeof(clean));
	i->withheld = withheld;
	i->has_cid = true;
	return changed;
}

/* A call's first channel (its trunk, which ends it) is always followed; a
 * leg past AMI_MAX_CHANNELS is not, and the call still ends with its
 * trunk. (A full table once left a new call ringing for good: announced
 * without the channel whose Hangup ends it.) */
static struct ami_channel *add_channel(struct ami_parser *p, const char *uniqueid, const char *name,
				       struct ami_call *call, bool first) {
	if ((!first && g_hash_table_size(p->channels) >= AMI_MAX_CHANNELS) ||
	    strlen(uniqueid) >= ID_MAX) {
		return NULL;
	}
	struct ami_channel *ch = g_new0(struct ami_channel, 1);
	ch->call = call;
	strcpy(ch->uniqueid, uniqueid);
	g_hash_table_replace(p->channels, ch->uniqueid, ch);
	utf8_sanitize(name, strlen(name), ch->name, sizeof(ch->name));
	ch->local = strncasecmp(name, "Local/", 6) == 0;
	return ch;
}

/* Whether word is one of list's (",a,b,"); with prefix, whether word
 * starts with one of them. */
static bool in_list(const char *list, const char *word, bool prefix) {
	size_t n = strlen(word);
	if (list == NULL || n == 0 || strchr(word, ',') != NULL) {
		return false;
	}
	for (const char *item = list + 1; *item != '\0';) {
		size_t len = strcspn(item, ",");
		if (len > 0 && (prefix ? len <= n && !strncmp(word, item, len)
				       : len == n && !strncmp(word, item, len))) {
			return true;
		}
		item += len + (item[len] == ',');
	}
	return false;
}

/* The number dialled: Exten where it is one ("s" is none). */
static void take_exten(const struct message *m, char out[CALL_NUMBER_MAX]) {
	const char *exten = get_or(m, "Exten");
	size_t n = 0;
	for (const char *e = exten; *e != '\0' && n < CALL_NUMBER_MAX - 1; e++) {
		if ((*e >= '0' && *e <= '9') || (*e == '+' && n == 0)) {
			out[n++] = *e;
		} else {
			n = 0;
			break;
		}
	}
	out[n] = '\0';
}

/* A call's first channel: a call from outside when it enters an inbound
 * context (announced now), or one an extension places (announced once it
 * reaches a trunk, when trunks are known). */
static void start_call(struct ami_parser *p, const struct message *m, const char *id, bool outgoing,
		       int64_t now) {
	if (strlen(id) >= ID_MAX || find_call(p, id) != NULL) {
		return; /* a repeated event */
	}
	if (g_hash_table_size(p->calls) >= AMI_MAX_CALLS) {
		/* more at once than any office has: the oldest gives way */
		end_call(p, oldest_call(p), CALL_STATE_UNKNOWN, now);
	}
	struct ami_call *c = g_new0(struct ami_call, 1);
	strcpy(c->linkedid, id);
	g_hash_table_insert(p->calls, c->linkedid, c);
	struct call_info *i = &c->info;
	i->seq = ++p->seq;
	i->line = p->line;
	i->started_wall = now;
	i->state = CALL_STATE_RINGING;
	call_info_local_stamp(i, now);
	const char *channel = get_or(m, "Channel");
	struct ami_channel *ch = add_channel(p, id, channel, c, true);
	if (ch != NULL) {
		ch->first = true;
	}
	if (outgoing) {
		i->outgoing = true;
		take_exten(m, i->number);			/* the number dialled */
		ami_channel_extension(channel, i->answered_by); /* placed on */
		return;
	}
	take_caller(i, m);
	take_exten(m, i->called); /* the DID */
	c->announced = true;
	p->listener.call(i, CALL_STARTED, p->data);
}

static void on_newchannel(struct ami_parser *p, const struct message *m, int64_t now) {
	const char *uid = get(m, "Uniqueid");
	const char *lid = get(m, "Linkedid");
	if (uid == NULL || lid == NULL || find_channel(p, uid) != NULL) {
		return;
	}
	if (strcmp(uid, lid) == 0) {
		if (in_list(p->contexts, get_or(m, "Context"), false)) {
			start_call(p, m, uid, false, now);
		} else if (p->trunks != NULL) {
			start_call(p, m, uid, true, now);
		}
		return;
	}
	struct ami_call *c = find_call(p, lid);
	if (c == NULL) {
		return;
	}
	struct ami_channel *ch = add_channel(p, uid, get_or(m, "Channel"), c, false);
	if (ch == NULL) {
		return;
	}
	ch->trunk_leg = in_list(p->trunks, ch->name, true);
	if (c->info.outgoing && !c->announced && ch->trunk_leg) {
		/* a call from an extension goes out: now it is a placed call */
		c->announced = true;
		p->listener.call(&c->info, CALL_STARTED, p->data);
	}
}

/* A leg of a followed call picked up: a phone's for a call from outside
 * (not a Local channel), the trunk's for a call placed. */
static void leg_answered(struct ami_parser *p, const char *uniqueid) {
	struct ami_channel *ch = find_channel(p, uniqueid);
	if (ch == NULL || ch->first || ch->local) {
		return;
	}
	struct ami_call *c = ch->call;
	if (c->answered || !c->announced || (c->info.outgoing && !ch->trunk_leg)) {
		return;
	}
	c->answered = true;
	c->info.state = CALL_STATE_ANSWERED;
	if (!c->info.outgoing) {
		ami_channel_extension(ch->name, c->info.answered_by);
	}
	p->listener.call(&c->info, CALL_UPDATED, p->data);
}

static void on_hangup(struct ami_parser *p, const struct message *m, int64_t now) {
	struct ami_channel *ch = find_channel(p, get(m, "Uniqueid"));
	if (ch == NULL) {
		return;
	}
	if (ch->first) {
		/* the caller is gone: answered by then, or missed (a placed call
		 * nobody answered is nobody's missed call) */
		struct ami_call *c = ch->call;
		end_call(p, c, c->info.outgoing ? CALL_STATE_UNKNOWN : CALL_STATE_MISSED, now);
	} else {
		g_hash_table_remove(p->channels, ch->uniqueid);
	}
}

/* The first channel's caller (or, for a call placed, the number dialled
 * until it goes out) changed. */
static void on_newcallerid(struct ami_parser *p, const struct message *m) {
	struct ami_channel *ch = find_channel(p, get(m, "Uniqueid"));
	if (ch == NULL || !ch->first) {
		return;
	}
	struct ami_call *c = ch->call;
	if (c->info.outgoing) {
		if (!c->announced && get(m, "Exten") != NULL) {
			take_exten(m, c->info.number);
		}
	} else if (take_caller(&c->info, m)) {
		p->listener.call(&c->info, CALL_UPDATED, p->data);
	}
}

static void on_message(struct ami_parser *p, const struct message *m, int64_t now) {
	const char *ev = get(m, "Event");
	const char *response = get(m, "Response");
	if (ev == NULL) {
		/* an answer to an action (an event such as OriginateResponse may
		 * carry a Response: too, and is no answer) */
		if (response != NULL && p->listener.response != NULL) {
			p->listener.response(strcasecmp(response, "Success") == 0,
					     get_or(m, "Message"), p->data);
		}
		return;
	}
	if (!strcasecmp(ev, "Newchannel")) {
		on_newchannel(p, m, now);
	} else if (!strcasecmp(ev, "Newstate")) {
		if (!strcmp(get_or(m, "ChannelState"), "6")) {
			leg_answered(p, get(m, "Uniqueid"));
		}
	} else if (!strcasecmp(ev, "DialEnd")) {
		if (!strcasecmp(get_or(m, "DialStatus"), "ANSWER")) {
			leg_answered(p, get(m, "DestUniqueid"));
		}
	} else if (!strcasecmp(ev, "BridgeEnter")) {
		leg_answered(p, get(m, "Uniqueid"));
	} else if (!strcasecmp(ev, "NewCallerid")) {
		on_newcallerid(p, m);
	} else if (!strcasecmp(ev, "Hangup")) {
		on_hangup(p, m, now);
	}
}

void ami_parser_line(struct ami_parser *p, const char *s, size_t len, int64_t now) {
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n')) {
		len--;
	}
	if (len > 0) {
		add_header(&p->msg, s, len);
		return;
	}
	if (p->msg.n > 0) {
		on_message(p, &p->msg, now);
	}
	p->msg.n = 0;
	p->msg.used = 0;
}

void ami_parser_finish(struct ami_parser *p, int64_t now) {
	p->msg.n = 0;
	p->msg.used = 0;
	struct ami_call *oldest;
	while ((oldest = oldest_call(p)) != NULL) {
		end_call(p, oldest, CALL_STATE_UNKNOWN, now);
	}
}
