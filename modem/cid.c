/*
 * The caller-ID parser object: cuts the modem's byte stream into lines,
 * decodes DLE shielded voice events as they arrive, and hands each line to
 * the dialect parsers (cid_text.c, cid_gsm.c, cid_mdmf.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cid_internal.h"
#include "log.h"

#define DLE 0x10

struct cid_parser {
	char line[CID_LINE_MAX];
	size_t len;
	bool truncated;
	bool dle;
	/* Ring cadence (Lucent DRON=) waiting for the RING it describes. */
	char cadence[16];
};

struct cid_parser *cid_parser_create(void) {
	struct cid_parser *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		errno = ENOMEM;
	}
	return p;
}

void cid_parser_destroy(struct cid_parser *p) {
	free(p);
}

void cid_parser_reset(struct cid_parser *p) {
	p->len = 0;
	p->truncated = false;
	p->dle = false;
	p->cadence[0] = '\0';
}

/*
 * DLE shielded events (ITU-T V.253 / IS-101 voice mode). R: ring. H and h:
 * the local handset off/on hook; P and p: an extension phone off/on hook
 * (Conexant sends DLE P for an extension pick-up when -STE enables it; mgetty
 * ring.c and callattendant treat h/p as on-hook, H/P as off-hook). Tones,
 * DTMF digits and the rest are not call events and are dropped.
 */
static void dle_event(struct cid_sink *s, char code) {
	enum cid_event_type type;
	switch (code) {
	case 'R':
		type = CID_EV_RING;
		break;
	case 'H':
	case 'P':
		type = CID_EV_OFFHOOK;
		break;
	case 'h':
	case 'p':
		type = CID_EV_ONHOOK;
		break;
	default:
		return;
	}
	char text[] = "<DLE>?";
	text[5] = code;
	cid_emit_simple(s, type, text, strlen(text));
}

/* Parses one raw line: DLE pairs become events, NUL bytes are dropped. */
static void parse_raw_line(struct cid_sink *s, const char *line, size_t len) {
	char clean[CID_LINE_MAX];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = line[i];
		if (c == DLE) {
			if (i + 1 < len) {
				dle_event(s, line[++i]);
			}
			continue;
		}
		if (c == '\0') {
			continue;
		}
		if (n + 1 < sizeof(clean)) {
			clean[n++] = c;
		}
	}
	const char *t = cid_trim(clean, &n);
	if (n > 0) {
		cid_parse_clean_line(s, t, n);
	}
}

static void end_line(struct cid_parser *p, struct cid_sink *s) {
	if (p->truncated) {
		log_warn("Modem line longer than %d bytes truncated: %.40s...", CID_LINE_MAX - 1,
			 p->line);
	}
	parse_raw_line(s, p->line, p->len);
	p->len = 0;
	p->truncated = false;
}

static void init_sink(struct cid_sink *s, struct cid_parser *p, cid_event_fn fn, void *data) {
	s->fn = fn;
	s->data = data;
	s->count = 0;
	s->cadence = p != NULL ? p->cadence : NULL;
	s->cadence_size = p != NULL ? sizeof(p->cadence) : 0;
}

size_t cid_parser_feed(struct cid_parser *p, const void *buf, size_t len, cid_event_fn fn,
		       void *data) {
	struct cid_sink s;
	init_sink(&s, p, fn, data);
	const unsigned char *b = buf;
	for (size_t i = 0; i < len; i++) {
		char c = (char)b[i];
		if (p->dle) {
			p->dle = false;
			dle_event(&s, c);
			continue;
		}
		if (c == DLE) {
			p->dle = true;
			continue;
		}
		if (c == '\0') {
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (p->len > 0 || p->truncated) {
				end_line(p, &s);
			}
			continue;
		}
		if (p->len + 1 < sizeof(p->line)) {
			p->line[p->len++] = c;
		} else {
			p->truncated = true;
		}
	}
	return s.count;
}

size_t cid_parser_flush(struct cid_parser *p, cid_event_fn fn, void *data) {
	struct cid_sink s;
	init_sink(&s, p, fn, data);
	p->dle = false;
	if (p->len > 0 || p->truncated) {
		end_line(p, &s);
	}
	return s.count;
}

size_t cid_parse_line(const char *line, size_t len, cid_event_fn fn, void *data) {
	struct cid_sink s;
	init_sink(&s, NULL, fn, data);
	if (len > CID_LINE_MAX - 1) {
		log_warn("Modem line longer than %d bytes truncated: %.40s...", CID_LINE_MAX - 1,
			 line);
		len = CID_LINE_MAX - 1;
	}
	parse_raw_line(&s, line, len);
	return s.count;
}

/* Conexant -STE line-in-use detection: the modem refuses to dial because a
 * phone on the line is off-hook (AT command reference 100722B: "LINE-IN-USE";
 * CX81801 reference 102184B: "LINE IN USE"). */
static bool is_line_in_use(const char *line, size_t len) {
	return (len == 11 && memcmp(line, "LINE IN USE", 11) == 0) ||
	       (len == 11 && memcmp(line, "LINE-IN-USE", 11) == 0);
}

void cid_parse_clean_line(struct cid_sink *s, const char *line, size_t len) {
	if (len == 10 && memcmp(line, "NO CARRIER", 10) == 0) {
		cid_emit_simple(s, CID_EV_HANGUP, line, len);
		return;
	}
	if (is_line_in_use(line, len)) {
		cid_emit_simple(s, CID_EV_OFFHOOK, line, len);
		return;
	}
	if (cid_parse_gsm(s, line, len)) {
		return;
	}
	if (cid_parse_text(s, line, len)) {
		return;
	}
	if (cid_parse_hex_line(s, line, len)) {
		return;
	}
	cid_emit_simple(s, CID_EV_LINE, line, len);
}

const char *cid_event_type_str(enum cid_event_type t) {
	switch (t) {
	case CID_EV_LINE:
		return "line";
	case CID_EV_RING:
		return "ring";
	case CID_EV_NUMBER:
		return "number";
	case CID_EV_NAME:
		return "name";
	case CID_EV_DATE:
		return "date";
	case CID_EV_CALLED:
		return "called";
	case CID_EV_MESG:
		return "mesg";
	case CID_EV_CALL_WAITING:
		return "call-waiting";
	case CID_EV_HANGUP:
		return "hangup";
	case CID_EV_OFFHOOK:
		return "offhook";
	case CID_EV_ONHOOK:
		return "onhook";
	case CID_EV_ERROR:
		return "error";
	}
	return "unknown";
}
