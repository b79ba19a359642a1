/* What the import's files share: the importer's statements, and the
 * messages of its report. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_private.h"
#include "import_private.h"
#include "log.h"

void import_note(struct import_report *rep, bool skip, int line, int64_t contact, const char *fmt,
		 ...) {
	struct import_message **list = skip ? &rep->skips : &rep->notes;
	size_t *n = skip ? &rep->n_skips : &rep->n_notes;
	if (*n >= IMPORT_MAX_MESSAGES) {
		rep->more_notes += !skip;
		return;
	}
	if (*list == NULL) {
		*list = calloc(IMPORT_MAX_MESSAGES, sizeof(**list));
		if (*list == NULL) {
			return;
		}
	}
	char *text = NULL;
	va_list args;
	va_start(args, fmt);
	int ret = vasprintf(&text, fmt, args);
	va_end(args);
	if (ret < 0) {
		return;
	}
	(*list)[(*n)++] = (struct import_message){line, contact, text};
}

sqlite3_stmt *import_query(struct importer *im, int id) {
	sqlite3_stmt *s = im->q[id];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

int import_step_done(struct importer *im, sqlite3_stmt *s) {
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_error("Database %s: %s", im->db->path, sqlite3_errmsg(im->db->sql));
		return db_errno(rc);
	}
	return 0;
}

void db_import_report_finish(struct import_report *rep) {
	for (size_t i = 0; i < rep->n_skips; i++) {
		free(rep->skips[i].text);
	}
	for (size_t i = 0; i < rep->n_notes; i++) {
		free(rep->notes[i].text);
	}
	free(rep->skips);
	free(rep->notes);
	memset(rep, 0, sizeof(*rep));
}
