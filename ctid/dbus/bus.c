#include <dbus/dbus.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dbus_glib.h"
#include "introspect.h"
#include "log.h"
#include "utf8.h"

/* Bounds on what callers may send; libdbus already guarantees UTF-8. */
#define MAX_NUMBER  64
#define MAX_CONTACT 256
#define MAX_NOTE    (64 * 1024)
#define MAX_LIMIT   10000

#define RECONNECT_MIN 1
#define RECONNECT_MAX 60

struct bus {
	enum bus_type type;
	const struct bus_handler *h;
	void *data;
	DBusConnection *conn;
	guint reconnect;
	unsigned int backoff;
};

/*
 * Appends s (NULL: "") as a D-Bus string. libdbus aborts the process on a
 * string that is not UTF-8, and text need not be: the database may hold
 * bytes another program wrote (a Latin-1 file imported with sqlite3), the
 * configuration and a path are the user's bytes. Each byte that is no
 * part of a character becomes U+FFFD, as in ctid's JSON.
 */
static void append_str(DBusMessageIter *it, const char *s) {
	const char *v = s != NULL ? s : "";
	char *valid = g_utf8_validate(v, -1, NULL) ? NULL : g_utf8_make_valid(v, -1);
	if (valid != NULL) {
		v = valid;
	}
	dbus_message_iter_append_basic(it, DBUS_TYPE_STRING, &v);
	g_free(valid);
}

/* Dictionaries */

static void dict_open(DBusMessageIter *it, DBusMessageIter *dict) {
	dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, "{sv}", dict);
}

/* Opens dict's entry key, its value a variant of signature sig, into var;
 * entry_close() closes both. */
static void entry_open(DBusMessageIter *dict, const char *key, const char *sig,
		       DBusMessageIter *entry, DBusMessageIter *var) {
	dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, entry);
	dbus_message_iter_append_basic(entry, DBUS_TYPE_STRING, &key);
	dbus_message_iter_open_container(entry, DBUS_TYPE_VARIANT, sig, var);
}

static void entry_close(DBusMessageIter *dict, DBusMessageIter *entry, DBusMessageIter *var) {
	dbus_message_iter_close_container(entry, var);
	dbus_message_iter_close_container(dict, entry);
}

static void dict_entry(DBusMessageIter *dict, const char *key, int type, const char *sig,
		       const void *value) {
	DBusMessageIter entry, var;
	entry_open(dict, key, sig, &entry, &var);
	dbus_message_iter_append_basic(&var, type, value);
	entry_close(dict, &entry, &var);
}

static void dict_str(DBusMessageIter *dict, const char *key, const char *value) {
	DBusMessageIter entry, var;
	entry_open(dict, key, "s", &entry, &var);
	append_str(&var, value);
	entry_close(dict, &entry, &var);
}

static void dict_x(DBusMessageIter *dict, const char *key, int64_t value) {
	dbus_int64_t v = value;
	dict_entry(dict, key, DBUS_TYPE_INT64, "x", &v);
}

static void dict_i(DBusMessageIter *dict, const char *key, int value) {
	dbus_int32_t v = value;
	dict_entry(dict, key, DBUS_TYPE_INT32, "i", &v);
}

static void dict_b(DBusMessageIter *dict, const char *key, bool value) {
	dbus_bool_t v = value;
	dict_entry(dict, key, DBUS_TYPE_BOOLEAN, "b", &v);
}

static void append_call(DBusMessageIter *it, const struct bus_call *c) {
	DBusMessageIter dict;
	dict_open(it, &dict);
	dict_x(&dict, "id", c->id);
	dict_str(&dict, "line", c->line);
	dict_str(&dict, "number", c->number);
	dict_str(&dict, "name", c->name);
	dict_str(&dict, "withheld", c->withheld);
	dict_str(&dict, "e164", c->e164);
	dict_str(&dict, "formatted", c->formatted);
	dict_x(&dict, "contact_id", c->contact_id);
	dict_str(&dict, "contact_name", c->contact_name);
	dict_b(&dict, "ambiguous", c->ambiguous);
	dict_i(&dict, "rings", c->rings);
	dict_str(&dict, "state", c->state);
	dict_x(&dict, "started", c->started);
	dict_x(&dict, "ended", c->ended);
	dict_str(&dict, "date", c->date);
	dict_b(&dict, "handled", c->handled);
	dict_str(&dict, "department", c->department != NULL ? c->department : "");
	dbus_message_iter_close_container(it, &dict);
}

