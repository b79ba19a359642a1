/* What the simulated modem says: bytes queued for the pty, and the events
 * it reports to whoever drives it (tests, the demo). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_internal.h"

#define OUT_MAX (4 * 1024 * 1024) /* queued bytes kept for a host not reading */

void sim_event(struct sim *s, const char *fmt, ...) {
	if (s->opts.events_fd < 0) {
		return;
	}
	char buf[512];
	va_list args;
	va_start(args, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, args);
	va_end(args);
	if (n < 0) {
		return;
	}
	if ((size_t)n > sizeof(buf) - 2) {
		n = sizeof(buf) - 2;
	}
	buf[n++] = '\n';
	for (size_t off = 0; off < (size_t)n;) {
		ssize_t w = write(s->opts.events_fd, buf + off, (size_t)n - off);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			break;
		}
		off += (size_t)w;
	}
}

void sim_out(struct sim *s, const char *buf, size_t len) {
	if (!s->plugged || len == 0) {
		return;
	}
	if (s->out_len + len > OUT_MAX) {
		return; /* a host that stopped reading loses output, as on a real line */
	}
	if (s->out_len + len > s->out_cap) {
		size_t cap = s->out_cap != 0 ? s->out_cap : 4096;
		while (cap < s->out_len + len) {
			cap *= 2;
		}
		char *out = realloc(s->out, cap);
		if (out == NULL) {
			return;
		}
		s->out = out;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_len, buf, len);
	s->out_len += len;
}

void sim_out_line(struct sim *s, const char *text) {
	sim_out(s, "\r\n", 2);
	sim_out(s, text, strlen(text));
	sim_out(s, "\r\n", 2);
}

void sim_mark_number(struct sim *s) {
	if (s->opts.timestamps && s->plugged) {
		s->stamp_at = s->out_len;
	}
}
