#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "utf8.h"

static struct {
	const char *prog;
	enum log_level level;
	int colour; /* -1: not decided yet */
	log_sink_fn sink;
	void *sink_data;
} logger = {
	.prog = NULL,
	.level = LOG_WARN,
	.colour = -1,
};

static const char *const level_names[] = {
	[LOG_SILENT] = "",   [LOG_ERROR] = "error", [LOG_WARN] = "warning",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static const char *const level_colours[] = {
	[LOG_SILENT] = "",	   [LOG_ERROR] = "\x1b[1;31m", [LOG_WARN] = "\x1b[1;33m",
	[LOG_INFO] = "\x1b[1;34m", [LOG_DEBUG] = "\x1b[90m",
};

void log_init(const char *prog, enum log_level level) {
	logger.prog = prog;
	logger.level = level;
	const char *no_colour = getenv("NO_COLOR");
	logger.colour = isatty(STDERR_FILENO) && (no_colour == NULL || no_colour[0] == '\0');
}

void log_set_level(enum log_level level) {
	logger.level = level;
}

enum log_level log_get_level(void) {
	return logger.level;
}

void log_set_sink(log_sink_fn fn, void *data) {
	logger.sink = fn;
	logger.sink_data = data;
}

static void emit(enum log_level level, const char *name, const char *colour, const char *fmt,
		 va_list args) ATTRIB_PRINTF(4, 0);

void log_vprintf(enum log_level level, const char *fmt, va_list args) {
	if (level > logger.level || level <= LOG_SILENT) {
		return;
	}
	emit(level, level_names[level], level_colours[level], fmt, args);
}

void log_notice(const char *fmt, ...) {
	if (logger.level < LOG_WARN) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	emit(LOG_INFO, "notice", "\x1b[1;32m", fmt, args);
	va_end(args);
}

static void emit(enum log_level level, const char *name, const char *colour, const char *fmt,
		 va_list args) {
	char *msg = NULL;
	if (vasprintf(&msg, fmt, args) < 0) {
		return;
	}
	if (logger.sink != NULL) {
		logger.sink(level, msg, logger.sink_data);
		free(msg);
		return;
	}
	if (logger.colour < 0) {
		logger.colour = 0;
	}
	const char *prog = logger.prog != NULL ? logger.prog : "ctid";
	/* The line is made in memory and written at once: one write(2), not
	 * one per byte to an unbuffered stderr, and never interleaved with
	 * another process's lines. */
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	if (f == NULL) {
		free(msg);
		return;
	}
	if (logger.colour) {
		fprintf(f, "%s: %s%s\x1b[0m: ", prog, colour, name);
	} else {
		fprintf(f, "%s: %s: ", prog, name);
	}
	/* Messages quote callers' names and files' lines: one line each, and
	 * nothing in them may drive the terminal or forge another line. */
	utf8_write_safe(f, msg, false);
	fputc('\n', f);
	if (fclose(f) == 0) {
		fwrite(line, 1, len, stderr);
	}
	free(line);
	free(msg);
}

void log_printf(enum log_level level, const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	log_vprintf(level, fmt, args);
	va_end(args);
}
