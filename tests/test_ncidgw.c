/*
 * NCID gateways' CALL: and CALLINFO: lines to call events. The lines are
 * those NCID 1.6 publishes (collected with their sources in
 * doc/ncid.md §4): its gateway test data
 * (test/test-gw-calls.data), the sip2ncid man page, yac2ncid's and
 * wc2ncid's formats, and the API document's NCID Android example. Time is
 * passed in: nothing sleeps.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ncidgw.h"
#include "tap.h"

#define MAX_CHANGES 64
#define T0	    1795737600000LL /* 2026-11-27T00:00:00Z */

struct change {
	struct call_info info;
	char line[NCIDGW_LINE_MAX];
	enum call_change what;
};

static struct change changes[MAX_CHANGES];
static int nchanges;
static int64_t now = T0;

static void on_call(const struct call_info *c, enum call_change what, void *data) {
	(void)data;
	if (nchanges < MAX_CHANGES) {
		changes[nchanges].info = *c;
		snprintf(changes[nchanges].line, sizeof(changes[nchanges].line), "%s", c->line);
		changes[nchanges].what = what;
	}
	nchanges++;
}

static int feed(struct ncidgw_parser *p, const char *line) {
	return ncidgw_parser_line(p, line, strlen(line), now += 1000);
}

static struct ncidgw_parser *fresh(void) {
	nchanges = 0;
	memset(changes, 0, sizeof(changes));
	return ncidgw_parser_create(on_call, NULL);
}

static const struct change *last(void) {
	return nchanges > 0 && nchanges <= MAX_CHANGES ? &changes[nchanges - 1] : &changes[0];
}

static void test_sip2ncid(void) {
	/* sip2ncid(8), man/sip2ncid.8-in: a call, then its CANCEL (§4.2, §4.4) */
	struct ncidgw_parser *p = fresh();
	is_int(feed(p, "CALL: ###DATE05311233...LINE1122...NMBR13215551212...NAMEBig John+++\r"), 0,
	       "sip2ncid's CALL: line is read");
	is_int(nchanges, 1, "it starts a call");
	is_int(changes[0].what, CALL_STARTED, "as CALL_STARTED");
	is_str(changes[0].line, "1122", "on the line its LINE names");
	is_str(changes[0].info.number, "13215551212", "from the number");
	is_str(changes[0].info.name, "Big John", "with the name");
	ok(!changes[0].info.outgoing, "no CALL field: coming in (§4.3)");
	is_int(changes[0].info.state, CALL_STATE_RINGING, "ringing");
	ok(changes[0].info.has_date && changes[0].info.has_time, "DATE mmddhhmm is kept");
	is_int(changes[0].info.month * 100 + changes[0].info.day, 531, "31 May");
	is_int(changes[0].info.hour * 100 + changes[0].info.minute, 1233, "at 12:33");
	is_int(changes[0].info.year, 2026, "the year is the clock's");
	is_int(ncidgw_parser_calls(p), 1, "one call followed");

	/* test-gw-calls.data: CALLINFO: ###CANCEL...LINE7711...NMBR...DATE... */
	is_int(feed(p, "CALLINFO: ###CANCEL...LINE1122...NMBR13215551212...DATE05311234+++"), 0,
	       "its CALLINFO: CANCEL is read");
	is_int(nchanges, 2, "and ends the call");
	is_int(last()->what, CALL_ENDED, "as CALL_ENDED");
	is_int(last()->info.state, CALL_STATE_MISSED, "CANCEL: hung up before anyone answered");
	is_int((int64_t)last()->info.seq, (int64_t)changes[0].info.seq, "the same call");
	is_str(last()->info.name, "Big John", "its name kept");
	is_int(ncidgw_parser_calls(p), 0, "none left");
	ncidgw_parser_destroy(p);
}

