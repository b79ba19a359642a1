/*
 * Call state machine tests. Time is injected: nothing sleeps. Lines come
 * from real transcripts (see tests/fixtures/modem/README.md); each fixture's
 * .expect is checked by replaying the transcript.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "cid.h"
#include "tap.h"

/* 2026-11-27T00:00:00Z, the replay's "today". */
#define TODAY_MS    1795737600000LL
#define MAX_CHANGES 256

struct change {
	struct call_info info;
	enum call_change what;
};

static struct change changes[MAX_CHANGES];
static size_t nchanges;
static struct change latest;
static struct call_tracker *tracker;
static struct call_time now;

static void on_call(const struct call_info *c, enum call_change what, void *data) {
	(void)data;
	latest.info = *c;
	latest.what = what;
	if (nchanges < MAX_CHANGES) {
		changes[nchanges] = latest;
	}
	nchanges++;
}

static void on_event(const struct cid_event *ev, void *data) {
	(void)data;
	call_tracker_event(tracker, ev, now);
}

static void setup(bool pickup, bool hangup) {
	call_tracker_destroy(tracker);
	struct call_tracker_options o = {
		.line = "modem",
		.detects_pickup = pickup,
		.detects_hangup = hangup,
	};
	tracker = call_tracker_create(&o, on_call, NULL);
	nchanges = 0;
	memset(&latest, 0, sizeof(latest));
	now.mono = 1000;
	now.wall = TODAY_MS + 12 * 3600 * 1000LL;
}

/* Feeds one modem line at the current time. */
static void send(const char *line) {
	cid_parse_line(line, strlen(line), on_event, NULL);
}

static void advance(int64_t ms) {
	now.mono += ms;
	now.wall += ms;
	call_tracker_tick(tracker, now);
}

static const struct change *last(void) {
	return &latest;
}

static size_t count(enum call_change what) {
	size_t n = 0;
	for (size_t i = 0; i < nchanges && i < MAX_CHANGES; i++) {
		n += changes[i].what == what;
	}
	return n;
}

static void test_pop_before_name(void) {
	/* Order as a USR 5637 prints it (callattendant). */
	setup(false, false);
	send("RING");
	is_int(nchanges, 0, "first ring alone says nothing");
	ok(call_tracker_busy(tracker), "but the line is busy");
	advance(500);
	send("DATE=0801");
	send("TIME=1801");
	is_int(nchanges, 0, "date alone does not start the call");
	send("NMBR=8055554567");
	is_int(nchanges, 1, "number known: started");
	is_int(last()->what, CALL_STARTED, "CALL_STARTED");
	is_str(last()->info.number, "8055554567", "with the number");
	is_str(last()->info.name, "", "before the name");
	ok(last()->info.has_cid && last()->info.has_date, "caller ID and date");
	is_int(last()->info.seq, 1, "first call");
	send("NAME=Test1 - Permitted");
	is_int(last()->what, CALL_UPDATED, "late name: CALL_UPDATED");
	is_str(last()->info.name, "Test1 - Permitted", "with the name");
	send("NAME=Test1 - Permitted");
	is_int(nchanges, 2, "the same name again is no news");
	advance(5500);
	send("RING");
	is_int(last()->info.rings, 2, "second ring counted");
	is_int(call_tracker_deadline(tracker), now.mono + 8000, "deadline 8 s after the ring");
	advance(7999);
	is_int(count(CALL_ENDED), 0, "still ringing at 7.999 s");
	advance(1);
	is_int(last()->what, CALL_ENDED, "rang out");
	is_int(last()->info.state, CALL_STATE_UNKNOWN, "unknown without pick-up detection");
	ok(last()->info.ended_wall > last()->info.started_wall, "ended after started");
	is_int(call_tracker_deadline(tracker), -1, "idle: no deadline");
	ok(!call_tracker_busy(tracker), "idle");

	/* The same with a modem that reports pick-ups: missed. */
	setup(true, false);
	send("RING");
	send("NMBR=8055554567");
	advance(8000);
	is_int(last()->info.state, CALL_STATE_MISSED, "rang out with pick-up detection: missed");
}

