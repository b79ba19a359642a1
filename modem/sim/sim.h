#ifndef CTID_SIM_H
#define CTID_SIM_H

/*
 * A modem simulator on a pseudo-terminal, for the integration tests and
 * ctid --demo. It answers AT commands like a chosen modem, reports caller ID
 * only after the host switched it on with a command that modem accepts, and
 * plays scripted calls with real timing. tests/modemsim.c wraps it as a
 * program; its --help documents the script language, which sim_run() reads
 * one command per line:
 *
 *   call NUMBER ["NAME"] [rings=N] [answer=K] [nocid] [name_delay=SECS] [uk] [nowait]
 *            NUMBER is digits (and + * #), P (withheld), O (unavailable) or
 *            - (none); rings defaults to 4; answer=K: an extension picks up
 *            after ring K (reported where the modem can: Conexant with
 *            -STE bit 1); name_delay sends NAME that much after NMBR; uk
 *            sends caller ID before the first ring, as BT lines do; nowait
 *            runs the next commands while it rings (to unplug mid-call)
 *   sleep SECS         wait (fractions allowed)
 *   unplug             close the pty (the host sees EIO/HUP), remove the link
 *   replug             a new pty, the link re-created; the modem is reset
 *   mute | unmute      stop/start answering AT commands (no echo either)
 *   errors on|off      answer ERROR to every command
 *   reset              the modem resets itself as after ATZ (Conexant forgets
 *                      caller ID)
 *   garbage N          N random bytes, NUL and DLE included
 *   noise N            N bytes of printable junk lines
 *   send TEXT          one raw line (CR LF added), e.g. send RING
 *   interval MS        ring interval from now on
 *   repeat             start the script file again
 *   quit               stop; sim_run() returns 0
 *   # comment, blank lines: ignored
 *
 * On events_fd it prints "ready <pty path>" when listening, then one
 * "event <command> ..." line per completed command, e.g. "event call done
 * rings=4", "event replug /dev/pts/5", "event error line 3: ...", and with
 * timestamps "event nmbr 1700000000123456789".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sim_dialect {
	SIM_DIALECT_CONEXANT = 0, /* ATI3 CX93001, +VCID=1/2, forgets +VCID after ATZ, -STE */
	SIM_DIALECT_USR,	  /* USR 5637: ATI0 5601, +VCID and #CID */
	SIM_DIALECT_ROCKWELL,	  /* an older chipset that only knows #CID (probing order) */
	SIM_DIALECT_GSM,	  /* +GCAP +CGSM, +CLIP, +CRC */
};

struct sim_options {
	enum sim_dialect dialect;
	bool huawei;		  /* GSM: calls end with ^CEND instead of NO CARRIER */
	const char *link;	  /* a symlink to the pty, made and removed; or NULL */
	int64_t ring_interval_ms; /* 0: 6000, as on a real line */
	bool uk;		  /* every call sends caller ID before the first ring */
	int events_fd;		  /* where "ready"/"event" lines go; -1: nowhere */
	bool trace;		  /* also print "at <command>" for each command line */
	unsigned seed;		  /* for garbage and noise; 0: fixed default */
	/* Print "event nmbr <ns>" when the line carrying a caller's number
	 * (NMBR, MDMF, +CLIP) goes out: CLOCK_REALTIME in nanoseconds, read just
	 * before the write(2) that completes the line, so the host cannot have
	 * had the number earlier. For latency measurements (tests/bench). */
	bool timestamps;
};

struct sim;

/* Returns a simulator (no pty yet) or NULL with errno set. Free with
 * sim_destroy. The options' strings are copied. */
struct sim *sim_create(const struct sim_options *opts);

/* Closes the pty and frees; in the process that ran sim_run() it also
 * removes the link. NULL is a no-op. */
void sim_destroy(struct sim *s);

/*
 * Creates the pseudo-terminal (and the link) and copies the slave's path
 * into path. Returns 0 or a negative errno. Called by sim_run() when not
 * done before; call it first to learn the path before forking. The parent
 * must then sim_destroy() its copy: that closes its pty descriptors (else
 * the host never sees an unplug) and leaves the link to the child, e.g.
 *
 *   struct sim *s = sim_create(&opts);
 *   sim_open_pty(s, path, sizeof(path));
 *   pid_t pid = fork();
 *   if (pid == 0)
 *           _exit(sim_run(s, -1, script) < 0);
 *   sim_destroy(s);
 *   ... open path as the modem; kill(pid, SIGTERM) at the end ...
 *
 * (SIGTERM needs a handler calling sim_stop() in the child for the link
 * to be removed; modemsim installs one.)
 */
int sim_open_pty(struct sim *s, char *path, size_t size);

/*
 * Runs the simulator until "quit", sim_stop() or an error: answers AT
 * commands and runs the script file (if not NULL), then commands read from
 * control_fd (if not -1) as they arrive. End of file on control_fd is not
 * the end: the modem goes on answering. Blocks in poll(). Returns 0 or a
 * negative errno.
 */
int sim_run(struct sim *s, int control_fd, const char *script_path);

/* Asks sim_run() to return soon; safe from a signal handler. */
void sim_stop(struct sim *s);

/* Parses "conexant", "usr", "rockwell", "gsm". Returns 0 or -EINVAL. */
int sim_dialect_from_str(const char *str, enum sim_dialect *dialect);
const char *sim_dialect_str(enum sim_dialect dialect);

#endif
