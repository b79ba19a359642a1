/*
 * libFuzzer target for the Asterisk Manager Interface parser: the input is
 * the byte stream from the PBX, cut into lines as the connection does (at
 * most 512 bytes a line), each fed to the parser with time moving on; a
 * lost connection is simulated where the first byte says. The seeds
 * (corpus/ami/) are the transcripts of tests/fixtures/ami/, whose README
 * names their sources.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ami.h"
#include "linebuf.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
	struct ami_parser *parser;
	int64_t now;
	uint64_t sum;
	int started, ended;
};

static void on_call(const struct call_info *c, enum call_change change, void *data) {
	struct state *s = data;
	/* Touch every string so the sanitizers see an unterminated one. */
	s->sum += strlen(c->number) + strlen(c->name) + strlen(c->called) + strlen(c->line) +
		  strlen(c->answered_by) + (uint64_t)c->state + (uint64_t)change;
	s->started += change == CALL_STARTED;
	s->ended += change == CALL_ENDED;
}

static void on_response(bool success, const char *message, void *data) {
	struct state *s = data;
	s->sum += strlen(message) + success;
}

static void on_line(const char *line, size_t len, void *data) {
	struct state *s = data;
	s->now += 10;
	ami_parser_line(s->parser, line, len, s->now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static bool quiet;
	if (!quiet) {
		log_set_level(LOG_SILENT);
		quiet = true;
	}
	static const struct ami_listener listener = {.call = on_call, .response = on_response};
	struct state s = {.now = 1795737600000LL};
	/* every context of the seeds is inbound */
	struct ami_parser_options o = {
		.line = "fuzz",
		.contexts = "from-internal,incoming,from-pstn,from-trunk,voipgrid_in",
		.trunks = size > 1 && (data[1] & 1) ? "SIP/voipgrid,PJSIP/" : NULL,
	};
	struct linebuf lb;
	s.parser = ami_parser_create(&o, &listener, &s);
	if (s.parser == NULL || linebuf_init(&lb, 512) < 0) {
		ami_parser_destroy(s.parser);
		return 0;
	}
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	linebuf_feed(&lb, (const char *)data, cut, on_line, &s);
	if (size > 0 && (data[0] & 0x80)) {
		linebuf_reset(&lb); /* the connection was lost here */
		ami_parser_finish(s.parser, s.now);
	}
	linebuf_feed(&lb, (const char *)data + cut, size - cut, on_line, &s);
	ami_parser_finish(s.parser, s.now);
	if (ami_parser_calls(s.parser) != 0 || s.started != s.ended) {
		__builtin_trap(); /* every call that started has ended */
	}
	ami_parser_destroy(s.parser);
	linebuf_finish(&lb);
	return 0;
}
