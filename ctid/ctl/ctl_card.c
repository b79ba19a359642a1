/* ctidctl contact show: the card, its history and what is coming up. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"
#include "phone.h"

#define TIMELINE_MAX 200

struct event {
	int64_t when;
	int64_t id;
	const char *type; /* "note", "request", "order", "call" */
	char *text;
	bool open;
	/* calls */
	enum db_call_state state;
	int rings;
	char *line;
	char *number;
	bool handled;
};

struct card {
	struct ctl *ctl;
	struct db_contact c;
	char *name, *company, *email, *birthday;
	struct event events[TIMELINE_MAX];
	int n_events;
	struct json_writer w;
};

static char *dup_or_null(const char *s) {
	return s != NULL ? strdup(s) : NULL;
}

static int take_contact(const struct db_contact *c, void *data) {
	struct card *card = data;
	card->c = *c;
	card->name = dup_or_null(c->name);
	card->company = dup_or_null(c->company);
	card->email = dup_or_null(c->email);
	card->birthday = dup_or_null(c->birthday);
	return 0;
}

static int take_note(const struct db_note *n, void *data) {
	struct card *card = data;
	if (card->n_events >= TIMELINE_MAX) {
		return 1;
	}
	struct event *e = &card->events[card->n_events++];
	memset(e, 0, sizeof(*e));
	e->when = n->created;
	e->id = n->id;
	e->type = db_note_kind_str(n->kind);
	e->text = strdup(n->text);
	e->open = n->open;
	return 0;
}

static int take_call(const struct db_call *c, void *data) {
	struct card *card = data;
	if (card->n_events >= TIMELINE_MAX) {
		return 1;
	}
	struct event *e = &card->events[card->n_events++];
	memset(e, 0, sizeof(*e));
	e->when = c->started;
	e->id = c->id;
	e->type = "call";
	e->state = c->state;
	e->rings = c->rings;
	e->line = dup_or_null(c->line);
	e->number = dup_or_null(c->number);
	e->handled = c->handled != 0;
	return 0;
}

static int event_cmp(const void *a, const void *b) {
	const struct event *x = a, *y = b;
	if (x->when != y->when) {
		return x->when > y->when ? -1 : 1;
	}
	return x->id > y->id ? -1 : x->id < y->id;
}

static int json_field(const char *key, const char *value, void *data) {
	struct json_writer *w = data;
	json_key(w, key);
	json_string(w, value);
	return 0;
}

static int json_tag(const char *tag, const char *value, void *data) {
	(void)value;
	json_string(data, tag);
	return 0;
}

static void iso_date(int y, int m, int d, char *buf, size_t size) {
	snprintf(buf, size, "%04d-%02d-%02d", y, m, d);
}

static int json_reminder(const struct db_reminder *r, void *data) {
	struct json_writer *w = data;
	char date[16];
	iso_date(r->next_year, r->next_month, r->next_day, date, sizeof(date));
	json_object_begin(w);
	json_key(w, "id");
	json_int_or_null(w, r->id > 0, r->id);
	json_key(w, "text");
	json_string(w, r->text);
	json_key(w, "date");
	json_string(w, date);
	json_key(w, "days_left");
	json_int(w, r->days_left);
	json_key(w, "yearly");
	json_bool(w, r->yearly);
	json_key(w, "birthday");
	json_bool(w, r->birthday);
	json_object_end(w);
	return 0;
}

