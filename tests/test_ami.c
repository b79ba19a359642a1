/*
 * The Asterisk Manager Interface parser, fed with what real PBXes sent
 * (tests/fixtures/ami/, each file naming its source). Time is passed in:
 * nothing sleeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ami.h"
#include "tap.h"

#define MAX_CHANGES 64
#define T0	    1795737600000LL

struct change {
	struct call_info info;
	enum call_change what;
};

static struct change changes[MAX_CHANGES];
static int nchanges, nstarted, nended, nanswered;
static bool last_success;
static char last_message[128];
static int nresponses;

static void on_call(const struct call_info *c, enum call_change what, void *data) {
	(void)data;
	if (nchanges < MAX_CHANGES) {
		changes[nchanges].info = *c;
		changes[nchanges].what = what;
	}
	nchanges++;
	nstarted += what == CALL_STARTED;
	nended += what == CALL_ENDED;
	nanswered += what == CALL_ENDED && c->state == CALL_STATE_ANSWERED;
}

static void on_response(bool success, const char *message, void *data) {
	(void)data;
	last_success = success;
	snprintf(last_message, sizeof(last_message), "%s", message);
	nresponses++;
}

static const struct ami_listener listener = {.call = on_call, .response = on_response};

static struct ami_parser *fresh_trunks(const char *contexts, const char *trunks) {
	nchanges = nstarted = nended = nanswered = nresponses = 0;
	memset(changes, 0, sizeof(changes));
	struct ami_parser_options o = {.line = "pbx", .contexts = contexts, .trunks = trunks};
	return ami_parser_create(&o, &listener, NULL);
}

static struct ami_parser *fresh(const char *contexts) {
	return fresh_trunks(contexts, NULL);
}

/* Plays a fixture line by line, 10 ms apart, skipping its "# " header. */
static void play(struct ami_parser *p, const char *name) {
	char path[512];
	snprintf(path, sizeof(path), "%s/ami/%s", FIXTURES_DIR, name);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		tap_diag("cannot open %s", path);
		return;
	}
	char line[8192];
	int64_t now = T0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' && line[1] == ' ') {
			continue;
		}
		ami_parser_line(p, line, strlen(line), now += 10);
	}
	ami_parser_line(p, "", 0, now); /* a file may end without the blank line */
	fclose(f);
}

static const struct change *last(void) {
	return nchanges > 0 && nchanges <= MAX_CHANGES ? &changes[nchanges - 1] : &changes[0];
}

static void test_answered(void) {
	/* sweeney/asterisk-mqtt answered-outbound.raw: 1986 calls 21 */
	struct ami_parser *p = fresh("from-internal");
	play(p, "sweeney_answered_ext_to_ext.txt");
	is_int(nstarted, 1, "one call");
	is_int(changes[0].what, CALL_STARTED, "that starts with the first channel");
	is_str(changes[0].info.number, "1986", "the caller's number");
	is_str(changes[0].info.name, "Martin", "and name");
	is_str(changes[0].info.called, "21", "the number dialled");
	is_str(changes[0].info.line, "pbx", "on the line");
	is_int(nended, 1, "and ends");
	is_int(last()->what, CALL_ENDED, "last");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "answered");
	is_str(last()->info.answered_by, "21", "by extension 21");
	is_int(ami_parser_calls(p), 0, "nothing left in progress");
	ami_parser_destroy(p);

	/* the same call, but from-internal is not an inbound context */
	p = fresh(NULL);
	play(p, "sweeney_answered_ext_to_ext.txt");
	is_int(nchanges, 0, "a call between extensions is not a call coming in");
	ami_parser_destroy(p);

	/* ViStepRU/callme log_setVar.js: a real trunk, IVR, queue, agent 777 */
	p = fresh("incoming");
	play(p, "callme_inbound_trunk_ivr_queue_answered.txt");
	is_int(nstarted, 1, "callme: one call despite the console noise and repeated events");
	is_str(changes[0].info.number, "123", "the caller from the trunk's channel");
	is_str(changes[0].info.name, "Eugene R", "with the name");
	is_str(changes[0].info.called, "888999", "the DID");
	is_int(last()->info.state, CALL_STATE_ANSWERED,
	       "answered by the agent, not by the IVR that answered the trunk first");
	is_str(last()->info.answered_by, "777", "agent SIP/777");
	is_int(nended, 1, "it ends once");
	int updates = 0;
	for (int i = 0; i < nchanges && i < MAX_CHANGES; i++) {
		updates += changes[i].what == CALL_UPDATED &&
			   changes[i].info.state == CALL_STATE_ANSWERED;
	}
	is_int(updates, 1, "answered once, though the agent went Up, got ANSWER and a bridge");
	ami_parser_destroy(p);
}

