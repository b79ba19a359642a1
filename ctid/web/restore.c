/*
 * POST /api/v1/restore: an admin sends a backup (the file GET /api/v1/backup
 * gave), and it replaces the database. A database is larger than any other
 * body, so it is checked before a byte is read (login, role, CSRF token,
 * Content-Length) and then written to a file next to the database as it
 * comes, never held in memory. The daemon checks and puts it in place
 * (calls_restore, db_restore), keeping the old file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "web_private.h"

#define UPLOAD_KEY "ctid-restore"

struct upload {
	char *path;
	int fd;
	int64_t expected, written;
	int error; /* errno of a failed write, 0 */
};

static void upload_free(gpointer data) {
	struct upload *up = data;
	if (up->fd >= 0) {
		close(up->fd);
	}
	unlink(up->path);
	g_free(up->path);
	g_free(up);
}

static void on_chunk(SoupServerMessage *msg, GBytes *chunk, gpointer data) {
	struct upload *up = data;
	gsize len;
	const char *p = g_bytes_get_data(chunk, &len);
	while (len > 0 && up->error == 0) {
		ssize_t n = write(up->fd, p, len);
		if (n < 0 && errno != EINTR) {
			up->error = errno;
		} else if (n > 0) {
			p += n;
			len -= (gsize)n;
			up->written += n;
		}
	}
}

/* Answers before the body. A small body is read and dropped, so that the
 * connection goes on and the client reads the answer; a large one is not
 * read: the connection closes. */
static void refuse(struct web_request *r, int status, const char *message) {
	web_error(r, status, "%s", message);
	SoupMessageHeaders *h = soup_server_message_get_request_headers(r->msg);
	soup_message_body_set_accumulate(soup_server_message_get_request_body(r->msg), FALSE);
	if (soup_message_headers_get_encoding(h) != SOUP_ENCODING_CONTENT_LENGTH ||
	    soup_message_headers_get_content_length(h) > WEB_BODY_MAX) {
		soup_message_headers_replace(soup_server_message_get_response_headers(r->msg),
					     "Connection", "close");
	}
}

bool web_restore_begin(struct web *w, SoupServerMessage *msg, const char *path) {
	struct web_request r = {
		.web = w,
		.msg = msg,
		.method = soup_server_message_get_method(msg),
		.path = path,
	};
	SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
	if (!web_authenticate(&r)) {
		refuse(&r, 401, "Log in first, or send a token (Authorization: Bearer).");
		return false;
	}
	if (r.user.role < DB_ROLE_ADMIN) {
		refuse(&r, 403, "Restoring the database needs the admin role.");
		return false;
	}
	if (!web_csrf_ok(&r)) {
		refuse(&r, 403, "The change lacks its CSRF token (X-CSRF-Token); reload the page.");
		return false;
	}
	if (soup_message_headers_get_encoding(h) != SOUP_ENCODING_CONTENT_LENGTH ||
	    soup_message_headers_get_content_length(h) <= 0) {
		refuse(&r, 411, "Send the backup as the body, with a Content-Length.");
		return false;
	}
	int64_t length = soup_message_headers_get_content_length(h);
	if (length > WEB_RESTORE_MAX) {
		refuse(&r, 413, "The file is larger than 16 GiB; restore it with ctidctl restore.");
		return false;
	}
	struct db *db = w->hooks.db(w->data);
	if (db == NULL) {
		refuse(&r, 503, "The database cannot be opened right now.");
		return false;
	}
	struct upload *up = g_new0(struct upload, 1);
	up->expected = length;
	up->path = g_strdup_printf("%s.upload-XXXXXX", db_path(db));
	up->fd = mkostemp(up->path, O_CLOEXEC);
	if (up->fd < 0) {
		int err = errno;
		log_error("Web: could not make %s: %s", up->path, strerror(err));
		g_free(up->path);
		g_free(up);
		refuse(&r, 507, "There is no room for the file next to the database.");
		return false;
	}
	fchmod(up->fd, 0600);
	soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
	g_signal_connect(msg, "got-chunk", G_CALLBACK(on_chunk), up);
	g_object_set_data_full(G_OBJECT(msg), UPLOAD_KEY, up, upload_free);
	log_info("Web: %s is sending a database to restore (%lld bytes)", r.user.name,
		 (long long)length);
	return true;
}

void web_api_restore(struct web_request *r) {
	struct upload *up = g_object_get_data(G_OBJECT(r->msg), UPLOAD_KEY);
	if (up == NULL || up->written == 0) {
		web_error(r, 400, "Send the backup as the body.");
		return;
	}
	if (up->error != 0) {
		web_error(r, 507, "Could not keep the file next to the database: %s.",
			  strerror(up->error));
		return;
	}
	if (up->written != up->expected) {
		web_error(r, 400,
			  "The file came incomplete (%lld of %lld bytes); nothing was "
			  "changed.",
			  (long long)up->written, (long long)up->expected);
		return;
	}
	if (fsync(up->fd) < 0 || close(up->fd) < 0) {
		up->fd = -1;
		web_error(r, 507, "Could not keep the file next to the database: %s.",
			  strerror(errno));
		return;
	}
	up->fd = -1;
	char why[512] = "";
	int ret = r->web->hooks.restore(up->path, why, sizeof(why), r->web->data);
	if (ret == -EBUSY) {
		web_error(r, 409,
			  "Another program has the database open (%s); nothing was changed.", why);
		return;
	}
	if (ret < 0) {
		web_error(r, ret == -EBADMSG || ret == -EPROTO || ret == -ENOTSUP ? 422 : 500,
			  "Not restored: %s. The database in use stays as it was.",
			  why[0] ? why : strerror(-ret));
		return;
	}
	struct db *db = r->web->hooks.db(r->web->data);
	struct db_file_info info = {0};
	char before[4096];
	snprintf(before, sizeof(before), "%s.before-restore", db != NULL ? db_path(db) : "");
	if (db != NULL) {
		db_check_file(db_path(db), &info, why, sizeof(why));
	}
	log_notice("Web: %s restored the database from a backup (%lld contacts, %lld calls); the "
		   "old one is %s",
		   r->user.name, (long long)info.contacts, (long long)info.calls, before);
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "restored");
	json_bool(w, true);
	json_key(w, "contacts");
	json_int(w, info.contacts);
	json_key(w, "calls");
	json_int(w, info.calls);
	json_key(w, "previous");
	json_string(w, before);
	json_object_end(w);
}
