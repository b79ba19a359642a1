/*
 * The FRITZ!Box call monitor's parser, fed with lines boxes sent. Time is
 * passed in: nothing sleeps. Each transcript names where it was published
 * (collected in doc/fritzbox.md); numbers masked by their
 * authors ("xxx") are kept as they were.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fritzbox.h"
#include "linebuf.h"
#include "tap.h"

#define MAX_CHANGES 64
#define T0	    1795737600000LL /* 2026-11-27T00:00:00Z */

struct change {
	struct call_info info;
	enum call_change what;
};

static struct change changes[MAX_CHANGES];
static int nchanges;

static void on_call(const struct call_info *c, enum call_change what, void *data) {
	(void)data;
	if (nchanges < MAX_CHANGES) {
		changes[nchanges].info = *c;
		changes[nchanges].what = what;
	}
	nchanges++;
}

/* Feeds the lines of text one by one, a second apart; returns the parser's
 * answer to the last. */
static int feed(struct fritzbox_parser *p, const char *text) {
	static int64_t now = T0;
	int ret = 0;
	while (*text != '\0') {
		const char *nl = strchr(text, '\n');
		size_t len = nl != NULL ? (size_t)(nl - text) : strlen(text);
		ret = fritzbox_parser_line(p, text, len, now += 1000);
		text += len + (nl != NULL);
	}
	return ret;
}

static struct fritzbox_parser *fresh(void) {
	nchanges = 0;
	memset(changes, 0, sizeof(changes));
	return fritzbox_parser_create("fritzbox", on_call, NULL);
}

static const struct change *last(void) {
	return nchanges > 0 && nchanges <= MAX_CHANGES ? &changes[nchanges - 1] : &changes[0];
}

static void test_answered(void) {
	/* T1: petermost/FritzBoxCallMonitor, CallMonitor/src/FritzBox.cpp */
	struct fritzbox_parser *p = fresh();
	feed(p, "03.11.16 13:17:08;RING;0;015146609763;90969248;SIP1;");
	is_int(nchanges, 1, "RING starts a call");
	is_int(changes[0].what, CALL_STARTED, "as CALL_STARTED");
	is_str(changes[0].info.number, "015146609763", "with the caller's number");
	is_str(changes[0].info.called, "90969248", "and the box's number that rang");
	is_str(changes[0].info.line, "fritzbox", "on the line");
	ok(!changes[0].info.outgoing, "coming in");
	is_int(changes[0].info.state, CALL_STATE_RINGING, "ringing");
	ok(changes[0].info.has_date && changes[0].info.has_time, "the box's stamp is kept");
	is_int(changes[0].info.year * 10000 + changes[0].info.month * 100 + changes[0].info.day,
	       20161103, "dd.mm.yy read as 2016-11-03");
	is_int(changes[0].info.hour * 100 + changes[0].info.minute, 1317, "at 13:17");
	is_int(changes[0].info.withheld, CALL_WITHHELD_NONE, "not withheld");
	is_int(changes[0].info.started_wall, T0 + 1000, "started when the line came");
	is_int(fritzbox_parser_calls(p), 1, "one call in progress");

	feed(p, "03.11.16 13:17:16;CONNECT;0;1;015146609763;");
	is_int(nchanges, 2, "CONNECT changes it");
	is_int(last()->what, CALL_UPDATED, "as CALL_UPDATED");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "answered");
	is_str(last()->info.answered_by, "1", "by extension 1 (FON2)");
	is_int((int64_t)last()->info.seq, (int64_t)changes[0].info.seq, "the same call");

	feed(p, "03.11.16 13:20:37;DISCONNECT;0;201;");
	is_int(nchanges, 3, "DISCONNECT ends it");
	is_int(last()->what, CALL_ENDED, "as CALL_ENDED");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "still answered");
	is_str(last()->info.answered_by, "1", "by extension 1");
	ok(last()->info.ended_wall > last()->info.started_wall, "with an end");
	is_int(fritzbox_parser_calls(p), 0, "no call left");
	fritzbox_parser_destroy(p);

	/* T5: bufemc/a1fbox log/callmonitor-test.log, a DECT handset (ext 11) */
	p = fresh();
	feed(p, "17.06.20 10:28:29;RING;0;07191952xxx;69xxx;SIP0;\n"
		"17.06.20 10:28:43;CONNECT;0;11;07191952xxx;\n"
		"17.06.20 10:30:31;DISCONNECT;0;109;\n");
	is_int(nchanges, 3, "a1fbox: RING, CONNECT, DISCONNECT");
	is_str(changes[0].info.number, "07191952", "masked digits dropped, the rest kept");
	is_str(last()->info.answered_by, "11", "answered on DECT handset 11");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "answered");
	fritzbox_parser_destroy(p);
}