static void test_missed(void) {
	/* sweeney/asterisk-mqtt unanswered-cancel.raw */
	struct ami_parser *p = fresh("from-internal");
	play(p, "sweeney_cancel_ext_to_ext.txt");
	is_int(nstarted, 1, "cancelled: one call");
	is_int(last()->info.state, CALL_STATE_MISSED, "the caller gave up: missed");
	is_str(last()->info.answered_by, "", "answered by nobody");
	ami_parser_destroy(p);

	/* sweeney/asterisk-mqtt unanswered-huntgroup.raw: six phones ring */
	p = fresh("from-internal");
	play(p, "sweeney_ringgroup_noanswer.txt");
	is_int(nstarted, 1, "a ring group of six phones is one call");
	is_int(nended, 1, "that ends once");
	is_int(last()->info.state, CALL_STATE_MISSED, "missed");
	ami_parser_destroy(p);

	/* dannielperez/pyfreepbx missed.txt (Asterisk 16.30) */
	p = fresh("from-internal");
	play(p, "pyfreepbx_missed_ast16.txt");
	is_int(nstarted, 1, "rejected: one call");
	is_str(changes[0].info.number, "7003", "from 7003");
	is_int(last()->info.state, CALL_STATE_MISSED,
	       "missed, though voicemail took the caller's channel Up");
	ami_parser_destroy(p);
}

static void feed(struct ami_parser *p, const char *text);

/* Asterisk's ids carry its SystemName ("pbx-1529936170.42") and may be 149
 * characters long (AST_MAX_UNIQUEID, doc/ami.md §5.2): a fixture whose ids
 * have a long one is followed as the same fixture is. */
static void test_long_ids(void) {
	char path[512];
	snprintf(path, sizeof(path), "%s/ami/sweeney_cancel_ext_to_ext.txt", FIXTURES_DIR);
	char *text = NULL;
	if (!ok(g_file_get_contents(path, &text, NULL, NULL), "read %s", path)) {
		return;
	}
	/* a 110-character SystemName before each channel's id */
	GString *name = g_string_new("telephone-system-of-the-front-office");
	while (name->len < 110) {
		g_string_append(name, "-and-the-back-office");
	}
	g_string_truncate(name, 110);
	g_string_append_c(name, '-');
	GString *out = g_string_new(NULL);
	char **lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		const char *colon = strstr(*l, "id: ");
		bool id = colon != NULL && strchr(*l, ':') == colon + 2 && colon[4] != '\0';
		if (id) {
			g_string_append_len(out, *l, colon + 4 - *l);
			g_string_append(out, name->str);
			g_string_append(out, colon + 4);
		} else if ((*l)[0] != '#') {
			g_string_append(out, *l);
		}
		g_string_append_c(out, '\n');
	}
	struct ami_parser *p = fresh("from-internal");
	feed(p, out->str);
	is_int(nstarted, 1, "ids of %zu characters: the call is followed", name->len + 17);
	is_int(last()->info.state, CALL_STATE_MISSED, "to its end, missed");
	ami_parser_destroy(p);
	g_strfreev(lines);
	g_string_free(out, TRUE);
	g_string_free(name, TRUE);
	g_free(text);
}

/* The first change of a kind, coming in or going out. */
static const struct change *find_change(enum call_change what, bool outgoing) {
	for (int i = 0; i < nchanges && i < MAX_CHANGES; i++) {
		if (changes[i].what == what && changes[i].info.outgoing == outgoing) {
			return &changes[i];
		}
	}
	static const struct change none;
	return &none;
}

