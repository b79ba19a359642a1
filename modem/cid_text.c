/*
 * Caller ID that landline modems print as text: formatted KEY = value lines
 * (Rockwell/Conexant/USR +VCID=1, #CID=1), ZyXEL, ISDN FM:/TO:, ELSA
 * RING;from;to, CallerID:, Kortex, the NetCallerID box, and the RING line
 * in all its variants (distinctive rings, Lucent DRON/DROF cadence).
 */
#include <stdio.h>
#include <string.h>

#include "cid_internal.h"

static bool is_digit(char c) {
	return c >= '0' && c <= '9';
}

static void emit_number(struct cid_sink *s, const char *v, size_t n, const char *line, size_t len) {
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_NUMBER);
	cid_set_number(&ev, v, n);
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
}

static void emit_name(struct cid_sink *s, const char *v, size_t n, const char *line, size_t len) {
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_NAME);
	cid_set_name(&ev, v, n);
	if (ev.name[0] == '\0' && ev.withheld == CALL_WITHHELD_NONE) {
		return; /* "NAME=" with nothing after it */
	}
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
}

static void emit_called(struct cid_sink *s, const char *v, size_t n, const char *line, size_t len) {
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_CALLED);
	cid_set_called(&ev, v, n);
	if (ev.number[0] == '\0') {
		return;
	}
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
}

/* A reason letter (ZyXEL, SDMF/MDMF): P private, anything else unavailable. */
static enum call_withheld reason_letter(const char *v, size_t n) {
	v = cid_trim(v, &n);
	enum call_withheld why = cid_special_value(v, n);
	return why != CALL_WITHHELD_NONE ? why : CALL_WITHHELD_UNAVAILABLE;
}

static void emit_date(struct cid_sink *s, int year, int month, int day, int hour, int minute,
		      const char *line, size_t len) {
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_DATE);
	ev.year = year;
	ev.month = month;
	ev.day = day;
	ev.hour = hour;
	ev.minute = minute;
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
}

/* Keeps only the digits of v (at most outsz - 1 of them). */
static size_t only_digits(const char *v, size_t n, char *out, size_t outsz) {
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outsz; i++) {
		if (is_digit(v[i])) {
			out[o++] = v[i];
		}
	}
	out[o] = '\0';
	return o;
}

/*
 * DATE = MMDD (Rockwell), YYMMDD (seen by MisterHouse: "DATE = 990305"),
 * MMDDHHMM or YYYYMMDD. An empty value (NetTalk sends "DATE=") is nothing.
 */
static void parse_date_value(struct cid_sink *s, const char *v, size_t n, const char *line,
			     size_t len) {
	char d[16];
	v = cid_trim(v, &n);
	if (n == 0) {
		return;
	}
	size_t nd = only_digits(v, n, d, sizeof(d));
	int y = 0, mo = -1, da = -1, h = -1, mi = -1;
	if (nd == 4) {
		mo = cid_digits(d, 2);
		da = cid_digits(d + 2, 2);
	} else if (nd == 6) {
		y = cid_digits(d, 2);
		y += y < 70 ? 2000 : 1900;
		mo = cid_digits(d + 2, 2);
		da = cid_digits(d + 4, 2);
	} else if (nd == 8) {
		mo = cid_digits(d, 2);
		da = cid_digits(d + 2, 2);
		h = cid_digits(d + 4, 2);
		mi = cid_digits(d + 6, 2);
		if (!cid_date_valid(mo, da) || !cid_time_valid(h, mi)) {
			y = cid_digits(d, 4);
			mo = cid_digits(d + 4, 2);
			da = cid_digits(d + 6, 2);
			h = mi = -1;
		}
	}
	if (!cid_date_valid(mo, da)) {
		cid_emit_error(s, "Date not understood: %.*s", (int)(n > 64 ? 64 : n), v);
		return;
	}
	emit_date(s, y, mo, da, h, mi, line, len);
}