static void test_no_cid(void) {
	setup(false, false);
	send("RING");
	advance(6000);
	send("RING");
	is_int(last()->what, CALL_STARTED, "no caller ID: started at the second ring");
	ok(!last()->info.has_cid, "has_cid false");
	is_int(last()->info.rings, 2, "two rings");
	ok(!last()->info.has_date, "no telco date");
	is_int(last()->info.year, 2026, "wall-clock year");
	is_int(last()->info.month, 11, "wall-clock month");
	is_int(last()->info.hour, 12, "wall-clock hour");
	advance(1000);
	send("+CLIP: \"+27821231234\",145,,,,0");
	is_int(last()->what, CALL_UPDATED, "caller ID after start: updated");
	ok(last()->info.has_cid, "now with caller ID");
	is_str(last()->info.number, "+27821231234", "number");
	call_tracker_finish(tracker, now);
	is_int(last()->info.state, CALL_STATE_UNKNOWN, "finish: unknown");
	is_int(count(CALL_STARTED), 1, "one call");

	/* One ring and nothing else is not reported. */
	setup(false, false);
	send("RING");
	advance(9000);
	is_int(nchanges, 0, "a single bare ring is no call");
	ok(!call_tracker_busy(tracker), "and the line is idle again");
}

static void test_gsm_end(void) {
	static const char *ends[] = {"NO CARRIER", "^CEND:1,5,29,16", "+WIND: 6,1"};
	for (size_t i = 0; i < 3; i++) {
		setup(false, true);
		send("+CRING: VOICE");
		send("+CLIP: \"+27821231234\",145,,,,0");
		advance(4000);
		send("+CRING: VOICE");
		send("+CLIP: \"+27821231234\",145,,,,0");
		is_int(count(CALL_STARTED), 1, "repeated +CLIP is the same call (%s)", ends[i]);
		send(ends[i]);
		is_int(last()->what, CALL_ENDED, "%s ends the call", ends[i]);
		is_int(last()->info.state, CALL_STATE_MISSED, "%s: missed", ends[i]);
		is_int(last()->info.rings, 2, "%s: two rings", ends[i]);
		is_int(last()->info.toa, 145, "type of address kept");
	}
	/* Answered, as +CLCC polling shows it */
	setup(false, true);
	send("RING");
	send("+CLCC: 1,1,4,0,0,\"+27821231234\",145");
	is_int(last()->what, CALL_STARTED, "+CLCC incoming starts");
	send("+CLCC: 1,1,0,0,0,\"+27821231234\",145");
	is_int(last()->what, CALL_ENDED, "+CLCC active ends the ringing");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "answered");
	send("NO CARRIER");
	is_int(nchanges, 2, "hang-up when idle is ignored");
}

static void test_offhook(void) {
	setup(true, false);
	send("\x10R");
	send("NMBR = 4075551212");
	advance(6000);
	send("\x10R");
	advance(2000);
	send("\x10P");
	is_int(last()->what, CALL_ENDED, "extension pick-up ends the call");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "answered");
	send("\x10p");
	is_int(nchanges, 3, "on-hook after it changes nothing");
	send("\x10H");
	is_int(nchanges, 3, "off-hook when idle changes nothing");
	/* Picked up at the first ring: no caller ID yet, still a call. */
	setup(true, false);
	send("RING");
	send("\x10H");
	is_int(count(CALL_STARTED), 1, "answered first ring is reported");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "as answered");
}

static void test_uk_order(void) {
	/* NCID test-modem-calls.data: BT sends caller ID before the first ring */
	setup(false, false);
	send("MESG = 110101");
	is_int(nchanges, 0, "MESG alone starts nothing");
	send("DATE = 0421");
	send("TIME = 0934");
	send("NMBR = P");
	is_int(last()->what, CALL_STARTED, "withheld before any ring: started");
	is_int(last()->info.rings, 0, "no ring yet");
	is_int(last()->info.withheld, CALL_WITHHELD_PRIVATE, "private");
	send("NAME = WITHHELD");
	is_int(last()->info.name_withheld, CALL_WITHHELD_PRIVATE, "name withheld");
	advance(1500);
	send("RING");
	is_int(last()->info.rings, 1, "first ring");
	ok(last()->info.year == 2026 && last()->info.month == 4 && last()->info.day == 21,
	   "date 2026-04-21");
	ok(last()->info.has_time && last()->info.hour == 9 && last()->info.minute == 34,
	   "time 09:34");
}

