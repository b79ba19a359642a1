/*
 * NCID line formatting. Expected lines follow the examples quoted, with
 * their sources, in doc/ncid.md (section numbers below).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "jobs.h"
#include "ncid.h"
#include "server.h"
#include "tap.h"

static struct tm at(int year, int mon, int day, int hour, int min, int sec) {
	struct tm t = {0};
	t.tm_year = year - 1900;
	t.tm_mon = mon - 1;
	t.tm_mday = day;
	t.tm_hour = hour;
	t.tm_min = min;
	t.tm_sec = sec;
	return t;
}

/* What the server handed to its owner's gateway function. */
struct gateway_seen {
	GPtrArray *lines; /* "peer|line" */
};

static void on_gateway(const char *line, size_t len, const char *peer, void *data) {
	struct gateway_seen *g = data;
	g_ptr_array_add(g->lines, g_strdup_printf("%s|%.*s", peer, (int)len, line));
}

static char *one_call_log(void *data) {
	(void)data;
	return g_strdup("CIDLOG: *DATE*01032003*TIME*1254*LINE*-*NMBR*1*MESG*NONE*NAME*A*\r\n");
}

static struct ncid_server *server_new(const char *gateways, struct gateway_seen *g) {
	struct ncid_server_options o = {
		.host = "127.0.0.1",
		.version = "t",
		.gateways = gateways,
		.log = one_call_log,
		.gateway = on_gateway,
		.data = g,
	};
	char *why = NULL;
	struct ncid_server *s = ncid_server_create(&o, &why);
	ok(s != NULL, "the server listens on a free port (%s)", why != NULL ? why : "");
	g_free(why);
	return s;
}

static int connect_to(struct ncid_server *s) {
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)ncid_server_port(s))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_text(int fd, const char *text) {
	size_t len = strlen(text);
	ok(write(fd, text, len) == (ssize_t)len, "sent %zu bytes", len);
}

/* What the server sent fd up to and with a line starting with want (or
 * 5 s). */
static char *read_until(int fd, const char *want) {
	GString *got = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	char needle[64];
	snprintf(needle, sizeof(needle), "\n%s", want);
	while (g_get_monotonic_time() < deadline) {
		g_main_context_iteration(NULL, FALSE);
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			g_string_append_len(got, buf, n);
		}
		const char *at_ = g_str_has_prefix(got->str, want) ? got->str
								   : strstr(got->str, needle);
		if (at_ != NULL && strstr(at_ + 1, "\r\n") != NULL) {
			break;
		}
		if (n <= 0) {
			g_usleep(1000);
		}
	}
	return g_string_free(got, FALSE);
}

/* §1.1, §2: 200 and 210 at once; HELLO: CMD: no_log turns the call log
 * into 251; a client saying nothing gets the log after the HELLO window. */
static void test_startup(void) {
	struct gateway_seen g = {g_ptr_array_new_with_free_func(g_free)};
	struct ncid_server *s = server_new(NULL, &g);
	int quiet = connect_to(s);
	int no_log = connect_to(s);
	send_text(no_log, "HELLO: IDENT: client test 1\nHELLO: CMD: no_log\r\n");
	char *got = read_until(quiet, "300 ");
	is_str(got,
	       "200 Server: ctid (NCID) t\r\n210 API: 1.5 Feature Set 1 2 3 4 5\r\n"
	       "CIDLOG: *DATE*01032003*TIME*1254*LINE*-*NMBR*1*MESG*NONE*NAME*A*\r\n"
	       "250 End of call log\r\n300 End of connection startup\r\n",
	       "a client that sent nothing: greeting, call log, 250, 300");
	g_free(got);
	got = read_until(no_log, "300 ");
	is_str(got,
	       "200 Server: ctid (NCID) t\r\n210 API: 1.5 Feature Set 1 2 3 4 5\r\n"
	       "251 Call log not sent\r\n300 End of connection startup\r\n",
	       "HELLO: CMD: no_log: 251 and no call log");
	g_free(got);
	/* a line broadcast now reaches both */
	ncid_server_broadcast(s, "CID: x\r\n");
	got = read_until(no_log, "CID: ");
	ok(g_str_has_suffix(got, "CID: x\r\n"), "a started client gets what is broadcast");
	g_free(got);
	/* a gateway's line from an address that is not a gateway's is ignored */
	send_text(no_log, "CALL: ###DATE12041526...LINE7711...NMBR12125551070...NAMEX+++\n"
			  "MSG: buy now\n");
	got = read_until(no_log, "never");
	is_int(g.lines->len, 0, "no gateway: a CALL: line goes nowhere");
	ok(strstr(got, "buy now") == NULL, "no gateway: a MSG: line is not relayed");
	g_free(got);
	close(quiet);
	close(no_log);
	ncid_server_destroy(s);
	g_ptr_array_free(g.lines, TRUE);
}

/* §4: CALL: and CALLINFO: lines from a gateway's address reach the owner,
 * whole, LF or CRLF ended, split across writes or several in one; an
 * endless line is skipped to its end; the last line may lack its break. */
