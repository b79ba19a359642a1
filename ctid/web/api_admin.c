/* Managers' and admins' routes: the report, export, activity, users,
 * backup, settings; and the status and the OpenAPI document. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "import.h"
#include "jsonout.h"
#include "log.h"
#include "report.h"
#include "web_private.h"
#include "when.h"

#define REPORT_DAYS	30
#define REPORT_MAX_DAYS 3660

/* The report page has inline styles and no scripts at all. */
static const char csp_report[] = "default-src 'none'; style-src 'unsafe-inline'; "
				 "img-src data:; frame-ancestors 'self'";

void web_api_report(struct web_request *r) {
	struct report rep = {.generated = (int64_t)time(NULL)};
	const char *format = web_query(r, "format");
	if (!web_query_since(r, "since", false, &rep.since) ||
	    !web_query_since(r, "until", true, &rep.until)) {
		return;
	}
	bool json = format != NULL && strcmp(format, "json") == 0;
	if (format != NULL && !json && strcmp(format, "html") != 0) {
		web_error(r, 400, "format must be html or json.");
		return;
	}
	if (rep.until == 0) {
		when_parse_until("today", &rep.until);
	}
	if (rep.since == 0) {
		time_t t = (time_t)rep.until;
		struct tm tm;
		localtime_r(&t, &tm);
		tm.tm_mday -= REPORT_DAYS;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		rep.since = (int64_t)mktime(&tm);
	}
	if (rep.since >= rep.until || rep.until - rep.since > (int64_t)REPORT_MAX_DAYS * 86400) {
		web_error(r, 400, "The period must begin before it ends and last at most %d days.",
			  REPORT_MAX_DAYS);
		return;
	}
	int ret = db_begin_read(r->db);
	if (ret == 0) {
		ret = report_gather(r->db, web_region(r), &rep, 10);
		db_commit(r->db);
	}
	if (ret < 0) {
		report_finish(&rep);
		web_db_error(r, ret, "report");
		return;
	}
	if (json) {
		report_write_json(web_json(r), &rep);
	} else {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		ret = f != NULL ? report_html_write(&rep, f) : -ENOMEM;
		if (f != NULL) {
			fclose(f);
		}
		if (ret < 0) {
			free(buf);
			web_error(r, 500, "Could not write the report.");
		} else {
			soup_message_headers_replace(soup_server_message_get_response_headers(r->msg),
						     "Content-Security-Policy", csp_report);
			web_reply_bytes(r, 200, "text/html; charset=utf-8", g_memdup2(buf, len), len);
			free(buf);
		}
	}
	report_finish(&rep);
}

void web_api_export(struct web_request *r) {
	const char *format = web_query(r, "format");
	bool csv = format != NULL && strcmp(format, "csv") == 0;
	if (format != NULL && !csv && strcmp(format, "vcard") != 0) {
		web_error(r, 400, "format must be vcard or csv.");
		return;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int count = 0;
	int ret = f != NULL ? db_export(r->db, csv ? EXPORT_CSV : EXPORT_VCARD, f, &count) : -ENOMEM;
	if (f != NULL) {
		fclose(f);
	}
	if (ret < 0) {
		free(buf);
		web_db_error(r, ret, "contact list");
		return;
	}
	log_info("Web: %s exported %d contacts", r->user.name, count);
	soup_message_headers_replace(soup_server_message_get_response_headers(r->msg),
				     "Content-Disposition",
				     csv ? "attachment; filename=\"contacts.csv\""
					 : "attachment; filename=\"contacts.vcf\"");
	web_reply_bytes(r, 200, csv ? "text/csv; charset=utf-8" : "text/vcard; charset=utf-8",
			g_memdup2(buf, len), len);
	free(buf);
}

static int write_note(const struct db_note *n, void *data) {
	jsonout_note(data, n);
	return 0;
}

static int write_call(const struct db_call *c, void *data) {
	struct web_request *r = data;
	jsonout_call(web_json(r), c, web_region(r));
	return 0;
}

void web_api_activity(struct web_request *r) {
	const char *name = r->args[0];
	if (r->user.role < DB_ROLE_MANAGER && g_ascii_strcasecmp(name, r->user.name) != 0) {
		web_error(r, 403, "A seller sees their own activity only.");
		return;
	}
	int64_t since;
	long limit;
	if (!web_query_since(r, "since", false, &since) ||
	    !web_query_int(r, "limit", 1, 1000, 200, &limit)) {
		return;
	}
	if (!db_user_name_valid(name) || db_user_get(r->db, name, NULL, NULL) == -ENOENT) {
		web_error(r, 404, "There is no user %s.",
			  db_user_name_valid(name) ? name : "so named");
		return;
	}
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "user");
	json_string(w, name);
	json_key(w, "notes");
	json_array_begin(w);
	struct db_note_filter nf = {.author = name, .since = since, .limit = (int)limit};
	int ret = db_note_foreach(r->db, &nf, write_note, w);
	json_array_end(w);
	json_key(w, "handled");
	json_array_begin(w);
	struct db_call_filter cf = {.handled_by = name, .since = since, .limit = (int)limit};
	if (ret == 0) {
		ret = db_call_foreach(r->db, &cf, write_call, r);
	}
	json_array_end(w);
	json_object_end(w);
	if (ret < 0) {
		web_db_error(r, ret, "activity");
	}
}

