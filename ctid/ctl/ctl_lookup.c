/* ctidctl lookup NUMBER: who is calling, exactly as the daemon decides. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "output.h"

static const char *const kind_names[] = {
	[DB_MATCH_NONE] = NULL,
	[DB_MATCH_EXACT] = "exact",
	[DB_MATCH_SUFFIX] = "suffix",
};

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
		json_object_begin(&w);
		json_key(&w, "number");
		json_string(&w, number);
		json_key(&w, "e164");
		json_string(&w, m.e164[0] ? m.e164 : NULL);
		json_key(&w, "contact");
		if (m.contact_id > 0) {
			json_object_begin(&w);
			json_key(&w, "id");
			json_int(&w, m.contact_id);
			json_key(&w, "name");
			json_string(&w, m.name);
			json_object_end(&w);
		} else {
			json_null(&w);
		}
		json_key(&w, "ambiguous");
		json_bool(&w, m.ambiguous);
		json_key(&w, "match");
		json_string(&w, kind_names[m.kind]);
		json_key(&w, "withheld");
		json_bool(&w, m.withheld);
		json_key(&w, "formatted");
		json_string(&w, formatted);
		json_object_end(&w);
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
