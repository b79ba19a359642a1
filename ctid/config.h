#ifndef CTID_CONFIG_H
#define CTID_CONFIG_H

/*
 * ctid's settings: one struct, built in one place. config_build() lays the
 * defaults, then the file (ctid.conf: "key = value" lines, "#" comments,
 * "[modem NAME]", "[fritzbox]" and "[ami]" sections), then the command line, whose options are the
 * file's keys under the same names and checked by the same code. ctid
 * builds its settings so at start-up and again on every SIGHUP, so the
 * command line always wins over the file.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_MODEMS    16
#define CONFIG_MAX_DEVICES   16
#define CONFIG_MAX_OVERRIDES 64
#define CONFIG_MAX_LISTEN    8
#define CONFIG_MAX_LINES     32
#define CONFIG_LINE_MAX	     1024 /* bytes of one line of the file */

enum config_bus {
	CONFIG_BUS_SESSION = 0,
	CONFIG_BUS_SYSTEM,
	CONFIG_BUS_NONE,
};

struct config_modem {
	char *name;	  /* the section's name */
	char *path;	  /* device path or a glob under the device folder; default: name */
	char *line;	  /* line name shown to the user */
	char *init;	  /* replaces caller-ID probing */
	char *country;	  /* AT+GCI code sent first */
	int baud;	  /* 0: default */
	char *flow;	  /* "none", "rtscts", "xonxoff"; NULL: default */
	char *department; /* the department its calls are for, or NULL */
};

/* A line over the network: the [fritzbox] section (a FRITZ!Box's call
 * monitor) and the common part of [ami] (a PBX's manager interface). */
#define CONFIG_MAX_NUMBERS	16
#define CONFIG_DEFAULT_FRITZBOX "fritzbox"
#define CONFIG_DEFAULT_AMI	"asterisk"
struct config_number {
	char *number;	  /* one of the box's own numbers, digits */
	char *department; /* the department its calls are for */
};

struct config_box {
	char *host;	  /* NULL: none */
	int port;	  /* 0: the source's own (1012, 5038) */
	char *name;	  /* the line's name; NULL: CONFIG_DEFAULT_FRITZBOX or _AMI */
	char *department; /* for calls to numbers without their own, or NULL */
	struct config_number numbers[CONFIG_MAX_NUMBERS]; /* department.NUMBER = */
	int n_numbers;
};

struct config_ami {
	struct config_box box;
	char *user;	    /* manager.conf's [user] */
	char *secret_file;  /* its secret, readable by its owner only */
	char *context;	    /* inbound contexts, "from-pstn,from-trunk"; NULL: those */
	char *trunks;	    /* trunks' channel name prefixes, "PJSIP/provider"; or NULL */
	char *dial_channel; /* the phone Call back rings first ("PJSIP/21"), or NULL */
	char *dial_context; /* where it then dials the number; NULL: from-internal */
	bool tls;	    /* over TLS (port 5039 unless given) */
	char *tls_ca;	    /* certificates to trust instead of the system's, or NULL */
};

struct config {
	char *path;	  /* the file this came from, or NULL */
	char *database;	  /* NULL: the default, $XDG_DATA_HOME/ctid/ctid.db */
	char *region;	  /* NULL: from the locale */
	int ring_timeout; /* seconds */
	int min_suffix;	  /* 0: the database's default */
	enum config_bus bus;
	bool notify; /* raise notifications */
	char *device_dir;
	char *devices[CONFIG_MAX_DEVICES];
	int n_devices;
	char *open_card;     /* command for "Open card"; {contact} is replaced */
	char *add_note;	     /* command for "Add note"; {contact} is replaced */
	char *reminder_time; /* "HH:MM" */
	/* Where the web page and the API listen: "ADDR:PORT"s; none at all
	 * when listen_none ("listen = none"); CONFIG_DEFAULT_LISTEN when
	 * neither was set. */
	char *listen[CONFIG_MAX_LISTEN];
	int n_listen;
	bool listen_none;
	char *tls_cert, *tls_key; /* PEM files; NULL: self-signed where TLS is needed */
	/* A desk: the server it follows (no modem, no database of its own),
	 * the file with its token (NULL: config_default_token_file()), and
	 * the lines and departments it shows (none: every call). */
	char *connect;
	char *token_file;
	char *lines[CONFIG_MAX_LINES];
	int n_lines;
	int verbose;
	struct config_modem modems[CONFIG_MAX_MODEMS];
	int n_modems;
	struct config_box fritzbox;
	/* [fritzbox] dial-user, dial-password-file, dial-port: calling back
	 * through the box's TR-064 dial help; user NULL: the box cannot dial */
	struct config_tr064 {
		char *user;
		char *password_file; /* readable by its owner only */
		int port;	     /* 0: 49000 */
	} fritzbox_dial;
	struct config_ami ami;
	/* mqtt = URL and its mqtt-* keys: publishing calls to an MQTT broker */
	struct config_mqtt {
		char *host;	     /* NULL: no MQTT */
		int port;	     /* 0: 1883, or 8883 with tls */
		char *user;	     /* or NULL */
		bool tls;	     /* mqtts:// */
		char *ca;	     /* mqtt-ca: certificates to trust; NULL: the system's */
		char *password_file; /* readable by its owner only */
		char *prefix;	     /* NULL: CONFIG_DEFAULT_MQTT_PREFIX */
		char *discovery;     /* Home Assistant's prefix; NULL: "homeassistant" */
		bool no_discovery;   /* mqtt-discovery = none */
		bool no_names;	     /* mqtt-names = no */
	} mqtt;
	/* ncid-listen = ADDR:PORT: NCID clients' server; NULL: none */
	char *ncid_listen;
	/* ncid-gateways = addresses and ADDR/BITS ranges whose CALL: and
	 * CALLINFO: lines are taken, separated by commas or blanks; "none"
	 * for no gateway; NULL: CONFIG_DEFAULT_NCID_GATEWAYS */
	char *ncid_gateways;
	/* ncid-editors = addresses and ranges as ncid-gateways, whose NCID
	 * clients' alias jobs (REQ: alias add|modify) name contacts; "none";
	 * NULL: CONFIG_DEFAULT_NCID_EDITORS */
	char *ncid_editors;
	/* ncid-department = NAME: the department of NCID gateways' calls;
	 * ncid-department.LINE = NAME: of those on one gateway LINE (held in
	 * config_number's number). NULL, none: no department. */
	char *ncid_department;
	struct config_number ncid_lines[CONFIG_MAX_NUMBERS];
	int n_ncid_lines;
};

