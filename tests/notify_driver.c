/*
 * Drives notify/ from a test script, line by line on stdin, as the daemon
 * would: show, update and close popups, and report what comes back.
 *
 *   notify_driver [--disabled] [--print FILE]
 *
 * Commands, each answered with one line on stdout:
 *   show KEY FIXTURE STATE  -> "show KEY rc=0 us=N" (N: how long notify_show took)
 *   reminder KEY            -> "reminder KEY rc=0 us=N": a birthday reminder's popup
 *   close KEY               -> "close KEY rc=0 us=N"
 *   destroy                 -> "destroy us=N"
 *   measure-sync            -> "sync ok=1 us=N": one notify_notification_show()
 *                              called directly, blocking, to measure what the
 *                              worker thread saves the daemon (manual use only)
 *   quit
 * FIXTURE: known, unknown, telco, markup, private, unavailable. STATE:
 * ringing, answered, missed, unknown. Whenever they arrive, on their own lines:
 *   action KEY ID
 *   log LEVEL MESSAGE
 */

#include <errno.h>
#include <gio/gio.h>
#include <inttypes.h>
#include <libnotify/notify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "notify.h"

static struct notify *notifier;
static GMainLoop *loop;

#define MINUTE (60 * 1000LL)
#define DAY    (24 * 60 * MINUTE)

static int64_t now_ms(void) {
	return g_get_real_time() / 1000;
}

static bool fixture(const char *name, struct notify_card *card) {
	int64_t now = now_ms();
	*card = (struct notify_card){.now = now, .started = now, .rings = 1, .can_dial = true};
	if (strcmp(name, "known") == 0) {
		card->name = "Marta Kowalska";
		card->company = "Kowalska & Syn, shoes and books";
		card->telco_name = "KOWALSKA M";
		card->number = "020 7946 0018";
		card->line = "Shop";
		card->contact_id = 42;
		card->calls_before = 3;
		card->last_call = now - DAY - 90 * MINUTE;
		card->last_missed = true;
		card->missed_unhandled = 1;
		card->notes[0] =
			(struct notify_note){"Asked for black shoe cream; Pelevin's Generation P on order",
					     now - 12 * DAY};
		card->requests[0] = "Black shoe cream, 2 tins";
		card->requests[1] = "Generation P, hardback";
		card->requests_open = 3;
		card->reminders[0] = (struct notify_reminder){"call when Generation P arrives", 2};
	} else if (strcmp(name, "unknown") == 0) {
		card->number = "07700 900123";
	} else if (strcmp(name, "telco") == 0) {
		card->number = "07700 900123";
		card->telco_name = "SMITH JOHN";
	} else if (strcmp(name, "markup") == 0) {
		card->name = "<b>x</b>";
		card->company = "Smith & Sons <Ltd>";
		card->number = "07700 900123";
		card->contact_id = 7;
	} else if (strcmp(name, "private") == 0) {
		card->withheld = "private";
		card->line = "Shop";
	} else if (strcmp(name, "unavailable") == 0) {
		card->withheld = "unavailable";
	} else {
		return false;
	}
	return true;
}

static bool parse_state(const char *s, enum notify_call_state *state) {
	static const char *const names[] = {"ringing", "answered", "missed", "unknown"};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strcmp(s, names[i]) == 0) {
			*state = (enum notify_call_state)i;
			return true;
		}
	}
	return false;
}

