/*
 * bench_listen: a D-Bus monitor (org.freedesktop.DBus.Monitoring) on the
 * session bus that prints, with the CLOCK_REALTIME time it read them, what
 * the benchmarks time: org.ctid.Ctid1's signals, Notify calls on their way
 * to the notification server, and changes of owner of bus names. A monitor
 * gets its copy from the bus daemon as the message is routed, so a Notify
 * call is seen when it reaches the server's socket, before the server's own
 * code runs. One line per message, tab-separated (tabs, newlines and
 * backslashes in text escaped as \t \n \\):
 *
 *   <ns> signal <member> key=value ...    a{sv} fields of the first argument
 *   <ns> notify <replaces_id> <summary> <body>
 *   <ns> owner <name> <new owner>
 *
 * It prints "ready" once the bus took it as a monitor.
 */
#include <dbus/dbus.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void put_text(const char *s) {
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\t':
			fputs("\\t", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		default:
			fputc(*s, stdout);
		}
	}
}

/* Prints a basic value; containers as "?". */
static void put_basic(DBusMessageIter *it) {
	int type = dbus_message_iter_get_arg_type(it);
	if (type == DBUS_TYPE_VARIANT) {
		DBusMessageIter v;
		dbus_message_iter_recurse(it, &v);
		put_basic(&v);
		return;
	}
	if (type == DBUS_TYPE_STRING || type == DBUS_TYPE_OBJECT_PATH) {
		const char *s;
		dbus_message_iter_get_basic(it, &s);
		put_text(s);
		return;
	}
	if (!dbus_type_is_basic(type) || type == DBUS_TYPE_UNIX_FD) {
		fputc('?', stdout);
		return;
	}
	DBusBasicValue v;
	dbus_message_iter_get_basic(it, &v);
	switch (type) {
	case DBUS_TYPE_BOOLEAN:
		fputs(v.bool_val ? "true" : "false", stdout);
		break;
	case DBUS_TYPE_BYTE:
		printf("%u", v.byt);
		break;
	case DBUS_TYPE_INT16:
		printf("%d", v.i16);
		break;
	case DBUS_TYPE_UINT16:
		printf("%u", v.u16);
		break;
	case DBUS_TYPE_INT32:
		printf("%d", v.i32);
		break;
	case DBUS_TYPE_UINT32:
		printf("%u", v.u32);
		break;
	case DBUS_TYPE_INT64:
		printf("%lld", (long long)v.i64);
		break;
	case DBUS_TYPE_UINT64:
		printf("%llu", (unsigned long long)v.u64);
		break;
	case DBUS_TYPE_DOUBLE:
		printf("%g", v.dbl);
		break;
	default:
		fputc('?', stdout);
	}
}

/* The a{sv} (or a{ss}) first argument of a signal as key=value fields. */
static void put_dict(DBusMessage *msg) {
	DBusMessageIter it, arr;
	if (!dbus_message_iter_init(msg, &it) ||
	    dbus_message_iter_get_arg_type(&it) != DBUS_TYPE_ARRAY) {
		return;
	}
	dbus_message_iter_recurse(&it, &arr);
	while (dbus_message_iter_get_arg_type(&arr) == DBUS_TYPE_DICT_ENTRY) {
		DBusMessageIter e;
		dbus_message_iter_recurse(&arr, &e);
		if (dbus_message_iter_get_arg_type(&e) == DBUS_TYPE_STRING) {
			const char *key;
			dbus_message_iter_get_basic(&e, &key);
			dbus_message_iter_next(&e);
			fputc('\t', stdout);
			put_text(key);
			fputc('=', stdout);
			put_basic(&e);
		}
		dbus_message_iter_next(&arr);
	}
}

static void put_notify(DBusMessage *msg) {
	const char *app, *icon, *summary, *body;
	dbus_uint32_t replaces;
	if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &app, DBUS_TYPE_UINT32, &replaces,
				   DBUS_TYPE_STRING, &icon, DBUS_TYPE_STRING, &summary,
				   DBUS_TYPE_STRING, &body, DBUS_TYPE_INVALID)) {
		return;
	}
	printf("\tnotify\t%u\t", replaces);
	put_text(summary);
	fputc('\t', stdout);
	put_text(body);
}

static void handle(DBusMessage *msg, long long ns) {
	int type = dbus_message_get_type(msg);
	const char *iface = dbus_message_get_interface(msg);
	const char *member = dbus_message_get_member(msg);
	if (iface == NULL || member == NULL) {
		return;
	}
	if (type == DBUS_MESSAGE_TYPE_SIGNAL && strcmp(iface, "org.ctid.Ctid1") == 0) {
		printf("%lld\tsignal\t%s", ns, member);
		put_dict(msg);
	} else if (type == DBUS_MESSAGE_TYPE_METHOD_CALL &&
		   strcmp(iface, "org.freedesktop.Notifications") == 0 &&
		   strcmp(member, "Notify") == 0) {
		printf("%lld", ns);
		put_notify(msg);
	} else if (type == DBUS_MESSAGE_TYPE_SIGNAL && strcmp(member, "NameOwnerChanged") == 0) {
		const char *name, *old, *owner;
		if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING,
					   &old, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID) ||
		    name[0] == ':') {
			return;
		}
		printf("%lld\towner\t%s\t%s", ns, name, owner);
	} else {
		return;
	}
	fputc('\n', stdout);
	fflush(stdout);
}

int main(void) {
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	if (conn == NULL) {
		fprintf(stderr, "bench_listen: %s\n", err.message);
		return 1;
	}
	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	static const char *rules[] = {
		"type='signal',interface='org.ctid.Ctid1'",
		"type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
		"type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'",
	};
	const char **r = rules;
	dbus_uint32_t flags = 0;
	DBusMessage *m = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
						      "org.freedesktop.DBus.Monitoring",
						      "BecomeMonitor");
	if (m == NULL || !dbus_message_append_args(m, DBUS_TYPE_ARRAY, DBUS_TYPE_STRING, &r,
						   (int)(sizeof(rules) / sizeof(rules[0])),
						   DBUS_TYPE_UINT32, &flags, DBUS_TYPE_INVALID)) {
		fprintf(stderr, "bench_listen: out of memory\n");
		return 1;
	}
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(conn, m, 5000, &err);
	dbus_message_unref(m);
	if (reply == NULL) {
		fprintf(stderr, "bench_listen: BecomeMonitor: %s\n", err.message);
		return 1;
	}
	dbus_message_unref(reply);
	printf("ready\n");
	fflush(stdout);
	while (dbus_connection_read_write(conn, -1)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		DBusMessage *msg;
		while ((msg = dbus_connection_pop_message(conn)) != NULL) {
			handle(msg, ns);
			dbus_message_unref(msg);
		}
		if (!dbus_connection_get_is_connected(conn)) {
			break;
		}
	}
	dbus_connection_close(conn);
	dbus_connection_unref(conn);
	return 0;
}