static void test_gateway(void) {
	struct gateway_seen g = {g_ptr_array_new_with_free_func(g_free)};
	char *why = NULL;
	struct ncid_server_options bad = {.host = "127.0.0.1", .gateways = "10.0.0.0/33"};
	ok(ncid_server_create(&bad, &why) == NULL && why != NULL, "a bad range is refused: %s",
	   why != NULL ? why : "");
	g_free(why);
	struct ncid_server *s = server_new("10.0.0.0/8, 127.0.0.1", &g);
	int fd = connect_to(s);
	/* sip2ncid and wc2ncid: HELLO first, then lines (§2) */
	send_text(fd, "HELLO: IDENT: gateway sip2ncid (NCID) 1.6\nHELLO: CMD: no_log\n");
	g_free(read_until(fd, "300 "));
	send_text(fd, "CALL: ###DATE05311233...LINE1122...NMBR13215551212...NA");
	send_text(fd, "MEBig John+++\r\n\r\nCALLINFO: ###CANCEL...LINE1122...NMBR13215551212+++\n");
	GString *endless = g_string_new("CALL: ###");
	for (int i = 0; i < 5000; i++) {
		g_string_append(endless, "NAME...");
	}
	g_string_append(endless, "\nREQ: YO\nMSG: hello\n");
	send_text(fd, endless->str);
	g_string_free(endless, TRUE);
	send_text(fd, "CALL: ###DATE12041527...CALLIN...LINEVOIP...NMBR1+++");
	close(fd);
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (g.lines->len < 3 && g_get_monotonic_time() < deadline) {
		g_main_context_iteration(NULL, TRUE);
	}
	is_int(g.lines->len, 3, "three gateway lines, the endless one skipped");
	if (g.lines->len == 3) {
		is_str(g_ptr_array_index(g.lines, 0),
		       "127.0.0.1|CALL: ###DATE05311233...LINE1122...NMBR13215551212...NAMEBig John+++",
		       "a CALL: line split across writes, with its peer");
		is_str(g_ptr_array_index(g.lines, 1),
		       "127.0.0.1|CALLINFO: ###CANCEL...LINE1122...NMBR13215551212+++",
		       "a CALLINFO: line");
		is_str(g_ptr_array_index(g.lines, 2),
		       "127.0.0.1|CALL: ###DATE12041527...CALLIN...LINEVOIP...NMBR1+++",
		       "the last line, without a line break, as the gateway leaves");
	}
	ncid_server_destroy(s);
	g_ptr_array_free(g.lines, TRUE);
}

/* §3.5: a gateway's MSG: and NOT: lines reach every client, filled in; a
 * bad one is not relayed and the next still is. */
static void test_relay(void) {
	struct gateway_seen g = {g_ptr_array_new_with_free_func(g_free)};
	struct ncid_server *s = server_new("127.0.0.1", &g);
	int reader = connect_to(s);
	g_free(read_until(reader, "300 "));
	int phone = connect_to(s);
	send_text(phone, "HELLO: IDENT: client NCID Android 1.9\r\nHELLO: CMD: no_log\r\n");
	g_free(read_until(phone, "300 "));
	send_text(phone, "NOT: Battery is 100.0% (Full) "
			 "###DATE*09052016*TIME*0111*NAME*-*NMBR*-*LINE*Tabby*MTYPE*IN*\r\n"
			 "MSG: hi ###DATE*yesterday*\r\nMSG: Lunch is here\n");
	char *got = read_until(reader, "MSG: ");
	ok(strstr(got, "NOT: Battery is 100.0% (Full) ***DATE*09052016*TIME*0111*NAME*-*NMBR*-*"
		       "LINE*Tabby*MTYPE*IN*\r\n") != NULL,
	   "a phone's NOT: reaches the other client");
	ok(strstr(got, "yesterday") == NULL, "a MSG: with a bad DATE is not relayed");
	ok(strstr(got, "\nMSG: Lunch is here ***DATE*") != NULL &&
		   strstr(got, "*LINE*NO-LINE*MTYPE*-*\r\n") != NULL,
	   "a bare MSG: reaches it filled in");
	g_free(got);
	got = read_until(phone, "MSG: ");
	ok(strstr(got, "MSG: Lunch is here ***") != NULL, "the sender gets its message too");
	g_free(got);
	is_int(g.lines->len, 0, "messages are no calls");

	/* feature set 5: NCIDpop asks the phone for its battery through the
	 * server (the phone's address is a gateway's) */
	send_text(phone, "RLY: ###DATE*09052016*TIME*0111*TO*Tabby*FROM*Winny*CMD*BATTERY*\r\n"
			 "RLY: battery please\r\n");
	got = read_until(reader, "RLY: ");
	ok(strstr(got, "RLY: ***DATE*09052016*TIME*0111*TO*Tabby*FROM*Winny*CMD*BATTERY*\r\n") != NULL,
	   "a relay job reaches the other client, \"###\" made \"***\"");
	g_free(got);
	got = read_until(phone, "MSG: ctid:");
	ok(strstr(got, "MSG: ctid: a relay job was not relayed: no ### before its fields ***") != NULL,
	   "one with no fields: its sender is told why, in a message");
	g_free(got);
	close(reader);
	close(phone);
	ncid_server_destroy(s);

	/* from an address in neither ncid-gateways nor ncid-editors: refused */
	s = server_new("192.0.2.1", &g);
	reader = connect_to(s);
	g_free(read_until(reader, "300 "));
	int desk = connect_to(s);
	g_free(read_until(desk, "300 "));
	send_text(desk, "RLY: ###TO*Smarty*FROM*Winny*CMD*PLACECALL*ARG1*4075557777*\r\n");
	got = read_until(desk, "MSG: ");
	ok(strstr(got, "MSG: ctid: relay jobs from this address are refused") != NULL,
	   "a relay job from elsewhere is refused, and its sender told");
	g_free(got);
	ncid_server_broadcast(s, "MSG: after\r\n"); /* lines go out in order */
	got = read_until(reader, "MSG: after");
	ok(strstr(got, "MSG: after") != NULL && strstr(got, "RLY:") == NULL &&
		   strstr(got, "refused") == NULL,
	   "nobody else hears of it");
	g_free(got);
	close(reader);
	close(desk);
	ncid_server_destroy(s);
	g_ptr_array_free(g.lines, TRUE);
}

