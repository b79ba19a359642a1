/*
 * Caller-ID parser tests. Transcripts come from tests/fixtures/modem/ (each
 * names its source there and in README.md); single lines quoted here name
 * their source in a comment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cid.h"
#include "log.h"
#include "tap.h"
#include "utf8.h"

#define MAX_EVENTS 512

struct events {
	struct cid_event ev[MAX_EVENTS];
	size_t n;
};

static struct events evs;

static void collect(const struct cid_event *ev, void *data) {
	struct events *e = data;
	if (e->n < MAX_EVENTS) {
		e->ev[e->n++] = *ev;
	}
}

/* Parses one line into evs; returns the event count. */
static size_t line(const char *s) {
	evs.n = 0;
	return cid_parse_line(s, strlen(s), collect, &evs);
}

static size_t feed(struct cid_parser *p, const void *buf, size_t len) {
	evs.n = 0;
	size_t n = cid_parser_feed(p, buf, len, collect, &evs);
	n += cid_parser_flush(p, collect, &evs);
	return n;
}

static char *load(const char *name, size_t *len) {
	char path[512];
	snprintf(path, sizeof(path), "%s/modem/%s", FIXTURES_DIR, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		tap_diag("cannot open %s", path);
		*len = 0;
		return NULL;
	}
	char *buf = malloc(1 << 16);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static const struct cid_event *first(enum cid_event_type type) {
	for (size_t i = 0; i < evs.n; i++) {
		if (evs.ev[i].type == type) {
			return &evs.ev[i];
		}
	}
	static struct cid_event none = {.type = CID_EV_LINE, .text = "(no such event)"};
	return &none;
}

static size_t count(enum cid_event_type type) {
	size_t n = 0;
	for (size_t i = 0; i < evs.n; i++) {
		n += evs.ev[i].type == type;
	}
	return n;
}

static void test_formatted(void) {
	/* home-assistant/core#57765, Conexant USB modem */
	is_int(line("DATE = 1015"), 1, "DATE line is one event");
	is_int(evs.ev[0].type, CID_EV_DATE, "DATE = 1015 is a date");
	is_int(evs.ev[0].month, 10, "month");
	is_int(evs.ev[0].day, 15, "day");
	is_int(evs.ev[0].year, 0, "year unknown (MMDD)");
	is_int(evs.ev[0].hour, -1, "no time in a DATE line");
	line("TIME = 1310");
	is_int(evs.ev[0].hour, 13, "TIME hour");
	is_int(evs.ev[0].minute, 10, "TIME minute");
	is_int(evs.ev[0].month, -1, "no date in a TIME line");
	line("NMBR = 0412345677");
	is_str(first(CID_EV_NUMBER)->number, "0412345677", "NMBR = number");

	/* callattendant TEST_DATA: no blanks around '=' */
	line("NMBR=8055554567");
	is_str(first(CID_EV_NUMBER)->number, "8055554567", "NMBR=number");
	line("NAME=Test1 - Permitted");
	is_str(first(CID_EV_NAME)->name, "Test1 - Permitted", "NAME=name");
	/* callattendant call log: blank runs collapse */
	line("NAME=SEAL BEACH   CA");
	is_str(first(CID_EV_NAME)->name, "SEAL BEACH CA", "blanks in a name collapse");

	/* pamapa/callblocker unit tests: sloppy fields */
	line("DATE= 12");
	is_int(evs.n, 1, "DATE= 12 gives one event");
	is_int(evs.ev[0].type, CID_EV_ERROR, "DATE= 12 is an error, not a date");
	line("TIME=1");
	is_int(evs.ev[0].type, CID_EV_ERROR, "TIME=1 is an error");
	line("NMBR=");
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_UNAVAILABLE, "empty NMBR: no number");
	is_str(first(CID_EV_NUMBER)->number, "", "empty NMBR has no digits");
	line("NAME=saas ");
	is_str(first(CID_EV_NAME)->name, "saas", "trailing blank trimmed");
	is_int(line("NAME="), 0, "empty NAME says nothing");
	is_int(line("DATE="), 0, "empty DATE (NetTalk) says nothing");

	/* MisterHouse Caller_ID.pm: YYMMDD and several keys on one line */
	line("DATE = 990305");
	is_int(evs.ev[0].year, 1999, "YYMMDD year");
	is_int(evs.ev[0].month, 3, "YYMMDD month");
	line("NAME=ARCHER L       NMBR=5071234567");
	is_int(evs.n, 2, "NAME and NMBR on one line");
	is_str(first(CID_EV_NAME)->name, "ARCHER L", "name before NMBR=");
	is_str(first(CID_EV_NUMBER)->number, "5071234567", "number after NAME");
	line("RING RING DATE=0224 NAME=ONMBR=5072884388");
	is_int(count(CID_EV_RING), 2, "two RINGs in a run-on line");
	is_int(first(CID_EV_DATE)->day, 24, "date in a run-on line");
	is_int(first(CID_EV_NAME)->withheld, CALL_WITHHELD_UNAVAILABLE, "NAME=O in a run-on line");
	is_str(first(CID_EV_NUMBER)->number, "5072884388", "NMBR glued to NAME=O");
	/* NCID test data: a name that starts like a key */
	line("NAME = TIME WARNER COM");
	is_str(first(CID_EV_NAME)->name, "TIME WARNER COM", "TIME inside a name is no key");
	line("TIME = 12541");
	is_int(evs.ev[0].minute, 54, "extra TIME digit ignored (NCID test data)");
	line("DATE = 01281509");
	is_int(evs.ev[0].hour, 15, "MMDDHHMM date carries the time");

	/* Keys naming the caller's number: DDN_NMBR (Bell Canada, MisterHouse),
	 * NBR (Kortex, mgetty); DDN alone is the called number. */
	line("DDN_NMBR= 9932562");
	is_str(first(CID_EV_NUMBER)->number, "9932562", "DDN_NMBR is the caller");
	line("NBR=0632727751");
	is_str(first(CID_EV_NUMBER)->number, "0632727751", "NBR is the caller");
	line("DDN = 5551234");
	is_str(first(CID_EV_CALLED)->number, "5551234", "DDN is the called number");

	/* Numbers keep digits and a leading '+' only. */
	line("NMBR = 407-555-1212");
	is_str(first(CID_EV_NUMBER)->number, "4075551212", "dashes dropped");
	line("NMBR = +44 20 7946 0958");
	is_str(first(CID_EV_NUMBER)->number, "+442079460958", "blanks dropped, + kept");
	line("NMBR = (555) 123+4567");
	is_str(first(CID_EV_NUMBER)->number, "5551234567", "inner + dropped");
}

