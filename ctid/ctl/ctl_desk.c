/* ctidctl desk join|leave: make this machine a desk of another ctid. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "auth.h"
#include "config.h"
#include "ctl.h"

static const char desk_usage[] =
	"Usage:\n"
	"  ctidctl desk join URL [--user NAME] [--password-stdin] [--fingerprint FP]\n"
	"                        [--token-file FILE]\n"
	"  ctidctl desk leave [--token-file FILE]\n"
	"\n"
	"A desk shows the calls of the ctid at URL (the server with the modems)\n"
	"without a modem or a database of its own: start it with\n"
	"'ctid --connect URL' (or 'connect = URL' in ctid.conf).\n"
	"\n"
	"join logs in once as NAME (default: your Unix user) with the password\n"
	"(asked on a terminal, or the first line of standard input with\n"
	"--password-stdin), asks the server for a token of the desk's own and keeps\n"
	"it with the server's address in FILE (default ~/.config/ctid/desk.json,\n"
	"mode 0600); the password is not kept. A server whose certificate this\n"
	"system does not trust (a self-signed one) shows its SHA-256 fingerprint,\n"
	"to compare with what 'ctidctl status' prints on the server; it is asked\n"
	"whether to trust it (--fingerprint FP answers for a script) and the desk\n"
	"then accepts that certificate only: a changed one is refused.\n"
	"\n"
	"leave forgets the token (the server's admin revokes it with\n"
	"'ctidctl user token NAME --revoke').\n";

struct seen_cert {
	char fingerprint[128];
	const char *trusted; /* the fingerprint to accept, or NULL */
	bool untrusted;	     /* the system does not trust it */
};

static gboolean on_accept(SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors,
			  gpointer data) {
	struct seen_cert *s = data;
	auth_cert_fingerprint(cert, s->fingerprint, sizeof(s->fingerprint));
	s->untrusted = true;
	return s->trusted != NULL && g_ascii_strcasecmp(s->trusted, s->fingerprint) == 0;
}

/* Sends a request; returns the status (0: no answer, why in *err) and the
 * parsed body (free with json_node_unref). */
static guint send(SoupSession *session, struct seen_cert *cert, const char *method, const char *url,
		  const char *body, const char *csrf, JsonNode **out, GError **err) {
	SoupMessage *msg = soup_message_new(method, url);
	if (msg == NULL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s is not a URL", url);
		return 0;
	}
	g_signal_connect(msg, "accept-certificate", G_CALLBACK(on_accept), cert);
	if (body != NULL) {
		GBytes *b = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, "application/json", b);
		g_bytes_unref(b);
	}
	if (csrf != NULL) {
		soup_message_headers_replace(soup_message_get_request_headers(msg), "X-CSRF-Token",
					     csrf);
	}
	GBytes *bytes = soup_session_send_and_read(session, msg, NULL, err);
	guint status = bytes != NULL ? soup_message_get_status(msg) : 0;
	if (out != NULL) {
		*out = NULL;
		JsonParser *p = json_parser_new();
		if (bytes != NULL &&
		    json_parser_load_from_data(p, g_bytes_get_data(bytes, NULL),
					       (gssize)g_bytes_get_size(bytes), NULL) &&
		    json_parser_get_root(p) != NULL) {
			*out = json_node_copy(json_parser_get_root(p));
		}
		g_object_unref(p);
	}
	if (bytes != NULL) {
		g_bytes_unref(bytes);
	}
	g_object_unref(msg);
	return status;
}

static const char *member(JsonNode *n, const char *key) {
	if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n)) {
		return NULL;
	}
	JsonObject *o = json_node_get_object(n);
	return json_object_has_member(o, key) ? json_object_get_string_member(o, key) : NULL;
}

