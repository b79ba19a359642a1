/*
 * libnotify's own cost: what a call's two popups (ringing, then missed)
 * take in CPU when a program does nothing else, shown straight from the
 * main thread the way libnotify's examples do. tests/bench/run runs it
 * against the same notification server as ctid and prints it beside ctid's
 * CPU per call: the part of a call's budget that is libnotify's and GDBus's
 * whatever ctid does around them.
 *
 * notify_floor CALLS [GAP_MS]: prints "floor CALLS cpu_ms_per_call MS"
 * (getrusage of the whole process: GDBus's worker thread included, as in
 * ctid's figure). GAP_MS (default 20) apart: the same work costs a virtual
 * machine's CPU more when it comes after idle (caches gone cold, a vCPU to
 * wake), so the bench also runs it at its calls' pace.
 */
#include <libnotify/notify.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double cpu_ms(void) {
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

static void on_action(NotifyNotification *nn, char *action, gpointer data) {
	(void)nn;
	(void)action;
	(void)data;
}

/* The hints and buttons ctid's popup of a ringing call carries
 * (notify/server.c), then those of the missed call it becomes. */
static void show(NotifyNotification *nn, bool missed) {
	notify_notification_clear_hints(nn);
	notify_notification_set_category(nn, missed ? "call.unanswered" : "call.incoming");
	notify_notification_set_urgency(nn, missed ? NOTIFY_URGENCY_NORMAL : NOTIFY_URGENCY_CRITICAL);
	notify_notification_set_timeout(nn, missed ? NOTIFY_EXPIRES_DEFAULT : NOTIFY_EXPIRES_NEVER);
	notify_notification_set_hint_string(nn, "desktop-entry", "ctid");
	notify_notification_set_hint(nn, missed ? "resident" : "transient",
				     g_variant_new_boolean(TRUE));
	notify_notification_clear_actions(nn);
	notify_notification_add_action(nn, "handled", "Mark handled", on_action, NULL, NULL);
	notify_notification_add_action(nn, "call-back", "Call back", on_action, NULL, NULL);
	notify_notification_add_action(nn, "open", "Open card", on_action, NULL, NULL);
	notify_notification_add_action(nn, "default", "Open card", on_action, NULL, NULL);
	GError *err = NULL;
	if (!notify_notification_show(nn, &err)) {
		fprintf(stderr, "notify_floor: %s\n", err->message);
		exit(1);
	}
}

int main(int argc, char **argv) {
	int calls = argc > 1 ? atoi(argv[1]) : 0;
	long gap_ms = argc > 2 ? atol(argv[2]) : 20;
	if (calls <= 0 || gap_ms < 0) {
		fprintf(stderr, "usage: notify_floor CALLS [GAP_MS]\n");
		return 2;
	}
	notify_init("ctid");
	NotifyNotification *warm = notify_notification_new("warm-up", NULL, NULL);
	show(warm, false); /* the proxy and the server's capabilities, once */
	g_object_unref(warm);
	GMainContext *ctx = g_main_context_default();
	double total = 0;
	for (int i = 0; i < calls; i++) {
		double t0 = cpu_ms();
		NotifyNotification *nn =
			notify_notification_new("Alice Example",
						"Acme Ltd\n020 7946 0018 · 3rd call this month\n"
						"Last note: asked for black shoe cream",
						"call-start");
		show(nn, false);
		notify_notification_update(nn, "Alice Example", "Missed call\nAcme Ltd", "call-stop");
		show(nn, true);
		g_object_unref(nn);
		while (g_main_context_iteration(ctx, FALSE)) {
			/* the server's signals (NotificationClosed) reach us too */
		}
		total += cpu_ms() - t0;
		struct timespec gap = {gap_ms / 1000, gap_ms % 1000 * 1000 * 1000};
		nanosleep(&gap, NULL);
	}
	printf("floor %d cpu_ms_per_call %.3f\n", calls, total / calls);
	notify_uninit();
	return 0;
}
