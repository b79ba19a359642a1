/* NCID gateways' CALL: and CALLINFO: lines to call events. The formats and
 * how NCID's own server reads them: doc/ncid.md §4 (NCID 1.6,
 * API 1.5: doc/NCID-API.md and server/ncidd.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "ncidgw.h"
#include "utf8.h"

struct gw_call {
	bool used;
	char line[NCIDGW_LINE_MAX];
	struct call_info info;
};

/* The lines that sent a CALLINFO: their calls are waited for longer. */
struct ncidgw_parser {
	ncidgw_call_fn fn;
	void *data;
	uint64_t seq;
	struct gw_call calls[NCIDGW_MAX_CALLS];
	char ends[NCIDGW_MAX_CALLS][NCIDGW_LINE_MAX]; /* oldest forgotten first */
	int n_ends, next_end;
};

struct span {
	const char *s;
	size_t len;
};

/* What one line said; spans point into it. */
struct gw_line {
	bool info;	    /* CALLINFO: */
	struct span hangup; /* CALLINFO's first field: BYE or CANCEL */
	struct span date, scall, type, line, number, name;
	bool has_date, has_scall;
};

/* §4.2, §4.4: the labels of the '...'-separated fields. SCALL and ECALL
 * come before CALL so that CALL does not take them. */
static const char *const labels[] = {"SCALL", "ECALL", "CALL", "DATE", "LINE", "NMBR", "NAME"};

struct ncidgw_parser *ncidgw_parser_create(ncidgw_call_fn fn, void *data) {
	struct ncidgw_parser *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p->fn = fn;
	p->data = data;
	return p;
}

void ncidgw_parser_destroy(struct ncidgw_parser *p) {
	free(p);
}

int ncidgw_parser_calls(const struct ncidgw_parser *p) {
	int n = 0;
	for (int i = 0; i < NCIDGW_MAX_CALLS; i++) {
		n += p->calls[i].used;
	}
	return n;
}

static bool starts(const char *s, size_t len, const char *prefix) {
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

static bool span_is(struct span f, const char *word) {
	return f.len == strlen(word) && memcmp(f.s, word, f.len) == 0;
}

/* The label that begins s (one of labels), or -1. */
static int label_at(const char *s, size_t len) {
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		if (starts(s, len, labels[i])) {
			return (int)i;
		}
	}
	return -1;
}

static void take_field(struct gw_line *g, int label, struct span value) {
	switch (label) {
	case 0:
		g->scall = value;
		g->has_scall = true;
		break;
	case 1: /* ECALL: the end is when the line arrives */
		break;
	case 2:
		g->type = value;
		break;
	case 3:
		g->date = value;
		g->has_date = true;
		break;
	case 4:
		g->line = value;
		break;
	case 5:
		g->number = value;
		break;
	case 6:
		g->name = value;
		break;
	default: /* CALLINFO's BYE or CANCEL, the one unlabelled field */
		if (g->hangup.s == NULL) {
			g->hangup = value;
		}
	}
}

/* Splits the part between "###" and "+++" into fields: a field ends at
 * "..." followed by a label, so a name may hold "..." itself. */
static void split_fields(const char *s, size_t len, struct gw_line *g) {
	size_t start = 0;
	int label = label_at(s, len);
	for (size_t i = 0; i <= len; i++) {
		int next = -1;
		if (i < len && (i + 3 > len || memcmp(s + i, "...", 3) != 0 ||
				(next = label_at(s + i + 3, len - i - 3)) < 0)) {
			continue;
		}
		size_t skip = label >= 0 ? strlen(labels[label]) : 0;
		take_field(g, label, (struct span){s + start + skip, i - start - skip});
		if (i == len) {
			break;
		}
		start = i + 3;
		label = next;
		i += 2;
	}
}

static int parse_line(const char *s, size_t len, struct gw_line *g) {
	memset(g, 0, sizeof(*g));
	if (starts(s, len, "CALLINFO:")) {
		g->info = true;
		s += 9;
		len -= 9;
	} else if (starts(s, len, "CALL:")) {
		s += 5;
		len -= 5;
	} else {
		return -EINVAL;
	}
	while (len > 0 && *s == ' ') {
		s++;
		len--;
	}
	if (!starts(s, len, "###")) {
		return -EINVAL;
	}
	s += 3;
	len -= 3;
	/* §4.2: the fields end at "+++"; an old gateway's line without it
	 * ends at the end */
	for (size_t i = len; i >= 3; i--) {
		if (memcmp(s + i - 3, "+++", 3) == 0) {
			len = i - 3;
			break;
		}
	}
	split_fields(s, len, g);
	return 0;
}

