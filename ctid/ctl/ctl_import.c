/* ctidctl import and export: contacts from and to address books' files. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl.h"
#include "import.h"
#include "json.h"

#define MAX_FILE	  (1024L * 1024 * 1024) /* 1 GiB of contacts is a mistake */
#define SKIPS_ON_THE_LINE 20

static const char import_usage[] =
	"Usage: ctidctl import FILE [--format vcard|csv] [--dry-run] [--json]\n"
	"\n"
	"Adds the contacts of FILE (vCard from Google, Apple, Thunderbird, Evolution,\n"
	"Outlook or a phone; CSV from Google, Outlook or a spreadsheet; - reads\n"
	"standard input) in one go. A contact whose number is already known is\n"
	"merged into that contact: what it lacks is added, what it has is kept.\n"
	"  --format F   vcard or csv (default: from the content, then the name)\n"
	"  --dry-run    report what would happen; change nothing\n";

static const char export_usage[] =
	"Usage: ctidctl export [--format vcard|csv] [FILE]\n"
	"\n"
	"Writes every contact (numbers, e-mail, company, birthday, fields, tags and\n"
	"notes) as vCard 3.0 or as CSV in Google Contacts' layout, to FILE (mode\n"
	"0600) or standard output. The format defaults to FILE's extension, else vCard.\n";

enum {
	OPT_FORMAT = 256,
	OPT_DRY_RUN,
};

/* Reads a whole file (or standard input for "-"); NULL after printing why. */
static char *read_all(const char *path, size_t *len) {
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ctl_fail("could not open %s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		if (n == cap) {
			if (cap >= (size_t)MAX_FILE) {
				ctl_fail("%s is larger than 1 GiB", path);
				free(buf);
				buf = NULL;
				break;
			}
			char *p = realloc(buf, cap * 2);
			if (p == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = p;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			ctl_fail("could not read %s: %s", path, strerror(errno));
			free(buf);
			buf = NULL;
			break;
		}
		if (r == 0) {
			break;
		}
		n += (size_t)r;
	}
	if (fd != STDIN_FILENO) {
		close(fd);
	}
	*len = n;
	return buf;
}

static bool parse_format(const char *arg, int *out) {
	if (strcasecmp(arg, "vcard") == 0 || strcasecmp(arg, "vcf") == 0) {
		*out = 1;
	} else if (strcasecmp(arg, "csv") == 0) {
		*out = 2;
	} else {
		return false;
	}
	return true;
}

