/* Helpers the CRM commands share: parsing arguments, numbers for reading. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "ctl.h"
#include "json.h"
#include "output.h"
#include "phone.h"

bool ctl_parse_int(const char *s, long min, long max, long *out) {
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		return false;
	}
	*out = v;
	return true;
}

bool ctl_parse_id(const char *s, int64_t *out) {
	const char *p = s[0] == '#' ? s + 1 : s;
	if (*p < '0' || *p > '9') {
		return false;
	}
	char *end;
	errno = 0;
	long long v = strtoll(p, &end, 10);
	if (*end != '\0' || errno != 0 || v <= 0) {
		return false;
	}
	*out = v;
	return true;
}

bool ctl_parse_date(const char *s, int *y, int *m, int *d) {
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	char tail;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail) != 3) {
		return false;
	}
	bool leap = civil_leap(*y);
	return *y >= 1000 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= mdays[*m - 1] &&
	       (*m != 2 || *d != 29 || leap);
}

bool ctl_parse_until(const char *s, int64_t *out) {
	int64_t start;
	if (!ctl_parse_since(s, &start)) {
		return false;
	}
	/* the next local midnight, whatever the length of that day */
	time_t t = (time_t)start;
	struct tm tm;
	localtime_r(&t, &tm);
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	*out = (int64_t)mktime(&tm);
	return true;
}

void ctl_join_words(int argc, char *argv[], int from, char *buf, size_t size) {
	size_t o = 0;
	buf[0] = '\0';
	for (int i = from; i < argc && o + 1 < size; i++) {
		int n = snprintf(buf + o, size - o, "%s%s", i > from ? " " : "", argv[i]);
		o = n < 0 || (size_t)n >= size - o ? size - 1 : o + (size_t)n;
	}
}

struct phones_text {
	const struct ctl *ctl;
	char *buf;
	size_t size, len;
	bool all, labels;
};

static int phone_text(const struct db_phone *p, void *data) {
	struct phones_text *pt = data;
	char number[64];
	output_number(p->e164, p->raw, pt->ctl->region, number, sizeof(number));
	bool label = pt->labels && p->label != NULL && strcmp(p->label, "phone") != 0;
	int n = snprintf(pt->buf + pt->len, pt->size - pt->len, "%s%s%s%s%s", pt->len ? ", " : "",
			 number, label ? " (" : "", label ? p->label : "", label ? ")" : "");
	pt->len = n < 0 || (size_t)n >= pt->size - pt->len ? pt->size - 1 : pt->len + (size_t)n;
	return pt->all ? 0 : 1;
}

void ctl_phones_text(struct ctl *ctl, int64_t contact, bool all, char *buf, size_t size) {
	struct phones_text pt = {.ctl = ctl, .buf = buf, .size = size, .all = all, .labels = all};
	buf[0] = '\0';
	db_phone_foreach(ctl->db, contact, phone_text, &pt);
}

static int phone_json(const struct db_phone *p, void *data) {
	void **args = data;
	const struct ctl *ctl = args[0];
	struct json_writer *w = args[1];
	char formatted[64];
	output_number(p->e164, p->raw, ctl->region, formatted, sizeof(formatted));
	json_object_begin(w);
	json_key(w, "label");
	json_string(w, p->label);
	json_key(w, "number");
	json_string(w, p->raw);
	json_key(w, "e164");
	json_string(w, p->e164);
	json_key(w, "formatted");
	json_string(w, formatted);
	json_object_end(w);
	return 0;
}

void ctl_phones_json(struct ctl *ctl, struct json_writer *w, int64_t contact) {
	void *args[] = {ctl, w};
	json_array_begin(w);
	db_phone_foreach(ctl->db, contact, phone_json, args);
	json_array_end(w);
}

void ctl_contact_json(struct json_writer *w, int64_t id, const char *name) {
	if (id <= 0) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_key(w, "id");
	json_int(w, id);
	json_key(w, "name");
	json_string(w, name);
	json_object_end(w);
}

bool ctl_help_asked(int argc, char *argv[]) {
	return argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
}
