#ifndef CTID_CTL_H
#define CTID_CTL_H

/* ctidctl's commands share this context; each command file exports
 * ctl_<command>(ctx, argc, argv) returning the exit status. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-glib/json-glib.h>

#include "atomic_file.h"
#include "db.h"
#include "when.h"

enum ctl_exit {
	CTL_OK = 0,
	CTL_ERROR = 1, /* the user's request could not be done */
	CTL_USAGE = 2, /* the command line is wrong */
};

struct ctl {
	const char *database; /* --database, else config, else default */
	const char *config_path;
	char region[3];
	bool region_set;
	bool json;
	int min_suffix;
	struct db *db; /* opened on first use */
	/* --server URL ("none": this machine's database) */
	const char *server;
	struct ctl_server *remote; /* opened on first use */
};

/* Opens the database on first use (creating it unless readonly). NULL
 * after printing why. */
struct db *ctl_db(struct ctl *ctl);

/* Resolves CONTACT (id, number or name fragment); prints a one-line error
 * and the candidates when it fails. Returns 0 or CTL_ERROR. */
int ctl_contact_resolve(struct ctl *ctl, const char *text, int64_t *id);

/* Parses the options every command accepts (--database, --region, --json,
 * --help is the caller's). Returns true if opt was one of them. */
bool ctl_common_option(struct ctl *ctl, int opt, const char *arg);

/* Prints "ctidctl: message" on stderr; returns CTL_ERROR. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a usage error and a hint; returns CTL_USAGE. */
int ctl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Long options every command accepts, for getopt_long tables. */
#define CTL_COMMON_LONGOPTS                                                                   \
	{"database", required_argument, NULL, 'D'}, {"region", required_argument, NULL, 'R'}, \
		{"json", no_argument, NULL, 'j'}, {                                           \
		"help", no_argument, NULL, 'h'                                                \
	}

struct json_writer;
/* A db_call_fn copying the call's number (E.164 when known) into a 64-byte
 * buffer. */
int ctl_call_number(const struct db_call *c, void *data);

/* Argument parsing for the CRM commands (ctl_util.c). Each returns false
 * for text that is not entirely what it wants. */
bool ctl_parse_int(const char *s, long min, long max, long *out);
/* An id: "42" or "#42", positive. */
bool ctl_parse_id(const char *s, int64_t *out);
/* Joins argv[from..argc) with spaces; a new string (NULL: out of memory). */
char *ctl_join_words(int argc, char *argv[], int from);
/* Reads the answer to a question already printed: true for one starting with
 * y or Y. */
bool ctl_answer_yes(void);
/*
 * Reads one line typed on the terminal after prompt, without its length
 * limit (a terminal's line editing keeps 4,095 bytes of a pasted line; this
 * reads it whole, with backspace, Ctrl-U and Ctrl-W still working). From a
 * pipe it reads a line as it comes. Returns a new string without the line
 * break, or NULL on end of input or Ctrl-C/Ctrl-D.
 */
char *ctl_read_line(const char *prompt);
/* A line typed on the terminal without echo; NULL when standard input is
 * not a terminal (or at its end). */
char *ctl_read_password(const char *prompt);
/* CTL_OK when the database would keep text (see db_check_text), else
 * prints why not, naming what ("the note"), and returns CTL_ERROR. lines:
 * line breaks are allowed. */
int ctl_check_text(const char *what, const char *text, size_t max, bool lines);
/* Whether the command's first argument asks for help. */
bool ctl_help_asked(int argc, char *argv[]);

/* The contact's first number (all, with labels, when all is true), formatted;
 * "" when they have none. */
void ctl_phones_text(struct ctl *ctl, int64_t contact, bool all, char *buf, size_t size);

/*
 * A desk's ctidctl works on its server through the HTTP API (ctl_server.c):
 * with --server URL, or by default when the desk joined one (ctidctl desk
 * join) and no --database was given. The records come back as the
 * database's structs and are printed by the same code as local ones.
 */
