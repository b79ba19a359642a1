/*
 * Checking a database file and putting it in place of the live one. The
 * copy is made with SQLite's backup into a temporary file next to the
 * target, synced, checked, and renamed over the target, so the target is at
 * every moment either the old database or the new one. The old file stays
 * as TARGET.before-restore.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_private.h"
#include "log.h"

static int why_set(char *why, size_t whysz, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int why_set(char *why, size_t whysz, int ret, const char *fmt, ...) {
	if (why != NULL && whysz > 0) {
		va_list args;
		va_start(args, fmt);
		vsnprintf(why, whysz, fmt, args);
		va_end(args);
	}
	return ret;
}

static int64_t count_rows(sqlite3 *sql, const char *table) {
	char q[64];
	snprintf(q, sizeof(q), "SELECT count(*) FROM %s", table);
	sqlite3_stmt *s;
	int64_t n = -1;
	if (sqlite3_prepare_v2(sql, q, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			n = sqlite3_column_int64(s, 0);
		}
		sqlite3_finalize(s);
	}
	return n;
}

/* Whether table in sql has column (or, column NULL, exists); -1 if it cannot tell. */
static int has_column(sqlite3 *sql, const char *table, const char *column) {
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(sql,
			       "SELECT count(*) FROM pragma_table_info(?1) WHERE ?2 IS NULL"
			       " OR name = ?2",
			       -1, &s, NULL) != SQLITE_OK) {
		return -1;
	}
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
	int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	return n < 0 ? -1 : n > 0;
}

/*
 * Checks that the file has every table and column ctid's schema had at its
 * version: that schema is built in memory from the same migrations db_open()
 * applies, and each of its tables' columns looked up in the file. A file
 * that merely has ctid's table names is not one of ctid's.
 */
static int check_schema(sqlite3 *sql, const char *path, int version, char *why, size_t whysz) {
	sqlite3 *want = NULL;
	int rc = sqlite3_open_v2(":memory:", &want, SQLITE_OPEN_READWRITE, NULL);
	for (int v = 1; rc == SQLITE_OK && v <= version; v++) {
		const char *const *stmts = db_migration(v);
		for (size_t i = 0; rc == SQLITE_OK && stmts != NULL && stmts[i] != NULL; i++) {
			rc = sqlite3_exec(want, stmts[i], NULL, NULL, NULL);
		}
	}
	sqlite3_stmt *tables = NULL, *columns = NULL;
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(want,
					"SELECT name FROM sqlite_schema WHERE type = 'table'"
					" AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY rowid",
					-1, &tables, NULL);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(want, "SELECT name FROM pragma_table_info(?1)", -1,
					&columns, NULL);
	}
	if (rc != SQLITE_OK) {
		int ret = why_set(why, whysz, db_errno(rc), "could not check %s: %s", path,
				  sqlite3_errmsg(want));
		sqlite3_finalize(tables);
		sqlite3_finalize(columns);
		sqlite3_close(want);
		return ret;
	}
	int ret = 0;
	while (ret == 0 && sqlite3_step(tables) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(tables, 0);
		int has = has_column(sql, table, NULL);
		if (has <= 0) {
			ret = why_set(why, whysz, -EBADMSG, "%s is not a ctid database (%s table %s)",
				      path, has < 0 ? "cannot read" : "no", table);
			break;
		}
		sqlite3_reset(columns);
		sqlite3_bind_text(columns, 1, table, -1, SQLITE_TRANSIENT);
		while (ret == 0 && sqlite3_step(columns) == SQLITE_ROW) {
			const char *column = (const char *)sqlite3_column_text(columns, 0);
			if (has_column(sql, table, column) != 1) {
				ret = why_set(why, whysz, -EBADMSG,
					      "%s is not a ctid database (table %s has no column %s)",
					      path, table, column);
			}
		}
	}
	sqlite3_finalize(tables);
	sqlite3_finalize(columns);
	sqlite3_close(want);
	return ret;
}

static int check_open(sqlite3 *sql, const char *path, struct db_file_info *info, char *why,
		      size_t whysz) {
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(sql, "PRAGMA integrity_check", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return why_set(why, whysz, -EBADMSG, "%s is not an SQLite database (%s)", path,
			       sqlite3_errmsg(sql));
	}
	rc = sqlite3_step(s);
	const char *result = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
	bool ok = result != NULL && strcmp(result, "ok") == 0;
	char first[160];
	snprintf(first, sizeof(first), "%s", result != NULL ? result : sqlite3_errmsg(sql));
	sqlite3_finalize(s);
	if (!ok) {
		return why_set(why, whysz, -EBADMSG, "%s fails the integrity check: %s", path, first);
	}
	int version = -1;
	if (sqlite3_prepare_v2(sql, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			version = sqlite3_column_int(s, 0);
		}
		sqlite3_finalize(s);
	}
	if (version > DB_SCHEMA_VERSION) {
		return why_set(why, whysz, -EPROTO,
			       "%s has schema version %d; this ctid knows up to %d (upgrade ctid)",
			       path, version, DB_SCHEMA_VERSION);
	}
	int ret = check_schema(sql, path, version < 1 ? 1 : version, why, whysz);
	if (ret < 0) {
		return ret;
	}
	if (version < 1) {
		return why_set(why, whysz, -EBADMSG,
			       "%s is not a ctid database (no schema version)", path);
	}
	if (info != NULL) {
		info->version = version;
		info->contacts = count_rows(sql, "contacts");
		info->calls = count_rows(sql, "calls");
	}
	return 0;
}