static void test_special_values(void) {
	static const struct {
		const char *line;
		enum cid_event_type type;
		enum call_withheld why;
	} cases[] = {
		{"NMBR = P", CID_EV_NUMBER, CALL_WITHHELD_PRIVATE},
		{"NMBR = O", CID_EV_NUMBER, CALL_WITHHELD_UNAVAILABLE},
		{"NMBR=A", CID_EV_NUMBER, CALL_WITHHELD_UNAVAILABLE},
		{"NMBR = PRIVATE", CID_EV_NUMBER, CALL_WITHHELD_PRIVATE},
		{"NMBR = Private", CID_EV_NUMBER, CALL_WITHHELD_PRIVATE},
		{"NMBR = Restricted", CID_EV_NUMBER, CALL_WITHHELD_PRIVATE},
		{"NMBR = ANONYMOUS", CID_EV_NUMBER, CALL_WITHHELD_PRIVATE},
		{"NMBR = Unavailable", CID_EV_NUMBER, CALL_WITHHELD_UNAVAILABLE},
		{"NMBR = UNAVAILABLE", CID_EV_NUMBER, CALL_WITHHELD_UNAVAILABLE},
		{"NMBR = OUT OF AREA", CID_EV_NUMBER, CALL_WITHHELD_UNAVAILABLE},
		{"NMBR = Out of area", CID_EV_NUMBER, CALL_WITHHELD_UNAVAILABLE},
		{"NMBR = OUT-OF-AREA", CID_EV_NUMBER, CALL_WITHHELD_UNAVAILABLE},
		{"NAME = O", CID_EV_NAME, CALL_WITHHELD_UNAVAILABLE},
		{"NAME=P", CID_EV_NAME, CALL_WITHHELD_PRIVATE},
		{"NAME = WITHHELD", CID_EV_NAME, CALL_WITHHELD_PRIVATE},
		{"NAME = Unavailable", CID_EV_NAME, CALL_WITHHELD_UNAVAILABLE},
		{"NAME = Out of area", CID_EV_NAME, CALL_WITHHELD_UNAVAILABLE},
		{"NAME = PRIVATE", CID_EV_NAME, CALL_WITHHELD_PRIVATE},
		{"NAME = ANONYMOUS", CID_EV_NAME, CALL_WITHHELD_PRIVATE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		line(cases[i].line);
		const struct cid_event *ev = first(cases[i].type);
		is_int(ev->withheld, cases[i].why, "%s is withheld", cases[i].line);
		ok(ev->number[0] == '\0' && ev->name[0] == '\0', "%s is neither number nor name",
		   cases[i].line);
	}
	/* A real name that happens to be a word is kept. */
	line("NAME = WIRELESS CALLER");
	is_str(first(CID_EV_NAME)->name, "WIRELESS CALLER", "ordinary name kept");
}

static void test_names_utf8(void) {
	/* NCID test data: a UTF-8 name */
	line("NAME = V\xc3\xa4h\xc3\xa4l\xc3\xa4");
	is_str(first(CID_EV_NAME)->name, "V\xc3\xa4h\xc3\xa4l\xc3\xa4", "UTF-8 name kept");
	line("NAME = Jos\xe9 M\xfcller");
	is_str(first(CID_EV_NAME)->name, "Jos\xc3\xa9 M\xc3\xbcller", "Latin-1 name to UTF-8");
	line("NAME = \xff\xfe\xc0\xaf bad");
	const char *n = first(CID_EV_NAME)->name;
	ok(utf8_valid(n, strlen(n)), "invalid bytes still give valid UTF-8");
	char longname[300];
	memset(longname, 0, sizeof(longname));
	strcpy(longname, "NAME = ");
	for (size_t i = strlen(longname); i < 280; i += 2) {
		memcpy(longname + i, "\xc3\xa9", 2);
	}
	line(longname);
	n = first(CID_EV_NAME)->name;
	is_int((long)strlen(n), 137 * 2, "a long name (137 characters) is kept whole");
	ok(utf8_valid(n, strlen(n)), "and is valid UTF-8");
}

static void test_other_dialects(void) {
	/* ZyXEL U-1496: mgetty cnd.c, MisterHouse Caller_ID.pm format 3 */
	line("TIME: 03-18 22:05");
	is_int(first(CID_EV_DATE)->month, 3, "ZyXEL TIME: month");
	is_int(first(CID_EV_DATE)->minute, 5, "ZyXEL TIME: minute");
	line("CALLER NUMBER: 5072881030");
	is_str(first(CID_EV_NUMBER)->number, "5072881030", "ZyXEL CALLER NUMBER");
	line("CALLER NAME: WINTER BRUCE LA");
	is_str(first(CID_EV_NAME)->name, "WINTER BRUCE LA", "ZyXEL CALLER NAME");
	line("REASON FOR NO CALLER NUMBER: P");
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_PRIVATE, "ZyXEL reason P");
	line("REASON FOR NO CALLER NUMBER: O");
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_UNAVAILABLE, "ZyXEL reason O");
	line("REASON FOR NO CALLER NAME:");
	is_int(first(CID_EV_NAME)->withheld, CALL_WITHHELD_UNAVAILABLE, "ZyXEL no name, no reason");
	line("CALLED NUMBER: 8673312");
	is_str(first(CID_EV_CALLED)->number, "8673312", "isdn4linux CALLED NUMBER");

	/* ISDN: ZyXEL 2864I (mgetty ring.c), Swiss line (MisterHouse) */
	line("FM:0765628312 TO:8673312");
	is_str(first(CID_EV_NUMBER)->number, "0765628312", "FM: is the caller");
	is_str(first(CID_EV_CALLED)->number, "8673312", "TO: is the called number");
	line("TO:8673312");
	ok(count(CID_EV_NUMBER) == 0 && count(CID_EV_CALLED) == 1, "TO: alone");
	/* ELSA MicroLink (mgetty cnd.c) */
	line("RING;08912345;08765");
	is_int(count(CID_EV_RING), 1, "RING;from;to rings");
	is_str(first(CID_EV_NUMBER)->number, "08912345", "RING;from");
	is_str(first(CID_EV_CALLED)->number, "08765", "RING;..;to");
	/* USR Courier (mgetty cnd.c) */
	line("CallerID: 4951234567");
	is_str(first(CID_EV_NUMBER)->number, "4951234567", "CallerID:");
	/* Kortex Adaptix (ncidd.c) */
	line("DATE TIME=11/24 22:10");
	is_int(first(CID_EV_DATE)->day, 24, "Kortex DATE TIME day");
	is_int(first(CID_EV_DATE)->hour, 22, "Kortex DATE TIME hour");
	line("CID RING");
	is_int(evs.ev[0].type, CID_EV_RING, "Kortex CID RING");
	line("CALLING MSG");
	is_int(evs.ev[0].type, CID_EV_LINE, "Kortex CALLING MSG is no caller ID");

	/* NetCallerID (ncidd.c, MisterHouse) */
	line("###DATE03301423...NMBR4075551212...NAMEWIRELESS CALL+++");
	is_int(first(CID_EV_DATE)->hour, 14, "NetCallerID date");
	is_str(first(CID_EV_NUMBER)->number, "4075551212", "NetCallerID number");
	is_str(first(CID_EV_NAME)->name, "WIRELESS CALL", "NetCallerID name");
	line("###DATE03301423...NMBR...NAME-UNKNOWN CALLER-+++");
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_UNAVAILABLE, "-UNKNOWN CALLER-");
	is_int(first(CID_EV_NAME)->withheld, CALL_WITHHELD_UNAVAILABLE, "-UNKNOWN CALLER- name");
	line("###DATE03301423...NMBR...NAME+++");
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_UNAVAILABLE, "empty NetCallerID");
	line("###DATE...NMBR...NAME   -MSG OFF-+++");
	ok(evs.n == 1 && evs.ev[0].type == CID_EV_MESG, "-MSG OFF- is a message, not a call");
	is_str(evs.ev[0].text, "-MSG OFF-", "message text");
}

