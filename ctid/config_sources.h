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
/* Frees what the section holds. */
void config_fritzbox_finish(struct config_fritzbox *f);

#endif