static void test_missed(void) {
	/* T2: bufemc/a1fbox log/callmonitor-test.log */
	struct fritzbox_parser *p = fresh();
	feed(p, "16.06.20 12:25:42;RING;0;01755290xxx;732xxx;SIP1;\n"
		"16.06.20 12:25:46;DISCONNECT;0;0;\n");
	is_int(nchanges, 2, "RING then DISCONNECT: started, ended");
	is_int(last()->what, CALL_ENDED, "ended");
	is_int(last()->info.state, CALL_STATE_MISSED, "nobody took it: missed");
	is_str(last()->info.answered_by, "", "answered by nobody");
	fritzbox_parser_destroy(p);

	/* akentner/fritz-callmonitor2mqtt internal/callmonitor/client_test.go */
	p = fresh();
	feed(p, "09.09.25 12:50:10;RING;1;0301234567;5551234;SIP0;\n"
		"09.09.25 12:50:15;DISCONNECT;1;0;\n");
	is_int(last()->info.state, CALL_STATE_MISSED, "fritz-callmonitor2mqtt's missed call");
	fritzbox_parser_destroy(p);
}

static void test_withheld(void) {
	/* T3: neutrino-images/ni-neutrino-plugins FritzCallMonitor.cpp (ISDN) */
	struct fritzbox_parser *p = fresh();
	feed(p, "28.08.10 10:22:07;RING;0;;123x;ISDN;");
	is_int(changes[0].info.withheld, CALL_WITHHELD_PRIVATE, "an empty caller is withheld");
	is_str(changes[0].info.number, "", "with no number");
	is_str(changes[0].info.called, "123", "the box's number");
	feed(p, "28.08.10 10:24:37;CONNECT;0;4;;");
	is_str(last()->info.answered_by, "4", "taken on the ISDN bus (4)");
	is_int(last()->info.withheld, CALL_WITHHELD_PRIVATE, "still withheld");
	fritzbox_parser_destroy(p);

	/* bufemc/a1fbox a1fbox/callblocker.py, "Provoke CLIR" (VoIP) */
	p = fresh();
	feed(p, "11.07.20 14:10:13;RING;0;;69xxx;SIP0;");
	is_int(changes[0].info.withheld, CALL_WITHHELD_PRIVATE, "CLIR on SIP: withheld");
	fritzbox_parser_destroy(p);
}

static void test_outgoing(void) {
	/* T4: bufemc/a1fbox log/callmonitor-test.log, retries then an answer */
	struct fritzbox_parser *p = fresh();
	feed(p, "17.06.20 10:30:57;CALL;1;11;69xxx;952xxx;SIP0;\n"
		"17.06.20 10:31:00;DISCONNECT;1;0;\n");
	is_int(nchanges, 2, "CALL then DISCONNECT");
	ok(changes[0].info.outgoing, "CALL is a call placed from the office");
	is_str(changes[0].info.number, "952", "the number dialled");
	is_str(changes[0].info.called, "69", "from the box's own number");
	is_str(changes[0].info.answered_by, "11", "placed on extension 11");
	is_int(last()->info.state, CALL_STATE_UNKNOWN,
	       "not answered, but not missed either: nobody here missed it");
	feed(p, "17.06.20 10:32:16;CALL;1;11;69xxx;952xxx;SIP0;\n"
		"17.06.20 10:32:23;CONNECT;1;11;952xxx;\n"
		"17.06.20 10:37:34;DISCONNECT;1;312;\n");
	is_int(nchanges, 5, "a second try: started, answered, ended");
	ok(changes[2].info.seq != changes[0].info.seq, "a new call under the reused id");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "the other end answered");
	ok(last()->info.outgoing, "still outgoing");
	fritzbox_parser_destroy(p);

	/* T8: jfritz FBoxListenerV3Test.java, older firmware without the last ';' */
	p = fresh();
	feed(p, "13.04.03 09:10:13;CALL;1;4;7654321;01231234567;ISDN");
	ok(nchanges == 1 && changes[0].info.outgoing, "CALL without a trailing ';'");
	is_str(changes[0].info.number, "01231234567", "its number");
	fritzbox_parser_destroy(p);
}

