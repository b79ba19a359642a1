/* ctidctl contact add|edit|delete|list|search (show is in ctl_card.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "civil.h"
#include "csv.h"
#include "ctl.h"
#include "json.h"
#include "output.h"
#include "phone.h"
#include "when.h"

static const char contact_usage[] =
	"Usage:\n"
	"  ctidctl contact add --name NAME [--phone NUMBER[=LABEL]]... [--company C]\n"
	"                      [--email E] [--birthday YYYY-MM-DD|MM-DD]\n"
	"                      [--field KEY=VALUE]... [--tag TAG]...\n"
	"  ctidctl contact show CONTACT [--json]\n"
	"  ctidctl contact edit CONTACT [--name N] [--company C] [--email E]\n"
	"                      [--birthday B] [--add-phone NUMBER[=LABEL]]...\n"
	"                      [--remove-phone NUMBER]... [--field KEY=VALUE]...\n"
	"                      [--tag TAG]... [--untag TAG]...\n"
	"  ctidctl contact delete CONTACT [--yes]\n"
	"  ctidctl contact merge A B [--yes]    (B is a duplicate of A)\n"
	"  ctidctl contact list [--tag TAG]... [--json]    (with every TAG given)\n"
	"  ctidctl contact search QUERY [--limit N] [--json]\n"
	"\n"
	"An empty value clears a field (--company ''). A phone's label follows '='\n"
	"(--phone '+44 20 7946 0018=work'); without one the label is 'phone'.\n"
	"Birthdays without a year are written MM-DD.\n";

/* Splits "NUMBER=LABEL" (the label is optional). */
static const char *split_label(char *arg) {
	char *eq = strrchr(arg, '=');
	if (eq == NULL || strstr(arg, ";ext=") == eq - 4) {
		return NULL;
	}
	*eq = '\0';
	return eq + 1;
}

#define MAX_LIST 32

struct edits {
	const char *name, *company, *email, *birthday;
	char birthday_buf[16];
	char *add_phones[MAX_LIST];
	int n_add;
	const char *remove_phones[MAX_LIST];
	int n_remove;
	char *fields[MAX_LIST];
	int n_fields;
	const char *tags[MAX_LIST];
	int n_tags;
	const char *untags[MAX_LIST];
	int n_untags;
	bool yes;
	long limit;
};

enum {
	OPT_NAME = 256,
	OPT_COMPANY,
	OPT_EMAIL,
	OPT_BIRTHDAY,
	OPT_PHONE,
	OPT_REMOVE_PHONE,
	OPT_FIELD,
	OPT_TAG,
	OPT_UNTAG,
	OPT_YES,
	OPT_LIMIT,
};

/* The options each subcommand uses; any other is refused, not ignored. */
#define USES(opt) (1u << ((opt)-OPT_NAME))
#define USES_ADD                                                                     \
	(USES(OPT_NAME) | USES(OPT_COMPANY) | USES(OPT_EMAIL) | USES(OPT_BIRTHDAY) | \
	 USES(OPT_PHONE) | USES(OPT_FIELD) | USES(OPT_TAG))
#define USES_EDIT   (USES_ADD | USES(OPT_REMOVE_PHONE) | USES(OPT_UNTAG))
#define USES_DELETE USES(OPT_YES)
#define USES_LIST   USES(OPT_TAG)
#define USES_SEARCH USES(OPT_LIMIT)
#define LIMIT_MAX   100000

static bool push(void **list, int *n, void *item) {
	if (*n >= MAX_LIST) {
		return false;
	}
	list[(*n)++] = item;
	return true;
}

