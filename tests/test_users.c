/*
 * Users, roles and tokens on a real SQLite file, with the hashes of
 * ctid/auth.c: what the web page's logins and the API's tokens rest on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "tap.h"

static char tmpdir[] = "/tmp/ctid-test-users-XXXXXX";

struct seen {
	int64_t id;
	char name[80];
	char password[AUTH_HASH_MAX];
	char csrf[80];
	enum db_role role;
	enum db_token_kind kind;
	int count;
};

static int see_user(const struct db_user *u, void *data) {
	struct seen *s = data;
	s->id = u->id;
	snprintf(s->name, sizeof(s->name), "%s", u->name);
	snprintf(s->password, sizeof(s->password), "%s", u->password ? u->password : "");
	s->role = u->role;
	s->count++;
	return 0;
}

static int see_token(const struct db_token *t, void *data) {
	struct seen *s = data;
	see_user(&t->user, s);
	s->kind = t->kind;
	snprintf(s->csrf, sizeof(s->csrf), "%s", t->csrf ? t->csrf : "");
	return 0;
}

static void test_names(void) {
	ok(db_user_name_valid("anna"), "a plain name is valid");
	ok(db_user_name_valid("anna.k_2@shop-1"), "dots, underscores, @ and dashes are valid");
	ok(!db_user_name_valid(""), "an empty name is not");
	ok(!db_user_name_valid("-rf"), "a name starting with a dash is not (it reads as an option)");
	ok(!db_user_name_valid("an na"), "a space is not");
	ok(!db_user_name_valid("ánna"), "non-ASCII is not");
	ok(!db_user_name_valid("<script>"), "markup is not");
	char long_name[DB_USER_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[DB_USER_NAME_MAX] = '\0';
	ok(db_user_name_valid(long_name), "%d characters are valid", DB_USER_NAME_MAX);
	long_name[DB_USER_NAME_MAX] = 'a';
	long_name[DB_USER_NAME_MAX + 1] = '\0';
	ok(!db_user_name_valid(long_name), "%d are not", DB_USER_NAME_MAX + 1);
	enum db_role r;
	ok(db_role_parse("manager", &r) == 0 && r == DB_ROLE_MANAGER, "roles parse");
	is_int(db_role_parse("root", &r), -EINVAL, "an unknown role is refused");
	is_str(db_role_str(DB_ROLE_ADMIN), "admin", "roles print");
}

static void test_passwords(void) {
	const char *why = NULL;
	is_int(auth_password_check("short", &why), -EINVAL, "a 5-character password is refused");
	ok(why != NULL && strstr(why, "8 characters") != NULL, "saying how long it must be");
	is_int(auth_password_check("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", &why), -EINVAL,
	       "a password that is not UTF-8 is refused");
	char huge[AUTH_PASSWORD_MAX + 2];
	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	is_int(auth_password_check(huge, &why), -EMSGSIZE, "a longer password is refused, not cut");
	is_int(auth_password_check("ключ-шкаф", &why), 0, "8 characters of Cyrillic are enough");

	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];
	is_int(auth_password_hash("correct horse", h1, sizeof(h1)), 0, "a password hashes");
	ok(strncmp(h1, "$y$", 3) == 0, "with yescrypt (%s)", h1);
	ok(strstr(h1, "correct") == NULL, "the hash does not hold the password");
	is_int(auth_password_hash("correct horse", h2, sizeof(h2)), 0, "twice");
	ok(strcmp(h1, h2) != 0, "with a new salt each time");
	ok(auth_password_verify("correct horse", h1), "the password verifies");
	ok(auth_password_verify("correct horse", h2), "against either hash");
	ok(!auth_password_verify("correct horsE", h1), "a wrong one does not");
	ok(!auth_password_verify("", h1), "nor an empty one");
	ok(!auth_password_verify("correct horse", NULL), "no hash never verifies");
	ok(!auth_password_verify("correct horse", "correct horse"), "nor a password stored as text");
	ok(!auth_password_verify("", ""), "nor an empty hash");
}

static void test_tokens(void) {
	char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
	is_int(auth_token_new(t1), 0, "a token is made");
	is_int(auth_token_new(t2), 0, "and another");
	is_int((int64_t)strlen(t1), AUTH_TOKEN_LEN, "of %d hex digits", AUTH_TOKEN_LEN);
	ok(strspn(t1, "0123456789abcdef") == AUTH_TOKEN_LEN, "only hex digits");
	ok(strcmp(t1, t2) != 0, "two tokens differ");
	char d[AUTH_DIGEST_LEN + 1];
	auth_token_digest("abc", d);
	is_str(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "the digest is SHA-256 (FIPS 180-2's example)");
	ok(auth_equal("abc", "abc") && !auth_equal("abc", "abd") && !auth_equal("abc", "ab"),
	   "comparison in constant time still compares");
}

static void test_db_users(void) {
	char path[256];
	snprintf(path, sizeof(path), "%s/ctid.db", tmpdir);
	struct db *db = db_open(path, 0);
	ok(db != NULL, "database opens");
	if (db == NULL) {
		return;
	}
	int n = -1;
	is_int(db_user_count(db, &n), 0, "users count");
	is_int(n, 0, "none at first");

	char hash[AUTH_HASH_MAX];
	auth_password_hash("secret password", hash, sizeof(hash));
	int64_t anna = 0, boris = 0;
	is_int(db_user_add(db, "anna", DB_ROLE_SELLER, hash, &anna), 0, "a seller is added");
	is_int(db_user_add(db, "Anna", DB_ROLE_ADMIN, NULL, NULL), -EEXIST,
	       "a name taken in another case is refused");
	is_int(db_user_add(db, "bad name", DB_ROLE_ADMIN, NULL, NULL), -EINVAL,
	       "a bad name is refused");
	is_int(db_user_add(db, "boris", DB_ROLE_ADMIN, NULL, &boris), 0, "an admin without password");
	is_int(db_user_add(db, "eve", DB_ROLE_SELLER, "line\none", NULL), -EILSEQ,
	       "a hash with a line break is refused");

	struct seen s = {0};
	is_int(db_user_get(db, "ANNA", see_user, &s), 0, "a user is found in any case");
	is_str(s.name, "anna", "under the name given");
	ok(s.role == DB_ROLE_SELLER && s.id == anna, "with role and id");
	ok(auth_password_verify("secret password", s.password), "the stored hash verifies");
	is_int(db_user_get(db, "nobody", see_user, &s), -ENOENT, "an unknown user is not found");

	memset(&s, 0, sizeof(s));
	is_int(db_user_list(db, see_user, &s, &n), 0, "users are listed");
	is_int(n, 2, "both");
	is_str(s.name, "boris", "by name");

	is_int(db_user_set_role(db, "anna", DB_ROLE_MANAGER), 0, "a role changes");
	is_int(db_user_set_role(db, "nobody", DB_ROLE_MANAGER), -ENOENT, "not for nobody");
	auth_password_hash("another password", hash, sizeof(hash));
	is_int(db_user_set_password(db, "anna", hash), 0, "a password changes");
	memset(&s, 0, sizeof(s));
	db_user_get_id(db, anna, see_user, &s);
	ok(s.role == DB_ROLE_MANAGER && auth_password_verify("another password", s.password) &&
		   !auth_password_verify("secret password", s.password),
	   "the new role and password hold, the old password does not");

	/* tokens */
	char token[AUTH_TOKEN_LEN + 1], digest[AUTH_DIGEST_LEN + 1];
	auth_token_new(token);
	auth_token_digest(token, digest);
	is_int(db_token_add(db, anna, DB_TOKEN_SESSION, digest, "csrf-1", 2000000000, NULL), 0,
	       "a session is stored by its digest");
	is_int(db_token_add(db, anna, DB_TOKEN_API, digest, NULL, 0, NULL), -EEXIST,
	       "a digest is unique");
	is_int(db_token_add(db, 424242, DB_TOKEN_API, "d", NULL, 0, NULL), -ENOENT,
	       "a token of nobody is refused");
	memset(&s, 0, sizeof(s));
	is_int(db_token_find(db, digest, 1000000000, see_token, &s), 0, "the session is found");
	ok(s.kind == DB_TOKEN_SESSION && strcmp(s.name, "anna") == 0 && s.role == DB_ROLE_MANAGER,
	   "with its kind, user and role");
	is_str(s.csrf, "csrf-1", "and its CSRF token");
	is_int(db_token_find(db, digest, 2000000000, see_token, &s), -ENOENT, "not once it expired");
	is_int(db_token_find(db, token, 1000000000, see_token, &s), -ENOENT,
	       "the token itself is not what is stored");

	is_int(db_token_add(db, boris, DB_TOKEN_API, "api-1", NULL, 0, NULL), 0, "an API token");
	is_int(db_token_add(db, boris, DB_TOKEN_API, "api-2", NULL, 0, NULL), 0, "and another");
	is_int(db_token_find(db, "api-1", 4000000000, NULL, NULL), 0, "API tokens do not expire");
	n = 0;
	is_int(db_token_revoke(db, boris, DB_TOKEN_API, &n), 0, "a user's API tokens are revoked");
	is_int(n, 2, "both");
	is_int(db_token_find(db, "api-2", 1, NULL, NULL), -ENOENT, "and no longer found");
	db_token_add(db, boris, DB_TOKEN_SESSION, "here", "c1", 0, NULL);
	db_token_add(db, boris, DB_TOKEN_SESSION, "there", "c2", 0, NULL);
	db_token_add(db, boris, DB_TOKEN_API, "api-3", NULL, 0, NULL);
	is_int(db_token_revoke_except(db, boris, DB_TOKEN_SESSION, "here"), 0,
	       "a user's sessions but one are revoked");
	ok(db_token_find(db, "here", 1, NULL, NULL) == 0 &&
		   db_token_find(db, "there", 1, NULL, NULL) == -ENOENT &&
		   db_token_find(db, "api-3", 1, NULL, NULL) == 0,
	   "that one stays, the other goes, an API token stays");

	is_int(db_token_expire(db, 2000000001), 0, "expired tokens are deleted");
	is_int(db_token_delete(db, digest), -ENOENT, "so the session is gone");
	db_token_add(db, anna, DB_TOKEN_LINK, "link-1", NULL, 0, NULL);
	is_int(db_user_delete(db, "anna"), 0, "a user is deleted");
	is_int(db_token_find(db, "link-1", 1, NULL, NULL), -ENOENT, "with their tokens");
	is_int(db_user_delete(db, "anna"), -ENOENT, "once");
	db_close(db);
}