static void test_outgoing(void) {
	/* VoIPGRID/cacofonisk ab_success_twoclients.json: phone 260010001
	 * calls +31150010001 out through the trunk, which brings it back in
	 * to phone 150010001 */
	struct ami_parser *p = fresh_trunks("voipgrid_in", "SIP/voipgrid-siproute-docker");
	play(p, "cacofonisk_outbound_trunk_loop_inbound.txt");
	is_int(nstarted, 2, "two calls: the one placed and the one that comes back in");
	is_int(nended, 2, "both end");
	const struct change *out = find_change(CALL_ENDED, true);
	ok(out->info.outgoing, "the call placed is outgoing");
	is_str(out->info.number, "+31150010001", "to the number dialled");
	is_str(out->info.answered_by, "260010001", "from the phone that placed it");
	is_int(out->info.state, CALL_STATE_ANSWERED, "answered when the trunk's leg did");
	const struct change *in = find_change(CALL_ENDED, false);
	is_str(in->info.number, "+31260010001", "the call in is from the office's own number");
	is_str(in->info.called, "+31150010001", "to the DID");
	is_str(in->info.answered_by, "150010001", "answered by the other phone");
	is_int(in->info.state, CALL_STATE_ANSWERED, "answered");
	ami_parser_destroy(p);

	p = fresh("voipgrid_in");
	play(p, "cacofonisk_outbound_trunk_loop_inbound.txt");
	is_int(nstarted, 1, "without the trunks' names only the call coming in is followed");
	ok(!changes[0].info.outgoing, "which is not outgoing");
	ami_parser_destroy(p);

	/* sweeney/asterisk-mqtt: 1986 calls 21, no trunk involved */
	p = fresh_trunks(NULL, "PJSIP/provider");
	play(p, "sweeney_answered_ext_to_ext.txt");
	is_int(nchanges, 0, "a call between extensions never reaches a trunk: no call");
	is_int(ami_parser_calls(p), 0, "and nothing left behind");
	ami_parser_destroy(p);

	/* a call placed that nobody answers */
	p = fresh_trunks(NULL, "PJSIP/provider");
	feed(p, "Event: Newchannel\r\nChannel: PJSIP/21-00000001\r\nContext: from-internal\r\n"
		"Exten: 01632960100\r\nUniqueid: 300.1\r\nLinkedid: 300.1\r\n\r\n"
		"Event: Newchannel\r\nChannel: PJSIP/provider-00000002\r\n"
		"Uniqueid: 300.2\r\nLinkedid: 300.1\r\n\r\n"
		"Event: Newstate\r\nChannel: PJSIP/provider-00000002\r\nChannelState: 5\r\n"
		"Uniqueid: 300.2\r\nLinkedid: 300.1\r\n\r\n"
		"Event: Hangup\r\nUniqueid: 300.2\r\nLinkedid: 300.1\r\n\r\n"
		"Event: Hangup\r\nUniqueid: 300.1\r\nLinkedid: 300.1\r\n\r\n");
	is_int(nstarted, 1, "placed through the trunk: a call");
	is_str(changes[0].info.number, "01632960100", "to the number dialled");
	is_int(last()->info.state, CALL_STATE_UNKNOWN, "nobody answered: no missed call of ours");
	ami_parser_destroy(p);
}

static void feed(struct ami_parser *p, const char *text) {
	static int64_t now = T0;
	while (*text != '\0') {
		const char *nl = strchr(text, '\n');
		size_t len = nl != NULL ? (size_t)(nl - text) : strlen(text);
		ami_parser_line(p, text, len, now += 10);
		text += len + (nl != NULL);
	}
}

