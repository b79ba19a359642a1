/*
 * bench_db: number lookup (db_lookup), full-text search (db_contact_search)
 * and search as you type (db_contact_suggest) latency on a database made by
 * bench_gen, through the
 * same db/ calls and connection settings the daemon uses. Every answer is
 * checked against what the generator put there, so a fast wrong answer
 * cannot pass for a result. Prints one JSON object.
 *
 *   bench_db --db c.db --contacts 100000 [--lookups 20000] [--searches 500] [--plans]
 *   bench_db --db c.db --contacts 100000 --cold --lookups 300
 *
 * --cold first drops the file's pages from the page cache (posix_fadvise,
 * this file only) and times exact lookups without a warm-up: a daemon's
 * first calls after the kernel reclaimed its database (a reboot, or hours
 * idle on a desktop under memory pressure).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "data.h"
#include "db.h"
#include "db_private.h"
#include "json.h"
#include "log.h"

static int64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The first n characters (not bytes) of s into buf. */
static const char *prefix(const char *s, int n, char *buf, size_t size) {
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && o + 4 < size;) {
		if ((*p & 0xc0) != 0x80 && n-- == 0) {
			break;
		}
		buf[o++] = (char)*p++;
	}
	buf[o] = '\0';
	return buf;
}

static int cmp_i64(const void *a, const void *b) {
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Writes {n, p50_ns, ...} and one more count (extra). */
static void write_stats(struct json_writer *w, int64_t *ns, size_t n, const char *extra,
			int64_t extra_value) {
	qsort(ns, n, sizeof(*ns), cmp_i64);
	int64_t sum = 0;
	for (size_t k = 0; k < n; k++) {
		sum += ns[k];
	}
	json_object_begin(w);
	json_key(w, "n");
	json_int(w, (int64_t)n);
	const struct {
		const char *key;
		double q;
	} qs[] = {{"p50_ns", 0.50}, {"p90_ns", 0.90}, {"p99_ns", 0.99}};
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		size_t idx = n > 0 ? (size_t)(qs[k].q * (double)(n - 1) + 0.5) : 0;
		json_key(w, qs[k].key);
		json_int(w, n > 0 ? ns[idx] : 0);
	}
	json_key(w, "max_ns");
	json_int(w, n > 0 ? ns[n - 1] : 0);
	json_key(w, "mean_ns");
	json_int(w, n > 0 ? sum / (int64_t)n : 0);
	json_key(w, extra);
	json_int(w, extra_value);
	json_object_end(w);
}

/* The random index generator: xorshift64*, seeded. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void) {
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1du;
}

enum kind { EXACT, SUFFIX, MISS };

/* The k-th number of a kind, and whom it must find (0: nobody). */
static int64_t lookup_case(enum kind kind, int64_t contacts, char *number, size_t size) {
	int64_t i = (int64_t)(rnd() % (uint64_t)contacts);
	switch (kind) {
	case EXACT:
		if (rnd() & 1) {
			bench_mobile(i, number, size);
		} else {
			bench_landline(i, number, size);
		}
		return i + 1;
	case SUFFIX:
		bench_local(i, number, size);
		return i + 1;
	case MISS: {
		int64_t j = contacts + (int64_t)(rnd() % (uint64_t)(2000000 - contacts));
		if (rnd() & 1) {
			bench_mobile(j, number, size);
		} else {
			bench_landline(j, number, size);
		}
		return 0;
	}
	}
	return 0;
}

static int run_lookups(struct db *db, enum kind kind, int64_t contacts, int count, int64_t *ns,
		       int *wrong) {
	static const enum db_match_kind want_kind[] = {DB_MATCH_EXACT, DB_MATCH_SUFFIX,
						       DB_MATCH_NONE};
	*wrong = 0;
	for (int k = 0; k < count; k++) {
		char number[40];
		int64_t want = lookup_case(kind, contacts, number, sizeof(number));
		struct db_match m;
		int64_t t0 = now_ns();
		int ret = db_lookup(db, number, &m);
		int64_t t1 = now_ns();
		if (ret < 0) {
			fprintf(stderr, "bench_db: lookup %s: %s\n", number, strerror(-ret));
			return ret;
		}
		if (ns != NULL) {
			ns[k] = t1 - t0;
		}
		if (m.kind != want_kind[kind] || m.contact_id != want) {
			if (*wrong < 5) {
				fprintf(stderr,
					"bench_db: %s found #%lld (kind %d), expected #%lld\n",
					number, (long long)m.contact_id, (int)m.kind,
					(long long)want);
			}
			(*wrong)++;
		}
	}
	return 0;
}

