/* The popups of calls and reminders, and what their buttons do. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notify.h"
#include "popups.h"

#define DEFAULT_OPEN_CARD \
	"x-terminal-emulator -e ctidctl --database {database} contact show {contact}"
#define DEFAULT_ADD_NOTE "x-terminal-emulator -e ctidctl --database {database} note add {contact}"
#define DEFAULT_ADD_CONTACT \
	"x-terminal-emulator -e ctidctl --database {database} contact add --phone {number}"

/* What a popup stands for, so its buttons still work after the call ended.
 * The last POPUPS_KEPT are remembered (a popup older than that no longer
 * answers its buttons: its call is long over). */
struct popup {
	uint64_t key;
	int64_t call_id;
	int64_t contact_id;
	char number[CALL_NUMBER_MAX];
	bool missed;
};

#define POPUPS_KEPT 64

struct popups {
	struct popups_options opts;
	struct popups_actions actions;
	void *data;
	struct notify *notify;
	struct popup kept[POPUPS_KEPT];
	int next;
};

static struct popup *find(struct popups *p, uint64_t key) {
	for (int i = 0; i < POPUPS_KEPT; i++) {
		if (p->kept[i].key == key && key != 0) {
			return &p->kept[i];
		}
	}
	return NULL;
}

/* The popup for key: the one remembered, or the oldest slot, emptied. */
static struct popup *remember(struct popups *p, uint64_t key) {
	struct popup *pp = find(p, key);
	if (pp == NULL) {
		pp = &p->kept[p->next];
		p->next = (p->next + 1) % POPUPS_KEPT;
		*pp = (struct popup){.key = key};
	}
	return pp;
}

/* Replaces every {name} in word with its value; a new string. */
static char *expand(const char *word, const char *const names[], const char *const values[], int n) {
	GString *out = g_string_new(NULL);
	const char *p = word;
	while (*p != '\0') {
		bool done = false;
		for (int i = 0; i < n && *p == '{'; i++) {
			size_t len = strlen(names[i]);
			if (strncmp(p + 1, names[i], len) == 0 && p[len + 1] == '}') {
				g_string_append(out, values[i]);
				p += len + 2;
				done = true;
				break;
			}
		}
		if (!done) {
			g_string_append_c(out, *p++);
		}
	}
	return g_string_free(out, FALSE);
}

/*
 * Runs a configured command for a popup. The template is split into words
 * (quotes group, nothing else is special) before the placeholders are
 * filled in, and the program is started directly: no shell ever sees what
 * a caller or the telco sent.
 */
static void run_command(struct popups *p, const char *template, const struct popup *pp) {
	char **words = NULL;
	GError *err = NULL;
	if (!g_shell_parse_argv(template, NULL, &words, &err)) {
		log_error("Bad command '%s': %s", template, err->message);
		g_error_free(err);
		return;
	}
	char contact[32], call[32];
	snprintf(contact, sizeof(contact), "#%lld", (long long)pp->contact_id);
	snprintf(call, sizeof(call), "%lld", (long long)pp->call_id);
	const char *const names[] = {"contact", "number", "call", "database"};
	const char *const values[] = {contact, pp->number, call, p->opts.database};
	int n = (int)g_strv_length(words);
	char **argv = g_new0(char *, (size_t)n + 1);
	for (int i = 0; i < n; i++) {
		argv[i] = expand(words[i], names, values, 4);
	}
	g_strfreev(words);
	if (!g_spawn_async(NULL, argv, NULL,
			   G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL |
				   G_SPAWN_STDOUT_TO_DEV_NULL,
			   NULL, NULL, NULL, &err)) {
		log_error("Could not run %s: %s", argv[0], err->message);
		g_error_free(err);
	}
	g_strfreev(argv);
}

/*
 * What a button that opens something does: the command the user configured,
 * else the web page at path, else the default command.
 */
static void open_or_run(struct popups *p, const char *configured, const char *path,
			const char *fallback, const struct popup *pp) {
	if (configured != NULL) {
		run_command(p, configured, pp);
	} else if (p->actions.open_page == NULL || p->actions.open_page(path, p->data) < 0) {
		run_command(p, fallback, pp);
	}
}

static void on_action(uint64_t key, const char *action, void *data) {
	struct popups *p = data;
	struct popup *pp = find(p, key);
	if (pp == NULL) {
		log_debug("Action %s on a popup that is no longer known", action);
		return;
	}
	log_info("Popup action %s (call %lld)", action, (long long)pp->call_id);
	const struct config *cfg = p->opts.config;
	char path[CALL_NUMBER_MAX * 3 + 64];
	char *number = g_uri_escape_string(pp->number, NULL, FALSE);
	if (strcmp(action, "open-card") == 0 && pp->contact_id > 0) {
		snprintf(path, sizeof(path), "/#/contacts/%lld", (long long)pp->contact_id);
		open_or_run(p, cfg->open_card, path, DEFAULT_OPEN_CARD, pp);
	} else if (strcmp(action, "add-note") == 0 && pp->contact_id > 0) {
		snprintf(path, sizeof(path), "/#/contacts/%lld/note", (long long)pp->contact_id);
		open_or_run(p, cfg->add_note, path, DEFAULT_ADD_NOTE, pp);
	} else if (strcmp(action, "add-contact") == 0 && pp->number[0] != '\0') {
		snprintf(path, sizeof(path), "/#/contacts/new?number=%s", number);
		open_or_run(p, NULL, path, DEFAULT_ADD_CONTACT, pp);
	} else if (strcmp(action, "mark-handled") == 0 && pp->call_id > 0) {
		int ret = p->actions.mark_handled(pp->call_id, p->data);
		if (ret < 0) {
			log_error("Could not mark call %lld handled: %s", (long long)pp->call_id,
				  strerror(-ret));
		}
	} else if (strcmp(action, "call-back") == 0 && pp->number[0] != '\0') {
		int ret = p->actions.call_back(pp->number, pp->call_id, p->data);
		if (ret < 0) {
			log_error("Could not call %s back: %s", pp->number, strerror(-ret));
		} else {
			notify_close(p->notify, key);
		}
	}
	g_free(number);
}

