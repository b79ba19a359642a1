#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"

int linebuf_init(struct linebuf *lb, size_t max) {
	*lb = (struct linebuf){.max = max};
	lb->buf = malloc(max > 0 ? max : 1);
	return lb->buf != NULL ? 0 : -ENOMEM;
}

void linebuf_finish(struct linebuf *lb) {
	free(lb->buf);
	*lb = (struct linebuf){0};
}

void linebuf_reset(struct linebuf *lb) {
	lb->len = 0;
	lb->skipping = false;
}

size_t linebuf_feed(struct linebuf *lb, const char *p, size_t len, linebuf_fn fn, void *data) {
	size_t overlong = 0;
	while (len > 0) {
		const char *nl = memchr(p, '\n', len);
		size_t chunk = nl != NULL ? (size_t)(nl - p) : len;
		if (!lb->skipping) {
			if (chunk > lb->max - lb->len) {
				overlong++;
				lb->skipping = true;
				lb->len = 0;
			} else {
				memcpy(lb->buf + lb->len, p, chunk);
				lb->len += chunk;
			}
		}
		if (nl == NULL) {
			return overlong;
		}
		if (!lb->skipping) {
			fn(lb->buf, lb->len, data);
		}
		linebuf_reset(lb);
		p = nl + 1;
		len -= chunk + 1;
	}
	return overlong;
}