/* TIME = HHMM. Extra digits ("TIME = 12541" in NCID's test data) are ignored. */
static void parse_time_value(struct cid_sink *s, const char *v, size_t n, const char *line,
			     size_t len) {
	char d[16];
	v = cid_trim(v, &n);
	if (n == 0) {
		return;
	}
	size_t nd = only_digits(v, n, d, sizeof(d));
	int h = nd >= 4 ? cid_digits(d, 2) : -1;
	int mi = nd >= 4 ? cid_digits(d + 2, 2) : -1;
	if (!cid_time_valid(h, mi)) {
		cid_emit_error(s, "Time not understood: %.*s", (int)(n > 64 ? 64 : n), v);
		return;
	}
	emit_date(s, 0, -1, -1, h, mi, line, len);
}

enum key {
	KEY_DATE,
	KEY_TIME,
	KEY_NMBR,
	KEY_NAME,
	KEY_MESG,
	KEY_DDN,
};

/*
 * Keys of the formatted format. DDN_NMBR carries the caller's number on some
 * Rockwell modems (mgetty cnd.c, NCID, MisterHouse: Bell Canada), NBR on the
 * Kortex Adaptix (mgetty, NCID). A bare DDN is taken as the called number
 * (dialled directory number); no transcript with it was found.
 */
static const struct {
	const char *name;
	enum key key;
} keys[] = {
	{"DDN_NMBR", KEY_NMBR}, {"NMBR", KEY_NMBR}, {"NAME", KEY_NAME}, {"DATE", KEY_DATE},
	{"TIME", KEY_TIME},	{"MESG", KEY_MESG}, {"NBR", KEY_NMBR},	{"DDN", KEY_DDN},
};

/* Whether a key followed by optional blanks and '=' starts at line[i];
 * sets *key and *value (the index after '='). */
static bool key_at(const char *line, size_t len, size_t i, enum key *key, size_t *value) {
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t kl = strlen(keys[k].name);
		if (i + kl > len || memcmp(line + i, keys[k].name, kl) != 0) {
			continue;
		}
		size_t j = i + kl;
		while (j < len && line[j] == ' ') {
			j++;
		}
		if (j < len && line[j] == '=') {
			*key = keys[k].key;
			*value = j + 1;
			return true;
		}
		return false;
	}
	return false;
}

static void formatted_field(struct cid_sink *s, enum key key, const char *v, size_t n,
			    const char *line, size_t len) {
	switch (key) {
	case KEY_DATE:
		parse_date_value(s, v, n, line, len);
		break;
	case KEY_TIME:
		parse_time_value(s, v, n, line, len);
		break;
	case KEY_NMBR:
		emit_number(s, v, n, line, len);
		break;
	case KEY_NAME:
		emit_name(s, v, n, line, len);
		break;
	case KEY_MESG:
		cid_parse_mesg(s, v, n);
		break;
	case KEY_DDN:
		emit_called(s, v, n, line, len);
		break;
	}
}

/*
 * KEY = value, KEY=value, with any spacing. Several may share a line when
 * the modem lost a line ending: MisterHouse shows "NAME=ARCHER L
 * NMBR=5071234567" and "NAME=ONMBR=5072884388".
 */
static bool parse_formatted(struct cid_sink *s, const char *line, size_t len) {
	enum key key;
	size_t value;
	if (!key_at(line, len, 0, &key, &value)) {
		return false;
	}
	while (true) {
		size_t end = value;
		enum key next = key;
		size_t next_value = len;
		while (end < len && !key_at(line, len, end, &next, &next_value)) {
			end++;
		}
		formatted_field(s, key, line + value, end - value, line, len);
		if (end >= len) {
			break;
		}
		key = next;
		value = next_value;
	}
	return true;
}

/* Lucent/Agere V.253 ring cadence: DRON=<on>, DROF=<off> in 100 ms units,
 * reported before the RING they describe (mgetty ring.c, NCID Modems.md).
 * The ring-on times are kept as "DRON=5,5" for the next RING. */
