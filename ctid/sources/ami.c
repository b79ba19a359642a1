/* A PBX's manager interface followed over the network: netline's lines
 * through the parser, a login each time it connects. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ami.h"
#include "log.h"
#include "netline.h"

/* A manager that has not answered the login by then is not working (it
 * answers at once, or after 1 s when the secret is wrong). */
#define LOGIN_TIMEOUT_S 10

struct ami {
	struct ami_parser *parser;
	struct netline *net;
	ami_call_fn fn;
	void *data;
	char *user;
	char *secret;
	char *where; /* HOST:PORT, for the log */
	bool logged_in;
	guint login_timer;
	bool refused_logged; /* a refused login was logged; quiet until one succeeds */
};

static int64_t now_wall(void) {
	return g_get_real_time() / 1000;
}

static void on_line(const char *s, size_t len, void *data) {
	struct ami *a = data;
	ami_parser_line(a->parser, s, len, now_wall());
}

static void stop_login_timer(struct ami *a) {
	if (a->login_timer != 0) {
		g_source_remove(a->login_timer);
		a->login_timer = 0;
	}
}

static gboolean login_timeout_cb(gpointer data) {
	struct ami *a = data;
	a->login_timer = 0;
	if (!a->refused_logged) {
		log_error("The Asterisk manager at %s did not answer the login of %s within %d s; "
			  "trying again",
			  a->where, a->user, LOGIN_TIMEOUT_S);
		a->refused_logged = true;
	}
	netline_reconnect(a->net, "no answer to the login");
	return G_SOURCE_REMOVE;
}

/* Logs in, asking for the call events only. */
static void on_up(void *data) {
	struct ami *a = data;
	a->logged_in = false;
	stop_login_timer(a);
	a->login_timer = g_timeout_add_seconds(LOGIN_TIMEOUT_S, login_timeout_cb, a);
	char *login = g_strdup_printf("Action: Login\r\nUsername: %s\r\nSecret: %s\r\n"
				      "Events: call\r\n\r\n",
				      a->user, a->secret);
	netline_write(a->net, login, strlen(login));
	explicit_bzero(login, strlen(login));
	g_free(login);
}

static void on_down(void *data) {
	struct ami *a = data;
	a->logged_in = false;
	stop_login_timer(a);
	ami_parser_finish(a->parser, now_wall());
}

static void on_response(bool success, const char *message, void *data) {
	struct ami *a = data;
	if (a->logged_in) {
		/* after the login only Originate is asked for */
		if (success) {
			log_info("The Asterisk manager at %s: %s", a->where,
				 message[0] ? message : "dialling");
		} else {
			log_warn("The Asterisk manager at %s would not dial: %s", a->where,
				 message[0] ? message : "no reason given");
		}
		return;
	}
	stop_login_timer(a);
	if (success) {
		a->logged_in = true;
		a->refused_logged = false;
		netline_good(a->net);
		log_info("Logged in to the Asterisk manager at %s as %s", a->where, a->user);
	} else if (!a->refused_logged) {
		/* Asterisk closes the connection after this; netline tries again */
		log_error("The Asterisk manager at %s refused the login of %s: %s (check user and "
			  "secret-file, and that manager.conf gives the user read = call)",
			  a->where, a->user, message[0] ? message : "no reason given");
		a->refused_logged = true;
	}
}

static void on_call(const struct call_info *call, enum call_change change, void *data) {
	struct ami *a = data;
	a->fn(call, change, a->data);
}

static const struct netline_listener net_listener = {
	.line = on_line,
	.up = on_up,
	.down = on_down,
};

static const struct ami_listener parser_listener = {
	.call = on_call,
	.response = on_response,
};

struct ami *ami_create(const struct ami_options *opts, ami_call_fn fn, void *data) {
	struct ami *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return NULL;
	}
	a->fn = fn;
	a->data = data;
	int port = opts->port > 0 ? opts->port
		   : opts->tls	  ? AMI_DEFAULT_TLS_PORT
				  : AMI_DEFAULT_PORT;
	a->user = strdup(opts->user != NULL ? opts->user : "");
	a->secret = strdup(opts->secret != NULL ? opts->secret : "");
	a->where = g_strdup_printf(strchr(opts->host, ':') ? "[%s]:%d" : "%s:%d", opts->host, port);
	struct ami_parser_options po = {
		.line = opts->line,
		.contexts = opts->contexts,
		.trunks = opts->trunks,
	};
	a->parser = ami_parser_create(&po, &parser_listener, a);
	struct netline_options no = {
		.host = opts->host,
		.port = port,
		.what = "Asterisk manager interface",
		.refused_hint =
			opts->tls ? "is TLS on? tlsenable = yes in manager.conf"
				  : "is the manager interface on? enabled = yes in manager.conf",
		.retry_min_ms = opts->retry_min_ms,
		.tls = opts->tls,
		.tls_ca = opts->tls_ca,
	};
	if (a->user != NULL && a->secret != NULL && a->parser != NULL) {
		a->net = netline_create(&no, &net_listener, a);
	}
	if (a->net == NULL) {
		int err = errno != 0 ? errno : ENOMEM;
		ami_destroy(a);
		errno = err;
		return NULL;
	}
	return a;
}

void ami_destroy(struct ami *a) {
	if (a == NULL) {
		return;
	}
	stop_login_timer(a);
	netline_destroy(a->net);
	if (a->parser != NULL) {
		ami_parser_finish(a->parser, now_wall());
	}
	ami_parser_destroy(a->parser);
	free(a->user);
	if (a->secret != NULL) {
		explicit_bzero(a->secret, strlen(a->secret));
		free(a->secret);
	}
	g_free(a->where);
	free(a);
}

/* Whether s is made of the characters of a channel or context name. */
static bool word_ok(const char *s) {
	if (s == NULL || s[0] == '\0' || strlen(s) > 80) {
		return false;
	}
	for (const char *p = s; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("-_./@", *p) == NULL) {
			return false;
		}
	}
	return true;
}

int ami_originate(struct ami *a, const char *channel, const char *context, const char *number) {
	bool digits = number != NULL && number[0] != '\0' && strlen(number) < 40;
	for (const char *p = number; digits && *p != '\0'; p++) {
		digits = g_ascii_isdigit(*p) || (*p == '+' && p == number);
	}
	if (!digits || !word_ok(channel) || !word_ok(context)) {
		return -EINVAL;
	}
	if (!a->logged_in) {
		return -ENOTCONN;
	}
	char *action = g_strdup_printf("Action: Originate\r\nChannel: %s\r\nContext: %s\r\n"
				       "Exten: %s\r\nPriority: 1\r\nAsync: true\r\n\r\n",
				       channel, context, number);
	int ret = netline_write(a->net, action, strlen(action));
	g_free(action);
	return ret;
}

bool ami_logged_in(const struct ami *a) {
	return a != NULL && a->logged_in;
}

int ami_read_secret(const char *path, char *out, size_t outsz, char *why, size_t whysz) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = errno;
		snprintf(why, whysz, "%s", strerror(err));
		if (fd >= 0) {
			close(fd);
		}
		return -err;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		close(fd);
		snprintf(why, whysz,
			 "others than its owner can read it (mode %03o); chmod 600 it, as it holds "
			 "a password",
			 (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	ssize_t n = read(fd, out, outsz - 1);
	int err = errno;
	close(fd);
	if (n < 0) {
		snprintf(why, whysz, "%s", strerror(err));
		return -err;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (out[0] == '\0') {
		snprintf(why, whysz, "it is empty");
		return -EINVAL;
	}
	return 0;
}
