/*
 * NCID line formatting. Expected lines follow the examples quoted, with
 * their sources, in /work/research/ncid.md (section numbers below).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

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

/* A client that never reads is dropped once its queue passes
 * NCID_SERVER_QUEUE_MAX, and broadcasting never waits for it. */
static void test_stuck_client(void) {
	char *why = NULL;
	struct ncid_server *s = ncid_server_create("127.0.0.1", 0, "t", NULL, NULL, &why);
	ok(s != NULL, "the server listens on a free port (%s)", why != NULL ? why : "");
	if (s == NULL) {
		g_free(why);
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

int main(void) {
	test_stuck_client();
	char *s = ncid_greeting("1.2");
	/* §1.1: "200 Server: ncidd (NCID) 1.6" / "210 API: 1.5 Feature Set 1 2 3 4 5". */
	is_str(s, "200 Server: ctid (NCID) 1.2\r\n210 API: 1.5 Feature Set 1\r\n", "greeting");
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

	/* §4.4, API 4003-4004 (an OUT call there; ctid's are incoming). */
	struct ncid_call e = {
		.when = at(2016, 9, 6, 17, 51, 12),
		.line = "Smarty",
		.number = "4075557777",
		.name = "JOHN ON CELL",
	};
	struct tm end = at(2016, 9, 6, 17, 58, 9);
	s = ncid_format_end(&e, &end, true);
	is_str(s,
	       "END: *HTYPE*BYE*DATE*09062016*TIME*1751*SCALL*09/06/2016 17:51:12*ECALL*09/06/2016 "
	       "17:58:09*CTYPE*IN*LINE*Smarty*NMBR*4075557777*NAME*JOHN ON CELL*\r\n",
	       "END line, answered");
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

	is_str(ncid_startup_end(true), "250 End of call log\r\n300 End of connection startup\r\n",
	       "after a call log");
	is_str(ncid_startup_end(false), "252 Call log empty\r\n300 End of connection startup\r\n",
	       "empty call log");
	return tap_done();
}
