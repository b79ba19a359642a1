/*
 * Users and their tokens. Only hashes are stored: the caller hashes a
 * password (slowly, with a salt) or a token (SHA-256: tokens are long and
 * random) before it reaches this file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db_private.h"

static const char *const role_names[] = {
	[DB_ROLE_SELLER] = "seller",
	[DB_ROLE_MANAGER] = "manager",
	[DB_ROLE_ADMIN] = "admin",
};

static const char *const token_kinds[] = {
	[DB_TOKEN_API] = "api",
	[DB_TOKEN_SESSION] = "session",
	[DB_TOKEN_LINK] = "link",
};

const char *db_role_str(enum db_role role) {
	return role <= DB_ROLE_ADMIN ? role_names[role] : "seller";
}

int db_role_parse(const char *s, enum db_role *out) {
	for (int r = DB_ROLE_SELLER; s != NULL && r <= DB_ROLE_ADMIN; r++) {
		if (strcmp(s, role_names[r]) == 0) {
			*out = (enum db_role)r;
			return 0;
		}
	}
	return -EINVAL;
}

bool db_user_name_valid(const char *name) {
	if (name == NULL || name[0] == '\0' || name[0] == '-') {
		return false;
	}
	size_t n = 0;
	for (const char *p = name; *p != '\0'; p++, n++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' || c == '-';
		if (!ok || n >= DB_USER_NAME_MAX) {
			return false;
		}
	}
	return true;
}

static void user_row(sqlite3_stmt *s, int col, struct db_user *u) {
	u->id = sqlite3_column_int64(s, col);
	u->name = db_column_text(s, col + 1);
	u->role = DB_ROLE_SELLER;
	db_role_parse(db_column_text(s, col + 2), &u->role);
	u->password = db_column_text(s, col + 3);
	u->created = sqlite3_column_int64(s, col + 4);
	u->extension = db_column_text(s, col + 5);
}

struct user_walk {
	db_user_fn fn;
	void *data;
};

static int user_walk_row(sqlite3_stmt *s, void *data) {
	struct user_walk *w = data;
	struct db_user u;
	user_row(s, 0, &u);
	return w->fn != NULL ? w->fn(&u, w->data) : 0;
}

static int walk_users(struct db *db, sqlite3_stmt *s, db_user_fn fn, void *data, int *count) {
	struct user_walk w = {fn, data};
	return db_walk(db, s, user_walk_row, &w, count);
}

static int check_password(const char *password) {
	if (password == NULL) {
		return 0;
	}
	/* a hash is one line of printable ASCII */
	return db_check_text(password, DB_NAME_MAX, false);
}

int db_user_add(struct db *db, const char *name, enum db_role role, const char *password,
		int64_t *id) {
	if (!db_user_name_valid(name) || role > DB_ROLE_ADMIN) {
		return -EINVAL;
	}
	int bad = check_password(password);
	if (bad < 0) {
		return bad;
	}
	sqlite3_stmt *s = db_stmt(db, STMT_USER_INSERT);
	if (s == NULL) {
		return -errno;
	}
	db_bind_text(s, 1, name);
	db_bind_text(s, 2, role_names[role]);
	db_bind_text(s, 3, password);
	sqlite3_bind_int64(s, 4, db_now());
	int ret = db_exec_stmt(db, s);
	if (ret == 0 && id != NULL) {
		*id = sqlite3_last_insert_rowid(db->sql);
	}
	return ret;
}

int db_user_get(struct db *db, const char *name, db_user_fn fn, void *data) {
	if (name == NULL) {
		return -ENOENT;
	}
	sqlite3_stmt *s = db_stmt(db, STMT_USER_GET);
	if (s == NULL) {
		return -errno;
	}
	db_bind_text(s, 1, name);
	int count = 0;
	int ret = walk_users(db, s, fn, data, &count);
	return ret == 0 && count == 0 ? -ENOENT : ret;
}

int db_user_get_id(struct db *db, int64_t id, db_user_fn fn, void *data) {
	sqlite3_stmt *s = db_stmt(db, STMT_USER_GET_ID);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, id);
	int count = 0;
	int ret = walk_users(db, s, fn, data, &count);
	return ret == 0 && count == 0 ? -ENOENT : ret;
}

int db_user_list(struct db *db, db_user_fn fn, void *data, int *count) {
	sqlite3_stmt *s = db_stmt(db, STMT_USER_LIST);
	if (s == NULL) {
		return -errno;
	}
	return walk_users(db, s, fn, data, count);
}

static int count_row(sqlite3_stmt *s, void *data) {
	*(int *)data = sqlite3_column_int(s, 0);
	return 0;
}

int db_user_count(struct db *db, int *count) {
	sqlite3_stmt *s = db_stmt(db, STMT_USER_COUNT);
	if (s == NULL) {
		return -errno;
	}
	*count = 0;
	return db_walk(db, s, count_row, count, NULL);
}

static int user_change(struct db *db, enum db_stmt id, const char *name, const char *value) {
	if (name == NULL) {
		return -ENOENT;
	}
	sqlite3_stmt *s = db_stmt(db, id);
	if (s == NULL) {
		return -errno;
	}
	db_bind_text(s, 1, name);
	if (value != NULL) {
		db_bind_text(s, 2, value);
	}
	return db_exec_change(db, s);
}

