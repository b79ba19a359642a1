/*
 * CSV reading: a tokenizer for RFC 4180 (lenient where Excel and Outlook
 * are: a quote inside an unquoted cell is a character), then the header is
 * mapped to what each column means (csv_map.c) and every row becomes a record.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "csv_map.h"
#include "utf8.h"

#define MAX_CELLS 4096
#define MAX_ROW	  (32 * 1024 * 1024) /* bytes of one row */

struct row {
	char *buf; /* cells, each NUL-terminated */
	size_t len, cap;
	size_t *offs;
	size_t n, cap_offs;
	int line;
	bool truncated;
};

struct reader {
	const char *p, *end;
	int line;
	char delim;
};

static bool put(struct row *r, char c) {
	if (r->len + 2 > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		char *p = realloc(r->buf, cap);
		if (p == NULL) {
			return false;
		}
		r->buf = p;
		r->cap = cap;
	}
	r->buf[r->len++] = c;
	return true;
}

static bool end_cell(struct row *r) {
	if (!put(r, '\0')) {
		return false;
	}
	if (r->n == r->cap_offs) {
		size_t cap = r->cap_offs ? r->cap_offs * 2 : 64;
		size_t *p = realloc(r->offs, cap * sizeof(*p));
		if (p == NULL) {
			return false;
		}
		r->offs = p;
		r->cap_offs = cap;
	}
	r->n++;
	return true;
}

/*
 * Reads one row. Returns 1, 0 at the end of the input, -EILSEQ for a
 * quoted cell still open at the end (*open_line says where it began), -ENOMEM.
 */
static int read_row(struct reader *rd, struct row *r, int *open_line) {
	r->len = 0;
	r->n = 0;
	r->truncated = false;
	if (rd->p >= rd->end) {
		return 0;
	}
	r->line = rd->line;
	size_t start = 0;
	bool quoted = false, was_quoted = false;
	bool blanks = true; /* the cell so far is only blanks */
	size_t cell_len = 0;
	while (rd->p < rd->end) {
		char c = *rd->p++;
		if (quoted) {
			if (c == '"') {
				if (rd->p < rd->end && *rd->p == '"') {
					rd->p++;
				} else {
					quoted = false;
					continue;
				}
			} else if (c == '\r' || c == '\n') {
				if (c == '\r' && rd->p < rd->end && *rd->p == '\n') {
					rd->p++;
				}
				rd->line++;
				c = '\n';
			}
		} else if (c == rd->delim || c == '\r' || c == '\n') {
			if (r->n == MAX_CELLS) {
				r->truncated = true;
				r->len = start;
			} else {
				if (!end_cell(r)) {
					return -ENOMEM;
				}
				r->offs[r->n - 1] = start;
			}
			start = r->len;
			cell_len = 0;
			was_quoted = false;
			blanks = true;
			if (c != rd->delim) {
				if (c == '\r' && rd->p < rd->end && *rd->p == '\n') {
					rd->p++;
				}
				rd->line++;
				return 1;
			}
			continue;
		} else if (c == '"' && !was_quoted) {
			/* a cell that begins with a quote (after blanks) is quoted */
			if (blanks) {
				r->len = start;
				cell_len = 0;
				quoted = was_quoted = true;
				*open_line = rd->line;
				continue;
			}
		}
		if (cell_len >= RECORD_MAX_TEXT || r->len >= MAX_ROW) {
			r->truncated = true;
			continue;
		}
		if (!put(r, c)) {
			return -ENOMEM;
		}
		cell_len++;
		blanks = blanks && (c == ' ' || c == '\t');
	}
	if (quoted) {
		return -EILSEQ;
	}
	if (r->n < MAX_CELLS) {
		if (!end_cell(r)) {
			return -ENOMEM;
		}
		r->offs[r->n - 1] = start;
	}
	rd->line++;
	return 1;
}

/* A cell's text. The apostrophe csv_write_cell() puts before a formula (or
 * before an apostrophe) is taken off; any other is the text's own. */
static const char *cell(const struct row *r, size_t i) {
	const char *c = i < r->n ? r->buf + r->offs[i] : "";
	if (c[0] == '\'' && (c[1] == '\'' || csv_cell_is_formula(c + 1))) {
		c++;
	}
	return c;
}

