#ifndef CTID_TAP_H
#define CTID_TAP_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __GNUC__
#define TAP_PRINTF(start, end) __attribute__((format(printf, start, end)))
#else
#define TAP_PRINTF(start, end)
#endif

/*
 * A small TAP producer. Each check prints "ok N - name" or "not ok N - name"
 * with a diagnostic naming the file and line; tap_done() prints the plan and
 * returns the exit status for main().
 */
bool tap_ok(bool pass, const char *file, int line, const char *fmt, ...) TAP_PRINTF(4, 5);
bool tap_is_int(int64_t got, int64_t want, const char *file, int line, const char *fmt, ...)
	TAP_PRINTF(5, 6);
bool tap_is_str(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
	TAP_PRINTF(5, 6);
void tap_diag(const char *fmt, ...) TAP_PRINTF(1, 2);
int tap_done(void);

#define ok(cond, ...)	       tap_ok((cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) tap_is_int((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

#endif
