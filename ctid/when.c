/* Dates as people and scripts write them (see when.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "when.h"

bool when_parse_date(const char *s, int *y, int *m, int *d) {
	char tail;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail) != 3) {
		return false;
	}
	return *y >= 1000 && civil_date_valid(*y, *m, *d);
}

/* Parses DATE into the Unix time of that local midnight; false if bad. */
bool when_parse_since(const char *s, int64_t *out) {
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	size_t len = strlen(s);
	long days;
	int y, m, d;
	if (strcmp(s, "today") == 0) {
		days = 0;
	} else if (strcmp(s, "yesterday") == 0) {
		days = 1;
	} else if (len >= 2 && len <= 6 && s[len - 1] == 'd' && strspn(s, "0123456789") == len - 1) {
		days = strtol(s, NULL, 10); /* "7d": 7 days ago */
	} else if (when_parse_date(s, &y, &m, &d)) {
		/* (sscanf("%dd") would read "2026-03-02" as 2026 days ago) */
		tm.tm_year = y - 1900;
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
		days = 0;
	} else {
		return false;
	}
	tm.tm_mday -= (int)days;
	*out = (int64_t)mktime(&tm);
	/* the log's times are Unix times, where 0 is "none": a day before
	 * 1970 read as "no start" (or, as an end, "no end") */
	return *out > 0;
}

bool when_parse_until(const char *s, int64_t *out) {
	int64_t start;
	if (!when_parse_since(s, &start)) {
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

/* Whether s has digits where pattern has 'd' and the same byte elsewhere. */
static bool shaped(const char *s, const char *pattern) {
	for (; *pattern != '\0'; s++, pattern++) {
		if (*pattern == 'd' ? (*s < '0' || *s > '9') : *s != *pattern) {
			return false;
		}
	}
	return *s == '\0';
}

/* Accepts YYYY-MM-DD, MM-DD or --MM-DD; writes the stored form. */
bool when_parse_birthday(const char *in, char out[16]) {
	int y, m, d;
	char tail;
	if (in[0] == '\0') {
		out[0] = '\0';
		return true;
	}
	if (shaped(in, "dddd-dd-dd") && sscanf(in, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3) {
		if (y < 1000 || !civil_date_valid(y, m, d)) {
			return false;
		}
		memcpy(out, in, 11); /* already YYYY-MM-DD, as checked */
		return true;
	}
	const char *p = strncmp(in, "--", 2) == 0 ? in + 2 : in;
	if (shaped(p, "dd-dd") && sscanf(p, "%2d-%2d%c", &m, &d, &tail) == 2 &&
	    civil_month_day_valid(m, d)) {
		memcpy(out, "--", 2);
		memcpy(out + 2, p, 6); /* MM-DD and the NUL */
		return true;
	}
	return false;
}

/* MM-DD (or --MM-DD, as birthdays are stored) for every year, or YYYY-MM-DD. */
bool when_parse_reminder(const char *s, int *y, int *m, int *d, bool *yearly) {
	const char *p = strncmp(s, "--", 2) == 0 ? s + 2 : s;
	char tail;
	if (strlen(p) == 5 && sscanf(p, "%2d-%2d%c", m, d, &tail) == 2) {
		*y = 0;
		*yearly = true;
		/* 2000 is a leap year: 02-29 is a date that comes back */
		int year;
		char buf[16];
		snprintf(buf, sizeof(buf), "2000-%02d-%02d", *m, *d);
		return when_parse_date(buf, &year, m, d);
	}
	return when_parse_date(s, y, m, d);
}
