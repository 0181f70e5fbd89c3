/* tls.c - allotd's certificate and key files read and checked with GnuTLS (see tls.h); the
 * self-signed pair is made in tls_generate.c. */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "allot/errors.h"
#include "daemon/tls.h"
#include "util/xalloc.h"

#define FILE_MAX     (1 << 20) /* a PEM file larger than this is not a certificate or key */
#define CHAIN_MAX    16
#define KEY_ID_BYTES 64

/* The whole of a small file, NUL-terminated, into *out (malloc'd). 0, or -AL_EIO with err. */
static int read_text(const char *label, const char *path, char **out, size_t *len, char *err,
                     size_t size) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, size, "%s %s: cannot read it: %s", label, path, strerror(errno));
        return -AL_EIO;
    }
    char *text = al__xmalloc(FILE_MAX + 1);
    size_t n = fread(text, 1, FILE_MAX + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || n > FILE_MAX) {
        snprintf(err, size, "%s %s: %s", label, path,
                 failed ? "cannot read it" : "larger than 1 MiB: not a PEM file");
        free(text);
        return -AL_EIO;
    }
    text[n] = '\0';
    *out = text;
    *len = n;
    return 0;
}

/* n bytes as "AA:BB:..." into out (3 * n bytes). */
static void hex_pairs(const unsigned char *bytes, size_t n, char *out) {
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[3 * i] = digits[bytes[i] >> 4];
        out[3 * i + 1] = digits[bytes[i] & 15];
        out[3 * i + 2] = i + 1 < n ? ':' : '\0';
    }
}

/* The SHA-256 fingerprint of crt. */
static int fingerprint_of(gnutls_x509_crt_t crt, char out[AL__TLS_FINGERPRINT_SIZE]) {
    unsigned char digest[32];
    size_t n = sizeof(digest);
    if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &n) < 0 || n != 32)
        return -AL_EINVAL;
    hex_pairs(digest, n, out);
    return 0;
}

/* The certificates of a PEM text (the caller deinits them and frees the list). */
static int certificates(const char *label, const char *path, const char *text, size_t len,
                        gnutls_x509_crt_t **list, unsigned *count, char *err, size_t size) {
    gnutls_datum_t data = {(unsigned char *)text, (unsigned)len};
    int rc = gnutls_x509_crt_list_import2(list, count, &data, GNUTLS_X509_FMT_PEM, 0);
    if (rc == GNUTLS_E_NO_CERTIFICATE_FOUND || (rc >= 0 && *count == 0)) {
        snprintf(err, size,
                 "%s %s: no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)", label,
                 path);
        return -AL_EINVAL;
    }
    if (rc < 0) {
        snprintf(err, size, "%s %s: not a PEM certificate: %s", label, path, gnutls_strerror(rc));
        return -AL_EINVAL;
    }
    if (*count > CHAIN_MAX) {
        for (unsigned i = 0; i < *count; i++)
            gnutls_x509_crt_deinit((*list)[i]);
        gnutls_free(*list);
        snprintf(err, size, "%s %s: more than %d certificates", label, path, CHAIN_MAX);
        return -AL_EINVAL;
    }
    return 0;
}

/* The private key of a PEM text (the caller deinits it). */
static int private_key(const char *label, const char *path, const char *text, size_t len,
                       gnutls_x509_privkey_t *key, char *err, size_t size) {
    gnutls_datum_t data = {(unsigned char *)text, (unsigned)len};
    if (strstr(text, "ENCRYPTED")) {
        snprintf(err, size,
                 "%s %s: the key is encrypted; give it unencrypted, readable by allotd's user "
                 "only",
                 label, path);
        return -AL_EINVAL;
    }
    gnutls_x509_privkey_init(key);
    int rc = gnutls_x509_privkey_import2(*key, &data, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        gnutls_x509_privkey_deinit(*key);
        snprintf(err, size,
                 "%s %s: not a PEM private key (expected -----BEGIN PRIVATE KEY----- or the "
                 "like): %s",
                 label, path, gnutls_strerror(rc));
        return -AL_EINVAL;
    }
    return 0;
}

