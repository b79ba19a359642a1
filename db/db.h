#ifndef CTID_DB_H
#define CTID_DB_H

/*
 * The contact and call database: one SQLite file (WAL, foreign keys, every
 * statement prepared once and bound, never SQL built from text). Times are
 * Unix seconds. Strings handed to callbacks are valid only during the call;
 * copy what you keep.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DB_SCHEMA_VERSION 5
#define DB_MIN_SUFFIX	  7 /* digits a suffix match needs by default */

/*
 * The longest texts ctid keeps, in bytes of UTF-8. Longer ones are refused
 * with -EMSGSIZE, never cut: by ctidctl, the D-Bus API and imports alike.
 * Texts are UTF-8 without control characters (notes and fields' values
 * may have tabs and line breaks): anything else is refused with -EILSEQ.
 */
#define DB_NAME_MAX   1024  /* a name, company, e-mail, tag, phone label, field's key */
#define DB_NUMBER_MAX 64    /* a phone number as written */
#define DB_TEXT_MAX   65536 /* a note, request, order, reminder, field's value */

struct db;

enum db_open_flags {
	DB_OPEN_READONLY = 1 << 0,
	DB_OPEN_NO_CREATE = 1 << 1, /* fail with -ENOENT rather than create */
	/* Commits copy the write-ahead log into the file (and fsync twice) only
	 * once it holds DB_LAZY_CHECKPOINT_PAGES, not SQLite's 1,000; the owner
	 * calls db_checkpoint() when it has time. */
	DB_OPEN_LAZY_CHECKPOINT = 1 << 2,
	/* Failing to open is expected (the daemon trying again): log it at debug level. */
	DB_OPEN_QUIET = 1 << 3,
};

#define DB_LAZY_CHECKPOINT_PAGES 10000 /* about 40 MB */

/*
 * 0 when s (NULL: yes) can be kept: at most max bytes of UTF-8 without
 * control characters (but tabs and line breaks when lines); -EMSGSIZE
 * when it is longer, -EILSEQ when it holds a control character or is not
 * UTF-8. Every function that stores text checks it so.
 */
int db_check_text(const char *s, size_t max, bool lines);

/*
 * Returns $XDG_DATA_HOME/ctid/ctid.db, else ~/.local/share/ctid/ctid.db, as a
 * new string the caller frees; NULL with errno set when HOME is unknown.
 */
char *db_default_path(void);

/*
 * Opens (and creates, mode 0600, with its folder 0700) the database at path
 * and migrates its schema forward in one transaction. Logs what went wrong.
 * Returns NULL with errno set on failure (EROFS/EACCES/ENOENT/EIO, or
 * EPROTO for a file whose schema is newer than this program).
 */
struct db *db_open(const char *path, int flags);
void db_close(struct db *db);

/* Whether the connection may write: SQLite opens a file it may not write
 * (mode 0400, a read-only mount) read-only without a word. */
bool db_writable(struct db *db);
/* Whether the file was deleted or renamed since it was opened: writes would
 * go to a file nobody will ever read again. */
bool db_moved(struct db *db);

/* The file's schema version (PRAGMA user_version). */
int db_schema_version(struct db *db);

/* Home region for number normalisation ("GB"; NULL or "" for digits only). */
void db_set_region(struct db *db, const char *region);
const char *db_get_region(const struct db *db);
/* Digits a suffix match needs (default DB_MIN_SUFFIX, at least 4). */
void db_set_min_suffix(struct db *db, int digits);

/* How long a statement waits for another process's lock before it fails
 * with -EBUSY (default 5000 ms; the daemon waits less and retries later). */
void db_set_busy_timeout(struct db *db, int ms);

/* Who is acting on this connection (a user of the web page, the Unix user
 * of ctidctl): notes, closed requests and handled calls record it. NULL or
 * "" for nobody in particular. Copied. */
void db_set_author(struct db *db, const char *who);

/* The path the database was opened from. */
const char *db_path(const struct db *db);

int db_begin(struct db *db);
/* A read transaction: what follows sees one snapshot, and the daemon can
 * still write meanwhile. End it with db_commit() or db_rollback(). */
