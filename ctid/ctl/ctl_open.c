/* ctidctl open: the web page in the browser, already logged in. */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "browser.h"
#include "config.h"
#include "ctl.h"

static const char open_usage[] =
	"Usage: ctidctl open [CONTACT] [--note] [--new NUMBER] [--print] [--system]\n"
	"                    [--url URL]\n"
	"\n"
	"Opens ctid's web page in the browser, logged in as you (your Unix user)\n"
	"with a one-time link that works for two minutes. With CONTACT, at their\n"
	"card (--note: with the box for a new note); with --new NUMBER, at the form\n"
	"for a new contact with that number. When there is no user of the web page\n"
	"yet, you become the first, an admin; when there are users but you are not\n"
	"one, the page asks for a password.\n"
	"\n"
	"The page's address is asked of the running ctid over D-Bus (--system:\n"
	"the system bus), else taken from ctid.conf's listen (default\n"
	"http://127.0.0.1:8733/); --url gives it. --print prints the link\n"
	"instead of opening it. The browser is $BROWSER, else the desktop's.\n";

/* The page's address from the settings, when ctid cannot be asked. */
static char *url_from_config(const char *config_path) {
	struct config cfg;
	struct config_source src = {.path = config_path};
	config_build(&cfg, &src);
	char *url = NULL;
	const char *spec = cfg.n_listen > 0 ? cfg.listen[0] : CONFIG_DEFAULT_LISTEN;
	char host[64];
	int port;
	const char *why;
	if (!cfg.listen_none && config_parse_listen(spec, host, &port, &why) == 0 && port > 0) {
		bool v6 = strchr(host, ':') != NULL;
		bool any = strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0 ||
			   strcmp(host, "::") == 0;
		bool loopback = strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
				strcmp(host, "::1") == 0;
		url = g_strdup_printf("%s://%s%s%s:%d/", loopback ? "http" : "https",
				      v6 && !any ? "[" : "", any ? "127.0.0.1" : host,
				      v6 && !any ? "]" : "", port);
	}
	config_finish(&cfg);
	return url;
}

int ctl_open(struct ctl *ctl, int argc, char *argv[]) {
	enum { OPT_NOTE = 256, OPT_NEW, OPT_PRINT, OPT_SYSTEM, OPT_URL };
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"note", no_argument, NULL, OPT_NOTE},
		{"new", required_argument, NULL, OPT_NEW},
		{"print", no_argument, NULL, OPT_PRINT},
		{"system", no_argument, NULL, OPT_SYSTEM},
		{"url", required_argument, NULL, OPT_URL},
		{0},
	};
	bool note = false, print = false, system = false;
	const char *number = NULL, *base_arg = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case OPT_NOTE:
			note = true;
			break;
		case OPT_NEW:
			number = optarg;
			break;
		case OPT_PRINT:
			print = true;
			break;
		case OPT_SYSTEM:
			system = true;
			break;
		case OPT_URL:
			base_arg = optarg;
			break;
		case 'h':
			fputs(open_usage, stdout);
			return CTL_OK;
		default:
			fputs("Try 'ctidctl open --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	if (argc - optind > 1) {
		return ctl_usage_error("open", "give at most one CONTACT");
	}
	const char *contact = optind < argc ? argv[optind] : NULL;
	if (contact != NULL && number != NULL) {
		return ctl_usage_error("open", "give a CONTACT or --new NUMBER, not both");
	}
	if (note && contact == NULL) {
		return ctl_usage_error("open", "--note needs a CONTACT");
	}
	if (number != NULL && (number[0] == '\0' || strlen(number) > DB_NUMBER_MAX)) {
		return ctl_usage_error("open", "--new wants a phone number");
	}
	char *path = NULL;
	if (contact != NULL) {
		int64_t id;
		int status = ctl_remote(ctl) ? ctl_server_contact_resolve(ctl, contact, &id)
					     : ctl_contact_resolve(ctl, contact, &id);
		if (status != CTL_OK) {
			return status;
		}
		path = g_strdup_printf("/#/contacts/%lld%s", (long long)id, note ? "/note" : "");
	} else if (number != NULL) {
		char *escaped = g_uri_escape_string(number, NULL, FALSE);
		path = g_strdup_printf("/#/contacts/new?number=%s", escaped);
		g_free(escaped);
	}
	if (base_arg == NULL && ctl_remote(ctl)) {
		/* a desk: the server's page, logged in as the desk's user */
		char *url = ctl_server_link(ctl, path);
		int status = url == NULL ? CTL_ERROR : CTL_OK;
		if (url != NULL && print) {
			puts(url);
		} else if (url != NULL && browser_open(url) < 0) {
			status = ctl_fail("could not open a browser; open %s", url);
		}
		g_free(url);
		g_free(path);
		return status;
	}
	char *base = base_arg != NULL ? g_strdup(base_arg) : ctl_bus_web_url(system);
	if (base == NULL) {
		base = url_from_config(ctl->config_path);
	}
	if (base == NULL) {
		g_free(path);
		return ctl_fail("the web page is off (listen = none); nothing to open");
	}
	int status = CTL_OK;
	char *url = NULL;
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw != NULL ? pw->pw_name : getenv("USER");
	char link[AUTH_TOKEN_LEN + 1];
	int ret = ctl_db(ctl) != NULL ? auth_link_new(ctl->db, user, link) : -EIO;
	if (ret == 0) {
		url = auth_link_url(base, link, path);
	} else if (ret == -ENOENT || ret == -EINVAL) {
		fprintf(stderr,
			"ctidctl: %s is not a user of the web page; it will ask for a password "
			"('ctidctl user add %s --role seller' makes you one)\n",
			user != NULL ? user : "you", user != NULL ? user : "NAME");
		size_t n = strlen(base);
		url = g_strdup_printf("%s%s", base,
				      path == NULL		    ? ""
				      : n > 0 && base[n - 1] == '/' ? path + 1
								    : path);
	} else {
		status = ctl_db(ctl) == NULL
				 ? CTL_ERROR
				 : ctl_fail("could not make a login link: %s", strerror(-ret));
	}
	if (url != NULL) {
		if (print) {
			puts(url);
		} else if (browser_open(url) < 0) {
			status = ctl_fail("could not open a browser; open %s", url);
		}
	}
	g_free(url);
	g_free(base);
	g_free(path);
	return status;
}
