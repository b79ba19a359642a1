/*
 * libFuzzer target for the AT command engine: a few commands are queued,
 * then the input is fed as the lines a modem printed (echo, intermediate and
 * final results, unsolicited reports, junk), with time moving on so that
 * timeouts fire too. Nothing may crash, leak or hang, whatever the modem says.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "at.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const commands[] = {"ATZ",	    "ATI3",	 "AT+GMI",
				       "AT+GCAP",   "AT+VCID=1", "AT#CID=1",
				       "AT+CLIP=1", "AT-STE=3",	 "ATD01632960999;",
				       "ATH"};

struct state {
	struct at_engine *e;
	uint64_t sum;
	int queued;
	int64_t now;
};

static int on_write(const char *buf, size_t len, void *data) {
	struct state *s = data;
	s->sum += len + (uint64_t)buf[0];
	return 0;
}

static void on_done(const struct at_response *r, void *data) {
	struct state *s = data;
	s->sum += strlen(r->command) + strlen(r->final_line) + r->n_lines;
	for (size_t i = 0; i < r->n_lines; i++) {
		s->sum += strlen(r->lines[i]);
	}
	/* a start-up sequence queues the next command from the completion */
	if (s->queued < 40) {
		s->queued++;
		at_engine_send(s->e, commands[s->sum % 10], 1000, on_done, s, s->now);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	log_set_level(LOG_SILENT);
	struct state s = {0};
	s.e = at_engine_create(on_write, &s);
	if (s.e == NULL) {
		return 0;
	}
	for (size_t i = 0; i < 3 && i < size; i++) {
		at_engine_send(s.e, commands[data[i] % 10], 500 + data[i] * 10, on_done, &s, 0);
	}
	char line[AT_LINE_MAX * 2];
	size_t n = 0;
	for (size_t i = 3; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			line[n] = '\0';
			s.now += 37;
			if (!at_engine_feed_line(s.e, line, s.now)) {
				s.sum += at_line_is_unsolicited(line);
			}
			if (n > 0 && line[0] == '~') {
				s.now += 5000; /* the modem goes quiet for a while */
			}
			at_engine_tick(s.e, s.now);
			n = 0;
		} else if (n + 1 < sizeof(line)) {
			line[n++] = (char)data[i];
		}
	}
	at_engine_destroy(s.e);
	return 0;
}