static void append_modem(DBusMessageIter *it, const struct bus_modem *m) {
	DBusMessageIter dict;
	dict_open(it, &dict);
	dict_str(&dict, "path", m->path);
	dict_str(&dict, "line", m->line);
	dict_str(&dict, "state", m->state);
	dict_str(&dict, "manufacturer", m->manufacturer);
	dict_str(&dict, "model", m->model);
	dict_str(&dict, "dialect", m->dialect);
	dict_str(&dict, "cid_command", m->cid_command);
	dict_b(&dict, "gsm", m->gsm);
	dict_b(&dict, "can_dial", m->can_dial);
	dict_b(&dict, "detects_pickup", m->detects_pickup);
	dbus_message_iter_close_container(it, &dict);
}

static void append_call_cb(const struct bus_call *c, void *ctx) {
	append_call(ctx, c);
}

static void append_modem_cb(const struct bus_modem *m, void *ctx) {
	append_modem(ctx, m);
}

static void append_lookup_cb(const struct bus_lookup *l, void *ctx) {
	DBusMessageIter dict;
	dict_open(ctx, &dict);
	dict_str(&dict, "e164", l->e164);
	dict_str(&dict, "formatted", l->formatted);
	dict_x(&dict, "contact_id", l->contact_id);
	dict_str(&dict, "contact_name", l->contact_name);
	dict_b(&dict, "ambiguous", l->ambiguous);
	dict_b(&dict, "withheld", l->withheld);
	dict_str(&dict, "match", l->match);
	dbus_message_iter_close_container(ctx, &dict);
}

/* Replies */

static DBusMessage *error_reply(DBusMessage *msg, int err, const char *what) {
	const char *name;
	switch (err) {
	case -ENOENT:
		name = BUS_INTERFACE ".Error.NotFound";
		break;
	case -ENOTUNIQ:
		name = BUS_INTERFACE ".Error.Ambiguous";
		break;
	case -ENOTSUP:
		name = BUS_INTERFACE ".Error.NotSupported";
		break;
	case -EBUSY:
		name = BUS_INTERFACE ".Error.Busy";
		break;
	case -EINVAL:
	case -EMSGSIZE:
	case -EILSEQ:
		name = DBUS_ERROR_INVALID_ARGS;
		break;
	case -EACCES:
		name = DBUS_ERROR_ACCESS_DENIED;
		break;
	default:
		name = BUS_INTERFACE ".Error.Failed";
	}
	char text[256];
	const char *why = err == -EMSGSIZE ? "longer than ctid keeps"
			  : err == -EILSEQ ? "a control character, or bytes that are not UTF-8"
					   : strerror(-err);
	snprintf(text, sizeof(text), "%s: %s", what, why);
	return dbus_message_new_error(msg, name, text);
}

static DBusMessage *invalid_args(DBusMessage *msg, const char *text) {
	return dbus_message_new_error(msg, DBUS_ERROR_INVALID_ARGS, text);
}

/* Reads the single string argument of msg, bounded to max bytes. */
static bool get_string(DBusMessage *msg, const char **out, size_t max) {
	DBusError err;
	dbus_error_init(&err);
	bool ok = dbus_message_get_args(msg, &err, DBUS_TYPE_STRING, out, DBUS_TYPE_INVALID);
	dbus_error_free(&err);
	return ok && strlen(*out) <= max;
}

