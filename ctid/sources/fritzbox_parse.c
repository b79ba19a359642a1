/* The FRITZ!Box call monitor's lines to call events. Field positions and
 * their meaning: doc/fritzbox.md (home-assistant, FHEM, jfritz and
 * a1fbox read them alike). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "fritzbox.h"
#include "utf8.h"

#define MAX_FIELDS  8
#define CONN_ID_MAX 8

struct fb_call {
	bool used;
	bool connected;
	char id[CONN_ID_MAX];
	struct call_info info;
};

struct fritzbox_parser {
	char *line;
	fritzbox_call_fn fn;
	void *data;
	uint64_t seq;
	struct fb_call calls[FRITZBOX_MAX_CALLS];
};

struct field {
	const char *s;
	size_t len;
};

struct fritzbox_parser *fritzbox_parser_create(const char *line, fritzbox_call_fn fn, void *data) {
	struct fritzbox_parser *p = calloc(1, sizeof(*p));
	if (p == NULL || (p->line = strdup(line)) == NULL) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->fn = fn;
	p->data = data;
	return p;
}

void fritzbox_parser_destroy(struct fritzbox_parser *p) {
	if (p == NULL) {
		return;
	}
	free(p->line);
	free(p);
}

int fritzbox_parser_calls(const struct fritzbox_parser *p) {
	int n = 0;
	for (int i = 0; i < FRITZBOX_MAX_CALLS; i++) {
		n += p->calls[i].used;
	}
	return n;
}

/* Splits s at ';' into at most MAX_FIELDS fields (the last takes the rest);
 * returns how many. A line without its trailing ';' (older firmware) has
 * the same fields. */
static int split(const char *s, size_t len, struct field out[MAX_FIELDS]) {
	int n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len && n < MAX_FIELDS; i++) {
		if (i == len || s[i] == ';') {
			out[n++] = (struct field){s + start, i - start};
			start = i + 1;
		}
	}
	return n;
}

static bool field_is(struct field f, const char *word) {
	return f.len == strlen(word) && memcmp(f.s, word, f.len) == 0;
}

static int two_digits(const char *s) {
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') {
		return -1;
	}
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* The box's stamp, "dd.mm.yy HH:MM:SS"; false for anything else (a 7390
 * once sent "01.01.-30 03:10:5"). */
static bool parse_date(struct field f, struct call_info *c) {
	static const char shape[] = "dd.mm.yy HH:MM:SS";
	if (f.len != sizeof(shape) - 1) {
		return false;
	}
	for (size_t i = 0; i < f.len; i++) {
		bool digit = f.s[i] >= '0' && f.s[i] <= '9';
		if (shape[i] == '.' || shape[i] == ' ' || shape[i] == ':' ? f.s[i] != shape[i]
									  : !digit) {
			return false;
		}
	}
	int day = two_digits(f.s), month = two_digits(f.s + 3), year = 2000 + two_digits(f.s + 6);
	int hour = two_digits(f.s + 9), minute = two_digits(f.s + 12);
	if (!civil_date_valid(year, month, day) || hour > 23 || minute > 59) {
		return false;
	}
	c->year = year;
	c->month = month;
	c->day = day;
	c->hour = hour;
	c->minute = minute;
	c->has_date = c->has_time = true;
	return true;
}

/* A number as the box sent it, kept to digits and a leading '+' (a
 * trailing '#' and call-by-call separators go). Returns whether the field
 * held anything at all. */
static bool take_number(struct field f, char out[CALL_NUMBER_MAX]) {
	size_t n = 0;
	for (size_t i = 0; i < f.len && n < CALL_NUMBER_MAX - 1; i++) {
		char ch = f.s[i];
		if ((ch >= '0' && ch <= '9') || (ch == '+' && n == 0)) {
			out[n++] = ch;
		}
	}
	out[n] = '\0';
	for (size_t i = 0; i < f.len; i++) {
		if (f.s[i] != ' ' && f.s[i] != '\r') {
			return true;
		}
	}
	return false;
}

static struct fb_call *find(struct fritzbox_parser *p, struct field id) {
	for (int i = 0; i < FRITZBOX_MAX_CALLS; i++) {
		struct fb_call *c = &p->calls[i];
		if (c->used && strlen(c->id) == id.len && memcmp(c->id, id.s, id.len) == 0) {
			return c;
		}
	}
	return NULL;
}

static void end_call(struct fritzbox_parser *p, struct fb_call *c, int64_t now) {
	struct call_info *i = &c->info;
	i->ended_wall = now;
	if (c->connected) {
		i->state = CALL_STATE_ANSWERED;
	} else if (i->state == CALL_STATE_RINGING) {
		i->state = CALL_STATE_UNKNOWN;
	}
	c->used = false;
	p->fn(i, CALL_ENDED, p->data);
}

static bool valid_id(struct field id) {
	if (id.len == 0 || id.len >= CONN_ID_MAX) {
		return false;
	}
	for (size_t i = 0; i < id.len; i++) {
		if (id.s[i] < '0' || id.s[i] > '9') {
			return false;
		}
	}
	return true;
}

/* A new call under id: one the box forgot to end under the same id, or
 * the oldest when all places are taken, ends first. */
