#ifndef CTID_CONFIG_H
#define CTID_CONFIG_H

/*
 * ctid.conf: "key = value" lines, "#" comments, and one "[modem NAME]"
 * section per modem. Every command-line option of ctid has a key of the
 * same name; options given on the command line win over the file.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_MODEMS  16
#define CONFIG_MAX_DEVICES 16

enum config_bus {
	CONFIG_BUS_SESSION = 0,
	CONFIG_BUS_SYSTEM,
	CONFIG_BUS_NONE,
};

struct config_modem {
	char *name;    /* the section's name */
	char *path;    /* device path or a glob under the device folder; default: name */
	char *line;    /* line name shown to the user */
	char *init;    /* replaces caller-ID probing */
	char *country; /* AT+GCI code sent first */
	int baud;      /* 0: default */
	char *flow;    /* "none", "rtscts", "xonxoff"; NULL: default */
};

struct config {
	char *path; /* the file this came from, or NULL */
	char *database;
	char *region;
	int ring_timeout; /* seconds; 0: default */
	int min_suffix;	  /* 0: default */
	enum config_bus bus;
	bool bus_set;
	bool notify; /* raise notifications */
	bool notify_set;
	char *device_dir;
	char *devices[CONFIG_MAX_DEVICES];
	int n_devices;
	char *open_card;     /* command for "Open card"; {contact} is replaced */
	char *add_note;	     /* command for "Add note"; {contact} is replaced */
	char *reminder_time; /* "HH:MM" */
	int verbose;
	struct config_modem modems[CONFIG_MAX_MODEMS];
	int n_modems;
};

/* Sets defaults (no allocation). */
void config_init(struct config *c);
/* Frees what the config owns. */
void config_finish(struct config *c);

/*
 * Reads path into c (on top of what is there). Returns 0, -ENOENT when the
 * file does not exist, or -EINVAL after logging "FILE:LINE: what is wrong"
 * for each bad line.
 */
int config_load(struct config *c, const char *path);

/* Reads settings from f as config_load() does; path names it in errors. */
int config_read(struct config *c, FILE *f, const char *path);

/*
 * The file to read when none was given: $XDG_CONFIG_HOME/ctid/ctid.conf or
 * ~/.config/ctid/ctid.conf if it exists, else /etc/ctid/ctid.conf.
 * Returns a new string, or NULL when neither exists.
 */
char *config_default_path(void);

/*
 * The home region: explicit (option or file), else from LC_ALL,
 * LC_TELEPHONE or LANG. Writes "" when none is known. out holds 3 bytes.
 */
void config_region(const char *explicit_region, char out[3]);

/* Replaces *field with a copy of value (NULL clears). Returns -ENOMEM. */
int config_set_string(char **field, const char *value);

/* Expands a leading "~/" with $HOME; returns a new string. */
char *config_expand_home(const char *path);

#endif