/* Whether the key is the certificate's (their public keys' ids agree). */
static bool key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key) {
    unsigned char a[KEY_ID_BYTES], b[KEY_ID_BYTES];
    size_t an = sizeof(a), bn = sizeof(b);
    return gnutls_x509_crt_get_key_id(crt, 0, a, &an) >= 0 &&
           gnutls_x509_privkey_get_key_id(key, 0, b, &bn) >= 0 && an == bn && memcmp(a, b, an) == 0;
}

/* Warnings that do not stop allotd: a certificate out of its validity period, a key file
 * others may read. */
static void warn(gnutls_x509_crt_t crt, const char *cert_label, const char *cert_path,
                 const char *key_label, const char *key_path) {
    time_t now = time(NULL), until = gnutls_x509_crt_get_expiration_time(crt),
           from = gnutls_x509_crt_get_activation_time(crt);
    struct stat st;
    if (until != (time_t)-1 && until < now)
        fprintf(stderr,
                "allotd: warning: %s %s: the certificate has expired: clients will refuse it\n",
                cert_label, cert_path);
    else if (from != (time_t)-1 && from > now)
        fprintf(stderr, "allotd: warning: %s %s: the certificate is not valid yet\n", cert_label,
                cert_path);
    if (stat(key_path, &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "allotd: warning: %s %s: others may read the key (chmod 600 it)\n",
                key_label, key_path);
}

int al__tls_load(struct al__tls *tls, const char *cert_label, const char *cert_path,
                 const char *key_label, const char *key_path, char *err, size_t size) {
    char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    gnutls_x509_crt_t *list = NULL;
    unsigned count = 0;
    gnutls_x509_privkey_t pk;
    int rc = read_text(cert_label, cert_path, &cert, &cert_len, err, size);

    if (rc == 0)
        rc = read_text(key_label, key_path, &key, &key_len, err, size);
    if (rc == 0)
        rc = certificates(cert_label, cert_path, cert, cert_len, &list, &count, err, size);
    if (rc == 0 && (rc = private_key(key_label, key_path, key, key_len, &pk, err, size)) == 0) {
        if (!key_matches(list[0], pk)) {
            snprintf(err, size, "%s %s: not the key of the certificate in %s %s", key_label,
                     key_path, cert_label, cert_path);
            rc = -AL_EINVAL;
        }
        gnutls_x509_privkey_deinit(pk);
    }
    if (rc == 0 && fingerprint_of(list[0], tls->fingerprint) < 0) {
        snprintf(err, size, "%s %s: cannot take the certificate's fingerprint", cert_label,
                 cert_path);
        rc = -AL_EINVAL;
    }
    if (rc == 0) {
        warn(list[0], cert_label, cert_path, key_label, key_path);
        tls->cert_pem = cert;
        tls->key_pem = key;
        cert = key = NULL;
    }
    for (unsigned i = 0; i < count; i++)
        gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
    free(cert);
    if (key)
        memset(key, 0, key_len);
    free(key);
    return rc;
}

int al__tls_file_fingerprint(const char *path, char out[AL__TLS_FINGERPRINT_SIZE], char *err,
                             size_t size) {
    char *text = NULL;
    size_t len = 0;
    gnutls_x509_crt_t *list = NULL;
    unsigned count = 0;
    int rc = read_text("certificate", path, &text, &len, err, size);
    if (rc == 0)
        rc = certificates("certificate", path, text, len, &list, &count, err, size);
    if (rc == 0 && fingerprint_of(list[0], out) < 0) {
        snprintf(err, size, "certificate %s: cannot take its fingerprint", path);
        rc = -AL_EINVAL;
    }
    for (unsigned i = 0; i < count; i++)
        gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
    free(text);
    return rc;
}

void al__tls_release(struct al__tls *tls) {
    free(tls->cert_pem);
    if (tls->key_pem)
        memset(tls->key_pem, 0, strlen(tls->key_pem));
    free(tls->key_pem);
    tls->cert_pem = tls->key_pem = NULL;
}