static void test_dates(void) {
	is_int(call_infer_year(10, 15, 2026, 11, 27), 2026, "earlier this year");
	is_int(call_infer_year(12, 31, 2027, 1, 1), 2026, "12-31 seen on 1 January: last year");
	is_int(call_infer_year(1, 1, 2026, 12, 31), 2027, "01-01 seen on 31 December: tomorrow");
	is_int(call_infer_year(11, 28, 2026, 11, 27), 2026, "one day ahead is today's year");
	is_int(call_infer_year(12, 25, 2026, 11, 27), 2025, "a month ahead: last year");
	is_int(call_infer_year(2, 29, 2026, 11, 27), 2024, "29 Feb: last leap year");
	is_int(call_infer_year(2, 29, 2028, 3, 1), 2028, "29 Feb in a leap year");
	is_int(call_infer_year(2, 29, 2028, 2, 10), 2024, "29 Feb not yet come: 2024");
	is_int(call_infer_year(2, 29, 2100, 6, 1), 2096, "2100 is no leap year");
	is_int(call_infer_year(13, 1, 2026, 5, 5), 2026, "bad month: this year");
	is_int(call_infer_year(2, 30, 2026, 5, 5), 2026, "bad day: this year");

	/* Year boundary through the tracker: 1 Jan 2027 00:05 UTC */
	setup(false, false);
	now.wall = 1798761900000LL;
	send("RING");
	send("DATE = 1231");
	send("TIME = 2359");
	send("NMBR = 5551234");
	is_int(last()->info.year, 2026, "1231 received on 1 January is last year's");
	is_int(last()->info.day, 31, "day 31");
	setup(false, false);
	send("RING");
	send("DATE = 0229");
	send("NMBR = 5551234");
	is_int(last()->info.year, 2024, "0229 on 2026-11-27: 2024");
	ok(last()->info.has_date && !last()->info.has_time, "date without time");
	setup(false, false);
	send("RING");
	send("DATE = 990305");
	send("NMBR = 5071234567");
	is_int(last()->info.year, 1999, "a year the telco sent is kept");
}

static void test_distinctive(void) {
	setup(false, false);
	send("RING B");
	send("NMBR = 4075551212");
	is_str(last()->info.ring_type, "B", "3Com RING B recorded");
	setup(false, false);
	struct cid_parser *p = cid_parser_create();
	const char *lucent = "DROF=0\r\nDRON=11\r\nRING\r\nNMBR = 4075551212\r\n";
	cid_parser_feed(p, lucent, strlen(lucent), on_event, NULL);
	is_str(last()->info.ring_type, "DRON=11", "Lucent cadence recorded");
	cid_parser_destroy(p);
}

static void test_new_caller(void) {
	setup(false, false);
	send("RING");
	send("NMBR = 1111111");
	advance(5000);
	send("RING");
	advance(5000);
	send("RING");
	send("NMBR = 2222222");
	is_int(count(CALL_STARTED), 2, "a different number is a new call");
	is_int(count(CALL_ENDED), 1, "the first call ended");
	is_str(changes[nchanges - 2].info.number, "1111111", "first call");
	is_int(changes[nchanges - 2].info.rings, 2, "keeps its two rings");
	is_int(last()->info.rings, 1, "the ring before the new caller ID is the new call's");
	is_int(last()->info.seq, 2, "second call");
	send("NMBR = O");
	is_str(last()->info.number, "2222222", "a withheld reason does not mask a number");

	/* Call waiting during a call (ModemManager +CCWA) */
	setup(false, true);
	send("RING");
	send("+CLIP: \"+441111\",145,,,,0");
	send("+CCWA: \"123456789\",129,1");
	is_int(count(CALL_STARTED), 2, "+CCWA: its own call");
	ok(last()->info.waiting, "marked waiting");
	is_str(last()->info.number, "123456789", "waiting number");
	advance(3000);
	send("+CCWA: \"123456789\",129,1");
	is_int(last()->info.rings, 2, "repeated +CCWA counts as a ring");
	send("RING");
	is_str(last()->info.number, "+441111", "the first call still rings");
	ok(!last()->info.waiting, "not waiting");
	send("NO CARRIER");
	is_str(last()->info.number, "+441111", "NO CARRIER ends the ringing call");
	is_int(last()->what, CALL_ENDED, "ended");
	advance(8000);
	is_int(last()->what, CALL_ENDED, "the waiting call times out");
	ok(last()->info.waiting, "the waiting one");
	is_int(last()->info.state, CALL_STATE_MISSED, "missed");
}

static void test_robustness(void) {
	setup(false, false);
	send("NO CARRIER");
	send("\x10P");
	call_tracker_finish(tracker, now);
	is_int(nchanges, 0, "hang-up, pick-up, finish when idle: nothing");
	for (int i = 0; i < 100000; i++) {
		send("RING");
	}
	is_int(last()->info.rings, 100000, "a flood of RINGs is counted");
	call_tracker_finish(tracker, now);
	is_int(last()->what, CALL_ENDED, "finish ends it");
	send("RING");
	send("NMBR = 5551234");
	is_int(last()->what, CALL_STARTED, "events after finish start a new call");
	is_int(last()->info.seq, 2, "numbered on");
	call_tracker_destroy(tracker);
	tracker = NULL;
	call_tracker_destroy(NULL);
	struct call_tracker *t = call_tracker_create(NULL, NULL, NULL);
	ok(t != NULL, "defaults and no callback");
	struct cid_event ev = {.type = CID_EV_RING};
	call_tracker_event(t, &ev, now);
	is_int(call_tracker_deadline(t), now.mono + 8000, "default ring timeout 8 s");
	call_tracker_destroy(t);
	is_str(call_state_str(CALL_STATE_MISSED), "missed", "state str");
}