static int write_user(const struct db_user *u, void *data) {
	jsonout_user(data, u);
	return 0;
}

void web_api_users(struct web_request *r) {
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "users");
	json_array_begin(w);
	int ret = db_user_list(r->db, write_user, w, NULL);
	if (ret < 0) {
		web_db_error(r, ret, "user");
		return;
	}
	json_array_end(w);
	json_object_end(w);
}

/* The role and the password of a user's body; false after answering. */
static bool read_user(struct web_request *r, JsonObject *o, bool *has_role, enum db_role *role,
		      char hash[AUTH_HASH_MAX], bool *has_password) {
	const char *role_name = NULL, *password = NULL;
	if (!web_member_string(r, o, "role", 16, false, &role_name)) {
		return false;
	}
	JsonNode *pw = json_object_get_member(o, "password");
	if (pw != NULL && !JSON_NODE_HOLDS_NULL(pw)) {
		if (json_node_get_value_type(pw) != G_TYPE_STRING) {
			web_error(r, 422, "password must be a string.");
			return false;
		}
		password = json_node_get_string(pw);
	}
	*has_role = role_name != NULL;
	if (role_name != NULL && db_role_parse(role_name, role) < 0) {
		web_error(r, 422, "role must be seller, manager or admin.");
		return false;
	}
	*has_password = password != NULL;
	if (password != NULL) {
		const char *why = NULL;
		int bad = auth_password_check(password, &why);
		if (bad < 0) {
			web_error(r, bad == -EMSGSIZE ? 413 : 422, "%s", why);
			return false;
		}
		if (auth_password_hash(password, hash, AUTH_HASH_MAX) < 0) {
			web_error(r, 500, "Could not hash the password.");
			return false;
		}
	}
	return true;
}

static int count_admin(const struct db_user *u, void *data) {
	*(int *)data += u->role == DB_ROLE_ADMIN;
	return 0;
}

static int take_role(const struct db_user *u, void *data) {
	*(int *)data = (int)u->role;
	return 0;
}

/* Whether name is the last admin, who must stay one. */
static bool last_admin(struct web_request *r, const char *name) {
	int admins = 0, role = -1;
	db_user_list(r->db, count_admin, &admins, NULL);
	db_user_get(r->db, name, take_role, &role);
	return admins == 1 && role == DB_ROLE_ADMIN;
}

void web_api_user_add(struct web_request *r) {
	JsonObject *o = web_body_object(r);
	const char *name = NULL;
	bool has_role = false, has_password = false;
	enum db_role role = DB_ROLE_SELLER;
	char hash[AUTH_HASH_MAX];
	if (o == NULL || !web_member_string(r, o, "name", DB_NAME_MAX, false, &name) ||
	    !read_user(r, o, &has_role, &role, hash, &has_password)) {
		return;
	}
	if (!db_user_name_valid(name)) {
		web_error(r, 422,
			  "A user name is 1 to 64 letters, digits, '.', '_', '@' or '-', "
			  "not starting with '-'.");
		return;
	}
	if (!has_role || !has_password) {
		web_error(r, 422, "A new user needs a role and a password.");
		return;
	}
	int ret = db_user_add(r->db, name, role, hash, NULL);
	if (ret == -EEXIST) {
		web_error(r, 409, "There is a user %s already.", name);
		return;
	}
	if (ret < 0) {
		web_db_error(r, ret, "user");
		return;
	}
	log_info("Web: %s added the user %s (%s)", r->user.name, name, db_role_str(role));
	db_user_get(r->db, name, write_user, web_json(r));
	web_reply(r, 201);
}

struct user_id {
	int64_t id;
};

static int take_id(const struct db_user *u, void *data) {
	((struct user_id *)data)->id = u->id;
	return 0;
}

