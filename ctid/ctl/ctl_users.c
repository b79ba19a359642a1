/* ctidctl user: who may use the web page and the API, and with what role. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"

static const char user_usage[] =
	"Usage:\n"
	"  ctidctl user add NAME --role seller|manager|admin [--password-stdin]\n"
	"  ctidctl user list\n"
	"  ctidctl user passwd NAME [--password-stdin]\n"
	"  ctidctl user role NAME seller|manager|admin\n"
	"  ctidctl user delete NAME\n"
	"  ctidctl user token NAME [--revoke]\n"
	"  ctidctl user extension NAME EXTENSION|none\n"
	"\n"
	"The people who may use ctid's web page and API. A seller works with\n"
	"contacts, notes, requests, reminders and calls; a manager also sees the\n"
	"report, exports and every user's activity; an admin also manages users,\n"
	"backups and settings. NAME is 1 to 64 letters, digits, '.', '_', '@'\n"
	"or '-'.\n"
	"\n"
	"add and passwd ask for the password twice on a terminal (at least 8\n"
	"characters); with --password-stdin they read it as the first line of\n"
	"standard input. It is stored as a yescrypt hash. passwd logs the user's\n"
	"browsers out.\n"
	"\n"
	"token prints a new API token for scripts and other desks (send it as\n"
	"'Authorization: Bearer TOKEN'); it is shown once and stored hashed.\n"
	"--revoke deletes every token of the user instead.\n"
	"\n"
	"extension is the phone the user's calls back ring first on a PBX ([ami]):\n"
	"an extension (22, with the technology of dial-channel) or a channel\n"
	"(PJSIP/22); none goes back to dial-channel.\n"
	"\n"
	"'ctidctl open' logs the desk's own Unix user in without a password; when\n"
	"there is no user yet, it makes that user the first admin.\n";

struct user_opts {
	const char *role;
	bool stdin_password, revoke;
};

static int parse(struct ctl *ctl, int argc, char *argv[], struct user_opts *o) {
	enum { OPT_ROLE = 256, OPT_STDIN, OPT_REVOKE };
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"role", required_argument, NULL, OPT_ROLE},
		{"password-stdin", no_argument, NULL, OPT_STDIN},
		{"revoke", no_argument, NULL, OPT_REVOKE},
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case OPT_ROLE:
			o->role = optarg;
			break;
		case OPT_STDIN:
			o->stdin_password = true;
			break;
		case OPT_REVOKE:
			o->revoke = true;
			break;
		case 'h':
			fputs(user_usage, stdout);
			return CTL_OK;
		default:
			fputs("Try 'ctidctl user --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	return -1;
}

/* Reads a new password (twice on a terminal) and hashes it into hash. */
static int new_password(const char *name, bool from_stdin, char hash[AUTH_HASH_MAX]) {
	char *pw = NULL;
	if (from_stdin) {
		size_t cap = 0;
		if (getline(&pw, &cap, stdin) < 0) {
			free(pw);
			return ctl_fail("no password on standard input");
		}
		pw[strcspn(pw, "\r\n")] = '\0';
	} else {
		if (!isatty(STDIN_FILENO)) {
			return ctl_fail("standard input is not a terminal: give the password with "
					"--password-stdin");
		}
		char prompt[120];
		snprintf(prompt, sizeof(prompt), "Password for %s: ", name);
		pw = ctl_read_password(prompt);
		char *again = pw != NULL ? ctl_read_password("Again: ") : NULL;
		if (again == NULL || strcmp(pw, again) != 0) {
			free(pw);
			free(again);
			return ctl_fail(again == NULL ? "no password given"
						      : "the two passwords differ; nothing changed");
		}
		free(again);
	}
	const char *why = NULL;
	int status = CTL_OK;
	if (auth_password_check(pw, &why) < 0) {
		status = ctl_fail("%s Nothing changed.", why);
	} else if (auth_password_hash(pw, hash, AUTH_HASH_MAX) < 0) {
		status = ctl_fail("could not hash the password");
	}
	explicit_bzero(pw, strlen(pw));
	free(pw);
	return status;
}

static bool check_name(const char *name) {
	if (!db_user_name_valid(name)) {
		ctl_fail("'%s' cannot be a user's name (1 to 64 letters, digits, '.', '_', '@' "
			 "or '-', not starting with '-')",
			 name);
		return false;
	}
	return true;
}