static void test_answering_machine(void) {
	/* T7: akentner/fritz-callmonitor2mqtt docs/EXTENSION-MAPPING.md, the
	 * answering machine **600 appears as 40 (the RING is not in the source) */
	struct fritzbox_parser *p = fresh();
	feed(p, "13.09.25 18:04:00;RING;0;01783278576;3698237;SIP2;\n"
		"13.09.25 18:08:43;CONNECT;0;40;01783278576;\n");
	is_str(last()->info.answered_by, "40", "the answering machine took the call");
	is_int(last()->info.state, CALL_STATE_RINGING, "which is no answer by a person");
	feed(p, "13.09.25 18:09:30;DISCONNECT;0;47;");
	is_int(last()->info.state, CALL_STATE_MISSED,
	       "the caller left a message: missed, to be called back");
	is_str(last()->info.answered_by, "40", "and the log says who took it");
	fritzbox_parser_destroy(p);
}

static void test_concurrent(void) {
	/* T6: bufemc/a1fbox: two calls at once, ids 2 and 1 (the CALL that
	 * opened id 1 is not in the source; here it is) */
	struct fritzbox_parser *p = fresh();
	feed(p, "16.06.20 17:55:00;CALL;1;13;07191732xxx;69xxx;SIP0;\n"
		"16.06.20 17:55:06;RING;2;07191732xxx;69xxx;SIP0;\n");
	is_int(fritzbox_parser_calls(p), 2, "two calls at once");
	feed(p, "16.06.20 17:55:09;CONNECT;2;10;07191732xxx;");
	is_int((int64_t)last()->info.seq, (int64_t)changes[1].info.seq, "CONNECT 2 is the RING's");
	is_str(last()->info.answered_by, "10", "taken on handset 10");
	feed(p, "16.06.20 17:55:09;CONNECT;1;13;69xxx;\n"
		"16.06.20 17:55:15;DISCONNECT;2;6;\n");
	is_int((int64_t)last()->info.seq, (int64_t)changes[1].info.seq, "DISCONNECT 2 ends it");
	is_int(fritzbox_parser_calls(p), 1, "the other goes on");
	feed(p, "16.06.20 17:55:16;DISCONNECT;1;6;");
	is_int((int64_t)last()->info.seq, (int64_t)changes[0].info.seq, "then the first ends");
	fritzbox_parser_destroy(p);

	/* T8: jfritz FBoxListenerV3Test.java, an analog line (POTS) */
	p = fresh();
	feed(p, "09.09.06 16:03:55;RING;2;01781231234;4271960;POTS;\n"
		"09.09.06 16:04:12;CONNECT;2;0;01781231234;\n"
		"09.09.06 16:06:31;DISCONNECT;2;660;\n");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "POTS, answered on FON1 (0)");
	is_str(last()->info.answered_by, "0", "extension 0");
	fritzbox_parser_destroy(p);
}

