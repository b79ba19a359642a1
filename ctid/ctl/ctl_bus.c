/* ctidctl monitor, status and callback: talking to the running daemon. */
#include <dbus/dbus.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "ctl.h"
#include "json.h"
#include "jsonout.h"
#include "output.h"

static const char bus_usage[] =
	"Usage:\n"
	"  ctidctl monitor [--json] [--system]   print call events as they happen\n"
	"  ctidctl status [--json] [--system]    the daemon's modems and their state\n"
	"  ctidctl callback CALL [--system]      dial the caller of CALL back\n"
	"\n"
	"monitor prints one line per event; with --json one object per line, with\n"
	"\"event\" (CallStarted, CallUpdated, CallEnded, ModemAdded, ModemRemoved)\n"
	"and the keys of the call or modem.\n";

static DBusConnection *connect_bus(bool system) {
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn = dbus_bus_get(system ? DBUS_BUS_SYSTEM : DBUS_BUS_SESSION, &err);
	if (conn == NULL) {
		ctl_fail("could not connect to the %s bus: %s", system ? "system" : "session",
			 err.message);
		dbus_error_free(&err);
	}
	return conn;
}

/* Writes the value at it (a variant's content) as JSON. */
static void json_value(struct json_writer *w, DBusMessageIter *it) {
	switch (dbus_message_iter_get_arg_type(it)) {
	case DBUS_TYPE_STRING: {
		const char *s;
		dbus_message_iter_get_basic(it, &s);
		json_string(w, s);
		break;
	}
	case DBUS_TYPE_INT64: {
		dbus_int64_t v;
		dbus_message_iter_get_basic(it, &v);
		json_int(w, v);
		break;
	}
	case DBUS_TYPE_INT32: {
		dbus_int32_t v;
		dbus_message_iter_get_basic(it, &v);
		json_int(w, v);
		break;
	}
	case DBUS_TYPE_UINT32: {
		dbus_uint32_t v;
		dbus_message_iter_get_basic(it, &v);
		json_int(w, v);
		break;
	}
	case DBUS_TYPE_BOOLEAN: {
		dbus_bool_t v;
		dbus_message_iter_get_basic(it, &v);
		json_bool(w, v);
		break;
	}
	default:
		json_null(w);
	}
}

/* Writes the entries of an a{sv} at it as keys of the open JSON object. */
static void json_dict_entries(struct json_writer *w, DBusMessageIter *it) {
	DBusMessageIter dict;
	dbus_message_iter_recurse(it, &dict);
	while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
		DBusMessageIter entry, var;
		dbus_message_iter_recurse(&dict, &entry);
		const char *key;
		dbus_message_iter_get_basic(&entry, &key);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &var);
		json_key(w, key);
		json_value(w, &var);
		dbus_message_iter_next(&dict);
	}
}

/* The value of key in the a{sv} at it, or false when it has none. */
static bool dict_find(DBusMessageIter *it, const char *key, DBusMessageIter *value) {
	DBusMessageIter dict;
	dbus_message_iter_recurse(it, &dict);
	while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
		DBusMessageIter entry;
		dbus_message_iter_recurse(&dict, &entry);
		const char *k;
		dbus_message_iter_get_basic(&entry, &k);
		dbus_message_iter_next(&entry);
		if (strcmp(k, key) == 0) {
			dbus_message_iter_recurse(&entry, value);
			return true;
		}
		dbus_message_iter_next(&dict);
	}
	return false;
}

/* A string of the a{sv} at it, valid while the message is; "" when absent. */
static const char *dict_string(DBusMessageIter *it, const char *key) {
	DBusMessageIter v;
	const char *s = "";
	if (dict_find(it, key, &v) && dbus_message_iter_get_arg_type(&v) == DBUS_TYPE_STRING) {
		dbus_message_iter_get_basic(&v, &s);
	}
	return s;
}