static void test_rings(void) {
	is_int(line("RING"), 1, "RING");
	is_str(evs.ev[0].ring_type, "", "plain ring");
	line("RING A"); /* 3Com, NCID Modems.md */
	is_str(evs.ev[0].ring_type, "A", "RING A");
	line("RING B");
	is_str(evs.ev[0].ring_type, "B", "RING B");
	line("RING 1"); /* Rockwell */
	is_str(evs.ev[0].ring_type, "1", "RING 1");
	line("RING 2");
	is_str(evs.ev[0].ring_type, "2", "RING 2");
	line("RINGING");
	is_int(evs.ev[0].type, CID_EV_LINE, "RINGING is not a ring");
	line("+CRING: VOICE");
	is_int(evs.ev[0].type, CID_EV_RING, "+CRING: VOICE rings");
	line("+CRING: REL ASYNC");
	is_int(evs.ev[0].type, CID_EV_RING, "+CRING: REL ASYNC rings");
	line("DRON=5");
	is_int(evs.ev[0].type, CID_EV_LINE, "a cadence line alone is a LINE");

	/* Lucent: cadence before its RING (mgetty ring.c, NCID Modems.md) */
	struct cid_parser *p = cid_parser_create();
	const char *lucent = "DRON=5\r\nDROF=11\r\nDRON=5\r\nDROF=34\r\nRING\r\nRING\r\n";
	feed(p, lucent, strlen(lucent));
	is_int(count(CID_EV_RING), 2, "Lucent rings");
	is_str(first(CID_EV_RING)->ring_type, "DRON=5,5", "cadence goes to the next RING");
	is_str(evs.ev[evs.n - 1].ring_type, "", "and only to it");
	cid_parser_destroy(p);
}

