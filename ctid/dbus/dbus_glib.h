#ifndef CTID_DBUS_GLIB_H
#define CTID_DBUS_GLIB_H

/*
 * Runs a libdbus connection from a GLib main context: its watches become fd
 * sources, its timeouts timer sources, and dispatching happens in an idle
 * source whenever messages are queued. Nothing polls: with no traffic the
 * connection costs no wake-ups.
 */

#include <dbus/dbus.h>
#include <glib.h>
#include <stdbool.h>

/* Attaches conn to ctx (NULL: the default context). Returns false on
 * allocation failure. The connection must be detached (or closed and
 * unreferenced) before ctx goes away. */
bool dbus_glib_attach(DBusConnection *conn, GMainContext *ctx);
/* Removes every source the connection added. */
void dbus_glib_detach(DBusConnection *conn);

#endif