static bool row_empty(const struct row *r) {
	for (size_t i = 0; i < r->n; i++) {
		const char *c = cell(r, i);
		if (c[strspn(c, " \t")] != '\0') {
			return false;
		}
	}
	return true;
}

/* The delimiter: Excel's "sep=;" line, else the commonest of , ; tab outside quotes. */
static char detect_delimiter(struct reader *rd) {
	const char *p = rd->p;
	if (rd->end - p >= 5 && strncasecmp(p, "sep=", 4) == 0 &&
	    (rd->end - p == 5 || p[5] == '\r' || p[5] == '\n')) {
		char d = p[4];
		p += 5;
		p += p < rd->end && *p == '\r' ? 1 : 0;
		p += p < rd->end && *p == '\n' ? 1 : 0;
		rd->p = p;
		rd->line++;
		return d;
	}
	size_t commas = 0, semis = 0, tabs = 0;
	bool quoted = false;
	for (; p < rd->end; p++) {
		if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted && (*p == '\n' || *p == '\r')) {
			break;
		} else if (!quoted) {
			commas += *p == ',';
			semis += *p == ';';
			tabs += *p == '\t';
		}
	}
	if (semis > commas && semis >= tabs) {
		return ';';
	}
	if (tabs > commas && tabs > semis) {
		return '\t';
	}
	return ',';
}

static int fail(struct record_error *err, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct record_error *err, int line, const char *fmt, ...) {
	if (err != NULL) {
		err->line = line;
		va_list args;
		va_start(args, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, args);
		va_end(args);
	}
	return -EBADMSG;
}

static int parse(struct reader *rd, record_fn fn, void *userdata, struct record_error *err) {
	struct row row = {0};
	struct csv_map map = {0};
	struct record_builder b;
	record_builder_init(&b);
	int ret;
	int open_line = 0;
	bool have_header = false, unterminated = false;
	const char **cells = malloc(MAX_CELLS * sizeof(*cells));
	if (cells == NULL) {
		record_builder_finish(&b);
		return -ENOMEM;
	}
	for (;;) {
		ret = read_row(rd, &row, &open_line);
		unterminated = ret == -EILSEQ;
		if (ret <= 0) {
			break;
		}
		if (row_empty(&row)) {
			continue;
		}
		for (size_t i = 0; i < row.n; i++) {
			cells[i] = cell(&row, i);
		}
		if (!have_header) {
			ret = csv_map_init(&map, cells, row.n);
			if (ret < 0) {
				break;
			}
			if (!csv_map_usable(&map)) {
				ret = fail(err, row.line,
					   "the header names no name, phone, e-mail or company column "
					   "(a header such as name,phone,email is needed)");
				break;
			}
			have_header = true;
			continue;
		}
		record_builder_reset(&b, row.line);
		csv_map_row(&map, cells, row.n, &b);
		if (row.truncated) {
			ret = fail(err, row.line,
				   "a cell longer than %d bytes, or a row longer than %d, or more "
				   "than %d cells: more than ctid reads",
				   RECORD_MAX_TEXT, MAX_ROW, MAX_CELLS);
			break;
		}
		if (b.failed) {
			ret = -ENOMEM;
			break;
		}
		if (b.refused_line > 0) {
			ret = fail(err, b.refused_line, "%s", b.refused);
			break;
		}
		struct contact_record rec;
		record_builder_get(&b, &rec);
		if ((ret = fn(&rec, userdata)) != 0) {
			break;
		}
	}
	if (unterminated) {
		ret = fail(err, open_line, "quoted cell never ends (a \" missing?)");
	} else if (ret == 0 && !have_header) {
		ret = fail(err, rd->line > 1 ? rd->line - 1 : 1, "no header line");
	}
	csv_map_finish(&map);
	record_builder_finish(&b);
	free(cells);
	free(row.buf);
	free(row.offs);
	return ret;
}

int csv_parse(const char *data, size_t len, record_fn fn, void *userdata, struct record_error *err) {
	size_t ulen;
	char *text = record_from_utf16(data, len, &ulen);
	if (text == NULL) {
		if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
			data += 3;
			len -= 3;
		}
		text = record_to_utf8(data, len, &ulen);
		if (text == NULL) {
			return -ENOMEM;
		}
	}
	struct reader rd = {.p = text, .end = text + ulen, .line = 1};
	rd.delim = detect_delimiter(&rd);
	int ret = parse(&rd, fn, userdata, err);
	free(text);
	return ret;
}
