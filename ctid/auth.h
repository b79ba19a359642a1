#ifndef CTID_AUTH_H
#define CTID_AUTH_H

/*
 * Passwords and tokens, as the database keeps them: a password as a
 * yescrypt hash from libxcrypt (the hash /etc/shadow uses: slow and
 * salted), a token as the SHA-256 of 32 random bytes (long and random, so
 * a fast hash is enough, and a lookup by hash is one index probe).
 */

#include <stdbool.h>
#include <stddef.h>

#define AUTH_PASSWORD_MIN 8    /* characters a new password needs */
#define AUTH_PASSWORD_MAX 1024 /* bytes; longer ones are refused, never cut */
#define AUTH_HASH_MAX	  256  /* a password hash's length with its NUL */
#define AUTH_TOKEN_LEN	  64   /* a token: hex of 32 random bytes */
#define AUTH_DIGEST_LEN	  64   /* a token's SHA-256, in hex */

/*
 * Whether pw may become a password: 0, or -EINVAL with why (a sentence)
 * for one shorter than AUTH_PASSWORD_MIN characters or not UTF-8, or
 * -EMSGSIZE for one longer than AUTH_PASSWORD_MAX bytes.
 */
int auth_password_check(const char *pw, const char **why);

/* Hashes pw with a new random salt into out (AUTH_HASH_MAX bytes).
 * Returns 0 or -errno. */
int auth_password_hash(const char *pw, char *out, size_t size);

/* Whether pw is the password hash was made from. Takes as long whether
 * or not it is; false for a NULL or malformed hash. */
bool auth_password_verify(const char *pw, const char *hash);

/* Writes a new random token (AUTH_TOKEN_LEN hex digits and a NUL) to out.
 * Returns 0 or -errno (getrandom failed). */
int auth_token_new(char out[AUTH_TOKEN_LEN + 1]);

/* Writes the SHA-256 of token in hex (AUTH_DIGEST_LEN and a NUL). */
void auth_token_digest(const char *token, char out[AUTH_DIGEST_LEN + 1]);

#define AUTH_LINK_SECONDS 120 /* a one-time login link works this long */

/*
 * A one-time login link for user, the Unix user of this desk, written to
 * link (the token to put in /login/LINK). When there is no user at all
 * yet, user is made an admin first (the first desk sets ctid up). Returns
 * 0; -ENOENT when there are users but user is not one (log in with a
 * password); -EINVAL for a name a user cannot have; or -errno.
 */
struct db;
int auth_link_new(struct db *db, const char *user, char link[AUTH_TOKEN_LEN + 1]);

/* The link's URL under base ("http://127.0.0.1:8733/"), going on to next
 * (a path such as "/#/contacts/42", or NULL). A new string (g_free). */
char *auth_link_url(const char *base, const char *link, const char *next);

/* The SHA-256 fingerprint of a certificate's DER as "AB:CD:...", into out
 * (96 bytes and more); "" without a certificate. */
typedef struct _GTlsCertificate GTlsCertificate;
void auth_cert_fingerprint(GTlsCertificate *cert, char *out, size_t size);

/* Compares two strings in time that depends only on their lengths. */
bool auth_equal(const char *a, const char *b);

#endif