static enum notify_call_state notify_state(enum call_state s) {
	switch (s) {
	case CALL_STATE_ANSWERED:
		return NOTIFY_CALL_ANSWERED;
	case CALL_STATE_MISSED:
		return NOTIFY_CALL_MISSED;
	case CALL_STATE_UNKNOWN:
		return NOTIFY_CALL_UNKNOWN;
	case CALL_STATE_RINGING:
		break;
	}
	return NOTIFY_CALL_RINGING;
}

void popups_card(const struct call_entry *e, const char *line, bool can_dial,
		 struct notify_card *out) {
	const struct db_history *h = &e->history;
	const struct call_info *i = &e->info;
	struct notify_card card = {
		.name = e->match.contact_id > 0 ? e->match.name : NULL,
		.company = e->company,
		.telco_name = i->name[0] ? i->name : NULL,
		.withheld = call_withheld_str(i->withheld),
		.ambiguous = e->match.ambiguous,
		.number = e->formatted[0] ? e->formatted : NULL,
		.line = line,
		.contact_id = e->match.contact_id,
		.can_dial = can_dial && i->number[0] != '\0',
		.history_unknown = !e->history_ok,
		.calls_before = h->calls,
		.last_call = h->last_call * 1000,
		.last_missed = h->calls > 0 && h->last_state == DB_CALL_MISSED,
		.last_handled = h->last_handled,
		.missed_unhandled = h->missed_unhandled,
		.requests_open = h->open_requests,
		.state = notify_state(i->state),
		.rings = i->rings,
		.started = i->started_wall,
		.now = g_get_real_time() / 1000,
	};
	for (int k = 0; k < h->n_notes && k < NOTIFY_NOTES_MAX; k++) {
		card.notes[k].text = h->notes[k].text;
		card.notes[k].time = h->notes[k].when * 1000;
	}
	for (int k = 0; k < h->n_requests && k < NOTIFY_REQUESTS_MAX; k++) {
		card.requests[k] = h->requests[k].text;
	}
	for (int k = 0; k < h->n_reminders && k < NOTIFY_REMINDERS_MAX; k++) {
		card.reminders[k].text = h->reminders[k].text;
		card.reminders[k].days_left = h->reminders[k].days_left;
	}
	*out = card;
}

void popups_set_shown(struct popups *p, void (*fn)(uint64_t key, void *data), void *data) {
	if (p != NULL) {
		notify_set_shown(p->notify, fn, data);
	}
}

bool popups_async(const struct popups *p) {
	return p != NULL && notify_enabled(p->notify);
}

void popups_show_call(struct popups *p, const struct call_entry *e, const char *line, bool can_dial) {
	if (p == NULL) {
		return;
	}
	struct notify_card card;
	popups_card(e, line, can_dial, &card);
	popups_show_card(p, e->key, &card, e->id, e->info.number);
}

void popups_show_card(struct popups *p, uint64_t key, const struct notify_card *card,
		      int64_t call_id, const char *number) {
	if (p == NULL) {
		return;
	}
	notify_show(p->notify, key, card);
	struct popup *pp = remember(p, key);
	pp->call_id = call_id;
	pp->contact_id = card->contact_id;
	snprintf(pp->number, sizeof(pp->number), "%s", number != NULL ? number : "");
	pp->missed = card->state == NOTIFY_CALL_MISSED || card->state == NOTIFY_CALL_UNKNOWN;
}

void popups_show_reminder(struct popups *p, const struct db_reminder *r) {
	if (p == NULL) {
		return;
	}
	/* Reminder popups use keys above every call's, so they never collide. */
	uint64_t key = (UINT64_C(1) << 62) | (uint64_t)(r->id > 0 ? r->id : r->contact_id) << 1 |
		       (r->id > 0 ? 0 : 1);
	struct popup *pp = remember(p, key);
	pp->contact_id = r->contact_id;
	struct notify_reminder_card card = {
		.contact_name = r->contact_name,
		.text = r->text,
		.days_left = r->days_left,
		.year = r->next_year,
		.month = r->next_month,
		.day = r->next_day,
		.contact_id = r->contact_id,
	};
	notify_show_reminder(p->notify, key, &card);
}

void popups_call_handled(struct popups *p, int64_t call_id) {
	if (p == NULL) {
		return;
	}
	for (int i = 0; i < POPUPS_KEPT; i++) {
		struct popup *pp = &p->kept[i];
		if (pp->key != 0 && pp->call_id == call_id && pp->missed) {
			notify_close(p->notify, pp->key);
		}
	}
}

struct popups *popups_create(const struct popups_options *o, const struct popups_actions *a,
			     void *data) {
	struct popups *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return NULL;
	}
	p->opts = *o;
	p->actions = *a;
	p->data = data;
	struct notify_options no = {
		.enabled = o->notify,
		.print = o->print != NULL,
		.print_to = o->print,
	};
	p->notify = notify_create(&no, NULL, on_action, p);
	if (p->notify == NULL) {
		int err = errno;
		free(p);
		errno = err;
		return NULL;
	}
	return p;
}

void popups_destroy(struct popups *p) {
	if (p == NULL) {
		return;
	}
	notify_destroy(p->notify);
	free(p);
}
