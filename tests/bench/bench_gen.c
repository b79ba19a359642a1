/*
 * bench_gen: fills a ctid database with N synthetic contacts (tests/bench/
 * data.h) through the db/ API, as ctidctl would, in one transaction, and
 * writes a manifest (JSON) of what it made: counts, the time it took, and
 * the "hot" contacts whose numbers the end-to-end benchmark rings, each with
 * notes, open requests, an order, a reminder due soon and earlier calls, so
 * their screen-pop is as full as it gets. It can also write the same
 * contacts as vCard and CSV files for the import benchmark.
 *
 *   bench_gen --contacts 100000 --out c.db --manifest c.json
 *   bench_gen --contacts 100000 --vcard c.vcf --csv c.csv
 */
#include <errno.h>
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
#include "phone.h"

#define HOT_MAX 200

struct counts {
	int64_t contacts, phones, notes, calls, reminders, birthdays;
};

static double now_s(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A bulk load, not the daemon: the generator reaches into the connection
 * (db_private.h) for settings no program of ctid should use, so a million
 * contacts load in seconds: no journal and no syncs (a failed run leaves a
 * file that is deleted), and a page cache big enough for the indexes being
 * filled in random order. WAL is switched back on at the end, as db_open()
 * would.
 */
static int pragma(struct db *db, const char *sql) {
	char *msg = NULL;
	if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench_gen: %s: %s\n", sql, msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

/*
 * What makes a bulk load slow, put aside until the end, all inside the one
 * transaction:
 *  - FTS5 as shipped with SQLite 3.40 flushes its pending terms to a new
 *    segment whenever a statement savepoint is released, and every INSERT
 *    that fires a trigger into an FTS table runs inside one: row by row, the
 *    full-text indexes cost two thirds of the time. The triggers are dropped,
 *    and the three indexes rebuilt from their content tables at the end.
 *  - Secondary indexes filled in random order (numbers are random): they
 *    are dropped and created again at the end, which sorts instead. Only
 *    phones_contact stays, which db_phone_add() reads, and the call log's,
 *    which grow as ctid's do (see add_call()).
 * The very same CREATE statements are run again from sqlite_master, so the
 * schema is the one db_open() made. The indexes come out packed (as after a
 * VACUUM) and the full-text indexes as one merged segment each, where a
 * database grown insert by insert has pages about two thirds full and a
 * few segments: a lookup touches as many pages either way.
 */
struct deferred {
	int n;
	char *sql[64];
};

static int defer_drop(struct db *db, struct deferred *d) {
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db->sql,
			       "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND"
			       " ((type = 'trigger' AND tbl_name IN ('contacts', 'notes', 'phones'))"
			       " OR (type = 'index' AND name <> 'phones_contact'"
			       " AND tbl_name IN ('phones', 'notes', 'reminders')))",
			       -1, &s, NULL) != SQLITE_OK) {
		return -EIO;
	}
	char *drop[64];
	while (sqlite3_step(s) == SQLITE_ROW && d->n < 64) {
		drop[d->n] = sqlite3_mprintf("DROP %s \"%w\"", sqlite3_column_text(s, 0),
					     sqlite3_column_text(s, 1));
		d->sql[d->n++] = strdup((const char *)sqlite3_column_text(s, 2));
	}
	sqlite3_finalize(s);
	int ret = 0;
	for (int k = 0; k < d->n; k++) {
		if (ret == 0 && (d->sql[k] == NULL || drop[k] == NULL)) {
			ret = -ENOMEM;
		}
		if (ret == 0) {
			ret = pragma(db, drop[k]);
		}
		sqlite3_free(drop[k]);
	}
	return ret;
}

static int defer_restore(struct db *db, struct deferred *d) {
	static const char *const rebuild[] = {
		"INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')",
		"INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')",
		"INSERT INTO phones_fts(phones_fts) VALUES ('rebuild')",
	};
	/* CREATE INDEX sorts with a helper thread. */
	int ret = pragma(db, "PRAGMA threads = 2");
	for (size_t k = 0; k < sizeof(rebuild) / sizeof(rebuild[0]) && ret == 0; k++) {
		ret = pragma(db, rebuild[k]);
	}
	for (int k = 0; k < d->n; k++) {
		if (ret == 0) {
			ret = pragma(db, d->sql[k]);
		}
		free(d->sql[k]);
	}
	return ret;
}