static bool parse_cadence(struct cid_sink *s, const char *line, size_t len) {
	if (!cid_prefix(line, len, "DRON") && !cid_prefix(line, len, "DROF")) {
		return false;
	}
	size_t i = 4;
	while (i < len && (line[i] == ' ' || line[i] == '=')) {
		i++;
	}
	char d[8];
	size_t nd = 0;
	while (i < len && is_digit(line[i]) && nd + 1 < sizeof(d)) {
		d[nd++] = line[i++];
	}
	d[nd] = '\0';
	if (nd > 0 && line[3] == 'N' && s->cadence != NULL) {
		size_t have = strlen(s->cadence);
		char add[16];
		snprintf(add, sizeof(add), "%s%s", have == 0 ? "DRON=" : ",", d);
		if (have + strlen(add) < s->cadence_size) {
			memcpy(s->cadence + have, add, strlen(add) + 1);
		}
	}
	cid_emit_simple(s, CID_EV_LINE, line, len);
	return true;
}

static void emit_ring(struct cid_sink *s, const char *type, size_t tlen, const char *line,
		      size_t len) {
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_RING);
	cid_copy(ev.ring_type, sizeof(ev.ring_type), type, tlen);
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
}

/* "<from>[<non-digits><to>]" as ELSA (RING;from;to) and USR ("RING 1234")
 * print it, per mgetty ring.c. */
static void from_to(struct cid_sink *s, const char *p, size_t n, const char *line, size_t len) {
	size_t i = 0;
	while (i < n && !is_digit(p[i]) && p[i] != '+') {
		i++;
	}
	size_t start = i;
	while (i < n && (is_digit(p[i]) || (i == start && p[i] == '+'))) {
		i++;
	}
	if (i > start) {
		emit_number(s, p + start, i - start, line, len);
	}
	while (i < n && !is_digit(p[i])) {
		i++;
	}
	if (i < n) {
		emit_called(s, p + i, n - i, line, len);
	}
}

/*
 * RING, RING A / RING 2 (3Com, Rockwell distinctive rings), RING;from;to
 * (ELSA), RING/to (isdn4linux), RING 1234 (USR), CID RING (Kortex), and
 * "RING RING DATE=..." where line endings were lost (MisterHouse).
 */
static bool parse_ring(struct cid_sink *s, const char *line, size_t len) {
	if (len == 8 && memcmp(line, "CID RING", 8) == 0) {
		emit_ring(s, "", 0, line, len);
		return true;
	}
	if (!cid_prefix(line, len, "RING") ||
	    (len > 4 && line[4] != ' ' && line[4] != ';' && line[4] != '/' && line[4] != ':')) {
		return false;
	}
	size_t i = 4;
	if (i < len && (line[i] == ';' || line[i] == '/' || line[i] == ':')) {
		emit_ring(s, "", 0, line, len);
		if (line[i] == ';') {
			from_to(s, line + i + 1, len - i - 1, line, len);
		} else if (line[i] == '/') {
			emit_called(s, line + i + 1, len - i - 1, line, len);
		}
		return true;
	}
	/* Leading RING tokens, each one ring. */
	size_t rings = 0;
	i = 0;
	while (true) {
		while (i < len && line[i] == ' ') {
			i++;
		}
		if (cid_prefix(line + i, len - i, "RING") && (i + 4 == len || line[i + 4] == ' ')) {
			rings++;
			i += 4;
			continue;
		}
		break;
	}
	const char *rest = line + i;
	size_t rn = len - i;
	enum key key;
	size_t value;
	size_t digits = 0;
	while (digits < rn && is_digit(rest[digits])) {
		digits++;
	}
	if (rn == 0 || key_at(rest, rn, 0, &key, &value) || digits >= 3) {
		for (size_t r = 0; r < rings; r++) {
			emit_ring(s, "", 0, line, len);
		}
		if (rn == 0) {
			return true;
		}
		if (digits >= 3) {
			from_to(s, rest, rn, line, len);
		} else {
			parse_formatted(s, rest, rn);
		}
		return true;
	}
	for (size_t r = 1; r < rings; r++) {
		emit_ring(s, "", 0, line, len);
	}
	size_t tok = 0;
	while (tok < rn && rest[tok] != ' ') {
		tok++;
	}
	emit_ring(s, rest, tok, line, len);
	return true;
}

