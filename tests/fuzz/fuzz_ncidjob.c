/*
 * libFuzzer target for the client jobs NCID clients send (ncid_job_parse(),
 * ncid_format_block(), ncid_format_ack()): the input is cut into lines at
 * LF or CR as the server does; whatever a line holds, a job's strings are
 * whole C strings within the line, a bad job says why, and the blocks and
 * acknowledgments made of what it holds are CRLF-ended lines of UTF-8
 * with no other CR or LF. The seeds (corpus/ncidjob/) are the jobs of
 * doc/ncid.md §7 and §8 as NCID's Tk client (ncid.sh) sends them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "fuzz_lines.h"
#include "jobs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every line of s ends in CRLF, no CR or LF is anywhere else, and s is
 * UTF-8. */
static void check_lines(const char *s) {
	size_t n = strlen(s);
	if (n < 2 || s[n - 2] != '\r' || s[n - 1] != '\n' || !g_utf8_validate(s, -1, NULL)) {
		__builtin_trap();
	}
	for (size_t i = 0; i < n; i++) {
		if ((s[i] == '\r' && s[i + 1] != '\n') ||
		    (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))) {
			__builtin_trap();
		}
	}
}

static void check_field(const char *f, size_t len) {
	if (f != NULL && strlen(f) > len) {
		__builtin_trap(); /* more than the line held */
	}
}

static void check(const char *s, size_t len) {
	struct ncid_job j;
	if (!ncid_job_parse(s, len, &j)) {
		return;
	}
	if (j.kind == NCID_JOB_BAD && (j.why == NULL || j.why[0] == '\0')) {
		__builtin_trap();
	}
	check_field(j.number, len);
	check_field(j.alias, len);
	check_field(j.name, len);
	check_field(j.line, len);
	char *text = g_strdup_printf("%s\n%s", j.number != NULL ? j.number : "",
				     j.alias != NULL ? j.alias : "");
	for (int b = NCID_BLOCK_OK; b <= NCID_BLOCK_PERMITTED; b++) {
		char *block = ncid_format_block((enum ncid_block)b, text);
		check_lines(block);
		g_free(block);
	}
	g_free(text);
	char *ack = ncid_format_ack(s, len);
	check_lines(ack);
	g_free(ack);
	ncid_job_clear(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	fuzz_lines(data, size, check);
	return 0;
}
