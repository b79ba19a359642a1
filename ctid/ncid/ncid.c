/*
 * NCID's server lines (see ncid.h); sections cited are those of
 * /work/research/ncid.md.
 */
#include <string.h>

#include <glib.h>

#include "ncid.h"
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
	return g_strdup_printf("200 Server: ctid (NCID) %s\r\n210 API: 1.5 Feature Set 1 2\r\n",
			       version);
}

/* Appends s[0..len) with "*", CR, LF and the other control characters made
 * spaces, so that the text cannot end a field or a line early. */
static void append_clean(GString *out, const char *s, size_t len) {
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		g_string_append_c(out, ch == '*' || ch < 0x20 || ch == 0x7F ? ' ' : (char)ch);
	}
}

/* Appends s to out as one field: fallback when empty, at most
 * NCID_FIELD_MAX bytes cut at a UTF-8 boundary, no "*" or control
 * characters. */
static void append_field(GString *out, const char *s, const char *fallback) {
	if (s == NULL || s[0] == '\0') {
		s = fallback;
	}
	append_clean(out, s, utf8_prefix(s, strlen(s), NCID_FIELD_MAX));
	g_string_append_c(out, '*');
}

static void append_date_time(GString *out, const struct tm *t) {
	/* §3.2: DATE mmddyyyy, TIME hhmm (24-hour). */
	g_string_append_printf(out, "DATE*%02d%02d%04d*TIME*%02d%02d*", t->tm_mon + 1, t->tm_mday,
			       t->tm_year + 1900, t->tm_hour, t->tm_min);
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
	g_string_append(out, "CTYPE*IN*LINE*");
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
	append_clean(out, text != NULL ? text : "", text != NULL ? strlen(text) : 0);
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
