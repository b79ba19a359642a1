/*
 * The caller-ID message itself, as the telco sends it in FSK (Bellcore
 * GR-30, ETSI EN 300 659-3, BT SIN 227): SDMF (type 0x04) and MDMF (0x80)
 * messages, whole (raw hex from AT+VCID=2 / AT#CID=2, decoded FSK dumps) or
 * as the single parameters some modems pass on in a MESG = line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cid_internal.h"

#define MSG_SDMF 0x04
#define MSG_MDMF 0x80

/* MDMF parameter types. */
#define P_DATE	    0x01 /* MMDDHHMM */
#define P_NUMBER    0x02 /* calling line directory number */
#define P_DN	    0x03 /* dialable directory number (Bellcore) */
#define P_NO_NUMBER 0x04 /* reason for absence of number: 'P' or 'O' */
#define P_NAME	    0x07
#define P_NO_NAME   0x08 /* reason for absence of name: 'P' or 'O' */
#define P_CALL_TYPE 0x11 /* UK: 01 voice, ... */
#define MAX_MSG	    260
#define MAX_EVENTS  16

struct decoded {
	struct cid_event ev[MAX_EVENTS];
	size_t n;
};

static struct cid_event *add(struct decoded *d, enum cid_event_type type) {
	if (d->n >= MAX_EVENTS) {
		return NULL;
	}
	struct cid_event *ev = &d->ev[d->n++];
	cid_event_init(ev, type);
	return ev;
}

static enum call_withheld reason(uint8_t c) {
	return (c == 'P' || c == 'p') ? CALL_WITHHELD_PRIVATE : CALL_WITHHELD_UNAVAILABLE;
}

/* MMDDHHMM as eight ASCII digits; false when it is not a valid date. */
static bool add_date(struct decoded *d, const uint8_t *v, size_t n) {
	if (n != 8) {
		return false;
	}
	const char *c = (const char *)v;
	int mo = cid_digits(c, 2), da = cid_digits(c + 2, 2);
	int h = cid_digits(c + 4, 2), mi = cid_digits(c + 6, 2);
	if (!cid_date_valid(mo, da)) {
		return false;
	}
	struct cid_event *ev = add(d, CID_EV_DATE);
	if (ev != NULL) {
		ev->year = 0;
		ev->month = mo;
		ev->day = da;
		if (cid_time_valid(h, mi)) {
			ev->hour = h;
			ev->minute = mi;
		}
	}
	return true;
}

static void add_number(struct decoded *d, const uint8_t *v, size_t n) {
	struct cid_event *ev = add(d, CID_EV_NUMBER);
	if (ev != NULL) {
		cid_set_number(ev, (const char *)v, n);
	}
}

static void add_withheld(struct decoded *d, enum cid_event_type type, const uint8_t *v, size_t n) {
	struct cid_event *ev = add(d, type);
	if (ev != NULL) {
		ev->withheld = n > 0 ? reason(v[0]) : CALL_WITHHELD_UNAVAILABLE;
	}
}

static void add_name(struct decoded *d, const uint8_t *v, size_t n) {
	struct cid_event name;
	cid_event_init(&name, CID_EV_NAME);
	cid_set_name(&name, (const char *)v, n);
	if (name.name[0] == '\0' && name.withheld == CALL_WITHHELD_NONE) {
		return; /* a name of blanks or control characters */
	}
	struct cid_event *ev = add(d, CID_EV_NAME);
	if (ev != NULL) {
		*ev = name;
	}
}

/* A parameter nobody here interprets: passed on as MESG with its hex. */
static void add_raw(struct decoded *d, const uint8_t *p, size_t n) {
	struct cid_event *ev = add(d, CID_EV_MESG);
	if (ev != NULL) {
		cid_hex_encode(p, n, ev->text, sizeof(ev->text));
	}
}

/*
 * Walks type/length/value parameters over buf[0..len). Returns false when a
 * length runs past the end. raw_unknown: report unknown parameters as MESG.
 */