static int digits(const char *s, size_t n) {
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Takes the stamp when it is a time of a day that exists. */
static bool set_stamp(struct call_info *c, int year, int month, int day, int hour, int minute) {
	if (!civil_date_valid(year, month, day) || hour < 0 || hour > 23 || minute < 0 ||
	    minute > 59) {
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

/* §4.3: DATE is mmddhhmm in the gateway's local time, the year the
 * server's: last year's for a late-December stamp read in early January,
 * next year's for a January stamp read in December (the gateway's clock
 * ahead at New Year). "DATE." (the server's time) or garbage: the local
 * stamp stays. */
static void stamp_date(struct call_info *c, struct span d) {
	if (d.len != 8) {
		return;
	}
	int month = digits(d.s, 2), day = digits(d.s + 2, 2);
	int year = c->year;
	if (month > c->month + 1) {
		year--;
	} else if (month < c->month - 10) {
		year++;
	}
	set_stamp(c, year, month, day, digits(d.s + 4, 2), digits(d.s + 6, 2));
}

/* §4.4: SCALL is "mm/dd/yyyy hh:mm:ss". */
static void stamp_scall(struct call_info *c, struct span d) {
	if (d.len != 19 || d.s[2] != '/' || d.s[5] != '/' || d.s[10] != ' ' || d.s[13] != ':') {
		return;
	}
	set_stamp(c, digits(d.s + 6, 4), digits(d.s, 2), digits(d.s + 3, 2), digits(d.s + 11, 2),
		  digits(d.s + 14, 2));
}

static bool is_word(struct span f, const char *const *words) {
	for (; *words != NULL; words++) {
		if (f.len == strlen(*words) && strncasecmp(f.s, *words, f.len) == 0) {
			return true;
		}
	}
	return false;
}

/* §3.3: the words gateways and NCID write for a number that was withheld
 * (P, O and A are ncidd's built-in aliases), and for none at all. */
static const char *const private_words[] = {"P",	  "PRIVATE",  "ANONYMOUS", "A",
					    "Restricted", "unlisted", NULL};
static const char *const unavailable_words[] = {"O", "OUT-OF-AREA", "OUT OF AREA", NULL};
static const char *const no_name_words[] = {"-",       "NO NAME", "NONAME", "noname",
					    "BADNAME", "NO-NAME", NULL};

static void take_number(struct call_info *c, struct span f) {
	if (is_word(f, private_words)) {
		c->withheld = CALL_WITHHELD_PRIVATE;
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < f.len && n < CALL_NUMBER_MAX - 1; i++) {
		char ch = f.s[i];
		if ((ch >= '0' && ch <= '9') || (ch == '+' && n == 0)) {
			c->number[n++] = ch;
		}
	}
	c->number[n] = '\0';
	if (n == 0 || (n == 1 && c->number[0] == '+')) {
		c->number[0] = '\0';
		c->withheld = CALL_WITHHELD_UNAVAILABLE; /* "-", NO-NUMBER, OUT-OF-AREA, #####8 */
	}
}

static void take_name(struct call_info *c, struct span f) {
	if (is_word(f, private_words)) {
		c->name_withheld = CALL_WITHHELD_PRIVATE;
	} else if (is_word(f, unavailable_words)) {
		c->name_withheld = CALL_WITHHELD_UNAVAILABLE;
	} else if (!is_word(f, no_name_words)) {
		utf8_sanitize(f.s, f.len, c->name, sizeof(c->name));
	}
}

/* The gateway's LINE, "-" for none (ncidd's default lineid, §3.3). */
static void take_line(char out[NCIDGW_LINE_MAX], struct span f) {
	utf8_sanitize(f.s, f.len, out, NCIDGW_LINE_MAX);
	if (out[0] == '\0') {
		strcpy(out, "-");
	}
}

static bool line_ends_calls(const struct ncidgw_parser *p, const char *line) {
	for (int k = 0; k < p->n_ends; k++) {
		if (strcmp(p->ends[k], line) == 0) {
			return true;
		}
	}
	return false;
}

static void note_line_ends_calls(struct ncidgw_parser *p, const char *line) {
	if (!line_ends_calls(p, line)) {
		snprintf(p->ends[p->next_end], NCIDGW_LINE_MAX, "%s", line);
		p->next_end = (p->next_end + 1) % NCIDGW_MAX_CALLS;
		if (p->n_ends < NCIDGW_MAX_CALLS) {
			p->n_ends++;
		}
	}
}

static void end_call(struct ncidgw_parser *p, struct gw_call *c, enum call_state state, int64_t now) {
	c->info.state = state;
	c->info.ended_wall = now;
	c->used = false;
	p->fn(&c->info, CALL_ENDED, p->data);
}

static struct gw_call *find(struct ncidgw_parser *p, const char *line, const struct call_info *i,
			    bool by_number) {
	struct gw_call *found = NULL;
	for (int k = 0; k < NCIDGW_MAX_CALLS; k++) {
		struct gw_call *c = &p->calls[k];
		if (!c->used || strcmp(c->line, line) != 0 ||
		    (by_number &&
		     (strcmp(c->info.number, i->number) != 0 || c->info.withheld != i->withheld))) {
			continue;
		}
		if (found == NULL || c->info.seq < found->info.seq) {
			found = c; /* the oldest: the one CALLINFO most likely ends */
		}
	}
	return found;
}

/* A free place for a new call; the oldest gives way when all are taken. */
static struct gw_call *place(struct ncidgw_parser *p, int64_t now) {
	struct gw_call *oldest = NULL;
	for (int k = 0; k < NCIDGW_MAX_CALLS; k++) {
		struct gw_call *c = &p->calls[k];
		if (!c->used) {
			return c;
		}
		if (oldest == NULL || c->info.seq < oldest->info.seq) {
			oldest = c;
		}
	}
	end_call(p, oldest, CALL_STATE_UNKNOWN, now);
	return oldest;
}

/* c as g tells it (no seq yet: a probe gets none). */
static void fill(struct gw_call *c, const struct gw_line *g, int64_t now) {
	memset(c, 0, sizeof(*c));
	c->used = true;
	take_line(c->line, g->line);
	struct call_info *i = &c->info;
	i->line = c->line;
	i->started_wall = now;
	i->state = CALL_STATE_RINGING;
	i->has_cid = true;
	call_info_local_stamp(i, now);
	if (g->has_scall) {
		stamp_scall(i, g->scall);
	}
	if (!i->has_date && g->has_date) {
		stamp_date(i, g->date);
	}
	take_number(i, g->number);
	take_name(i, g->name);
	/* §4.2: no CALL field is IN; OUT was placed from the line */
	i->outgoing = span_is(g->type, "OUT");
	i->waiting = span_is(g->type, "WID");
}

/* §4.2: a call begins. One still ringing on the same line from the same
 * number is the gateway telling it twice: it ends first. HUP and BLK are
 * calls the gateway refused: they end at once. */
static int on_call(struct ncidgw_parser *p, const struct gw_line *g, int64_t now) {
	struct gw_call probe;
	fill(&probe, g, now);
	struct gw_call *old = find(p, probe.line, &probe.info, true);
	if (old != NULL) {
		end_call(p, old, CALL_STATE_UNKNOWN, now);
	}
	struct gw_call *c = place(p, now);
	fill(c, g, now);
	c->info.seq = ++p->seq;
	p->fn(&c->info, CALL_STARTED, p->data);
	if (span_is(g->type, "HUP") || span_is(g->type, "BLK")) {
		end_call(p, c, CALL_STATE_UNKNOWN, now);
	}
	return 0;
}

/* §4.4: CANCEL ends a call nobody answered, BYE one that was. One ctid did
 * not see begin is logged whole, so that no missed call is lost. */
static int on_callinfo(struct ncidgw_parser *p, const struct gw_line *g, int64_t now) {
	bool bye = span_is(g->hangup, "BYE");
	if (!bye && !span_is(g->hangup, "CANCEL")) {
		return -EINVAL;
	}
	struct gw_call probe;
	fill(&probe, g, now);
	note_line_ends_calls(p, probe.line);
	struct gw_call *c = find(p, probe.line, &probe.info, true);
	if (c == NULL && g->number.len == 0) {
		c = find(p, probe.line, &probe.info, false);
	}
	if (c == NULL) {
		if (g->number.len == 0) {
			return -ENOENT;
		}
		c = place(p, now);
		fill(c, g, now);
		c->info.seq = ++p->seq;
		p->fn(&c->info, CALL_STARTED, p->data);
	}
	if (c->info.name[0] == '\0' && probe.info.name[0] != '\0') {
		memcpy(c->info.name, probe.info.name, sizeof(c->info.name));
	}
	enum call_state state = bye		   ? CALL_STATE_ANSWERED
				: c->info.outgoing ? CALL_STATE_UNKNOWN
						   : CALL_STATE_MISSED;
	end_call(p, c, state, now);
	return 0;
}

int ncidgw_parser_line(struct ncidgw_parser *p, const char *s, size_t len, int64_t now) {
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n')) {
		len--;
	}
	if (len > NCIDGW_INPUT_MAX) {
		return -EMSGSIZE;
	}
	struct gw_line g;
	int ret = parse_line(s, len, &g);
	if (ret < 0) {
		return ret;
	}
	return g.info ? on_callinfo(p, &g, now) : on_call(p, &g, now);
}

int ncidgw_parser_expire(struct ncidgw_parser *p, int64_t now) {
	int n = 0;
	for (int k = 0; k < NCIDGW_MAX_CALLS; k++) {
		struct gw_call *c = &p->calls[k];
		int64_t max = line_ends_calls(p, c->line) ? NCIDGW_CALL_MAX_MS : NCIDGW_RING_MAX_MS;
		if (c->used && now - c->info.started_wall > max) {
			end_call(p, c, CALL_STATE_UNKNOWN, now);
			n++;
		}
	}
	return n;
}

void ncidgw_parser_finish(struct ncidgw_parser *p, int64_t now) {
	for (int k = 0; k < NCIDGW_MAX_CALLS; k++) {
		if (p->calls[k].used) {
			end_call(p, &p->calls[k], CALL_STATE_UNKNOWN, now);
		}
	}
}