#define CONFIG_DEFAULT_NCID_GATEWAYS "127.0.0.0/8, ::1"
#define CONFIG_DEFAULT_NCID_EDITORS  "127.0.0.0/8, ::1"
#define CONFIG_NCID_LINE_MAX	     50 /* a gateway's LINE field (NCID's CIDSIZE) */

/* A setting from the command line: a key of the file and its value. */
struct config_override {
	const char *key;
	const char *value;
};

/* Where the settings come from; kept by the daemon for its reloads. */
struct config_source {
	const char *path; /* --config FILE; NULL: the default file, if there is one */
	bool no_file;	  /* read no file at all (the demo) */
	struct config_override overrides[CONFIG_MAX_OVERRIDES];
	int n_overrides;
};

#define CONFIG_DEFAULT_DEVICE_DIR   "/dev/ctid"
#define CONFIG_DEFAULT_RING_TIMEOUT 8
#define CONFIG_DEFAULT_LISTEN	    "127.0.0.1:8733"
#define CONFIG_DEFAULT_MQTT_PREFIX  "ctid"

/*
 * Splits "ADDR:PORT" ("127.0.0.1:8733", "[::1]:8733", "0.0.0.0:443",
 * "localhost:8733", "*:8733" for every address) into the address (without
 * brackets; "*" for every address) and the port. Returns 0, or -EINVAL with
 * why set to what is wrong.
 */
int config_parse_listen(const char *s, char host[64], int *port, const char **why);

/* Adds key = value to src's overrides (both must outlive src). Returns 0, or
 * -E2BIG when there are too many. */
int config_source_add(struct config_source *src, const char *key, const char *value);

/*
 * Fills c (which it initialises: config_finish() it whatever the result)
 * with the defaults, then src's file, then src's overrides. An override
 * that repeats a list key (device) replaces the file's list. Returns 0;
 * -ENOENT when an explicit file does not exist; -EINVAL after logging
 * "FILE:LINE: what is wrong" for each bad line of the file; -EBADR after
 * logging "--KEY: what is wrong" for a bad override.
 */
int config_build(struct config *c, const struct config_source *src);

/* Sets the defaults (no allocation). */
void config_init(struct config *c);
/* Frees what the config owns, and sets the defaults again. */
void config_finish(struct config *c);

/* Reads settings from f on top of c; path names it in errors. Returns 0 or
 * -EINVAL after logging each bad line. */
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

/* Calls fn with every setting of the main section, as the file would write
 * it (unset ones as ""), in a fixed order. */
void config_foreach(const struct config *c,
		    void (*fn)(const char *key, const char *value, void *data), void *data);

/* The modem section whose path (or name) is path, or its last component. */
const struct config_modem *config_find_modem(const struct config *c, const char *path);

/* Replaces *field with a copy of value (NULL clears). Returns -ENOMEM. */
int config_set_string(char **field, const char *value);

/* A desk's token file: $XDG_CONFIG_HOME/ctid/desk.json, else
 * ~/.config/ctid/desk.json. A new string, NULL without a home. */
char *config_default_token_file(void);

/* Whether a desk following c->lines shows a call of line and department
 * (either may be NULL): yes when it follows none, or one of them. */
bool config_follows(const struct config *c, const char *line, const char *department);

/* The department of a call an NCID gateway reported on its LINE field
 * line: ncid-department.LINE, else ncid-department, else NULL. */
const char *config_ncid_department(const struct config *c, const char *line);

/* The department of a call of a network line to its number called (which
 * may be NULL or ""): that number's, else the section's, else NULL. */
const char *config_box_department(const struct config_box *b, const char *called);

/* Expands a leading "~/" with $HOME; returns a new string. */
char *config_expand_home(const char *path);

#endif