static int check(int ret, const char *what, int64_t i) {
	if (ret < 0) {
		fprintf(stderr, "bench_gen: %s of contact %lld: %s\n", what, (long long)i,
			strerror(-ret));
	}
	return ret;
}

/*
 * Calls are logged one by one in the order they rang, as ctid logs them,
 * with the call log's indexes in place: a log grown that way has room in
 * its index pages, where calls_contact and calls_e164 made by CREATE INDEX
 * came out packed, and every call the benchmark then placed split a full
 * page of each (15 to 19 pages written to the log for one call instead of
 * 8 or 9). add_call() notes a call; generate() logs them all, oldest first
 * (log_call()).
 */
struct pending_call {
	int64_t contact, started;
	char number[32];
	enum db_call_state state;
	bool handled;
};

static struct pending_call *pending;
static size_t n_pending, pending_cap;

static int add_call(int64_t contact, const char *number, int64_t started, enum db_call_state state,
		    bool handled) {
	if (n_pending == pending_cap) {
		size_t cap = pending_cap ? pending_cap * 2 : 4096;
		struct pending_call *p = realloc(pending, cap * sizeof(*p));
		if (p == NULL) {
			return -ENOMEM;
		}
		pending = p;
		pending_cap = cap;
	}
	struct pending_call *c = &pending[n_pending++];
	*c = (struct pending_call){.contact = contact,
				   .started = started,
				   .state = state,
				   .handled = handled};
	snprintf(c->number, sizeof(c->number), "%s", number);
	return 0;
}

static int by_started(const void *a, const void *b) {
	const struct pending_call *x = a, *y = b;
	return x->started < y->started ? -1 : x->started > y->started;
}

static int log_call(struct db *db, const struct pending_call *p, struct counts *n) {
	struct phone_number pn;
	phone_normalize(p->number, "GB", &pn);
	struct db_call c = {
		.started = p->started,
		.ended = p->started + 20,
		.line = "shop",
		.number = p->number,
		.e164 = pn.e164[0] != '\0' ? pn.e164 : NULL,
		.contact_id = p->contact,
		.rings = p->state == DB_CALL_MISSED ? 5 : 2,
		.state = p->state,
	};
	int64_t id;
	int ret = db_call_add(db, &c, &id);
	if (ret == 0 && p->handled) {
		ret = db_call_mark_handled(db, id, p->started + 3600);
	}
	n->calls += ret == 0;
	return ret;
}

/* Month and day of today + days, local time. */
static void date_in(int days, int *month, int *day) {
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;
	localtime_r(&t, &tm);
	*month = tm.tm_mon + 1;
	*day = tm.tm_mday;
}

static int fill_hot(struct db *db, int64_t i, int64_t now, struct counts *n) {
	int64_t id = i + 1;
	char text[256];
	int ret = 0;
	for (int k = 0; k < 3 && ret == 0; k++) {
		bench_note(i, k, text, sizeof(text));
		ret = db_note_add(db, id, DB_NOTE_NOTE, text, NULL);
		n->notes++;
	}
	int64_t closed = 0;
	for (int k = 0; k < 3 && ret == 0; k++) {
		bench_request(i, k, text, sizeof(text));
		ret = db_note_add(db, id, DB_NOTE_REQUEST, text, k == 2 ? &closed : NULL);
		n->notes++;
	}
	if (ret == 0) {
		ret = db_note_close(db, closed);
	}
	if (ret == 0) {
		bench_order(i, 0, text, sizeof(text));
		ret = db_note_add(db, id, DB_NOTE_ORDER, text, NULL);
		n->notes++;
	}
	if (ret == 0) {
		int month, day;
		date_in(6 + (int)(i % 15), &month, &day);
		ret = db_reminder_add(db, id, 0, month, day, true, 7,
				      "Send the autumn catalogue and samples", NULL);
		n->reminders++;
	}
	char number[32];
	bench_mobile(i, number, sizeof(number));
	for (int k = 4; k > 0 && ret == 0; k--) {
		enum db_call_state st = k == 1 ? DB_CALL_MISSED : DB_CALL_ANSWERED;
		ret = add_call(id, number, now - k * 86400 * 9 - 3600, st, false);
	}
	return check(ret, "history", i);
}