static void test_gsm(void) {
	/* ModemManager mm-modem-helpers.c */
	line("+CLIP: \"+393351391306\",145,,,,0");
	is_str(first(CID_EV_NUMBER)->number, "+393351391306", "+CLIP number");
	is_int(first(CID_EV_NUMBER)->toa, 145, "+CLIP type");
	line("+CLIP: \"123456789\",129");
	is_str(first(CID_EV_NUMBER)->number, "123456789", "+CLIP national");
	line("+CLIP: \"\",128,\"\",,\"\",0");
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_PRIVATE, "+CLIP empty: withheld");
	line("+CLIP: \"\",128,,,,1");
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_PRIVATE, "validity 1: private");
	line("+CLIP: \"\",128,,,,2");
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_UNAVAILABLE, "validity 2");
	line("+CLIP: \"8613800138000\",145,,,,0");
	is_str(first(CID_EV_NUMBER)->number, "+8613800138000", "type 145 adds the +");
	line("+CLIP: \"+381641234567\",145,\"\",0,\"Petar Petrovi\xc4\x87\",0");
	is_str(first(CID_EV_NAME)->name, "Petar Petrovi\xc4\x87", "+CLIP alpha is the name");
	line("+CLIP: 0,1"); /* answer to AT+CLIP? */
	is_int(evs.ev[0].type, CID_EV_LINE, "+CLIP: 0,1 is not caller ID");
	line("+CNAP: \"ACME LTD\"");
	is_str(first(CID_EV_NAME)->name, "ACME LTD", "+CNAP name");
	line("+CNAP: \"\",1");
	is_int(first(CID_EV_NAME)->withheld, CALL_WITHHELD_PRIVATE, "+CNAP withheld");
	line("+CCWA: \"123456789\",129,1");
	is_int(evs.ev[0].type, CID_EV_CALL_WAITING, "+CCWA");
	is_str(evs.ev[0].number, "123456789", "+CCWA number");
	line("+CCWA: 1,1"); /* answer to AT+CCWA? */
	is_int(evs.ev[0].type, CID_EV_LINE, "+CCWA: 1,1 is not a call");
	/* python-gsmmodem: ZTE/Qualcomm polling */
	line("+CLCC: 1,1,4,0,0,\"+27821231234\",145");
	is_str(first(CID_EV_NUMBER)->number, "+27821231234", "+CLCC incoming");
	line("+CLCC: 1,1,4,0,0,\"+37211111\",145,\"Mari\"");
	is_str(first(CID_EV_NAME)->name, "Mari", "+CLCC alpha");
	line("+CLCC: 2,1,5,0,0,\"+27821231234\",145");
	is_int(evs.ev[0].type, CID_EV_CALL_WAITING, "+CLCC stat 5 is waiting");
	line("+CLCC: 1,1,0,0,0,\"+27821231234\",145");
	is_int(evs.ev[0].type, CID_EV_OFFHOOK, "+CLCC stat 0: answered");
	is_str(evs.ev[0].number, "+27821231234", "answered call's number");
	line("+CLCC: 1,0,0,0,0,\"0544677181\",129,\"\"");
	is_int(evs.ev[0].type, CID_EV_LINE, "outgoing call is not ours");
	line("+CLCC: 2,1,0,1,0,\"\",128"); /* a data session */
	is_int(evs.ev[0].type, CID_EV_LINE, "data call is not ours");
	line("+CLCC: 1,1,4,0,0,\"\",145"); /* chan_dongle test/parse.c */
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_PRIVATE, "+CLCC without number");

	line("NO CARRIER");
	is_int(evs.ev[0].type, CID_EV_HANGUP, "NO CARRIER hangs up");
	is_str(evs.ev[0].text, "NO CARRIER", "and keeps its text for the AT engine");
	line("^CEND:1,5,29,16"); /* python-gsmmodem, Huawei */
	is_int(evs.ev[0].type, CID_EV_HANGUP, "^CEND");
	line("+WIND: 6,1"); /* python-gsmmodem, Wavecom */
	is_int(evs.ev[0].type, CID_EV_HANGUP, "+WIND: 6");
	line("+WIND: 5,1");
	is_int(evs.ev[0].type, CID_EV_LINE, "+WIND: 5 is not a hang-up");
	line("+WIND: 63");
	is_int(evs.ev[0].type, CID_EV_LINE, "+WIND: 63 is not a hang-up");
}

