/* ctidctl note add CONTACT TEXT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static const char note_usage[] = "Usage: ctidctl note add CONTACT TEXT...\n"
				 "\n"
				 "Adds a timestamped note to the contact's card; the latest notes\n"
				 "show on the screen-pop when the contact calls.\n";

/* Joins argv[from..argc) with spaces into buf. */
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
	int status = ctl_remote(ctl) ? ctl_server_contact_resolve(ctl, argv[optind], &id)
				     : ctl_contact_resolve(ctl, argv[optind], &id);
	if (status != CTL_OK) {
		return status;
	}
	char *text = NULL;
	if (ask) {
		char prompt[96];
		snprintf(prompt, sizeof(prompt),
			 "Note for contact #%lld (Enter to save, empty to cancel): ", (long long)id);
		if ((text = ctl_read_line(prompt)) == NULL) {
			return ctl_fail("no note added");
		}
	} else {
		text = ctl_join_words(argc, argv, optind + 1);
	}
	if (text == NULL) {
		return ctl_fail("out of memory");
	}
	if (text[0] == '\0') {
		free(text);
		return ctl_usage_error("note", "the note is empty");
	}
	if ((status = ctl_check_text("the note", text, DB_TEXT_MAX, true)) != CTL_OK) {
		free(text);
		return status;
	}
	int64_t note;
	int ret = ctl_remote(ctl) ? ctl_server_note_add(ctl, id, "note", text, &note)
				  : db_note_add(ctl->db, id, DB_NOTE_NOTE, text, &note);
	free(text);
	if (ret == -ECANCELED) {
		return CTL_ERROR;
	}
	if (ret == -ENOENT) {
		return ctl_fail("there is no contact #%lld", (long long)id);
	}
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
