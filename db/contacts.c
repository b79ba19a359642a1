#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "db_private.h"
#include "log.h"
#include "phone.h"

void db_row_contact(sqlite3_stmt *s, struct db_contact *c) {
	c->id = sqlite3_column_int64(s, 0);
	c->name = db_column_text(s, 1);
	c->company = db_column_text(s, 2);
	c->email = db_column_text(s, 3);
	c->birthday = db_column_text(s, 4);
	c->created = sqlite3_column_int64(s, 5);
	c->updated = sqlite3_column_int64(s, 6);
}

struct contact_walk {
	db_contact_fn fn;
	void *data;
};

static int contact_row(sqlite3_stmt *s, void *data) {
	struct contact_walk *w = data;
	struct db_contact c;
	db_row_contact(s, &c);
	return w->fn != NULL ? w->fn(&c, w->data) : 0;
}

/* Steps s and calls fn for every contact row; stops when fn returns non-zero. */
static int walk_contacts(struct db *db, sqlite3_stmt *s, db_contact_fn fn, void *data, int *count) {
	struct contact_walk w = {fn, data};
	return db_walk(db, s, contact_row, &w, count);
}

static bool valid_birthday(const char *b) {
	if (b == NULL || b[0] == '\0') {
		return true;
	}
	int y = 0, m = 0, d = 0;
	char tail;
	if (sscanf(b, "--%2d-%2d%c", &m, &d, &tail) == 2 && strlen(b) == 7) {
		y = 2000;
	} else if (sscanf(b, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || strlen(b) != 10) {
		return false;
	}
	return y >= 1000 && civil_month_day_valid(m, d);
}

/* Whether the contact's texts fit (see DB_NAME_MAX). */
static int contact_check(const struct db_contact *c) {
	int ret = db_check_text(c->name, DB_NAME_MAX, false);
	if (ret == 0) {
		ret = db_check_text(c->company, DB_NAME_MAX, false);
	}
	if (ret == 0) {
		ret = db_check_text(c->email, DB_NAME_MAX, false);
	}
	return ret;
}

int db_contact_add(struct db *db, const struct db_contact *c, int64_t *id) {
	if (c->name == NULL || c->name[0] == '\0' || !valid_birthday(c->birthday)) {
		return -EINVAL;
	}
	int bad = contact_check(c);
	if (bad < 0) {
		return bad;
	}
	sqlite3_stmt *s = db_stmt(db, STMT_CONTACT_INSERT);
	if (s == NULL) {
		return -errno;
	}
	db_bind_text(s, 1, c->name);
	db_bind_text(s, 2, c->company);
	db_bind_text(s, 3, c->email);
	db_bind_text(s, 4, c->birthday);
	sqlite3_bind_int64(s, 5, db_now());
	int ret = db_exec_stmt(db, s);
	if (ret == 0 && id != NULL) {
		*id = sqlite3_last_insert_rowid(db->sql);
	}
	return ret;
}

static void bind_update(sqlite3_stmt *s, int idx, const char *text) {
	if (text == NULL) {
		sqlite3_bind_null(s, idx);
	} else {
		sqlite3_bind_text(s, idx, text, -1, SQLITE_TRANSIENT);
	}
}

int db_contact_update(struct db *db, const struct db_contact *c) {
	if (!valid_birthday(c->birthday)) {
		return -EINVAL;
	}
	int bad = contact_check(c);
	if (bad < 0) {
		return bad;
	}
	sqlite3_stmt *s = db_stmt(db, STMT_CONTACT_UPDATE);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, c->id);
	bind_update(s, 2, c->name);
	bind_update(s, 3, c->company);
	bind_update(s, 4, c->email);
	bind_update(s, 5, c->birthday);
	sqlite3_bind_int64(s, 6, db_now());
	return db_exec_change(db, s);
}

int db_contact_delete(struct db *db, int64_t id) {
	return db_exec_on(db, STMT_CONTACT_DELETE, id);
}

int db_contact_get(struct db *db, int64_t id, db_contact_fn fn, void *data) {
	sqlite3_stmt *s = db_stmt(db, STMT_CONTACT_GET);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, id);
	int n = 0;
	int ret = walk_contacts(db, s, fn, data, &n);
	if (ret == 0 && n == 0) {
		return -ENOENT;
	}
	return ret;
}

int db_contact_foreach(struct db *db, const char *tag, db_contact_fn fn, void *data) {
	sqlite3_stmt *s = db_stmt(db, tag != NULL ? STMT_CONTACT_BY_TAG : STMT_CONTACT_ALL);
	if (s == NULL) {
		return -errno;
	}
	if (tag != NULL) {
		db_bind_text(s, 1, tag);
	}
	return walk_contacts(db, s, fn, data, NULL);
}