int db_check_file(const char *path, struct db_file_info *info, char *why, size_t whysz) {
	struct stat st;
	if (stat(path, &st) < 0) {
		return why_set(why, whysz, -errno, "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		return why_set(why, whysz, -EINVAL, "%s is not a file", path);
	}
	sqlite3 *sql = NULL;
	int rc = sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY, NULL);
	int ret;
	if (rc != SQLITE_OK) {
		ret = why_set(why, whysz, db_errno(rc), "could not open %s: %s", path,
			      sql != NULL ? sqlite3_errmsg(sql) : sqlite3_errstr(rc));
	} else {
		sqlite3_busy_timeout(sql, 5000);
		ret = check_open(sql, path, info, why, whysz);
	}
	sqlite3_close(sql);
	return ret;
}

/* Copies source into the new file at path with SQLite's backup, in one step. */
static int copy_database(const char *source, const char *path, char *why, size_t whysz) {
	sqlite3 *src = NULL, *dst = NULL;
	int rc = sqlite3_open_v2(source, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(src, 5000);
		rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	}
	if (rc == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
		if (b == NULL) {
			rc = sqlite3_errcode(dst);
		} else {
			rc = sqlite3_backup_step(b, -1);
			sqlite3_backup_finish(b);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		}
	}
	if (rc == SQLITE_OK) {
		/* one self-contained file, whatever journal mode the source had */
		rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	}
	int ret = 0;
	if (rc != SQLITE_OK) {
		ret = why_set(why, whysz, db_errno(rc), "could not copy %s: %s", source,
			      dst != NULL ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
	}
	sqlite3_close(dst);
	sqlite3_close(src);
	return ret;
}

static int sync_path(const char *path, bool dir) {
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	int ret = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* Keeps target as before (a hard link to the same file), mode 0600. */
static int keep_old(const char *target, const char *before, char *why, size_t whysz) {
	if (unlink(before) < 0 && errno != ENOENT) {
		return why_set(why, whysz, -errno, "could not replace %s: %s", before,
			       strerror(errno));
	}
	if (link(target, before) < 0) {
		return why_set(why, whysz, -errno, "could not keep the old database as %s: %s",
			       before, strerror(errno));
	}
	if (chmod(before, 0600) < 0) {
		return why_set(why, whysz, -errno, "could not make %s private: %s", before,
			       strerror(errno));
	}
	return 0;
}

/*
 * Locks the live database against everybody else while it is swapped: out
 * of WAL mode (which SQLite allows only when no other connection has the
 * file open: the daemon must be stopped), then an exclusive lock.
 */
static int lock_target(const char *target, sqlite3 **out, char *why, size_t whysz) {
	sqlite3 *sql = NULL;
	int rc = sqlite3_open_v2(target, &sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(sql, 1000);
		rc = sqlite3_exec(sql, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_exec(sql, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		int ret = db_errno(rc);
		if (ret == -EBUSY) {
			why_set(why, whysz, ret,
				"%s is in use (stop ctid first: systemctl --user stop ctid)", target);
		} else {
			why_set(why, whysz, ret, "could not lock %s: %s", target,
				sql != NULL ? sqlite3_errmsg(sql) : sqlite3_errstr(rc));
		}
		sqlite3_close(sql);
		return ret;
	}
	*out = sql;
	return 0;
}

/* Creates dir and the folders leading to it (mode 0700 for those created). */
static int make_dirs(const char *dir) {
	char path[4096];
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		return -ENAMETOOLONG;
	}
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0') {
			continue;
		}
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			return -errno;
		}
		*p = c;
		if (c == '\0') {
			return 0;
		}
	}
}

int db_restore(const char *target, const char *source, char *why, size_t whysz) {
	int ret = db_check_file(source, NULL, why, whysz);
	if (ret < 0) {
		return ret;
	}
	char *dir_copy = strdup(target);
	char *tmp = NULL, *before = NULL;
	if (dir_copy == NULL || asprintf(&tmp, "%s.restore-XXXXXX", target) < 0 ||
	    asprintf(&before, "%s.before-restore", target) < 0) {
		free(dir_copy);
		free(tmp);
		return -ENOMEM;
	}
	const char *dir = dirname(dir_copy);
	if ((ret = make_dirs(dir)) < 0) {
		why_set(why, whysz, ret, "could not create %s: %s", dir, strerror(-ret));
		goto out;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = why_set(why, whysz, -errno, "could not create a file next to %s: %s", target,
			      strerror(errno));
		goto out;
	}
	fchmod(fd, 0600);
	close(fd);
	ret = copy_database(source, tmp, why, whysz);
	if (ret == 0 && (ret = sync_path(tmp, false)) < 0) {
		why_set(why, whysz, ret, "could not sync %s: %s", tmp, strerror(-ret));
	}
	if (ret == 0) {
		ret = db_check_file(tmp, NULL, why, whysz);
	}
	sqlite3 *old = NULL;
	bool exists = access(target, F_OK) == 0;
	if (ret == 0 && exists) {
		ret = lock_target(target, &old, why, whysz);
		if (ret == -EBADMSG) {
			ret = 0; /* a broken database is what a restore is for */
			log_warn("%s is damaged; replacing it anyway", target);
		}
	}
	if (ret == 0 && exists) {
		ret = keep_old(target, before, why, whysz);
	}
	if (ret == 0 && rename(tmp, target) < 0) {
		ret = why_set(why, whysz, -errno, "could not put %s in place: %s", target,
			      strerror(errno));
	}
	if (ret == 0) {
		sync_path(dir, true);
		log_info("Restored %s from %s; the old one is %s", target, source, before);
	}
	if (old != NULL) {
		sqlite3_exec(old, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(old);
	}
	if (ret < 0) {
		unlink(tmp);
	}
out:
	free(dir_copy);
	free(tmp);
	free(before);
	return ret;
}
