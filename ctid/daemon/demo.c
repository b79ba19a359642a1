/*
 * ctid --demo: a demo database with a few clients and their history, a
 * simulated Conexant modem on a pseudo-terminal (forked off before any
 * thread exists), and the real daemon. The modem rings twice: a known
 * client who has an open request and a friend's birthday coming up, then a
 * number nobody knows that rings out. The screen-pops appear on the desktop
 * when there is one, and their text is printed either way (SSH works).
 * With --desks N, N desks (ctid --connect, each as a user of its own) follow
 * the demo's server and print the same calls, each line marked with whose
 * desk it is: the office in one terminal.
 */
#include <errno.h>
#include <glib.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "run.h"
#include "sim.h"

/* Ofcom's numbers for drama: they never belong to anyone. */
#define CLIENT_NUMBER  "020 7946 0018"
#define STRANGER       "01632 960472"
#define CLIENT_TELCO   "POZDNIAKOV I"
#define RING_INTERVAL  1500
#define RING_TIMEOUT_S 4

static const char script[] = "sleep 2\n"
			     "call 02079460018 \"" CLIENT_TELCO "\" rings=3 answer=3 name_delay=0.8\n"
			     "sleep 6\n"
			     "call 01632960472 rings=4\n"
			     "sleep 8\n"
			     "quit\n";

