#ifndef CTID_LINES_H
#define CTID_LINES_H

/*
 * The lines the daemon watches: a FRITZ!Box's call monitor ([fritzbox],
 * --fritzbox) and a PBX's manager interface ([ami]), followed over the
 * network, and the modems: the --device
 * paths and every entry of the device folder (/dev/ctid, filled by the udev
 * rules). A line of either kind reports its calls the same way. Each modem's fd and
 * timers hang off the GLib main loop; an inotify watch on the folders notices
 * modems that appear and disappear, so plugging one in (or back in) needs no
 * restart and nothing polls while nothing happens.
 */

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "config.h"
#include "modem.h"

struct line;
struct lines;

struct lines_listener {
	/* A call on line started, changed or ended. */
	void (*call)(struct line *line, const struct call_info *call, enum call_change change,
		     void *data);
	/* A modem became ready (added) or went away (removed); not called for
	 * network lines, which are no modems (they log when they go). */
	void (*added)(struct line *line, void *data);
	void (*removed)(struct line *line, void *data);
};

struct lines_options {
	/* The device folder, --device paths, [modem] sections and ring timeout.
	 * Read when a modem is added: it must outlive the lines, and may change
	 * between modems (a reload). */
	const struct config *config;
	const char *lock_dir;
	/* Start-up retry and command timeouts (tests shorten them); 0: default. */
	int64_t retry_min_ms;
	int64_t command_timeout_ms;
};

/* Starts watching; modems found now are started. NULL (logged) on failure. */
struct lines *lines_create(const struct lines_options *opts, const struct lines_listener *l,
			   void *data);
void lines_destroy(struct lines *lines);

/* A CALL: or CALLINFO: line (no line break) from an NCID gateway at peer:
 * its LINE field names a line, made the first time (see ncidgw.h). NULL
 * lines is a no-op. */
void lines_gateway_line(struct lines *lines, const char *s, size_t len, const char *peer);

typedef void (*lines_fn)(struct line *line, void *ctx);
void lines_foreach(struct lines *lines, lines_fn fn, void *ctx);
int lines_count(struct lines *lines);

/* The first ready modem that can dial, else a network line (one that can
 * dial if there is one; else line_dial() says why it cannot), or NULL. */
struct line *lines_dialer(struct lines *lines);
/* The line called name when it can dial now, else lines_dialer(). */
struct line *lines_dialer_for(struct lines *lines, const char *name);
/* Dials on line; see modem_dial(). A PBX rings [ami] dial-channel first
 * (-EBUSY while not logged in); a FRITZ!Box, or a PBX without
 * dial-channel, cannot: -ENOTSUP (logged). */
int line_dial(struct line *line, const char *number);
/* Dials for a user whose phone is phone (an extension or a channel; NULL:
 * the line's default): a PBX rings that phone first; other lines dial as
 * line_dial(). */
int line_dial_from(struct line *line, const char *number, const char *phone);

/* Whether line is a modem (else a source over the network). */
bool line_is_modem(const struct line *line);
/* What a network line is (its maker and model, "AVM", "FRITZ!Box call
 * monitor"), whether it is up (connected, logged in) now, and whether it
 * can dial (a PBX with [ami] dial-channel). */
void line_net_view(const struct line *line, const char **maker, const char **model, bool *up,
		   bool *can_dial);
/* The device path of a modem; HOST:PORT of a network line. */
const char *line_path(const struct line *line);
const char *line_name(const struct line *line);
/* The department the line's calls are for ([modem] department =, or the
 * [fritzbox] section's), or NULL. */
const char *line_department(const struct line *line);
/* The department of one of its calls: a FRITZ!Box's may depend on the
 * number called (department.NUMBER =). */
const char *line_call_department(const struct line *line, const struct call_info *call);
/* The modem's state and abilities; NULL for a network line (see
 * line_net_view()). */
const struct modem_info *line_info(const struct line *line);

#endif
