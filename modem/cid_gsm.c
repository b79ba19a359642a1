/*
 * GSM/3G modems and dongles (3GPP TS 27.007): +CRING, +CLIP, +CNAP, +CCWA,
 * +CLCC, and the vendor call-end reports Huawei ^CEND and Wavecom +WIND: 6.
 */
#include <stdlib.h>
#include <string.h>

#include "cid_internal.h"

#define MAX_FIELDS 12

struct field {
	const char *s;
	size_t len;
	bool quoted;
};

/* Splits "a,\"b,c\",d" at commas outside quotes. Returns the field count. */
static size_t split_fields(const char *s, size_t len, struct field *f, size_t max) {
	size_t n = 0;
	size_t i = 0;
	while (n < max) {
		while (i < len && s[i] == ' ') {
			i++;
		}
		struct field *cur = &f[n++];
		cur->quoted = false;
		if (i < len && s[i] == '"') {
			size_t start = ++i;
			while (i < len && s[i] != '"') {
				i++;
			}
			cur->s = s + start;
			cur->len = i - start;
			cur->quoted = true;
			if (i < len) {
				i++; /* closing quote */
			}
			while (i < len && s[i] != ',') {
				i++;
			}
		} else {
			size_t start = i;
			while (i < len && s[i] != ',') {
				i++;
			}
			size_t flen = i - start;
			cur->s = cid_trim(s + start, &flen);
			cur->len = flen;
		}
		if (i >= len) {
			break;
		}
		i++; /* comma */
	}
	return n;
}

/* The field as a small non-negative integer, or -1. */
static int field_int(const struct field *f, size_t n, size_t idx) {
	if (idx >= n || f[idx].len == 0 || f[idx].len > 5) {
		return -1;
	}
	return cid_digits(f[idx].s, f[idx].len);
}

/*
 * Fills number, toa and withheld from <number>,<type>[...,<validity>]. An
 * empty number is withheld: CLI validity 2 means not available, anything
 * else (1, 0, none) is taken as withheld by the caller, as ModemManager's
 * `+CLIP: "",128,"",,"",0` and oFono's `+CLIP: "",128` both mean.
 * Type 145 is an international number: a missing '+' is added.
 */
static void set_gsm_number(struct cid_event *ev, const struct field *num, int toa, int validity) {
	ev->toa = toa > 0 ? toa : 0;
	cid_set_called(ev, num->s, num->len); /* digits and '+' only */
	if (ev->number[0] == '\0') {
		ev->withheld = validity == 2 ? CALL_WITHHELD_UNAVAILABLE : CALL_WITHHELD_PRIVATE;
		return;
	}
	if (toa == 145 && ev->number[0] != '+') {
		size_t n = strlen(ev->number);
		if (n + 2 > sizeof(ev->number)) {
			n = sizeof(ev->number) - 2;
		}
		memmove(ev->number + 1, ev->number, n);
		ev->number[0] = '+';
		ev->number[n + 1] = '\0';
	}
}

/* The alpha field (a phone book or network name), if any. */
static void set_alpha(struct cid_sink *s, const struct field *f, size_t n, size_t idx,
		      const char *line, size_t len) {
	if (idx >= n || !f[idx].quoted || f[idx].len == 0) {
		return;
	}
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_NAME);
	cid_set_name(&ev, f[idx].s, f[idx].len);
	if (ev.name[0] == '\0' && ev.withheld == CALL_WITHHELD_NONE) {
		return;
	}
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
}

/* +CLIP: <number>,<type>[,<subaddr>,<satype>[,[<alpha>][,<CLI validity>]]] */
static bool parse_clip(struct cid_sink *s, const char *line, size_t len, const char *args,
		       size_t alen) {
	struct field f[MAX_FIELDS];
	size_t n = split_fields(args, alen, f, MAX_FIELDS);
	if (n < 1 || !f[0].quoted) {
		return false; /* "+CLIP: 0,1" answers AT+CLIP? */
	}
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_NUMBER);
	set_gsm_number(&ev, &f[0], field_int(f, n, 1), field_int(f, n, 5));
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
	set_alpha(s, f, n, 4, line, len);
	return true;
}

