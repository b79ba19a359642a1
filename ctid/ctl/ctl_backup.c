/* ctidctl backup and restore: the whole database, calls and all. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "json.h"

static const char backup_usage[] =
	"Usage: ctidctl backup FILE [--json]\n"
	"\n"
	"Copies the database (contacts, notes, reminders and the call log) to FILE,\n"
	"mode 0600, with SQLite's online backup: safe while ctid is running. The copy\n"
	"replaces FILE only once it is whole and checked.\n";

static const char restore_usage[] =
	"Usage: ctidctl restore FILE [--yes] [--json]\n"
	"\n"
	"Replaces the database with FILE, a backup. FILE is checked first (an SQLite\n"
	"file that passes its integrity check, with ctid's tables and columns at a\n"
	"schema version this ctid knows); the current database is kept as\n"
	"DATABASE.before-restore. Stop ctid first. Asks on a terminal unless --yes.\n";

enum {
	OPT_YES = 256,
};

/* Parses options; returns -1 to go on, else an exit status. */
static int parse(struct ctl *ctl, const char *cmd, const char *usage, int argc, char *argv[],
		 bool *yes) {
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"yes", no_argument, NULL, OPT_YES},
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "hy", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		if ((opt == 'y' || opt == OPT_YES) && yes != NULL) {
			*yes = true;
		} else if (opt == 'h') {
			fputs(usage, stdout);
			return CTL_OK;
		} else {
			fprintf(stderr, "Try 'ctidctl %s --help'.\n", cmd);
			return CTL_USAGE;
		}
	}
	if (optind + 1 != argc) {
		return ctl_usage_error(cmd, "give exactly one FILE");
	}
	return -1;
}

static bool same_file(const char *a, const char *b) {
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void print_info(struct ctl *ctl, const char *what, const char *file,
		       const struct db_file_info *info) {
	if (ctl->json) {
		printf("{\"file\":");
		json_write_string(stdout, file);
		printf(",\"contacts\":%lld,\"calls\":%lld}\n", (long long)info->contacts,
		       (long long)info->calls);
	} else {
		printf("%s %lld contacts and %lld calls %s %s\n", what, (long long)info->contacts,
		       (long long)info->calls, strcmp(what, "Backed up") == 0 ? "to" : "from", file);
	}
}

int ctl_backup(struct ctl *ctl, int argc, char *argv[]) {
	int status = parse(ctl, "backup", backup_usage, argc, argv, NULL);
	if (status >= 0) {
		return status;
	}
	const char *file = argv[optind];
	struct db *db = ctl_db(ctl);
	if (db == NULL) {
		return CTL_ERROR;
	}
	const char *database = ctl->database;
	char *fallback = database == NULL ? db_default_path() : NULL;
	if (same_file(file, database != NULL ? database : fallback)) {
		free(fallback);
		return ctl_fail("%s is the database itself", file);
	}
	free(fallback);
	int ret = db_backup(db, file);
	if (ret < 0) {
		return ctl_fail("could not back up to %s: %s", file, strerror(-ret));
	}
	struct db_file_info info;
	char why[512];
	if (db_check_file(file, &info, why, sizeof(why)) < 0) {
		return ctl_fail("the backup %s is not right: %s", file, why);
	}
	print_info(ctl, "Backed up", file, &info);
	return CTL_OK;
}

static bool confirm(const char *target, const char *file, const struct db_file_info *from) {
	struct db_file_info cur;
	char why[512];
	printf("Replace %s", target);
	if (access(target, F_OK) == 0 && db_check_file(target, &cur, why, sizeof(why)) == 0) {
		printf(" (%lld contacts, %lld calls)", (long long)cur.contacts, (long long)cur.calls);
	}
	printf(" with %s (%lld contacts, %lld calls)?\nThe current database is kept as "
	       "%s.before-restore. [y/N] ",
	       file, (long long)from->contacts, (long long)from->calls, target);
	return ctl_answer_yes();
}

int ctl_restore(struct ctl *ctl, int argc, char *argv[]) {
	bool yes = false;
	int status = parse(ctl, "restore", restore_usage, argc, argv, &yes);
	if (status >= 0) {
		return status;
	}
	const char *file = argv[optind];
	char *fallback = ctl->database == NULL ? db_default_path() : NULL;
	const char *target = ctl->database != NULL ? ctl->database : fallback;
	if (target == NULL) {
		return ctl_fail("no database path: set HOME or use --database");
	}
	struct db_file_info info;
	char why[512];
	int ret = db_check_file(file, &info, why, sizeof(why));
	if (ret == 0 && same_file(file, target)) {
		ret = -EINVAL;
		snprintf(why, sizeof(why), "%s is the database itself", file);
	}
	if (ret < 0) {
		free(fallback);
		return ctl_fail("not restoring: %s", why);
	}
	if (!yes && !isatty(STDIN_FILENO)) {
		free(fallback);
		return ctl_fail("not restoring without --yes (standard input is not a terminal)");
	}
	if (!yes && !confirm(target, file, &info)) {
		free(fallback);
		return ctl_fail("not restored");
	}
	ret = db_restore(target, file, why, sizeof(why));
	if (ret < 0) {
		free(fallback);
		return ctl_fail("not restored: %s", why);
	}
	print_info(ctl, "Restored", file, &info);
	free(fallback);
	return CTL_OK;
}