/* Refuses what the database would not keep whole; -1 when all fits. */
static int check_lengths(const struct edits *e) {
	if (ctl_check_text("the name", e->name, DB_NAME_MAX, false) != CTL_OK ||
	    ctl_check_text("the company", e->company, DB_NAME_MAX, false) != CTL_OK ||
	    ctl_check_text("the e-mail address", e->email, DB_NAME_MAX, false) != CTL_OK) {
		return CTL_ERROR;
	}
	for (int i = 0; i < e->n_add; i++) {
		if (ctl_check_text("a phone number with its label", e->add_phones[i],
				   DB_NUMBER_MAX + 1 + DB_NAME_MAX, false) != CTL_OK) {
			return CTL_ERROR;
		}
	}
	for (int i = 0; i < e->n_fields; i++) {
		size_t key = strcspn(e->fields[i], "=");
		char *name = strndup(e->fields[i], key);
		int status = ctl_check_text("a field's name", name, DB_NAME_MAX, false);
		free(name);
		if (status != CTL_OK) {
			return status;
		}
		if (ctl_check_text("a field's value", e->fields[i] + key + 1, DB_TEXT_MAX, true) !=
		    CTL_OK) {
			return CTL_ERROR;
		}
	}
	for (int i = 0; i < e->n_tags; i++) {
		if (ctl_check_text("a tag", e->tags[i], DB_NAME_MAX, false) != CTL_OK) {
			return CTL_ERROR;
		}
		if (strstr(e->tags[i], CSV_VALUE_SEP) != NULL) {
			return ctl_fail("a tag cannot hold '" CSV_VALUE_SEP "', which separates tags "
					"in CSV files: '%s' (nothing was saved)",
					e->tags[i]);
		}
	}
	return -1;
}

/*
 * Parses a subcommand's options, refusing those it has no use for (uses:
 * USES_...); returns -1 to go on, else an exit status.
 */
static int parse_edits(struct ctl *ctl, const char *cmd, unsigned uses, int argc, char *argv[],
		       struct edits *e) {
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"name", required_argument, NULL, OPT_NAME},
		{"company", required_argument, NULL, OPT_COMPANY},
		{"email", required_argument, NULL, OPT_EMAIL},
		{"birthday", required_argument, NULL, OPT_BIRTHDAY},
		{"phone", required_argument, NULL, OPT_PHONE},
		{"add-phone", required_argument, NULL, OPT_PHONE},
		{"remove-phone", required_argument, NULL, OPT_REMOVE_PHONE},
		{"field", required_argument, NULL, OPT_FIELD},
		{"tag", required_argument, NULL, OPT_TAG},
		{"untag", required_argument, NULL, OPT_UNTAG},
		{"yes", no_argument, NULL, OPT_YES},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{0},
	};
	int opt, index = -1;
	bool ok = true;
	while ((opt = getopt_long(argc, argv, "hy", opts, &index)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			index = -1;
			continue;
		}
		int which = opt == 'y' ? OPT_YES : opt;
		if (which >= OPT_NAME && which <= OPT_LIMIT && !(uses & USES(which))) {
			return ctl_usage_error(cmd, "%s has no option --%s", cmd,
					       index >= 0 ? opts[index].name : "yes");
		}
		index = -1;
		switch (opt) {
		case OPT_NAME:
			e->name = optarg;
			break;
		case OPT_COMPANY:
			e->company = optarg;
			break;
		case OPT_EMAIL:
			e->email = optarg;
			break;
		case OPT_BIRTHDAY:
			if (!when_parse_birthday(optarg, e->birthday_buf)) {
				return ctl_usage_error(cmd,
						       "bad birthday '%s' (use YYYY-MM-DD or MM-DD)",
						       optarg);
			}
			e->birthday = e->birthday_buf;
			break;
		case OPT_PHONE:
			ok = push((void **)e->add_phones, &e->n_add, optarg);
			break;
		case OPT_REMOVE_PHONE:
			ok = push((void **)e->remove_phones, &e->n_remove, optarg);
			break;
		case OPT_FIELD:
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				return ctl_usage_error(cmd, "--field wants KEY=VALUE, got '%s'",
						       optarg);
			}
			ok = push((void **)e->fields, &e->n_fields, optarg);
			break;
		case OPT_TAG:
			ok = push((void **)e->tags, &e->n_tags, optarg);
			break;
		case OPT_UNTAG:
			ok = push((void **)e->untags, &e->n_untags, optarg);
			break;
		case 'y':
		case OPT_YES:
			e->yes = true;
			break;
		case OPT_LIMIT:
			if (!ctl_parse_int(optarg, 1, LIMIT_MAX, &e->limit)) {
				return ctl_usage_error(cmd,
						       "--limit wants a whole number from 1 to %d, "
						       "not '%s'",
						       LIMIT_MAX, optarg);
			}
			break;
		case 'h':
			fputs(contact_usage, stdout);
			return CTL_OK;
		default:
			fprintf(stderr, "Try 'ctidctl %s --help'.\n", cmd);
			return CTL_USAGE;
		}
		if (!ok) {
			return ctl_usage_error(cmd, "too many repeated options (at most %d)",
					       MAX_LIST);
		}
	}
	return check_lengths(e);
}

