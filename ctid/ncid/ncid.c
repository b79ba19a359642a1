/*
 * NCID's server lines (see ncid.h); sections cited are those of
 * doc/ncid.md.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "ncid.h"
#include "ncid_internal.h"
#include "utf8.h"

const char *ncid_withheld_name(enum ncid_withheld w) {
	switch (w) {
	case NCID_OUT_OF_AREA:
		return "OUT-OF-AREA";
	case NCID_PRIVATE:
		return "PRIVATE";
	case NCID_ANONYMOUS:
		return "ANONYMOUS";
	}
	return "PRIVATE";
}

char *ncid_greeting(const char *version) {
	/* §1.1: ncidd sends "200 Server: ncidd (NCID) 1.6" and "210 API: 1.5
	 * Feature Set 1 2 3 4 5"; clients key on the code (§1.4). */
	return g_strdup_printf("200 Server: ctid (NCID) %s\r\n210 API: 1.5 Feature Set 1 2 3 4 5\r\n",
			       version);
}

void ncid_append_clean(GString *out, const char *s, size_t len, bool keep_star) {
	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char)s[i];
		size_t n = utf8_char_len(s + i, len - i);
		if (n == 0) {
			g_string_append(out, "\xEF\xBF\xBD");
			i++;
		} else if (n == 1) {
			bool blank = (ch == '*' && !keep_star) || ch < 0x20 || ch == 0x7F;
			g_string_append_c(out, blank ? ' ' : (char)ch);
			i++;
		} else {
			/* C1 controls and bidirectional overrides too: a
			 * relayed SMS could turn the text after it around */
			uint32_t cp;
			utf8_decode(s + i, len - i, &cp);
			if (utf8_is_unsafe(cp)) {
				g_string_append_c(out, ' ');
			} else {
				g_string_append_len(out, s + i, (gssize)n);
			}
			i += n;
		}
	}
}

/* Appends s to out as one field: fallback when empty, at most
 * NCID_FIELD_MAX bytes cut at a character's end, no "*" or control
 * characters, UTF-8. */
static void append_field(GString *out, const char *s, const char *fallback) {
	if (s == NULL || s[0] == '\0') {
		s = fallback;
	}
	char *valid = g_utf8_make_valid(s, -1);
	ncid_append_clean(out, valid, utf8_prefix(valid, strlen(valid), NCID_FIELD_MAX), false);
	g_free(valid);
	g_string_append_c(out, '*');
}

/* §3.2: DATE mmddyyyy, TIME hhmm (24-hour). */
struct date_time {
	char date[40]; /* room for three of any int, as -Wformat-truncation asks */
	char hhmm[24];
};

static struct date_time date_time(const struct tm *t) {
	struct date_time d;
	snprintf(d.date, sizeof(d.date), "%02d%02d%04d", t->tm_mon + 1, t->tm_mday,
		 t->tm_year + 1900);
	snprintf(d.hhmm, sizeof(d.hhmm), "%02d%02d", t->tm_hour, t->tm_min);
	return d;
}

static void append_date_time(GString *out, const struct tm *t) {
	struct date_time d = date_time(t);
	g_string_append_printf(out, "DATE*%s*TIME*%s*", d.date, d.hhmm);
}

char *ncid_format_call(const char *label, const struct ncid_call *c) {
	GString *out = g_string_new(label);
	/* §3.2: label, a space, then "*"; order DATE TIME LINE NMBR MESG NAME. */
	g_string_append(out, ": *");
	append_date_time(out, &c->when);
	g_string_append(out, "LINE*");
	append_field(out, c->line, "-");
	g_string_append(out, "NMBR*");
	append_field(out, c->number, "NO-NUMBER");
	/* MESG: hex characters of a modem's message, NONE when none (§3.3). */
	g_string_append(out, "MESG*NONE*NAME*");
	append_field(out, c->name, "NO NAME");
	g_string_append(out, "\r\n");
	return g_string_free(out, FALSE);
}

static void append_stamp(GString *out, const struct tm *t) {
	/* §4.4: SCALL/ECALL are mm/dd/yyyy hh:mm:ss. */
	g_string_append_printf(out, "%02d/%02d/%04d %02d:%02d:%02d*", t->tm_mon + 1, t->tm_mday,
			       t->tm_year + 1900, t->tm_hour, t->tm_min, t->tm_sec);
}

char *ncid_format_end(const struct ncid_call *c, const struct tm *ended, bool answered) {
	GString *out = g_string_new("END: *HTYPE*");
	/* §4.4: CANCEL hung up before answer, BYE after. */
	g_string_append(out, answered ? "BYE*" : "CANCEL*");
	append_date_time(out, &c->when);
	g_string_append(out, "SCALL*");
	append_stamp(out, &c->when);
	g_string_append(out, "ECALL*");
	append_stamp(out, ended);
	g_string_append(out, c->outgoing ? "CTYPE*OUT*LINE*" : "CTYPE*IN*LINE*");
	append_field(out, c->line, "-");
	g_string_append(out, "NMBR*");
	append_field(out, c->number, "NO-NUMBER");
	g_string_append(out, "NAME*");
	append_field(out, c->name, "NO NAME");
	g_string_append(out, "\r\n");
	return g_string_free(out, FALSE);
}

