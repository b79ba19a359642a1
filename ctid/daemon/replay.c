/*
 * ctid --replay FILE: a recorded transcript (the raw bytes a modem printed)
 * through the same parser and call tracker as the daemon. One JSON object
 * per call on standard output, as each call ends; the end of the file ends
 * the last call. A transcript carries no timing, so it is fed at one
 * instant: calls end by a hang-up or pick-up report, by the next caller's
 * data, or at the end of the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "calls.h"
#include "cid.h"
#include "db.h"
#include "json.h"
#include "jsonout.h"
#include "log.h"
#include "phone.h"
#include "run.h"

#define CHUNK (64 * 1024)

struct replay {
	struct call_tracker *tracker;
	struct db *db;
	char region[3];
	struct call_time now;
	int calls;
};

static void print_call(struct replay *r, const struct call_info *c) {
	struct phone_number pn = {0};
	const char *e164 = NULL;
	struct db_match m = {0};
	if (c->number[0] != '\0') {
		if (r->db != NULL) {
			db_lookup(r->db, c->number, &m);
			e164 = m.e164[0] ? m.e164 : NULL;
		} else if (phone_normalize(c->number, r->region, &pn) == 0 && pn.e164[0]) {
			e164 = pn.e164;
		}
	}
	char date[24];
	calls_date(c, date);
	if (r->db != NULL) {
		struct db_call dc;
		calls_row(c, c->line, &m, date, &dc);
		int ret = db_call_add(r->db, &dc, NULL);
		if (ret < 0) {
			log_warn("Could not log the call from %s: %s", c->number, strerror(-ret));
		}
	}
	struct json_writer w;
	json_init(&w, stdout);
	jsonout_call_event(&w, c, e164, date, &m);
	putchar('\n');
	fflush(stdout);
}

static void on_call(const struct call_info *call, enum call_change change, void *data) {
	struct replay *r = data;
	if (change == CALL_ENDED) {
		r->calls++;
		print_call(r, call);
	}
}

static void on_event(const struct cid_event *ev, void *data) {
	struct replay *r = data;
	if (ev->type == CID_EV_ERROR) {
		log_warn("Unusable caller ID: %s", ev->text);
	}
	call_tracker_event(r->tracker, ev, r->now);
}

/* GSM dongles report the caller hanging up; nothing else can answer them. */
static bool looks_gsm(FILE *f) {
	static const char *const marks[] = {"+CLIP:", "+CRING:", "+CCWA:",
					    "^CEND:", "+CLCC:",	 "+WIND: 6"};
	char buf[CHUNK + 16];
	bool found = false;
	size_t n;
	while (!found && (n = fread(buf, 1, CHUNK, f)) > 0) {
		buf[n] = '\0';
		for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]) && !found; i++) {
			found = memmem(buf, n, marks[i], strlen(marks[i])) != NULL;
		}
	}
	rewind(f);
	return found;
}

int run_replay(const struct config *cfg, const char *path) {
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "ctid: could not read %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct replay r = {0};
	config_region(cfg->region, r.region);
	/* Contacts are matched only when a database was named. */
	const char *database = cfg->database;
	if (database != NULL) {
		r.db = db_open(database, 0);
		if (r.db == NULL) {
			fclose(f);
			return 1;
		}
		db_set_region(r.db, r.region);
		if (cfg->min_suffix > 0) {
			db_set_min_suffix(r.db, cfg->min_suffix);
		}
	}
	/* CTID_REPLAY_NOW (seconds since the epoch) stands for the day a
	 * transcript was recorded, so the year of MMDD stamps comes out right. */
	const char *fixed = getenv("CTID_REPLAY_NOW");
	int64_t wall = fixed != NULL ? strtoll(fixed, NULL, 10) * 1000 : (int64_t)time(NULL) * 1000;
	r.now = (struct call_time){.mono = 1000, .wall = wall};
	struct call_tracker_options to = {
		.line = "modem",
		.ring_timeout_ms = cfg->ring_timeout > 0 ? cfg->ring_timeout * 1000 : 0,
		.detects_hangup = f != stdin && looks_gsm(f),
	};
	r.tracker = call_tracker_create(&to, on_call, &r);
	struct cid_parser *parser = cid_parser_create();
	int status = 0;
	if (r.tracker == NULL || parser == NULL) {
		status = 1;
	} else {
		char *buf = malloc(CHUNK);
		size_t n;
		while (buf != NULL && (n = fread(buf, 1, CHUNK, f)) > 0) {
			cid_parser_feed(parser, buf, n, on_event, &r);
		}
		if (ferror(f)) {
			fprintf(stderr, "ctid: error reading %s\n", path);
			status = 1;
		}
		free(buf);
		cid_parser_flush(parser, on_event, &r);
		call_tracker_finish(r.tracker, r.now);
	}
	cid_parser_destroy(parser);
	call_tracker_destroy(r.tracker);
	db_close(r.db);
	if (f != stdin) {
		fclose(f);
	}
	return status;
}