static DBusMessage *method_lookup(struct bus *bus, DBusMessage *msg) {
	const char *number;
	if (!get_string(msg, &number, MAX_NUMBER)) {
		return invalid_args(msg, "Lookup wants one string: the number (at most 64 bytes)");
	}
	DBusMessage *reply = dbus_message_new_method_return(msg);
	DBusMessageIter it;
	dbus_message_iter_init_append(reply, &it);
	int ret = bus->h->lookup(bus->data, number, append_lookup_cb, &it);
	if (ret < 0) {
		dbus_message_unref(reply);
		return error_reply(msg, ret, "Lookup failed");
	}
	return reply;
}

static DBusMessage *method_get_call(struct bus *bus, DBusMessage *msg) {
	dbus_int64_t id;
	DBusError err;
	dbus_error_init(&err);
	if (!dbus_message_get_args(msg, &err, DBUS_TYPE_INT64, &id, DBUS_TYPE_INVALID)) {
		dbus_error_free(&err);
		return invalid_args(msg, "GetCall wants the call id (x)");
	}
	DBusMessage *reply = dbus_message_new_method_return(msg);
	DBusMessageIter it;
	dbus_message_iter_init_append(reply, &it);
	int ret = bus->h->get_call(bus->data, id, append_call_cb, &it);
	if (ret < 0) {
		dbus_message_unref(reply);
		return error_reply(msg, ret, "No such call");
	}
	return reply;
}

/* Reads ListCalls' filter dictionary; false for unknown keys or types. */
static bool read_filter(DBusMessageIter *it, struct bus_call_filter *f, const char **bad) {
	DBusMessageIter dict;
	dbus_message_iter_recurse(it, &dict);
	while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
		DBusMessageIter entry, var;
		dbus_message_iter_recurse(&dict, &entry);
		const char *key;
		dbus_message_iter_get_basic(&entry, &key);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &var);
		int type = dbus_message_iter_get_arg_type(&var);
		*bad = key;
		if (!strcmp(key, "missed") || !strcmp(key, "unhandled")) {
			if (type != DBUS_TYPE_BOOLEAN) {
				return false;
			}
			dbus_bool_t b;
			dbus_message_iter_get_basic(&var, &b);
			if (!strcmp(key, "missed")) {
				f->missed = b;
			} else {
				f->unhandled = b;
			}
		} else if (!strcmp(key, "since") || !strcmp(key, "contact")) {
			if (type != DBUS_TYPE_INT64) {
				return false;
			}
			dbus_int64_t v;
			dbus_message_iter_get_basic(&var, &v);
			if (!strcmp(key, "since")) {
				f->since = v;
			} else {
				f->contact = v;
			}
		} else if (!strcmp(key, "number")) {
			if (type != DBUS_TYPE_STRING) {
				return false;
			}
			dbus_message_iter_get_basic(&var, &f->number);
			if (strlen(f->number) > MAX_NUMBER) {
				return false;
			}
		} else {
			return false;
		}
		dbus_message_iter_next(&dict);
	}
	return true;
}

static DBusMessage *method_list_calls(struct bus *bus, DBusMessage *msg) {
	if (!dbus_message_has_signature(msg, "a{sv}u")) {
		return invalid_args(msg, "ListCalls wants a filter (a{sv}) and a limit (u)");
	}
	DBusMessageIter it;
	dbus_message_iter_init(msg, &it);
	struct bus_call_filter f = {0};
	const char *bad = "";
	if (!read_filter(&it, &f, &bad)) {
		/* the key's first 40 bytes, whole characters: libdbus aborts on
		 * an error message that is not UTF-8 */
		char text[160];
		snprintf(text, sizeof(text),
			 "ListCalls: bad filter key '%.*s' (missed b, unhandled b, since x, "
			 "contact x, number s)",
			 (int)utf8_prefix(bad, strlen(bad), 40), bad);
		return invalid_args(msg, text);
	}
	dbus_message_iter_next(&it);
	dbus_uint32_t limit;
	dbus_message_iter_get_basic(&it, &limit);
	if (limit == 0) {
		limit = 100;
	} else if (limit > MAX_LIMIT) {
		limit = MAX_LIMIT;
	}
	DBusMessage *reply = dbus_message_new_method_return(msg);
	DBusMessageIter out, array;
	dbus_message_iter_init_append(reply, &out);
	dbus_message_iter_open_container(&out, DBUS_TYPE_ARRAY, "a{sv}", &array);
	int ret = bus->h->list_calls(bus->data, &f, (int)limit, append_call_cb, &array);
	dbus_message_iter_close_container(&out, &array);
	if (ret < 0) {
		dbus_message_unref(reply);
		return error_reply(msg, ret, "ListCalls failed");
	}
	return reply;
}

