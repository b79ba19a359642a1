#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "civil.h"
#include "json.h"
#include "log.h"
#include "stages.h"
#include "tap.h"
#include "utf8.h"

static void test_utf8(void) {
	char out[64];
	ok(utf8_valid("Pozdniakov", 10), "ASCII is valid UTF-8");
	ok(utf8_valid("\xd0\x9f\xd0\xb5", 4), "Cyrillic is valid UTF-8");
	ok(!utf8_valid("\xc0\xaf", 2), "overlong encoding is rejected");
	ok(!utf8_valid("\xed\xa0\x80", 3), "UTF-16 surrogate is rejected");
	ok(!utf8_valid("\xe9", 1), "lone Latin-1 byte is not UTF-8");

	utf8_sanitize("Jos\xe9 M\xfcller", 12, out, sizeof(out));
	is_str(out, "Jos\xc3\xa9 M\xc3\xbcller", "Latin-1 name becomes UTF-8");

	utf8_sanitize("\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80", 8, out, sizeof(out));
	is_str(out, "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80", "UTF-8 name is kept");

	utf8_sanitize("  SEAL BEACH   CA \r", 19, out, sizeof(out));
	is_str(out, "SEAL BEACH CA", "blanks are trimmed and collapsed, CR dropped");

	utf8_sanitize("A\x10"
		      "B\x00"
		      "C",
		      5, out, sizeof(out));
	is_str(out, "ABC", "DLE and NUL are dropped");

	char small[6];
	utf8_sanitize("\xd0\x9f\xd0\xb5\xd1\x82", 6, small, sizeof(small));
	is_str(small, "\xd0\x9f\xd0\xb5", "truncation keeps whole characters");

	is_int((long)utf8_prefix("ab\xd0\x9f", 4, 3), 2, "prefix stops before a split character");
}

static char *json_of(void (*fn)(struct json_writer *)) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer w;
	json_init(&w, f);
	fn(&w);
	fclose(f);
	return buf;
}

static void write_sample(struct json_writer *w) {
	json_object_begin(w);
	json_key(w, "number");
	json_string(w, "+441632960961");
	json_key(w, "name");
	json_string(w, NULL);
	json_key(w, "rings");
	json_int(w, 3);
	json_key(w, "tags");
	json_array_begin(w);
	json_string(w, "a\"b\\c\n");
	json_bool(w, true);
	json_array_end(w);
	json_key(w, "bad");
	json_string(w, "x\xffy\x01");
	json_object_end(w);
}

static void test_json(void) {
	char *s = json_of(write_sample);
	is_str(s,
	       "{\"number\":\"+441632960961\",\"name\":null,\"rings\":3,"
	       "\"tags\":[\"a\\\"b\\\\c\\n\",true],\"bad\":\"x\\ufffdy\\u0001\"}",
	       "JSON writer places commas, escapes and replaces invalid UTF-8");
	free(s);
}

static int sink_count, sink_info;
static char sink_last[128];

static void sink(enum log_level level, const char *msg, void *data) {
	(void)data;
	if (level == LOG_WARN) {
		sink_count++;
		snprintf(sink_last, sizeof(sink_last), "%s", msg);
	} else if (level == LOG_INFO) {
		sink_info++;
	}
}

static void test_log(void) {
	log_init("test", LOG_WARN);
	log_set_sink(sink, NULL);
	log_warn("line %d too long", 7);
	log_debug("not shown");
	is_int(sink_count, 1, "warnings reach the sink, debug does not at level warn");
	is_str(sink_last, "line 7 too long", "the sink receives the formatted message");
	log_info("not shown either");
	log_notice("Web page at %s", "http://127.0.0.1:8733/");
	is_int(sink_info, 1, "a notice is shown at level warn (info is not), as info");
	log_set_level(LOG_ERROR);
	log_notice("quiet");
	is_int(sink_info, 1, "not when only errors are shown");
	log_set_sink(NULL, NULL);
}

static void test_civil(void) {
	is_int(civil_days(1970, 1, 1), 0, "1970-01-01 is day 0");
	is_int(civil_days(2026, 12, 6) - civil_days(2026, 11, 27), 9, "days between two dates");
	ok(civil_leap(2024) && !civil_leap(2100) && civil_leap(2000), "leap years");
	ok(civil_month_day_valid(2, 29), "29 February is a day of some year");
	ok(!civil_month_day_valid(2, 30) && !civil_month_day_valid(4, 31) &&
		   !civil_month_day_valid(13, 1) && !civil_month_day_valid(0, 1),
	   "30 February, 31 April, month 13 and month 0 are not");
	ok(civil_date_valid(2024, 2, 29) && !civil_date_valid(2023, 2, 29),
	   "29 February exists in leap years only");
	ok(civil_date_valid(2026, 12, 31) && !civil_date_valid(2026, 12, 32), "31 December");
	int y, m, d;
	civil_today(&y, &m, &d);
	ok(y >= 2024 && civil_date_valid(y, m, d), "today is a date (%04d-%02d-%02d)", y, m, d);
}

/* The file at path as a string (NULL: none); free it. */
static char *slurp(const char *path) {
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return NULL;
	}
	char *s = calloc(1, 4096);
	if (s != NULL) {
		size_t n = fread(s, 1, 4095, f);
		s[n] = '\0';
	}
	fclose(f);
	return s;
}