/* Applies numbers, fields and tags of e to contact id; prints what failed. */
static int apply_lists(struct ctl *ctl, struct db *db, int64_t id, struct edits *e) {
	for (int i = 0; i < e->n_add; i++) {
		const char *label = split_label(e->add_phones[i]);
		int ret = db_phone_add(db, id, e->add_phones[i], label ? label : "phone", NULL);
		if (ret == -EINVAL) {
			return ctl_fail("'%s' is not a phone number", e->add_phones[i]);
		} else if (ret == -EEXIST) {
			fprintf(stderr, "ctidctl: the contact already has %s\n", e->add_phones[i]);
		} else if (ret < 0) {
			return ctl_fail("could not add %s: %s", e->add_phones[i], strerror(-ret));
		}
	}
	for (int i = 0; i < e->n_remove; i++) {
		int ret = db_phone_remove(db, id, e->remove_phones[i]);
		if (ret == -ENOENT) {
			return ctl_fail("the contact has no number %s", e->remove_phones[i]);
		} else if (ret < 0) {
			return ctl_fail("could not remove %s: %s", e->remove_phones[i],
					strerror(-ret));
		}
	}
	for (int i = 0; i < e->n_fields; i++) {
		char *eq = strchr(e->fields[i], '=');
		*eq = '\0';
		if (db_field_set(db, id, e->fields[i], eq + 1) < 0) {
			return ctl_fail("could not set field %s", e->fields[i]);
		}
	}
	for (int i = 0; i < e->n_tags; i++) {
		if (db_tag_add(db, id, e->tags[i]) < 0) {
			return ctl_fail("could not tag with %s", e->tags[i]);
		}
	}
	for (int i = 0; i < e->n_untags; i++) {
		if (db_tag_remove(db, id, e->untags[i]) < 0) {
			return ctl_fail("could not remove tag %s", e->untags[i]);
		}
	}
	(void)ctl;
	return CTL_OK;
}

/* Adds the contact e describes, with its numbers, fields and tags. */
static int add_edits(struct ctl *ctl, struct edits *e) {
	if (e->name == NULL || e->name[0] == '\0') {
		return ctl_usage_error("contact add", "--name is required");
	}
	int status = ctl_check_text("the name", e->name, DB_NAME_MAX, false);
	if (status != CTL_OK) {
		return status;
	}
	struct db *db = ctl_db(ctl);
	if (db == NULL) {
		return CTL_ERROR;
	}
	struct db_contact c = {
		.name = e->name,
		.company = e->company,
		.email = e->email,
		.birthday = e->birthday,
	};
	int64_t id = 0;
	db_begin(db);
	int ret = db_contact_add(db, &c, &id);
	if (ret < 0) {
		db_rollback(db);
		return ctl_fail("could not add the contact: %s", strerror(-ret));
	}
	if ((status = apply_lists(ctl, db, id, e)) != CTL_OK) {
		db_rollback(db);
		return status;
	}
	if (db_commit(db) < 0) {
		return ctl_fail("could not save the contact");
	}
	if (ctl->json) {
		printf("{\"id\":%lld}\n", (long long)id);
	} else {
		printf("%lld\n", (long long)id);
	}
	return CTL_OK;
}

