/*
 * Helpers shared by the caller-ID dialect parsers: emitting events, cleaning
 * numbers and names, recognising the special values that stand for "no
 * number" or "no name", and hex conversion.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cid_internal.h"
#include "civil.h"
#include "log.h"
#include "utf8.h"

void cid_event_init(struct cid_event *ev, enum cid_event_type type) {
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->year = ev->month = ev->day = ev->hour = ev->minute = -1;
}

void cid_emit(struct cid_sink *s, struct cid_event *ev) {
	if (ev->type == CID_EV_RING && s->cadence != NULL && s->cadence[0] != '\0') {
		if (ev->ring_type[0] == '\0') {
			cid_copy(ev->ring_type, sizeof(ev->ring_type), s->cadence,
				 strlen(s->cadence));
		}
		s->cadence[0] = '\0';
	}
	s->count++;
	if (s->fn != NULL) {
		s->fn(ev, s->data);
	}
}

void cid_emit_simple(struct cid_sink *s, enum cid_event_type type, const char *line, size_t len) {
	struct cid_event ev;
	cid_event_init(&ev, type);
	cid_copy(ev.text, sizeof(ev.text), line, len);
	cid_emit(s, &ev);
}

void cid_emit_error(struct cid_sink *s, const char *fmt, ...) {
	struct cid_event ev;
	cid_event_init(&ev, CID_EV_ERROR);
	va_list args;
	va_start(args, fmt);
	vsnprintf(ev.text, sizeof(ev.text), fmt, args);
	va_end(args);
	cid_emit(s, &ev);
}

void cid_copy(char *out, size_t outsz, const char *s, size_t len) {
	if (outsz == 0) {
		return;
	}
	if (len > outsz - 1) {
		len = outsz - 1;
	}
	if (len > 0) {
		memcpy(out, s, len);
	}
	out[len] = '\0';
}

static bool is_trimmed(unsigned char c) {
	return c <= ' ' || c == 0x7f;
}

const char *cid_trim(const char *s, size_t *len) {
	size_t n = *len;
	while (n > 0 && is_trimmed((unsigned char)s[0])) {
		s++;
		n--;
	}
	while (n > 0 && is_trimmed((unsigned char)s[n - 1])) {
		n--;
	}
	*len = n;
	return s;
}

bool cid_prefix(const char *s, size_t len, const char *prefix) {
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

static char upper(char c) {
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

bool cid_prefix_ci(const char *s, size_t len, const char *prefix) {
	size_t n = strlen(prefix);
	if (len < n) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (upper(s[i]) != upper(prefix[i])) {
			return false;
		}
	}
	return true;
}

/*
 * Values seen in place of a number or a name. The letters come from Bellcore
 * GR-30 / ETSI EN 300 659-3 (reason for absence: P private, O unavailable)
 * and NCID's built-in aliases (A); the words from modems and telcos as
 * collected by NCID, MisterHouse and callattendant. Compared ignoring case,
 * blanks, '-' and '_' ("OUT-OF-AREA" == "Out of area").
 */
static const struct {
	const char *word;
	enum call_withheld why;
} special_values[] = {
	{"P", CALL_WITHHELD_PRIVATE},
	{"PRIVATE", CALL_WITHHELD_PRIVATE},
	{"PRIVATENUMBER", CALL_WITHHELD_PRIVATE},
	{"PRIVATECALLER", CALL_WITHHELD_PRIVATE},
	{"PRIVATENAME", CALL_WITHHELD_PRIVATE},
	{"WITHHELD", CALL_WITHHELD_PRIVATE},
	{"ANONYMOUS", CALL_WITHHELD_PRIVATE},
	{"RESTRICTED", CALL_WITHHELD_PRIVATE},
	{"BLOCKED", CALL_WITHHELD_PRIVATE},
	{"O", CALL_WITHHELD_UNAVAILABLE},
	{"A", CALL_WITHHELD_UNAVAILABLE},
	{"UNAVAILABLE", CALL_WITHHELD_UNAVAILABLE},
	{"OUTOFAREA", CALL_WITHHELD_UNAVAILABLE},
	{"NOTAVAILABLE", CALL_WITHHELD_UNAVAILABLE},
	{"UNKNOWN", CALL_WITHHELD_UNAVAILABLE},
	{"UNKNOWNCALLER", CALL_WITHHELD_UNAVAILABLE},
	{"UNKNOWNNAME", CALL_WITHHELD_UNAVAILABLE},
	{"UNKNOWNNUMBER", CALL_WITHHELD_UNAVAILABLE},
};