void web_api_user_patch(struct web_request *r) {
	const char *name = r->args[0];
	JsonObject *o = web_body_object(r);
	bool has_role = false, has_password = false;
	enum db_role role = DB_ROLE_SELLER;
	char hash[AUTH_HASH_MAX];
	struct user_id u = {0};
	if (o == NULL || !read_user(r, o, &has_role, &role, hash, &has_password)) {
		return;
	}
	/* "extension": "22", "PJSIP/22", or null for dial-channel */
	JsonNode *ext = json_object_get_member(o, "extension");
	const char *extension = NULL;
	if (ext != NULL && !JSON_NODE_HOLDS_NULL(ext)) {
		extension = JSON_NODE_HOLDS_VALUE(ext) && json_node_get_value_type(ext) == G_TYPE_STRING
				    ? json_node_get_string(ext)
				    : "";
		size_t n = strlen(extension);
		if (n == 0 || n > 64 ||
		    strspn(extension, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_."
				      "@:-") != n) {
			web_error(r, 422,
				  "extension must be an extension (22) or a channel (PJSIP/22), or "
				  "null.");
			return;
		}
	}
	if (!db_user_name_valid(name) || db_user_get(r->db, name, take_id, &u) < 0) {
		web_error(r, 404, "There is no such user.");
		return;
	}
	if (has_role && role != DB_ROLE_ADMIN && last_admin(r, name)) {
		web_error(r, 409, "%s is the last admin; make another admin first.", name);
		return;
	}
	int ret = db_begin(r->db);
	if (ret == 0 && has_role) {
		ret = db_user_set_role(r->db, name, role);
	}
	if (ret == 0 && ext != NULL) {
		ret = db_user_set_extension(r->db, name, extension);
	}
	if (ret == 0 && has_password) {
		ret = db_user_set_password(r->db, name, hash);
		/* a new password logs the user's browsers out, but for this one
		 * when they changed their own (a password someone else learnt
		 * ends that one's session too) */
		if (ret == 0 && u.id == r->user.id && r->user.session) {
			ret = db_token_revoke_except(r->db, u.id, DB_TOKEN_SESSION,
						     r->user.token_hash);
		} else if (ret == 0) {
			ret = db_token_revoke(r->db, u.id, DB_TOKEN_SESSION, NULL);
		}
	}
	if (ret == 0) {
		ret = db_commit(r->db);
	} else {
		db_rollback(r->db);
	}
	if (ret < 0) {
		web_db_error(r, ret, "user");
		return;
	}
	log_info("Web: %s changed the user %s%s%s", r->user.name, name, has_role ? ": role " : "",
		 has_role ? db_role_str(role) : "");
	if (has_password) {
		web_tokens_changed(r->web);
	}
	db_user_get(r->db, name, write_user, web_json(r));
}

void web_api_user_delete(struct web_request *r) {
	const char *name = r->args[0];
	if (!db_user_name_valid(name)) {
		web_error(r, 404, "There is no such user.");
		return;
	}
	if (last_admin(r, name)) {
		web_error(r, 409, "%s is the last admin; make another admin first.", name);
		return;
	}
	int ret = db_user_delete(r->db, name);
	if (ret < 0) {
		web_db_error(r, ret, "user");
		return;
	}
	log_info("Web: %s deleted the user %s", r->user.name, name);
	web_tokens_changed(r->web);
	web_reply(r, 204);
}

void web_api_backup(struct web_request *r) {
	char path[] = "/tmp/ctid-backup-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		web_error(r, 500, "Could not make a temporary file: %s.", strerror(errno));
		return;
	}
	close(fd);
	int ret = db_backup(r->db, path);
	GMappedFile *map = ret == 0 ? g_mapped_file_new(path, FALSE, NULL) : NULL;
	unlink(path); /* the mapping keeps it until sent */
	if (map == NULL) {
		web_db_error(r, ret < 0 ? ret : -EIO, "backup");
		return;
	}
	GBytes *bytes = g_mapped_file_get_bytes(map);
	g_mapped_file_unref(map);
	log_info("Web: %s downloaded a backup (%zu bytes)", r->user.name, g_bytes_get_size(bytes));
	SoupMessageHeaders *h = soup_server_message_get_response_headers(r->msg);
	soup_message_headers_replace(h, "Content-Disposition",
				     "attachment; filename=\"ctid-backup.db\"");
	soup_message_headers_set_content_type(h, "application/vnd.sqlite3", NULL);
	soup_server_message_set_status(r->msg, 200, NULL);
	soup_message_body_append_bytes(soup_server_message_get_response_body(r->msg), bytes);
	g_bytes_unref(bytes);
}

void web_api_settings(struct web_request *r) {
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	json_key(w, "settings");
	r->web->hooks.settings(w, r->web->data);
	json_object_end(w);
}

void web_api_status(struct web_request *r) {
	struct json_writer *w = web_json(r);
	json_object_begin(w);
	r->web->hooks.status(w, r->web->data);
	json_key(w, "web");
	json_object_begin(w);
	json_key(w, "urls");
	json_array_begin(w);
	for (char **u = r->web->urls; u != NULL && *u != NULL; u++) {
		json_string(w, *u);
	}
	json_array_end(w);
	json_key(w, "fingerprint");
	json_string(w, r->web->tls ? r->web->fingerprint : NULL);
	json_key(w, "clients");
	json_int(w, web_events_clients(r->web->events));
	json_object_end(w);
	json_object_end(w);
}

void web_api_openapi(struct web_request *r) {
	GBytes *data =
		g_resource_lookup_data(r->web->resource, "/org/ctid/web/openapi.json", 0, NULL);
	if (data == NULL) {
		web_error(r, 500, "The OpenAPI document is missing from this build.");
		return;
	}
	soup_server_message_set_status(r->msg, 200, NULL);
	soup_message_headers_set_content_type(soup_server_message_get_response_headers(r->msg),
					      "application/json", NULL);
	soup_message_body_append_bytes(soup_server_message_get_response_body(r->msg), data);
	g_bytes_unref(data);
}
