/* ctidctl lookup NUMBER: who is calling, exactly as the daemon decides. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"

int ctl_lookup(struct ctl *ctl, int argc, char *argv[]) {
	static const struct option opts[] = {CTL_COMMON_LONGOPTS, {0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		if (opt == 'h') {
			puts("Usage: ctidctl lookup NUMBER [--json]\n\n"
			     "Prints the contact a call from NUMBER would show. JSON keys: number,\n"
			     "e164, contact ({id, name} or null), ambiguous, match, formatted.");
			return CTL_OK;
		}
		fputs("Try 'ctidctl lookup --help'.\n", stderr);
		return CTL_USAGE;
	}
	if (optind + 1 != argc) {
		return ctl_usage_error("lookup", "give exactly one NUMBER");
	}
	const char *number = argv[optind];
	struct db *db = ctl_db(ctl);
	if (db == NULL) {
		return CTL_ERROR;
	}
	struct db_match m;
	int ret = db_lookup(db, number, &m);
	if (ret < 0) {
		return ctl_fail("could not look up %s: %s", number, strerror(-ret));
	}
	char formatted[64];
	output_number(m.e164, number, ctl->region, formatted, sizeof(formatted));
	if (ctl->json) {
		struct json_writer w;
		json_init(&w, stdout);
		jsonout_lookup(&w, number, &m, formatted);
		putchar('\n');
		return CTL_OK;
	}
	if (m.contact_id > 0) {
		printf("%s  #%lld  (%s%s)\n", m.name, (long long)m.contact_id, formatted,
		       m.kind == DB_MATCH_SUFFIX ? ", matched on the last digits" : "");
	} else if (m.withheld) {
		printf("withheld number\n");
	} else if (m.ambiguous) {
		printf("%s matches several contacts\n", formatted);
	} else {
		printf("%s is not in the contacts\n", formatted);
	}
	return CTL_OK;
}