static void print_json(const char *name, enum import_format format, bool dry_run,
		       const struct import_report *rep) {
	struct json_writer w;
	json_init(&w, stdout);
	json_object_begin(&w);
	json_key(&w, "file");
	json_string(&w, name);
	json_key(&w, "format");
	json_string(&w, format == IMPORT_VCARD ? "vcard" : "csv");
	json_key(&w, "dry_run");
	json_bool(&w, dry_run);
	json_key(&w, "added");
	json_int(&w, rep->added);
	json_key(&w, "merged");
	json_int(&w, rep->merged);
	json_key(&w, "unchanged");
	json_int(&w, rep->unchanged);
	json_key(&w, "skipped");
	json_int(&w, rep->skipped);
	json_key(&w, "skips");
	json_array_begin(&w);
	for (size_t i = 0; i < rep->n_skips; i++) {
		json_object_begin(&w);
		json_key(&w, "line");
		json_int(&w, rep->skips[i].line);
		json_key(&w, "reason");
		json_string(&w, rep->skips[i].text);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_key(&w, "notes");
	json_array_begin(&w);
	for (size_t i = 0; i < rep->n_notes; i++) {
		json_object_begin(&w);
		json_key(&w, "line");
		json_int(&w, rep->notes[i].line);
		json_key(&w, "contact");
		json_int_or_null(&w, rep->notes[i].contact_id > 0, rep->notes[i].contact_id);
		json_key(&w, "message");
		json_string(&w, rep->notes[i].text);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
	putchar('\n');
}

static void print_text(const char *name, bool dry_run, const struct import_report *rep) {
	if (dry_run) {
		printf("Dry run, nothing saved: would add %d, merge %d", rep->added, rep->merged);
	} else {
		printf("Added %d, merged %d", rep->added, rep->merged);
	}
	if (rep->unchanged > 0) {
		printf(" (%d already up to date)", rep->unchanged);
	}
	printf(dry_run ? ", skip %d" : ", skipped %d", rep->skipped);
	for (size_t i = 0; i < rep->n_skips && i < SKIPS_ON_THE_LINE; i++) {
		printf("%s line %d: %s", i == 0 ? ":" : ";", rep->skips[i].line, rep->skips[i].text);
	}
	if (rep->skipped > SKIPS_ON_THE_LINE) {
		printf("; and %d more (--json lists them)", rep->skipped - SKIPS_ON_THE_LINE);
	}
	putchar('\n');
	for (size_t i = 0; i < rep->n_notes; i++) {
		const struct import_message *m = &rep->notes[i];
		if (m->contact_id > 0) {
			fprintf(stderr, "ctidctl: %s:%d: #%lld: %s\n", name, m->line,
				(long long)m->contact_id, m->text);
		} else {
			fprintf(stderr, "ctidctl: %s:%d: %s\n", name, m->line, m->text);
		}
	}
	if (rep->more_notes > 0) {
		fprintf(stderr, "ctidctl: %s: and %zu more notes\n", name, rep->more_notes);
	}
}

int ctl_import(struct ctl *ctl, int argc, char *argv[]) {
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"format", required_argument, NULL, OPT_FORMAT},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{0},
	};
	int format = 0;
	bool dry_run = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case OPT_FORMAT:
			if (!parse_format(optarg, &format)) {
				return ctl_usage_error("import",
						       "--format is vcard or csv, not '%s'", optarg);
			}
			break;
		case OPT_DRY_RUN:
			dry_run = true;
			break;
		case 'h':
			fputs(import_usage, stdout);
			return CTL_OK;
		default:
			fputs("Try 'ctidctl import --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	if (optind + 1 != argc) {
		return ctl_usage_error("import", "give exactly one FILE (or - for standard input)");
	}
	const char *path = argv[optind];
	const char *name = strcmp(path, "-") == 0 ? "stdin" : path;
	size_t len;
	char *data = read_all(path, &len);
	if (data == NULL) {
		return CTL_ERROR;
	}
	struct db *db = ctl_db(ctl);
	if (db == NULL) {
		free(data);
		return CTL_ERROR;
	}
	enum import_format fmt = format == 1   ? IMPORT_VCARD
				 : format == 2 ? IMPORT_CSV
					       : db_import_detect(data, len, name);
	struct import_report rep;
	int ret = db_import(db, data, len, fmt, dry_run, &rep);
	free(data);
	int status = CTL_OK;
	if (ret == -EBADMSG) {
		status = ctl_fail("%s:%d: %s", name, rep.error.line, rep.error.message);
	} else if (ret < 0) {
		status = ctl_fail("could not import %s: %s (nothing was imported)", name,
				  strerror(-ret));
	} else if (ctl->json) {
		print_json(name, fmt, dry_run, &rep);
	} else {
		print_text(name, dry_run, &rep);
	}
	db_import_report_finish(&rep);
	return status;
}

int ctl_export(struct ctl *ctl, int argc, char *argv[]) {
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"format", required_argument, NULL, OPT_FORMAT},
		{0},
	};
	int format = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case OPT_FORMAT:
			if (!parse_format(optarg, &format)) {
				return ctl_usage_error("export",
						       "--format is vcard or csv, not '%s'", optarg);
			}
			break;
		case 'h':
			fputs(export_usage, stdout);
			return CTL_OK;
		default:
			fputs("Try 'ctidctl export --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	if (optind + 1 < argc) {
		return ctl_usage_error("export", "give at most one FILE");
	}
	const char *path = optind < argc && strcmp(argv[optind], "-") != 0 ? argv[optind] : NULL;
	if (format == 0) {
		const char *dot = path != NULL ? strrchr(path, '.') : NULL;
		format = dot != NULL && strcasecmp(dot, ".csv") == 0 ? 2 : 1;
	}
	struct db *db = ctl_db(ctl);
	if (db == NULL) {
		return CTL_ERROR;
	}
	struct ctl_target t = {0};
	if (ctl_target_open(&t, path) != 0) {
		return CTL_ERROR;
	}
	int count = 0;
	int ret = db_export(db, format == 2 ? EXPORT_CSV : EXPORT_VCARD, t.f, &count);
	if (ret < 0) {
		ctl_fail("could not export to %s: %s", path != NULL ? path : "standard output",
			 strerror(-ret));
	}
	if (ctl_target_close(&t, ret >= 0) != 0 || ret < 0) {
		return CTL_ERROR;
	}
	if (path != NULL && !t.is_stdout && ctl->json) {
		printf("{\"file\":");
		json_write_string(stdout, path);
		printf(",\"format\":\"%s\",\"contacts\":%d}\n", format == 2 ? "csv" : "vcard", count);
	} else if (path != NULL && !t.is_stdout) {
		printf("Exported %d contact%s to %s\n", count, count == 1 ? "" : "s", path);
	}
	if (ret > 0) {
		/* the rest is written: better than nothing, but not what was asked */
		fflush(stdout);
		return ctl_fail("%d contact%s could not be exported whole; what was left out is "
				"listed above",
				ret, ret == 1 ? "" : "s");
	}
	return CTL_OK;
}