/* Writes the token file: a temporary file (0600) renamed into place. */
static int write_token_file(const char *path, const char *url, const char *user, const char *token,
			    const char *fingerprint) {
	char *dir = g_path_get_dirname(path);
	g_mkdir_with_parents(dir, 0700);
	g_free(dir);
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "url");
	json_builder_add_string_value(b, url);
	json_builder_set_member_name(b, "user");
	json_builder_add_string_value(b, user);
	json_builder_set_member_name(b, "token");
	json_builder_add_string_value(b, token);
	json_builder_set_member_name(b, "fingerprint");
	json_builder_add_string_value(b, fingerprint != NULL ? fingerprint : "");
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *json = json_to_string(root, TRUE);
	json_node_unref(root);
	g_object_unref(b);
	char *text = g_strconcat(json, "\n", NULL);
	g_free(json);
	int ret = atomic_file_put(path, text, strlen(text));
	g_free(text);
	return ret;
}

static int desk_join(struct ctl *ctl, const char *url_arg, const char *user, bool from_stdin,
		     const char *fingerprint, const char *token_file) {
	if (strncmp(url_arg, "http://", 7) != 0 && strncmp(url_arg, "https://", 8) != 0) {
		return ctl_usage_error("desk join", "URL is the server's page: https://HOST:PORT/");
	}
	size_t n = strlen(url_arg);
	char *url = url_arg[n - 1] == '/' ? g_strdup(url_arg) : g_strconcat(url_arg, "/", NULL);
	SoupSession *session = soup_session_new_with_options("timeout", 20, NULL);
	soup_session_add_feature_by_type(session, SOUP_TYPE_COOKIE_JAR);
	struct seen_cert cert = {.trusted = fingerprint};
	char *api = g_strconcat(url, "api/v1/", NULL);
	char *probe = g_strconcat(api, "openapi.json", NULL);
	GError *err = NULL;
	int status = CTL_ERROR;
	char *pw = NULL, *asked_user = NULL;
	JsonNode *answer = NULL;
	guint code = send(session, &cert, "GET", probe, NULL, NULL, NULL, &err);
	if (code == 0 && cert.untrusted && fingerprint == NULL && isatty(STDIN_FILENO)) {
		/* trust on first use: shown, and asked */
		printf("%s has a certificate this system does not trust. Its SHA-256 "
		       "fingerprint is\n  %s\n'ctidctl status' on the server shows the one it has. "
		       "Trust it? [y/N] ",
		       url, cert.fingerprint);
		fflush(stdout);
		if (ctl_answer_yes()) {
			cert.trusted = cert.fingerprint;
			g_clear_error(&err);
			code = send(session, &cert, "GET", probe, NULL, NULL, NULL, &err);
		} else {
			g_clear_error(&err);
			ctl_fail("not joined: the certificate was not trusted");
			goto out;
		}
	}
	if (code == 0) {
		if (cert.untrusted && fingerprint != NULL) {
			ctl_fail("%s shows the certificate %s, not %s; not joined", url,
				 cert.fingerprint, fingerprint);
		} else if (cert.untrusted) {
			ctl_fail("%s has a certificate this system does not trust (fingerprint %s); "
				 "give --fingerprint to trust it",
				 url, cert.fingerprint);
		} else {
			ctl_fail("cannot reach %s: %s", url,
				 err != NULL ? err->message : "no answer");
		}
		goto out;
	}
	if (user == NULL) {
		struct passwd *p = getpwuid(getuid());
		const char *me = p != NULL ? p->pw_name : "";
		if (isatty(STDIN_FILENO) && !from_stdin) {
			char prompt[160];
			snprintf(prompt, sizeof(prompt), "User name on %s [%s]: ", url, me);
			asked_user = ctl_read_line(prompt);
		}
		user = asked_user != NULL && asked_user[0] ? asked_user : me;
	}
	if (from_stdin) {
		size_t cap = 0;
		if (getline(&pw, &cap, stdin) < 0) {
			ctl_fail("no password on standard input");
			goto out;
		}
		pw[strcspn(pw, "\r\n")] = '\0';
	} else if (isatty(STDIN_FILENO)) {
		char prompt[200];
		snprintf(prompt, sizeof(prompt), "Password of %s: ", user);
		pw = ctl_read_password(prompt);
	}
	if (pw == NULL) {
		ctl_fail("no password: give it on a terminal, or with --password-stdin");
		goto out;
	}
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "user");
	json_builder_add_string_value(b, user);
	json_builder_set_member_name(b, "password");
	json_builder_add_string_value(b, pw);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *login = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	explicit_bzero(pw, strlen(pw));
	char *login_url = g_strconcat(api, "login", NULL);
	code = send(session, &cert, "POST", login_url, login, NULL, &answer, &err);
	explicit_bzero(login, strlen(login));
	g_free(login);
	g_free(login_url);
	if (code != 200) {
		ctl_fail("%s did not log %s in: %s", url, user,
			 member(answer, "error") != NULL ? member(answer, "error")
			 : err != NULL			 ? err->message
							 : "no answer");
		goto out;
	}
	char *csrf = g_strdup(member(answer, "csrf"));
	json_node_unref(answer);
	answer = NULL;
	char *tokens_url = g_strconcat(api, "tokens", NULL);
	code = send(session, &cert, "POST", tokens_url, NULL, csrf, &answer, &err);
	g_free(tokens_url);
	char *logout_url = g_strconcat(api, "logout", NULL);
	send(session, &cert, "POST", logout_url, NULL, csrf, NULL, NULL);
	g_free(logout_url);
	g_free(csrf);
	const char *token = member(answer, "token");
	if (code != 201 || token == NULL) {
		ctl_fail("%s gave no token: %s", url,
			 member(answer, "error") != NULL ? member(answer, "error") : "no answer");
		goto out;
	}
	char *path = token_file != NULL ? g_strdup(token_file) : config_default_token_file();
	int ret = path != NULL ? write_token_file(path, url, user, token,
						  cert.untrusted ? cert.fingerprint : NULL)
			       : -ENOENT;
	if (ret < 0) {
		ctl_fail("could not write %s: %s", path != NULL ? path : "the token file",
			 strerror(-ret));
	} else {
		printf("This machine is a desk of %s, as %s (the token is in %s).\n"
		       "Start it: ctid --connect %s  (or connect = %s in ctid.conf)\n",
		       url, user, path, url, url);
		status = CTL_OK;
	}
	g_free(path);
