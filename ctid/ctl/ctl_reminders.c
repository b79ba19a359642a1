/* ctidctl reminder add|delete|list and ctidctl reminders: dates to act on. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"
#include "when.h"

static const char reminder_usage[] =
	"Usage:\n"
	"  ctidctl reminder add CONTACT --date MM-DD|YYYY-MM-DD [--yearly]\n"
	"                       [--notice DAYS] TEXT...\n"
	"  ctidctl reminder delete ID...\n"
	"  ctidctl reminders [--days N] [--on YYYY-MM-DD] [--contact CONTACT]\n"
	"\n"
	"A reminder is a date to act on for a client: the birthday of a friend\n"
	"they buy gifts for, a renewal. MM-DD comes back every year; YYYY-MM-DD\n"
	"is once (every year with --yearly). It is due DAYS before the date\n"
	"(default 2): then it shows on the client's popup, in 'ctidctl reminders'\n"
	"and as a notification from the daemon. 'add' prints the new id.\n"
	"\n"
	"'reminders' (or 'reminder list') shows what is due, soonest first: each\n"
	"reminder within its notice, or everything within N days with --days.\n"
	"Contacts' own birthdays are included (2 days' notice), with the age when\n"
	"the year is known. --on shows what is due on another day.\n"
	"\n"
	"With --json: add prints {id, contact}; delete {deleted: [ids]};\n"
	"reminders an array of {id (null for a birthday), contact: {id, name},\n"
	"phone, date, days_left, yearly, notice, birthday, age (null when\n"
	"unknown), text}.\n";

#define DEFAULT_NOTICE 2

struct opts {
	const char *date;
	bool yearly;
	long notice;
	bool notice_set;
	long days;
	const char *on;
	const char *contact;
};

static int parse_opts(struct ctl *ctl, const char *cmd, int argc, char *argv[], struct opts *o) {
	enum { OPT_DATE = 256, OPT_YEARLY, OPT_NOTICE, OPT_DAYS, OPT_ON, OPT_CONTACT };
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"date", required_argument, NULL, OPT_DATE},
		{"yearly", no_argument, NULL, OPT_YEARLY},
		{"notice", required_argument, NULL, OPT_NOTICE},
		{"days", required_argument, NULL, OPT_DAYS},
		{"on", required_argument, NULL, OPT_ON},
		{"contact", required_argument, NULL, OPT_CONTACT},
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		switch (opt) {
		case OPT_DATE:
			o->date = optarg;
			break;
		case OPT_YEARLY:
			o->yearly = true;
			break;
		case OPT_NOTICE:
			if (!ctl_parse_int(optarg, 0, 366, &o->notice)) {
				return ctl_usage_error(cmd, "--notice wants days from 0 to 366");
			}
			o->notice_set = true;
			break;
		case OPT_DAYS:
			if (!ctl_parse_int(optarg, 0, 3660, &o->days)) {
				return ctl_usage_error(cmd, "--days wants a number of days");
			}
			break;
		case OPT_ON:
			o->on = optarg;
			break;
		case OPT_CONTACT:
			o->contact = optarg;
			break;
		case 'h':
			fputs(reminder_usage, stdout);
			return CTL_OK;
		default:
			fprintf(stderr, "Try 'ctidctl %s --help'.\n", cmd);
			return CTL_USAGE;
		}
	}
	return -1;
}

static int reminder_add(struct ctl *ctl, const struct opts *o, int argc, char *argv[]) {
	const char *cmd = "reminder add";
	if (o->date == NULL) {
		return ctl_usage_error(cmd, "--date MM-DD or YYYY-MM-DD is required");
	}
	int y, m, d;
	bool yearly = o->yearly;
	if (!when_parse_reminder(o->date, &y, &m, &d, &yearly)) {
		return ctl_usage_error(cmd, "bad date '%s' (use MM-DD or YYYY-MM-DD)", o->date);
	}
	if (argc - optind < 2) {
		return ctl_usage_error(cmd, "give a CONTACT and the TEXT");
	}
	char *text = ctl_join_words(argc, argv, optind + 1);
	if (text == NULL) {
		return ctl_fail("out of memory");
	}
	if (text[strspn(text, " \t")] == '\0') {
		free(text);
		return ctl_usage_error(cmd, "the text is empty");
	}
	if (ctl_check_text("the reminder", text, DB_TEXT_MAX, true) != CTL_OK) {
		free(text);
		return CTL_ERROR;
	}
	int ty, tm, td;
	civil_today(&ty, &tm, &td);
	if (!yearly && (y < ty || (y == ty && (m < tm || (m == tm && d < td))))) {
		free(text);
		return ctl_fail("%s is in the past (use --yearly, or MM-DD, for every year)",
				o->date);
	}
	int64_t contact;
	int status = ctl_contact_resolve(ctl, argv[optind], &contact);
	if (status != CTL_OK) {
		free(text);
		return status;
	}
	int64_t id;
	int ret = db_reminder_add(ctl->db, contact, y, m, d, yearly, (int)o->notice, text, &id);
	free(text);
	if (ret < 0) {
		return ctl_fail("could not add the reminder: %s", strerror(-ret));
	}
	if (ctl->json) {
		printf("{\"id\":%lld,\"contact\":%lld}\n", (long long)id, (long long)contact);
	} else {
		printf("%lld\n", (long long)id);
	}
	return CTL_OK;
}

static int reminder_delete(struct ctl *ctl, int argc, char *argv[]) {
	const char *cmd = "reminder delete";
	if (optind >= argc) {
		return ctl_usage_error(cmd, "give the ids of the reminders to delete");
	}
	for (int i = optind; i < argc; i++) {
		int64_t id;
		if (!ctl_parse_id(argv[i], &id)) {
			return ctl_usage_error(cmd, "'%s' is not a reminder id", argv[i]);
		}
	}
	struct db *db = ctl_db(ctl);
	if (db == NULL) {
		return CTL_ERROR;
	}
	/* all of them or none */
	int ret = db_begin(db);
	for (int i = optind; ret == 0 && i < argc; i++) {
		int64_t id;
		ctl_parse_id(argv[i], &id);
		ret = db_reminder_delete(db, id);
		if (ret < 0) {
			db_rollback(db);
			if (ret == -ENOENT) {
				return ctl_fail("there is no reminder #%lld", (long long)id);
			}
			return ctl_fail("could not delete reminder #%lld: %s", (long long)id,
					strerror(-ret));
		}
	}
	if (ret < 0 || (ret = db_commit(db)) < 0) {
		return ctl_fail("could not delete: %s", strerror(-ret));
	}
	if (ctl->json) {
		struct json_writer w;
		json_init(&w, stdout);
		json_object_begin(&w);
		json_key(&w, "deleted");
		json_array_begin(&w);
		for (int i = optind; i < argc; i++) {
			int64_t id;
			ctl_parse_id(argv[i], &id);
			json_int(&w, id);
		}
		json_array_end(&w);
		json_object_end(&w);
		putchar('\n');
	}
	return CTL_OK;
}

