/* ctidctl note add CONTACT TEXT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static const char note_usage[] = "Usage: ctidctl note add CONTACT TEXT...\n"
				 "\n"
				 "Adds a timestamped note to the contact's card; the latest notes\n"
				 "show on the screen-pop when the contact calls.\n";

/* Joins argv[from..argc) with spaces into buf. */
static void join_words(int argc, char *argv[], int from, char *buf, size_t size) {
	buf[0] = '\0';
	for (int i = from; i < argc; i++) {
		if (i > from) {
			strncat(buf, " ", size - strlen(buf) - 1);
		}
		strncat(buf, argv[i], size - strlen(buf) - 1);
	}
}

int ctl_note(struct ctl *ctl, int argc, char *argv[]) {
	if (argc < 2 || strcmp(argv[1], "add") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(note_usage, stdout);
			return CTL_OK;
		}
		fputs(note_usage, stderr);
		return CTL_USAGE;
	}
	argc--;
	argv++;
	static const struct option opts[] = {CTL_COMMON_LONGOPTS, {0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		if (opt == 'h') {
			fputs(note_usage, stdout);
			return CTL_OK;
		}
		fputs("Try 'ctidctl note --help'.\n", stderr);
		return CTL_USAGE;
	}
	/* Without TEXT on a terminal (the popup's "Add note" opens one), ask. */
	bool ask = argc - optind == 1 && isatty(STDIN_FILENO);
	if (argc - optind < 2 && !ask) {
		return ctl_usage_error("note", "give a CONTACT and the TEXT");
	}
	int64_t id;
	int status = ctl_contact_resolve(ctl, argv[optind], &id);
	if (status != CTL_OK) {
		return status;
	}
	char text[4096];
	if (ask) {
		printf("Note for contact #%lld (Enter to save, empty to cancel): ", (long long)id);
		fflush(stdout);
		if (fgets(text, sizeof(text), stdin) == NULL) {
			return ctl_fail("no note added");
		}
		text[strcspn(text, "\r\n")] = '\0';
	} else {
		join_words(argc, argv, optind + 1, text, sizeof(text));
	}
	if (text[0] == '\0') {
		return ctl_usage_error("note", "the note is empty");
	}
	int64_t note;
	int ret = db_note_add(ctl->db, id, DB_NOTE_NOTE, text, &note);
	if (ret < 0) {
		return ctl_fail("could not add the note: %s", strerror(-ret));
	}
	if (ctl->json) {
		printf("{\"id\":%lld,\"contact\":%lld}\n", (long long)note, (long long)id);
	} else {
		printf("%lld\n", (long long)note);
	}
	return CTL_OK;
}