static struct fb_call *start_call(struct fritzbox_parser *p, struct field id, struct field date,
				  int64_t now) {
	struct fb_call *c = find(p, id);
	if (c != NULL) {
		end_call(p, c, now);
	}
	for (int i = 0; i < FRITZBOX_MAX_CALLS && c == NULL; i++) {
		if (!p->calls[i].used) {
			c = &p->calls[i];
		}
	}
	if (c == NULL) {
		c = &p->calls[0];
		for (int i = 1; i < FRITZBOX_MAX_CALLS; i++) {
			if (p->calls[i].info.seq < c->info.seq) {
				c = &p->calls[i];
			}
		}
		end_call(p, c, now);
	}
	memset(c, 0, sizeof(*c));
	c->used = true;
	memcpy(c->id, id.s, id.len);
	c->id[id.len] = '\0';
	struct call_info *i = &c->info;
	i->seq = ++p->seq;
	i->line = p->line;
	i->started_wall = now;
	i->state = CALL_STATE_RINGING;
	if (!parse_date(date, i)) {
		call_info_local_stamp(i, now);
	}
	return c;
}

/* RING;ConnID;Caller;Called;Line: an empty caller is a withheld number. */
static int on_ring(struct fritzbox_parser *p, const struct field *f, int n, int64_t now) {
	if (n < 5) {
		return -EINVAL;
	}
	struct fb_call *c = start_call(p, f[2], f[0], now);
	struct call_info *i = &c->info;
	if (!take_number(f[3], i->number)) {
		i->withheld = CALL_WITHHELD_PRIVATE;
	} else if (i->number[0] == '\0') {
		i->withheld = CALL_WITHHELD_UNAVAILABLE;
	}
	take_number(f[4], i->called);
	i->has_cid = true;
	i->rings = 1;
	p->fn(i, CALL_STARTED, p->data);
	return 0;
}

/* CALL;ConnID;Ext;Own;Dialled;Line: placed from extension Ext. */
static int on_call(struct fritzbox_parser *p, const struct field *f, int n, int64_t now) {
	if (n < 6) {
		return -EINVAL;
	}
	struct fb_call *c = start_call(p, f[2], f[0], now);
	struct call_info *i = &c->info;
	i->outgoing = true;
	take_number(f[5], i->number);
	take_number(f[4], i->called);
	utf8_sanitize(f[3].s, f[3].len, i->answered_by, sizeof(i->answered_by));
	p->fn(i, CALL_STARTED, p->data);
	return 0;
}

static bool answering_machine(const char *ext) {
	return strlen(ext) == 2 && ext[0] == '4' && ext[1] >= '0' && ext[1] <= '9';
}

/* CONNECT;ConnID;Ext;Number: extension Ext took the call (or, placed, the
 * other end answered). */
static int on_connect(struct fritzbox_parser *p, const struct field *f, int n, int64_t now) {
	(void)now;
	if (n < 4) {
		return -EINVAL;
	}
	struct fb_call *c = find(p, f[2]);
	if (c == NULL) {
		return -ENOENT;
	}
	utf8_sanitize(f[3].s, f[3].len, c->info.answered_by, sizeof(c->info.answered_by));
	/* The box's answering machines (40-49, **600...) take a call nobody
	 * else did: the caller still waits to be called back (FHEM offers the
	 * same as answMachine-is-missed-call). */
	if (c->info.outgoing || !answering_machine(c->info.answered_by)) {
		c->connected = true;
		c->info.state = CALL_STATE_ANSWERED;
	}
	p->fn(&c->info, CALL_UPDATED, p->data);
	return 0;
}

/* DISCONNECT;ConnID;Seconds: a call nobody took is missed (a placed one
 * that nobody answered is not: nobody here missed it). */
static int on_disconnect(struct fritzbox_parser *p, const struct field *f, int n, int64_t now) {
	if (n < 3) {
		return -EINVAL;
	}
	struct fb_call *c = find(p, f[2]);
	if (c == NULL) {
		return -ENOENT;
	}
	if (!c->connected) {
		c->info.state = c->info.outgoing ? CALL_STATE_UNKNOWN : CALL_STATE_MISSED;
	}
	end_call(p, c, now);
	return 0;
}

int fritzbox_parser_line(struct fritzbox_parser *p, const char *s, size_t len, int64_t now) {
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n')) {
		len--;
	}
	struct field f[MAX_FIELDS];
	int n = split(s, len, f);
	if (n < 3 || !valid_id(f[2])) {
		return -EINVAL;
	}
	if (field_is(f[1], "RING")) {
		return on_ring(p, f, n, now);
	}
	if (field_is(f[1], "CALL")) {
		return on_call(p, f, n, now);
	}
	if (field_is(f[1], "CONNECT")) {
		return on_connect(p, f, n, now);
	}
	if (field_is(f[1], "DISCONNECT")) {
		return on_disconnect(p, f, n, now);
	}
	return -EINVAL;
}

void fritzbox_parser_finish(struct fritzbox_parser *p, int64_t now) {
	/* oldest first, as they began */
	for (;;) {
		struct fb_call *oldest = NULL;
		for (int i = 0; i < FRITZBOX_MAX_CALLS; i++) {
			struct fb_call *c = &p->calls[i];
			if (c->used && (oldest == NULL || c->info.seq < oldest->info.seq)) {
				oldest = c;
			}
		}
		if (oldest == NULL) {
			return;
		}
		end_call(p, oldest, now);
	}
}