static bool decode_params(struct decoded *d, const uint8_t *buf, size_t len, bool raw_unknown) {
	bool have_number = false;
	for (size_t i = 0; i < len;) {
		if (i + 2 > len || i + 2 + (size_t)buf[i + 1] > len) {
			return false;
		}
		if (buf[i] == P_NUMBER) {
			have_number = true;
		}
		i += 2 + (size_t)buf[i + 1];
	}
	for (size_t i = 0; i + 1 < len;) {
		uint8_t type = buf[i];
		size_t n = buf[i + 1];
		const uint8_t *v = buf + i + 2;
		switch (type) {
		case P_DATE:
			if (!add_date(d, v, n) && raw_unknown) {
				add_raw(d, buf + i, n + 2);
			}
			break;
		case P_NUMBER:
			add_number(d, v, n);
			break;
		case P_DN:
			if (!have_number) {
				add_number(d, v, n);
			}
			break;
		case P_NO_NUMBER:
			add_withheld(d, CID_EV_NUMBER, v, n);
			break;
		case P_NAME:
			add_name(d, v, n);
			break;
		case P_NO_NAME:
			add_withheld(d, CID_EV_NAME, v, n);
			break;
		default:
			if (raw_unknown) {
				add_raw(d, buf + i, n + 2);
			}
			break;
		}
		i += 2 + n;
	}
	return true;
}

static uint8_t sum(const uint8_t *buf, size_t len) {
	unsigned s = 0;
	for (size_t i = 0; i < len; i++) {
		s += buf[i];
	}
	return (uint8_t)s;
}

/* Skips the channel seizure (0x55...), marks and framing bytes before the
 * message type, as decoded FSK dumps show them (njh/mqtt-callerid). */
static size_t skip_preamble(const uint8_t *buf, size_t len) {
	size_t i = 0;
	while (i < len && (buf[i] == 0x55 || buf[i] == 0x00 || buf[i] == 0xd5 || buf[i] == 0xff)) {
		i++;
	}
	return i;
}

/* Checks and decodes a message; *why explains a -EBADMSG. */
static int decode_message(struct decoded *d, const uint8_t *buf, size_t len, const char **why) {
	size_t i = skip_preamble(buf, len);
	buf += i;
	len -= i;
	if (len < 1 || (buf[0] != MSG_SDMF && buf[0] != MSG_MDMF)) {
		*why = "not an SDMF or MDMF message";
		return -EINVAL;
	}
	if (len < 2) {
		*why = "message length missing";
		return -EBADMSG;
	}
	size_t n = buf[1];
	if (len < n + 2) {
		*why = "message shorter than its length byte says";
		return -EBADMSG;
	}
	if (len < n + 3) {
		*why = "checksum byte missing";
		return -EBADMSG;
	}
	/* Bytes after the checksum (trailing marks, 0x00) are not ours. */
	if (sum(buf, n + 3) != 0) {
		*why = "checksum mismatch";
		return -EBADMSG;
	}
	const uint8_t *body = buf + 2;
	if (buf[0] == MSG_SDMF) {
		/* MMDDHHMM, then the number or a reason letter. */
		if (n < 8 || !add_date(d, body, 8)) {
			*why = "SDMF date missing or invalid";
			return -EBADMSG;
		}
		if (n == 9 && (body[8] == 'P' || body[8] == 'O')) {
			add_withheld(d, CID_EV_NUMBER, body + 8, 1);
		} else {
			add_number(d, body + 8, n - 8);
		}
		return (int)d->n;
	}
	if (!decode_params(d, body, n, true)) {
		*why = "MDMF parameter runs past the message";
		return -EBADMSG;
	}
	return (int)d->n;
}

static int emit_all(const struct decoded *d, cid_event_fn fn, void *data) {
	for (size_t i = 0; i < d->n; i++) {
		if (fn != NULL) {
			fn(&d->ev[i], data);
		}
	}
	return (int)d->n;
}