/* What some ordinary contacts have: a few notes, calls, a reminder. */
static int fill_some(struct db *db, int64_t i, int64_t now, struct counts *n) {
	uint64_t h = bench_hash((uint64_t)i, 0xfeed);
	int64_t id = i + 1;
	char text[256];
	int ret = 0;
	if (h % 100 < 15) {
		int notes = 1 + (int)((h >> 8) % 3);
		for (int k = 0; k < notes && ret == 0; k++) {
			uint64_t kind = (h >> (16 + 2 * k)) % 4;
			if (kind < 2) {
				bench_note(i, k, text, sizeof(text));
				ret = db_note_add(db, id, DB_NOTE_NOTE, text, NULL);
			} else if (kind == 2) {
				bench_request(i, k, text, sizeof(text));
				ret = db_note_add(db, id, DB_NOTE_REQUEST, text, NULL);
			} else {
				bench_order(i, k, text, sizeof(text));
				ret = db_note_add(db, id, DB_NOTE_ORDER, text, NULL);
			}
			n->notes++;
		}
	}
	if ((h >> 24) % 100 < 20) {
		char number[32];
		int calls = 1 + (int)((h >> 32) % 3);
		for (int k = 0; k < calls && ret == 0; k++) {
			uint64_t hk = bench_hash((uint64_t)i * 4 + (uint64_t)k, 0xca11);
			if (hk & 1) {
				bench_mobile(i, number, sizeof(number));
			} else {
				bench_landline(i, number, sizeof(number));
			}
			bool missed = (hk >> 1) % 10 < 3;
			ret = add_call(id, number, now - (int64_t)((hk >> 8) % (400 * 86400)),
				       missed ? DB_CALL_MISSED : DB_CALL_ANSWERED,
				       missed && (hk >> 40) % 3 != 0);
		}
	}
	if (ret == 0 && (h >> 40) % 100 < 2) {
		ret = db_reminder_add(db, id, 0, 1 + (int)((h >> 48) % 12), 1 + (int)((h >> 52) % 28),
				      true, 3, "Ask about the spring order", NULL);
		n->reminders++;
	}
	return check(ret, "notes and calls", i);
}

static int add_contact(struct db *db, int64_t i, struct counts *n) {
	struct bench_person p;
	bench_person(i, &p);
	struct db_contact c = {
		.name = p.name,
		.company = p.company[0] ? p.company : NULL,
		.email = p.email[0] ? p.email : NULL,
		.birthday = p.birthday[0] ? p.birthday : NULL,
	};
	int64_t id;
	int ret = db_contact_add(db, &c, &id);
	if (ret == 0 && id != i + 1) {
		fprintf(stderr, "bench_gen: contact %lld got id %lld (not a fresh file?)\n",
			(long long)i, (long long)id);
		return -EEXIST;
	}
	n->contacts++;
	n->birthdays += p.birthday[0] != '\0';
	char number[32], typed[48];
	bench_mobile(i, number, sizeof(number));
	bench_typed(i, number, typed, sizeof(typed));
	if (ret == 0 && (ret = db_phone_add(db, id, typed, "mobile", NULL)) == 0) {
		n->phones++;
	}
	bench_landline(i, number, sizeof(number));
	bench_typed(i, number, typed, sizeof(typed));
	if (ret == 0 && (ret = db_phone_add(db, id, typed, i % 3 ? "work" : "shop", NULL)) == 0) {
		n->phones++;
	}
	return check(ret, "adding", i);
}

static int64_t hot_index(int64_t j, int64_t hot, int64_t contacts) {
	return j * contacts / hot + (contacts / hot) / 2;
}