/* A client that never reads is dropped once its queue passes
 * NCID_SERVER_QUEUE_MAX, and broadcasting never waits for it. */
static void test_stuck_client(void) {
	struct ncid_server *s = server_new(NULL, NULL);
	if (s == NULL) {
		return;
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int small = 1024;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)ncid_server_port(s))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "a client connects");
	while (ncid_server_clients(s) == 0) {
		g_main_context_iteration(NULL, TRUE); /* until the server accepts */
	}
	is_int((int64_t)ncid_server_clients(s), 1, "the server has the client");
	char line[1024];
	memset(line, 'x', sizeof(line) - 3);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	/* the kernel's buffers take a few MB at most; then the queue fills */
	size_t sent = 0;
	while (ncid_server_clients(s) > 0 && sent < 64u << 20) {
		ncid_server_broadcast(s, line);
		sent += sizeof(line);
		g_main_context_iteration(NULL, FALSE);
	}
	is_int((int64_t)ncid_server_clients(s), 0, "the client that never reads is dropped");
	ok(sent < 64u << 20, "after %zu bytes, not waited for", sent);
	close(fd);
	ncid_server_destroy(s);
}

/* §7.2, §8: client jobs as NCID's clients send them (ncid.sh's REQ: lines,
 * the API's examples), and what ctid makes of them. */