int db_begin_read(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
/* A read transaction around queries that belong together (a caller's card:
 * one snapshot, and the log's read lock taken once, where each query on its
 * own takes and drops it, two fcntl() calls), unless a transaction is open
 * already. Returns whether it began one; pass that to db_snapshot_end(). */
bool db_snapshot_begin(struct db *db);
void db_snapshot_end(struct db *db, bool began);

/* SQLite's message for the last error on this connection. */
const char *db_errmsg(struct db *db);

/* Contacts. NULL strings are stored as absent. */
struct db_contact {
	int64_t id;
	const char *name;
	const char *company;
	const char *email;
	const char *birthday; /* "YYYY-MM-DD" or "--MM-DD" */
	int64_t created, updated;
};

typedef int (*db_contact_fn)(const struct db_contact *c, void *data);

/* Adds a contact (name required); writes its id. Returns 0 or -errno. */
int db_contact_add(struct db *db, const struct db_contact *c, int64_t *id);
/*
 * Changes the fields of contact c->id that are not NULL (an empty string
 * clears a field; the name cannot be cleared). -ENOENT if there is none.
 */
int db_contact_update(struct db *db, const struct db_contact *c);
int db_contact_delete(struct db *db, int64_t id);
/* Calls fn once with the contact; -ENOENT if there is none. */
int db_contact_get(struct db *db, int64_t id, db_contact_fn fn, void *data);
/* All contacts by name (tag NULL) or those with the tag; fn returning
 * non-zero stops the walk and that value is returned. */
int db_contact_foreach(struct db *db, const char *tag, db_contact_fn fn, void *data);
int64_t db_contact_count(struct db *db);

/*
 * Finds the one contact text names: an id ("42" or "#42"), a phone number,
 * or a fragment of the name or company. Returns 0 and writes id; -ENOENT for
 * none; -ENOTUNIQ when several match, after calling fn (if not NULL) for up
 * to ten of the candidates.
 */
int db_contact_resolve(struct db *db, const char *text, int64_t *id, db_contact_fn fn, void *data);

/*
 * Full-text search over names, companies, notes (prefix match on every
 * word: "pozd" finds Pozdniakov) and parts of numbers (three digits or
 * more), best first. fn gets each contact once.
 */
int db_contact_search(struct db *db, const char *query, int limit, db_contact_fn fn, void *data);

/*
 * Search as you type, quick at a million contacts because it stops at
 * limit (at most 100) and ranks nothing: contacts whose name starts with
 * query (in name order), then those with a word of the name or company
 * starting with one of query's words, then with such a word in a note,
 * then (three digits or more) with those digits in a number. Each contact
 * once. An empty query lists contacts by name, after the name after (NULL:
 * from the first).
 */
int db_contact_suggest(struct db *db, const char *query, const char *after, int limit,
		       db_contact_fn fn, void *data);

/* Phone numbers. */
struct db_phone {
	int64_t id;
	int64_t contact_id;
	const char *label; /* "mobile", "work", ... or NULL */
	const char *raw;   /* as entered */
	const char *e164;  /* NULL when none could be derived */
	const char *digits;
};

typedef int (*db_phone_fn)(const struct db_phone *p, void *data);

/* Normalises raw with the home region and stores it. -EINVAL for a number
 * with no digits; -EEXIST if the contact already has it. */
int db_phone_add(struct db *db, int64_t contact, const char *raw, const char *label, int64_t *id);
/* Removes the contact's number that matches raw (as entered or normalised). */
int db_phone_remove(struct db *db, int64_t contact, const char *raw);
int db_phone_foreach(struct db *db, int64_t contact, db_phone_fn fn, void *data);
/* Re-derives E.164 and digits of every stored number (after a region change). */
int db_phone_renormalize(struct db *db);

/* Custom fields and tags. */
typedef int (*db_field_fn)(const char *key, const char *value, void *data);
/* Sets a field; a NULL or empty value removes it. */
int db_field_set(struct db *db, int64_t contact, const char *key, const char *value);
int db_field_foreach(struct db *db, int64_t contact, db_field_fn fn, void *data);
int db_tag_add(struct db *db, int64_t contact, const char *tag);
int db_tag_remove(struct db *db, int64_t contact, const char *tag);
/* Calls fn(tag, NULL, data) for each tag. */
int db_tag_foreach(struct db *db, int64_t contact, db_field_fn fn, void *data);

/* Number lookup: what the screen-pop shows. */
enum db_match_kind {
	DB_MATCH_NONE = 0,
	DB_MATCH_EXACT,	 /* same E.164 (or same digits without a region) */
	DB_MATCH_SUFFIX, /* the telco dropped (or the contact lacks) an area code */
};

struct db_match {
	enum db_match_kind kind;
	int64_t contact_id;	    /* 0 unless exactly one contact matched */
	bool ambiguous;		    /* several contacts matched equally well */
	bool withheld;		    /* the number was P, O, PRIVATE ... */
	int suffix_digits;	    /* digits compared, for a suffix match */
	char e164[17];		    /* the incoming number in E.164, or "" */
	char name[DB_NAME_MAX + 1]; /* the contact's name, or "" */
};

/*
 * Looks up number: exact E.164 first, then the longest suffix of at least
 * min-suffix digits; a best match shared by two contacts is ambiguous and
 * matches nobody. Withheld markers and short service numbers never match.
 * Returns 0 (out says what matched, possibly nothing) or -errno.
 */
int db_lookup(struct db *db, const char *number, struct db_match *out);

/* Notes, requests and orders. */
enum db_note_kind {
	DB_NOTE_NOTE = 0,
	DB_NOTE_REQUEST,
	DB_NOTE_ORDER,
};

struct db_note {
	int64_t id;
	int64_t contact_id;
	const char *contact_name;
	enum db_note_kind kind;
	const char *text;
	bool open; /* requests and orders that are not closed */
	int64_t created;
	int64_t closed;	       /* 0 while open */
	const char *author;    /* who wrote it, or NULL */
	const char *closed_by; /* who closed it, or NULL */
};

struct db_note_filter {
	int64_t contact_id; /* 0: any contact */
	int kinds;	    /* bit mask of 1 << kind; 0: all */
	bool open_only;
	const char *query;  /* words that must appear in the text, or NULL */
	int limit;	    /* 0: no limit */
	const char *author; /* written by (any case; then query and contact_id are not used) */
	int64_t since;	    /* with author: written at or after */
};

typedef int (*db_note_fn)(const struct db_note *n, void *data);

/* Adds a note; requests and orders start open. */
int db_note_add(struct db *db, int64_t contact, enum db_note_kind kind, const char *text,
		int64_t *id);
/* Calls fn once with note id; -ENOENT if there is none. */
int db_note_get(struct db *db, int64_t id, db_note_fn fn, void *data);
/* Closes a request or order; -ENOENT if no such note, -EALREADY if closed. */
int db_note_close(struct db *db, int64_t id);
/* Newest first. */
int db_note_foreach(struct db *db, const struct db_note_filter *f, db_note_fn fn, void *data);
const char *db_note_kind_str(enum db_note_kind kind);
int db_note_kind_parse(const char *s, enum db_note_kind *out);

/* The call log. */
enum db_call_state {
	DB_CALL_RINGING = 0,
	DB_CALL_ANSWERED,
	DB_CALL_MISSED,
	DB_CALL_UNKNOWN,
};

struct db_call {
	int64_t id;
	int64_t started;
	int64_t ended; /* 0 while ringing */
	const char *line;
	const char *number;   /* as sent, digits and + */
	const char *name;     /* as sent */
	const char *withheld; /* NULL, "private" or "unavailable" */
	const char *e164;
	const char *date; /* the telco's date, ISO 8601, or NULL */
	const char *ring_type;
	const char *called;
	int64_t contact_id; /* 0: none */
	const char *contact_name;
	int rings;
	enum db_call_state state;
	int64_t handled;	 /* when it was marked handled, 0: not */
	int64_t called_back;	 /* when the caller was called back, 0: not */
	const char *handled_by;	 /* who marked it handled, or NULL */
	bool outgoing;		 /* placed from the office, not received */
	const char *answered_by; /* the extension or person that answered, or NULL */
	const char *department;	 /* of the line it came in on, or NULL */
};

struct db_call_filter {
	bool missed;	/* state missed */
	bool unhandled; /* not handled */
	int64_t since;	/* started at or after; 0: any */
	int64_t until;	/* started before; 0: any */
	int states;	/* bit mask of 1 << db_call_state; 0: any */
	int64_t contact_id;
	const char *number; /* E.164 or as sent */
	int limit;	    /* 0: no limit */
	bool oldest_first;
	const char *handled_by; /* marked handled by (any case) */
	const char *lines;	/* as in struct db_missed_filter */
};

typedef int (*db_call_fn)(const struct db_call *c, void *data);

/* Logs a call; writes its id. Call it before anything else is done with the call. */
int db_call_add(struct db *db, const struct db_call *c, int64_t *id);
/* Rewrites the mutable fields (ended, name, date, rings, state, contact). */
int db_call_update(struct db *db, const struct db_call *c);
int db_call_get(struct db *db, int64_t id, db_call_fn fn, void *data);
int db_call_foreach(struct db *db, const struct db_call_filter *f, db_call_fn fn, void *data);
/* Marks one call handled (-ENOENT if none) or all unhandled calls of a
 * contact; writes how many changed to *count when not NULL. */
int db_call_mark_handled(struct db *db, int64_t id, int64_t when);
int db_call_mark_handled_contact(struct db *db, int64_t contact, int64_t when, int *count);
int db_call_mark_called_back(struct db *db, int64_t id, int64_t when);
const char *db_call_state_str(enum db_call_state s);
int db_call_state_parse(const char *s, enum db_call_state *out);

/* Reminders (and contacts' birthdays, which are reminders too). */
struct db_reminder {
	int64_t id; /* 0 for a birthday */
	int64_t contact_id;
	const char *contact_name;
	int year; /* 0 when yearly */
	int month, day;
	bool yearly;
	int notice; /* days of notice */
	const char *text;
	bool birthday;
	/* filled by db_reminder_foreach_due: the next occurrence and how far */
	int next_year, next_month, next_day;
	int days_left;
	int age; /* a birthday with a known year: the age on that day; else 0 */
};

typedef int (*db_reminder_fn)(const struct db_reminder *r, void *data);

int db_reminder_add(struct db *db, int64_t contact, int year, int month, int day, bool yearly,
		    int notice, const char *text, int64_t *id);
int db_reminder_delete(struct db *db, int64_t id);
/*
 * Reminders whose next occurrence (from today, a local date) is within
 * their notice, or within days when days >= 0, soonest first; contact 0 for
 * every contact.
 */
int db_reminder_foreach_due(struct db *db, int64_t contact, int today_year, int today_month,
			    int today_day, int days, db_reminder_fn fn, void *data);

/*
 * The same for every contact, a slice at a time, for a caller that must not
 * stop for the whole walk (a million contacts take a second or more: every
 * birthday is on the contact's row). db_due_scan_step() reads up to rows
 * more rows and returns 1 while there are more, 0 when the walk is done, or
 * -errno. Then db_due_scan_get() returns the i-th due reminder, soonest
 * first as db_reminder_foreach_due() calls them, or NULL past the last;
 * it stays valid until db_due_scan_destroy(). A change made to the database
 * between two steps may or may not be seen. Create returns NULL with errno
 * set on failure.
 */
struct db_due_scan;
struct db_due_scan *db_due_scan_create(struct db *db, int today_year, int today_month,
				       int today_day, int days);
int db_due_scan_step(struct db_due_scan *scan, int rows);
const struct db_reminder *db_due_scan_get(const struct db_due_scan *scan, size_t i);
void db_due_scan_destroy(struct db_due_scan *scan);
/* Remembers that the reminder (id, or birthday of contact when id is 0)
 * was announced for the occurrence on date "YYYY-MM-DD"; returns 1 if it
 * already was (announce none twice), 0 if newly recorded. */
int db_reminder_mark_announced(struct db *db, int64_t id, int64_t contact, const char *date);

/* What the screen-pop shows about a caller's past. */
#define DB_HISTORY_NOTES     3
#define DB_HISTORY_TEXT	     160
#define DB_HISTORY_REMINDERS 2

/* An item's text is an excerpt: one longer than DB_HISTORY_TEXT - 1 bytes
 * is cut at a character and ends in "…". */
struct db_history_item {
	int64_t id;
	int64_t when;
	enum db_note_kind kind;
	char text[DB_HISTORY_TEXT];
	int days_left; /* reminders */
};

struct db_history {
	int calls;	   /* earlier calls from this contact or number */
	int64_t last_call; /* when the latest earlier call started, 0 if none */
	enum db_call_state last_state;
	bool last_handled;
	int missed_unhandled; /* earlier missed calls nobody handled */
	int n_notes;
	struct db_history_item notes[DB_HISTORY_NOTES]; /* latest notes and orders */
	int n_requests;
	int open_requests; /* how many are open in all */
	struct db_history_item requests[DB_HISTORY_NOTES];
	int n_reminders;
	struct db_history_item reminders[DB_HISTORY_REMINDERS];
};

/*
 * Fills out from contact (when non-zero) or else from earlier calls of the
 * number (E.164 or as sent), excluding call exclude_call. today is the local
 * date for reminders due within their notice.
 */
int db_history_get(struct db *db, int64_t contact, const char *number, int64_t exclude_call,
		   int today_year, int today_month, int today_day, struct db_history *out);

/*
 * Copies the write-ahead log into the database file: a passive checkpoint,
 * which waits for no other connection and leaves what it cannot copy yet.
 * It fsyncs the log and the file, which can take 100 ms on a slow disk: the
 * daemon calls it when the line is quiet rather than inside the commit of a
 * call. With restart, when it copied the whole log, it also starts the log
 * over, so that the next writer, the next call, appends to it without the
 * sync a restart costs; that holds the write lock through the sync, so
 * only when no call is being written (a quiet line). Returns the pages the
 * log held (all copied unless a reader held some back) or -errno.
 */
int db_checkpoint(struct db *db, bool restart);

/*
 * Has the disk keep what the write-ahead log holds, without copying it into
 * the file: one fdatasync of the log (through SQLite's VFS, as its own
 * syncs), where a checkpoint writes every page a second time and syncs
 * three times. With synchronous = NORMAL a commit in WAL mode is not synced:
 * after this, the calls committed so far outlive a power cut. Returns 0,
 * -ENOENT when this connection has no log open (a checkpoint will do), or
 * -errno.
 */
int db_sync_log(struct db *db);

/*
 * For a database opened with DB_OPEN_LAZY_CHECKPOINT: fn is called after
 * each commit of this connection with the pages the write-ahead log holds
 * (other connections' included), so that the owner can have a checkpoint
 * run before the log grows to DB_LAZY_CHECKPOINT_PAGES, where the commit
 * runs one itself. NULL: none.
 */
void db_set_wal_watch(struct db *db, void (*fn)(int frames, void *data), void *data);

/* A number that changes whenever another connection (ctidctl, the web
 * page's of another process) commits a change, and only then; -errno. */
int db_data_version(struct db *db);

/* Copies the database to path with SQLite's online backup (mode 0600):
 * into a temporary file beside it, checked (quick_check) and synced, then
 * renamed over path, so a failed backup leaves the one before whole. A
 * path that is neither a file nor a link is refused (-EINVAL). */
int db_backup(struct db *db, const char *path);

/* Merging duplicates. */
struct db_merge_counts {
	int phones; /* numbers moved (numbers both had are kept once) */
	int notes;  /* notes, requests and orders */
	int calls;  /* logged calls relinked */
	int reminders;
	int fields;  /* custom fields the kept contact lacked */
	int tags;    /* tags it lacked */
	int details; /* company, email, birthday it lacked */
};

/*
 * Merges contact from (a duplicate) into contact into, in one transaction
 * (a savepoint, so it also works inside the caller's transaction): numbers,
 * notes, requests, orders, calls, reminders, custom fields and tags move to
 * into; where both have a field, into's non-empty value wins and from's
 * fills into's empty ones. Then from is deleted. Writes what moved to
 * counts when not NULL. Returns 0, -EINVAL when into == from, -ENOENT when
 * either does not exist, or -errno (nothing changed).
 */
int db_contact_merge(struct db *db, int64_t into, int64_t from, struct db_merge_counts *counts);

/* The call-back list: unhandled missed calls grouped by caller. */
struct db_missed {
	int64_t contact_id; /* 0: a number no contact has, or withheld */
	const char *contact_name;
	const char *number;  /* as sent by the latest call; NULL when withheld */
	const char *e164;    /* NULL when unknown */
	bool withheld;	     /* withheld and absent numbers, all in one group */
	int calls;	     /* unhandled calls in the group */
	int missed;	     /* of them, known to be missed */
	int unknown;	     /* of them, the modem could not tell (maybe missed) */
	int64_t first, last; /* when the first and the latest of them started */
	/* When the caller was reached after the latest of them: a later answered
	 * call with them or a call-back (called_back); 0: not yet. */
	int64_t called_back;
	const int64_t *call_ids; /* the group's calls, oldest first */
	int n_call_ids;
};

struct db_missed_filter {
	bool unknown;  /* include calls in state unknown (maybe missed) */
	int64_t since; /* calls started at or after; 0: any */
	int64_t until; /* started before; 0: any */
	/* "shop,service": calls of these lines or departments only; NULL: all */
	const char *lines;
};

typedef int (*db_missed_fn)(const struct db_missed *m, void *data);

/*
 * Calls fn for each caller with unhandled missed (and, with f->unknown,
 * unknown) calls: those not reached since first, the longest waiting first,
 * then those already reached (they only need marking handled), also oldest
 * first. Calls still ringing are not included.
 */
int db_missed_foreach(struct db *db, const struct db_missed_filter *f, db_missed_fn fn, void *data);

/* How many calls wait on the call-back list (f = {0} above, every caller's
 * calls summed), by one count over the calls_missed index rather than the
 * list: what the MQTT sensor shows after every call. Returns 0 or -errno. */
int db_missed_count(struct db *db, int64_t *n);

/* Call statistics for reports, over calls started in [since, until) (0: open). */
struct db_call_counts {
	const char *date; /* "YYYY-MM-DD", the local day; NULL for totals */
	int calls;
	int answered;
	int missed;
	int unknown; /* unknown, and calls never ended (still ringing) */
};

typedef int (*db_call_counts_fn)(const struct db_call_counts *c, void *data);

/* Counts per local day (days without calls are skipped), oldest first. */
int db_call_daily(struct db *db, int64_t since, int64_t until, db_call_counts_fn fn, void *data);
/* The totals of the period, into out. */
int db_call_totals(struct db *db, int64_t since, int64_t until, struct db_call_counts *out);

struct db_caller_counts {
	int64_t contact_id; /* 0: not a contact */
	const char *contact_name;
	const char *number; /* as sent; NULL when withheld */
	const char *e164;
	bool withheld;
	struct db_call_counts counts;
	int64_t last; /* when the latest call started */
};

typedef int (*db_caller_counts_fn)(const struct db_caller_counts *c, void *data);

/* Callers grouped as db_missed_foreach does, most calls first, up to limit. */
int db_call_top_callers(struct db *db, int64_t since, int64_t until, int limit,
			db_caller_counts_fn fn, void *data);

/*
 * Users of the web page and the API, and their tokens (see db/users.c).
 * Passwords and tokens are stored as the caller hashed them; the database
 * never sees either in the clear.
 */
enum db_role {
	DB_ROLE_SELLER,	 /* contacts, notes, requests, reminders, calls */
	DB_ROLE_MANAGER, /* and reports, export, every seller's activity */
	DB_ROLE_ADMIN,	 /* and users, backup and restore, settings */
};

const char *db_role_str(enum db_role role);
/* 0 and *out for "seller", "manager" or "admin"; -EINVAL otherwise. */
int db_role_parse(const char *s, enum db_role *out);

/* A user's name: 1 to DB_USER_NAME_MAX of ASCII letters, digits and
 * . _ @ -, not starting with "-" (a Unix login name fits). */
#define DB_USER_NAME_MAX 64
bool db_user_name_valid(const char *name);

struct db_user {
	int64_t id;
	const char *name;
	enum db_role role;
	const char *password; /* the stored hash, NULL when none was set */
	int64_t created;
	/* The phone their calls back ring first on a PBX: an extension ("22")
	 * or a channel ("PJSIP/22"); NULL: the [ami] dial-channel. */
	const char *extension;
};

typedef int (*db_user_fn)(const struct db_user *u, void *data);

/* Adds a user; password is a hash or NULL (cannot log in with one).
 * -EINVAL for a bad name, -EEXIST when the name is taken (in any case). */
int db_user_add(struct db *db, const char *name, enum db_role role, const char *password,
		int64_t *id);
/* Calls fn with the user of that name (in any case) or id; -ENOENT if none. */
int db_user_get(struct db *db, const char *name, db_user_fn fn, void *data);
int db_user_get_id(struct db *db, int64_t id, db_user_fn fn, void *data);
/* Every user by name; writes how many to *count (may be NULL). */
int db_user_list(struct db *db, db_user_fn fn, void *data, int *count);
int db_user_count(struct db *db, int *count);
/* -ENOENT when there is no such user. */
int db_user_set_password(struct db *db, const char *name, const char *password);
int db_user_set_role(struct db *db, const char *name, enum db_role role);
/* Sets the user's extension (NULL clears it): -ENOENT without that user,
 * -EINVAL for one that is not 1 to 64 of [A-Za-z0-9/_.@:-]. */
int db_user_set_extension(struct db *db, const char *name, const char *extension);
/* Deletes the user and every token of theirs; -ENOENT if none. */
int db_user_delete(struct db *db, const char *name);

enum db_token_kind {
	DB_TOKEN_API,	  /* for scripts and desks, until revoked */
	DB_TOKEN_SESSION, /* a browser's login */
	DB_TOKEN_LINK,	  /* a one-time login link */
};

struct db_token {
	int64_t id;
	enum db_token_kind kind;
	const char *csrf; /* a session's token for changes, or NULL */
	int64_t created;
	int64_t expires; /* 0: never */
	struct db_user user;
};

typedef int (*db_token_fn)(const struct db_token *t, void *data);

/* Stores a token by its hash (unique); expires 0 for never. */
int db_token_add(struct db *db, int64_t user, enum db_token_kind kind, const char *hash,
		 const char *csrf, int64_t expires, int64_t *id);
/* Calls fn with the token of that hash unless it expired by now; -ENOENT if none. */
int db_token_find(struct db *db, const char *hash, int64_t now, db_token_fn fn, void *data);
/* -ENOENT when there is no such token. */
int db_token_delete(struct db *db, const char *hash);
/* Deletes every token of one kind of a user; writes how many to *count. */
int db_token_revoke(struct db *db, int64_t user, enum db_token_kind kind, int *count);
/* The same but for the token of hash keep (the one in use). */
int db_token_revoke_except(struct db *db, int64_t user, enum db_token_kind kind, const char *keep);
/* Calls fn with the hash of each token that has not expired by now. */
int db_token_hashes(struct db *db, int64_t now, int (*fn)(const char *hash, void *data), void *data);
/* Deletes the tokens that expired by now. */
int db_token_expire(struct db *db, int64_t now);

/* What db_check_file() found in a database file. */
struct db_file_info {
	int version;
	int64_t contacts, calls;
};

/*
 * Checks, without changing it, that path is a database this ctid can use:
 * SQLite opens it, PRAGMA integrity_check says ok, its schema version is
 * not newer than DB_SCHEMA_VERSION and it has ctid's tables. Returns 0 and
 * fills info (may be NULL), or -errno with the reason in why (-EBADMSG not
 * a ctid database or damaged, -EPROTO newer schema, -ENOENT ...).
 */
int db_check_file(const char *path, struct db_file_info *info, char *why, size_t whysz);

/*
 * Replaces the database file target with a copy of source after checking
 * source as db_check_file() does: copied into a temporary file next to
 * target (mode 0600), synced, checked again and renamed over target; the
 * old file is kept as "<target>.before-restore" (mode 0600). Returns 0, or
 * -errno with the reason in why and target untouched; -EBUSY while another
 * program (the daemon) has target open (seen through WAL mode, which every
 * database opened with db_open() is in).
 */
int db_restore(const char *target, const char *source, char *why, size_t whysz);

#endif