static DBusMessage *method_mark_handled(struct bus *bus, DBusMessage *msg) {
	dbus_int64_t id;
	DBusError err;
	dbus_error_init(&err);
	if (!dbus_message_get_args(msg, &err, DBUS_TYPE_INT64, &id, DBUS_TYPE_INVALID)) {
		dbus_error_free(&err);
		return invalid_args(msg, "MarkHandled wants the call id (x)");
	}
	int ret = bus->h->mark_handled(bus->data, id);
	if (ret < 0) {
		return error_reply(msg, ret, "MarkHandled failed");
	}
	return dbus_message_new_method_return(msg);
}

static DBusMessage *method_add_note(struct bus *bus, DBusMessage *msg) {
	const char *contact, *text;
	DBusError err;
	dbus_error_init(&err);
	if (!dbus_message_get_args(msg, &err, DBUS_TYPE_STRING, &contact, DBUS_TYPE_STRING, &text,
				   DBUS_TYPE_INVALID)) {
		dbus_error_free(&err);
		return invalid_args(msg, "AddNote wants a contact and a text (ss)");
	}
	if (strlen(contact) > MAX_CONTACT || strlen(text) > MAX_NOTE || text[0] == '\0') {
		return invalid_args(msg, "AddNote: contact at most 256 bytes, text 1 to 65536 bytes");
	}
	int64_t note = 0;
	int ret = bus->h->add_note(bus->data, contact, text, &note);
	if (ret < 0) {
		return error_reply(msg, ret, "AddNote failed");
	}
	DBusMessage *reply = dbus_message_new_method_return(msg);
	dbus_int64_t id = note;
	dbus_message_append_args(reply, DBUS_TYPE_INT64, &id, DBUS_TYPE_INVALID);
	return reply;
}

static void append_modems(struct bus *bus, DBusMessageIter *it) {
	DBusMessageIter array;
	dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, "a{sv}", &array);
	bus->h->list_modems(bus->data, append_modem_cb, &array);
	dbus_message_iter_close_container(it, &array);
}

static DBusMessage *method_list_modems(struct bus *bus, DBusMessage *msg) {
	if (!dbus_message_has_signature(msg, "")) {
		return invalid_args(msg, "ListModems takes no arguments");
	}
	DBusMessage *reply = dbus_message_new_method_return(msg);
	DBusMessageIter it;
	dbus_message_iter_init_append(reply, &it);
	append_modems(bus, &it);
	return reply;
}

static DBusMessage *method_dial(struct bus *bus, DBusMessage *msg) {
	const char *number;
	if (!get_string(msg, &number, MAX_NUMBER)) {
		return invalid_args(msg, "Dial wants one string: the number");
	}
	int ret = bus->h->dial(bus->data, number);
	if (ret < 0) {
		return error_reply(msg, ret, "Dial failed");
	}
	return dbus_message_new_method_return(msg);
}

