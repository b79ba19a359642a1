/*
 * libFuzzer target for the FRITZ!Box call monitor: the input is a byte
 * stream from the box, cut into lines as the connection does (at most 256
 * bytes a line, so overlong ones are exercised), each line fed to the parser
 * with time moving on; a lost connection is simulated where the first byte
 * says. The seeds (corpus/fritzbox/) are transcripts from
 * doc/fritzbox.md, named after their source: petermost/FritzBoxCallMonitor,
 * bufemc/a1fbox, neutrino-images/ni-neutrino-plugins, jfritz-org/jfritz and
 * the broken stamp of home-assistant/core issue #130955.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fritzbox.h"
#include "linebuf.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
	struct fritzbox_parser *parser;
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

static void on_line(const char *line, size_t len, void *data) {
	struct state *s = data;
	s->now += 700;
	fritzbox_parser_line(s->parser, line, len, s->now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static bool quiet;
	if (!quiet) {
		log_set_level(LOG_SILENT);
		quiet = true;
	}
	struct state s = {.now = 1795737600000LL};
	struct linebuf lb;
	s.parser = fritzbox_parser_create("fuzz", on_call, &s);
	if (s.parser == NULL || linebuf_init(&lb, 256) < 0) {
		fritzbox_parser_destroy(s.parser);
		return 0;
	}
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	linebuf_feed(&lb, (const char *)data, cut, on_line, &s);
	if (size > 0 && (data[0] & 0x80)) {
		linebuf_reset(&lb); /* the connection was lost here */
		fritzbox_parser_finish(s.parser, s.now);
	}
	linebuf_feed(&lb, (const char *)data + cut, size - cut, on_line, &s);
	fritzbox_parser_finish(s.parser, s.now);
	if (fritzbox_parser_calls(s.parser) != 0 || s.started != s.ended) {
		__builtin_trap(); /* every call that started has ended */
	}
	fritzbox_parser_destroy(s.parser);
	linebuf_finish(&lb);
	return 0;
}
