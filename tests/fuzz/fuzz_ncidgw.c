/*
 * libFuzzer target for NCID gateways' lines: the input is a byte stream from
 * a gateway, cut into lines at LF or CR as the NCID server does (at most
 * NCIDGW_INPUT_MAX + 16 bytes a line, so overlong ones are exercised), each
 * line fed to the parser with time moving on, calls expired now and then.
 * The seeds (corpus/ncidgw/) are the lines of doc/ncid.md §4:
 * NCID 1.6's test/test-gw-calls.data, the sip2ncid man page, yac2ncid's and
 * wc2ncid's formats, and the NCID API document's NCID Android example.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "ncidgw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
	uint64_t sum;
	int started, ended;
};

static void on_call(const struct call_info *c, enum call_change change, void *data) {
	struct state *s = data;
	/* Touch every string so the sanitizers see an unterminated one. */
	s->sum += strlen(c->number) + strlen(c->name) + strlen(c->line) + (uint64_t)c->state +
		  (uint64_t)change;
	s->started += change == CALL_STARTED;
	s->ended += change == CALL_ENDED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static bool quiet;
	if (!quiet) {
		log_set_level(LOG_SILENT);
		quiet = true;
	}
	struct state s = {0};
	struct ncidgw_parser *p = ncidgw_parser_create(on_call, &s);
	if (p == NULL) {
		return 0;
	}
	int64_t now = 1795737600000LL;
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		bool end = i == size || data[i] == '\n' || data[i] == '\r';
		if (!end && i - start < NCIDGW_INPUT_MAX + 16) {
			continue;
		}
		now += (i & 7) == 0 ? NCIDGW_RING_MAX_MS / 2 : 700;
		ncidgw_parser_line(p, (const char *)data + start, i - start, now);
		if ((i & 3) == 0) {
			ncidgw_parser_expire(p, now);
		}
		start = i + 1;
	}
	ncidgw_parser_finish(p, now);
	if (ncidgw_parser_calls(p) != 0 || s.started != s.ended) {
		__builtin_trap(); /* every call that started has ended */
	}
	ncidgw_parser_destroy(p);
	return 0;
}
