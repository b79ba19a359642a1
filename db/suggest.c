/* Search as you type (see db_contact_suggest in db.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "db_private.h"
#include "phone.h"

#define SUGGEST_MAX 100

struct hits {
	int64_t ids[SUGGEST_MAX];
	int n, max;
};

static int take_id(sqlite3_stmt *s, void *data) {
	struct hits *h = data;
	int64_t id = sqlite3_column_int64(s, 0);
	for (int i = 0; i < h->n; i++) {
		if (h->ids[i] == id) {
			return 0;
		}
	}
	h->ids[h->n++] = id;
	return h->n >= h->max ? 1 : 0;
}

/* Runs statement id with ?1 (and ?2 when not NULL) and the limit last. */
static int collect(struct db *db, enum db_stmt id, const char *a, const char *b, int limit,
		   struct hits *h) {
	if (h->n >= h->max) {
		return 0;
	}
	sqlite3_stmt *s = db_stmt(db, id);
	if (s == NULL) {
		return -errno;
	}
	int k = 1;
	db_bind_text(s, k++, a);
	if (b != NULL) {
		db_bind_text(s, k++, b);
	}
	sqlite3_bind_int(s, k, limit);
	int ret = db_walk(db, s, take_id, h, NULL);
	return ret < 0 ? ret : 0;
}

int db_contact_suggest(struct db *db, const char *query, const char *after, int limit,
		       db_contact_fn fn, void *data) {
	struct hits h = {.max = limit <= 0 || limit > SUGGEST_MAX ? SUGGEST_MAX : limit};
	while (query != NULL && (*query == ' ' || *query == '\t')) {
		query++;
	}
	int ret = 0;
	if (query == NULL || query[0] == '\0') {
		if (after != NULL && after[0] != '\0') {
			ret = collect(db, STMT_SUGGEST_AFTER, after, NULL, h.max, &h);
		} else {
			sqlite3_stmt *s = db_stmt(db, STMT_CONTACT_ALL);
			if (s == NULL) {
				return -errno;
			}
			ret = db_walk(db, s, take_id, &h, NULL);
		}
	} else {
		size_t len = strlen(query);
		if (len > DB_NAME_MAX) {
			return -EMSGSIZE;
		}
		/* names from query up to query followed by the last code point */
		char upper[DB_NAME_MAX + 8];
		snprintf(upper, sizeof(upper), "%s\xf4\x8f\xbf\xbf", query);
		ret = collect(db, STMT_SUGGEST_NAME, query, upper, h.max, &h);
		char fq[512];
		if (ret == 0 && db_fts_query(query, fq, sizeof(fq))) {
			ret = collect(db, STMT_CONTACT_FRAGMENT, fq, NULL, h.max, &h);
			if (ret == 0) {
				/* several notes may be one contact's */
				ret = collect(db, STMT_SUGGEST_NOTES, fq, NULL, h.max * 4, &h);
			}
		}
		char digits[PHONE_DIGITS_MAX + 3];
		size_t nd = 0;
		for (const char *p = query; *p != '\0' && nd + 3 < sizeof(digits); p++) {
			if (*p >= '0' && *p <= '9') {
				digits[1 + nd++] = *p;
			}
		}
		if (ret == 0 && nd >= 3) {
			digits[0] = '"';
			digits[1 + nd] = '"';
			digits[2 + nd] = '\0';
			ret = collect(db, STMT_SUGGEST_PHONES, digits, NULL, h.max, &h);
		}
	}
	for (int i = 0; ret >= 0 && i < h.n; i++) {
		int r = db_contact_get(db, h.ids[i], fn, data);
		if (r != 0 && r != -ENOENT) {
			ret = r;
		}
	}
	return ret < 0 ? ret : 0;
}