static void test_mdmf_bins(void) {
	/* njh/mqtt-callerid tests/NAME.bin: BT FSK dumps with the seizure */
	size_t len;
	char *buf = load("njh-linetest1.bin", &len);
	evs.n = 0;
	int r = cid_decode_mdmf((const uint8_t *)buf, len, collect, &evs);
	is_int(r, 3, "linetest1: call type, date, number");
	is_int(first(CID_EV_DATE)->month, 6, "linetest1 month");
	is_int(first(CID_EV_DATE)->hour, 22, "linetest1 hour");
	is_int(first(CID_EV_DATE)->minute, 59, "linetest1 minute");
	is_str(first(CID_EV_NUMBER)->number, "08003289393", "linetest1 number");
	is_str(first(CID_EV_MESG)->text, "110101", "BT call type passed on as MESG");
	free(buf);

	buf = load("njh-international1.bin", &len);
	evs.n = 0;
	cid_decode_mdmf((const uint8_t *)buf, len, collect, &evs);
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_UNAVAILABLE, "international: reason O");
	is_str(first(CID_EV_NAME)->name, "INTERNATIONAL", "international: text as name");
	free(buf);

	buf = load("njh-withheld1.bin", &len);
	evs.n = 0;
	cid_decode_mdmf((const uint8_t *)buf, len, collect, &evs);
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_PRIVATE, "withheld: reason P");
	is_int(first(CID_EV_NAME)->withheld, CALL_WITHHELD_PRIVATE, "WITHHELD is no name");
	is_int(first(CID_EV_DATE)->minute, 15, "withheld date");
	free(buf);

	const char *unavail[] = {"njh-unavailable1.bin", "njh-unavailable2.bin"};
	for (size_t i = 0; i < 2; i++) {
		buf = load(unavail[i], &len);
		evs.n = 0;
		r = cid_decode_mdmf((const uint8_t *)buf, len, collect, &evs);
		ok(r > 0, "%s decodes (bytes after the checksum ignored)", unavail[i]);
		is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_UNAVAILABLE, "%s", unavail[i]);
		is_int(first(CID_EV_NAME)->withheld, CALL_WITHHELD_UNAVAILABLE, "%s name",
		       unavail[i]);
		free(buf);
	}

	buf = load("njh-bttext1.bin", &len);
	evs.n = 0;
	cid_decode_mdmf((const uint8_t *)buf, len, collect, &evs);
	is_str(first(CID_EV_NUMBER)->number, "08456021111", "bttext1 number");
	is_int(first(CID_EV_DATE)->day, 12, "bttext1 day");
	free(buf);

	/* Exar TAN-009 table 1, via njh: reason for no name 'p' */
	buf = load("njh-tan9table1.bin", &len);
	evs.n = 0;
	cid_decode_mdmf((const uint8_t *)buf, len, collect, &evs);
	is_str(first(CID_EV_NUMBER)->number, "4084346400", "TAN-009 number");
	is_int(first(CID_EV_DATE)->month, 4, "TAN-009 month");
	is_int(first(CID_EV_NAME)->withheld, CALL_WITHHELD_PRIVATE, "TAN-009 reason p");

	/* The same bytes with one bit flipped: checksum error, no number. */
	buf[len - 1] ^= 0x01;
	evs.n = 0;
	r = cid_decode_mdmf((const uint8_t *)buf, len, collect, &evs);
	is_int(r, -EBADMSG, "bad checksum is -EBADMSG");
	is_int(evs.n, 0, "and reports nothing");
	r = cid_decode_mdmf((const uint8_t *)buf, len - 8, collect, &evs);
	is_int(r, -EBADMSG, "truncated message is -EBADMSG");
	free(buf);
}

