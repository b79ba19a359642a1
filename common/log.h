#ifndef CTID_LOG_H
#define CTID_LOG_H

#include <stdarg.h>

#ifdef __GNUC__
#define ATTRIB_PRINTF(start, end) __attribute__((format(printf, start, end)))
#else
#define ATTRIB_PRINTF(start, end)
#endif

enum log_level {
	LOG_SILENT = 0,
	LOG_ERROR = 1,
	LOG_WARN = 2,
	LOG_INFO = 3,
	LOG_DEBUG = 4,
};

/*
 * A sink receives every message at or below the current level, already
 * formatted, without a trailing newline. Tests install one to read warnings.
 */
typedef void (*log_sink_fn)(enum log_level level, const char *msg, void *data);

/* Sets the program name shown before each message and the level; colour is
 * used only when stderr is a terminal and NO_COLOR is unset. */
void log_init(const char *prog, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Replaces stderr output with fn; NULL restores stderr. */
void log_set_sink(log_sink_fn fn, void *data);

void log_printf(enum log_level level, const char *fmt, ...) ATTRIB_PRINTF(2, 3);
void log_vprintf(enum log_level level, const char *fmt, va_list args) ATTRIB_PRINTF(2, 0);

/* What a person starting ctid by hand wants to see even without -v (where
 * the web page is served): shown at the default level, labelled "notice".
 * A sink gets it as LOG_INFO. */
void log_notice(const char *fmt, ...) ATTRIB_PRINTF(1, 2);

#define log_error(...) log_printf(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_printf(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

#endif