static void test_job_parse(void) {
	static const struct {
		const char *line;
		enum ncid_job_kind kind;
		const char *number, *alias, *name, *line_id; /* NULL: not checked */
	} cases[] = {
		{"REQ: YO", NCID_JOB_YO, NULL, NULL, NULL, NULL},
		{"REQ: ACK  ", NCID_JOB_ACK, NULL, NULL, NULL, NULL},
		{"REQ: RELOAD", NCID_JOB_RELOAD, NULL, NULL, NULL, NULL},
		{"REQ: REREAD", NCID_JOB_REREAD, NULL, NULL, NULL, NULL},
		{"REQ: UPDATE", NCID_JOB_UPDATE, NULL, NULL, NULL, NULL},
		{"REQ: UPDATES", NCID_JOB_UPDATES, NULL, NULL, NULL, NULL},
		{"REQ: yo", NCID_JOB_UNKNOWN, NULL, NULL, NULL, NULL},
		{"REQ: PLAY", NCID_JOB_UNKNOWN, NULL, NULL, NULL, NULL},
		{"WRK: ACCEPT LOGS", NCID_JOB_WORK, NULL, NULL, "ACCEPT LOGS", NULL},
		{"WRK: maybe", NCID_JOB_UNKNOWN, NULL, NULL, NULL, NULL},
		{"REQ: INFO 4075551212&&JOHN SMITH", NCID_JOB_INFO, "4075551212", NULL,
		 "JOHN SMITH", NULL},
		{"REQ: INFO 4075551212&&JOHN SMITH&&POTS", NCID_JOB_INFO, "4075551212", NULL,
		 "JOHN SMITH", "POTS"},
		{"REQ: INFO ", NCID_JOB_BAD, NULL, NULL, NULL, NULL},
		{"REQ: INFO 4075551212", NCID_JOB_BAD, NULL, NULL, NULL, NULL},
		{"REQ: alias add \"4075551212&&John on Cell\" \"NOALIAS&&JOHN SMITH\"",
		 NCID_JOB_ALIAS, "4075551212", "John on Cell", "JOHN SMITH", NULL},
		{"REQ: alias modify \"4075551212&&Say \"hi\" \" there\" \"NMBRONLY&&J\"",
		 NCID_JOB_ALIAS, "4075551212", "Say \"hi\" \" there", "J", NULL},
		{"REQ: alias remove \"4075551212&&\" \"NMBRONLY&&JOHN SMITH\"", NCID_JOB_ALIAS,
		 "4075551212", "", "JOHN SMITH", NULL},
		{"REQ: alias add 4075551212&&John", NCID_JOB_BAD, NULL, NULL, NULL, NULL},
		{"REQ: alias add \"4075551212 John\" \"NOALIAS&&J\"", NCID_JOB_BAD, NULL, NULL,
		 NULL, NULL},
		{"REQ: alias rename \"1&&a\" \"NOALIAS&&b\"", NCID_JOB_BAD, NULL, NULL, NULL, NULL},
		{"REQ: black add \"4075551212\" \"telemarketer\"", NCID_JOB_BLACK, "4075551212",
		 NULL, "telemarketer", NULL},
		{"REQ: white remove \"JOHN SMITH\" \"\"", NCID_JOB_WHITE, "JOHN SMITH", NULL, "",
		 NULL},
		{"REQ: black modify \"1\" \"\"", NCID_JOB_BAD, NULL, NULL, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ncid_job j;
		const char *l = cases[i].line;
		if (!ok(ncid_job_parse(l, strlen(l), &j), "a job: %s", l)) {
			continue;
		}
		bool same = j.kind == cases[i].kind &&
			    (cases[i].number == NULL || g_strcmp0(j.number, cases[i].number) == 0) &&
			    (cases[i].alias == NULL || g_strcmp0(j.alias, cases[i].alias) == 0) &&
			    (cases[i].name == NULL || g_strcmp0(j.name, cases[i].name) == 0) &&
			    (cases[i].line_id == NULL || g_strcmp0(j.line, cases[i].line_id) == 0);
		ok(same, "%s: kind %d (%d) number '%s' alias '%s' name '%s' line '%s'%s%s", l,
		   (int)j.kind, (int)cases[i].kind, j.number ? j.number : "-",
		   j.alias ? j.alias : "-", j.name ? j.name : "-", j.line ? j.line : "-",
		   j.why ? ": " : "", j.why ? j.why : "");
		ok(j.kind != NCID_JOB_BAD || j.why != NULL, "%s: a bad job says why", l);
		ncid_job_clear(&j);
	}
	struct ncid_job j = {.kind = NCID_JOB_YO};
	ok(!ncid_job_parse("CALL: ###", 9, &j) && j.kind == NCID_JOB_YO,
	   "a CALL: line is no job, and the job is untouched");
	ok(!ncid_job_parse("REQ:YO", 6, &j), "REQ: wants its space");
	/* s need not end in NUL: the length is the line */
	ok(ncid_job_parse("REQ: YOYO", 7, &j) && j.kind == NCID_JOB_YO, "the length is the line");
	ncid_job_clear(&j);
	/* §7.2: the two INFO lines of REQ: INFO with a line id (ncidd ends
	 * the first with a space, which the Tk client's lindex ignores) */
	char *s = ncid_format_block(NCID_BLOCK_PERMITTED, "alias NOALIAS NOALIAS\nneither");
	is_str(s,
	       "403 Start of data defining permitted requests\r\nINFO: alias NOALIAS NOALIAS\r\n"
	       "INFO: neither\r\n411 End of response\r\n",
	       "403 block: INFO: lines, 411");
	g_free(s);
	s = ncid_format_block(NCID_BLOCK_STATUS, "Smith\rJ added\x7f");
	is_str(s,
	       "402 Start of data showing status of handled request\r\nRESP: Smith J added \r\n"
	       "411 End of response\r\n",
	       "402 block: RESP: lines, control characters made spaces, 411");
	g_free(s);
	s = ncid_format_block(NCID_BLOCK_OK, "nothing to reload");
	is_str(s, "400 Start of data requiring OK\r\nINFO: nothing to reload\r\n410 End of data\r\n",
	       "400 block: INFO:, 410");
	g_free(s);
	s = ncid_format_block(NCID_BLOCK_DECIDE, "x");
	ok(g_str_has_prefix(s, "401 Start of data requiring ACCEPT or REJECT\r\n") &&
		   g_str_has_suffix(s, "410 End of data\r\n"),
	   "401 block: 410");
	g_free(s);
	s = ncid_format_ack("REQ: YO", 7);
	is_str(s, "ACK: REQ: YO\r\n", "§8: ACK: REQ: YO");
	g_free(s);
	/* a line's "*" stays in its acknowledgment; stray bytes, here and in
	 * blocks, become U+FFFD as in every line ctid sends */
	const char *line = "NOT: hi ###NAME*Ren\xe9*";
	s = ncid_format_ack(line, strlen(line));
	is_str(s, "ACK: NOT: hi ###NAME*Ren\xef\xbf\xbd*\r\n", "ACK keeps * and is UTF-8");
	g_free(s);
	s = ncid_format_block(NCID_BLOCK_STATUS, "Ren\xe9 added");
	ok(strstr(s, "RESP: Ren\xef\xbf\xbd added\r\n") != NULL, "a block's stray byte: U+FFFD");
	g_free(s);
}

/* A job the server handed to its owner: "job KIND|PEER|EDITOR|NUMBER" among
 * the gateway's lines. */
static char *on_job(const struct ncid_job *job, const char *peer, bool editor, void *data) {
	struct gateway_seen *g = data;
	g_ptr_array_add(g->lines, g_strdup_printf("job %d|%s|%d|%s", (int)job->kind, peer, editor,
						  job->number != NULL ? job->number : ""));
	return job->kind == NCID_JOB_INFO ? ncid_format_block(NCID_BLOCK_PERMITTED, "alias NOALIAS")
					  : NULL;
}

/* Feature sets 3 and 4 on the wire: REQ: YO and REQ: ACK answered by the
 * server, REQ: ACK then acknowledging a gateway's lines, REQ: REREAD the
 * call log again, other jobs handed over with the editor's flag, an
 * unknown job answered by nothing. */
static void test_jobs(void) {
	struct gateway_seen g = {g_ptr_array_new_with_free_func(g_free)};
	for (int editors = 0; editors < 2; editors++) {
		struct ncid_server_options o = {
			.host = "127.0.0.1",
			.version = "t",
			.gateways = "127.0.0.1",
			.editors = editors ? "::1, 127.0.0.0/8" : NULL,
			.log = one_call_log,
			.gateway = on_gateway,
			.job = on_job,
			.data = &g,
		};
		char *why = NULL;
		struct ncid_server *s = ncid_server_create(&o, &why);
		ok(s != NULL, "a server with jobs (%s)", why != NULL ? why : "");
		g_free(why);
		if (s == NULL) {
			continue;
		}
		int fd = connect_to(s);
		send_text(fd, "HELLO: IDENT: client ncid 1.6\nHELLO: CMD: no_log\n");
		g_free(read_until(fd, "300 "));
		send_text(fd, "REQ: YO\nREQ: PLAY\nREQ: REREAD\n");
		char *got = read_until(fd, "300 ");
		is_str(got,
		       "ACK: REQ: YO\r\n"
		       "CIDLOG: *DATE*01032003*TIME*1254*LINE*-*NMBR*1*MESG*NONE*NAME*A*\r\n"
		       "250 End of call log\r\n300 End of connection startup\r\n",
		       "REQ: YO acknowledged, an unknown job answered by nothing, REQ: REREAD the "
		       "log although the client said no_log");
		g_free(got);
		send_text(fd, "CALL: ###DATE05311233...LINE1122...NMBR1...NAMEA+++\n");
		send_text(fd, "REQ: ACK\nCALL: ###DATE05311234...LINE1122...NMBR2...NAMEB+++\n"
			      "MSG: hi\nNOT: x\n");
		got = read_until(fd, "ACK: NOT: ");
		ok(strstr(got, "ACK: CALL: ###DATE05311233") == NULL,
		   "no ACK before the client asks for them");
		ok(strstr(got, "ACK: REQ: ACK\r\nACK: CALL: ###DATE05311234...LINE1122...NMBR2..."
			       "NAMEB+++\r\n") != NULL,
		   "REQ: ACK acknowledged, then the CALL: line after it");
		ok(strstr(got, "ACK: MSG: ") == NULL && strstr(got, "ACK: NOT: x\r\n") != NULL,
		   "a NOT: line acknowledged, a MSG: line not (as ncidd)");
		g_free(got);
		send_text(fd, "REQ: INFO 02079460018&&X\n");
		got = read_until(fd, "411 ");
		ok(g_str_has_suffix(got, "403 Start of data defining permitted requests\r\n"
					 "INFO: alias NOALIAS\r\n411 End of response\r\n"),
		   "REQ: INFO answered with the owner's block");
		g_free(got);
		char want[64];
		snprintf(want, sizeof(want), "job %d|127.0.0.1|%d|02079460018", (int)NCID_JOB_INFO,
			 editors);
		ok(g.lines->len > 0 &&
			   g_strcmp0(g_ptr_array_index(g.lines, g.lines->len - 1), want) == 0,
		   "the owner had REQ: INFO from 127.0.0.1, editor %d: %s", editors,
		   g.lines->len > 0 ? (char *)g_ptr_array_index(g.lines, g.lines->len - 1) : "");
		close(fd);
		ncid_server_destroy(s);
	}
	g_ptr_array_free(g.lines, TRUE);
}

int main(void) {
	test_job_parse();
	test_jobs();
	test_startup();
	test_gateway();
	test_relay();
	test_stuck_client();
	char *s = ncid_greeting("1.2");
	/* §1.1: "200 Server: ncidd (NCID) 1.6" / "210 API: 1.5 Feature Set 1 2 3 4 5";
	 * ctid speaks sets 1 to 4. */
	is_str(s, "200 Server: ctid (NCID) 1.2\r\n210 API: 1.5 Feature Set 1 2 3 4 5\r\n",
	       "greeting");
	g_free(s);

	/* §3.2, test-client.data: CID:
	 * *DATE*01032003*TIME*1254*LINE*-*NMBR*9415557218*MESG*NONE*NAME*SARASOTA, FL* */
	struct ncid_call c = {
		.when = at(2003, 1, 3, 12, 54, 7),
		.line = "-",
		.number = "9415557218",
		.name = "SARASOTA, FL",
	};
	s = ncid_format_call("CID", &c);
	is_str(s,
	       "CID: *DATE*01032003*TIME*1254*LINE*-*NMBR*9415557218*MESG*NONE*NAME*SARASOTA, FL*\r\n",
	       "CID line as NCID's test data has it");
	g_free(s);
	s = ncid_format_call("CIDLOG", &c);
	ok(g_str_has_prefix(s, "CIDLOG: *DATE*01032003*"), "log replay label CIDLOG");
	g_free(s);

	/* §3.3: missing values. */
	struct ncid_call none = {.when = at(2026, 12, 6, 9, 5, 0)};
	s = ncid_format_call("CID", &none);
	is_str(s, "CID: *DATE*12062026*TIME*0905*LINE*-*NMBR*NO-NUMBER*MESG*NONE*NAME*NO NAME*\r\n",
	       "no line, number or name");
	g_free(s);
	none.number = ncid_withheld_name(NCID_PRIVATE);
	none.name = "";
	s = ncid_format_call("CID", &none);
	ok(strstr(s, "*NMBR*PRIVATE*MESG*NONE*NAME*NO NAME*\r\n") != NULL, "withheld: PRIVATE");
	g_free(s);
	is_str(ncid_withheld_name(NCID_OUT_OF_AREA), "OUT-OF-AREA", "out of area");
	is_str(ncid_withheld_name(NCID_ANONYMOUS), "ANONYMOUS", "anonymous");

	/* Hostile names cannot end a field or a line early, and are cut. */
	struct ncid_call bad = {
		.when = at(2026, 1, 2, 3, 4, 5),
		.line = "a*b",
		.number = "123\r\nCID: x",
		.name = "Ünïcödé name that is quite a lot longer than fifty bytes in all",
	};
	s = ncid_format_call("CID", &bad);
	ok(strstr(s, "*LINE*a b*NMBR*123  CID: x*") != NULL, "star and CRLF become spaces");
	ok(g_str_has_suffix(s, "\r\n") && strstr(s, "\r\n") == s + strlen(s) - 2, "one line");
	const char *name = strstr(s, "*NAME*") + 6;
	size_t nlen = (size_t)(strchr(name, '*') - name);
	ok(nlen <= NCID_FIELD_MAX && g_utf8_validate(name, (gssize)nlen, NULL),
	   "name cut to %d bytes at a character boundary (%zu)", NCID_FIELD_MAX, nlen);
	g_free(s);
	/* bytes that are not UTF-8 (a database another program wrote): U+FFFD
	 * each, the field still within NCID_FIELD_MAX bytes */
	bad.name = "Ren\xe9 L\xf6we";
	s = ncid_format_call("CID", &bad);
	ok(strstr(s, "*NAME*Ren\xef\xbf\xbd L\xef\xbf\xbdwe*\r\n") != NULL,
	   "stray bytes in a name become U+FFFD");
	g_free(s);
	bad.name = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
	s = ncid_format_call("CID", &bad);
	name = strstr(s, "*NAME*") + 6;
	nlen = (size_t)(strchr(name, '*') - name);
	ok(nlen <= NCID_FIELD_MAX && g_utf8_validate(s, -1, NULL),
	   "20 stray bytes: %zu bytes of U+FFFD, the line UTF-8", nlen);
	g_free(s);
	char msg_bad[] = "MSG: caf\xe9 ###NAME*Ren\xe9*";
	struct tm stamp = at(2026, 1, 2, 3, 4, 5);
	const char *why2 = NULL;
	s = ncid_relay_msg(msg_bad, strlen(msg_bad), &stamp, &why2);
	ok(s != NULL && g_utf8_validate(s, -1, NULL) && strstr(s, "caf\xef\xbf\xbd ***") != NULL &&
		   strstr(s, "*NAME*Ren\xef\xbf\xbd*") != NULL,
	   "a relayed message's stray bytes become U+FFFD too");
	g_free(s);

	/* §3.2, test-client.data: OUT: *DATE*07142011*TIME*0905*LINE*VOIP*NMBR*12345*... */
	struct ncid_call out = {.when = at(2011, 7, 14, 9, 5, 0),
				.line = "VOIP",
				.number = "12345",
				.outgoing = true};
	s = ncid_format_call("OUT", &out);
	is_str(s, "OUT: *DATE*07142011*TIME*0905*LINE*VOIP*NMBR*12345*MESG*NONE*NAME*NO NAME*\r\n",
	       "a call placed: OUT line as NCID's test data has it");
	g_free(s);

	/* §4.4, API 4003-4004: a call placed, answered. */
	struct ncid_call e = {
		.when = at(2016, 9, 6, 17, 51, 12),
		.line = "Smarty",
		.number = "4075557777",
		.name = "JOHN ON CELL",
		.outgoing = true,
	};
	struct tm end = at(2016, 9, 6, 17, 58, 9);
	s = ncid_format_end(&e, &end, true);
	is_str(s,
	       "END: *HTYPE*BYE*DATE*09062016*TIME*1751*SCALL*09/06/2016 17:51:12*ECALL*09/06/2016 "
	       "17:58:09*CTYPE*OUT*LINE*Smarty*NMBR*4075557777*NAME*JOHN ON CELL*\r\n",
	       "END line of a call placed, answered, as API 4004 has it");
	g_free(s);
	e.outgoing = false;
	s = ncid_format_end(&e, &end, true);
	ok(strstr(s, "*CTYPE*IN*LINE*") != NULL, "END line of a call that came in: CTYPE IN");
	g_free(s);
	s = ncid_format_end(&e, &end, false);
	ok(g_str_has_prefix(s, "END: *HTYPE*CANCEL*"), "END line, not answered");
	g_free(s);

	/* §3.4, API 837-848: CIDINFO: *LINE*1*RING*4*TIME*16:20:05* */
	struct tm now = at(2016, 9, 6, 16, 20, 5);
	s = ncid_format_info("1", 4, &now);
	is_str(s, "CIDINFO: *LINE*1*RING*4*TIME*16:20:05*\r\n", "CIDINFO ring count");
	g_free(s);
	s = ncid_format_info(NULL, 0, &now);
	is_str(s, "CIDINFO: *LINE*-*RING*0*TIME*16:20:05*\r\n", "ringing stopped, no line");
	g_free(s);

	is_str(ncid_startup_end(NCID_LOG_SENT),
	       "250 End of call log\r\n300 End of connection startup\r\n", "after a call log");
	is_str(ncid_startup_end(NCID_LOG_EMPTY),
	       "252 Call log empty\r\n300 End of connection startup\r\n", "empty call log");
	is_str(ncid_startup_end(NCID_LOG_NOT_SENT),
	       "251 Call log not sent\r\n300 End of connection startup\r\n", "no_log");

	/* §3.5, test-client.data: MSG: check out http://ncid.sourceforge.net
	 * ***DATE*04102014*TIME*0515*NAME*-*NMBR*-*LINE*localhost* */
	struct tm when = at(2014, 4, 10, 5, 15, 0);
	s = ncid_format_msg("Reminder: *birthday*\n gift", &when, "Ivan Petrov", "020 7946 0018");
	is_str(s,
	       "MSG: Reminder:  birthday   gift ***DATE*04102014*TIME*0515*NAME*Ivan Petrov*"
	       "NMBR*020 7946 0018*LINE*NO-LINE*MTYPE*-*\r\n",
	       "a reminder's MSG: line, its stars and line break made spaces");
	g_free(s);
	s = ncid_format_msg(NULL, &when, NULL, "");
	is_str(s, "MSG:  ***DATE*04102014*TIME*0515*NAME*-*NMBR*-*LINE*NO-LINE*MTYPE*-*\r\n",
	       "no text, name or number");
	g_free(s);

	/* §3.5: what clients and gateways send, relayed. API 3965-3966: */
	const char *why = NULL;
	const char *not = "NOT: Battery is 100.0% (Full) "
			  "###DATE*09052016*TIME*0111*NAME*-*NMBR*-*LINE*Tabby*MTYPE*IN*";
	s = ncid_relay_msg(not, strlen(not ), &when, &why);
	is_str(s,
	       "NOT: Battery is 100.0% (Full) ***DATE*09052016*TIME*0111*NAME*-*NMBR*-*"
	       "LINE*Tabby*MTYPE*IN*\r\n",
	       "a phone's NOT: line relayed as API 3966 has it");
	g_free(s);
	const char *msg = "MSG: Lunch is here, *all* of you";
	s = ncid_relay_msg(msg, strlen(msg), &when, &why);
	is_str(s,
	       "MSG: Lunch is here,  all  of you ***DATE*04102014*TIME*0515*NAME*NO NAME*NMBR*NO-NUMBER*"
	       "LINE*NO-LINE*MTYPE*-*\r\n",
	       "a client's bare MSG: gets the time and the fields ncidd fills");
	g_free(s);
	msg = "MSG: order ready ###NMBR*02079460018*NAME*Ivan Petrov*X-EXTRA*1*TIME*1230";
	s = ncid_relay_msg(msg, strlen(msg), &when, &why);
	is_str(s,
	       "MSG: order ready ***DATE*04102014*TIME*1230*NAME*Ivan Petrov*NMBR*02079460018*"
	       "LINE*NO-LINE*MTYPE*-*\r\n",
	       "fields in any order, in the server's order out; unknown ones dropped");
	g_free(s);
	static const char *const refused[] = {
		"MSG: ",
		"MSG:    ###LINE*1*",
		"MSG: hi ###DATE*2016*",
		"MSG: hi ###TIME*12:30*",
		"MSG: hi ###MTYPE*SPAM*",
		"MSG: hi ###NAME*aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa*",
		"MSG: hi ###NAME",
		"CID: *DATE*01032003*",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		why = NULL;
		s = ncid_relay_msg(refused[i], strlen(refused[i]), &when, &why);
		ok(s == NULL && why != NULL, "refused: \"%s\" (%s)", refused[i],
		   why != NULL ? why : "");
		g_free(s);
	}
	char ctl[] = "MSG: hi ###LINE*a\x01b*";
	s = ncid_relay_msg(ctl, strlen(ctl), &when, &why);
	ok(s == NULL, "refused: a control character in a field (%s)", why);
	g_free(s);
	char c1[] = "MSG: hi ###NAME*Eve\xc2\x9b"
		    "31m*";
	s = ncid_relay_msg(c1, strlen(c1), &when, &why);
	ok(s == NULL, "refused: a C1 control (CSI) in a field (%s)", why);
	g_free(s);
	/* an SMS's text is anyone's: a right-to-left override would show
	 * "exe.jpg" for "gpj.exe" on every client */
	char rlo[] = "NOT: SMS from 5551212: pay here \xe2\x80\xaegpj.exe\xe2\x80\xac \xc2\x85 now "
		     "###DATE*01052026*TIME*1200*NAME*Eve*NMBR*5551212*LINE*cell*MTYPE*IN*";
	s = ncid_relay_msg(rlo, strlen(rlo), &when, &why);
	ok(s != NULL && strstr(s, "pay here  gpj.exe    now ***DATE") != NULL &&
		   strstr(s, "\xe2\x80\xae") == NULL && strstr(s, "\xc2\x85") == NULL,
	   "relayed text: bidirectional overrides and C1 controls become spaces (%s)", s);
	g_free(s);

	/* §4.5, feature set 5: relay jobs, as NCID-API's examples (l. 3963-4025)
	 * show NCIDpop's line and ncidd's */
	const char *rly = "RLY: ###DATE*09052016*TIME*0111*TO*Tabby*FROM*Winny*CMD*BATTERY*";
	s = ncid_relay_job(rly, strlen(rly), &why);
	is_str(s, "RLY: ***DATE*09052016*TIME*0111*TO*Tabby*FROM*Winny*CMD*BATTERY*\r\n",
	       "a relay job: \"###\" becomes \"***\" (API: BATTERY)");
	g_free(s);
	rly = "RLY: Are you coming over to see the surprise eclipse tonight?###DATE*09052016*"
	      "TIME*2138*TO*Smarty*FROM*Winny*CMD*TEXTMSG*ARG1*4075557777*";
	s = ncid_relay_job(rly, strlen(rly), &why);
	is_str(s,
	       "RLY: Are you coming over to see the surprise eclipse tonight?***DATE*09052016*"
	       "TIME*2138*TO*Smarty*FROM*Winny*CMD*TEXTMSG*ARG1*4075557777*\r\n",
	       "with a message and an argument (API: TEXTMSG)");
	g_free(s);
	rly = "+RLY: ###TO*@all*FROM*Winny*CMD*RINGTONE*";
	s = ncid_relay_job(rly, strlen(rly), &why);
	is_str(s, "RLY: ***TO*@all*FROM*Winny*CMD*RINGTONE*\r\n",
	       "+RLY: from a forwarding server, relayed as RLY:");
	g_free(s);
	char odd[] = "RLY: tea\r\x01 ###TO*Tabby*FROM*Winny*CMD*TEXTMSG*ARG1*caf\xe9*";
	s = ncid_relay_job(odd, strlen(odd), &why);
	is_str(s, "RLY: tea   ***TO*Tabby*FROM*Winny*CMD*TEXTMSG*ARG1*caf\xEF\xBF\xBD*\r\n",
	       "control characters made spaces, a stray byte U+FFFD");
	g_free(s);
	rly = "RLY: hi***TO*victim*FROM*Boss*CMD*PLACECALL*ARG1*0900123*###TO*x*FROM*y*CMD*z*";
	s = ncid_relay_job(rly, strlen(rly), &why);
	is_str(s,
	       "RLY: hi   TO victim FROM Boss CMD PLACECALL ARG1 0900123 ***TO*x*FROM*y*CMD*z*\r\n",
	       "stars in the text are made spaces: the fields clients read are those checked");
	g_free(s);
	static const char nul[] = "RLY: a\0b###TO*Tabby*FROM*Winny*CMD*BATTERY*";
	s = ncid_relay_job(nul, sizeof(nul) - 1, &why);
	is_str(s, "RLY: a b***TO*Tabby*FROM*Winny*CMD*BATTERY*\r\n",
	       "a NUL in the text is read past, and made a space");
	g_free(s);
	static const char *const no_job[] = {
		"RLY: ###CMD*TO*FROM*",			       /* labels, no pairs */
		"RLY: ###FROM*TO*CMD*x*",		       /* CMD's value is no label's */
		"RLY: ###TO**FROM*Winny*CMD*BATTERY*",	       /* an empty TO */
		"RLY: battery please",			       /* ncidd 1.6 dies of this one */
		"RLY: ###DATE*09052016*TO*Tabby*CMD*BATTERY*", /* no FROM */
		"RLY: ###TO*Tabby*FROM*Winny*",		       /* no CMD */
		"RLY: ###XTO*Tabby*FROM*Winny*CMD*BATTERY*",   /* no TO */
		"MSG: ###TO*Tabby*FROM*Winny*CMD*BATTERY*",
		"RLY:",
	};
	for (size_t i = 0; i < sizeof(no_job) / sizeof(no_job[0]); i++) {
		why = NULL;
		s = ncid_relay_job(no_job[i], strlen(no_job[i]), &why);
		ok(s == NULL && why != NULL, "no relay job: \"%s\" (%s)", no_job[i],
		   why != NULL ? why : "");
		g_free(s);
	}
	return tap_done();
}
