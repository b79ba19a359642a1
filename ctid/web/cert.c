/*
 * A self-signed certificate for serving the office network over TLS when
 * no certificate was given: an ECDSA P-256 key and a certificate for this
 * host's name, made once with GnuTLS and kept (mode 0600) in ctid's state
 * folder, so the fingerprint people compared stays the same.
 *
 * GnuTLS is opened (dlopen) only to make the pair, the one time it is
 * needed: linked in, it would be loaded and initialised in every daemon,
 * 2 MB of memory for a desk that serves loopback only. Serving TLS goes
 * through GIO's TLS backend (glib-networking), loaded only when used.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "log.h"
#include "web_private.h"

/* The functions used, looked up in libgnutls when a pair must be made. */
#define GNUTLS_FUNCTIONS(X)                      \
	X(gnutls_rnd)                            \
	X(gnutls_strerror)                       \
	X(gnutls_x509_crt_deinit)                \
	X(gnutls_x509_crt_export2)               \
	X(gnutls_x509_crt_init)                  \
	X(gnutls_x509_crt_set_activation_time)   \
	X(gnutls_x509_crt_set_basic_constraints) \
	X(gnutls_x509_crt_set_dn_by_oid)         \
	X(gnutls_x509_crt_set_expiration_time)   \
	X(gnutls_x509_crt_set_key)               \
	X(gnutls_x509_crt_set_key_purpose_oid)   \
	X(gnutls_x509_crt_set_key_usage)         \
	X(gnutls_x509_crt_set_serial)            \
	X(gnutls_x509_crt_set_subject_alt_name)  \
	X(gnutls_x509_crt_set_version)           \
	X(gnutls_x509_crt_sign2)                 \
	X(gnutls_x509_privkey_deinit)            \
	X(gnutls_x509_privkey_export2)           \
	X(gnutls_x509_privkey_generate)          \
	X(gnutls_x509_privkey_init)

static struct {
#define FIELD(f) __typeof__(f) *f;
	GNUTLS_FUNCTIONS(FIELD)
#undef FIELD
	gnutls_free_function *free_ptr; /* the variable gnutls_free */
} gt;

/* Opens libgnutls and finds every function; false (logged) when it cannot. */
static bool load_gnutls(void) {
	static void *lib;
	if (lib != NULL) {
		return true;
	}
	void *h = dlopen("libgnutls.so.30", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		log_error("Web: cannot make a certificate: %s (give --tls-cert and --tls-key)",
			  dlerror());
		return false;
	}
	void *sym;
	bool ok = true;
#define LOOKUP(f)               \
	sym = dlsym(h, #f);     \
	ok = ok && sym != NULL; \
	memcpy(&gt.f, &sym, sizeof(sym));
	GNUTLS_FUNCTIONS(LOOKUP)
#undef LOOKUP
	sym = dlsym(h, "gnutls_free");
	ok = ok && sym != NULL;
	gt.free_ptr = sym;
	if (!ok) {
		log_error("Web: cannot make a certificate: libgnutls.so.30 lacks a function");
		dlclose(h);
		return false;
	}
	lib = h;
	return true;
}

static bool write_private(const char *path, const gnutls_datum_t *d) {
	int ret = atomic_file_put(path, d->data, d->size);
	if (ret < 0) {
		log_error("Web: could not write %s: %s", path, strerror(-ret));
	}
	return ret == 0;
}

static int make_pair(const char *crt_path, const char *key_path) {
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t key_pem = {0}, crt_pem = {0};
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	unsigned char serial[16];
	gt.gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f; /* a positive number */
	time_t now = time(NULL);
	int ret = gt.gnutls_x509_privkey_init(&key);
	if (ret >= 0) {
		ret = gt.gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
						      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
						      0);
	}
	if (ret >= 0) {
		ret = gt.gnutls_x509_crt_init(&crt);
	}
	if (ret >= 0) {
		gt.gnutls_x509_crt_set_version(crt, 3);
		gt.gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
		gt.gnutls_x509_crt_set_activation_time(crt, now - 3600);
		gt.gnutls_x509_crt_set_expiration_time(crt, now + 10L * 365 * 86400);
		gt.gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, host,
						 (unsigned)strlen(host));
		gt.gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "ctid",
						 4);
		gt.gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host,
							(unsigned)strlen(host), GNUTLS_FSAN_SET);
		gt.gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
							GNUTLS_FSAN_APPEND);
		gt.gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
		gt.gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
		gt.gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
		ret = gt.gnutls_x509_crt_set_key(crt, key);
	}
	if (ret >= 0) {
		ret = gt.gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	}
	if (ret >= 0) {
		ret = gt.gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem);
	}
	if (ret >= 0) {
		ret = gt.gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &crt_pem);
	}
	if (ret < 0) {
		log_error("Web: could not make a certificate: %s", gt.gnutls_strerror(ret));
	} else if (!write_private(key_path, &key_pem) || !write_private(crt_path, &crt_pem)) {
		ret = -1;
	} else {
		log_info("Web: made a self-signed certificate for %s in %s", host, crt_path);
	}
	(*gt.free_ptr)(key_pem.data);
	(*gt.free_ptr)(crt_pem.data);
	if (crt != NULL) {
		gt.gnutls_x509_crt_deinit(crt);
	}
	if (key != NULL) {
		gt.gnutls_x509_privkey_deinit(key);
	}
	return ret < 0 ? -EIO : 0;
}

GTlsCertificate *web_cert_self_signed(const char *dir) {
	if (dir == NULL) {
		log_error("Web: no folder to keep a certificate in (set HOME, or give --tls-cert "
			  "and --tls-key)");
		return NULL;
	}
	if (g_mkdir_with_parents(dir, 0700) < 0) {
		log_error("Web: could not make %s: %s", dir, strerror(errno));
		return NULL;
	}
	char *crt_path = g_build_filename(dir, "web.crt", NULL);
	char *key_path = g_build_filename(dir, "web.key", NULL);
	GTlsCertificate *cert = NULL;
	if (access(crt_path, F_OK) != 0 || access(key_path, F_OK) != 0) {
		if (!load_gnutls() || make_pair(crt_path, key_path) < 0) {
			goto out;
		}
	}
	GError *err = NULL;
	cert = g_tls_certificate_new_from_files(crt_path, key_path, &err);
	if (cert == NULL) {
		log_error("Web: could not load %s: %s (delete it and %s to make new ones)",
			  crt_path, err->message, key_path);
		g_error_free(err);
	}
out:
	g_free(crt_path);
	g_free(key_path);
	return cert;
}