/* A number (or boolean, as 0 or 1) of the a{sv} at it; 0 when absent. */
static int64_t dict_int(DBusMessageIter *it, const char *key) {
	DBusMessageIter v;
	if (!dict_find(it, key, &v)) {
		return 0;
	}
	switch (dbus_message_iter_get_arg_type(&v)) {
	case DBUS_TYPE_INT64: {
		dbus_int64_t x;
		dbus_message_iter_get_basic(&v, &x);
		return x;
	}
	case DBUS_TYPE_INT32: {
		dbus_int32_t x;
		dbus_message_iter_get_basic(&v, &x);
		return x;
	}
	case DBUS_TYPE_UINT32: {
		dbus_uint32_t x;
		dbus_message_iter_get_basic(&v, &x);
		return x;
	}
	case DBUS_TYPE_BOOLEAN: {
		dbus_bool_t x;
		dbus_message_iter_get_basic(&v, &x);
		return x != 0;
	}
	default:
		return 0;
	}
}

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
	(void)sig;
	stop = 1;
}

static void print_event(struct ctl *ctl, DBusMessage *msg) {
	const char *member = dbus_message_get_member(msg);
	DBusMessageIter it;
	bool has_args = dbus_message_iter_init(msg, &it);
	if (ctl->json) {
		struct json_writer w;
		json_init(&w, stdout);
		json_object_begin(&w);
		json_key(&w, "event");
		json_string(&w, member);
		if (has_args && dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_ARRAY) {
			json_dict_entries(&w, &it);
		} else if (has_args && dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_STRING) {
			json_key(&w, "path");
			json_value(&w, &it);
		}
		json_object_end(&w);
		putchar('\n');
		fflush(stdout);
		return;
	}
	char when[16];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (!has_args) {
		printf("%s %s\n", when, member);
	} else if (dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_STRING) {
		const char *path;
		dbus_message_iter_get_basic(&it, &path);
		printf("%s %-12s %s\n", when, member, path);
	} else if (strncmp(member, "Call", 4) == 0) {
		const char *contact = dict_string(&it, "contact_name");
		const char *name = dict_string(&it, "name");
		const char *withheld = dict_string(&it, "withheld");
		int64_t rings = dict_int(&it, "rings");
		const char *caller = contact[0]	   ? contact
				     : name[0]	   ? name
				     : withheld[0] ? withheld
						   : "unknown caller";
		printf("%s %-12s %-24s %-18s line %s, %lld ring%s, %s\n", when, member, caller,
		       dict_string(&it, "formatted"), dict_string(&it, "line"), (long long)rings,
		       rings == 1 ? "" : "s", dict_string(&it, "state"));
	} else {
		printf("%s %-12s %s %s (%s)\n", when, member, dict_string(&it, "path"),
		       dict_string(&it, "model"), dict_string(&it, "state"));
	}
	fflush(stdout);
}