static void test_caller(void) {
	struct ami_parser *p = fresh("from-pstn, from-trunk");
	feed(p, "Event: Newchannel\r\nChannel: PJSIP/trunk-00000001\r\nCallerIDNum: <unknown>\r\n"
		"CallerIDName: <unknown>\r\nContext: from-trunk\r\nExten: s\r\n"
		"Uniqueid: 100.1\r\nLinkedid: 100.1\r\n\r\n");
	is_int(nstarted, 1, "a trunk call in the second inbound context");
	is_int(changes[0].info.withheld, CALL_WITHHELD_UNAVAILABLE, "<unknown>: no number");
	is_str(changes[0].info.name, "", "and no name");
	is_str(changes[0].info.called, "", "Exten s is no number dialled");
	feed(p, "Event: NewCallerid\r\nChannel: PJSIP/trunk-00000001\r\n"
		"CallerIDNum: +441632960100\r\nCallerIDName: ACME Ltd\r\n"
		"CID-CallingPres: 0 (Presentation Allowed, Not Screened)\r\n"
		"Uniqueid: 100.1\r\nLinkedid: 100.1\r\n\r\n");
	is_int(last()->what, CALL_UPDATED, "NewCallerid updates the call");
	is_str(last()->info.number, "+441632960100", "with the number");
	is_str(last()->info.name, "ACME Ltd", "and the name");
	is_int(last()->info.withheld, CALL_WITHHELD_NONE, "no longer unavailable");
	/* a Local pair and the phone behind it, as FreePBX queues do */
	feed(p, "Event: Newchannel\r\nChannel: Local/7008@from-queue-00000001;1\r\n"
		"Uniqueid: 100.2\r\nLinkedid: 100.1\r\n\r\n"
		"Event: Newchannel\r\nChannel: PJSIP/7008-00000003\r\n"
		"Uniqueid: 100.3\r\nLinkedid: 100.1\r\n\r\n"
		"Event: Newstate\r\nChannel: Local/7008@from-queue-00000001;1\r\n"
		"ChannelState: 6\r\nUniqueid: 100.2\r\nLinkedid: 100.1\r\n\r\n"
		"Event: Newstate\r\nChannel: PJSIP/trunk-00000001\r\nChannelState: 6\r\n"
		"Uniqueid: 100.1\r\nLinkedid: 100.1\r\n\r\n");
	is_int(last()->info.state, CALL_STATE_RINGING,
	       "neither a Local channel nor the trunk going Up is an answer");
	feed(p, "Event: Newstate\r\nChannel: PJSIP/7008-00000003\r\nChannelState: 6\r\n"
		"Uniqueid: 100.3\r\nLinkedid: 100.1\r\n\r\n");
	is_str(last()->info.answered_by, "7008", "the phone behind it is");
	feed(p, "Event: Hangup\r\nUniqueid: 100.9\r\nLinkedid: 100.1\r\n\r\n"
		"Event: Hangup\r\nUniqueid: 100.1\r\nLinkedid: 100.1\r\n\r\n"
		"Event: Hangup\r\nUniqueid: 100.3\r\nLinkedid: 100.1\r\n\r\n");
	is_int(nended, 1, "the trunk hanging up ends the call; other hang-ups change nothing");
	is_int(last()->info.state, CALL_STATE_ANSWERED, "answered");

	feed(p, "Event: Newchannel\r\nChannel: SIP/trunk-00000004\r\nCallerIDNum: anonymous\r\n"
		"CallerIDName: Anonymous\r\nContext: from-pstn\r\nExten: 3012345\r\n"
		"Uniqueid: 200.1\r\nLinkedid: 200.1\r\n\r\n");
	is_int(last()->info.withheld, CALL_WITHHELD_PRIVATE, "anonymous: withheld");
	is_str(last()->info.called, "3012345", "the DID");
	ami_parser_finish(p, T0 + 99000);
	is_int(last()->what, CALL_ENDED, "a lost connection ends the call");
	is_int(last()->info.state, CALL_STATE_UNKNOWN, "as unknown");
	is_int(ami_parser_calls(p), 0, "and forgets it");
	ami_parser_destroy(p);
}

static void test_login(void) {
	/* gawel/panoramisk login_ok.yaml, login_failed.yaml */
	struct ami_parser *p = fresh(NULL);
	play(p, "panoramisk_login_ok.txt");
	is_int(nresponses, 1, "one response (the banner and the Login sent are none)");
	ok(last_success, "Response: Success");
	is_str(last_message, "Authentication accepted", "with its message");
	play(p, "panoramisk_login_failed.txt");
	ok(!last_success, "Response: Error");
	is_str(last_message, "Authentication failed", "with its message");
	ami_parser_destroy(p);
}

static void test_channel_names(void) {
	char ext[CALL_EXT_MAX];
	ami_channel_extension("PJSIP/21-0000001a", ext);
	is_str(ext, "21", "PJSIP/21-0000001a is 21");
	ami_channel_extension("SIP/777-000000bc", ext);
	is_str(ext, "777", "SIP/777-000000bc is 777");
	ami_channel_extension("Local/7008@from-queue-00120cc4;2", ext);
	is_str(ext, "", "a Local channel is no extension");
	ami_channel_extension("DAHDI/1-1", ext);
	is_str(ext, "1", "DAHDI/1-1 is 1");
	ami_channel_extension("garbage", ext);
	is_str(ext, "", "a name without a technology is none");
}

