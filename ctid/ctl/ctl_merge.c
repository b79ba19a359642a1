/* ctidctl contact merge A B: B was a duplicate of A. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "json.h"

static const char merge_usage[] =
	"Usage: ctidctl contact merge A B [--yes] [--json]\n"
	"\n"
	"Merges contact B, a duplicate, into contact A, in one transaction: B's\n"
	"numbers, notes, requests, orders, calls, reminders, custom fields and\n"
	"tags move to A; where both have a value A's wins (B's lost values are\n"
	"listed), B's fills what A lacks. Then B is deleted. Asks first on a\n"
	"terminal; elsewhere --yes is needed.\n"
	"\n"
	"With --json: {into, from, moved: {phones, notes, calls, reminders,\n"
	"fields, tags, details}, dropped: [{field, kept, dropped}]}.\n";

#define MAX_FIELDS 64

/* What a contact has that a merge may keep or drop. */
struct side {
	char *name, *company, *email, *birthday;
	int n_fields;
	char *keys[MAX_FIELDS], *values[MAX_FIELDS];
};

static char *dup_or_null(const char *s) {
	return s != NULL ? strdup(s) : NULL;
}

static int take_contact(const struct db_contact *c, void *data) {
	struct side *s = data;
	s->name = dup_or_null(c->name);
	s->company = dup_or_null(c->company);
	s->email = dup_or_null(c->email);
	s->birthday = dup_or_null(c->birthday);
	return 0;
}

static int take_field(const char *key, const char *value, void *data) {
	struct side *s = data;
	if (s->n_fields == MAX_FIELDS) {
		return 1;
	}
	s->keys[s->n_fields] = strdup(key);
	s->values[s->n_fields++] = strdup(value);
	return 0;
}

static void side_read(struct db *db, int64_t id, struct side *s) {
	db_contact_get(db, id, take_contact, s);
	db_field_foreach(db, id, take_field, s);
}

static void side_finish(struct side *s) {
	free(s->name);
	free(s->company);
	free(s->email);
	free(s->birthday);
	for (int i = 0; i < s->n_fields; i++) {
		free(s->keys[i]);
		free(s->values[i]);
	}
}

struct dropped {
	const char *field, *kept, *lost;
};

/* The values of b that lose to a's. */
static int conflicts(const struct side *a, const struct side *b, struct dropped *out, int max) {
	int n = 0;
	const char *names[] = {"company", "email", "birthday"};
	const char *av[] = {a->company, a->email, a->birthday};
	const char *bv[] = {b->company, b->email, b->birthday};
	for (int i = 0; i < 3 && n < max; i++) {
		if (av[i] != NULL && bv[i] != NULL && strcmp(av[i], bv[i]) != 0) {
			out[n++] = (struct dropped){names[i], av[i], bv[i]};
		}
	}
	for (int i = 0; i < b->n_fields && n < max; i++) {
		for (int j = 0; j < a->n_fields; j++) {
			if (strcmp(a->keys[j], b->keys[i]) == 0 &&
			    strcmp(a->values[j], b->values[i]) != 0) {
				out[n++] = (struct dropped){b->keys[i], a->values[j], b->values[i]};
			}
		}
	}
	return n;
}

static bool confirm(int64_t a, const struct side *sa, int64_t b, const struct side *sb) {
	printf("Merge #%lld %s into #%lld %s, and delete #%lld? [y/N] ", (long long)b, sb->name,
	       (long long)a, sa->name, (long long)b);
	return ctl_answer_yes();
}