static void test_odd(void) {
	struct fritzbox_parser *p = fresh();
	/* fritzconnection docs/sources/call_monitoring.rst, CRLF as
	 * blacksenator/fbcallrouter and AM-WD/FritzCallMonitor show */
	feed(p, "25.08.25 20:15:30;RING;2;012345678901;9876543;SIP0;\r");
	is_str(changes[0].info.called, "9876543", "a CRLF line reads the same");
	/* home-assistant/core issue #130955: a 7390's broken stamp */
	feed(p, "01.01.-30 03:10:5;RING;3;0301111;9876543;SIP0;");
	is_int(nchanges, 2, "a broken stamp still rings");
	ok(!last()->info.has_date && !last()->info.has_time, "without the box's stamp");
	/* openhab1-addons issue #5522: lines with fewer fields */
	is_int(feed(p, "01.01.20 10:10:10;RING;4;"), -EINVAL, "a short RING is not an event");
	is_int(feed(p, "01.01.20 10:10:10;CONNECT;2"), -EINVAL, "a short CONNECT neither");
	is_int(feed(p, "hello"), -EINVAL, "nor is a greeting");
	is_int(fritzbox_parser_line(p, "", 0, T0), -EINVAL, "nor an empty line");
	is_int(feed(p, "01.01.20 10:10:10;RING;x;1;2;SIP0;"), -EINVAL, "an id must be digits");
	is_int(feed(p, "01.01.20 10:10:10;HANGUP;2;0;"), -EINVAL, "an unknown event");
	is_int(feed(p, "01.01.20 10:10:10;DISCONNECT;7;0;"), -ENOENT,
	       "a call that began before ctid connected");
	is_int(nchanges, 2, "none of them changed a call");
	is_int(fritzbox_parser_calls(p), 2, "and both calls are still followed");
	/* bytes that are not UTF-8 in an extension's name */
	feed(p, "25.08.25 20:15:40;CONNECT;2;\xff\xfe"
		"21;012345678901;");
	ok(strlen(last()->info.answered_by) > 0 && last()->info.answered_by[0] != '\xff',
	   "an extension that is not UTF-8 is made readable");
	/* a box that restarted: the connection is lost mid-call */
	fritzbox_parser_finish(p, T0 + 99000);
	is_int(fritzbox_parser_calls(p), 0, "finish ends every call");
	is_int(changes[nchanges - 2].info.state, CALL_STATE_ANSWERED,
	       "an answered call stays answered");
	is_int(last()->info.state, CALL_STATE_UNKNOWN, "one still ringing ends as unknown");
	fritzbox_parser_destroy(p);

	/* more calls at once than the parser follows: the oldest gives way */
	p = fresh();
	char line[128];
	for (int i = 0; i <= FRITZBOX_MAX_CALLS; i++) {
		snprintf(line, sizeof(line), "01.01.20 10:10:10;RING;%d;0301%04d;9876543;SIP0;", i,
			 i);
		feed(p, line);
	}
	is_int(fritzbox_parser_calls(p), FRITZBOX_MAX_CALLS, "at most %d calls followed",
	       FRITZBOX_MAX_CALLS);
	is_int(nchanges, FRITZBOX_MAX_CALLS + 2, "the oldest was ended to make room");
	is_str(changes[FRITZBOX_MAX_CALLS].info.number, "03010000", "the first one");
	/* a RING under an id still in use: the box forgot that call's end */
	feed(p, "01.01.20 10:10:11;RING;5;0302222;9876543;SIP0;");
	is_int(changes[nchanges - 2].what, CALL_ENDED, "the forgotten call ends");
	is_str(last()->info.number, "0302222", "before the new one starts");
	fritzbox_parser_destroy(p);
}

static char got[8][64];
static int ngot;

static void on_line(const char *s, size_t len, void *data) {
	(void)data;
	if (ngot < 8) {
		snprintf(got[ngot], sizeof(got[ngot]), "%.*s", (int)len, s);
	}
	ngot++;
}

static size_t feed_str(struct linebuf *lb, const char *s) {
	return linebuf_feed(lb, s, strlen(s), on_line, NULL);
}

/* The stream cut into lines, as the connection does it. */
static void test_linebuf(void) {
	struct linebuf lb;
	is_int(linebuf_init(&lb, 8), 0, "a line buffer of 8 bytes");
	ngot = 0;
	is_int((int64_t)feed_str(&lb, "ab"), 0, "half a line");
	is_int(ngot, 0, "is no line yet");
	feed_str(&lb, "c\nde\n\nf");
	is_int(ngot, 3, "the rest of it, a line and an empty one");
	is_str(got[0], "abc", "a line cut across reads whole");
	is_str(got[1], "de", "the next");
	is_str(got[2], "", "an empty line is a line");
	feed_str(&lb, "1234567\n");
	is_str(got[3], "f1234567", "a line of exactly 8 bytes is kept");
	is_int((int64_t)feed_str(&lb, "123456789"), 1, "a line of 9 bytes is too long");
	is_int((int64_t)feed_str(&lb, "more and more"), 0, "and counted once, however long it gets");
	feed_str(&lb, "x\nok\n");
	is_int(ngot, 5, "its end drops it; the line after it comes");
	is_str(got[4], "ok", "whole");
	feed_str(&lb, "half");
	linebuf_reset(&lb);
	feed_str(&lb, "new\n");
	is_str(got[5], "new", "reset forgets a line begun");
	linebuf_finish(&lb);
}

int main(void) {
	test_linebuf();
	test_answered();
	test_missed();
	test_withheld();
	test_outgoing();
	test_answering_machine();
	test_concurrent();
	test_odd();
	return tap_done();
}