static DBusMessage *method_call_back(struct bus *bus, DBusMessage *msg) {
	dbus_int64_t id;
	DBusError err;
	dbus_error_init(&err);
	if (!dbus_message_get_args(msg, &err, DBUS_TYPE_INT64, &id, DBUS_TYPE_INVALID)) {
		dbus_error_free(&err);
		return invalid_args(msg, "CallBack wants the call id (x)");
	}
	char number[64] = "";
	int ret = bus->h->call_back(bus->data, id, number);
	if (ret == -ENODATA) {
		return dbus_message_new_error(msg, BUS_INTERFACE ".Error.Withheld",
					      "The caller withheld their number");
	}
	if (ret < 0) {
		return error_reply(msg, ret, "CallBack failed");
	}
	DBusMessage *reply = dbus_message_new_method_return(msg);
	DBusMessageIter it;
	dbus_message_iter_init_append(reply, &it);
	append_str(&it, number);
	return reply;
}

/* Properties */

static const char *const property_names[] = {"Version",	 "Modems", "Database",
					     "Settings", "Web",	   "Server"};

static bool property_known(const char *name) {
	for (size_t i = 0; i < sizeof(property_names) / sizeof(property_names[0]); i++) {
		if (!strcmp(name, property_names[i])) {
			return true;
		}
	}
	return false;
}

static void append_database(struct bus *bus, DBusMessageIter *it) {
	struct bus_database db = {.path = "", .writable = true, .error = ""};
	if (bus->h->database != NULL) {
		bus->h->database(bus->data, &db);
	}
	DBusMessageIter dict;
	dict_open(it, &dict);
	dict_str(&dict, "path", db.path);
	dict_b(&dict, "writable", db.writable);
	dict_str(&dict, "error", db.error);
	dict_x(&dict, "since", db.since);
	dbus_uint32_t waiting = db.waiting;
	dict_entry(&dict, "waiting", DBUS_TYPE_UINT32, "u", &waiting);
	dbus_message_iter_close_container(it, &dict);
}

static void append_setting(const char *key, const char *value, void *ctx) {
	DBusMessageIter pair;
	dbus_message_iter_open_container(ctx, DBUS_TYPE_STRUCT, NULL, &pair);
	append_str(&pair, key);
	append_str(&pair, value);
	dbus_message_iter_close_container(ctx, &pair);
}

static void append_settings(struct bus *bus, DBusMessageIter *it) {
	DBusMessageIter array;
	dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, "(ss)", &array);
	if (bus->h->settings != NULL) {
		bus->h->settings(bus->data, append_setting, &array);
	}
	dbus_message_iter_close_container(it, &array);
}

static void append_web(struct bus *bus, DBusMessageIter *it) {
	const char *const *urls = NULL;
	const char *fingerprint = "";
	if (bus->h->web != NULL) {
		bus->h->web(bus->data, &urls, &fingerprint);
	}
	DBusMessageIter dict, entry, var, array;
	dict_open(it, &dict);
	entry_open(&dict, "urls", "as", &entry, &var);
	dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "s", &array);
	for (size_t i = 0; urls != NULL && urls[i] != NULL; i++) {
		append_str(&array, urls[i]);
	}
	dbus_message_iter_close_container(&var, &array);
	entry_close(&dict, &entry, &var);
	dict_str(&dict, "fingerprint", fingerprint != NULL ? fingerprint : "");
	dbus_message_iter_close_container(it, &dict);
}

static void append_property(struct bus *bus, DBusMessageIter *it, const char *name) {
	DBusMessageIter var;
	if (!strcmp(name, "Version")) {
		const char *v = CTID_VERSION;
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "s", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &v);
	} else if (!strcmp(name, "Database")) {
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "a{sv}", &var);
		append_database(bus, &var);
	} else if (!strcmp(name, "Settings")) {
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "a(ss)", &var);
		append_settings(bus, &var);
	} else if (!strcmp(name, "Server")) {
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "a{sv}", &var);
		struct bus_server s = {.url = "", .error = "", .user = ""};
		if (bus->h->server != NULL) {
			bus->h->server(bus->data, &s);
		}
		DBusMessageIter dict;
		dict_open(&var, &dict);
		dict_str(&dict, "url", s.url);
		dict_b(&dict, "connected", s.connected);
		dict_x(&dict, "since", s.since);
		dict_str(&dict, "error", s.error);
		dict_str(&dict, "user", s.user);
		dbus_message_iter_close_container(&var, &dict);
	} else if (!strcmp(name, "Web")) {
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "a{sv}", &var);
		append_web(bus, &var);
	} else {
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "aa{sv}", &var);
		append_modems(bus, &var);
	}
	dbus_message_iter_close_container(it, &var);
}