/* Formats a finished call like a line of a .expect file. */
static void expect_line(const struct call_info *c, char *out, size_t size) {
	char number[64] = "null", name[160] = "null", withheld[32] = "null", date[40] = "null";
	if (c->number[0] != '\0') {
		snprintf(number, sizeof(number), "\"%s\"", c->number);
	}
	if (c->name[0] != '\0') {
		snprintf(name, sizeof(name), "\"%s\"", c->name);
	}
	if (call_withheld_str(c->withheld) != NULL) {
		snprintf(withheld, sizeof(withheld), "\"%s\"", call_withheld_str(c->withheld));
	}
	if (c->has_date && c->has_time) {
		snprintf(date, sizeof(date), "\"%04d-%02d-%02dT%02d:%02d\"", c->year, c->month,
			 c->day, c->hour, c->minute);
	} else if (c->has_date) {
		snprintf(date, sizeof(date), "\"%04d-%02d-%02d\"", c->year, c->month, c->day);
	}
	snprintf(out, size,
		 "{\"number\":%s,\"name\":%s,\"withheld\":%s,\"line\":\"%s\",\"rings\":%d,"
		 "\"date\":%s,\"state\":\"%s\"}",
		 number, name, withheld, c->line, c->rings, date, call_state_str(c->state));
}

/* Replays name.txt as the README describes and compares with name.expect. */
static void replay(const char *name) {
	char path[512];
	snprintf(path, sizeof(path), "%s/modem/%s.expect", FIXTURES_DIR, name);
	FILE *f = fopen(path, "r");
	char want[64][512];
	size_t nwant = 0;
	bool hangup = false;
	char buf[512];
	while (f != NULL && fgets(buf, sizeof(buf), f) != NULL && nwant < 64) {
		buf[strcspn(buf, "\r\n")] = '\0';
		if (strcmp(buf, "# options: detects_hangup") == 0) {
			hangup = true;
		} else if (buf[0] == '{') {
			snprintf(want[nwant++], sizeof(want[0]), "%s", buf);
		}
	}
	if (f != NULL) {
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/modem/%s.txt", FIXTURES_DIR, name);
	f = fopen(path, "rb");
	static char text[1 << 16];
	size_t len = f != NULL ? fread(text, 1, sizeof(text), f) : 0;
	if (f != NULL) {
		fclose(f);
	}
	setup(false, hangup);
	now.wall = TODAY_MS;
	struct cid_parser *p = cid_parser_create();
	cid_parser_feed(p, text, len, on_event, NULL);
	cid_parser_flush(p, on_event, NULL);
	call_tracker_finish(tracker, now);
	cid_parser_destroy(p);
	size_t got = 0;
	bool same = true;
	for (size_t i = 0; i < nchanges && i < MAX_CHANGES; i++) {
		if (changes[i].what != CALL_ENDED) {
			continue;
		}
		char line[512];
		expect_line(&changes[i].info, line, sizeof(line));
		if (got >= nwant || strcmp(line, want[got]) != 0) {
			tap_diag("%s call %zu: got %s", name, got + 1, line);
			tap_diag("%s call %zu: want %s", name, got + 1,
				 got < nwant ? want[got] : "-");
			same = false;
		}
		got++;
	}
	ok(len > 0 && same && got == nwant, "replay %s: %zu calls as expected", name, nwant);
}

static int by_name(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_fixtures(void) {
	DIR *d = opendir(FIXTURES_DIR "/modem");
	ok(d != NULL, "fixtures directory");
	if (d == NULL) {
		return;
	}
	char *names[128];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 128) {
		size_t l = strlen(e->d_name);
		if (l > 7 && strcmp(e->d_name + l - 7, ".expect") == 0) {
			names[n++] = strndup(e->d_name, l - 7);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	ok(n >= 30, "%zu transcripts with expectations", n);
	for (size_t i = 0; i < n; i++) {
		replay(names[i]);
		free(names[i]);
	}
}

int main(void) {
	test_pop_before_name();
	test_no_cid();
	test_gsm_end();
	test_offhook();
	test_uk_order();
	test_dates();
	test_distinctive();
	test_new_caller();
	test_robustness();
	test_fixtures();
	call_tracker_destroy(tracker);
	return tap_done();
}
