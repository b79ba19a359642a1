/* What every command uses: the database, one way to fail, the options all
 * commands take, and finding the contact a command names. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "log.h"
#include "phone.h"

int ctl_fail(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	fputs("ctidctl: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	return CTL_ERROR;
}

int ctl_usage_error(const char *cmd, const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	fputs("ctidctl: ", stderr);
	vfprintf(stderr, fmt, args);
	fprintf(stderr, "\nTry 'ctidctl %s --help'.\n", cmd);
	va_end(args);
	return CTL_USAGE;
}

bool ctl_common_option(struct ctl *ctl, int opt, const char *arg) {
	switch (opt) {
	case 'D':
		ctl->database = arg;
		return true;
	case 'R':
		if (!phone_region_known(arg)) {
			fprintf(stderr,
				"ctidctl: unknown region '%s' (use a code such as GB, US)\n", arg);
			exit(CTL_USAGE);
		}
		config_region(arg, ctl->region);
		ctl->region_set = true;
		return true;
	case 'j':
		ctl->json = true;
		return true;
	default:
		return false;
	}
}

static void keep_first_error(enum log_level level, const char *msg, void *data) {
	char *why = data;
	if (level == LOG_ERROR && why[0] == '\0') {
		snprintf(why, 512, "%s", msg);
	}
}

struct db *ctl_db(struct ctl *ctl) {
	if (ctl->db != NULL) {
		return ctl->db;
	}
	char *fallback = NULL;
	const char *path = ctl->database;
	if (path == NULL) {
		path = fallback = db_default_path();
		if (path == NULL) {
			ctl_fail("no database path: set HOME or use --database");
			return NULL;
		}
	}
	/* db_open() logs why it failed, naming the file: that is the one line */
	char why[512] = "";
	log_set_sink(keep_first_error, why);
	ctl->db = db_open(path, 0);
	log_set_sink(NULL, NULL);
	if (ctl->db == NULL && why[0] != '\0') {
		ctl_fail("%s", why);
	} else if (ctl->db == NULL) {
		ctl_fail("could not open the database %s: %s", path, strerror(errno));
	} else {
		db_set_region(ctl->db, ctl->region);
		/* notes written and calls handled here are the Unix user's */
		struct passwd *pw = getpwuid(getuid());
		db_set_author(ctl->db, pw != NULL ? pw->pw_name : getenv("USER"));
		if (ctl->min_suffix > 0) {
			db_set_min_suffix(ctl->db, ctl->min_suffix);
		}
	}
	free(fallback);
	return ctl->db;
}

static int print_candidate(const struct db_contact *c, void *data) {
	(void)data;
	fprintf(stderr, "  #%lld  %s%s%s\n", (long long)c->id, c->name, c->company ? ", " : "",
		c->company ? c->company : "");
	return 0;
}

int ctl_contact_resolve(struct ctl *ctl, const char *text, int64_t *id) {
	struct db *db = ctl_db(ctl);
	if (db == NULL) {
		return CTL_ERROR;
	}
	int ret = db_contact_resolve(db, text, id, NULL, NULL);
	if (ret == -ENOENT) {
		return ctl_fail("no contact matches '%s'", text);
	}
	if (ret == -ENOTUNIQ) {
		ctl_fail("'%s' matches several contacts; use the id:", text);
		db_contact_resolve(db, text, id, print_candidate, NULL);
		return CTL_ERROR;
	}
	if (ret < 0) {
		return ctl_fail("could not look up '%s': %s", text, strerror(-ret));
	}
	return CTL_OK;
}