static void test_mdmf_hex(void) {
	uint8_t msg[64];
	/* Askey 1456VQH75A manual: SDMF printed without its checksum byte. */
	const char *askey = "0412303332323234303539313435353132333435";
	line(askey);
	is_int(evs.n, 1, "Askey SDMF: one event");
	is_int(evs.ev[0].type, CID_EV_ERROR, "missing checksum is an error");
	ok(strstr(evs.ev[0].text, "checksum") != NULL, "which says so: %s", evs.ev[0].text);
	is_int(count(CID_EV_NUMBER), 0, "and no number");
	size_t n = strlen(askey) / 2;
	for (size_t i = 0; i < n; i++) {
		sscanf(askey + 2 * i, "%2hhx", &msg[i]);
	}
	is_int(cid_decode_mdmf(msg, n, collect, &evs), -EBADMSG, "decoder: -EBADMSG");
	/* Completed with its checksum it is a good SDMF message. */
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += msg[i];
	}
	msg[n] = (uint8_t)(0x100 - (sum & 0xff));
	evs.n = 0;
	is_int(cid_decode_mdmf(msg, n + 1, collect, &evs), 2, "SDMF with checksum decodes");
	is_str(first(CID_EV_NUMBER)->number, "9145512345", "SDMF number");
	is_int(first(CID_EV_DATE)->day, 22, "SDMF date");
	is_int(first(CID_EV_DATE)->hour, -1, "SDMF hour 24 is no time");
	/* SDMF with a reason letter */
	const uint8_t sdmf_p[] = {0x04, 0x09, '1', '2', '3', '1', '2', '3', '5', '9', 'P', 0};
	memcpy(msg, sdmf_p, sizeof(sdmf_p));
	sum = 0;
	for (size_t i = 0; i + 1 < sizeof(sdmf_p); i++) {
		sum += msg[i];
	}
	msg[sizeof(sdmf_p) - 1] = (uint8_t)(0x100 - (sum & 0xff));
	evs.n = 0;
	cid_decode_mdmf(msg, sizeof(sdmf_p), collect, &evs);
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_PRIVATE, "SDMF P");
	is_int(cid_decode_mdmf((const uint8_t *)"\x55\x55\x82\x01", 4, collect, &evs), -EINVAL,
	       "message waiting is not caller ID");
	is_int(cid_decode_mdmf(NULL, 0, collect, &evs), -EINVAL, "nothing is not a message");

	/* MESG lines */
	line("MESG = 060342424231"); /* ACID2000 help */
	ok(evs.n == 1 && evs.ev[0].type == CID_EV_MESG, "ACID2000 MESG: one MESG event");
	is_str(evs.ev[0].text, "060342424231", "MESG text is the hex");
	line("MESG = 110101"); /* BT call type, NCID */
	ok(evs.n == 1 && evs.ev[0].type == CID_EV_MESG, "MESG = 110101");
	line("MESG = 06014C"); /* Bell Canada long distance, NCID */
	ok(evs.n == 1 && evs.ev[0].type == CID_EV_MESG, "MESG = 06014C");
	line("MESG = 030735353531323132"); /* Bell Canada DN, mgetty cnd.c */
	is_str(first(CID_EV_NUMBER)->number, "5551212", "MESG DN parameter decoded");
	line("MESG = 060342424200");
	is_int(first(CID_EV_ERROR)->type, CID_EV_ERROR, "MESG parameter with bad checksum");
	line("MESG = hello");
	ok(evs.n == 1 && evs.ev[0].type == CID_EV_MESG, "non-hex MESG passed on");

	/* Raw hex lines (AT+VCID=2) */
	size_t len;
	char *buf = load("vcid2-mdmf-hex-spaced.txt", &len);
	struct cid_parser *p = cid_parser_create();
	feed(p, buf, len);
	is_int(first(CID_EV_NUMBER)->withheld, CALL_WITHHELD_PRIVATE, "spaced hex MDMF");
	free(buf);
	buf = load("vcid2-mdmf-bad-checksum.txt", &len);
	feed(p, buf, len);
	is_int(count(CID_EV_ERROR), 1, "bad checksum line is an error");
	is_int(count(CID_EV_NUMBER), 0, "and gives no number");
	free(buf);
	cid_parser_destroy(p);
	line("56000");
	is_int(evs.ev[0].type, CID_EV_LINE, "ATI0 answer is a line");
	line("0412345677");
	is_int(evs.ev[0].type, CID_EV_LINE, "a number starting 04 is no SDMF");
	line("80");
	is_int(evs.ev[0].type, CID_EV_LINE, "80 alone is a line");
}