static int64_t days_ago(int days, int hour, int minute) {
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	tm.tm_mday -= days;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

static int add_call(struct db *db, int64_t contact, const char *number, const char *e164,
		    int64_t when, enum db_call_state state) {
	struct db_call c = {
		.started = when,
		.ended = when + 20,
		.line = "shop",
		.number = number,
		.e164 = e164,
		.contact_id = contact,
		.rings = state == DB_CALL_MISSED ? 5 : 2,
		.state = state,
	};
	return db_call_add(db, &c, NULL);
}

static int fill(struct db *db) {
	int64_t ivan, olga, petr;
	struct db_contact c1 = {
		.name = "Ivan Pozdniakov",
		.company = "Pozdniakov & Sons, shoes",
		.email = "ivan@pozdniakov.example",
		.birthday = "1971-03-14",
	};
	struct db_contact c2 = {.name = "Olga Sergeyevna", .company = "Book Corner"};
	struct db_contact c3 = {.name = "Petr Ilyich", .company = "Petr's Leather Goods"};
	if (db_contact_add(db, &c1, &ivan) < 0 || db_contact_add(db, &c2, &olga) < 0 ||
	    db_contact_add(db, &c3, &petr) < 0) {
		return -1;
	}
	db_phone_add(db, ivan, CLIENT_NUMBER, "shop", NULL);
	db_phone_add(db, ivan, "07700 900461", "mobile", NULL);
	db_phone_add(db, olga, "0113 496 0311", "work", NULL);
	db_phone_add(db, petr, "0161 496 0725", "work", NULL);
	db_field_set(db, ivan, "shoe size", "43");
	db_tag_add(db, ivan, "wholesale");

	int64_t n;
	db_note_add(db, ivan, DB_NOTE_NOTE,
		    "Asked for black shoe cream; Pelevin's Generation P on order", &n);
	db_note_add(db, ivan, DB_NOTE_REQUEST, "Black shoe cream, 2 tins: call when it arrives", &n);
	db_note_add(db, ivan, DB_NOTE_ORDER, "Pelevin, Generation P (hardback)", &n);
	db_note_add(db, olga, DB_NOTE_NOTE, "Prefers calls after 2 pm", &n);

	/* A friend's birthday in two days: the client buys gifts for it. */
	time_t soon = time(NULL) + 2 * 86400;
	struct tm tm;
	localtime_r(&soon, &tm);
	db_reminder_add(db, ivan, 0, tm.tm_mon + 1, tm.tm_mday, true, 2,
			"Friend's birthday: offer a new gift", NULL);

	add_call(db, ivan, "02079460018", "+442079460018", days_ago(12, 11, 2), DB_CALL_ANSWERED);
	add_call(db, ivan, "02079460018", "+442079460018", days_ago(5, 16, 40), DB_CALL_ANSWERED);
	add_call(db, ivan, "02079460018", "+442079460018", days_ago(1, 16, 8), DB_CALL_MISSED);
	add_call(db, olga, "01134960311", "+441134960311", days_ago(2, 10, 30), DB_CALL_ANSWERED);
	return 0;
}

/* The demo's web page, with a link that logs this Unix user in (the first
 * user of the demo's database: an admin). */
static void print_page_link(const char *database, const char *base) {
	if (base == NULL) {
		return;
	}
	struct passwd *pw = getpwuid(getuid());
	char link[AUTH_TOKEN_LEN + 1];
	struct db *db = db_open(database, 0);
	int ret = db != NULL && pw != NULL ? auth_link_new(db, pw->pw_name, link) : -EIO;
	db_close(db);
	char *url = ret == 0 ? auth_link_url(base, link, "/#/now") : g_strdup(base);
	printf("The web page, while the demo runs (the calls show live there too):\n  %s\n\n", url);
	fflush(stdout);
	g_free(url);
}

/* A desk of the demo: a ctid --connect whose screen-pops are printed here,
 * each line marked with its user's name. */
struct desk {
	char user[16];
	GPid pid;
	GIOChannel *out;
	guint watch;
	GString *text;	/* all it printed: the demo waits for the last call */
	size_t printed; /* how much of text went to stdout */
};

static const char *const desk_users[] = {"anna", "boris", "vera", "gleb"};

static void print_lines(struct desk *k, bool all) {
	for (;;) {
		const char *start = k->text->str + k->printed;
		const char *nl = strchr(start, '\n');
		if (nl == NULL && !(all && start[0] != '\0')) {
			break;
		}
		int len = nl != NULL ? (int)(nl - start) : (int)strlen(start);
		printf("  %-5s | %.*s\n", k->user, len, start);
		k->printed += (size_t)len + (nl != NULL);
	}
	fflush(stdout);
}

static gboolean on_desk_output(GIOChannel *ch, GIOCondition cond, gpointer data) {
	struct desk *k = data;
	char buf[4096];
	gsize n = 0;
	GIOStatus st = g_io_channel_read_chars(ch, buf, sizeof(buf), &n, NULL);
	if (n > 0) {
		g_string_append_len(k->text, buf, (gssize)n);
		print_lines(k, false);
	}
	if (st == G_IO_STATUS_EOF || st == G_IO_STATUS_ERROR) {
		k->watch = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* Makes user a seller with an API token and starts their desk on url. */
static bool start_desk(struct desk *k, const char *dir, const char *database, const char *url,
		       const char *self) {
	char token[AUTH_TOKEN_LEN + 1], digest[AUTH_DIGEST_LEN + 1];
	int64_t id = 0;
	struct db *db = db_open(database, 0);
	int ret = db != NULL ? db_user_add(db, k->user, DB_ROLE_SELLER, NULL, &id) : -EIO;
	if (ret == 0 && (ret = auth_token_new(token)) == 0) {
		auth_token_digest(token, digest);
		ret = db_token_add(db, id, DB_TOKEN_API, digest, NULL, 0, NULL);
	}
	db_close(db);
	char *file = g_strdup_printf("%s/desk-%s.json", dir, k->user);
	char *json = g_strdup_printf("{\"url\": \"%s\", \"user\": \"%s\", \"token\": \"%s\"}\n",
				     url, k->user, token);
	char *conf = g_strdup_printf("%s/desk.conf", dir);
	bool ok = ret == 0 && g_file_set_contents(file, json, -1, NULL) &&
		  g_file_set_contents(conf, "", 0, NULL);
	if (ok) {
		const char *argv[] = {self,   "--connect",   url,	"--token-file",
				      file,   "--config",    conf,	"--bus",
				      "none", "--no-notify", "--print", NULL};
		gint out = -1;
		GError *err = NULL;
		ok = g_spawn_async_with_pipes(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL,
					      NULL, &k->pid, NULL, &out, NULL, &err);
		if (ok) {
			k->out = g_io_channel_unix_new(out);
			g_io_channel_set_close_on_unref(k->out, TRUE);
			g_io_channel_set_encoding(k->out, NULL, NULL);
			g_io_channel_set_flags(k->out, G_IO_FLAG_NONBLOCK, NULL);
			k->watch = g_io_add_watch(k->out, G_IO_IN | G_IO_HUP | G_IO_ERR,
						  on_desk_output, k);
			k->text = g_string_new(NULL);
		} else {
			fprintf(stderr, "ctid: could not start %s's desk: %s\n", k->user,
				err->message);
			g_error_free(err);
		}
	} else {
		fprintf(stderr, "ctid: could not make %s's desk\n", k->user);
	}
	g_free(conf);
	g_free(json);
	g_free(file);
	return ok;
}

/* After the server's last call: each desk prints it too (a few
 * milliseconds; at most 5 s), then stops. */
static void stop_desks(struct desk *desks, int n, const char *last) {
	int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	for (int i = 0; i < n; i++) {
		while (desks[i].text != NULL && strstr(desks[i].text->str, last) == NULL &&
		       desks[i].watch != 0 && g_get_monotonic_time() < deadline) {
			g_main_context_iteration(NULL, TRUE);
		}
	}
	for (int i = 0; i < n; i++) {
		if (desks[i].text == NULL) {
			continue;
		}
		kill(desks[i].pid, SIGTERM);
		while (desks[i].watch != 0) {
			g_main_context_iteration(NULL, TRUE);
		}
		print_lines(&desks[i], true);
		waitpid(desks[i].pid, NULL, 0);
		g_spawn_close_pid(desks[i].pid);
		g_io_channel_unref(desks[i].out);
		g_string_free(desks[i].text, TRUE);
	}
}

/* Runs the simulator in a child; returns its pid, or -1. */
static pid_t start_modem(struct sim *sim, const char *script_path) {
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_IGN);
		int ret = sim_run(sim, -1, script_path);
		sim_destroy(sim);
		_exit(ret < 0 ? 1 : 0);
	}
	return pid;
}

int run_demo(const struct run_options *ro) {
	char dir[] = "/tmp/ctid-demo-XXXXXX";
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "ctid: could not make a folder for the demo: %s\n", strerror(errno));
		return 1;
	}
	char database[sizeof(dir) + 16], script_path[sizeof(dir) + 16];
	snprintf(database, sizeof(database), "%s/ctid.db", dir);
	snprintf(script_path, sizeof(script_path), "%s/calls", dir);
	FILE *f = fopen(script_path, "w");
	if (f == NULL || fputs(script, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "ctid: could not write %s\n", script_path);
		return 1;
	}
	struct db *db = db_open(database, 0);
	if (db == NULL) {
		return 1;
	}
	db_set_region(db, "GB");
	db_begin(db);
	int ret = fill(db);
	db_commit(db);
	db_close(db);
	if (ret < 0) {
		fprintf(stderr, "ctid: could not fill the demo database\n");
		return 1;
	}

	struct sim_options so = {
		.dialect = SIM_DIALECT_CONEXANT,
		.ring_interval_ms = RING_INTERVAL,
		.events_fd = -1,
	};
	struct sim *sim = sim_create(&so);
	char tty[256];
	if (sim == NULL || sim_open_pty(sim, tty, sizeof(tty)) < 0) {
		fprintf(stderr, "ctid: could not start the simulated modem\n");
		sim_destroy(sim);
		return 1;
	}
	pid_t child = start_modem(sim, script_path);
	sim_destroy(sim); /* the child has its own copy */
	if (child < 0) {
		fprintf(stderr, "ctid: could not start the simulated modem: %s\n", strerror(errno));
		return 1;
	}

	bool desktop = getenv("DBUS_SESSION_BUS_ADDRESS") != NULL &&
		       (getenv("DISPLAY") != NULL || getenv("WAYLAND_DISPLAY") != NULL);
	printf("ctid demo: a simulated modem on %s rings twice: a known client, then a\n"
	       "stranger who rings out. Screen-pops %s.\n\n",
	       tty, desktop ? "appear on your desktop and are printed here" : "are printed here");
	fflush(stdout);

	/* The line's name is the device's: call it what a shop would. It sits
	 * in a folder of its own: every entry of the device folder is taken
	 * for a modem. */
	char devdir[sizeof(dir) + 8], line[sizeof(dir) + 16];
	snprintf(devdir, sizeof(devdir), "%s/dev", dir);
	snprintf(line, sizeof(line), "%s/shop", devdir);
	bool linked = mkdir(devdir, 0700) == 0 && symlink(tty, line) == 0;
	/* The demo's settings: none of the user's file, its own everything. */
	struct config_source src = {.no_file = true};
	char ring_timeout[16];
	snprintf(ring_timeout, sizeof(ring_timeout), "%d", RING_TIMEOUT_S);
	config_source_add(&src, "device", linked ? line : tty);
	config_source_add(&src, "device-dir", devdir);
	config_source_add(&src, "database", database);
	config_source_add(&src, "region", "GB");
	config_source_add(&src, "ring-timeout", ring_timeout);
	config_source_add(&src, "bus", desktop ? "session" : "none");
	config_source_add(&src, "notify", desktop ? "yes" : "no");
	/* any free port: the demo never stands in the way of a ctid running */
	config_source_add(&src, "listen", "127.0.0.1:0");
	struct daemon_options o = {
		.source = &src,
		.print = stdout,
		.exit_after_calls = 2,
		.exit_without_modems = true,
	};
	(void)ro;
	struct config cfg;
	struct daemon *d = NULL;
	if (config_build(&cfg, &src) == 0) {
		d = daemon_create(&cfg, &o);
	}
	config_finish(&cfg);
	if (d == NULL && desktop) {
		/* another ctid owns the bus name: show the demo without D-Bus */
		config_source_add(&src, "bus", "none");
		if (config_build(&cfg, &src) == 0) {
			d = daemon_create(&cfg, &o);
		}
		config_finish(&cfg);
	}
	int status = 1;
	struct desk desks[4] = {{.pid = 0}};
	int n_desks = 0;
	if (d != NULL) {
		print_page_link(database, daemon_web_url(d));
		char self[4096];
		ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[len > 0 ? len : 0] = '\0';
		for (int i = 0; i < ro->desks && len > 0 && daemon_web_url(d) != NULL; i++) {
			g_strlcpy(desks[i].user, desk_users[i], sizeof(desks[i].user));
			n_desks += start_desk(&desks[i], dir, database, daemon_web_url(d), self);
		}
		if (n_desks > 0) {
			printf("%d desks follow the server: their screen-pops are marked with the "
			       "user's name.\n\n",
			       n_desks);
			fflush(stdout);
		}
		status = daemon_run(d);
		/* the stranger's call, rung out: the last thing each desk shows
		 * (while the server still serves them) */
		stop_desks(desks, ro->desks, "Missed call from 01632 960472");
		daemon_destroy(d);
	}
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	/* ctidctl sits next to ctid in the build, or on the PATH once installed. */
	char ctl[4096] = "ctidctl";
	ssize_t len = readlink("/proc/self/exe", ctl, sizeof(ctl) - 16);
	char *slash = len > 0 ? memrchr(ctl, '/', (size_t)len) : NULL;
	if (slash != NULL) {
		strcpy(slash + 1, "ctidctl");
		if (access(ctl, X_OK) < 0 || strstr(ctl, "/bin/") != NULL) {
			strcpy(ctl, "ctidctl");
		}
	} else {
		strcpy(ctl, "ctidctl");
	}
	printf("The demo's database stays in %s; try\n"
	       "  %s --database %s contact show pozd\n"
	       "  %s --database %s calls\n",
	       dir, ctl, database, ctl, database);
	return status;
}
