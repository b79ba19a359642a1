#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

/* Returns the length of the UTF-8 sequence at s, or 0 if it is malformed. */
static size_t sequence_length(const unsigned char *s, size_t len) {
	unsigned char c = s[0];
	if (c < 0x80) {
		return 1;
	}
	size_t n;
	uint32_t min;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n > len) {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return n;
}

size_t utf8_char_len(const char *s, size_t len) {
	if (len == 0) {
		return 0;
	}
	return sequence_length((const unsigned char *)s, len);
}

bool utf8_valid(const char *s, size_t len) {
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		size_t n = sequence_length(p + i, len - i);
		if (n == 0) {
			return false;
		}
		i += n;
	}
	return true;
}

size_t utf8_prefix(const char *s, size_t len, size_t max) {
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		size_t n = sequence_length(p + i, len - i);
		if (n == 0) {
			n = 1;
		}
		if (i + n > max) {
			break;
		}
		i += n;
	}
	return i;
}

static bool is_blank(uint32_t cp) {
	return cp == ' ' || cp == '\t' || cp == 0xa0;
}

static bool is_control(uint32_t cp) {
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

bool utf8_is_bidi_control(uint32_t cp) {
	/* LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI */
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

bool utf8_is_unsafe(uint32_t cp) {
	return is_control(cp) || utf8_is_bidi_control(cp);
}

static size_t encode(uint32_t cp, char buf[4]) {
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | (cp >> 18));
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static uint32_t decode(const unsigned char *s, size_t n) {
	if (n == 1) {
		return s[0];
	}
	uint32_t cp = s[0] & (0xff >> (n + 1));
	for (size_t i = 1; i < n; i++) {
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	return cp;
}

size_t utf8_sanitize(const char *in, size_t len, char *out, size_t outsz) {
	if (outsz == 0) {
		return 0;
	}
	const unsigned char *p = (const unsigned char *)in;
	bool latin1 = !utf8_valid(in, len);
	size_t o = 0;
	bool pending_space = false;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = 1;
		if (latin1) {
			cp = p[i];
		} else {
			n = sequence_length(p + i, len - i);
			cp = decode(p + i, n);
		}
		i += n;
		if (is_blank(cp)) {
			pending_space = o > 0;
			continue;
		}
		if (is_control(cp) || utf8_is_bidi_control(cp)) {
			continue;
		}
		char buf[4];
		size_t m = encode(cp, buf);
		size_t need = m + (pending_space ? 1 : 0);
		if (o + need > outsz - 1) {
			break;
		}
		if (pending_space) {
			out[o++] = ' ';
			pending_space = false;
		}
		memcpy(out + o, buf, m);
		o += m;
	}
	out[o] = '\0';
	return o;
}

static const char replacement[] = "\xef\xbf\xbd";

static const char *safe_line(uint32_t cp, char buf[8]) {
	(void)buf;
	return cp != '\t' && utf8_is_unsafe(cp) ? replacement : NULL;
}

static const char *safe_lines(uint32_t cp, char buf[8]) {
	return cp == '\n' ? NULL : safe_line(cp, buf);
}

size_t utf8_decode(const char *s, size_t len, uint32_t *cp) {
	size_t n = len > 0 ? sequence_length((const unsigned char *)s, len) : 0;
	*cp = n > 0 ? decode((const unsigned char *)s, n) : 0xfffd;
	return n;
}

void utf8_write_escaped(FILE *f, const char *s, utf8_escape_fn escape, const char *invalid) {
	size_t len = strlen(s);
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			fputs(invalid, f);
			i++;
			continue;
		}
		char buf[8];
		const char *rep = escape(cp, buf);
		if (rep != NULL) {
			fputs(rep, f);
		} else {
			fwrite(s + i, 1, n, f);
		}
		i += n;
	}
}

void utf8_write_safe(FILE *f, const char *s, bool lines) {
	utf8_write_escaped(f, s, lines ? safe_lines : safe_line, replacement);
}

int utf8_check_text(const char *s, size_t max, bool lines) {
	if (s == NULL) {
		return 0;
	}
	size_t len = strlen(s);
	if (len > max) {
		return -EMSGSIZE;
	}
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			return -EILSEQ;
		}
		bool allowed = lines && (cp == '\t' || cp == '\n' || cp == '\r');
		if (cp < 0x20 ? !allowed : cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			return -EILSEQ;
		}
		i += n;
	}
	return 0;
}