/* ZyXEL U-1496 (mgetty cnd.c, MisterHouse Caller_ID.pm format 3). */
static bool parse_zyxel(struct cid_sink *s, const char *line, size_t len) {
	static const char *const no_number = "REASON FOR NO CALLER NUMBER:";
	static const char *const no_name = "REASON FOR NO CALLER NAME:";
	if (cid_prefix(line, len, no_number)) {
		size_t k = strlen(no_number);
		struct cid_event ev;
		cid_event_init(&ev, CID_EV_NUMBER);
		ev.withheld = reason_letter(line + k, len - k);
		cid_copy(ev.text, sizeof(ev.text), line, len);
		cid_emit(s, &ev);
		return true;
	}
	if (cid_prefix(line, len, no_name)) {
		size_t k = strlen(no_name);
		struct cid_event ev;
		cid_event_init(&ev, CID_EV_NAME);
		ev.withheld = reason_letter(line + k, len - k);
		cid_copy(ev.text, sizeof(ev.text), line, len);
		cid_emit(s, &ev);
		return true;
	}
	static const struct {
		const char *prefix;
		enum cid_event_type type;
	} fields[] = {
		{"CALLER NUMBER:", CID_EV_NUMBER},
		{"CALLER'S NUMBER:", CID_EV_NUMBER},
		{"CALLER NAME:", CID_EV_NAME},
		{"CALLED NUMBER:", CID_EV_CALLED},
	};
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		size_t k = strlen(fields[f].prefix);
		if (!cid_prefix(line, len, fields[f].prefix)) {
			continue;
		}
		if (fields[f].type == CID_EV_NUMBER) {
			emit_number(s, line + k, len - k, line, len);
		} else if (fields[f].type == CID_EV_NAME) {
			emit_name(s, line + k, len - k, line, len);
		} else {
			emit_called(s, line + k, len - k, line, len);
		}
		return true;
	}
	/* TIME: MM-DD HH:MM */
	if (cid_prefix(line, len, "TIME:")) {
		size_t n = len - 5;
		const char *v = cid_trim(line + 5, &n);
		if (n >= 11 && v[2] == '-' && v[5] == ' ' && v[8] == ':') {
			int mo = cid_digits(v, 2), da = cid_digits(v + 3, 2);
			int h = cid_digits(v + 6, 2), mi = cid_digits(v + 9, 2);
			if (cid_date_valid(mo, da) && cid_time_valid(h, mi)) {
				emit_date(s, 0, mo, da, h, mi, line, len);
				return true;
			}
		}
		cid_emit_error(s, "Time not understood: %.*s", (int)(n > 64 ? 64 : n), v);
		return true;
	}
	return false;
}

/* ZyXEL 2864I ISDN: "FM:<from> [/sub/] TO:<to>" or "TO:<to>" (mgetty ring.c). */
static bool parse_fm_to(struct cid_sink *s, const char *line, size_t len) {
	if (!cid_prefix(line, len, "FM:") && !cid_prefix(line, len, "TO:")) {
		return false;
	}
	const char *to = NULL;
	for (size_t i = 0; i + 3 <= len; i++) {
		if (memcmp(line + i, "TO:", 3) == 0) {
			to = line + i;
			break;
		}
	}
	if (line[0] == 'F') {
		const char *from = line + 3;
		size_t n = (to != NULL ? (size_t)(to - from) : len - 3);
		/* Drop a sub-address: "/<something>/". */
		const char *slash = memchr(from, '/', n);
		if (slash != NULL) {
			n = (size_t)(slash - from);
		}
		emit_number(s, from, n, line, len);
	}
	if (to != NULL) {
		size_t n = len - (size_t)(to + 3 - line);
		const char *slash = memchr(to + 3, '/', n);
		if (slash != NULL) {
			n = (size_t)(slash - (to + 3));
		}
		emit_called(s, to + 3, n, line, len);
	}
	return true;
}