bool ctl_remote(struct ctl *ctl);
void ctl_server_close(struct ctl *ctl);
/* What 'ctidctl calls' asks the server; the dates as the user wrote them. */
struct ctl_calls_query {
	bool missed, unhandled;
	const char *since, *until;
	const char *states; /* "missed,unknown" */
	const char *number;
	int64_t contact_id;
	int limit; /* 0: all (the server gives 1,000 a request: said when cut) */
};
/* These return 0, -ENOENT for what the server does not have (not said), or
 * -ECANCELED after saying why it failed. */
int ctl_server_calls(struct ctl *ctl, const struct ctl_calls_query *q, db_call_fn fn, void *data);
int ctl_server_missed(struct ctl *ctl, bool unknown, const char *since, db_missed_fn fn, void *data);
int ctl_server_handle(struct ctl *ctl, int64_t id);
int ctl_server_note_add(struct ctl *ctl, int64_t contact, const char *kind, const char *text,
			int64_t *id);
/* A one-time link that logs this desk's user in to the server's page at
 * path (NULL: the start); a new string, or NULL after saying why. */
char *ctl_server_link(struct ctl *ctl, const char *path);
/* Contact id's card as the server writes it (card_write_json) into a new
 * string (free()). */
int ctl_server_card(struct ctl *ctl, int64_t id, char **json, size_t *len);
/* o[key] as the API writes it (o may be NULL): a string or NULL, an
 * integer or 0, true only for true, an ISO 8601 time as Unix seconds or 0. */
const char *ctl_json_text(JsonObject *o, const char *key);
int64_t ctl_json_int(JsonObject *o, const char *key);
bool ctl_json_bool(JsonObject *o, const char *key);
int64_t ctl_json_time(JsonObject *o, const char *key);
/* As ctl_contact_resolve, on the server. */
int ctl_server_contact_resolve(struct ctl *ctl, const char *text, int64_t *id);

/* Where a command's output goes (ctl_target.c): a file replaced whole, or
 * what is not a file (a FIFO, a device, standard output) written directly. */
struct ctl_target {
	const char *path;	 /* as given, for messages; NULL: standard output */
	struct atomic_file file; /* a file written beside it (its tmp set), else direct */
	FILE *f;		 /* what to write to */
	bool is_stdout;		 /* path is standard output's file (say nothing more in it) */
};

/* Opens path (NULL: standard output) for writing; 0, or CTL_ERROR after
 * saying why. A 0 must be followed by ctl_target_close(). */
int ctl_target_open(struct ctl_target *t, const char *path);

/* Finishes the output (ok: all was written, else what was begun is
 * dropped); 0, or CTL_ERROR after saying why. */
int ctl_target_close(struct ctl_target *t, bool ok);

int ctl_calls(struct ctl *ctl, int argc, char *argv[]);
/* monitor, status and callback: argv[0] says which. */
int ctl_bus_command(struct ctl *ctl, int argc, char *argv[]);
int ctl_contact(struct ctl *ctl, int argc, char *argv[]);
int ctl_contact_show(struct ctl *ctl, int argc, char *argv[]);
int ctl_note(struct ctl *ctl, int argc, char *argv[]);
int ctl_lookup(struct ctl *ctl, int argc, char *argv[]);
/* request and order: argv[0] says which kind. */
int ctl_request(struct ctl *ctl, int argc, char *argv[]);
/* reminder add|delete|list, and reminders: argv[0] says which. */
int ctl_reminder(struct ctl *ctl, int argc, char *argv[]);
int ctl_missed(struct ctl *ctl, int argc, char *argv[]);
int ctl_contact_merge(struct ctl *ctl, int argc, char *argv[]);
int ctl_user(struct ctl *ctl, int argc, char *argv[]);
/* The first URL of the web page of the ctid on the session (or system) bus,
 * as a new string; NULL when it cannot be asked or serves none. */
char *ctl_bus_web_url(bool system);
int ctl_open(struct ctl *ctl, int argc, char *argv[]);
int ctl_desk(struct ctl *ctl, int argc, char *argv[]);
int ctl_report(struct ctl *ctl, int argc, char *argv[]);
int ctl_import(struct ctl *ctl, int argc, char *argv[]);
int ctl_export(struct ctl *ctl, int argc, char *argv[]);
int ctl_backup(struct ctl *ctl, int argc, char *argv[]);
int ctl_restore(struct ctl *ctl, int argc, char *argv[]);

#endif