static void write_manifest(FILE *f, int64_t contacts, const struct counts *n, int64_t hot,
			   double seconds) {
	struct json_writer w;
	json_init(&w, f);
	json_object_begin(&w);
	json_key(&w, "version");
	json_int(&w, BENCH_DATA_VERSION);
	json_key(&w, "contacts");
	json_int(&w, n->contacts);
	json_key(&w, "phones");
	json_int(&w, n->phones);
	json_key(&w, "notes");
	json_int(&w, n->notes);
	json_key(&w, "calls");
	json_int(&w, n->calls);
	json_key(&w, "reminders");
	json_int(&w, n->reminders);
	json_key(&w, "birthdays");
	json_int(&w, n->birthdays);
	json_key(&w, "generated");
	json_int(&w, (int64_t)time(NULL));
	json_key(&w, "seconds_ms");
	json_int(&w, (int64_t)(seconds * 1000));
	json_key(&w, "hot");
	json_array_begin(&w);
	for (int64_t j = 0; j < hot; j++) {
		int64_t i = hot_index(j, hot, contacts);
		struct bench_person p;
		bench_person(i, &p);
		char number[32];
		bench_mobile(i, number, sizeof(number));
		json_object_begin(&w);
		json_key(&w, "id");
		json_int(&w, i + 1);
		json_key(&w, "name");
		json_string(&w, p.name);
		json_key(&w, "number");
		json_string(&w, number);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
	fputc('\n', f);
}

static int generate(const char *path, const char *manifest, int64_t contacts) {
	for (const char *suffix = ""; suffix != NULL; suffix = *suffix ? NULL : "-wal") {
		char p[4096];
		snprintf(p, sizeof(p), "%s%s", path, suffix);
		unlink(p);
	}
	char shm[4096];
	snprintf(shm, sizeof(shm), "%s-shm", path);
	unlink(shm);
	double t0 = now_s();
	struct db *db = db_open(path, 0);
	if (db == NULL) {
		return 1;
	}
	db_set_region(db, "GB");
	if (pragma(db, "PRAGMA journal_mode = OFF") < 0 ||
	    pragma(db, "PRAGMA synchronous = OFF") < 0 ||
	    pragma(db, "PRAGMA cache_size = -262144") < 0 || db_begin(db) < 0) {
		db_close(db);
		return 1;
	}
	struct deferred deferred = {0};
	if (defer_drop(db, &deferred) < 0) {
		db_close(db);
		return 1;
	}
	struct counts n = {0};
	int64_t hot = contacts / 5 < HOT_MAX ? contacts / 5 : HOT_MAX;
	int64_t now = (int64_t)time(NULL);
	int ret = 0;
	for (int64_t i = 0; i < contacts && ret == 0; i++) {
		ret = add_contact(db, i, &n);
	}
	for (int64_t j = 0, next = 0; j < contacts && ret == 0; j++) {
		if (next < hot && j == hot_index(next, hot, contacts)) {
			ret = fill_hot(db, j, now, &n);
			next++;
		} else {
			ret = fill_some(db, j, now, &n);
		}
	}
	/* Strangers: calls from numbers no contact has. */
	char number[32];
	for (int64_t k = 0; k < contacts / 20 && ret == 0; k++) {
		bench_mobile(contacts + k, number, sizeof(number));
		ret = add_call(0, number, now - (int64_t)(bench_hash((uint64_t)k, 7) % 31536000),
			       k % 3 ? DB_CALL_MISSED : DB_CALL_ANSWERED, k % 2 == 0);
	}
	qsort(pending, n_pending, sizeof(*pending), by_started);
	for (size_t k = 0; k < n_pending && ret == 0; k++) {
		ret = check(log_call(db, &pending[k], &n), "call", (int64_t)k);
	}
	free(pending);
	pending = NULL;
	n_pending = pending_cap = 0;
	if (ret == 0) {
		ret = defer_restore(db, &deferred);
	}
	if (ret == 0) {
		ret = db_commit(db);
	}
	if (ret == 0) {
		ret = pragma(db, "PRAGMA journal_mode = WAL");
	}
	db_close(db);
	double seconds = now_s() - t0;
	if (ret < 0) {
		unlink(path);
		return 1;
	}
	FILE *f = manifest != NULL ? fopen(manifest, "w") : stdout;
	if (f == NULL) {
		perror(manifest);
		return 1;
	}
	write_manifest(f, contacts, &n, hot, seconds);
	if (f != stdout && fclose(f) != 0) {
		perror(manifest);
		return 1;
	}
	fprintf(stderr, "bench_gen: %lld contacts, %lld numbers, %lld notes, %lld calls in %.1f s\n",
		(long long)n.contacts, (long long)n.phones, (long long)n.notes, (long long)n.calls,
		seconds);
	return 0;
}

/* vCard 3.0 and CSV with the same people (for ctidctl import). */
static void csv_field(FILE *f, const char *s, bool last) {
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"') {
			fputc('"', f);
		}
		fputc(*s, f);
	}
	fputs(last ? "\"\r\n" : "\",", f);
}