int64_t db_contact_count(struct db *db) {
	sqlite3_stmt *s = db_stmt(db, STMT_CONTACT_COUNT);
	if (s == NULL) {
		return -errno;
	}
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -EIO;
	sqlite3_reset(s);
	return n;
}

/*
 * Turns what a person typed into an FTS5 query: every word becomes a quoted
 * prefix term ("pozd"*), so no FTS syntax in the text can take effect.
 * Returns false when there is no word in it.
 */
bool db_fts_query(const char *text, char *out, size_t outsz) {
	size_t o = 0;
	bool any = false;
	const unsigned char *p = (const unsigned char *)text;
	while (*p != '\0') {
		while (*p != '\0' && *p < 0x80 && !isalnum(*p)) {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		const unsigned char *start = p;
		while (*p != '\0' && (*p >= 0x80 || isalnum(*p))) {
			p++;
		}
		size_t len = (size_t)(p - start);
		if (o + len + 6 >= outsz) {
			break;
		}
		if (any) {
			out[o++] = ' ';
		}
		out[o++] = '"';
		memcpy(out + o, start, len);
		o += len;
		out[o++] = '"';
		out[o++] = '*';
		any = true;
	}
	out[o] = '\0';
	return any;
}

struct hit_list {
	int64_t ids[64];
	int n;
	int max;
};

static void hit_add(struct hit_list *h, int64_t id) {
	for (int i = 0; i < h->n; i++) {
		if (h->ids[i] == id) {
			return;
		}
	}
	if (h->n < h->max) {
		h->ids[h->n++] = id;
	}
}

static int id_row(sqlite3_stmt *s, void *data) {
	hit_add(data, sqlite3_column_int64(s, 0));
	return 0;
}

static int collect_ids(struct db *db, sqlite3_stmt *s, struct hit_list *h) {
	return db_walk(db, s, id_row, h, NULL);
}

int db_contact_search(struct db *db, const char *query, int limit, db_contact_fn fn, void *data) {
	struct hit_list hits = {.max = limit <= 0 || limit > 64 ? 64 : limit};
	char digits[PHONE_DIGITS_MAX];
	size_t nd = 0;
	for (const char *p = query; *p != '\0' && nd + 1 < sizeof(digits); p++) {
		if (*p >= '0' && *p <= '9') {
			digits[nd++] = *p;
		}
	}
	digits[nd] = '\0';
	int ret = 0;
	/* A query that is mostly a number searches numbers first. */
	if (nd >= 3) {
		sqlite3_stmt *s = db_stmt(db, STMT_PHONE_SEARCH);
		if (s == NULL) {
			return -errno;
		}
		char q[PHONE_DIGITS_MAX + 2];
		snprintf(q, sizeof(q), "\"%s\"", digits);
		db_bind_text(s, 1, q);
		sqlite3_bind_int(s, 2, hits.max);
		if ((ret = collect_ids(db, s, &hits)) < 0) {
			return ret;
		}
	}
	char fq[512];
	if (db_fts_query(query, fq, sizeof(fq)) && hits.n < hits.max) {
		sqlite3_stmt *s = db_stmt(db, STMT_CONTACT_SEARCH);
		if (s == NULL) {
			return -errno;
		}
		db_bind_text(s, 1, fq);
		sqlite3_bind_int(s, 2, hits.max);
		if ((ret = collect_ids(db, s, &hits)) < 0) {
			return ret;
		}
	}
	for (int i = 0; i < hits.n; i++) {
		ret = db_contact_get(db, hits.ids[i], fn, data);
		if (ret == -ENOENT) {
			ret = 0;
		} else if (ret != 0) {
			break;
		}
	}
	return ret;
}

/* Reports up to ten candidates through fn and says the name is not unique. */
static int resolve_report(struct db *db, const struct hit_list *hits, db_contact_fn fn, void *data) {
	for (int i = 0; i < hits->n && i < 10 && fn != NULL; i++) {
		db_contact_get(db, hits->ids[i], fn, data);
	}
	return -ENOTUNIQ;
}

static bool parse_id(const char *text, int64_t *id) {
	const char *p = text[0] == '#' ? text + 1 : text;
	if (*p == '\0' || strlen(p) > 12) {
		return false;
	}
	for (const char *q = p; *q != '\0'; q++) {
		if (*q < '0' || *q > '9') {
			return false;
		}
	}
	*id = strtoll(p, NULL, 10);
	return *id > 0;
}

int db_contact_resolve(struct db *db, const char *text, int64_t *id, db_contact_fn fn, void *data) {
	int64_t candidate;
	/* "#42" is always an id; "42" is an id when such a contact exists. */
	if (parse_id(text, &candidate) &&
	    (text[0] == '#' || db_contact_get(db, candidate, NULL, NULL) == 0)) {
		if (db_contact_get(db, candidate, NULL, NULL) < 0) {
			return -ENOENT;
		}
		*id = candidate;
		return 0;
	}
	/* A phone number. */
	struct phone_number pn;
	if (phone_normalize(text, db->region, &pn) == 0 && !pn.withheld && strlen(pn.digits) >= 4) {
		struct db_match m;
		int ret = db_lookup(db, text, &m);
		if (ret < 0) {
			return ret;
		}
		if (m.contact_id > 0) {
			*id = m.contact_id;
			return 0;
		}
		if (m.ambiguous) {
			return -ENOTUNIQ;
		}
	}
	/* A whole name, then a fragment of the name or company. */
	sqlite3_stmt *s = db_stmt(db, STMT_CONTACT_BY_NAME);
	if (s == NULL) {
		return -errno;
	}
	db_bind_text(s, 1, text);
	struct hit_list hits = {.max = 11};
	int ret = collect_ids(db, s, &hits);
	char fq[512];
	if (ret == 0 && hits.n == 0 && db_fts_query(text, fq, sizeof(fq))) {
		s = db_stmt(db, STMT_CONTACT_FRAGMENT);
		if (s == NULL) {
			return -errno;
		}
		db_bind_text(s, 1, fq);
		sqlite3_bind_int(s, 2, hits.max);
		ret = collect_ids(db, s, &hits);
	}
	if (ret < 0) {
		return ret;
	}
	if (hits.n == 0) {
		return -ENOENT;
	}
	if (hits.n > 1) {
		return resolve_report(db, &hits, fn, data);
	}
	*id = hits.ids[0];
	return 0;
}

/* Phone numbers. */

static int phone_keys(struct db *db, const char *raw, struct phone_number *pn, char *rdigits,
		      size_t rsz) {
	int ret = phone_normalize(raw, db->region, pn);
	if (ret < 0 || pn->withheld || pn->digits[0] == '\0') {
		return -EINVAL;
	}
	phone_reverse(pn->digits, rdigits, rsz);
	return 0;
}

int db_phone_add(struct db *db, int64_t contact, const char *raw, const char *label, int64_t *id) {
	int bad = db_check_text(raw, DB_NUMBER_MAX, false);
	if (bad < 0 || (bad = db_check_text(label, DB_NAME_MAX, false)) < 0) {
		return bad;
	}
	struct phone_number pn;
	char rdigits[PHONE_DIGITS_MAX];
	int ret = phone_keys(db, raw, &pn, rdigits, sizeof(rdigits));
	if (ret < 0) {
		return ret;
	}
	sqlite3_stmt *s = db_stmt(db, STMT_PHONE_EXISTS);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, contact);
	db_bind_text(s, 2, raw);
	sqlite3_bind_text(s, 3, pn.digits, -1, SQLITE_TRANSIENT);
	db_bind_text(s, 4, pn.e164);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW) {
		return -EEXIST;
	}
	s = db_stmt(db, STMT_PHONE_INSERT);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, contact);
	db_bind_text(s, 2, label);
	db_bind_text(s, 3, raw);
	db_bind_text(s, 4, pn.e164);
	sqlite3_bind_text(s, 5, pn.digits, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, rdigits, -1, SQLITE_TRANSIENT);
	ret = db_exec_stmt(db, s);
	if (ret == 0 && id != NULL) {
		*id = sqlite3_last_insert_rowid(db->sql);
	}
	return ret;
}

