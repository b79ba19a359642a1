#ifndef CTID_DAEMON_MQTTOUT_H
#define CTID_DAEMON_MQTTOUT_H

/*
 * What the daemon publishes over MQTT (mqtt/ is the client), under the
 * prefix (ctid):
 *   ctid/status             online/offline (retained; the last will)
 *   ctid/line/LINE/state    idle, ringing or answered (retained)
 *   ctid/line/LINE/call     one JSON object per call event (not retained)
 *   ctid/last_caller        the last caller's name or number (retained)
 *   ctid/last_call          that call as JSON (retained)
 *   ctid/missed             how many missed calls nobody handled (retained)
 * and, unless turned off, Home Assistant's discovery configs for them. LINE
 * is the line's name with every character but [A-Za-z0-9_-] made "_".
 */

#include "calls.h"
#include "config.h"
#include "db.h"

struct mqttout;

/* Starts publishing to the broker of c (its password in password, or NULL);
 * missed calls are counted in db. Returns NULL (logged) when c is unusable. */
struct mqttout *mqttout_create(const struct config_mqtt *c, const char *password,
			       struct calls *calls);
void mqttout_destroy(struct mqttout *o);

/* A line came: its state (idle) and its discovery config. */
void mqttout_line(struct mqttout *o, const char *line);
/* A call changed. */
void mqttout_call(struct mqttout *o, enum call_change change, const struct call_entry *e);
/* Calls were marked handled: the missed count again. */
void mqttout_missed_changed(struct mqttout *o);

#endif
