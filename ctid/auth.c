#include <crypt.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "utf8.h"

int auth_password_check(const char *pw, const char **why) {
	if (pw == NULL || !utf8_valid(pw, strlen(pw))) {
		*why = "A password must be UTF-8 text.";
		return -EINVAL;
	}
	if (strlen(pw) > AUTH_PASSWORD_MAX) {
		*why = "A password may be at most 1024 bytes long.";
		return -EMSGSIZE;
	}
	if (g_utf8_strlen(pw, -1) < AUTH_PASSWORD_MIN) {
		*why = "A password needs at least 8 characters.";
		return -EINVAL;
	}
	return 0;
}

int auth_password_hash(const char *pw, char *out, size_t size) {
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	/* "$y$" with the default cost and salt from the kernel's random source */
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL) {
		int err = errno;
		log_error("Could not make a password salt: %s", strerror(err));
		return -err;
	}
	struct crypt_data data;
	memset(&data, 0, sizeof(data));
	const char *hash = crypt_rn(pw, salt, &data, sizeof(data));
	if (hash == NULL || hash[0] == '*') {
		log_error("Could not hash a password: %s", strerror(errno));
		return -EINVAL;
	}
	if (strlen(hash) >= size) {
		return -ENAMETOOLONG;
	}
	strcpy(out, hash);
	return 0;
}

bool auth_password_verify(const char *pw, const char *hash) {
	static char dummy[AUTH_HASH_MAX];
	bool real = hash != NULL && hash[0] == '$';
	if (!real && dummy[0] == '\0' && auth_password_hash("", dummy, sizeof(dummy)) < 0) {
		return false;
	}
	struct crypt_data data;
	memset(&data, 0, sizeof(data));
	/* hash something either way, so that "no such user" takes as long */
	const char *got = crypt_rn(pw != NULL ? pw : "", real ? hash : dummy, &data, sizeof(data));
	return real && got != NULL && got[0] != '*' && auth_equal(got, hash);
}

int auth_token_new(char out[AUTH_TOKEN_LEN + 1]) {
	unsigned char bytes[AUTH_TOKEN_LEN / 2];
	size_t have = 0;
	while (have < sizeof(bytes)) {
		ssize_t n = getrandom(bytes + have, sizeof(bytes) - have, 0);
		if (n < 0 && errno != EINTR) {
			return -errno;
		}
		have += n > 0 ? (size_t)n : 0;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(bytes); i++) {
		out[2 * i] = hex[bytes[i] >> 4];
		out[2 * i + 1] = hex[bytes[i] & 15];
	}
	out[AUTH_TOKEN_LEN] = '\0';
	return 0;
}

void auth_token_digest(const char *token, char out[AUTH_DIGEST_LEN + 1]) {
	gchar *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
	g_strlcpy(out, sum, AUTH_DIGEST_LEN + 1);
	g_free(sum);
}

bool auth_equal(const char *a, const char *b) {
	size_t n = strlen(a);
	if (n != strlen(b)) {
		return false;
	}
	unsigned char diff = 0;
	for (size_t i = 0; i < n; i++) {
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	}
	return diff == 0;
}

static int take_id(const struct db_user *u, void *data) {
	*(int64_t *)data = u->id;
	return 0;
}

int auth_link_new(struct db *db, const char *user, char link[AUTH_TOKEN_LEN + 1]) {
	if (!db_user_name_valid(user)) {
		return -EINVAL;
	}
	int64_t id = 0;
	int ret = db_user_get(db, user, take_id, &id);
	if (ret == -ENOENT) {
		int n = 0;
		ret = db_user_count(db, &n);
		if (ret == 0 && n > 0) {
			return -ENOENT;
		}
		if (ret == 0) {
			ret = db_user_add(db, user, DB_ROLE_ADMIN, NULL, &id);
			if (ret == 0) {
				log_info("Made %s the first user of the web page, an admin", user);
			}
		}
	}
	if (ret < 0) {
		return ret;
	}
	if ((ret = auth_token_new(link)) < 0) {
		return ret;
	}
	char digest[AUTH_DIGEST_LEN + 1];
	auth_token_digest(link, digest);
	return db_token_add(db, id, DB_TOKEN_LINK, digest, NULL,
			    (int64_t)time(NULL) + AUTH_LINK_SECONDS, NULL);
}

char *auth_link_url(const char *base, const char *link, const char *next) {
	size_t n = strlen(base);
	const char *slash = n > 0 && base[n - 1] == '/' ? "" : "/";
	if (next == NULL) {
		return g_strdup_printf("%s%slogin/%s", base, slash, link);
	}
	char *escaped = g_uri_escape_string(next, "/", FALSE);
	char *url = g_strdup_printf("%s%slogin/%s?next=%s", base, slash, link, escaped);
	g_free(escaped);
	return url;
}

void auth_cert_fingerprint(GTlsCertificate *cert, char *out, size_t size) {
	GByteArray *der = NULL;
	out[0] = '\0';
	if (cert != NULL) {
		g_object_get(cert, "certificate", &der, NULL);
	}
	if (der == NULL) {
		return;
	}
	gchar *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, der->data, der->len);
	size_t o = 0;
	for (size_t i = 0; hex[i] != '\0' && hex[i + 1] != '\0' && o + 4 <= size; i += 2) {
		o += (size_t)snprintf(out + o, size - o, "%s%c%c", i ? ":" : "",
				      g_ascii_toupper(hex[i]), g_ascii_toupper(hex[i + 1]));
	}
	g_free(hex);
	g_byte_array_unref(der);
}
