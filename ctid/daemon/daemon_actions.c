/* What the buttons on a popup do, and the daily reminders. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon_private.h"
#include "log.h"

#define DEFAULT_OPEN_CARD \
	"x-terminal-emulator -e ctidctl --database {database} contact show {contact}"
#define DEFAULT_ADD_NOTE "x-terminal-emulator -e ctidctl --database {database} note add {contact}"
#define DEFAULT_ADD_CONTACT \
	"x-terminal-emulator -e ctidctl --database {database} contact add --phone {number}"
#define DEFAULT_REMINDER_TIME "09:00"

void daemon_remember_popup(struct daemon *d, const struct active *a) {
	struct popup *p = daemon_find_popup(d, a->key);
	if (p == NULL) {
		p = &d->popups[d->next_popup];
		d->next_popup = (d->next_popup + 1) % POPUPS_KEPT;
	}
	p->key = a->key;
	p->call_id = a->id;
	p->contact_id = a->match.contact_id;
	snprintf(p->number, sizeof(p->number), "%s", a->info.number);
	p->missed = a->info.state == CALL_STATE_MISSED || a->info.state == CALL_STATE_UNKNOWN;
}

struct popup *daemon_find_popup(struct daemon *d, uint64_t key) {
	for (int i = 0; i < POPUPS_KEPT; i++) {
		if (d->popups[i].key == key && key != 0) {
			return &d->popups[i];
		}
	}
	return NULL;
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
static void run_command(struct daemon *d, const char *template, const struct popup *p) {
	char **words = NULL;
	GError *err = NULL;
	if (!g_shell_parse_argv(template, NULL, &words, &err)) {
		log_error("Bad command '%s': %s", template, err->message);
		g_error_free(err);
		return;
	}
	char contact[32], call[32];
	snprintf(contact, sizeof(contact), "#%lld", (long long)p->contact_id);
	snprintf(call, sizeof(call), "%lld", (long long)p->call_id);
	const char *const names[] = {"contact", "number", "call", "database"};
	const char *const values[] = {contact, p->number, call, d->database};
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

void daemon_action(uint64_t key, const char *action, void *data) {
	struct daemon *d = data;
	struct popup *p = daemon_find_popup(d, key);
	if (p == NULL) {
		log_debug("Action %s on a popup that is no longer known", action);
		return;
	}
	log_info("Popup action %s (call %lld)", action, (long long)p->call_id);
	if (strcmp(action, "open-card") == 0 && p->contact_id > 0) {
		run_command(d, d->config.open_card != NULL ? d->config.open_card : DEFAULT_OPEN_CARD,
			    p);
	} else if (strcmp(action, "add-note") == 0 && p->contact_id > 0) {
		run_command(d, d->config.add_note != NULL ? d->config.add_note : DEFAULT_ADD_NOTE, p);
	} else if (strcmp(action, "add-contact") == 0 && p->number[0] != '\0') {
		run_command(d, DEFAULT_ADD_CONTACT, p);
	} else if (strcmp(action, "mark-handled") == 0 && p->call_id > 0) {
		int ret = daemon_mark_handled(d, p->call_id);
		if (ret < 0) {
			log_error("Could not mark call %lld handled: %s", (long long)p->call_id,
				  strerror(-ret));
		}
	} else if (strcmp(action, "call-back") == 0 && p->number[0] != '\0') {
		struct line *line = lines_dialer(d->lines);
		int ret = line != NULL ? line_dial(line, p->number) : -ENOTSUP;
		if (ret < 0) {
			log_error("Could not call %s back: %s", p->number, strerror(-ret));
		} else if (p->call_id > 0) {
			db_call_mark_called_back(d->db, p->call_id, (int64_t)time(NULL));
			if (d->notify != NULL) {
				notify_close(d->notify, key);
			}
		}
	}
}

/* Reminders */

static int announce_one(const struct db_reminder *r, void *data) {
	struct daemon *d = data;
	char date[16];
	snprintf(date, sizeof(date), "%04d-%02d-%02d", r->next_year, r->next_month, r->next_day);
	if (db_reminder_mark_announced(d->db, r->id, r->contact_id, date) != 0) {
		return 0; /* already announced, or could not say: never twice */
	}
	log_info("Reminder for %s: %s (%s)", r->contact_name, r->text, date);
	if (d->notify == NULL) {
		return 0;
	}
	/* Reminder popups use keys above every call's, so they never collide. */
	uint64_t key = (UINT64_C(1) << 62) | (uint64_t)(r->id > 0 ? r->id : r->contact_id) << 1 |
		       (r->id > 0 ? 0 : 1);
	struct popup *p = &d->popups[d->next_popup];
	d->next_popup = (d->next_popup + 1) % POPUPS_KEPT;
	*p = (struct popup){.key = key, .contact_id = r->contact_id};
	struct notify_reminder_card card = {
		.contact_name = r->contact_name,
		.text = r->text,
		.days_left = r->days_left,
		.year = r->next_year,
		.month = r->next_month,
		.day = r->next_day,
		.contact_id = r->contact_id,
	};
	notify_show_reminder(d->notify, key, &card);
	return 0;
}

