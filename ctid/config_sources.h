#ifndef CTID_CONFIG_SOURCES_H
#define CTID_CONFIG_SOURCES_H

/* The sections of ctid.conf for lines that are not modems, read by
 * config.c: kept apart so each file stays about one thing. */

#include "config.h"

/* Applies key = value of the [fritzbox] section. Returns NULL, or what is
 * wrong. */
const char *config_apply_fritzbox(struct config *c, const char *key, const char *value);
/* fritzbox = HOST[:PORT] (--fritzbox): the section's host and port at once. */
const char *config_apply_fritzbox_address(struct config *c, const char *value);
/* Applies key = value of the [ami] section. */
const char *config_apply_ami(struct config *c, const char *key, const char *value);
/* Applies mqtt = URL and the mqtt-* keys of the main section. */
const char *config_apply_mqtt(struct config *c, const char *key, const char *value);
/* Frees what the sections hold. */
void config_box_finish(struct config_box *b);
void config_ami_finish(struct config_ami *a);
void config_mqtt_finish(struct config_mqtt *q);
/* The main section's mqtt keys in effect, for the settings view (as
 * config_foreach(); the password file's name, never what is in it). */
void config_mqtt_foreach(const struct config *c,
			 void (*fn)(const char *key, const char *value, void *data), void *data);
/* Checks the sections as a whole once everything is read; logs what is
 * wrong ("where: ...") and returns -EINVAL, else 0. */
int config_check_sources(const struct config *c, const char *where);
/* The entry of key (a number, a LINE) in list, one of *n entries, added
 * at the end when new; NULL when the list holds CONFIG_MAX_NUMBERS already
 * or memory ran out. */
struct config_number *config_number_entry(struct config_number *list, int *n, const char *key);

#endif