struct due_state {
	struct ctl *ctl;
	struct json_writer w;
	struct table t;
	int count;
};

static int due_one(const struct db_reminder *r, void *data) {
	struct due_state *st = data;
	st->count++;
	char date[16], phone[128];
	snprintf(date, sizeof(date), "%04d-%02d-%02d", r->next_year, r->next_month, r->next_day);
	ctl_phones_text(st->ctl, r->contact_id, false, phone, sizeof(phone));
	if (st->ctl->json) {
		jsonout_reminder(&st->w, r, phone);
		return 0;
	}
	char id[24] = "", when[32];
	if (r->id > 0) {
		snprintf(id, sizeof(id), "%lld", (long long)r->id);
	}
	if (r->days_left == 0) {
		snprintf(when, sizeof(when), "today");
	} else if (r->days_left == 1) {
		snprintf(when, sizeof(when), "tomorrow");
	} else {
		snprintf(when, sizeof(when), "in %d days", r->days_left);
	}
	const char *row[] = {id, date, when, r->contact_name, phone, r->text};
	table_add(&st->t, row);
	return 0;
}

static int reminders_due(struct ctl *ctl, const struct opts *o, const char *cmd, int argc,
			 char *argv[]) {
	if (optind < argc) {
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	int y, m, d;
	if (o->on == NULL) {
		civil_today(&y, &m, &d);
	} else if (!when_parse_date(o->on, &y, &m, &d)) {
		return ctl_usage_error(cmd, "bad date '%s' for --on (use YYYY-MM-DD)", o->on);
	}
	if (ctl_db(ctl) == NULL) {
		return CTL_ERROR;
	}
	int64_t contact = 0;
	if (o->contact != NULL) {
		int status = ctl_contact_resolve(ctl, o->contact, &contact);
		if (status != CTL_OK) {
			return status;
		}
	}
	struct due_state st = {.ctl = ctl};
	static const char *const headers[] = {"ID", "DATE", "WHEN", "CONTACT", "PHONE", "REMINDER"};
	table_init(&st.t, 6, headers);
	json_init(&st.w, stdout);
	if (ctl->json) {
		json_array_begin(&st.w);
	}
	int ret = db_reminder_foreach_due(ctl->db, contact, y, m, d, (int)o->days, due_one, &st);
	if (ctl->json) {
		json_array_end(&st.w);
		putchar('\n');
	} else if (st.count > 0) {
		table_print(&st.t, stdout);
	} else if (o->days == 0) {
		puts("Nothing today.");
	} else if (o->days > 0) {
		printf("Nothing in the next %ld day%s.\n", o->days, o->days == 1 ? "" : "s");
	} else {
		puts("Nothing due.");
	}
	table_finish(&st.t);
	if (ret < 0) {
		return ctl_fail("could not read the reminders: %s", strerror(-ret));
	}
	return CTL_OK;
}

int ctl_reminder(struct ctl *ctl, int argc, char *argv[]) {
	bool plural = strcmp(argv[0], "reminders") == 0;
	if (!plural && (argc < 2 || ctl_help_asked(argc, argv))) {
		fputs(reminder_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	const char *sub = plural ? "list" : argv[1];
	char cmd[32];
	if (plural) {
		snprintf(cmd, sizeof(cmd), "reminders");
	} else {
		snprintf(cmd, sizeof(cmd), "reminder %s", sub);
	}
	if (!plural) {
		argc--;
		argv++;
	}
	struct opts o = {.notice = DEFAULT_NOTICE, .days = -1};
	int status = parse_opts(ctl, cmd, argc, argv, &o);
	if (status >= 0) {
		return status;
	}
	bool add = strcmp(sub, "add") == 0, list = strcmp(sub, "list") == 0;
	if ((o.date != NULL || o.yearly || o.notice_set) && !add) {
		return ctl_usage_error(cmd, "--date, --yearly and --notice are for 'reminder add'");
	}
	if ((o.days >= 0 || o.on != NULL || o.contact != NULL) && !list) {
		return ctl_usage_error(cmd, "--days, --on and --contact are for 'reminders'");
	}
	if (add) {
		return reminder_add(ctl, &o, argc, argv);
	} else if (strcmp(sub, "delete") == 0) {
		return reminder_delete(ctl, argc, argv);
	} else if (list) {
		return reminders_due(ctl, &o, cmd, argc, argv);
	}
	return ctl_usage_error("reminder", "unknown reminder command '%s'", sub);
}