static void print_counts(const struct db_merge_counts *n) {
	const struct {
		int count;
		const char *one, *many;
	} parts[] = {
		{n->phones, "number", "numbers"}, {n->notes, "note", "notes"},
		{n->calls, "call", "calls"},	  {n->reminders, "reminder", "reminders"},
		{n->fields, "field", "fields"},	  {n->tags, "tag", "tags"},
	};
	const char *sep = ": moved ";
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i].count > 0) {
			printf("%s%d %s", sep, parts[i].count,
			       parts[i].count == 1 ? parts[i].one : parts[i].many);
			sep = ", ";
		}
	}
	if (n->details > 0) {
		printf("%sfilled in %d detail%s", sep[0] == ':' ? ": " : "; ", n->details,
		       n->details == 1 ? "" : "s");
	}
	putchar('\n');
}

static void print_json(int64_t a, int64_t b, const struct db_merge_counts *n,
		       const struct dropped *d, int n_dropped) {
	struct json_writer w;
	json_init(&w, stdout);
	json_object_begin(&w);
	json_key(&w, "into");
	json_int(&w, a);
	json_key(&w, "from");
	json_int(&w, b);
	json_key(&w, "moved");
	json_object_begin(&w);
	const char *keys[] = {"phones", "notes", "calls", "reminders", "fields", "tags", "details"};
	int values[] = {n->phones, n->notes, n->calls,	n->reminders,
			n->fields, n->tags,  n->details};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_key(&w, keys[i]);
		json_int(&w, values[i]);
	}
	json_object_end(&w);
	json_key(&w, "dropped");
	json_array_begin(&w);
	for (int i = 0; i < n_dropped; i++) {
		json_object_begin(&w);
		json_key(&w, "field");
		json_string(&w, d[i].field);
		json_key(&w, "kept");
		json_string(&w, d[i].kept);
		json_key(&w, "dropped");
		json_string(&w, d[i].lost);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
	putchar('\n');
}

int ctl_contact_merge(struct ctl *ctl, int argc, char *argv[]) {
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"yes", no_argument, NULL, 'y'},
		{0},
	};
	bool yes = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "hy", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		if (opt == 'y') {
			yes = true;
		} else if (opt == 'h') {
			fputs(merge_usage, stdout);
			return CTL_OK;
		} else {
			fputs("Try 'ctidctl contact merge --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	if (argc - optind != 2) {
		return ctl_usage_error("contact merge",
				       "give the contact to keep, then its duplicate");
	}
	int64_t a, b;
	int status = ctl_contact_resolve(ctl, argv[optind], &a);
	if (status == CTL_OK) {
		status = ctl_contact_resolve(ctl, argv[optind + 1], &b);
	}
	if (status != CTL_OK) {
		return status;
	}
	if (a == b) {
		return ctl_fail("'%s' and '%s' are the same contact (#%lld)", argv[optind],
				argv[optind + 1], (long long)a);
	}
	if (!yes && !isatty(STDIN_FILENO)) {
		return ctl_fail("not merging without --yes (standard input is not a terminal)");
	}
	struct side sa = {0}, sb = {0};
	side_read(ctl->db, a, &sa);
	side_read(ctl->db, b, &sb);
	struct dropped dropped[MAX_FIELDS + 3];
	int n_dropped = conflicts(&sa, &sb, dropped, MAX_FIELDS + 3);
	if (!yes && !confirm(a, &sa, b, &sb)) {
		side_finish(&sa);
		side_finish(&sb);
		return ctl_fail("not merged");
	}
	struct db_merge_counts n;
	int ret = db_contact_merge(ctl->db, a, b, &n);
	if (ret < 0) {
		status = ctl_fail("could not merge #%lld into #%lld: %s", (long long)b,
				  (long long)a, strerror(-ret));
	} else if (ctl->json) {
		print_json(a, b, &n, dropped, n_dropped);
	} else {
		printf("Merged #%lld %s into #%lld %s", (long long)b, sb.name, (long long)a, sa.name);
		print_counts(&n);
		for (int i = 0; i < n_dropped; i++) {
			printf("  kept %s '%s'; dropped '%s'\n", dropped[i].field, dropped[i].kept,
			       dropped[i].lost);
		}
	}
	side_finish(&sa);
	side_finish(&sb);
	return status;
}