static void reply(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void reply(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

static void on_action(uint64_t key, const char *action, void *data) {
	reply("action %" PRIu64 " %s", key, action);
}

static void on_log(enum log_level level, const char *msg, void *data) {
	static const char *const names[] = {"silent", "error", "warning", "info", "debug"};
	reply("log %s %s", names[level], msg);
}

/* One blocking Notify through libnotify, as the daemon would do without the worker. */
static void measure_sync(void) {
	notify_init("ctid-measure");
	NotifyNotification *nn = notify_notification_new("measure", "sync", NULL);
	gint64 start = g_get_monotonic_time();
	gboolean shown = notify_notification_show(nn, NULL);
	reply("sync ok=%d us=%" G_GINT64_FORMAT, shown, g_get_monotonic_time() - start);
	g_object_unref(nn);
	notify_uninit();
}

static void run(char *line) {
	char *argv[4] = {NULL};
	int argc = 0;
	for (char *tok = strtok(line, " \t\r\n"); tok != NULL && argc < 4;
	     tok = strtok(NULL, " \t\r\n")) {
		argv[argc++] = tok;
	}
	if (argc == 0) {
		return;
	}
	gint64 start = g_get_monotonic_time();
	if (strcmp(argv[0], "show") == 0 && argc == 4) {
		struct notify_card card;
		enum notify_call_state state;
		if (!fixture(argv[2], &card) || !parse_state(argv[3], &state)) {
			reply("error bad fixture or state");
			return;
		}
		card.state = state;
		if (state == NOTIFY_CALL_MISSED) {
			card.rings = 5;
			card.started = card.now - 2 * MINUTE;
		}
		int rc = notify_show(notifier, strtoull(argv[1], NULL, 10), &card);
		reply("show %s rc=%d us=%" G_GINT64_FORMAT, argv[1], rc,
		      g_get_monotonic_time() - start);
	} else if (strcmp(argv[0], "reminder") == 0 && argc == 2) {
		struct notify_reminder_card r = {
			.contact_name = "Ivan Pozdniakov",
			.text = "Birthday (54)",
			.days_left = 1,
			.year = 2026,
			.month = 3,
			.day = 14,
			.contact_id = 7,
		};
		int rc = notify_show_reminder(notifier, strtoull(argv[1], NULL, 10), &r);
		reply("reminder %s rc=%d us=%" G_GINT64_FORMAT, argv[1], rc,
		      g_get_monotonic_time() - start);
	} else if (strcmp(argv[0], "close") == 0 && argc == 2) {
		int rc = notify_close(notifier, strtoull(argv[1], NULL, 10));
		reply("close %s rc=%d us=%" G_GINT64_FORMAT, argv[1], rc,
		      g_get_monotonic_time() - start);
	} else if (strcmp(argv[0], "destroy") == 0) {
		notify_destroy(notifier);
		notifier = NULL;
		reply("destroy us=%" G_GINT64_FORMAT, g_get_monotonic_time() - start);
	} else if (strcmp(argv[0], "measure-sync") == 0) {
		measure_sync();
	} else if (strcmp(argv[0], "quit") == 0) {
		g_main_loop_quit(loop);
	} else {
		reply("error unknown command %s", argv[0]);
	}
}

static gboolean on_stdin(GIOChannel *ch, GIOCondition cond, gpointer data) {
	char *line = NULL;
	GIOStatus st = g_io_channel_read_line(ch, &line, NULL, NULL, NULL);
	if (st == G_IO_STATUS_NORMAL) {
		run(line);
		g_free(line);
		return G_SOURCE_CONTINUE;
	}
	if (st == G_IO_STATUS_AGAIN) {
		return G_SOURCE_CONTINUE;
	}
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char *argv[]) {
	struct notify_options opts = {.enabled = true};
	FILE *print = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--disabled") == 0) {
			opts.enabled = false;
		} else if (strcmp(argv[i], "--print") == 0 && i + 1 < argc) {
			print = fopen(argv[++i], "w");
			if (print == NULL) {
				perror(argv[i]);
				return 1;
			}
			opts.print = true;
			opts.print_to = print;
		} else {
			fprintf(stderr, "usage: %s [--disabled] [--print FILE]\n", argv[0]);
			return 2;
		}
	}
	log_init("notify_driver", LOG_DEBUG);
	log_set_sink(on_log, NULL);

	loop = g_main_loop_new(NULL, FALSE);
	notifier = notify_create(&opts, NULL, on_action, NULL);
	if (notifier == NULL) {
		reply("error notify_create: %s", strerror(errno));
		return 1;
	}
	reply("ready");

	GIOChannel *in = g_io_channel_unix_new(0);
	g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
	g_main_loop_run(loop);

	notify_destroy(notifier);
	g_io_channel_unref(in);
	g_main_loop_unref(loop);
	if (print != NULL) {
		fclose(print);
	}
	return 0;
}