static int contact_add(struct ctl *ctl, int argc, char *argv[]) {
	struct edits e = {0};
	int status = parse_edits(ctl, "contact add", USES_ADD, argc, argv, &e);
	if (status >= 0) {
		return status;
	}
	if (optind < argc) {
		return ctl_usage_error("contact add", "unexpected argument '%s'", argv[optind]);
	}
	char *asked = NULL;
	if ((e.name == NULL || e.name[0] == '\0') && e.n_add > 0 && isatty(STDIN_FILENO)) {
		/* "Add contact" on a stranger's popup opens a terminal with the number. */
		char *prompt = NULL;
		if (asprintf(&prompt, "Name for %s: ", e.add_phones[0]) >= 0) {
			e.name = asked = ctl_read_line(prompt);
			free(prompt);
		}
	}
	status = add_edits(ctl, &e);
	free(asked);
	return status;
}

static int contact_edit(struct ctl *ctl, int argc, char *argv[]) {
	struct edits e = {0};
	int status = parse_edits(ctl, "contact edit", USES_EDIT, argc, argv, &e);
	if (status >= 0) {
		return status;
	}
	if (optind + 1 != argc) {
		return ctl_usage_error("contact edit", "give exactly one CONTACT");
	}
	if (e.name != NULL && e.name[0] == '\0') {
		return ctl_usage_error("contact edit", "the name cannot be empty");
	}
	int64_t id;
	if ((status = ctl_contact_resolve(ctl, argv[optind], &id)) != CTL_OK) {
		return status;
	}
	struct db *db = ctl->db;
	db_begin(db);
	struct db_contact c = {
		.id = id,
		.name = e.name,
		.company = e.company,
		.email = e.email,
		.birthday = e.birthday,
	};
	int ret = db_contact_update(db, &c);
	if (ret < 0) {
		db_rollback(db);
		return ctl_fail("could not change contact #%lld: %s", (long long)id, strerror(-ret));
	}
	if ((status = apply_lists(ctl, db, id, &e)) != CTL_OK) {
		db_rollback(db);
		return status;
	}
	if (db_commit(db) < 0) {
		return ctl_fail("could not save contact #%lld", (long long)id);
	}
	return CTL_OK;
}

static int print_name(const struct db_contact *c, void *data) {
	(void)data;
	printf("#%lld %s%s%s\n", (long long)c->id, c->name, c->company ? ", " : "",
	       c->company ? c->company : "");
	return 0;
}

static int contact_delete(struct ctl *ctl, int argc, char *argv[]) {
	struct edits e = {0};
	int status = parse_edits(ctl, "contact delete", USES_DELETE, argc, argv, &e);
	if (status >= 0) {
		return status;
	}
	if (optind + 1 != argc) {
		return ctl_usage_error("contact delete", "give exactly one CONTACT");
	}
	int64_t id;
	if ((status = ctl_contact_resolve(ctl, argv[optind], &id)) != CTL_OK) {
		return status;
	}
	if (!e.yes) {
		if (!isatty(STDIN_FILENO)) {
			return ctl_fail(
				"not deleting without --yes (standard input is not a terminal)");
		}
		fputs("Delete ", stdout);
		db_contact_get(ctl->db, id, print_name, NULL);
		fputs("with its numbers, notes and reminders? Calls stay in the log. [y/N] ", stdout);
		if (!ctl_answer_yes()) {
			return ctl_fail("not deleted");
		}
	}
	int ret = db_contact_delete(ctl->db, id);
	if (ret < 0) {
		return ctl_fail("could not delete contact #%lld: %s", (long long)id, strerror(-ret));
	}
	return CTL_OK;
}

struct list_state {
	struct ctl *ctl;
	struct json_writer json;
	struct table table;
	int count;
	const char *const *tags; /* besides the one the walk is by: the contact has all */
	int n_tags;
};

struct tag_check {
	const char *tag;
	bool found;
};

static int find_tag(const char *tag, const char *value, void *data) {
	(void)value;
	struct tag_check *t = data;
	/* as the database compares tags: ASCII letters in either case */
	t->found = t->found || strcasecmp(tag, t->tag) == 0;
	return 0;
}

/* Whether contact has every tag of st; -errno if they could not be read. */
static int has_tags(struct list_state *st, int64_t contact) {
	for (int i = 0; i < st->n_tags; i++) {
		struct tag_check t = {.tag = st->tags[i]};
		int ret = db_tag_foreach(st->ctl->db, contact, find_tag, &t);
		if (ret < 0 || !t.found) {
			return ret < 0 ? ret : 0;
		}
	}
	return 1;
}

