/*
 * libFuzzer target for the MSG: and NOT: lines NCID gateways send, which
 * the server relays to every client (ncid_relay_msg()): the input is cut
 * into lines at LF or CR as the server does; whatever a line holds, what
 * goes out is NULL with a reason, or exactly one CRLF-ended line in the
 * form clients split ("LABEL: TEXT ***DATE*…*MTYPE*…*"). The same lines
 * go to ncid_relay_job() (feature set 5's RLY:, §4.5): NULL with a reason,
 * or one CRLF-ended UTF-8 line "RLY: TEXT***…*". The seeds
 * (corpus/ncidmsg/) are doc/ncid.md §3.5's lines: the NCID API
 * document's NOT: example and test-client.data's MSG:, and its relay
 * job examples.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "fuzz_lines.h"
#include "ncid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_job(const char *s, size_t len) {
	const char *why = NULL;
	char *out = ncid_relay_job(s, len, &why);
	if (out == NULL) {
		if (why == NULL || why[0] == '\0') {
			__builtin_trap();
		}
		return;
	}
	size_t n = strlen(out);
	const char *cr = strchr(out, '\r'), *lf = strchr(out, '\n');
	if (n < 2 || cr != out + n - 2 || lf != out + n - 1 || strncmp(out, "RLY: ", 5) != 0 ||
	    strstr(out, "***") == NULL || !g_utf8_validate(out, (gssize)n, NULL)) {
		__builtin_trap();
	}
	g_free(out);
}

static void check(const char *s, size_t len) {
	check_job(s, len);
	struct tm now = {.tm_year = 126, .tm_mon = 11, .tm_mday = 6, .tm_hour = 16, .tm_min = 31};
	const char *why = NULL;
	char *out = ncid_relay_msg(s, len, &now, &why);
	if (out == NULL) {
		if (why == NULL || why[0] == '\0') {
			__builtin_trap(); /* a refusal always says why */
		}
		return;
	}
	size_t n = strlen(out);
	const char *cr = strchr(out, '\r'), *lf = strchr(out, '\n');
	if (n < 2 || cr != out + n - 2 || lf != out + n - 1 ||
	    (strncmp(out, "MSG: ", 5) != 0 && strncmp(out, "NOT: ", 5) != 0) ||
	    strstr(out, " ***DATE*") == NULL || strstr(out, "*MTYPE*") == NULL) {
		__builtin_trap();
	}
	g_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	fuzz_lines(data, size, check);
	return 0;
}