static int user_add(struct ctl *ctl, const char *name, const struct user_opts *o) {
	enum db_role role;
	if (o->role == NULL || db_role_parse(o->role, &role) < 0) {
		return ctl_usage_error("user add", "--role must be seller, manager or admin");
	}
	if (!check_name(name) || ctl_db(ctl) == NULL) {
		return CTL_ERROR;
	}
	if (db_user_get(ctl->db, name, NULL, NULL) == 0) {
		return ctl_fail("there is a user %s already", name);
	}
	char hash[AUTH_HASH_MAX];
	int status = new_password(name, o->stdin_password, hash);
	if (status != CTL_OK) {
		return status;
	}
	int ret = db_user_add(ctl->db, name, role, hash, NULL);
	if (ret == -EEXIST) {
		return ctl_fail("there is a user %s already", name);
	}
	if (ret < 0) {
		return ctl_fail("could not add %s: %s", name, strerror(-ret));
	}
	if (!ctl->json) {
		printf("Added %s, %s\n", name, db_role_str(role));
	}
	return CTL_OK;
}

struct list_state {
	struct ctl *ctl;
	struct json_writer w;
	struct table t;
};

static int list_one(const struct db_user *u, void *data) {
	struct list_state *st = data;
	if (st->ctl->json) {
		jsonout_user(&st->w, u);
		return 0;
	}
	char created[32];
	output_time(u->created, created, sizeof(created));
	const char *row[] = {u->name, db_role_str(u->role), created,
			     u->password != NULL ? "yes" : "no (ctidctl open only)",
			     u->extension != NULL ? u->extension : ""};
	table_add(&st->t, row);
	return 0;
}

static int user_list(struct ctl *ctl) {
	if (ctl_db(ctl) == NULL) {
		return CTL_ERROR;
	}
	struct list_state st = {.ctl = ctl};
	static const char *const headers[] = {"NAME", "ROLE", "SINCE", "PASSWORD", "EXTENSION"};
	table_init(&st.t, 5, headers);
	json_init(&st.w, stdout);
	if (ctl->json) {
		json_array_begin(&st.w);
	}
	int n = 0;
	int ret = db_user_list(ctl->db, list_one, &st, &n);
	if (ctl->json) {
		json_array_end(&st.w);
		putchar('\n');
	} else if (n > 0) {
		table_print(&st.t, stdout);
	} else {
		puts("No users yet: 'ctidctl open' makes you the first (an admin), or "
		     "'ctidctl user add NAME --role admin'.");
	}
	table_finish(&st.t);
	return ret < 0 ? ctl_fail("could not list the users: %s", strerror(-ret)) : CTL_OK;
}

static int take_id(const struct db_user *u, void *data) {
	*(int64_t *)data = u->id;
	return 0;
}

/* The id of user name; prints why there is none. */
static int find(struct ctl *ctl, const char *name, int64_t *id) {
	if (!check_name(name) || ctl_db(ctl) == NULL) {
		return CTL_ERROR;
	}
	int ret = db_user_get(ctl->db, name, take_id, id);
	if (ret == -ENOENT) {
		return ctl_fail("there is no user %s ('ctidctl user list')", name);
	}
	return ret < 0 ? ctl_fail("could not read the users: %s", strerror(-ret)) : CTL_OK;
}

static int user_passwd(struct ctl *ctl, const char *name, const struct user_opts *o) {
	int64_t id;
	int status = find(ctl, name, &id);
	char hash[AUTH_HASH_MAX];
	if (status == CTL_OK) {
		status = new_password(name, o->stdin_password, hash);
	}
	if (status != CTL_OK) {
		return status;
	}
	int ret = db_begin(ctl->db);
	if (ret == 0) {
		ret = db_user_set_password(ctl->db, name, hash);
	}
	if (ret == 0) {
		ret = db_token_revoke(ctl->db, id, DB_TOKEN_SESSION, NULL);
	}
	if (ret == 0) {
		ret = db_commit(ctl->db);
	} else {
		db_rollback(ctl->db);
	}
	return ret < 0 ? ctl_fail("could not change the password: %s", strerror(-ret)) : CTL_OK;
}

static int count_admins(const struct db_user *u, void *data) {
	*(int *)data += u->role == DB_ROLE_ADMIN;
	return 0;
}

static int role_of(const struct db_user *u, void *data) {
	*(enum db_role *)data = u->role;
	return 0;
}

/* Refuses to take the admin role from the last admin. */
static int keep_an_admin(struct ctl *ctl, const char *name) {
	int admins = 0;
	enum db_role role = DB_ROLE_SELLER;
	db_user_list(ctl->db, count_admins, &admins, NULL);
	db_user_get(ctl->db, name, role_of, &role);
	if (role == DB_ROLE_ADMIN && admins == 1) {
		return ctl_fail("%s is the last admin; make another admin first", name);
	}
	return CTL_OK;
}