int db_phone_remove(struct db *db, int64_t contact, const char *raw) {
	struct phone_number pn;
	char rdigits[PHONE_DIGITS_MAX];
	bool normal = phone_keys(db, raw, &pn, rdigits, sizeof(rdigits)) == 0;
	sqlite3_stmt *s = db_stmt(db, STMT_PHONE_EXISTS);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, contact);
	db_bind_text(s, 2, raw);
	sqlite3_bind_text(s, 3, normal ? pn.digits : "", -1, SQLITE_TRANSIENT);
	db_bind_text(s, 4, normal ? pn.e164 : NULL);
	int rc = sqlite3_step(s);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (id == 0) {
		return -ENOENT;
	}
	s = db_stmt(db, STMT_PHONE_DELETE);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, id);
	return db_exec_stmt(db, s);
}

struct phone_walk {
	db_phone_fn fn;
	void *data;
};

static int phone_row(sqlite3_stmt *s, void *data) {
	struct phone_walk *w = data;
	struct db_phone p = {
		.id = sqlite3_column_int64(s, 0),
		.contact_id = sqlite3_column_int64(s, 1),
		.label = db_column_text(s, 2),
		.raw = db_column_text(s, 3),
		.e164 = db_column_text(s, 4),
		.digits = db_column_text(s, 5),
	};
	return w->fn(&p, w->data);
}

