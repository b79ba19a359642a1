/* The AT engine with injected lines and time: no port, no sleeping. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "at.h"
#include "tap.h"

struct written {
	char buf[1024];
	size_t len;
	int fail; /* writes to fail before succeeding */
};

static int write_cb(const char *buf, size_t len, void *data) {
	struct written *w = data;
	if (w->fail > 0) {
		w->fail--;
		return -EIO;
	}
	if (w->len + len < sizeof(w->buf)) {
		memcpy(w->buf + w->len, buf, len);
		w->len += len;
		w->buf[w->len] = '\0';
	}
	return 0;
}

struct done {
	int calls;
	enum at_result result;
	int code;
	char command[AT_CMD_MAX + 1];
	char final[AT_LINE_MAX];
	size_t n_lines;
	char lines[4][AT_LINE_MAX];
};

static void done_cb(const struct at_response *r, void *data) {
	struct done *d = data;
	d->calls++;
	d->result = r->result;
	d->code = r->error_code;
	snprintf(d->command, sizeof(d->command), "%s", r->command);
	snprintf(d->final, sizeof(d->final), "%s", r->final_line);
	d->n_lines = r->n_lines;
	for (size_t i = 0; i < r->n_lines && i < 4; i++) {
		snprintf(d->lines[i], sizeof(d->lines[i]), "%s", r->lines[i]);
	}
}

static void test_echo_on(void) {
	struct written w = {0};
	struct done d = {0};
	struct at_engine *e = at_engine_create(write_cb, &w);
	ok(e != NULL, "engine created");
	is_int(at_engine_send(e, "ATZ", 5000, done_cb, &d, 0), 0, "ATZ queued");
	is_str(w.buf, "ATZ\r", "ATZ written with CR at once");
	is_int(at_engine_deadline(e), 5000, "deadline is send time + timeout");
	/* ATZ\r\r\nOK\r\n as the parser splits it: "ATZ", "", "OK". */
	ok(at_engine_feed_line(e, "ATZ", 10), "echo taken");
	is_int(d.calls, 0, "echo does not complete the command");
	ok(at_engine_feed_line(e, "", 11), "blank line taken");
	ok(at_engine_feed_line(e, "OK", 12), "OK taken");
	is_int(d.calls, 1, "command completed once");
	is_int(d.result, AT_RESULT_OK, "result OK");
	is_int((long)d.n_lines, 0, "echo and blank lines are not response lines");
	is_str(d.command, "ATZ", "completion names the command");
	ok(!at_engine_busy(e), "idle afterwards");
	is_int(at_engine_deadline(e), -1, "no deadline when idle");
	ok(!at_engine_feed_line(e, "OK", 20), "a stray OK while idle is not taken");
	at_engine_destroy(e);
}

static void test_echo_off_info(void) {
	struct written w = {0};
	struct done d = {0};
	struct at_engine *e = at_engine_create(write_cb, &w);
	at_engine_send(e, "ATI3", 1000, done_cb, &d, 0);
	at_engine_feed_line(e, "", 1);
	at_engine_feed_line(e, "CX93001-EIS_V0.2002-V92", 2);
	at_engine_feed_line(e, "", 3);
	at_engine_feed_line(e, "OK", 4);
	is_int(d.result, AT_RESULT_OK, "ATI3 OK with echo off");
	is_int((long)d.n_lines, 1, "one response line");
	is_str(d.lines[0], "CX93001-EIS_V0.2002-V92", "ATI3 answer collected");

	struct done d2 = {0};
	at_engine_send(e, "AT+GCAP", 1000, done_cb, &d2, 10);
	at_engine_feed_line(e, "AT+GCAP", 11);
	at_engine_feed_line(e, "+GCAP: +CGSM,+DS,+ES", 12);
	at_engine_feed_line(e, "OK", 13);
	is_str(d2.lines[0], "+GCAP: +CGSM,+DS,+ES", "+GCAP answer collected after echo");
	at_engine_destroy(e);
}