enum call_withheld cid_special_value(const char *s, size_t len) {
	char key[24];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = upper(s[i]);
		if (c == ' ' || c == '-' || c == '_' || c == '\t') {
			continue;
		}
		if (n + 1 >= sizeof(key)) {
			return CALL_WITHHELD_NONE;
		}
		key[n++] = c;
	}
	key[n] = '\0';
	if (n == 0) {
		return CALL_WITHHELD_NONE;
	}
	for (size_t i = 0; i < sizeof(special_values) / sizeof(special_values[0]); i++) {
		if (strcmp(key, special_values[i].word) == 0) {
			return special_values[i].why;
		}
	}
	return CALL_WITHHELD_NONE;
}

static size_t clean_number(char *out, size_t outsz, const char *s, size_t len) {
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if ((c >= '0' && c <= '9') || (c == '+' && n == 0)) {
			if (n + 1 >= outsz) {
				/* No telephone number is this long (E.164 has 15 digits). */
				log_warn("A caller's number of more than %zu digits; kept the first "
					 "%zu: %.*s",
					 outsz - 1, outsz - 1, (int)(len < 60 ? len : 60), s);
				break;
			}
			out[n++] = c;
		}
	}
	out[n] = '\0';
	/* A lone '+' is not a number. */
	if (n == 1 && out[0] == '+') {
		out[0] = '\0';
		n = 0;
	}
	return n;
}

void cid_set_number(struct cid_event *ev, const char *s, size_t len) {
	s = cid_trim(s, &len);
	enum call_withheld why = cid_special_value(s, len);
	if (why != CALL_WITHHELD_NONE) {
		ev->number[0] = '\0';
		ev->withheld = why;
		return;
	}
	if (clean_number(ev->number, sizeof(ev->number), s, len) == 0) {
		/* Empty, or text such as "NO NUMBER": there is no number to show. */
		ev->withheld = CALL_WITHHELD_UNAVAILABLE;
	}
}

void cid_set_called(struct cid_event *ev, const char *s, size_t len) {
	clean_number(ev->number, sizeof(ev->number), s, len);
}

void cid_set_name(struct cid_event *ev, const char *s, size_t len) {
	s = cid_trim(s, &len);
	enum call_withheld why = cid_special_value(s, len);
	if (why != CALL_WITHHELD_NONE) {
		ev->name[0] = '\0';
		ev->withheld = why;
		return;
	}
	utf8_sanitize(s, len, ev->name, sizeof(ev->name));
}

bool cid_date_valid(int month, int day) {
	return civil_month_day_valid(month, day);
}

bool cid_time_valid(int hour, int minute) {
	return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59;
}

int cid_digits(const char *s, size_t n) {
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int hex_value(char c) {
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int cid_hex_decode(const char *s, size_t len, uint8_t *out, size_t outsz) {
	size_t n = 0;
	int high = -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\t') {
			if (high >= 0) {
				return -1; /* a blank inside a byte */
			}
			continue;
		}
		int v = hex_value(s[i]);
		if (v < 0) {
			return -1;
		}
		if (high < 0) {
			high = v;
			continue;
		}
		if (n >= outsz) {
			return -1;
		}
		out[n++] = (uint8_t)(high << 4 | v);
		high = -1;
	}
	if (high >= 0) {
		return -1;
	}
	return (int)n;
}

void cid_hex_encode(const uint8_t *buf, size_t len, char *out, size_t outsz) {
	static const char digits[] = "0123456789ABCDEF";
	size_t o = 0;
	for (size_t i = 0; i < len && o + 2 < outsz; i++) {
		out[o++] = digits[buf[i] >> 4];
		out[o++] = digits[buf[i] & 0x0f];
	}
	if (outsz > 0) {
		out[o] = '\0';
	}
}