/* +CNAP: <name>[,<CNI validity>] (calling name presentation). */
static bool parse_cnap(struct cid_sink *s, const char *line, size_t len, const char *args,
		       size_t alen) {
	struct field f[MAX_FIELDS];
	size_t n = split_fields(args, alen, f, MAX_FIELDS);
	if (n < 1 || !f[0].quoted) {
		return false;
	}
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_NAME);
	cid_set_name(&ev, f[0].s, f[0].len);
	if (ev.name[0] == '\0' && ev.withheld == CALL_WITHHELD_NONE) {
		int validity = field_int(f, n, 1);
		if (validity != 1 && validity != 2) {
			return true; /* nothing to say */
		}
		ev.withheld = validity == 1 ? CALL_WITHHELD_PRIVATE : CALL_WITHHELD_UNAVAILABLE;
	}
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
	return true;
}

/* +CCWA: <number>,<type>,<class>[,<alpha>][,<CLI validity>...] */
static bool parse_ccwa(struct cid_sink *s, const char *line, size_t len, const char *args,
		       size_t alen) {
	struct field f[MAX_FIELDS];
	size_t n = split_fields(args, alen, f, MAX_FIELDS);
	if (n < 2 || !f[0].quoted) {
		return false; /* "+CCWA: 1,1" answers AT+CCWA? */
	}
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_CALL_WAITING);
	set_gsm_number(&ev, &f[0], field_int(f, n, 1), field_int(f, n, 4));
	if (n > 3 && f[3].quoted && f[3].len > 0) {
		struct cid_event tmp;
		cid_event_init(&tmp, CID_EV_NAME);
		cid_set_name(&tmp, f[3].s, f[3].len);
		memcpy(ev.name, tmp.name, sizeof(ev.name));
	}
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
	return true;
}

/*
 * +CLCC: <id>,<dir>,<stat>,<mode>,<mpty>[,<number>,<type>[,<alpha>...]]
 * Only incoming (dir 1) voice (mode 0) calls matter: stat 4 is ringing,
 * 5 waiting, 0 active (someone answered). The rest is left to the AT engine.
 */
static bool parse_clcc(struct cid_sink *s, const char *line, size_t len, const char *args,
		       size_t alen) {
	struct field f[MAX_FIELDS];
	size_t n = split_fields(args, alen, f, MAX_FIELDS);
	int dir = field_int(f, n, 1), stat = field_int(f, n, 2), mode = field_int(f, n, 3);
	if (n < 5 || dir != 1 || mode != 0 || (stat != 0 && stat != 4 && stat != 5)) {
		return false;
	}
	struct field none = {"", 0, true};
	const struct field *num = (n > 5 && f[5].quoted) ? &f[5] : &none;
	struct cid_event ev;
	enum cid_event_type type = stat == 4   ? CID_EV_NUMBER
				   : stat == 5 ? CID_EV_CALL_WAITING
					       : CID_EV_OFFHOOK;
	cid_event_init(&ev, type);
	set_gsm_number(&ev, num, field_int(f, n, 6), -1);
	if (type == CID_EV_OFFHOOK) {
		ev.withheld = CALL_WITHHELD_NONE;
	}
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
	if (type == CID_EV_NUMBER) {
		set_alpha(s, f, n, 7, line, len);
	}
	return true;
}

bool cid_parse_gsm(struct cid_sink *s, const char *line, size_t len) {
	static const struct {
		const char *prefix;
		bool (*parse)(struct cid_sink *s, const char *line, size_t len, const char *args,
			      size_t alen);
	} handlers[] = {
		{"+CLIP:", parse_clip},
		{"+CNAP:", parse_cnap},
		{"+CCWA:", parse_ccwa},
		{"+CLCC:", parse_clcc},
	};
	for (size_t h = 0; h < sizeof(handlers) / sizeof(handlers[0]); h++) {
		size_t k = strlen(handlers[h].prefix);
		if (cid_prefix(line, len, handlers[h].prefix)) {
			return handlers[h].parse(s, line, len, line + k, len - k);
		}
	}
	if (cid_prefix(line, len, "+CRING:")) {
		cid_emit_simple(s, CID_EV_RING, line, len);
		return true;
	}
	/* Huawei: ^CEND:<id>,<duration>,<end status>,<cause> (python-gsmmodem). */
	if (cid_prefix(line, len, "^CEND:")) {
		cid_emit_simple(s, CID_EV_HANGUP, line, len);
		return true;
	}
	/* Wavecom: +WIND: 6,<id> is "call <id> released" (python-gsmmodem). */
	if (cid_prefix(line, len, "+WIND:")) {
		size_t n = len - 6;
		const char *v = cid_trim(line + 6, &n);
		if (n >= 1 && v[0] == '6' && (n == 1 || v[1] == ',')) {
			cid_emit_simple(s, CID_EV_HANGUP, line, len);
			return true;
		}
	}
	return false;
}
