/*
 * The terminal's guard: text from outside (a caller's name, an imported
 * note, a field) reaches ctidctl's output in many places, and on a terminal
 * a control character in it could move the cursor, rewrite the title or
 * clear the screen, and a bidirectional override could turn the rest of the
 * line around. Rather than trusting every printf, stdout and stderr, where
 * they are terminals, go through this filter: control characters,
 * bidirectional controls and bytes that are not UTF-8 become U+FFFD. Line
 * breaks, tabs, "\r\n" (a CSV row) and colour (SGR) sequences pass. What is
 * written to a file or a pipe is left as it is (JSON escapes its own).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "utf8.h"

struct guard {
	int fd;
	char carry[16]; /* an incomplete character or sequence from the last write */
	size_t n_carry;
};

static void put(struct guard *g, const char *s, size_t n) {
	while (n > 0) {
		ssize_t w = write(g->fd, s, n);
		if (w <= 0) {
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

/* Length of the colour sequence ESC [ digits-and-semicolons m at s; 0 if it
 * is another sequence; -1 if it may be one but is not complete yet. */
static ssize_t sgr_length(const char *s, size_t n) {
	if (n < 2) {
		return -1;
	}
	if (s[1] != '[') {
		return 0;
	}
	for (size_t i = 2; i < n && i < 12; i++) {
		if (s[i] == 'm') {
			return (ssize_t)i + 1;
		}
		if ((s[i] < '0' || s[i] > '9') && s[i] != ';') {
			return 0;
		}
	}
	return n < 12 ? -1 : 0;
}

static void filter(struct guard *g, const char *s, size_t n, bool last) {
	static const char bad[] = "\xef\xbf\xbd";
	size_t i = 0, plain = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
			i++;
			continue;
		}
		put(g, s + plain, i - plain);
		size_t used = 1;
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
			put(g, "\r", 1);
		} else if (c == 0x1b) {
			ssize_t len = sgr_length(s + i, n - i);
			if (len < 0 && !last) {
				break; /* finish it with the next write */
			}
			if (len > 0) {
				put(g, s + i, (size_t)len);
				used = (size_t)len;
			} else {
				put(g, bad, 3);
			}
		} else if (c == '\r' && i + 1 == n && !last) {
			break;
		} else {
			uint32_t cp;
			size_t len = utf8_decode(s + i, n - i, &cp);
			if (len == 0 && c >= 0xc2 && n - i < 4 && !last) {
				break; /* a character split between two writes */
			}
			if (len == 0 || utf8_is_unsafe(cp)) {
				put(g, bad, 3);
				used = len == 0 ? 1 : len;
			} else {
				put(g, s + i, len);
				used = len;
			}
		}
		i += used;
		plain = i;
	}
	put(g, s + plain, i - plain);
	g->n_carry = n - i;
	memmove(g->carry, s + i, g->n_carry);
}

static ssize_t guard_write(void *cookie, const char *buf, size_t size) {
	struct guard *g = cookie;
	char joined[sizeof(g->carry) + 4096];
	size_t done = 0;
	while (done < size) {
		size_t take = size - done < 4096 ? size - done : 4096;
		memcpy(joined, g->carry, g->n_carry);
		memcpy(joined + g->n_carry, buf + done, take);
		filter(g, joined, g->n_carry + take, false);
		done += take;
	}
	return (ssize_t)size;
}

static int guard_close(void *cookie) {
	struct guard *g = cookie;
	filter(g, g->carry, g->n_carry, true);
	return 0;
}

static FILE *guarded(int fd, struct guard *g) {
	g->fd = fd;
	cookie_io_functions_t io = {.write = guard_write, .close = guard_close};
	FILE *f = fopencookie(g, "w", io);
	if (f != NULL) {
		setvbuf(f, NULL, fd == STDERR_FILENO ? _IONBF : _IOLBF, 0);
	}
	return f;
}

void output_guard_terminal(void) {
	static struct guard out, err;
	FILE *f;
	if (isatty(STDOUT_FILENO) && (f = guarded(STDOUT_FILENO, &out)) != NULL) {
		fflush(stdout);
		stdout = f;
	}
	if (isatty(STDERR_FILENO) && (f = guarded(STDERR_FILENO, &err)) != NULL) {
		fflush(stderr);
		stderr = f;
	}
}
