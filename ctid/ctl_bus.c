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

/* Looks key up in the a{sv} at it; copies a string or formats a number. */
static void dict_get(DBusMessageIter *it, const char *key, char *out, size_t size) {
	out[0] = '\0';
	DBusMessageIter dict;
	dbus_message_iter_recurse(it, &dict);
	while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
		DBusMessageIter entry, var;
		dbus_message_iter_recurse(&dict, &entry);
		const char *k;
		dbus_message_iter_get_basic(&entry, &k);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &var);
		if (strcmp(k, key) == 0) {
			int type = dbus_message_iter_get_arg_type(&var);
			if (type == DBUS_TYPE_STRING) {
				const char *s;
				dbus_message_iter_get_basic(&var, &s);
				snprintf(out, size, "%s", s);
			} else if (type == DBUS_TYPE_INT64) {
				dbus_int64_t v;
				dbus_message_iter_get_basic(&var, &v);
				snprintf(out, size, "%lld", (long long)v);
			} else if (type == DBUS_TYPE_INT32) {
				dbus_int32_t v;
				dbus_message_iter_get_basic(&var, &v);
				snprintf(out, size, "%d", (int)v);
			} else if (type == DBUS_TYPE_BOOLEAN) {
				dbus_bool_t v;
				dbus_message_iter_get_basic(&var, &v);
				snprintf(out, size, "%s", v ? "yes" : "no");
			}
			return;
		}
		dbus_message_iter_next(&dict);
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
		char contact[128], name[128], number[64], line[64], state[16], withheld[16], rings[8];
		dict_get(&it, "contact_name", contact, sizeof(contact));
		dict_get(&it, "name", name, sizeof(name));
		dict_get(&it, "formatted", number, sizeof(number));
		dict_get(&it, "line", line, sizeof(line));
		dict_get(&it, "state", state, sizeof(state));
		dict_get(&it, "withheld", withheld, sizeof(withheld));
		dict_get(&it, "rings", rings, sizeof(rings));
		const char *caller = contact[0]	   ? contact
				     : name[0]	   ? name
				     : withheld[0] ? withheld
						   : "unknown caller";
		printf("%s %-12s %-24s %-18s line %s, %s ring%s, %s\n", when, member, caller,
		       number, line, rings, strcmp(rings, "1") == 0 ? "" : "s", state);
	} else {
		char path[256], state[32], model[128];
		dict_get(&it, "path", path, sizeof(path));
		dict_get(&it, "state", state, sizeof(state));
		dict_get(&it, "model", model, sizeof(model));
		printf("%s %-12s %s %s (%s)\n", when, member, path, model, state);
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
	if (!ctl->json) {
		fprintf(stderr, "Watching for calls (Ctrl-C to stop)...\n");
	}
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

static int status(struct ctl *ctl, bool system) {
	DBusConnection *conn = connect_bus(system);
	if (conn == NULL) {
		return CTL_ERROR;
	}
	DBusMessage *reply = call(conn, dbus_message_new_method_call(BUS_NAME, BUS_PATH,
								     BUS_INTERFACE, "ListModems"));
	if (reply == NULL) {
		dbus_connection_unref(conn);
		return CTL_ERROR;
	}
	DBusMessageIter it, array;
	dbus_message_iter_init(reply, &it);
	dbus_message_iter_recurse(&it, &array);
	struct json_writer w;
	json_init(&w, stdout);
	static const char *const headers[] = {"PATH", "LINE", "STATE", "MODEL", "CALLER ID"};
	struct table t;
	table_init(&t, 5, headers);
	if (ctl->json) {
		json_array_begin(&w);
	}
	while (dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_ARRAY) {
		if (ctl->json) {
			json_object_begin(&w);
			json_dict_entries(&w, &array);
			json_object_end(&w);
		} else {
			char path[256], line[64], state[32], manufacturer[64], model[96], cid[64];
			char desc[170];
			dict_get(&array, "path", path, sizeof(path));
			dict_get(&array, "line", line, sizeof(line));
			dict_get(&array, "state", state, sizeof(state));
			dict_get(&array, "manufacturer", manufacturer, sizeof(manufacturer));
			dict_get(&array, "model", model, sizeof(model));
			dict_get(&array, "cid_command", cid, sizeof(cid));
			snprintf(desc, sizeof(desc), "%s%s%s", manufacturer,
				 manufacturer[0] ? " " : "", model);
			const char *row[] = {path, line, state, desc, cid[0] ? cid : "-"};
			table_add(&t, row);
		}
		dbus_message_iter_next(&array);
	}
	if (ctl->json) {
		json_array_end(&w);
		putchar('\n');
	} else if (t.rows == 0) {
		puts("ctid is running; no modem is plugged in.");
	} else {
		table_print(&t, stdout);
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
	struct db *db = ctl_db(ctl);
	if (db == NULL) {
		return CTL_ERROR;
	}
	char number[64] = "";
	int ret = db_call_get(db, id, ctl_call_number, number);
	if (ret == -ENOENT) {
		return ctl_fail("there is no call %lld", id);
	}
	if (number[0] == '\0') {
		return ctl_fail("call %lld has no number to call back", id);
	}
	DBusConnection *conn = connect_bus(system);
	if (conn == NULL) {
		return CTL_ERROR;
	}
	DBusMessage *msg = dbus_message_new_method_call(BUS_NAME, BUS_PATH, BUS_INTERFACE, "Dial");
	const char *n = number;
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &n, DBUS_TYPE_INVALID);
	DBusMessage *reply = call(conn, msg);
	dbus_connection_unref(conn);
	if (reply == NULL) {
		return CTL_ERROR;
	}
	dbus_message_unref(reply);
	db_call_mark_called_back(db, id, (int64_t)time(NULL));
	printf("Dialling %s: pick up the handset when it rings.\n", number);
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