static int count_due(const struct db_reminder *r, void *data) {
	(void)r;
	(*(int *)data)++;
	return 0;
}

/* The reminders due today for every contact: in one go, as the daemon did
 * at start-up, and in the slices of 256 rows it takes now. */
static void measure_due(struct db *db, struct json_writer *w) {
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	int due = 0;
	int64_t t0 = now_ns();
	db_reminder_foreach_due(db, 0, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, -1, count_due,
				&due);
	int64_t whole = now_ns() - t0;
	struct db_due_scan *scan =
		db_due_scan_create(db, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, -1);
	int64_t slice_max = 0, slices = 0, total = 0;
	int ret;
	do {
		t0 = now_ns();
		ret = db_due_scan_step(scan, 256);
		int64_t t = now_ns() - t0;
		slice_max = t > slice_max ? t : slice_max;
		total += t;
		slices++;
	} while (ret > 0);
	db_due_scan_destroy(scan);
	json_object_begin(w);
	json_key(w, "due");
	json_int(w, due);
	json_key(w, "whole_ns");
	json_int(w, whole);
	json_key(w, "slices");
	json_int(w, slices);
	json_key(w, "slice_max_ns");
	json_int(w, slice_max);
	json_key(w, "sliced_total_ns");
	json_int(w, total);
	json_object_end(w);
}

/* Drops path's pages (and its log's) from the page cache. */
static void evict(const char *path) {
	char wal[4096];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	const char *paths[] = {path, wal};
	for (size_t i = 0; i < 2; i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			fdatasync(fd);
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			close(fd);
		}
	}
}

static int count_hit(const struct db_contact *c, void *data) {
	(void)c;
	(*(int *)data)++;
	return 0;
}

/* Prints the plan of a statement the db module prepared. */
static void print_plan(struct db *db, enum db_stmt id, const char *label) {
	sqlite3_stmt *s = db->stmts[id];
	if (s == NULL) {
		return;
	}
	char *sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(s));
	sqlite3_stmt *plan;
	if (sqlite3_prepare_v2(db->sql, sql, -1, &plan, NULL) == SQLITE_OK) {
		fprintf(stderr, "%s:\n", label);
		while (sqlite3_step(plan) == SQLITE_ROW) {
			fprintf(stderr, "  %s\n", sqlite3_column_text(plan, 3));
		}
		sqlite3_finalize(plan);
	}
	sqlite3_free(sql);
}

/* Search as you type (db_contact_suggest, what the web page asks on every
 * key): the searches' words typed 2 to 6 characters at a time. */
static void measure_suggest(struct db *db, struct json_writer *w, int searches, int64_t *ns) {
	static const char *const kinds[] = {"name", "company", "note", "number"};
	json_object_begin(w);
	for (size_t kk = 0; kk < sizeof(kinds) / sizeof(kinds[0]); kk++) {
		int64_t hits = 0;
		int n = 0;
		for (int k = 0; n < searches; k++) {
			char buf[64], typed[64];
			const char *word = bench_query(kinds[kk], k, buf, sizeof(buf));
			for (int len = 2; len <= 6 && n < searches; len++) {
				prefix(word, len, typed, sizeof(typed));
				int found = 0;
				int64_t t0 = now_ns();
				int ret = db_contact_suggest(db, typed, NULL, 20, count_hit, &found);
				int64_t t1 = now_ns();
				if (ret < 0) {
					fprintf(stderr, "bench_db: suggest '%s': %s\n", typed,
						strerror(-ret));
					break;
				}
				ns[n++] = t1 - t0;
				hits += found;
			}
		}
		json_key(w, kinds[kk]);
		write_stats(w, ns, (size_t)n, "hits", hits);
	}
	json_object_end(w);
}

