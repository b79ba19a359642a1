#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "output.h"
#include "phone.h"

void table_init(struct table *t, int cols, const char *const headers[]) {
	memset(t, 0, sizeof(*t));
	t->cols = cols > TABLE_MAX_COLS ? TABLE_MAX_COLS : cols;
	for (int i = 0; i < t->cols; i++) {
		t->headers[i] = headers[i];
	}
}

int table_add(struct table *t, const char *const cells[]) {
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * (size_t)t->cols * sizeof(*c));
		if (c == NULL) {
			return -1;
		}
		t->cells = c;
		t->cap = cap;
	}
	for (int i = 0; i < t->cols; i++) {
		t->cells[t->rows * (size_t)t->cols + (size_t)i] =
			strdup(cells[i] != NULL ? cells[i] : "");
	}
	t->rows++;
	return 0;
}

size_t output_width(const char *s) {
	size_t w = 0;
	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80) {
			w++;
		}
	}
	return w;
}

static void pad(FILE *f, size_t n) {
	while (n-- > 0) {
		fputc(' ', f);
	}
}

void table_print(const struct table *t, FILE *f) {
	size_t width[TABLE_MAX_COLS] = {0};
	for (int c = 0; c < t->cols; c++) {
		width[c] = output_width(t->headers[c]);
		for (size_t r = 0; r < t->rows; r++) {
			const char *cell = t->cells[r * (size_t)t->cols + (size_t)c];
			size_t w = cell != NULL ? output_width(cell) : 0;
			if (w > width[c]) {
				width[c] = w;
			}
		}
	}
	fputs(output_bold(f), f);
	for (int c = 0; c < t->cols; c++) {
		fputs(t->headers[c], f);
		if (c + 1 < t->cols) {
			pad(f, width[c] - output_width(t->headers[c]) + 2);
		}
	}
	fprintf(f, "%s\n", output_reset(f));
	for (size_t r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->cols; c++) {
			const char *cell = t->cells[r * (size_t)t->cols + (size_t)c];
			cell = cell != NULL ? cell : "";
			fputs(cell, f);
			if (c + 1 < t->cols) {
				pad(f, width[c] - output_width(cell) + 2);
			}
		}
		fputc('\n', f);
	}
}

void table_finish(struct table *t) {
	for (size_t i = 0; i < t->rows * (size_t)t->cols; i++) {
		free(t->cells[i]);
	}
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

bool output_colour(FILE *f) {
	const char *no = getenv("NO_COLOR");
	int fd = fileno(f);
	if (fd < 0) {
		/* stdout or stderr behind the terminal's guard */
		fd = f == stdout ? STDOUT_FILENO : f == stderr ? STDERR_FILENO : -1;
	}
	return fd >= 0 && isatty(fd) && (no == NULL || no[0] == '\0');
}

const char *output_bold(FILE *f) {
	return output_colour(f) ? "\x1b[1m" : "";
}

const char *output_dim(FILE *f) {
	return output_colour(f) ? "\x1b[2m" : "";
}

const char *output_red(FILE *f) {
	return output_colour(f) ? "\x1b[31m" : "";
}

const char *output_reset(FILE *f) {
	return output_colour(f) ? "\x1b[0m" : "";
}

void output_time(int64_t t, char *buf, size_t size) {
	if (t == 0) {
		buf[0] = '\0';
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

void output_iso_time(int64_t t, char *buf, size_t size) {
	if (t == 0 || size < 26) {
		buf[0] = '\0';
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm);
	/* +0100 -> +01:00, as ISO 8601 extended format wants */
	size_t len = strlen(buf);
	if (len >= 5 && len + 2 <= size) {
		memmove(buf + len - 1, buf + len - 2, 3);
		buf[len - 2] = ':';
	}
}

long output_days_between(int64_t t, int64_t now) {
	time_t tt = (time_t)t, tn = (time_t)now;
	struct tm a, b;
	localtime_r(&tt, &a);
	localtime_r(&tn, &b);
	/* noon to noon, so a day of 23 or 25 hours still counts as one */
	a.tm_hour = b.tm_hour = 12;
	a.tm_min = b.tm_min = a.tm_sec = b.tm_sec = 0;
	a.tm_isdst = b.tm_isdst = -1;
	double diff = difftime(mktime(&b), mktime(&a)) / 86400.0;
	return (long)(diff < 0 ? diff - 0.5 : diff + 0.5);
}

void output_age(int64_t t, int64_t now, char *buf, size_t size) {
	long days = output_days_between(t, now);
	if (days <= 0) {
		snprintf(buf, size, "today");
	} else if (days < 14) {
		snprintf(buf, size, "%ld day%s", days, days == 1 ? "" : "s");
	} else if (days < 61) {
		snprintf(buf, size, "%ld weeks", days / 7);
	} else if (days < 730) {
		snprintf(buf, size, "%ld months", days / 30);
	} else {
		snprintf(buf, size, "%ld years", days / 365);
	}
}

void output_relative(int64_t t, int64_t now, char *buf, size_t size) {
	time_t tt = (time_t)t, tn = (time_t)now;
	struct tm a, b;
	localtime_r(&tt, &a);
	localtime_r(&tn, &b);
	char hm[8];
	strftime(hm, sizeof(hm), "%H:%M", &a);
	long days = output_days_between(t, now);
	if (days == 0) {
		snprintf(buf, size, "today %s", hm);
	} else if (days == 1) {
		snprintf(buf, size, "yesterday %s", hm);
	} else if (days > 1 && days < 7) {
		snprintf(buf, size, "%ld days ago", days);
	} else if (a.tm_year == b.tm_year) {
		strftime(buf, size, "%d %b", &a);
	} else {
		strftime(buf, size, "%d %b %Y", &a);
	}
}

void output_number(const char *e164, const char *raw, const char *region, char *buf, size_t size) {
	if (e164 != NULL && e164[0] != '\0') {
		phone_format(e164, region, buf, size);
	} else {
		snprintf(buf, size, "%s", raw != NULL ? raw : "");
	}
}

struct phones_text {
	const char *region;
	char *buf;
	size_t size, len;
	bool all, labels;
};

static int phone_text(const struct db_phone *p, void *data) {
	struct phones_text *pt = data;
	char number[64];
	output_number(p->e164, p->raw, pt->region, number, sizeof(number));
	bool label = pt->labels && p->label != NULL && strcmp(p->label, "phone") != 0;
	int n = snprintf(pt->buf + pt->len, pt->size - pt->len, "%s%s%s%s%s", pt->len ? ", " : "",
			 number, label ? " (" : "", label ? p->label : "", label ? ")" : "");
	pt->len = n < 0 || (size_t)n >= pt->size - pt->len ? pt->size - 1 : pt->len + (size_t)n;
	return pt->all ? 0 : 1;
}

void output_phones(struct db *db, int64_t contact, const char *region, bool all, char *buf,
		   size_t size) {
	struct phones_text pt = {.region = region, .buf = buf, .size = size, .all = all, .labels = all};
	buf[0] = '\0';
	db_phone_foreach(db, contact, phone_text, &pt);
}

bool output_dial_digits(const char *number, char out[OUTPUT_DIAL_MAX]) {
	size_t n = 0;
	for (const char *p = number; *p != '\0'; p++) {
		if ((*p >= '0' && *p <= '9') || *p == '+' || *p == '*' || *p == '#') {
			if (n + 1 >= OUTPUT_DIAL_MAX) {
				return false;
			}
			out[n++] = *p;
		} else if (strchr(" .-()/", *p) == NULL) {
			return false;
		}
	}
	out[n] = '\0';
	return n > 0;
}