static void test_lines(void) {
	static const char *plain[] = {
		"OK",	   "ERROR", "ATZ",     "AT+VCID=1",
		"0",	   "56000", "5601",    "+GMI: CONEXANT",
		"CONNECT", "BUSY",  "END MSG", "CX93001-EIS_V0.2002-V92",
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		line(plain[i]);
		ok(evs.n == 1 && evs.ev[0].type == CID_EV_LINE, "%s is a LINE", plain[i]);
		is_str(evs.ev[0].text, plain[i], "with its text");
	}
	is_int(line(""), 0, "blank line: nothing");
	is_int(line("   \t "), 0, "blank line with blanks: nothing");
	/* Conexant -STE line-in-use: AT reference 100722B and 102184B */
	line("LINE-IN-USE");
	is_int(evs.ev[0].type, CID_EV_OFFHOOK, "LINE-IN-USE: a phone is off-hook");
	line("LINE IN USE");
	is_int(evs.ev[0].type, CID_EV_OFFHOOK, "LINE IN USE");
	is_str(call_withheld_str(CALL_WITHHELD_PRIVATE), "private", "withheld str");
	ok(call_withheld_str(CALL_WITHHELD_NONE) == NULL, "no reason is NULL");
	is_str(cid_event_type_str(CID_EV_CALL_WAITING), "call-waiting", "type str");
}