static DBusMessage *properties(struct bus *bus, DBusMessage *msg, const char *member) {
	const char *iface, *name;
	DBusError err;
	dbus_error_init(&err);
	if (!strcmp(member, "Get")) {
		if (!dbus_message_get_args(msg, &err, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING,
					   &name, DBUS_TYPE_INVALID)) {
			dbus_error_free(&err);
			return invalid_args(msg, "Get wants (ss)");
		}
		if (strcmp(iface, BUS_INTERFACE) != 0 || !property_known(name)) {
			return dbus_message_new_error(msg, DBUS_ERROR_UNKNOWN_PROPERTY, name);
		}
		DBusMessage *reply = dbus_message_new_method_return(msg);
		DBusMessageIter it;
		dbus_message_iter_init_append(reply, &it);
		append_property(bus, &it, name);
		return reply;
	}
	if (!strcmp(member, "GetAll")) {
		if (!dbus_message_get_args(msg, &err, DBUS_TYPE_STRING, &iface, DBUS_TYPE_INVALID)) {
			dbus_error_free(&err);
			return invalid_args(msg, "GetAll wants (s)");
		}
		DBusMessage *reply = dbus_message_new_method_return(msg);
		DBusMessageIter it, dict;
		dbus_message_iter_init_append(reply, &it);
		dict_open(&it, &dict);
		if (strcmp(iface, BUS_INTERFACE) == 0 || iface[0] == '\0') {
			for (size_t i = 0; i < sizeof(property_names) / sizeof(property_names[0]);
			     i++) {
				DBusMessageIter entry;
				dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL,
								 &entry);
				dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING,
							       &property_names[i]);
				append_property(bus, &entry, property_names[i]);
				dbus_message_iter_close_container(&dict, &entry);
			}
		}
		dbus_message_iter_close_container(&it, &dict);
		return reply;
	}
	if (!strcmp(member, "Set")) {
		return dbus_message_new_error(msg, DBUS_ERROR_PROPERTY_READ_ONLY,
					      "ctid's properties are read-only");
	}
	return dbus_message_new_error(msg, DBUS_ERROR_UNKNOWN_METHOD, member);
}

static DBusHandlerResult handle_message(DBusConnection *conn, DBusMessage *msg, void *data) {
	struct bus *bus = data;
	if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_METHOD_CALL) {
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	const char *iface = dbus_message_get_interface(msg);
	const char *member = dbus_message_get_member(msg);
	DBusMessage *reply = NULL;
	if (iface != NULL && !strcmp(iface, DBUS_INTERFACE_INTROSPECTABLE) &&
	    !strcmp(member, "Introspect")) {
		reply = dbus_message_new_method_return(msg);
		const char *xml = ctid_introspect_xml;
		dbus_message_append_args(reply, DBUS_TYPE_STRING, &xml, DBUS_TYPE_INVALID);
	} else if (iface != NULL && !strcmp(iface, DBUS_INTERFACE_PROPERTIES)) {
		reply = properties(bus, msg, member);
	} else if (iface == NULL || !strcmp(iface, BUS_INTERFACE)) {
		static const struct {
			const char *name;
			DBusMessage *(*fn)(struct bus *bus, DBusMessage *msg);
		} methods[] = {
			{"Lookup", method_lookup},
			{"GetCall", method_get_call},
			{"ListCalls", method_list_calls},
			{"MarkHandled", method_mark_handled},
			{"AddNote", method_add_note},
			{"ListModems", method_list_modems},
			{"Dial", method_dial},
			{"CallBack", method_call_back},
		};
		for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
			if (!strcmp(member, methods[i].name)) {
				reply = methods[i].fn(bus, msg);
				break;
			}
		}
		if (reply == NULL) {
			reply = dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_METHOD,
							      "No method %.64s in " BUS_INTERFACE,
							      member);
		}
	} else {
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	if (reply != NULL) {
		if (!dbus_message_get_no_reply(msg)) {
			dbus_connection_send(conn, reply, NULL);
		}
		dbus_message_unref(reply);
	}
	return DBUS_HANDLER_RESULT_HANDLED;
}

