#ifndef CTID_DAEMON_SERVICE_H
#define CTID_DAEMON_SERVICE_H

/*
 * The daemon on D-Bus: org.ctid.Ctid1's methods answered from the call log,
 * the contacts and the modems, and its signals sent as calls and modems
 * come and go. The service object itself (ctid/dbus/) knows only plain
 * structs; this is where the daemon's parts meet it.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "calls.h"
#include "config.h"
#include "lines.h"
#include "web.h"

/* What the methods ask of the daemon beyond reading. */
struct service_actions {
	/* MarkHandled. Returns 0 or -errno (-ENOENT: no such call). */
	int (*mark_handled)(int64_t call_id, void *data);
	/* Dial: number holds digits, +, * and # only. Returns 0 or -errno
	 * (-ENOTSUP when no line can dial). */
	int (*dial)(const char *number, void *data);
	/* CallBack: dials the caller of call_id back (number: what was
	 * dialled, 64 bytes). 0 or -errno (-ENOENT, -ENODATA, -ENOTSUP). */
	int (*call_back)(int64_t call_id, char number[64], void *data);
};

/* What the methods read; everything must outlive the service. */
struct service_env {
	struct web *web; /* the web page, or NULL */
	struct calls *calls;
	struct lines *lines;
	const struct config *config; /* the settings in effect (read when asked) */
	const char *database;	     /* the database's path */
};

struct service;

/* Connects to the bus and claims org.ctid.Ctid1. Returns NULL (logged)
 * when it cannot (another ctid owns the name, no bus). */
struct service *service_create(enum bus_type type, const struct service_env *env,
			       const struct service_actions *a, void *data);
/* NULL is a no-op. */
void service_destroy(struct service *s);
/* The modems, once they exist (they announce themselves through the
 * service as they are found). No-op with a NULL service. */
void service_set_lines(struct service *s, struct lines *lines);

/* What the bus shows, for the other outputs (the web's events and
 * status), which give the same keys. Strings are borrowed. */
void service_call_view(const struct call_entry *e, struct bus_call *out);
void service_modem_view(struct line *line, struct bus_modem *out);
void service_database_view(struct calls *calls, struct bus_database *out);
/* The settings in effect, as the Settings property lists them. */
void service_settings_view(const struct service_env *env, bus_setting_fn fn, void *ctx);

/* Signals. Each is a no-op with a NULL service. */
void service_call(struct service *s, enum call_change change, const struct call_entry *e);
void service_modem_added(struct service *s, struct line *line);
void service_modem_removed(struct service *s, struct line *line);
void service_database_changed(struct service *s);

#endif