static int monitor(struct ctl *ctl, bool system) {
	DBusConnection *conn = connect_bus(system);
	if (conn == NULL) {
		return CTL_ERROR;
	}
	DBusError err;
	dbus_error_init(&err);
	dbus_bus_add_match(conn, "type='signal',interface='" BUS_INTERFACE "',path='" BUS_PATH "'",
			   &err);
	if (dbus_error_is_set(&err)) {
		ctl_fail("could not watch for calls: %s", err.message);
		dbus_error_free(&err);
		return CTL_ERROR;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* On stderr, also with --json: scripts (and the tests) can tell when
	 * nothing more will be missed. */
	fprintf(stderr, "Watching for calls (Ctrl-C to stop)...\n");
	while (!stop && dbus_connection_read_write(conn, 1000)) {
		DBusMessage *msg;
		while ((msg = dbus_connection_pop_message(conn)) != NULL) {
			if (dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_SIGNAL &&
			    dbus_message_has_interface(msg, BUS_INTERFACE)) {
				print_event(ctl, msg);
			}
			dbus_message_unref(msg);
		}
	}
	dbus_connection_unref(conn);
	return CTL_OK;
}

/* Calls method on the daemon; returns the reply or NULL after saying why. */
static DBusMessage *call(DBusConnection *conn, DBusMessage *msg) {
	DBusError err;
	dbus_error_init(&err);
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(conn, msg, 10000, &err);
	dbus_message_unref(msg);
	if (reply == NULL) {
		if (strcmp(err.name, DBUS_ERROR_SERVICE_UNKNOWN) == 0 ||
		    strcmp(err.name, DBUS_ERROR_NAME_HAS_NO_OWNER) == 0) {
			ctl_fail("ctid is not running on this bus");
		} else {
			ctl_fail("%s", err.message);
		}
		dbus_error_free(&err);
	}
	return reply;
}

/* The Settings property (a(ss), list keys repeated) as a JSON object. */
static void json_settings(struct json_writer *w, DBusMessageIter *it) {
	struct jsonout_settings js;
	jsonout_settings_begin(&js, w);
	DBusMessageIter array;
	dbus_message_iter_recurse(it, &array);
	while (dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_STRUCT) {
		DBusMessageIter pair;
		const char *key, *value;
		dbus_message_iter_recurse(&array, &pair);
		dbus_message_iter_get_basic(&pair, &key);
		dbus_message_iter_next(&pair);
		dbus_message_iter_get_basic(&pair, &value);
		jsonout_settings_add(&js, key, value);
		dbus_message_iter_next(&array);
	}
	jsonout_settings_end(&js);
}

/* The Web property (a{sv} of urls and fingerprint) as JSON, or a line. */
static void web_status(struct json_writer *w, DBusMessageIter *web) {
	DBusMessageIter urls, array;
	bool have = dict_find(web, "urls", &urls) &&
		    dbus_message_iter_get_arg_type(&urls) == DBUS_TYPE_ARRAY;
	const char *fp = dict_string(web, "fingerprint");
	if (w != NULL) {
		json_object_begin(w);
		json_key(w, "urls");
		json_array_begin(w);
	}
	int n = 0;
	if (have) {
		dbus_message_iter_recurse(&urls, &array);
		while (dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_STRING) {
			const char *url;
			dbus_message_iter_get_basic(&array, &url);
			if (w != NULL) {
				json_string(w, url);
			} else {
				printf("%s%s", n++ ? ", " : "Web page: ", url);
			}
			dbus_message_iter_next(&array);
		}
	}
	if (w != NULL) {
		json_array_end(w);
		json_key(w, "fingerprint");
		json_string(w, fp[0] ? fp : NULL);
		json_object_end(w);
	} else if (n == 0) {
		puts("Web page: off (listen = none)");
	} else {
		putchar('\n');
		if (fp[0]) {
			printf("  TLS certificate SHA-256 %s\n", fp);
		}
	}
}

char *ctl_bus_web_url(bool system) {
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn = dbus_bus_get(system ? DBUS_BUS_SYSTEM : DBUS_BUS_SESSION, &err);
	if (conn == NULL) {
		dbus_error_free(&err);
		return NULL;
	}
	DBusMessage *msg =
		dbus_message_new_method_call(BUS_NAME, BUS_PATH, DBUS_INTERFACE_PROPERTIES, "Get");
	const char *iface = BUS_INTERFACE, *name = "Web";
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &name,
				 DBUS_TYPE_INVALID);
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(conn, msg, 5000, &err);
	dbus_message_unref(msg);
	dbus_error_free(&err);
	char *url = NULL;
	DBusMessageIter it, var, urls, array;
	if (reply != NULL && dbus_message_iter_init(reply, &it) &&
	    dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_VARIANT) {
		dbus_message_iter_recurse(&it, &var);
		if (dict_find(&var, "urls", &urls) &&
		    dbus_message_iter_get_arg_type(&urls) == DBUS_TYPE_ARRAY) {
			dbus_message_iter_recurse(&urls, &array);
			if (dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_STRING) {
				const char *u;
				dbus_message_iter_get_basic(&array, &u);
				url = strdup(u);
			}
		}
	}
	if (reply != NULL) {
		dbus_message_unref(reply);
	}
	dbus_connection_unref(conn);
	return url;
}

