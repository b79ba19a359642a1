#ifndef CTID_FUZZ_LINES_H
#define CTID_FUZZ_LINES_H

/* The input cut into lines at LF or CR, as NCID's server reads a client's
 * (ctid/ncid/server.c), each handed to check without its line end. */

#include <stddef.h>
#include <stdint.h>

static inline void fuzz_lines(const uint8_t *data, size_t size,
			      void (*check)(const char *s, size_t len)) {
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n' || data[i] == '\r') {
			check((const char *)data + start, i - start);
			start = i + 1;
		}
	}
}

#endif
