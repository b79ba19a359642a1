#ifndef CTID_BUS_H
#define CTID_BUS_H

/*
 * The org.ctid.Ctid1 D-Bus service (libdbus, run from the GLib main loop).
 * The daemon answers the methods through a handler table and announces
 * calls and modems with the bus_emit_* functions. If the bus goes away the
 * service reconnects with backoff; calls keep being logged meanwhile.
 */

#include <stdbool.h>
#include <stdint.h>

#define BUS_NAME      "org.ctid.Ctid1"
#define BUS_PATH      "/org/ctid/Ctid1"
#define BUS_INTERFACE "org.ctid.Ctid1"

enum bus_type {
	BUS_SESSION = 0,
	BUS_SYSTEM,
};

/* A call as the bus shows it (see org.ctid.Ctid1.xml for the keys). */
struct bus_call {
	int64_t id;
	const char *line;
	const char *number;
	const char *name;
	const char *withheld;
	const char *e164;
	const char *formatted;
	int64_t contact_id;
	const char *contact_name;
	bool ambiguous;
	int rings;
	const char *state;
	int64_t started, ended;
	const char *date;
	bool handled;
	const char *department; /* of the line, "" when it has none */
};

struct bus_modem {
	const char *path;
	const char *line;
	const char *state;
	const char *manufacturer;
	const char *model;
	const char *dialect;
	const char *cid_command;
	bool gsm, can_dial, detects_pickup;
};

struct bus_lookup {
	const char *e164;
	const char *formatted;
	int64_t contact_id;
	const char *contact_name;
	bool ambiguous;
	bool withheld;
	const char *match; /* "exact", "suffix" or "" */
};

struct bus_database {
	const char *path;
	bool writable;
	const char *error; /* "" while writable */
	int64_t since;	   /* when writing began to fail; 0 while writable */
	uint32_t waiting;  /* calls kept in memory until they can be written */
};

/* A desk's link to its server (all "" and 0 on a ctid with modems). */
struct bus_server {
	const char *url;
	bool connected;
	int64_t since;	   /* when the link came up; 0 while down */
	const char *error; /* why it is down, "" when up */
	const char *user;  /* whom the desk acts as */
};

struct bus_call_filter {
	bool missed, unhandled;
	int64_t since;
	int64_t contact;
	const char *number;
};

typedef void (*bus_call_fn)(const struct bus_call *c, void *ctx);
typedef void (*bus_modem_fn)(const struct bus_modem *m, void *ctx);
typedef void (*bus_lookup_fn)(const struct bus_lookup *l, void *ctx);
typedef void (*bus_setting_fn)(const char *key, const char *value, void *ctx);

/* The daemon's side. Each returns 0 or -errno (-ENOENT, -EINVAL, -ENOTUNIQ,
 * -ENOTSUP, -EBUSY ...), which the caller receives as a D-Bus error. */
struct bus_handler {
	int (*lookup)(void *data, const char *number, bus_lookup_fn fn, void *ctx);
	int (*get_call)(void *data, int64_t id, bus_call_fn fn, void *ctx);
	int (*list_calls)(void *data, const struct bus_call_filter *f, int limit, bus_call_fn fn,
			  void *ctx);
	int (*mark_handled)(void *data, int64_t id);
	int (*add_note)(void *data, const char *contact, const char *text, int64_t *note_id);
	int (*dial)(void *data, const char *number);
	/* Calls the caller of call id back, on the line it came in on when
	 * that line can dial, and notes that they were called back; writes the
	 * number dialled (64 bytes). -ENOENT, -ENODATA (withheld), -ENOTSUP. */
	int (*call_back)(void *data, int64_t id, char number[64]);
	void (*list_modems)(void *data, bus_modem_fn fn, void *ctx);
	void (*database)(void *data, struct bus_database *out);
	/* The settings in effect, as ctid.conf would write them. */
	void (*settings)(void *data, bus_setting_fn fn, void *ctx);
	/* Where the web page is served (NULL-terminated; may be NULL) and its
	 * certificate's fingerprint ("" without TLS). */
	void (*web)(void *data, const char *const **urls, const char **fingerprint);
	/* A desk's server (may be NULL: none). */
	void (*server)(void *data, struct bus_server *out);
};

struct bus;

/*
 * Connects to the bus, claims BUS_NAME and serves BUS_PATH. Returns NULL
 * with errno set: EEXIST when another ctid owns the name, ECONNREFUSED when
 * there is no bus. The handler table must outlive the bus.
 */
struct bus *bus_create(enum bus_type type, const struct bus_handler *h, void *data);
void bus_destroy(struct bus *bus);

/* signal is "CallStarted", "CallUpdated" or "CallEnded". Dropped (not
 * queued) while disconnected. */
void bus_emit_call(struct bus *bus, const char *signal, const struct bus_call *c);
void bus_emit_modem_added(struct bus *bus, const struct bus_modem *m);
void bus_emit_modem_removed(struct bus *bus, const char *path);
/* Emits PropertiesChanged for the Database property (bus may be NULL). */
void bus_database_changed(struct bus *bus);

#endif