int db_user_set_password(struct db *db, const char *name, const char *password) {
	int bad = check_password(password);
	if (bad < 0) {
		return bad;
	}
	return user_change(db, STMT_USER_PASSWORD, name, password);
}

int db_user_set_role(struct db *db, const char *name, enum db_role role) {
	if (role > DB_ROLE_ADMIN) {
		return -EINVAL;
	}
	return user_change(db, STMT_USER_ROLE, name, role_names[role]);
}

int db_user_set_extension(struct db *db, const char *name, const char *extension) {
	if (extension != NULL) {
		size_t n = strlen(extension);
		if (n == 0 || n > 64 ||
		    strspn(extension,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.@:-") !=
			    n) {
			return -EINVAL;
		}
	}
	return user_change(db, STMT_USER_EXTENSION, name, extension);
}

int db_user_delete(struct db *db, const char *name) {
	return user_change(db, STMT_USER_DELETE, name, NULL);
}

int db_token_add(struct db *db, int64_t user, enum db_token_kind kind, const char *hash,
		 const char *csrf, int64_t expires, int64_t *id) {
	if (hash == NULL || hash[0] == '\0' || kind > DB_TOKEN_LINK) {
		return -EINVAL;
	}
	sqlite3_stmt *s = db_stmt(db, STMT_TOKEN_INSERT);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, user);
	db_bind_text(s, 2, token_kinds[kind]);
	db_bind_text(s, 3, hash);
	db_bind_text(s, 4, csrf);
	sqlite3_bind_int64(s, 5, db_now());
	if (expires > 0) {
		sqlite3_bind_int64(s, 6, expires);
	}
	int ret = db_exec_stmt(db, s);
	if (ret == -EEXIST && db_user_get_id(db, user, NULL, NULL) == -ENOENT) {
		return -ENOENT;
	}
	if (ret == 0 && id != NULL) {
		*id = sqlite3_last_insert_rowid(db->sql);
	}
	return ret;
}

struct token_walk {
	db_token_fn fn;
	void *data;
};

static int token_row(sqlite3_stmt *s, void *data) {
	struct token_walk *w = data;
	struct db_token t = {
		.id = sqlite3_column_int64(s, 0),
		.kind = DB_TOKEN_API,
		.csrf = db_column_text(s, 2),
		.created = sqlite3_column_int64(s, 3),
		.expires = sqlite3_column_int64(s, 4),
	};
	const char *kind = db_column_text(s, 1);
	for (int k = DB_TOKEN_API; kind != NULL && k <= DB_TOKEN_LINK; k++) {
		if (strcmp(kind, token_kinds[k]) == 0) {
			t.kind = (enum db_token_kind)k;
		}
	}
	user_row(s, 5, &t.user);
	return w->fn != NULL ? w->fn(&t, w->data) : 0;
}

int db_token_find(struct db *db, const char *hash, int64_t now, db_token_fn fn, void *data) {
	if (hash == NULL) {
		return -ENOENT;
	}
	sqlite3_stmt *s = db_stmt(db, STMT_TOKEN_FIND);
	if (s == NULL) {
		return -errno;
	}
	db_bind_text(s, 1, hash);
	sqlite3_bind_int64(s, 2, now);
	struct token_walk w = {fn, data};
	int count = 0;
	int ret = db_walk(db, s, token_row, &w, &count);
	return ret == 0 && count == 0 ? -ENOENT : ret;
}

int db_token_delete(struct db *db, const char *hash) {
	return user_change(db, STMT_TOKEN_DELETE, hash, NULL);
}

static int revoke(struct db *db, int64_t user, enum db_token_kind kind, const char *keep, int *count) {
	if (kind > DB_TOKEN_LINK) {
		return -EINVAL;
	}
	sqlite3_stmt *s = db_stmt(db, STMT_TOKEN_REVOKE);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, user);
	db_bind_text(s, 2, token_kinds[kind]);
	db_bind_text(s, 3, keep);
	int ret = db_exec_stmt(db, s);
	if (ret == 0 && count != NULL) {
		*count = sqlite3_changes(db->sql);
	}
	return ret;
}

int db_token_revoke(struct db *db, int64_t user, enum db_token_kind kind, int *count) {
	return revoke(db, user, kind, NULL, count);
}

int db_token_revoke_except(struct db *db, int64_t user, enum db_token_kind kind, const char *keep) {
	return keep != NULL ? revoke(db, user, kind, keep, NULL) : -EINVAL;
}

struct hash_walk {
	int (*fn)(const char *hash, void *data);
	void *data;
};

static int hash_row(sqlite3_stmt *s, void *data) {
	struct hash_walk *w = data;
	return w->fn(db_column_text(s, 0), w->data);
}

int db_token_hashes(struct db *db, int64_t now, int (*fn)(const char *hash, void *data), void *data) {
	sqlite3_stmt *s = db_stmt(db, STMT_TOKEN_HASHES);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, now);
	struct hash_walk w = {fn, data};
	return db_walk(db, s, hash_row, &w, NULL);
}

int db_token_expire(struct db *db, int64_t now) {
	sqlite3_stmt *s = db_stmt(db, STMT_TOKEN_EXPIRE);
	if (s == NULL) {
		return -errno;
	}
	sqlite3_bind_int64(s, 1, now);
	return db_exec_stmt(db, s);
}