int db_phone_foreach(struct db *db, int64_t contact, db_phone_fn fn, void *data) {
	sqlite3_stmt *s = db_stmt(db, STMT_PHONE_LIST);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, contact);
	struct phone_walk w = {fn, data};
	return db_walk(db, s, phone_row, &w, NULL);
}

int db_phone_renormalize(struct db *db) {
	sqlite3_stmt *all = db_stmt(db, STMT_PHONE_ALL);
	if (all == NULL) {
		return -errno;
	}
	int rc;
	int ret = 0;
	while (ret == 0 && (rc = sqlite3_step(all)) == SQLITE_ROW) {
		struct phone_number pn;
		char rdigits[PHONE_DIGITS_MAX];
		if (phone_keys(db, db_column_text(all, 1), &pn, rdigits, sizeof(rdigits)) < 0) {
			continue;
		}
		sqlite3_stmt *s = db_stmt(db, STMT_PHONE_RENORM);
		if (s == NULL) {
			ret = -errno;
			break;
		}
		sqlite3_bind_int64(s, 1, sqlite3_column_int64(all, 0));
		db_bind_text(s, 2, pn.e164);
		sqlite3_bind_text(s, 3, pn.digits, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 4, rdigits, -1, SQLITE_TRANSIENT);
		ret = db_exec_stmt(db, s);
	}
	sqlite3_reset(all);
	return ret;
}

/* Custom fields and tags. */

int db_field_set(struct db *db, int64_t contact, const char *key, const char *value) {
	if (key == NULL || key[0] == '\0') {
		return -EINVAL;
	}
	int bad = db_check_text(key, DB_NAME_MAX, false);
	if (bad < 0 || (bad = db_check_text(value, DB_TEXT_MAX, true)) < 0) {
		return bad;
	}
	bool remove = value == NULL || value[0] == '\0';
	sqlite3_stmt *s = db_stmt(db, remove ? STMT_FIELD_DELETE : STMT_FIELD_SET);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, contact);
	db_bind_text(s, 2, key);
	if (!remove) {
		db_bind_text(s, 3, value);
	}
	return db_exec_stmt(db, s);
}

struct pair_walk {
	db_field_fn fn;
	void *data;
	bool pairs;
};

static int pair_row(sqlite3_stmt *s, void *data) {
	struct pair_walk *w = data;
	return w->fn(db_column_text(s, 0), w->pairs ? db_column_text(s, 1) : NULL, w->data);
}

static int walk_pairs(struct db *db, sqlite3_stmt *s, db_field_fn fn, void *data, bool pairs) {
	struct pair_walk w = {fn, data, pairs};
	return db_walk(db, s, pair_row, &w, NULL);
}

int db_field_foreach(struct db *db, int64_t contact, db_field_fn fn, void *data) {
	sqlite3_stmt *s = db_stmt(db, STMT_FIELD_LIST);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, contact);
	return walk_pairs(db, s, fn, data, true);
}

static int tag_change(struct db *db, enum db_stmt id, int64_t contact, const char *tag) {
	if (tag == NULL || tag[0] == '\0') {
		return -EINVAL;
	}
	sqlite3_stmt *s = db_stmt(db, id);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, contact);
	db_bind_text(s, 2, tag);
	return db_exec_stmt(db, s);
}

int db_tag_add(struct db *db, int64_t contact, const char *tag) {
	int bad = db_check_text(tag, DB_NAME_MAX, false);
	if (bad < 0) {
		return bad;
	}
	return tag_change(db, STMT_TAG_ADD, contact, tag);
}

int db_tag_remove(struct db *db, int64_t contact, const char *tag) {
	return tag_change(db, STMT_TAG_REMOVE, contact, tag);
}

int db_tag_foreach(struct db *db, int64_t contact, db_field_fn fn, void *data) {
	sqlite3_stmt *s = db_stmt(db, STMT_TAG_LIST);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, contact);
	return walk_pairs(db, s, fn, data, false);
}
