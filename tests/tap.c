#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int tap_count;
static int tap_failed;

static bool report(bool pass, const char *file, int line, const char *fmt, va_list args)
	TAP_PRINTF(4, 0);

static void print_description(const char *fmt, va_list args) TAP_PRINTF(1, 0);

/* A description on one line, its '#' not read as a directive (# SKIP). */
static void print_description(const char *fmt, va_list args) {
	char *text = NULL;
	va_list again;
	va_copy(again, args);
	int n = vasprintf(&text, fmt, again);
	va_end(again);
	if (n < 0) {
		vprintf(fmt, args);
		return;
	}
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r') {
			putchar(' ');
		} else {
			if (*p == '#' || *p == '\\') {
				putchar('\\');
			}
			putchar(*p);
		}
	}
	free(text);
}

static bool report(bool pass, const char *file, int line, const char *fmt, va_list args) {
	tap_count++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
	print_description(fmt, args);
	putchar('\n');
	if (!pass) {
		tap_failed++;
		printf("#   Failed at %s line %d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

bool tap_ok(bool pass, const char *file, int line, const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	report(pass, file, line, fmt, args);
	va_end(args);
	return pass;
}

bool tap_is_int(int64_t got, int64_t want, const char *file, int line, const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	bool pass = report(got == want, file, line, fmt, args);
	va_end(args);
	if (!pass) {
		printf("#          got: %" PRId64 "\n#     expected: %" PRId64 "\n", got, want);
	}
	return pass;
}

bool tap_is_str(const char *got, const char *want, const char *file, int line, const char *fmt, ...) {
	bool pass;
	if (got == NULL || want == NULL) {
		pass = got == want;
	} else {
		pass = strcmp(got, want) == 0;
	}
	va_list args;
	va_start(args, fmt);
	report(pass, file, line, fmt, args);
	va_end(args);
	if (!pass) {
		printf("#          got: %s%s%s\n", got ? "'" : "", got ? got : "NULL",
		       got ? "'" : "");
		printf("#     expected: %s%s%s\n", want ? "'" : "", want ? want : "NULL",
		       want ? "'" : "");
	}
	return pass;
}

void tap_diag(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	printf("# ");
	vprintf(fmt, args);
	putchar('\n');
	va_end(args);
}

int tap_done(void) {
	printf("1..%d\n", tap_count);
	if (tap_failed > 0) {
		printf("# %d of %d checks failed\n", tap_failed, tap_count);
	}
	return tap_failed > 0 || tap_count == 0 ? 1 : 0;
}
