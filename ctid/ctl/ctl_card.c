/* ctidctl contact show: the card, its history and what is coming up. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card.h"
#include "civil.h"
#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"
#include "phone.h"

static int text_phone(const struct db_phone *p, void *data) {
	struct ctl *ctl = data;
	char formatted[64];
	output_number(p->e164, p->raw, ctl->region, formatted, sizeof(formatted));
	printf("  %-10s %s\n", p->label ? p->label : "phone", formatted);
	return 0;
}

static int text_field(const char *key, const char *value, void *data) {
	(void)data;
	printf("  %-10s %s\n", key, value);
	return 0;
}

static int text_tag(const char *tag, const char *value, void *data) {
	(void)value;
	int *n = data;
	printf("%s%s", (*n)++ ? ", " : "  tags       ", tag);
	return 0;
}

static int text_reminder(const struct db_reminder *r, void *data) {
	int *n = data;
	if ((*n)++ == 0) {
		printf("\n%sComing up%s\n", output_bold(stdout), output_reset(stdout));
	}
	char when[32];
	if (r->days_left == 0) {
		snprintf(when, sizeof(when), "today");
	} else if (r->days_left == 1) {
		snprintf(when, sizeof(when), "tomorrow");
	} else {
		snprintf(when, sizeof(when), "in %d days", r->days_left);
	}
	printf("  %04d-%02d-%02d  %-10s %s\n", r->next_year, r->next_month, r->next_day, when,
	       r->text);
	return 0;
}

static void print_text(struct ctl *ctl, const struct card *card) {
	struct db *db = ctl->db;
	FILE *out = stdout;
	printf("%s%s%s  #%lld\n", output_bold(out), card->name, output_reset(out),
	       (long long)card->c.id);
	if (card->company != NULL) {
		printf("  %s\n", card->company);
	}
	db_phone_foreach(db, card->c.id, text_phone, ctl);
	if (card->email != NULL) {
		printf("  %-10s %s\n", "email", card->email);
	}
	if (card->birthday != NULL) {
		printf("  %-10s %s\n", "birthday",
		       card->birthday[0] == '-' ? card->birthday + 2 : card->birthday);
	}
	db_field_foreach(db, card->c.id, text_field, NULL);
	int tags = 0;
	db_tag_foreach(db, card->c.id, text_tag, &tags);
	if (tags > 0) {
		putchar('\n');
	}

	int open = 0;
	for (int i = card->n_events - 1; i >= 0; i--) {
		const struct card_event *e = &card->events[i];
		if (strcmp(e->type, "request") == 0 && e->open) {
			if (open++ == 0) {
				printf("\n%sOpen requests%s\n", output_bold(out), output_reset(out));
			}
			char t[32];
			output_relative(e->when, (int64_t)time(NULL), t, sizeof(t));
			printf("  #%-4lld %s  %s(%s)%s\n", (long long)e->id, e->text,
			       output_dim(out), t, output_reset(out));
		}
	}
	int y, m, d;
	civil_today(&y, &m, &d);
	int reminders = 0;
	db_reminder_foreach_due(db, card->c.id, y, m, d, 60, text_reminder, &reminders);

	if (card->n_events > 0) {
		printf("\n%sHistory%s\n", output_bold(out), output_reset(out));
	}
	for (int i = 0; i < card->n_events; i++) {
		const struct card_event *e = &card->events[i];
		char t[32];
		output_time(e->when, t, sizeof(t));
		if (strcmp(e->type, "call") == 0) {
			const char *red =
				e->state == DB_CALL_MISSED && !e->handled ? output_red(out) : "";
			printf("  %s  %-8s %s%s%s, %d ring%s%s%s%s\n", t, "call", red,
			       db_call_state_str(e->state), red[0] ? output_reset(out) : "",
			       e->rings, e->rings == 1 ? "" : "s", e->line ? ", line " : "",
			       e->line ? e->line : "", e->handled ? ", handled" : "");
		} else {
			printf("  %s  %-8s %s%s\n", t, e->type, e->text,
			       strcmp(e->type, "note") != 0 && !e->open ? " (closed)" : "");
		}
	}
}

int ctl_contact_show(struct ctl *ctl, int argc, char *argv[]) {
	static const struct option opts[] = {CTL_COMMON_LONGOPTS, {0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		if (opt == 'h') {
			puts("Usage: ctidctl contact show CONTACT [--json]");
			return CTL_OK;
		}
		fputs("Try 'ctidctl contact show --help'.\n", stderr);
		return CTL_USAGE;
	}
	if (optind + 1 != argc) {
		return ctl_usage_error("contact show", "give exactly one CONTACT");
	}
	int64_t id;
	int status = ctl_contact_resolve(ctl, argv[optind], &id);
	if (status != CTL_OK) {
		return status;
	}
	struct card *card = card_load(ctl->db, id);
	if (card == NULL) {
		return ctl_fail("could not read contact #%lld: %s", (long long)id, strerror(errno));
	}
	if (ctl->json) {
		int y, m, d;
		civil_today(&y, &m, &d);
		struct json_writer w;
		json_init(&w, stdout);
		card_write_json(&w, ctl->db, card, ctl->region, y, m, d);
		putchar('\n');
	} else {
		print_text(ctl, card);
	}
	card_destroy(card);
	return CTL_OK;
}