int cid_decode_mdmf(const uint8_t *buf, size_t len, cid_event_fn fn, void *data) {
	struct decoded d = {.n = 0};
	const char *why = NULL;
	int r = decode_message(&d, buf, len, &why);
	if (r < 0) {
		return r;
	}
	return emit_all(&d, fn, data);
}

static void emit_decoded(struct cid_sink *s, struct decoded *d) {
	for (size_t i = 0; i < d->n; i++) {
		cid_emit(s, &d->ev[i]);
	}
}

/*
 * MESG = <hex>: what the modem did not decode. Emitted as MESG; then, if it
 * is a whole SDMF/MDMF message or a run of MDMF parameters (with or without
 * a checksum byte) the known parameters are decoded too:
 *   MESG = 030735353531323132   Bell Canada DN, per mgetty cnd.c
 *   MESG = 060342424231         ACID2000 help (type 06, "BBB", checksum)
 *   MESG = 110101               BT call type: voice (NCID)
 */
void cid_parse_mesg(struct cid_sink *s, const char *val, size_t len) {
	uint8_t buf[MAX_MSG];
	val = cid_trim(val, &len);
	if (len == 0) {
		return;
	}
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_MESG);
	int n = cid_hex_decode(val, len, buf, sizeof(buf));
	if (n > 0) {
		cid_hex_encode(buf, (size_t)n, ev.text, sizeof(ev.text));
	} else {
		cid_copy(ev.text, sizeof(ev.text), val, len);
	}
	cid_emit(s, &ev);
	if (n < 3) {
		return;
	}
	struct decoded d = {.n = 0};
	const char *why = NULL;
	int r = decode_message(&d, buf, (size_t)n, &why);
	if (r >= 0) {
		emit_decoded(s, &d);
		return;
	}
	/* Parameters without the message header: exactly, or plus a checksum. */
	d.n = 0;
	size_t end = 0;
	while (end + 1 < (size_t)n && end + 2 + buf[end + 1] <= (size_t)n) {
		end += 2 + (size_t)buf[end + 1];
	}
	if (end == (size_t)n || (end + 1 == (size_t)n && sum(buf, (size_t)n) == 0)) {
		decode_params(&d, buf, end, false);
		emit_decoded(s, &d);
	} else if (r == -EBADMSG) {
		cid_emit_error(s, "Caller ID message in MESG unusable: %s", why);
	} else if (end + 1 == (size_t)n) {
		cid_emit_error(s, "Caller ID parameters in MESG: checksum mismatch");
	}
}

/*
 * A line of hex digits (blanks allowed) holding an SDMF/MDMF message, as
 * AT+VCID=2 or AT#CID=2 prints it. To tell it from a number or an ATI answer
 * ("56000", "5601"), the line must start (after any seizure bytes) with 04 or
 * 80 and either have a preamble or be long enough for its length byte.
 */
bool cid_parse_hex_line(struct cid_sink *s, const char *line, size_t len) {
	uint8_t buf[MAX_MSG];
	int n = cid_hex_decode(line, len, buf, sizeof(buf));
	if (n < 3) {
		return false;
	}
	size_t pre = skip_preamble(buf, (size_t)n);
	if (pre >= (size_t)n || (buf[pre] != MSG_SDMF && buf[pre] != MSG_MDMF)) {
		return false;
	}
	size_t rest = (size_t)n - pre;
	if (pre == 0 && (rest < 2 || rest < (size_t)buf[pre + 1] + 2)) {
		return false;
	}
	struct decoded d = {.n = 0};
	const char *why = NULL;
	int r = decode_message(&d, buf, (size_t)n, &why);
	if (r < 0) {
		cid_emit_error(s, "%s message unusable: %s", buf[pre] == MSG_SDMF ? "SDMF" : "MDMF",
			       why);
		return true;
	}
	emit_decoded(s, &d);
	return true;
}