static void test_test_data(void) {
	/* test/test-gw-calls.data, NCID 1.6, in its order */
	struct ncidgw_parser *p = fresh();
	feed(p, "CALL: ###DATE12041526...CALLPID...LINE911...NMBR14075557777...NAMENONAME+++");
	is_str(changes[0].line, "911", "PID (a smartphone's call): line 911");
	ok(!changes[0].info.outgoing, "PID comes in");
	is_str(changes[0].info.name, "", "NONAME is no name");
	feed(p, "CALL: ###DATE12041527...CALLIN...LINEVOIP...NMBR#########8...NAMEOUT-OF-AREA+++");
	is_str(last()->line, "VOIP", "IN on VOIP");
	is_str(last()->info.number, "8", "the digits of a masked number");
	is_int(last()->info.name_withheld, CALL_WITHHELD_UNAVAILABLE, "OUT-OF-AREA as a name");
	feed(p, "CALL: ###DATE11021228...CALLOUT...LINEWC01...NMBR407...NAMENONAME+++");
	ok(last()->info.outgoing, "OUT: placed from the line (wc2ncid)");
	is_str(last()->line, "WC01", "on WC01");
	feed(p, "CALL: ###DATE05221734...LINE7711...NMBR12125551070...NAMEPRIVATE+++");
	is_int(last()->info.name_withheld, CALL_WITHHELD_PRIVATE, "PRIVATE as a name");
	is_str(last()->info.number, "12125551070", "with a number");
	is_int(ncidgw_parser_calls(p), 4, "four calls followed at once, on four lines");

	int before = nchanges;
	feed(p, "CALLINFO: ###BYE...DATE11021228...SCALL11/02/2016 12:27:52...ECALL11/02/2016 "
		"12:28:52...CALLOUT...LINEWC01...NMBR407...NAME4173217+++");
	is_int(nchanges, before + 1, "BYE ends one call");
	is_str(last()->line, "WC01", "the one on WC01");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "BYE: answered");
	feed(p, "CALLINFO: ###BYE...CALLIN...LINEVOIP...NMBR14075551212...DATE12041535+++");
	is_str(last()->line, "VOIP", "a BYE for a number not seen on VOIP...");
	is_str(last()->info.number, "14075551212", "...is logged as a call of its own");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "answered");
	is_int(changes[nchanges - 2].what, CALL_STARTED, "begun");
	is_int(ncidgw_parser_calls(p), 3, "the other call on VOIP still rings");
	feed(p, "CALLINFO: ###CANCEL...LINE7711...NMBR12125551070...DATE05221534+++");
	is_int(last()->info.state, CALL_STATE_MISSED, "CANCEL on 7711: missed");
	is_str(last()->info.number, "12125551070", "the PRIVATE-named caller");
	ncidgw_parser_finish(p, now);
	is_int(ncidgw_parser_calls(p), 0, "finish ends what is left");
	is_int(last()->info.state, CALL_STATE_UNKNOWN, "as unknown");
	ncidgw_parser_destroy(p);
}

static void test_other_gateways(void) {
	/* yac2ncid.sh: "unlisted" and "noname", LINE "-" when none; no CALLINFO */
	struct ncidgw_parser *p = fresh();
	feed(p, "CALL: ###DATE12061010...LINE-...NMBRunlisted...NAMEnoname+++");
	is_str(last()->line, "-", "LINE - is the line \"-\"");
	is_int(last()->info.withheld, CALL_WITHHELD_PRIVATE, "unlisted: withheld");
	is_str(last()->info.name, "", "noname: no name");
	is_int(ncidgw_parser_expire(p, now + NCIDGW_RING_MAX_MS - 1), 0,
	       "a line that never sent CALLINFO: its call is kept while it may ring");
	is_int(ncidgw_parser_expire(p, now + NCIDGW_RING_MAX_MS + 1), 1, "then ended");
	is_int(last()->info.state, CALL_STATE_UNKNOWN, "as unknown");
	ncidgw_parser_destroy(p);

	/* a line that sent CALLINFO once is waited for as long as a talk lasts */
	p = fresh();
	feed(p, "CALL: ###DATE12061010...LINESIP...NMBR0201234567...NAMEA+++");
	feed(p, "CALLINFO: ###BYE...LINESIP...NMBR0201234567+++");
	feed(p, "CALL: ###DATE12061011...LINESIP...NMBR0201234568...NAMEB+++");
	is_int(ncidgw_parser_expire(p, now + NCIDGW_RING_MAX_MS + 1), 0,
	       "its next call outlasts the ring time");
	is_int(ncidgw_parser_expire(p, now + NCIDGW_CALL_MAX_MS + 1), 1, "not a conversation's");
	ncidgw_parser_destroy(p);

	/* API 4001-4002, NCID Android: an OUT call and its BYE */
	p = fresh();
	feed(p, "CALL: ###DATE09061751...CALLOUT...LINESmarty...NMBR4075557777...NAMEJOHN ON "
		"CELL+++");
	ok(last()->info.outgoing, "NCID Android: OUT");
	is_str(last()->info.name, "JOHN ON CELL", "its name");
	feed(p, "CALLINFO: ###BYE...DATE09061751...SCALL09/06/2016 17:51:12...ECALL09/06/2016 "
		"17:58:09...CALLOUT...LINESmarty...NMBR4075557777...NAMEJOHN ON CELL+++");
	is_int(last()->what, CALL_ENDED, "its BYE ends it");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "answered");
	ncidgw_parser_destroy(p);

	/* a gateway that says the same call twice: the first gives way */
	p = fresh();
	feed(p, "CALL: ###DATE12061010...LINEVOIP...NMBR0201234567...NAMEA+++");
	feed(p, "CALL: ###DATE12061010...LINEVOIP...NMBR0201234567...NAMEA+++");
	is_int(nchanges, 3, "started, ended, started");
	is_int(ncidgw_parser_calls(p), 1, "one call");
	/* call waiting: a second caller on the same line is a call of its own */
	feed(p, "CALL: ###DATE12061011...CALLWID...LINEVOIP...NMBR0207654321...NAMEB+++");
	ok(last()->info.waiting, "WID: a waiting call");
	is_int(ncidgw_parser_calls(p), 2, "two calls on VOIP");
	feed(p, "CALLINFO: ###CANCEL...LINEVOIP...NMBR0207654321+++");
	is_str(last()->info.number, "0207654321", "CALLINFO ends the call of its number");
	/* HUP and BLK: refused by the gateway, ended at once */
	feed(p, "CALL: ###DATE12061012...CALLBLK...LINEVOIP...NMBR0800000000...NAMESPAM+++");
	is_int(last()->what, CALL_ENDED, "BLK ends at once");
	is_int(last()->info.state, CALL_STATE_UNKNOWN, "neither answered nor missed");
	ncidgw_parser_destroy(p);
}