static int user_role(struct ctl *ctl, const char *name, const char *role_name) {
	enum db_role role;
	if (db_role_parse(role_name, &role) < 0) {
		return ctl_usage_error("user role", "the role must be seller, manager or admin");
	}
	int64_t id;
	int status = find(ctl, name, &id);
	if (status == CTL_OK && role != DB_ROLE_ADMIN) {
		status = keep_an_admin(ctl, name);
	}
	if (status != CTL_OK) {
		return status;
	}
	int ret = db_user_set_role(ctl->db, name, role);
	return ret < 0 ? ctl_fail("could not change the role: %s", strerror(-ret)) : CTL_OK;
}

static int user_extension(struct ctl *ctl, const char *name, const char *extension) {
	int64_t id;
	int status = find(ctl, name, &id);
	if (status != CTL_OK) {
		return status;
	}
	int ret = db_user_set_extension(ctl->db, name,
					strcmp(extension, "none") == 0 ? NULL : extension);
	if (ret == -EINVAL) {
		return ctl_usage_error("user extension",
				       "'%s' is not an extension (22) or a channel (PJSIP/22)",
				       extension);
	}
	return ret < 0 ? ctl_fail("could not set the extension: %s", strerror(-ret)) : CTL_OK;
}

static int user_delete(struct ctl *ctl, const char *name) {
	int64_t id;
	int status = find(ctl, name, &id);
	if (status == CTL_OK) {
		status = keep_an_admin(ctl, name);
	}
	if (status != CTL_OK) {
		return status;
	}
	int ret = db_user_delete(ctl->db, name);
	return ret < 0 ? ctl_fail("could not delete %s: %s", name, strerror(-ret)) : CTL_OK;
}

static int user_token(struct ctl *ctl, const char *name, const struct user_opts *o) {
	int64_t id;
	int status = find(ctl, name, &id);
	if (status != CTL_OK) {
		return status;
	}
	if (o->revoke) {
		int n = 0;
		int ret = db_token_revoke(ctl->db, id, DB_TOKEN_API, &n);
		if (ret < 0) {
			return ctl_fail("could not revoke: %s", strerror(-ret));
		}
		fprintf(ctl->json ? stderr : stdout, "Revoked %d token%s of %s\n", n,
			n == 1 ? "" : "s", name);
		return CTL_OK;
	}
	char token[AUTH_TOKEN_LEN + 1], digest[AUTH_DIGEST_LEN + 1];
	int ret = auth_token_new(token);
	if (ret == 0) {
		auth_token_digest(token, digest);
		ret = db_token_add(ctl->db, id, DB_TOKEN_API, digest, NULL, 0, NULL);
	}
	if (ret < 0) {
		return ctl_fail("could not make a token: %s", strerror(-ret));
	}
	if (ctl->json) {
		printf("{\"user\":\"%s\",\"token\":\"%s\"}\n", name, token);
	} else {
		puts(token);
	}
	return CTL_OK;
}

int ctl_user(struct ctl *ctl, int argc, char *argv[]) {
	if (argc < 2 || ctl_help_asked(argc, argv)) {
		fputs(user_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	const char *sub = argv[1];
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "user %s", sub);
	argc--;
	argv++;
	struct user_opts o = {0};
	int status = parse(ctl, argc, argv, &o);
	if (status >= 0) {
		return status;
	}
	int args = argc - optind;
	const char *name = args > 0 ? argv[optind] : NULL;
	bool list = strcmp(sub, "list") == 0;
	bool role = strcmp(sub, "role") == 0, extension = strcmp(sub, "extension") == 0;
	if (list ? args != 0 : role || extension ? args != 2 : args != 1) {
		return ctl_usage_error(cmd, list	? "takes no arguments"
					    : role	? "give the NAME and the ROLE"
					    : extension ? "give the NAME and the EXTENSION (or none)"
							: "give exactly one NAME");
	}
	if (o.role != NULL && strcmp(sub, "add") != 0) {
		return ctl_usage_error(cmd, "--role is for 'user add' ('user role NAME ROLE')");
	}
	if (o.stdin_password && strcmp(sub, "add") != 0 && strcmp(sub, "passwd") != 0) {
		return ctl_usage_error(cmd, "--password-stdin is for 'user add' and 'user passwd'");
	}
	if (o.revoke && strcmp(sub, "token") != 0) {
		return ctl_usage_error(cmd, "--revoke is for 'user token'");
	}
	if (strcmp(sub, "add") == 0) {
		return user_add(ctl, name, &o);
	} else if (list) {
		return user_list(ctl);
	} else if (strcmp(sub, "passwd") == 0) {
		return user_passwd(ctl, name, &o);
	} else if (role) {
		return user_role(ctl, name, argv[optind + 1]);
	} else if (strcmp(sub, "delete") == 0) {
		return user_delete(ctl, name);
	} else if (strcmp(sub, "token") == 0) {
		return user_token(ctl, name, &o);
	} else if (extension) {
		return user_extension(ctl, name, argv[optind + 1]);
	}
	return ctl_usage_error("user", "unknown command '%s'", sub);
}