static void vcard_text(FILE *f, const char *key, const char *s) {
	fputs(key, f);
	for (; *s != '\0'; s++) {
		if (*s == ',' || *s == ';' || *s == '\\') {
			fputc('\\', f);
		}
		fputc(*s, f);
	}
	fputs("\r\n", f);
}

static int export(const char *vcard, const char *csv, int64_t contacts) {
	FILE *v = vcard != NULL ? fopen(vcard, "w") : NULL;
	FILE *c = csv != NULL ? fopen(csv, "w") : NULL;
	if ((vcard != NULL && v == NULL) || (csv != NULL && c == NULL)) {
		perror("bench_gen");
		return 1;
	}
	if (c != NULL) {
		fputs("Name,Company,Email,Mobile,Phone,Birthday,Note\r\n", c);
	}
	for (int64_t i = 0; i < contacts; i++) {
		struct bench_person p;
		bench_person(i, &p);
		char mobile[32], land[32], tm[48], tl[48], note[256] = "";
		bench_mobile(i, mobile, sizeof(mobile));
		bench_typed(i, mobile, tm, sizeof(tm));
		bench_landline(i, land, sizeof(land));
		bench_typed(i, land, tl, sizeof(tl));
		if (bench_hash((uint64_t)i, 0xfeed) % 100 < 15) {
			bench_note(i, 0, note, sizeof(note));
		}
		if (v != NULL) {
			fputs("BEGIN:VCARD\r\nVERSION:3.0\r\n", v);
			vcard_text(v, "FN:", p.name);
			const char *sp = strrchr(p.name, ' ');
			if (sp != NULL) {
				fprintf(v, "N:%s;%.*s;;;\r\n", sp + 1, (int)(sp - p.name), p.name);
			} else {
				fprintf(v, "N:%s;;;;\r\n", p.name);
			}
			if (p.company[0]) {
				vcard_text(v, "ORG:", p.company);
			}
			if (p.email[0]) {
				fprintf(v, "EMAIL;TYPE=INTERNET:%s\r\n", p.email);
			}
			fprintf(v, "TEL;TYPE=CELL:%s\r\nTEL;TYPE=WORK:%s\r\n", tm, tl);
			if (p.birthday[0]) {
				fprintf(v, "BDAY:%s\r\n", p.birthday);
			}
			if (note[0]) {
				vcard_text(v, "NOTE:", note);
			}
			fputs("END:VCARD\r\n", v);
		}
		if (c != NULL) {
			csv_field(c, p.name, false);
			csv_field(c, p.company, false);
			csv_field(c, p.email, false);
			csv_field(c, tm, false);
			csv_field(c, tl, false);
			csv_field(c, p.birthday, false);
			csv_field(c, note, true);
		}
	}
	int ret = 0;
	if (v != NULL && fclose(v) != 0) {
		perror(vcard);
		ret = 1;
	}
	if (c != NULL && fclose(c) != 0) {
		perror(csv);
		ret = 1;
	}
	return ret;
}

int main(int argc, char **argv) {
	static const struct option opts[] = {
		{"contacts", required_argument, NULL, 'n'},
		{"out", required_argument, NULL, 'o'},
		{"manifest", required_argument, NULL, 'm'},
		{"vcard", required_argument, NULL, 'V'},
		{"csv", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int64_t contacts = 0;
	const char *out = NULL, *manifest = NULL, *vcard = NULL, *csv = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "n:o:m:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			contacts = strtoll(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		case 'm':
			manifest = optarg;
			break;
		case 'V':
			vcard = optarg;
			break;
		case 'C':
			csv = optarg;
			break;
		case 'h':
			printf("Usage: bench_gen --contacts N [--out DB [--manifest JSON]] "
			       "[--vcard FILE] [--csv FILE]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (contacts < 1 || contacts > BENCH_MAX_CONTACTS ||
	    (out == NULL && vcard == NULL && csv == NULL)) {
		fprintf(stderr, "bench_gen: --contacts 1-%d and --out, --vcard or --csv\n",
			BENCH_MAX_CONTACTS);
		return 2;
	}
	log_init("bench_gen", LOG_WARN);
	/* One thread: no mutexes around every SQLite call (7 % of the time). */
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	int ret = 0;
	if (out != NULL) {
		ret = generate(out, manifest, contacts);
	}
	if (ret == 0 && (vcard != NULL || csv != NULL)) {
		ret = export(vcard, csv, contacts);
	}
	return ret;
}