/* A desk's link to its server, for people: one line. */
static void print_server(DBusMessageIter *srv) {
	const char *url = dict_string(srv, "url"), *user = dict_string(srv, "user");
	if (dict_int(srv, "connected")) {
		char since[32];
		output_time(dict_int(srv, "since"), since, sizeof(since));
		printf("A desk of %s as %s: connected since %s\n", url, user, since);
	} else {
		printf("%sA desk of %s as %s: not connected (%s); trying again%s\n",
		       output_red(stdout), url, user, dict_string(srv, "error"),
		       output_reset(stdout));
	}
}

/* Prints the database's health for people: one line, and what it means. */
static void print_database(DBusMessageIter *db) {
	const char *path = dict_string(db, "path");
	if (dict_int(db, "writable")) {
		printf("Database: %s\n", path);
		return;
	}
	char since[32];
	output_time(dict_int(db, "since"), since, sizeof(since));
	int64_t waiting = dict_int(db, "waiting");
	printf("%sDatabase: %s cannot be written since %s (%s)%s\n", output_red(stdout), path,
	       since, dict_string(db, "error"), output_reset(stdout));
	printf("  %lld call%s kept in memory until it can; ctid retries by itself.\n",
	       (long long)waiting, waiting == 1 ? "" : "s");
}

static int status(struct ctl *ctl, bool system) {
	DBusConnection *conn = connect_bus(system);
	if (conn == NULL) {
		return CTL_ERROR;
	}
	DBusMessage *msg = dbus_message_new_method_call(BUS_NAME, BUS_PATH,
							DBUS_INTERFACE_PROPERTIES, "GetAll");
	const char *iface = BUS_INTERFACE;
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_INVALID);
	DBusMessage *reply = call(conn, msg);
	if (reply == NULL) {
		dbus_connection_unref(conn);
		return CTL_ERROR;
	}
	DBusMessageIter it, modems, array, database;
	dbus_message_iter_init(reply, &it);
	bool ok = dict_find(&it, "Modems", &modems) && dict_find(&it, "Database", &database) &&
		  dbus_message_iter_get_arg_type(&modems) == DBUS_TYPE_ARRAY;
	if (!ok) {
		dbus_message_unref(reply);
		dbus_connection_unref(conn);
		return ctl_fail("the daemon's answer lacks Modems or Database (an older ctid?)");
	}
	dbus_message_iter_recurse(&modems, &array);
	struct json_writer w;
	json_init(&w, stdout);
	static const char *const headers[] = {"PATH", "LINE", "STATE", "MODEL", "CALLER ID"};
	struct table t;
	table_init(&t, 5, headers);
	if (ctl->json) {
		json_object_begin(&w);
		json_key(&w, "database");
		json_object_begin(&w);
		json_dict_entries(&w, &database);
		json_object_end(&w);
		DBusMessageIter settings, web;
		if (dict_find(&it, "Settings", &settings)) {
			json_key(&w, "settings");
			json_settings(&w, &settings);
		}
		if (dict_find(&it, "Web", &web)) {
			json_key(&w, "web");
			web_status(&w, &web);
		}
		DBusMessageIter srv;
		if (dict_find(&it, "Server", &srv) && dict_string(&srv, "url")[0]) {
			json_key(&w, "server");
			json_object_begin(&w);
			json_dict_entries(&w, &srv);
			json_object_end(&w);
		}
		json_key(&w, "modems");
		json_array_begin(&w);
	}
	while (dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_ARRAY) {
		if (ctl->json) {
			json_object_begin(&w);
			json_dict_entries(&w, &array);
			json_object_end(&w);
		} else {
			const char *manufacturer = dict_string(&array, "manufacturer");
			const char *cid = dict_string(&array, "cid_command");
			char *desc = NULL;
			if (asprintf(&desc, "%s%s%s", manufacturer, manufacturer[0] ? " " : "",
				     dict_string(&array, "model")) < 0) {
				desc = NULL;
			}
			const char *row[] = {dict_string(&array, "path"), dict_string(&array, "line"),
					     dict_string(&array, "state"), desc != NULL ? desc : "",
					     cid[0] ? cid : "-"};
			table_add(&t, row);
			free(desc);
		}
		dbus_message_iter_next(&array);
	}
	if (ctl->json) {
		json_array_end(&w);
		json_object_end(&w);
		putchar('\n');
	} else {
		DBusMessageIter srv;
		if (dict_find(&it, "Server", &srv) && dict_string(&srv, "url")[0]) {
			print_server(&srv);
		} else {
			print_database(&database);
		}
		DBusMessageIter web;
		if (dict_find(&it, "Web", &web)) {
			web_status(NULL, &web);
		}
		if (t.rows == 0) {
			puts("ctid is running; no modem is plugged in.");
		} else {
			table_print(&t, stdout);
		}
	}
	table_finish(&t);
	dbus_message_unref(reply);
	dbus_connection_unref(conn);
	return CTL_OK;
}

