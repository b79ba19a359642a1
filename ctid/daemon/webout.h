#ifndef CTID_DAEMON_WEBOUT_H
#define CTID_DAEMON_WEBOUT_H

/*
 * What the daemon tells the web page, as JSON: a call with the keys it has
 * on D-Bus (the same bus_call) and "card", what its popup shows; a modem
 * as on D-Bus; a reminder as ctidctl reminders --json writes it; and the
 * status's keys. Each returns a new string the caller frees, or NULL when
 * out of memory.
 */

#include "bus.h"
#include "db.h"
#include "json.h"
#include "notify.h"

char *webout_call(const struct bus_call *c, const struct notify_card *card);
char *webout_modem(const struct bus_modem *m);
char *webout_modem_removed(const char *path);
char *webout_reminder(const struct db_reminder *r, const char *phone);

/* The status's keys for the object open on w: version, database (the keys
 * of the D-Bus Database property), modems (as ModemAdded). */
void webout_status_database(struct json_writer *w, const struct bus_database *d);
void webout_modem_object(struct json_writer *w, const struct bus_modem *m);

#endif