out:
	if (answer != NULL) {
		json_node_unref(answer);
	}
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	free(asked_user);
	g_clear_error(&err);
	g_free(probe);
	g_free(api);
	g_free(url);
	g_object_unref(session);
	return status;
}

int ctl_desk(struct ctl *ctl, int argc, char *argv[]) {
	if (argc < 2 || ctl_help_asked(argc, argv)) {
		fputs(desk_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	enum { OPT_USER = 256, OPT_STDIN, OPT_FINGERPRINT, OPT_TOKEN_FILE };
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"user", required_argument, NULL, OPT_USER},
		{"password-stdin", no_argument, NULL, OPT_STDIN},
		{"fingerprint", required_argument, NULL, OPT_FINGERPRINT},
		{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
		{0},
	};
	const char *user = NULL, *fingerprint = NULL, *token_file = NULL;
	bool from_stdin = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case OPT_USER:
			user = optarg;
			break;
		case OPT_STDIN:
			from_stdin = true;
			break;
		case OPT_FINGERPRINT:
			fingerprint = optarg;
			break;
		case OPT_TOKEN_FILE:
			token_file = optarg;
			break;
		case 'h':
			fputs(desk_usage, stdout);
			return CTL_OK;
		default:
			fputs("Try 'ctidctl desk --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	if (strcmp(sub, "join") == 0) {
		if (optind + 1 != argc) {
			return ctl_usage_error("desk join", "give the server's URL");
		}
		return desk_join(ctl, argv[optind], user, from_stdin, fingerprint, token_file);
	}
	if (strcmp(sub, "leave") == 0) {
		char *path = token_file != NULL ? g_strdup(token_file) : config_default_token_file();
		int ret = path != NULL && unlink(path) == 0 ? 0 : -errno;
		if (ret < 0) {
			ctl_fail("could not remove %s: %s", path != NULL ? path : "the token file",
				 strerror(-ret));
		} else {
			printf("Removed %s: this machine is no desk any more.\n", path);
		}
		g_free(path);
		return ret < 0 ? CTL_ERROR : CTL_OK;
	}
	return ctl_usage_error("desk", "unknown command '%s' (join or leave)", sub);
}