struct author_seen {
	char author[40], closed_by[40], handled_by[40], department[40], answered_by[40];
	bool outgoing;
};

static int see_note(const struct db_note *n, void *data) {
	struct author_seen *a = data;
	snprintf(a->author, sizeof(a->author), "%s", n->author ? n->author : "(none)");
	snprintf(a->closed_by, sizeof(a->closed_by), "%s", n->closed_by ? n->closed_by : "(none)");
	return 0;
}

static int see_call(const struct db_call *c, void *data) {
	struct author_seen *a = data;
	snprintf(a->handled_by, sizeof(a->handled_by), "%s",
		 c->handled_by ? c->handled_by : "(none)");
	snprintf(a->department, sizeof(a->department), "%s",
		 c->department ? c->department : "(none)");
	snprintf(a->answered_by, sizeof(a->answered_by), "%s",
		 c->answered_by ? c->answered_by : "(none)");
	a->outgoing = c->outgoing;
	return 0;
}

static void test_author(void) {
	char path[256];
	snprintf(path, sizeof(path), "%s/author.db", tmpdir);
	struct db *db = db_open(path, 0);
	if (db == NULL) {
		ok(false, "database opens");
		return;
	}
	struct db_contact c = {.name = "Ivan Petrov"};
	int64_t id = 0, note = 0, req = 0, call = 0, out = 0, anon = 0;
	db_contact_add(db, &c, &id);
	db_set_author(db, "anna");
	db_note_add(db, id, DB_NOTE_NOTE, "asked for black shoe cream", &note);
	db_note_add(db, id, DB_NOTE_REQUEST, "Generation P", &req);
	db_set_author(db, "boris");
	db_note_close(db, req);
	struct db_call k = {.started = 1000,
			    .number = "5551234",
			    .contact_id = id,
			    .state = DB_CALL_MISSED,
			    .department = "sales",
			    .answered_by = "12"};
	db_call_add(db, &k, &call);
	db_call_mark_handled(db, call, 2000);
	k.outgoing = true;
	k.department = NULL;
	db_call_add(db, &k, &out);
	db_set_author(db, "");
	k.outgoing = false;
	db_call_add(db, &k, &anon);
	db_call_mark_handled(db, anon, 2000);

	struct author_seen a = {0};
	db_note_get(db, note, see_note, &a);
	is_str(a.author, "anna", "a note records who wrote it");
	db_note_get(db, req, see_note, &a);
	is_str(a.author, "anna", "a request who asked for it");
	is_str(a.closed_by, "boris", "and who closed it");
	db_call_get(db, call, see_call, &a);
	is_str(a.handled_by, "boris", "a call records who handled it");
	is_str(a.department, "sales", "the department of its line");
	is_str(a.answered_by, "12", "and who answered");
	ok(!a.outgoing, "a received call is not outgoing");
	db_call_get(db, out, see_call, &a);
	ok(a.outgoing, "a call placed from the office is");
	is_str(a.department, "(none)", "without a department");
	db_call_get(db, anon, see_call, &a);
	is_str(a.handled_by, "(none)", "no author set: nobody is recorded");
	db_close(db);
}

int main(void) {
	log_init("test_users", LOG_WARN);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_names();
	test_passwords();
	test_tokens();
	test_db_users();
	test_author();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0) {
		tap_diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