static int list_one(const struct db_contact *c, void *data) {
	struct list_state *st = data;
	int has = has_tags(st, c->id);
	if (has <= 0) {
		return has;
	}
	st->count++;
	char phone[64];
	ctl_phones_text(st->ctl, c->id, false, phone, sizeof(phone));
	if (st->ctl->json) {
		json_object_begin(&st->json);
		json_key(&st->json, "id");
		json_int(&st->json, c->id);
		json_key(&st->json, "name");
		json_string(&st->json, c->name);
		json_key(&st->json, "company");
		json_string(&st->json, c->company);
		json_key(&st->json, "phone");
		json_string(&st->json, phone[0] ? phone : NULL);
		json_object_end(&st->json);
		return 0;
	}
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)c->id);
	const char *row[] = {id, c->name, c->company, phone};
	table_add(&st->table, row);
	return 0;
}

static int contact_list(struct ctl *ctl, int argc, char *argv[], bool search) {
	const char *cmd = search ? "contact search" : "contact list";
	struct edits e = {0};
	int status = parse_edits(ctl, cmd, search ? USES_SEARCH : USES_LIST, argc, argv, &e);
	if (status >= 0) {
		return status;
	}
	if (search && optind >= argc) {
		return ctl_usage_error(cmd, "give a QUERY");
	}
	if (!search && optind < argc) {
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	struct db *db = ctl_db(ctl);
	if (db == NULL) {
		return CTL_ERROR;
	}
	struct list_state st = {.ctl = ctl};
	static const char *const headers[] = {"ID", "NAME", "COMPANY", "PHONE"};
	table_init(&st.table, 4, headers);
	json_init(&st.json, stdout);
	if (ctl->json) {
		json_array_begin(&st.json);
	}
	int ret;
	if (search) {
		char query[512] = "";
		for (int i = optind; i < argc; i++) {
			strncat(query, argv[i], sizeof(query) - strlen(query) - 2);
			strcat(query, " ");
		}
		ret = db_contact_search(db, query, e.limit > 0 ? (int)e.limit : 20, list_one, &st);
	} else {
		/* walked by the first tag; the contact must have the others too */
		st.tags = e.n_tags > 1 ? e.tags + 1 : NULL;
		st.n_tags = e.n_tags > 1 ? e.n_tags - 1 : 0;
		ret = db_contact_foreach(db, e.n_tags > 0 ? e.tags[0] : NULL, list_one, &st);
	}
	if (ctl->json) {
		json_array_end(&st.json);
		putchar('\n');
	} else if (st.table.rows > 0) {
		table_print(&st.table, stdout);
	}
	table_finish(&st.table);
	if (ret < 0) {
		return ctl_fail("could not list contacts: %s", strerror(-ret));
	}
	if (search && st.count == 0 && !ctl->json) {
		return ctl_fail("nothing found");
	}
	return CTL_OK;
}

int ctl_contact(struct ctl *ctl, int argc, char *argv[]) {
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(contact_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "show") != 0 && !ctl_help_asked(argc, argv) && ctl_remote(ctl)) {
		return ctl_fail("'contact %s' works on the server's machine, or on its web page "
				"(ctidctl open); this desk shows a card with 'contact show'. "
				"--database FILE uses a database on this machine.",
				sub);
	}
	if (strcmp(sub, "add") == 0) {
		return contact_add(ctl, argc, argv);
	} else if (strcmp(sub, "edit") == 0) {
		return contact_edit(ctl, argc, argv);
	} else if (strcmp(sub, "delete") == 0) {
		return contact_delete(ctl, argc, argv);
	} else if (strcmp(sub, "list") == 0) {
		return contact_list(ctl, argc, argv, false);
	} else if (strcmp(sub, "search") == 0) {
		return contact_list(ctl, argc, argv, true);
	} else if (strcmp(sub, "show") == 0) {
		return ctl_contact_show(ctl, argc, argv);
	} else if (strcmp(sub, "merge") == 0) {
		return ctl_contact_merge(ctl, argc, argv);
	}
	return ctl_usage_error("contact", "unknown contact command '%s'", sub);
}