/* Kortex Adaptix (France Telecom), per ncidd: "DATE TIME=11/24 22:10". */
static bool parse_kortex_date(struct cid_sink *s, const char *line, size_t len) {
	if (!cid_prefix(line, len, "DATE TIME")) {
		return false;
	}
	size_t i = 9;
	while (i < len && line[i] == ' ') {
		i++;
	}
	if (i >= len || line[i] != '=') {
		return false;
	}
	size_t n = len - i - 1;
	const char *v = cid_trim(line + i + 1, &n);
	if (n >= 11 && v[2] == '/' && v[5] == ' ' && v[8] == ':') {
		int mo = cid_digits(v, 2), da = cid_digits(v + 3, 2);
		int h = cid_digits(v + 6, 2), mi = cid_digits(v + 9, 2);
		if (cid_date_valid(mo, da) && cid_time_valid(h, mi)) {
			emit_date(s, 0, mo, da, h, mi, line, len);
			return true;
		}
	}
	cid_emit_error(s, "Date not understood: %.*s", (int)(n > 64 ? 64 : n), v);
	return true;
}

/* The value after label up to the next "..." or "+++" (NetCallerID). */
static bool ncid_field(const char *line, size_t len, const char *label, const char **v, size_t *n) {
	size_t ll = strlen(label);
	for (size_t i = 0; i + ll <= len; i++) {
		if (memcmp(line + i, label, ll) != 0) {
			continue;
		}
		size_t start = i + ll, end = start;
		while (end < len && !(end + 3 <= len && (memcmp(line + end, "...", 3) == 0 ||
							 memcmp(line + end, "+++", 3) == 0))) {
			end++;
		}
		*v = line + start;
		*n = end - start;
		return true;
	}
	return false;
}

/*
 * The NetCallerID serial box prints a whole call on one line (ncidd.c,
 * MisterHouse Caller_ID.pm format 4):
 *   ###DATE03301423...NMBR4075551212...NAMEWIRELESS CALL+++
 *   ###DATE03301423...NMBR...NAME-UNKNOWN CALLER-+++
 *   ###DATE...NMBR...NAME   -MSG OFF-+++       (message waiting, not a call)
 */
static bool parse_netcallerid(struct cid_sink *s, const char *line, size_t len) {
	if (!cid_prefix(line, len, "###")) {
		return false;
	}
	const char *v;
	size_t n;
	const char *name = "";
	size_t name_len = 0;
	if (ncid_field(line, len, "NAME", &v, &n)) {
		name = cid_trim(v, &n);
		name_len = n;
	}
	if (cid_prefix(name, name_len, "-MSG")) {
		struct cid_event ev;
		cid_event_init(&ev, CID_EV_MESG);
		cid_copy(ev.text, sizeof(ev.text), name, name_len);
		cid_emit(s, &ev);
		return true;
	}
	if (ncid_field(line, len, "DATE", &v, &n) && n > 0) {
		parse_date_value(s, v, n, line, len);
	}
	/* "-UNKNOWN CALLER-": the dashes are the box's decoration. */
	const char *bare = name;
	size_t bare_len = name_len;
	if (bare_len >= 2 && bare[0] == '-' && bare[bare_len - 1] == '-') {
		bare++;
		bare_len -= 2;
	}
	enum call_withheld name_why = cid_special_value(bare, bare_len);
	if (ncid_field(line, len, "NMBR", &v, &n)) {
		v = cid_trim(v, &n);
		struct cid_event ev;
		cid_event_init(&ev, CID_EV_NUMBER);
		cid_set_number(&ev, v, n);
		if (n == 0 && name_why != CALL_WITHHELD_NONE) {
			ev.withheld = name_why;
		}
		cid_copy(ev.text, sizeof(ev.text), line, len);
		cid_emit(s, &ev);
	}
	if (bare_len > 0) {
		emit_name(s, bare, bare_len, line, len);
	}
	return true;
}

/* "CallerID: <number>" (USR Courier hack, per mgetty cnd.c). */
static bool parse_callerid_colon(struct cid_sink *s, const char *line, size_t len) {
	if (!cid_prefix_ci(line, len, "CALLERID:")) {
		return false;
	}
	emit_number(s, line + 9, len - 9, line, len);
	return true;
}

bool cid_parse_text(struct cid_sink *s, const char *line, size_t len) {
	return parse_netcallerid(s, line, len) || parse_ring(s, line, len) ||
	       parse_cadence(s, line, len) || parse_kortex_date(s, line, len) ||
	       parse_formatted(s, line, len) || parse_zyxel(s, line, len) ||
	       parse_fm_to(s, line, len) || parse_callerid_colon(s, line, len);
}