char *ncid_format_info(const char *line, int ring, const struct tm *now) {
	GString *out = g_string_new("CIDINFO: *LINE*");
	append_field(out, line, "-");
	g_string_append_printf(out, "RING*%d*TIME*%02d:%02d:%02d*\r\n", ring, now->tm_hour,
			       now->tm_min, now->tm_sec);
	return g_string_free(out, FALSE);
}

const char *ncid_startup_end(enum ncid_log log) {
	switch (log) {
	case NCID_LOG_SENT:
		return "250 End of call log\r\n300 End of connection startup\r\n";
	case NCID_LOG_NOT_SENT:
		return "251 Call log not sent\r\n300 End of connection startup\r\n";
	case NCID_LOG_EMPTY:
		break;
	}
	return "252 Call log empty\r\n300 End of connection startup\r\n";
}

char *ncid_format_msg(const char *text, const struct tm *when, const char *name, const char *number) {
	GString *out = g_string_new("MSG: ");
	ncid_append_clean(out, text != NULL ? text : "", text != NULL ? strlen(text) : 0, false);
	/* §3.5: a space, "***", then the fields in the server's order */
	g_string_append(out, " ***");
	append_date_time(out, when);
	g_string_append(out, "NAME*");
	append_field(out, name, "-");
	g_string_append(out, "NMBR*");
	append_field(out, number, "-");
	/* §3.3: NO-LINE for a message; MTYPE "-": neither IN nor OUT */
	g_string_append(out, "LINE*NO-LINE*MTYPE*-*\r\n");
	return g_string_free(out, FALSE);
}

/* The fields a message may carry after " ###" (§3.5), in the server's order. */
enum { MSG_DATE, MSG_TIME, MSG_NAME, MSG_NMBR, MSG_LINE, MSG_MTYPE, MSG_FIELDS };

static bool all_digits(const char *s, size_t len, size_t want) {
	if (len != want) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return true;
}

/* One "LABEL*value*" of fields read from *p (up to end), *p moved past it;
 * false for a label without its "*". The last value may lack its closing
 * "*". */
struct field_pair {
	const char *label, *value;
	size_t label_len, value_len;
};

static bool next_pair(const char **p, const char *end, struct field_pair *f) {
	const char *star = memchr(*p, '*', (size_t)(end - *p));
	if (star == NULL) {
		return false;
	}
	const char *v = star + 1;
	const char *vend = memchr(v, '*', (size_t)(end - v));
	if (vend == NULL) {
		vend = end;
	}
	*f = (struct field_pair){*p, v, (size_t)(star - *p), (size_t)(vend - v)};
	*p = vend < end ? vend + 1 : end;
	return true;
}

static bool is_label(const struct field_pair *f, const char *label) {
	return f->label_len == strlen(label) && memcmp(f->label, label, f->label_len) == 0;
}

/* Reads "LABEL*value*LABEL*value*..." into the fields; *why on a bad one. */
static bool read_msg_fields(const char *p, const char *end, const char *val[], size_t vlen[],
			    const char **why) {
	static const char *const labels[MSG_FIELDS] = {"DATE", "TIME", "NAME",
						       "NMBR", "LINE", "MTYPE"};
	while (p < end && *p == '*') {
		p++;
	}
	while (p < end) {
		struct field_pair f;
		if (!next_pair(&p, end, &f)) {
			*why = "a field without its value";
			return false;
		}
		for (int k = 0; k < MSG_FIELDS; k++) {
			if (is_label(&f, labels[k])) {
				val[k] = f.value;
				vlen[k] = f.value_len;
			}
		}
		/* other fields are dropped, as clients ignore unknown ones (§3.1) */
	}
	if ((val[MSG_DATE] != NULL && !all_digits(val[MSG_DATE], vlen[MSG_DATE], 8)) ||
	    (val[MSG_TIME] != NULL && !all_digits(val[MSG_TIME], vlen[MSG_TIME], 4))) {
		*why = "a DATE that is not mmddyyyy or a TIME that is not hhmm";
		return false;
	}
	for (int k = 0; k < MSG_FIELDS; k++) {
		if (val[k] == NULL) {
			continue;
		}
		if (vlen[k] > NCID_FIELD_MAX) {
			*why = "a field longer than 50 bytes";
			return false;
		}
		for (size_t i = 0; i < vlen[k];) {
			uint32_t cp;
			size_t n = utf8_decode(val[k] + i, vlen[k] - i, &cp);
			if (n > 0 && utf8_is_unsafe(cp)) {
				*why = "a control character in a field";
				return false;
			}
			i += n > 0 ? n : 1; /* a stray byte: U+FFFD below */
		}
	}
	if (val[MSG_MTYPE] != NULL) {
		/* API 1.5's IN, OUT and -; SYS and USER too, which it does not
		 * list, so that a message from a newer client is not lost */
		static const char *const types[] = {"IN", "OUT", "-", "SYS", "USER"};
		bool known = false;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			known = known || (vlen[MSG_MTYPE] == strlen(types[i]) &&
					  memcmp(val[MSG_MTYPE], types[i], vlen[MSG_MTYPE]) == 0);
		}
		if (!known) {
			*why = "an MTYPE other than IN, OUT, SYS, USER or -";
			return false;
		}
	}
	return true;
}

