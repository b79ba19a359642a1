#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "db_private.h"
#include "log.h"
#include "phone.h"

/*
 * Numbers are stored with their significant digits reversed (rdigits), so
 * "ends with" becomes "starts with" and every step below is one indexed
 * range or equality probe: the cost does not grow with the number of
 * contacts.
 */

struct candidates {
	int n; /* contacts found: 0, 1, or 2 for "more than one" */
	int64_t id;
	char name[DB_NAME_MAX + 1];
};

/* Runs a lookup statement (contact_id, name per phone row) until it found a
 * second contact: one contact's two numbers that both fit are one
 * candidate. The rows of one contact need not be next to each other. */
static int probe(struct db *db, sqlite3_stmt *s, struct candidates *out) {
	int rc = SQLITE_DONE;
	out->n = 0;
	while (out->n < 2 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		if (out->n == 0) {
			out->id = id;
			const char *name = db_column_text(s, 1);
			snprintf(out->name, sizeof(out->name), "%s", name != NULL ? name : "");
			out->n = 1;
		} else if (id != out->id) {
			out->n = 2;
		}
	}
	sqlite3_reset(s);
	if (out->n < 2 && rc != SQLITE_DONE) {
		log_error("Lookup in %s: %s", db->path, sqlite3_errmsg(db->sql));
		return db_errno(rc);
	}
	return 0;
}

/* Records the outcome of the best probe that found anybody. */
static bool settle(struct db_match *m, const struct candidates *c, enum db_match_kind kind,
		   int digits) {
	if (c->n == 0) {
		return false;
	}
	m->kind = kind;
	m->suffix_digits = kind == DB_MATCH_SUFFIX ? digits : 0;
	if (c->n == 1) {
		m->contact_id = c->id;
		snprintf(m->name, sizeof(m->name), "%s", c->name);
	} else {
		m->ambiguous = true;
	}
	return true;
}

int db_lookup(struct db *db, const char *number, struct db_match *m) {
	memset(m, 0, sizeof(*m));
	struct phone_number pn;
	if (number == NULL || phone_normalize(number, db->region, &pn) < 0) {
		return 0;
	}
	if (pn.withheld) {
		m->withheld = true;
		return 0;
	}
	snprintf(m->e164, sizeof(m->e164), "%s", pn.e164);
	size_t len = strlen(pn.digits);
	if (pn.service || (int)len < db->min_suffix) {
		return 0;
	}

	struct candidates c;
	int ret;
	if (pn.e164[0] != '\0') {
		sqlite3_stmt *s = db_stmt(db, STMT_LOOKUP_E164);
		if (s == NULL) {
			return -errno;
		}
		db_bind_text(s, 1, pn.e164);
		if ((ret = probe(db, s, &c)) < 0) {
			return ret;
		}
		if (settle(m, &c, DB_MATCH_EXACT, (int)len)) {
			return 0;
		}
	}

	char rev[PHONE_DIGITS_MAX + 1];
	phone_reverse(pn.digits, rev, sizeof(rev));

	/* The same digits: as good as the same E.164 (numbers stored without a
	 * region, or a caller without one). */
	sqlite3_stmt *s = db_stmt(db, STMT_LOOKUP_DIGITS);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_text(s, 1, rev, -1, SQLITE_TRANSIENT);
	if ((ret = probe(db, s, &c)) < 0) {
		return ret;
	}
	if (settle(m, &c, DB_MATCH_EXACT, (int)len)) {
		return 0;
	}

	/* Stored numbers that end with the whole incoming number: the telco
	 * dropped the area code. */
	char upper[PHONE_DIGITS_MAX + 2];
	snprintf(upper, sizeof(upper), "%s:", rev); /* ':' sorts right after '9' */
	s = db_stmt(db, STMT_LOOKUP_RANGE);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_text(s, 1, rev, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, upper, -1, SQLITE_TRANSIENT);
	if ((ret = probe(db, s, &c)) < 0) {
		return ret;
	}
	if (settle(m, &c, DB_MATCH_SUFFIX, (int)len)) {
		return 0;
	}

	/* Stored numbers that the incoming number ends with: the contact was
	 * saved without an area code. The longest such suffix wins. */
	for (size_t k = len - 1; k >= (size_t)db->min_suffix; k--) {
		s = db_stmt(db, STMT_LOOKUP_DIGITS);
		if (s == NULL) {
			return -errno;
		}
		sqlite3_bind_text(s, 1, rev, (int)k, SQLITE_TRANSIENT);
		if ((ret = probe(db, s, &c)) < 0) {
			return ret;
		}
		if (settle(m, &c, DB_MATCH_SUFFIX, (int)k)) {
			return 0;
		}
	}
	return 0;
}