static void test_bad_input(void) {
	struct ncidgw_parser *p = fresh();
	static const char *const bad[] = {
		"",
		"CID: *DATE*01032003*TIME*1254*LINE*-*NMBR*9415557218*MESG*NONE*NAME*X*",
		"CALL: DATE05311233...LINE1122+++",
		"CALLINFO: ###HANGUP...LINE1122...NMBR1+++",
		"CALLWAITING: ###DATE...+++",
		"MSG: hello",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(feed(p, bad[i]), -EINVAL, "not a gateway line: '%s'", bad[i]);
	}
	is_int(feed(p, "CALLINFO: ###CANCEL...LINE1122+++"), -ENOENT,
	       "a CALLINFO that ends nothing and names no number");
	char huge[NCIDGW_INPUT_MAX + 64];
	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	memcpy(huge, "CALL: ###NMBR", 13);
	is_int(feed(p, huge), -EMSGSIZE, "a line longer than %d bytes", NCIDGW_INPUT_MAX);
	is_int(nchanges, 0, "none of them made a call");

	/* hostile fields: control characters go, lengths are bounded */
	feed(p, "CALL: ###DATE99999999...LINE\x1b[2Jline\x07...NMBR+44 (20) 7946-0018...NAME"
		"\xe2\x80\xae"
		"evil\x01 name+++");
	is_str(last()->line, "[2Jline", "control characters dropped from LINE");
	is_str(last()->info.number, "+442079460018", "the number's digits and its +");
	is_str(last()->info.name, "evil name", "the name without controls and overrides");
	ok(!last()->info.has_date, "a date that is none: the local time");
	feed(p, "CALL: ###LINEbad...NMBR1234567890123456789012345678901234567890123456789+++");
	is_int((int)strlen(last()->info.number), CALL_NUMBER_MAX - 1, "a long number is bounded");
	feed(p, "CALL: ###NMBR0201...NAMEA...B...C+++");
	is_str(last()->info.name, "A...B...C", "\"...\" without a label after it is text");
	is_str(last()->line, "-", "no LINE: \"-\"");
	ncidgw_parser_destroy(p);
}

/* A gateway's clock a little ahead at New Year: its January stamp read on
 * the server's 31 December is next year's, not eleven months ago. */
static void test_new_year(void) {
	struct ncidgw_parser *p = fresh();
	now = 1798718400000LL; /* 2026-12-31T12:00:00Z: 31 December in any zone */
	feed(p, "CALL: ###DATE01010000...CALLIN...LINE1122...NMBR13215551212...NAMEBig John+++");
	is_int(changes[0].info.year * 10000 + changes[0].info.month * 100 + changes[0].info.day,
	       20270101, "a January stamp read on 31 December is next year's");
	feed(p, "CALLINFO: ###CANCEL...LINE1122...NMBR13215551212...DATE01010001+++");
	now = 1798761600000LL + 86400000LL; /* 2027-01-02 */
	feed(p, "CALL: ###DATE12311159...CALLIN...LINE1122...NMBR13215551213...NAMEBig John+++");
	is_int(last()->info.year * 10000 + last()->info.month * 100 + last()->info.day, 20261231,
	       "a December stamp read in January is last year's");
	ncidgw_parser_destroy(p);
	now = T0;
}

int main(void) {
	test_sip2ncid();
	test_new_year();
	test_test_data();
	test_other_gateways();
	test_bad_input();
	return tap_done();
}