static void append_given(GString *out, const char *v, size_t len, const char *fallback) {
	if (v != NULL && len > 0) {
		ncid_append_clean(out, v, len, false); /* stray bytes as U+FFFD */
	} else {
		g_string_append(out, fallback);
	}
	g_string_append_c(out, '*');
}

char *ncid_relay_msg(const char *s, size_t len, const struct tm *now, const char **why) {
	const char *label = len >= 5 && memcmp(s, "MSG: ", 5) == 0   ? "MSG: "
			    : len >= 5 && memcmp(s, "NOT: ", 5) == 0 ? "NOT: "
								     : NULL;
	if (label == NULL) {
		*why = "not a MSG: or NOT: line";
		return NULL;
	}
	const char *text = s + 5, *end = s + len;
	const char *fields = g_strstr_len(text, (gssize)(end - text), " ###");
	const char *text_end = fields != NULL ? fields : end;
	while (text < text_end && *text == ' ') {
		text++;
	}
	while (text_end > text && text_end[-1] == ' ') {
		text_end--;
	}
	if (text == text_end) {
		*why = "no text";
		return NULL;
	}
	const char *val[MSG_FIELDS] = {0};
	size_t vlen[MSG_FIELDS] = {0};
	if (fields != NULL && !read_msg_fields(fields + 4, end, val, vlen, why)) {
		return NULL;
	}
	GString *out = g_string_new(label);
	/* the text as sent, "*" and control characters made spaces (as in
	 * ncid_format_msg()) */
	ncid_append_clean(out, text, (size_t)(text_end - text), false);
	/* DATE and TIME are the server's now where not given, as ncidd's */
	struct date_time d = date_time(now);
	g_string_append(out, " ***DATE*");
	append_given(out, val[MSG_DATE], vlen[MSG_DATE], d.date);
	g_string_append(out, "TIME*");
	append_given(out, val[MSG_TIME], vlen[MSG_TIME], d.hhmm);
	g_string_append(out, "NAME*");
	append_given(out, val[MSG_NAME], vlen[MSG_NAME], "NO NAME");
	g_string_append(out, "NMBR*");
	append_given(out, val[MSG_NMBR], vlen[MSG_NMBR], "NO-NUMBER");
	g_string_append(out, "LINE*");
	append_given(out, val[MSG_LINE], vlen[MSG_LINE], "NO-LINE");
	g_string_append(out, "MTYPE*");
	append_given(out, val[MSG_MTYPE], vlen[MSG_MTYPE], "-");
	g_string_append(out, "\r\n");
	return g_string_free(out, FALSE);
}

/* Whether fields[0..len), read as "LABEL*value*LABEL*value*...", has a
 * pair labelled label with a value. */
static bool has_field(const char *fields, size_t len, const char *label) {
	const char *p = fields, *end = fields + len;
	struct field_pair f;
	while (p < end && next_pair(&p, end, &f)) {
		if (is_label(&f, label) && f.value_len > 0) {
			return true;
		}
	}
	return false;
}

char *ncid_relay_job(const char *s, size_t len, const char **why) {
	if (len > 0 && s[0] == '+') {
		s++; /* §4.5: from a forwarding server, relayed as any other */
		len--;
	}
	if (len < 5 || memcmp(s, "RLY: ", 5) != 0) {
		*why = "not a RLY: line";
		return NULL;
	}
	const char *text = s + 5, *end = s + len;
	const char *hashes = memmem(text, (size_t)(end - text), "###", 3);
	if (hashes == NULL) {
		/* (ncidd 1.6 dies of such a line: strstr() gives NULL to strncpy) */
		*why = "no ### before its fields";
		return NULL;
	}
	const char *fields = hashes + 3;
	size_t flen = (size_t)(end - fields);
	static const char *const needed[] = {"TO", "FROM", "CMD"};
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!has_field(fields, flen, needed[i])) {
			*why = "no TO, FROM or CMD field";
			return NULL;
		}
	}
	/* §4.5: as sent, the first "###" made "***"; the text kept to one
	 * line and UTF-8, and its "*" made spaces (clients split at the first
	 * "***": the fields they read are those checked here); the fields'
	 * "*" kept */
	GString *out = g_string_new("RLY: ");
	ncid_append_clean(out, text, (size_t)(hashes - text), false);
	g_string_append(out, "***");
	ncid_append_clean(out, fields, flen, true);
	g_string_append(out, "\r\n");
	return g_string_free(out, FALSE);
}