static void test_unsolicited(void) {
	struct written w = {0};
	struct done d = {0};
	struct at_engine *e = at_engine_create(write_cb, &w);
	at_engine_send(e, "ATI0", 1000, done_cb, &d, 0);
	ok(at_engine_feed_line(e, "ATI0", 1), "echo");
	ok(!at_engine_feed_line(e, "RING", 2), "RING between command and OK left alone");
	ok(!at_engine_feed_line(e, "NMBR = 0412345677", 3), "NMBR left alone");
	ok(!at_engine_feed_line(e, "DATE=1015", 3), "DATE left alone");
	ok(!at_engine_feed_line(e, "+CLIP: \"+393351391306\",145,,,,0", 4), "+CLIP left alone");
	ok(!at_engine_feed_line(e, "+CRING: VOICE", 4), "+CRING left alone");
	ok(!at_engine_feed_line(e, "^CEND:1,0,104,16", 4), "^CEND left alone");
	ok(!at_engine_feed_line(e, "NO CARRIER", 4), "NO CARRIER not final for ATI0");
	ok(!at_engine_feed_line(e, "801E01083130313532303338020A37", 4), "raw MDMF left alone");
	ok(at_engine_feed_line(e, "56000", 5), "ATI0 answer taken");
	ok(at_engine_feed_line(e, "OK", 6), "OK taken");
	is_int((long)d.n_lines, 1, "only the ATI0 answer collected");
	is_str(d.lines[0], "56000", "answer is 56000");

	/* A query's own answer looks like an unsolicited +CLIP but is not. */
	struct done d2 = {0};
	at_engine_send(e, "AT+CLIP?", 1000, done_cb, &d2, 10);
	ok(at_engine_feed_line(e, "+CLIP: 1,1", 11), "+CLIP: answers AT+CLIP?");
	ok(!at_engine_feed_line(e, "+CRING: VOICE", 12), "+CRING still unsolicited");
	at_engine_feed_line(e, "OK", 13);
	is_int((long)d2.n_lines, 1, "query answer collected");
	is_str(d2.lines[0], "+CLIP: 1,1", "query answer text");
	ok(at_line_is_unsolicited("RING A"), "distinctive RING A is unsolicited");
	ok(!at_line_is_unsolicited("OK"), "OK is not unsolicited");
	at_engine_destroy(e);
}

static void test_errors(void) {
	struct written w = {0};
	struct done d = {0};
	struct at_engine *e = at_engine_create(write_cb, &w);
	at_engine_send(e, "AT+VCID=1", 1000, done_cb, &d, 0);
	at_engine_feed_line(e, "ERROR", 1);
	is_int(d.result, AT_RESULT_ERROR, "ERROR result");
	is_str(d.final, "ERROR", "final line is ERROR");

	at_engine_send(e, "AT+CLIP=1", 1000, done_cb, &d, 2);
	at_engine_feed_line(e, "+CME ERROR: 10", 3);
	is_int(d.result, AT_RESULT_CME_ERROR, "+CME ERROR result");
	is_int(d.code, 10, "+CME ERROR number parsed");

	at_engine_send(e, "AT+CMGS=1", 1000, done_cb, &d, 4);
	at_engine_feed_line(e, "+CMS ERROR: 500", 5);
	is_int(d.result, AT_RESULT_CMS_ERROR, "+CMS ERROR result");
	is_int(d.code, 500, "+CMS ERROR number");

	at_engine_send(e, "AT+CPIN?", 1000, done_cb, &d, 6);
	at_engine_feed_line(e, "+CME ERROR: SIM not inserted", 7);
	is_int(d.result, AT_RESULT_CME_ERROR, "verbose +CME ERROR");
	is_int(d.code, -1, "verbose error has no number");

	at_engine_send(e, "ATD5551234;", 1000, done_cb, &d, 8);
	at_engine_feed_line(e, "BUSY", 9);
	is_int(d.result, AT_RESULT_BUSY, "BUSY ends a dial");
	at_engine_send(e, "ATD5551234;", 1000, done_cb, &d, 10);
	at_engine_feed_line(e, "NO DIALTONE", 11);
	is_int(d.result, AT_RESULT_NO_DIALTONE, "NO DIALTONE ends a dial");
	at_engine_send(e, "ATD5551234;", 1000, done_cb, &d, 12);
	at_engine_feed_line(e, "NO CARRIER", 13);
	is_int(d.result, AT_RESULT_NO_CARRIER, "NO CARRIER ends a dial");
	at_engine_send(e, "ATD5551234", 1000, done_cb, &d, 14);
	at_engine_feed_line(e, "NO ANSWER", 15);
	is_int(d.result, AT_RESULT_NO_ANSWER, "NO ANSWER ends a dial");
	at_engine_send(e, "ATA", 1000, done_cb, &d, 16);
	at_engine_feed_line(e, "CONNECT 33600", 17);
	is_int(d.result, AT_RESULT_CONNECT, "CONNECT with speed");
	is_int(d.calls, 9, "nine completions");
	at_engine_destroy(e);
}