static int callback(struct ctl *ctl, bool system, const char *id_text) {
	char *end;
	long long id = strtoll(id_text[0] == '#' ? id_text + 1 : id_text, &end, 10);
	if (*end != '\0' || id <= 0) {
		return ctl_usage_error("callback", "'%s' is not a call id", id_text);
	}
	/* the daemon dials on the line the call came in on (a desk's asks its
	 * server), and notes that the caller was called back */
	DBusConnection *conn = connect_bus(system);
	if (conn == NULL) {
		return CTL_ERROR;
	}
	DBusMessage *msg =
		dbus_message_new_method_call(BUS_NAME, BUS_PATH, BUS_INTERFACE, "CallBack");
	dbus_int64_t call = id;
	dbus_message_append_args(msg, DBUS_TYPE_INT64, &call, DBUS_TYPE_INVALID);
	DBusError err;
	dbus_error_init(&err);
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(conn, msg, 30000, &err);
	dbus_message_unref(msg);
	dbus_connection_unref(conn);
	if (reply == NULL) {
		int status;
		if (dbus_error_has_name(&err, BUS_INTERFACE ".Error.NotFound")) {
			status = ctl_fail("there is no call %lld", id);
		} else if (dbus_error_has_name(&err, BUS_INTERFACE ".Error.Withheld")) {
			status = ctl_fail("call %lld has no number to call back", id);
		} else {
			status = ctl_fail("%s", err.message);
		}
		dbus_error_free(&err);
		return status;
	}
	const char *number = "";
	dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &number, DBUS_TYPE_INVALID);
	printf("Dialling %s: pick up the handset when it rings.\n", number);
	dbus_message_unref(reply);
	return CTL_OK;
}

int ctl_bus_command(struct ctl *ctl, int argc, char *argv[]) {
	static const struct option opts[] = {
		CTL_COMMON_LONGOPTS,
		{"system", no_argument, NULL, 'S'},
		{0},
	};
	bool system = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_option(ctl, opt, optarg)) {
			continue;
		}
		if (opt == 'S') {
			system = true;
		} else if (opt == 'h') {
			fputs(bus_usage, stdout);
			return CTL_OK;
		} else {
			fputs("Try 'ctidctl monitor --help'.\n", stderr);
			return CTL_USAGE;
		}
	}
	const char *cmd = argv[0];
	if (strcmp(cmd, "callback") == 0) {
		if (optind + 1 != argc) {
			return ctl_usage_error("callback", "give the id of the call to return");
		}
		return callback(ctl, system, argv[optind]);
	}
	if (optind < argc) {
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	return strcmp(cmd, "monitor") == 0 ? monitor(ctl, system) : status(ctl, system);
}