/*
 * Finding the due reminders means reading every contact's birthday: over a
 * second for a million contacts (tests/bench), during which no call could be
 * handled. So the walk, and the announcing, go in slices of at most
 * SLICE_US from an idle source: a call or a D-Bus request waits for one
 * slice at most. A step that waits for the disk cannot be cut short, so
 * steps are small (256 rows: a few pages). And at start-up the walk waits
 * STARTUP_DELAY_S: after a reboot nothing of the database is cached, and
 * the walk's reads made the modems' set-up wait (ready 250 ms after exec
 * instead of 36 ms with a million contacts).
 */
#define SLICE_US	2000
#define SLICE_ROWS	256
#define STARTUP_DELAY_S 3

static void reminder_scan_stop(struct daemon *d) {
	if (d->reminder_scan_source != 0) {
		g_source_remove(d->reminder_scan_source);
		d->reminder_scan_source = 0;
	}
	db_due_scan_destroy(d->reminder_scan);
	d->reminder_scan = NULL;
}

static gboolean reminder_scan_cb(gpointer data) {
	struct daemon *d = data;
	gint64 until = g_get_monotonic_time() + SLICE_US;
	int ret = 1;
	while (d->reminder_scan != NULL &&
	       (ret = db_due_scan_step(d->reminder_scan, SLICE_ROWS)) > 0) {
		if (g_get_monotonic_time() >= until) {
			return G_SOURCE_CONTINUE;
		}
	}
	if (ret < 0) {
		log_warn("Could not read the reminders: %s", strerror(-ret));
		d->reminder_scan_source = 0;
		reminder_scan_stop(d);
		return G_SOURCE_REMOVE;
	}
	const struct db_reminder *r;
	while ((r = db_due_scan_get(d->reminder_scan, d->reminder_next)) != NULL) {
		d->reminder_next++;
		announce_one(r, d);
		if (g_get_monotonic_time() >= until) {
			return G_SOURCE_CONTINUE;
		}
	}
	log_debug("Reminders checked: %zu due", d->reminder_next);
	d->reminder_scan_source = 0;
	reminder_scan_stop(d);
	if (d->reminder_next > 0) {
		daemon_checkpoint_later(d); /* announcing wrote a row per reminder */
	}
	return G_SOURCE_REMOVE;
}

static void announce_reminders(struct daemon *d) {
	if (d->reminder_scan != NULL) {
		return; /* one walk at a time; it announces what is due */
	}
	int y, m, day;
	daemon_today(&y, &m, &day);
	d->reminder_scan = db_due_scan_create(d->db, y, m, day, -1);
	if (d->reminder_scan == NULL) {
		log_warn("Could not read the reminders: %s", strerror(errno));
		return;
	}
	d->reminder_next = 0;
	d->reminder_scan_source = g_idle_add(reminder_scan_cb, d);
}

/* Seconds from now to the next local HH:MM. */
static unsigned int seconds_until(const char *hhmm) {
	int h = 9, min = 0;
	sscanf(hhmm, "%d:%d", &h, &min);
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	tm.tm_hour = h;
	tm.tm_min = min;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	time_t at = mktime(&tm);
	if (at <= now) {
		tm.tm_mday++;
		tm.tm_isdst = -1;
		at = mktime(&tm);
	}
	return (unsigned int)(at - now);
}

static gboolean reminder_startup_cb(gpointer data) {
	struct daemon *d = data;
	d->reminder_startup = 0;
	announce_reminders(d);
	return G_SOURCE_REMOVE;
}

static gboolean reminder_cb(gpointer data) {
	struct daemon *d = data;
	d->reminder_timer = 0;
	announce_reminders(d);
	daemon_reminders_start(d);
	return G_SOURCE_REMOVE;
}

void daemon_reminders_start(struct daemon *d) {
	if (d->reminder_timer != 0) {
		return;
	}
	const char *at = d->config.reminder_time != NULL ? d->config.reminder_time
							 : DEFAULT_REMINDER_TIME;
	if (d->next_key == 0 && d->ended_calls == 0 && d->reminder_startup == 0 &&
	    d->reminder_scan == NULL) {
		/* at start-up, a little later, in slices */
		d->reminder_startup = g_timeout_add_seconds(STARTUP_DELAY_S, reminder_startup_cb, d);
	}
	d->reminder_timer = g_timeout_add_seconds(seconds_until(at), reminder_cb, d);
}

bool daemon_reminders_pause(struct daemon *d) {
	bool walking = d->reminder_scan != NULL;
	reminder_scan_stop(d);
	return walking;
}

void daemon_reminders_resume(struct daemon *d) {
	announce_reminders(d);
}

void daemon_reminders_stop(struct daemon *d) {
	if (d->reminder_timer != 0) {
		g_source_remove(d->reminder_timer);
		d->reminder_timer = 0;
	}
}

void daemon_reminders_finish(struct daemon *d) {
	daemon_reminders_stop(d);
	if (d->reminder_startup != 0) {
		g_source_remove(d->reminder_startup);
		d->reminder_startup = 0;
	}
	reminder_scan_stop(d);
}