/* Connection */

static void schedule_reconnect(struct bus *bus);

static void drop_connection(struct bus *bus) {
	if (bus->conn == NULL) {
		return;
	}
	dbus_connection_unregister_object_path(bus->conn, BUS_PATH);
	dbus_glib_detach(bus->conn);
	if (dbus_connection_get_is_connected(bus->conn)) {
		dbus_connection_close(bus->conn);
	}
	dbus_connection_unref(bus->conn);
	bus->conn = NULL;
}

static gboolean reconnect_later(gpointer data) {
	schedule_reconnect(data);
	return G_SOURCE_REMOVE;
}

static DBusHandlerResult filter(DBusConnection *conn, DBusMessage *msg, void *data) {
	(void)conn;
	struct bus *bus = data;
	if (dbus_message_is_signal(msg, DBUS_INTERFACE_LOCAL, "Disconnected")) {
		log_warn("Lost the D-Bus %s bus; reconnecting",
			 bus->type == BUS_SYSTEM ? "system" : "session");
		/* The connection cannot be unreferenced from inside its own dispatch. */
		g_idle_add(reconnect_later, bus);
		return DBUS_HANDLER_RESULT_HANDLED;
	}
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

static const DBusObjectPathVTable vtable = {
	.message_function = handle_message,
};

static int connect_bus(struct bus *bus) {
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn =
		dbus_bus_get_private(bus->type == BUS_SYSTEM ? DBUS_BUS_SYSTEM : DBUS_BUS_SESSION,
				     &err);
	if (conn == NULL) {
		log_debug("Could not connect to the D-Bus %s bus: %s",
			  bus->type == BUS_SYSTEM ? "system" : "session", err.message);
		dbus_error_free(&err);
		return -ECONNREFUSED;
	}
	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	int ret = dbus_bus_request_name(conn, BUS_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err);
	if (ret != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
		int result = -EEXIST;
		if (dbus_error_is_set(&err)) {
			log_error("Could not own %s: %s", BUS_NAME, err.message);
			result = -EACCES;
			dbus_error_free(&err);
		}
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
		return result;
	}
	if (!dbus_connection_try_register_object_path(conn, BUS_PATH, &vtable, bus, &err) ||
	    !dbus_connection_add_filter(conn, filter, bus, NULL) || !dbus_glib_attach(conn, NULL)) {
		log_error("Could not serve %s: %s", BUS_PATH,
			  dbus_error_is_set(&err) ? err.message : "out of memory");
		dbus_error_free(&err);
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
		return -ENOMEM;
	}
	bus->conn = conn;
	bus->backoff = 0;
	return 0;
}

static gboolean reconnect_cb(gpointer data) {
	struct bus *bus = data;
	bus->reconnect = 0;
	int ret = connect_bus(bus);
	if (ret == 0) {
		log_info("Back on the D-Bus %s bus as %s",
			 bus->type == BUS_SYSTEM ? "system" : "session", BUS_NAME);
		return G_SOURCE_REMOVE;
	}
	bus->backoff = bus->backoff == 0 ? RECONNECT_MIN : bus->backoff * 2;
	if (bus->backoff > RECONNECT_MAX) {
		bus->backoff = RECONNECT_MAX;
	}
	bus->reconnect = g_timeout_add_seconds(bus->backoff, reconnect_cb, bus);
	return G_SOURCE_REMOVE;
}

static void schedule_reconnect(struct bus *bus) {
	drop_connection(bus);
	if (bus->reconnect == 0) {
		bus->backoff = RECONNECT_MIN;
		bus->reconnect = g_timeout_add_seconds(bus->backoff, reconnect_cb, bus);
	}
}

struct bus *bus_create(enum bus_type type, const struct bus_handler *h, void *data) {
	struct bus *bus = calloc(1, sizeof(*bus));
	if (bus == NULL) {
		return NULL;
	}
	bus->type = type;
	bus->h = h;
	bus->data = data;
	int ret = connect_bus(bus);
	if (ret < 0) {
		if (ret == -EEXIST) {
			log_error("Another ctid already owns %s on the %s bus", BUS_NAME,
				  type == BUS_SYSTEM ? "system" : "session");
		} else if (ret == -ECONNREFUSED) {
			log_error("Could not connect to the D-Bus %s bus (use --bus none to run "
				  "without it)",
				  type == BUS_SYSTEM ? "system" : "session");
		}
		free(bus);
		errno = -ret;
		return NULL;
	}
	return bus;
}

void bus_destroy(struct bus *bus) {
	if (bus == NULL) {
		return;
	}
	if (bus->reconnect != 0) {
		g_source_remove(bus->reconnect);
	}
	if (bus->conn != NULL) {
		dbus_connection_remove_filter(bus->conn, filter, bus);
		dbus_connection_flush(bus->conn);
	}
	drop_connection(bus);
	free(bus);
}

static void send_signal(struct bus *bus, DBusMessage *sig) {
	if (bus->conn != NULL && dbus_connection_get_is_connected(bus->conn)) {
		dbus_connection_send(bus->conn, sig, NULL);
	}
	dbus_message_unref(sig);
}

void bus_emit_call(struct bus *bus, const char *signal, const struct bus_call *c) {
	if (bus == NULL) {
		return;
	}
	DBusMessage *sig = dbus_message_new_signal(BUS_PATH, BUS_INTERFACE, signal);
	if (sig == NULL) {
		return;
	}
	DBusMessageIter it;
	dbus_message_iter_init_append(sig, &it);
	append_call(&it, c);
	send_signal(bus, sig);
}

void bus_emit_modem_added(struct bus *bus, const struct bus_modem *m) {
	if (bus == NULL) {
		return;
	}
	DBusMessage *sig = dbus_message_new_signal(BUS_PATH, BUS_INTERFACE, "ModemAdded");
	if (sig == NULL) {
		return;
	}
	DBusMessageIter it;
	dbus_message_iter_init_append(sig, &it);
	append_modem(&it, m);
	send_signal(bus, sig);
}

void bus_emit_modem_removed(struct bus *bus, const char *path) {
	if (bus == NULL) {
		return;
	}
	DBusMessage *sig = dbus_message_new_signal(BUS_PATH, BUS_INTERFACE, "ModemRemoved");
	if (sig == NULL) {
		return;
	}
	DBusMessageIter it;
	dbus_message_iter_init_append(sig, &it);
	append_str(&it, path);
	send_signal(bus, sig);
}

void bus_database_changed(struct bus *bus) {
	if (bus == NULL) {
		return;
	}
	DBusMessage *sig =
		dbus_message_new_signal(BUS_PATH, DBUS_INTERFACE_PROPERTIES, "PropertiesChanged");
	if (sig == NULL) {
		return;
	}
	DBusMessageIter it, dict, entry, invalidated;
	const char *iface = BUS_INTERFACE, *name = "Database";
	dbus_message_iter_init_append(sig, &it);
	dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &iface);
	dict_open(&it, &dict);
	dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
	dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &name);
	append_property(bus, &entry, name);
	dbus_message_iter_close_container(&dict, &entry);
	dbus_message_iter_close_container(&it, &dict);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "s", &invalidated);
	dbus_message_iter_close_container(&it, &invalidated);
	send_signal(bus, sig);
}