static void test_stream(void) {
	struct cid_parser *p = cid_parser_create();
	ok(p != NULL, "parser created");
	const char *endings[] = {"\r", "\n", "\r\n", "\r\r\n", "\n\r"};
	for (size_t i = 0; i < 5; i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "RING%sNMBR = 5551234%sOK%s", endings[i], endings[i],
			 endings[i]);
		size_t n = feed(p, buf, strlen(buf));
		ok(n == 3 && evs.ev[0].type == CID_EV_RING && evs.ev[1].type == CID_EV_NUMBER &&
			   evs.ev[2].type == CID_EV_LINE,
		   "line ending %zu", i);
	}
	/* NUL and DLE noise */
	const char noise[] = "RI\0NG\r\n\0\0NM\0BR = 555\0"
			     "1234\r\n";
	feed(p, noise, sizeof(noise) - 1);
	ok(evs.n == 2 && evs.ev[1].type == CID_EV_NUMBER, "NUL bytes ignored");
	is_str(evs.ev[1].number, "5551234", "number across NULs");
	const char dle[] = "\x10R\x10X\n\n\x10.\x10XNAME = JOHN\r\n\x10H\x10h\x10P\x10p\x10\x10\x10"
			   "5";
	feed(p, dle, sizeof(dle) - 1);
	ok(evs.n == 6, "DLE events: %zu", evs.n);
	ok(evs.ev[0].type == CID_EV_RING, "DLE R rings");
	is_str(evs.ev[0].text, "<DLE>R", "DLE text");
	is_str(first(CID_EV_NAME)->name, "JOHN", "DLE pairs inside a line dropped (Motorola Jump)");
	ok(evs.ev[2].type == CID_EV_OFFHOOK && evs.ev[3].type == CID_EV_ONHOOK &&
		   evs.ev[4].type == CID_EV_OFFHOOK && evs.ev[5].type == CID_EV_ONHOOK,
	   "DLE H h P p");
	/* Same through cid_parse_line */
	line("\x10RRING\x10P");
	ok(evs.n == 3 && evs.ev[0].type == CID_EV_RING && evs.ev[1].type == CID_EV_OFFHOOK &&
		   evs.ev[2].type == CID_EV_RING,
	   "DLE pairs in cid_parse_line");
	/* flush and reset */
	evs.n = 0;
	cid_parser_feed(p, "NMBR = 12", 9, collect, &evs);
	is_int(evs.n, 0, "partial line waits");
	cid_parser_feed(p, "34", 2, collect, &evs);
	cid_parser_flush(p, collect, &evs);
	is_str(first(CID_EV_NUMBER)->number, "1234", "flush parses the partial line");
	cid_parser_feed(p, "NMBR = 99", 9, collect, &evs);
	cid_parser_reset(p);
	evs.n = 0;
	cid_parser_feed(p, "\r\n", 2, collect, &evs);
	is_int(evs.n, 0, "reset forgets the partial line");
	cid_parser_destroy(p);
	cid_parser_destroy(NULL);
}

static int warnings;
static void count_warnings(enum log_level level, const char *msg, void *data) {
	(void)msg;
	(void)data;
	warnings += level == LOG_WARN;
}

static void test_overlong(void) {
	log_set_sink(count_warnings, NULL);
	struct cid_parser *p = cid_parser_create();
	size_t big = 5 * CID_LINE_MAX;
	char *buf = malloc(big + 16);
	memset(buf, 'A', big);
	memcpy(buf + big, "\r\nRING\r\n", 8);
	warnings = 0;
	feed(p, buf, big + 8);
	is_int(evs.n, 2, "overlong line is one event, then the next line");
	is_int(strlen(evs.ev[0].text), CID_LINE_MAX - 1, "truncated to CID_LINE_MAX - 1");
	is_int(evs.ev[1].type, CID_EV_RING, "parsing goes on");
	is_int(warnings, 1, "with one warning");
	memcpy(buf, "NAME = ", 7);
	buf[big] = '\0';
	warnings = 0;
	line(buf);
	is_int(warnings, 1, "cid_parse_line warns too");
	ok(strlen(first(CID_EV_NAME)->name) < CALL_NAME_MAX, "name bounded");
	free(buf);
	cid_parser_destroy(p);
	log_set_sink(NULL, NULL);
}

/* Feeding a fixture byte by byte must give what one buffer gives. */
static void test_chunking(void) {
	static const char *files[] = {
		"ha-57765-conexant.txt", "callattendant-test-data.txt",
		"ncid-uk-withheld.txt",	 "misterhouse-rockwell.txt",
		"netcallerid.txt",	 "voice-dle-pickup.txt",
		"gsm-clcc-poll.txt",	 "distinctive-lucent.txt",
		"vcid2-mdmf-hex.txt",	 "motorola-jump-dle.txt",
		"njh-linetest1.bin",
	};
	static struct events whole;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *buf = load(files[f], &len);
		struct cid_parser *p = cid_parser_create();
		whole.n = 0;
		cid_parser_feed(p, buf, len, collect, &whole);
		cid_parser_flush(p, collect, &whole);
		evs.n = 0;
		for (size_t i = 0; i < len; i++) {
			cid_parser_feed(p, buf + i, 1, collect, &evs);
		}
		cid_parser_flush(p, collect, &evs);
		bool same = whole.n == evs.n && whole.n > 0;
		for (size_t i = 0; same && i < whole.n; i++) {
			same = memcmp(&whole.ev[i], &evs.ev[i], sizeof(struct cid_event)) == 0;
		}
		ok(same, "%s: byte by byte == one buffer (%zu events)", files[f], whole.n);
		cid_parser_destroy(p);
		free(buf);
	}
}

int main(void) {
	test_formatted();
	test_special_values();
	test_names_utf8();
	test_other_dialects();
	test_rings();
	test_gsm();
	test_mdmf_bins();
	test_mdmf_hex();
	test_lines();
	test_stream();
	test_overlong();
	test_chunking();
	return tap_done();
}