/* A queue with more calls at once than the parser once kept (64): each
 * rings an agent, all ring together, each is answered, then each ends. */
static void test_many_at_once(void) {
	enum { N = 300 };
	struct ami_parser *p = fresh("incoming");
	char text[1024];
	for (int k = 0; k < N; k++) {
		snprintf(text, sizeof(text),
			 "Event: Newchannel\nChannel: SIP/trunk-%08d\nCallerIDNum: 0113496%04d\n"
			 "Context: incoming\nExten: 888999\nUniqueid: 100.%d\nLinkedid: 100.%d\n\n",
			 k, k, k, k);
		feed(p, text);
	}
	for (int k = 0; k < N; k++) {
		snprintf(text, sizeof(text),
			 "Event: Newchannel\nChannel: SIP/777-%08d\nCallerIDNum: 777\n"
			 "Context: from-queue\nUniqueid: 200.%d\nLinkedid: 100.%d\n\n",
			 k, k, k);
		feed(p, text);
	}
	for (int k = 0; k < N; k++) {
		snprintf(text, sizeof(text),
			 "Event: Newstate\nChannel: SIP/777-%08d\nChannelState: 6\n"
			 "Uniqueid: 200.%d\nLinkedid: 100.%d\n\n",
			 k, k, k);
		feed(p, text);
	}
	is_int(ami_parser_calls(p), N, "300 calls at once are all followed");
	for (int k = 0; k < N; k++) {
		snprintf(text, sizeof(text),
			 "Event: Hangup\nUniqueid: 200.%d\nLinkedid: 100.%d\n\n"
			 "Event: Hangup\nUniqueid: 100.%d\nLinkedid: 100.%d\n\n",
			 k, k, k, k);
		feed(p, text);
	}
	is_int(nstarted, N, "each started once");
	is_int(nanswered, N, "and each ended answered by its agent");
	is_int(ami_parser_calls(p), 0, "nothing left behind");
	ami_parser_destroy(p);
}

/* A queue ringing every agent through Local channel pairs fills the legs'
 * table (AMI_MAX_CHANNELS); a call that comes in then is still followed by
 * its trunk, and its Hangup ends it. */
static void test_full_table(void) {
	struct ami_parser *p = fresh("from-pstn");
	char text[512];
	feed(p, "Event: Newchannel\nChannel: PJSIP/trunk-1\nCallerIDNum: 01134960001\n"
		"Context: from-pstn\nExten: 555\nUniqueid: 100.1\nLinkedid: 100.1\n\n");
	for (int i = 0; i < AMI_MAX_CHANNELS - 1; i++) {
		snprintf(text, sizeof(text),
			 "Event: Newchannel\nChannel: Local/%d@from-queue-%08x;1\n"
			 "Context: from-queue\nUniqueid: 100.%d\nLinkedid: 100.1\n\n",
			 i, (unsigned)i, i + 2);
		feed(p, text);
	}
	feed(p, "Event: Newchannel\nChannel: PJSIP/trunk-2\nCallerIDNum: 01134960002\n"
		"Context: from-pstn\nExten: 555\nUniqueid: 200.1\nLinkedid: 200.1\n\n"
		"Event: Hangup\nChannel: PJSIP/trunk-2\nUniqueid: 200.1\nLinkedid: 200.1\n"
		"Cause: 16\n\n");
	ok(nstarted == 2 && nended == 1 && ami_parser_calls(p) == 1,
	   "with the legs' table full, a new call starts and its hang-up ends it "
	   "(%d started, %d ended, %d followed)",
	   nstarted, nended, ami_parser_calls(p));
	feed(p, "Event: Hangup\nChannel: PJSIP/trunk-1\nUniqueid: 100.1\nLinkedid: 100.1\n\n");
	is_int(ami_parser_calls(p), 0, "and the queue's call ends with its trunk");
	ami_parser_destroy(p);
}

int main(void) {
	test_answered();
	test_full_table();
	test_missed();
	test_caller();
	test_outgoing();
	test_login();
	test_channel_names();
	test_many_at_once();
	test_long_ids();
	return tap_done();
}