int main(int argc, char **argv) {
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"contacts", required_argument, NULL, 'n'},
		{"lookups", required_argument, NULL, 'l'},
		{"searches", required_argument, NULL, 's'},
		{"plans", no_argument, NULL, 'p'},
		{"cold", no_argument, NULL, 'c'},
		{0},
	};
	const char *path = NULL;
	int64_t contacts = 0;
	int lookups = 20000, searches = 500;
	bool plans = false, cold = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			path = optarg;
			break;
		case 'n':
			contacts = strtoll(optarg, NULL, 10);
			break;
		case 'l':
			lookups = atoi(optarg);
			break;
		case 's':
			searches = atoi(optarg);
			break;
		case 'p':
			plans = true;
			break;
		case 'c':
			cold = true;
			break;
		default:
			return 2;
		}
	}
	if (path == NULL || contacts < 1 || contacts > BENCH_MAX_CONTACTS || lookups < 1 ||
	    searches < 1) {
		fprintf(stderr, "Usage: bench_db --db FILE --contacts N [--lookups K] "
				"[--searches K] [--plans]\n");
		return 2;
	}
	log_init("bench_db", LOG_WARN);
	if (cold) {
		evict(path);
	}
	/* As the daemon opens it: read-write, WAL, default cache. */
	struct db *db = db_open(path, DB_OPEN_NO_CREATE);
	if (db == NULL) {
		return 1;
	}
	db_set_region(db, "GB");
	int64_t *ns = calloc((size_t)(lookups > searches ? lookups : searches), sizeof(*ns));
	if (ns == NULL) {
		return 1;
	}
	struct json_writer w;
	json_init(&w, stdout);
	json_object_begin(&w);
	json_key(&w, "lookup");
	json_object_begin(&w);
	static const char *const names[] = {"exact", "suffix", "miss"};
	int status = 0;
	for (int kind = EXACT; kind <= (cold ? EXACT : MISS); kind++) {
		int wrong;
		/* Warm up as a daemon that has answered calls before would be. */
		if ((!cold && run_lookups(db, (enum kind)kind, contacts, lookups / 10 + 1, NULL,
					  &wrong) < 0) ||
		    run_lookups(db, (enum kind)kind, contacts, lookups, ns, &wrong) < 0) {
			return 1;
		}
		json_key(&w, names[kind]);
		write_stats(&w, ns, (size_t)lookups, "wrong", wrong);
		if (wrong > 0) {
			fprintf(stderr, "bench_db: %d of %d %s lookups wrong\n", wrong, lookups,
				names[kind]);
			status = 1;
		}
	}
	json_object_end(&w);
	if (cold) {
		json_object_end(&w);
		fputc('\n', stdout);
		db_close(db);
		free(ns);
		return status;
	}
	json_key(&w, "search");
	json_object_begin(&w);
	static const char *const kinds[] = {"name", "company", "note", "number"};
	for (size_t kk = 0; kk < sizeof(kinds) / sizeof(kinds[0]); kk++) {
		int64_t hits = 0, empty = 0;
		for (int k = -searches / 10; k < searches; k++) {
			char buf[64];
			const char *q = bench_query(kinds[kk], k < 0 ? -k : k, buf, sizeof(buf));
			int n = 0;
			int64_t t0 = now_ns();
			int ret = db_contact_search(db, q, 20, count_hit, &n);
			int64_t t1 = now_ns();
			if (ret < 0) {
				fprintf(stderr, "bench_db: search '%s': %s\n", q, strerror(-ret));
				return 1;
			}
			if (k >= 0) {
				ns[k] = t1 - t0;
				hits += n;
				empty += n == 0;
			}
		}
		json_key(&w, kinds[kk]);
		write_stats(&w, ns, (size_t)searches, "hits", hits);
		if (empty > searches / 4) {
			fprintf(stderr, "bench_db: %lld of %d %s searches found nobody\n",
				(long long)empty, searches, kinds[kk]);
		}
	}
	json_object_end(&w);
	json_key(&w, "suggest");
	measure_suggest(db, &w, searches, ns);
	json_key(&w, "reminders");
	measure_due(db, &w);
	json_object_end(&w);
	fputc('\n', stdout);
	if (plans) {
		print_plan(db, STMT_LOOKUP_E164, "lookup by E.164");
		print_plan(db, STMT_LOOKUP_DIGITS, "lookup by digits");
		print_plan(db, STMT_LOOKUP_RANGE, "lookup by suffix range");
		print_plan(db, STMT_CONTACT_SEARCH, "search names, companies, notes");
		print_plan(db, STMT_PHONE_SEARCH, "search numbers");
	}
	free(ns);
	db_close(db);
	return status;
}