static void print_json(struct card *card) {
	struct db *db = card->ctl->db;
	struct json_writer *w = &card->w;
	char t[40];
	json_init(w, stdout);
	json_object_begin(w);
	json_key(w, "id");
	json_int(w, card->c.id);
	json_key(w, "name");
	json_string(w, card->name);
	json_key(w, "company");
	json_string(w, card->company);
	json_key(w, "email");
	json_string(w, card->email);
	json_key(w, "birthday");
	json_string(w, card->birthday);
	output_iso_time(card->c.created, t, sizeof(t));
	json_key(w, "created");
	json_string(w, t);
	output_iso_time(card->c.updated, t, sizeof(t));
	json_key(w, "updated");
	json_string(w, t);
	json_key(w, "phones");
	jsonout_phones(w, db, card->c.id, card->ctl->region);
	json_key(w, "fields");
	json_object_begin(w);
	db_field_foreach(db, card->c.id, json_field, w);
	json_object_end(w);
	json_key(w, "tags");
	json_array_begin(w);
	db_tag_foreach(db, card->c.id, json_tag, w);
	json_array_end(w);
	json_key(w, "open_requests");
	json_array_begin(w);
	for (int i = card->n_events - 1; i >= 0; i--) {
		const struct event *e = &card->events[i];
		if (strcmp(e->type, "request") == 0 && e->open) {
			output_iso_time(e->when, t, sizeof(t));
			json_object_begin(w);
			json_key(w, "id");
			json_int(w, e->id);
			json_key(w, "text");
			json_string(w, e->text);
			json_key(w, "created");
			json_string(w, t);
			json_object_end(w);
		}
	}
	json_array_end(w);
	json_key(w, "reminders");
	json_array_begin(w);
	int y, m, d;
	civil_today(&y, &m, &d);
	db_reminder_foreach_due(db, card->c.id, y, m, d, 366, json_reminder, w);
	json_array_end(w);
	json_key(w, "timeline");
	json_array_begin(w);
	for (int i = 0; i < card->n_events; i++) {
		const struct event *e = &card->events[i];
		output_iso_time(e->when, t, sizeof(t));
		json_object_begin(w);
		json_key(w, "type");
		json_string(w, e->type);
		json_key(w, "id");
		json_int(w, e->id);
		json_key(w, "time");
		json_string(w, t);
		if (strcmp(e->type, "call") == 0) {
			json_key(w, "state");
			json_string(w, db_call_state_str(e->state));
			json_key(w, "number");
			json_string(w, e->number);
			json_key(w, "line");
			json_string(w, e->line);
			json_key(w, "rings");
			json_int(w, e->rings);
			json_key(w, "handled");
			json_bool(w, e->handled);
		} else {
			json_key(w, "text");
			json_string(w, e->text);
			if (strcmp(e->type, "note") != 0) {
				json_key(w, "open");
				json_bool(w, e->open);
			}
		}
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
	putchar('\n');
}

static int text_phone(const struct db_phone *p, void *data) {
	struct card *card = data;
	char formatted[64];
	output_number(p->e164, p->raw, card->ctl->region, formatted, sizeof(formatted));
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

static void print_text(struct card *card) {
	struct db *db = card->ctl->db;
	FILE *out = stdout;
	printf("%s%s%s  #%lld\n", output_bold(out), card->name, output_reset(out),
	       (long long)card->c.id);
	if (card->company != NULL) {
		printf("  %s\n", card->company);
	}
	db_phone_foreach(db, card->c.id, text_phone, card);
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
		const struct event *e = &card->events[i];
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
		const struct event *e = &card->events[i];
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
	struct card *card = calloc(1, sizeof(*card));
	if (card == NULL) {
		return ctl_fail("out of memory");
	}
	card->ctl = ctl;
	struct db *db = ctl->db;
	db_contact_get(db, id, take_contact, card);
	struct db_note_filter nf = {.contact_id = id, .limit = TIMELINE_MAX / 2};
	db_note_foreach(db, &nf, take_note, card);
	struct db_call_filter cf = {.contact_id = id, .limit = TIMELINE_MAX / 2};
	db_call_foreach(db, &cf, take_call, card);
	qsort(card->events, (size_t)card->n_events, sizeof(card->events[0]), event_cmp);

	if (ctl->json) {
		print_json(card);
	} else {
		print_text(card);
	}

	for (int i = 0; i < card->n_events; i++) {
		free(card->events[i].text);
		free(card->events[i].line);
		free(card->events[i].number);
	}
	free(card->name);
	free(card->company);
	free(card->email);
	free(card->birthday);
	free(card);
	return CTL_OK;
}
