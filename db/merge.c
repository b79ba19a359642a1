/* Merging a duplicate contact into the one that is kept. */
#include <errno.h>
#include <stdbool.h>

#include "db_private.h"
#include "log.h"

/*
 * The steps, in order; ?1 is the contact kept, ?2 the duplicate, ?3 now.
 * Every row that names the duplicate is moved before it is deleted, so the
 * cascades only remove what the kept contact already had.
 */
enum merge_step {
	MERGE_DETAILS_MISSING,
	MERGE_DETAILS,
	MERGE_PHONES,
	MERGE_NOTES,
	MERGE_CALLS,
	MERGE_REMINDERS,
	MERGE_ANNOUNCED,
	MERGE_ANNOUNCED_LEFT,
	MERGE_FIELDS,
	MERGE_TAGS,
	MERGE_DELETE,
	MERGE_STEPS,
};

static const char *const merge_sql[MERGE_STEPS] = {
	/* how many of company, email, birthday the duplicate fills in */
	[MERGE_DETAILS_MISSING] = "SELECT (a.company IS NULL AND b.company IS NOT NULL)"
				  " + (a.email IS NULL AND b.email IS NOT NULL)"
				  " + (a.birthday IS NULL AND b.birthday IS NOT NULL)"
				  " FROM contacts a, contacts b WHERE a.id = ?1 AND b.id = ?2",
	[MERGE_DETAILS] =
		"UPDATE contacts SET"
		" company = coalesce(company, (SELECT company FROM contacts WHERE id = ?2)),"
		" email = coalesce(email, (SELECT email FROM contacts WHERE id = ?2)),"
		" birthday = coalesce(birthday, (SELECT birthday FROM contacts WHERE id = ?2)),"
		" updated = ?3 WHERE id = ?1",
	/* a number both have (in any notation) stays once, as the kept one wrote it */
	[MERGE_PHONES] = "UPDATE phones SET contact_id = ?1 WHERE contact_id = ?2 AND NOT EXISTS ("
			 " SELECT 1 FROM phones p WHERE p.contact_id = ?1"
			 " AND (p.digits = phones.digits OR p.e164 = phones.e164))",
	[MERGE_NOTES] = "UPDATE notes SET contact_id = ?1 WHERE contact_id = ?2",
	[MERGE_CALLS] = "UPDATE calls SET contact_id = ?1 WHERE contact_id = ?2",
	[MERGE_REMINDERS] = "UPDATE reminders SET contact_id = ?1 WHERE contact_id = ?2",
	/* birthdays already announced for the duplicate are not announced again */
	[MERGE_ANNOUNCED] = "UPDATE OR IGNORE announced SET contact_id = ?1"
			    " WHERE reminder_id = 0 AND contact_id = ?2",
	[MERGE_ANNOUNCED_LEFT] = "DELETE FROM announced WHERE reminder_id = 0 AND contact_id = ?2",
	[MERGE_FIELDS] = "INSERT OR IGNORE INTO contact_fields (contact_id, key, value)"
			 " SELECT ?1, key, value FROM contact_fields WHERE contact_id = ?2",
	[MERGE_TAGS] = "INSERT OR IGNORE INTO contact_tags (contact_id, tag)"
		       " SELECT ?1, tag FROM contact_tags WHERE contact_id = ?2",
	[MERGE_DELETE] = "DELETE FROM contacts WHERE id = ?2",
};

static int exec_plain(struct db *db, const char *sql) {
	int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		log_error("Database %s: %s", db->path, sqlite3_errmsg(db->sql));
		return db_errno(rc);
	}
	return 0;
}

/* Runs one step; *result gets the rows it changed, or its single value. */
static int merge_step(struct db *db, enum merge_step step, int64_t into, int64_t from, int *result) {
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, merge_sql[step], -1, &s, NULL);
	if (rc != SQLITE_OK) {
		log_error("Could not merge contacts in %s: %s", db->path, sqlite3_errmsg(db->sql));
		return db_errno(rc);
	}
	sqlite3_bind_int64(s, 1, into);
	sqlite3_bind_int64(s, 2, from);
	if (sqlite3_bind_parameter_count(s) >= 3) {
		sqlite3_bind_int64(s, 3, db_now());
	}
	rc = sqlite3_step(s);
	int ret = 0;
	if (rc == SQLITE_ROW) {
		*result = sqlite3_column_int(s, 0);
	} else if (rc == SQLITE_DONE) {
		*result = sqlite3_changes(db->sql);
	} else {
		log_error("Could not merge contacts in %s: %s", db->path, sqlite3_errmsg(db->sql));
		ret = db_errno(rc);
	}
	sqlite3_finalize(s);
	return ret;
}

int db_contact_merge(struct db *db, int64_t into, int64_t from, struct db_merge_counts *counts) {
	if (into == from) {
		return -EINVAL;
	}
	if (db_contact_get(db, into, NULL, NULL) < 0 || db_contact_get(db, from, NULL, NULL) < 0) {
		return -ENOENT;
	}
	/* Outside a transaction, take the write lock first: a deferred one
	 * that upgrades later fails at once when the daemon is writing. */
	bool own = sqlite3_get_autocommit(db->sql) != 0;
	int ret = own ? exec_plain(db, "BEGIN IMMEDIATE") : 0;
	if (ret < 0) {
		return ret;
	}
	if ((ret = exec_plain(db, "SAVEPOINT contact_merge")) < 0) {
		if (own) {
			exec_plain(db, "ROLLBACK");
		}
		return ret;
	}
	int n[MERGE_STEPS] = {0};
	for (int step = 0; step < MERGE_STEPS && ret == 0; step++) {
		ret = merge_step(db, (enum merge_step)step, into, from, &n[step]);
	}
	if (ret < 0) {
		exec_plain(db, "ROLLBACK TO contact_merge");
	}
	exec_plain(db, "RELEASE contact_merge");
	if (own && ret == 0 && (ret = exec_plain(db, "COMMIT")) < 0) {
		exec_plain(db, "ROLLBACK");
	} else if (own && ret < 0) {
		exec_plain(db, "ROLLBACK");
	}
	if (ret == 0 && counts != NULL) {
		*counts = (struct db_merge_counts){
			.phones = n[MERGE_PHONES],
			.notes = n[MERGE_NOTES],
			.calls = n[MERGE_CALLS],
			.reminders = n[MERGE_REMINDERS],
			.fields = n[MERGE_FIELDS],
			.tags = n[MERGE_TAGS],
			.details = n[MERGE_DETAILS_MISSING],
		};
	}
	return ret;
}