static bool is_file(const char *path, const char *want) {
	char *got = slurp(path);
	bool same = got != NULL && strcmp(got, want) == 0;
	free(got);
	return same;
}

/* Entries of dir beside "." and ".." */
static int entries(const char *dir) {
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	}
	if (d != NULL) {
		closedir(d);
	}
	return n;
}

static void test_atomic_file(void) {
	char dir[] = "/tmp/ctid-test-atomic-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		ok(false, "a folder for the files: %s", strerror(errno));
		return;
	}
	char path[256], link[256], target[256];
	snprintf(path, sizeof(path), "%s/report.html", dir);
	snprintf(link, sizeof(link), "%s/link.html", dir);
	snprintf(target, sizeof(target), "%s/target.html", dir);

	struct atomic_file af;
	is_int(atomic_file_begin(&af, path), 0, "a new file begins");
	ok(!is_file(path, ""), "nothing at the path until the commit");
	is_int(atomic_file_write(&af, "first\n", 6), 0, "written");
	is_int(atomic_file_commit(&af), 0, "committed");
	struct stat st;
	ok(is_file(path, "first\n") && stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "the file is in place, mode 0600");

	is_int(atomic_file_begin(&af, path), 0, "a second version begins");
	FILE *f = atomic_file_stream(&af);
	ok(f != NULL && fputs("second\n", f) >= 0, "written through a stream");
	ok(is_file(path, "first\n"), "the old file stays while the new one is written");
	atomic_file_abort(&af);
	ok(is_file(path, "first\n") && entries(dir) == 1, "abort: the old file, nothing beside it");

	/* a write that fails (a full disk) in the stream's buffer */
	is_int(atomic_file_begin(&af, path), 0, "a third version begins");
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	ok(full >= 0 && dup2(full, af.fd) == af.fd, "its descriptor now on /dev/full");
	if (full >= 0) {
		close(full);
	}
	f = atomic_file_stream(&af);
	ok(f != NULL && fputs("third\n", f) >= 0, "buffered");
	is_int(atomic_file_commit(&af), -ENOSPC, "the commit says the disk is full");
	ok(is_file(path, "first\n") && entries(dir) == 1,
	   "the old file stays, the temporary is gone");

	/* through a symbolic link: its target is replaced, the link stays */
	FILE *t = fopen(target, "w");
	ok(t != NULL && fputs("old\n", t) >= 0 && fclose(t) == 0, "a target file");
	ok(symlink("target.html", link) == 0, "a link to it");
	is_int(atomic_file_begin(&af, link), 0, "begins through the link");
	is_int(atomic_file_write(&af, "new\n", 4), 0, "written");
	is_int(atomic_file_commit(&af), 0, "committed");
	struct stat lst;
	ok(lstat(link, &lst) == 0 && S_ISLNK(lst.st_mode) && is_file(target, "new\n"),
	   "the link stays a link, its target has the new text");

	is_int(atomic_file_begin(&af, dir), -EISDIR, "a folder is not replaced");
	is_int(atomic_file_begin(&af, "/dev/null"), -EINVAL, "a device is not replaced");
	snprintf(path, sizeof(path), "%s/missing/file", dir);
	is_int(atomic_file_begin(&af, path), -ENOENT, "in a folder that does not exist: ENOENT");
	is_int(entries(dir), 3, "no temporary file left behind");

	unlink(link);
	unlink(target);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	unlink(path);
	rmdir(dir);
}

static long long realtime_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The bench reads "NAME NS" lines (tests/bench/bench_path.py); the marks go
 * to the file CTID_STAGES names, after what it already held. */
static void test_stages(void) {
	char path[] = "/tmp/ctid-test-stages-XXXXXX";
	int fd = mkstemp(path);
	ok(fd >= 0 && write(fd, "read 1\n", 7) == 7 && close(fd) == 0, "a marks file");
	setenv("CTID_STAGES", path, 1);
	long long before = realtime_ns();
	stage_mark(STAGE_MATCHED);
	stage_mark(STAGE_NOTIFY_REPLY);
	long long after = realtime_ns();
	char text[256] = "";
	FILE *f = fopen(path, "r");
	size_t n = f != NULL ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f != NULL) {
		fclose(f);
	}
	text[n] = '\0';
	char a[16], b[16];
	long long ta = 0, tb = 0;
	int tail = 0;
	ok(sscanf(text, "read 1\n%15s %lld\n%15s %lld\n%n", a, &ta, b, &tb, &tail) == 4 &&
		   strcmp(a, "matched") == 0 && strcmp(b, "notify-reply") == 0,
	   "two marks after the file's line, each its name and a number");
	ok(before <= ta && ta <= tb && tb <= after, "their times in ns, in order (%lld, %lld)", ta,
	   tb);
	ok(tail > 0 && text[tail] == '\0', "then nothing but the file's unwritten end");
	unsetenv("CTID_STAGES");
	unlink(path);
}

int main(void) {
	test_stages();
	test_atomic_file();
	test_civil();
	test_utf8();
	test_json();
	test_log();
	return tap_done();
}
