/*
 * libFuzzer target for the caller-ID parser and the call tracker: the input
 * is fed in two chunks split where its first byte says, every event goes to
 * a call tracker with time moving on, and the raw bytes also go through
 * cid_decode_mdmf() and cid_parse_line().
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "call.h"
#include "cid.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
	struct call_tracker *tracker;
	struct call_time now;
	uint64_t sum;
};

static void on_call(const struct call_info *c, enum call_change change, void *data) {
	struct state *s = data;
	/* Touch every string so the sanitizers see an unterminated one. */
	s->sum += strlen(c->number) + strlen(c->name) + strlen(c->called) + strlen(c->ring_type) +
		  strlen(c->line) + (uint64_t)c->rings + (uint64_t)change;
}

static void on_event(const struct cid_event *ev, void *data) {
	struct state *s = data;
	s->sum += strlen(ev->number) + strlen(ev->name) + strlen(ev->ring_type) + strlen(ev->text) +
		  (uint64_t)ev->type;
	s->now.mono += 700;
	s->now.wall += 700;
	call_tracker_event(s->tracker, ev, s->now);
	if (call_tracker_deadline(s->tracker) >= 0 && ev->type == CID_EV_LINE) {
		call_tracker_tick(s->tracker, s->now);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static bool quiet;
	if (!quiet) {
		log_set_level(LOG_SILENT);
		quiet = true;
	}
	struct state s = {.now = {.mono = 0, .wall = 1795737600000LL}};
	struct call_tracker_options opts = {
		.line = "fuzz",
		.detects_pickup = size > 0 && (data[0] & 1),
		.detects_hangup = size > 0 && (data[0] & 2),
	};
	s.tracker = call_tracker_create(&opts, on_call, &s);
	struct cid_parser *p = cid_parser_create();
	if (s.tracker == NULL || p == NULL) {
		cid_parser_destroy(p);
		call_tracker_destroy(s.tracker);
		return 0;
	}
	size_t split = size > 0 ? (size_t)data[0] * size / 256 : 0;
	cid_parser_feed(p, data, split, on_event, &s);
	cid_parser_feed(p, data + split, size - split, on_event, &s);
	cid_parser_flush(p, on_event, &s);
	s.now.mono += 9000;
	call_tracker_tick(s.tracker, s.now);
	call_tracker_finish(s.tracker, s.now);

	cid_decode_mdmf(data, size, on_event, &s);
	cid_parse_line((const char *)data, size, on_event, &s);
	call_tracker_finish(s.tracker, s.now);

	cid_parser_destroy(p);
	call_tracker_destroy(s.tracker);
	return 0;
}