static void test_timeout_and_queue(void) {
	struct written w = {0};
	struct done d1 = {0}, d2 = {0}, d3 = {0};
	struct at_engine *e = at_engine_create(write_cb, &w);
	at_engine_send(e, "ATZ", 1000, done_cb, &d1, 100);
	at_engine_send(e, "ATI0", 500, done_cb, &d2, 150);
	at_engine_send(e, "ATI3", 500, done_cb, &d3, 160);
	is_str(w.buf, "ATZ\r", "only the first command written");
	is_int(at_engine_deadline(e), 1100, "deadline of the first command");
	at_engine_tick(e, 1099);
	is_int(d1.calls, 0, "no timeout before the deadline");
	at_engine_tick(e, 1100);
	is_int(d1.result, AT_RESULT_TIMEOUT, "ATZ timed out");
	is_str(w.buf, "ATZ\rATI0\r", "next command written after the timeout");
	is_int(at_engine_deadline(e), 1600, "second deadline counts from its write");
	/* The late echo and OK of ATZ must not complete ATI0 as an echo. */
	ok(at_engine_feed_line(e, "ATZ", 1200), "late echo of the previous command swallowed");
	at_engine_feed_line(e, "5601", 1201);
	at_engine_feed_line(e, "OK", 1202);
	is_int(d2.result, AT_RESULT_OK, "ATI0 OK");
	is_str(d2.lines[0], "5601", "ATI0 answer");
	is_str(w.buf, "ATZ\rATI0\rATI3\r", "third written after the second finished");
	at_engine_cancel(e);
	is_int(d3.result, AT_RESULT_CANCELLED, "cancel completes the running command");
	ok(!at_engine_busy(e), "idle after cancel");
	at_engine_destroy(e);
}

static void test_limits(void) {
	struct written w = {0};
	struct done d = {0};
	struct at_engine *e = at_engine_create(write_cb, &w);
	is_int(at_engine_send(e, "AT\r", 100, done_cb, &d, 0), -EINVAL, "CR in a command refused");
	is_int(at_engine_send(e, "", 100, done_cb, &d, 0), -EINVAL, "empty command refused");
	char big[AT_CMD_MAX + 8];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(at_engine_send(e, big, 100, done_cb, &d, 0), -EINVAL, "long command refused");
	int rc = 0;
	for (int i = 0; i < AT_QUEUE_MAX && rc == 0; i++) {
		rc = at_engine_send(e, "AT", 100, done_cb, &d, 0);
	}
	is_int(rc, 0, "queue holds AT_QUEUE_MAX commands");
	is_int(at_engine_send(e, "AT", 100, done_cb, &d, 0), -ENOBUFS, "full queue refused");
	/* Many response lines: the extra ones are dropped, not overflowed. */
	for (int i = 0; i < AT_LINES_MAX + 10; i++) {
		at_engine_feed_line(e, "junk line", 1);
	}
	at_engine_feed_line(e, "OK", 2);
	is_int((long)d.n_lines, AT_LINES_MAX, "response lines bounded");
	at_engine_destroy(e);
	is_int(d.calls, AT_QUEUE_MAX, "destroy cancels the rest");
	is_int(d.result, AT_RESULT_CANCELLED, "last one cancelled");

	struct written wf = {.fail = 1};
	struct done df = {0}, dg = {0};
	e = at_engine_create(write_cb, &wf);
	at_engine_send(e, "ATZ", 100, done_cb, &df, 0);
	is_int(df.result, AT_RESULT_CANCELLED, "failed write cancels the command");
	at_engine_send(e, "ATZ", 100, done_cb, &dg, 0);
	is_str(wf.buf, "ATZ\r", "next command written");
	at_engine_destroy(e);
}

/* A callback that queues the next step, as the modem's start-up does. */
struct chain {
	struct at_engine *e;
	int steps;
};

static void chain_cb(const struct at_response *r, void *data) {
	struct chain *c = data;
	c->steps++;
	if (c->steps < 3) {
		at_engine_send(c->e, "AT", 100, chain_cb, c, 0);
	}
	(void)r;
}

static void test_chain(void) {
	struct written w = {0};
	struct chain c = {0};
	c.e = at_engine_create(write_cb, &w);
	at_engine_send(c.e, "AT", 100, chain_cb, &c, 0);
	at_engine_feed_line(c.e, "OK", 1);
	at_engine_feed_line(c.e, "OK", 2);
	at_engine_feed_line(c.e, "OK", 3);
	is_int(c.steps, 3, "commands queued from callbacks run in turn");
	is_str(w.buf, "AT\rAT\rAT\r", "each written once");
	at_engine_destroy(c.e);
}

int main(void) {
	test_echo_on();
	test_echo_off_info();
	test_unsolicited();
	test_errors();
	test_timeout_and_queue();
	test_limits();
	test_chain();
	return tap_done();
}
