/* tls_generate.c - allotd's self-signed certificate: made with GnuTLS on the first start with
 * --tls, kept in the state directory and reused (see tls.h). */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "allot/errors.h"
#include "daemon/tls.h"

#define VALID_S   (10L * 366 * 86400) /* ten years: a pin outlives many restarts */
#define BACKDATED 3600                /* clocks of clients a little behind still accept it */

/* Adds `name` to crt's subject alternative names: an IP address, or a DNS name. */
static int add_name(gnutls_x509_crt_t crt, const char *name) {
    unsigned char ip[16];
    if (inet_pton(AF_INET, name, ip) == 1)
        return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
                                                    GNUTLS_FSAN_APPEND);
    if (inet_pton(AF_INET6, name, ip) == 1)
        return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
                                                    GNUTLS_FSAN_APPEND);
    return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
                                                (unsigned)strlen(name), GNUTLS_FSAN_APPEND);
}

/* The certificate's fields: a server's end certificate (not a CA: browsers refuse a CA's as
 * a server's), its own issuer, for `names`. */
static int fill(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *const *names,
                size_t count) {
    unsigned char serial[16], id[64];
    size_t id_len = sizeof(id);
    time_t now = time(NULL);
    int rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40); /* positive, 16 bytes long */
    if (rc >= 0)
        rc = gnutls_x509_crt_set_version(crt, 3);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
    if (rc >= 0)
        rc = gnutls_x509_crt_set_activation_time(crt, now - BACKDATED);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_expiration_time(crt, now + VALID_S);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "allotd", 6);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key(crt, key);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
    if (rc >= 0)
        rc = gnutls_x509_crt_get_key_id(crt, 0, id, &id_len);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_subject_key_id(crt, id, id_len);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_authority_key_id(crt, id, id_len);
    for (size_t i = 0; rc >= 0 && i < count; i++)
        rc = add_name(crt, names[i]);
    if (rc >= 0)
        rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
    return rc;
}

/* data to DIR/NAME with `mode`, whole (a new file renamed over). 0, or -1 with err. */
static int write_file(const char *dir, const char *name, const gnutls_datum_t *data, mode_t mode,
                      char *err, size_t size) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    bool ok = fd >= 0 && fchmod(fd, mode) == 0 &&
              write(fd, data->data, data->size) == (ssize_t)data->size && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, size, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* A new pair, written to the state directory (the key first: a certificate there means the
 * pair is whole). */
static int make_pair(const char *dir, const char *const *names, size_t count, char *err,
                     size_t size) {
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_datum_t key_pem = {NULL, 0}, cert_pem = {NULL, 0};
    gnutls_x509_privkey_init(&key);
    gnutls_x509_crt_init(&crt);
    int rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (rc >= 0)
        rc = fill(crt, key, names, count);
    if (rc >= 0)
        rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
                                               &key_pem);
    if (rc >= 0)
        rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem);
    if (rc < 0)
        snprintf(err, size, "cannot make a TLS certificate: %s", gnutls_strerror(rc));
    else if (write_file(dir, AL__TLS_KEY_FILE, &key_pem, 0600, err, size) < 0 ||
             write_file(dir, AL__TLS_CERT_FILE, &cert_pem, 0600, err, size) < 0)
        rc = -1;
    if (key_pem.data)
        memset(key_pem.data, 0, key_pem.size);
    gnutls_free(key_pem.data);
    gnutls_free(cert_pem.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return rc < 0 ? -AL_EIO : 0;
}

/* Whether the certificate names `name` (a host name or an IP address). */
static bool names_it(gnutls_x509_crt_t crt, const char *name) {
    unsigned char ip[16];
    gnutls_datum_t d = {ip, 0};
    if (inet_pton(AF_INET, name, ip) == 1)
        d.size = 4;
    else if (inet_pton(AF_INET6, name, ip) == 1)
        d.size = 16;
    if (d.size)
        return gnutls_x509_crt_check_ip(crt, ip, d.size, 0) != 0;
    return gnutls_x509_crt_check_hostname(crt, name) != 0;
}

/* Warns about each of `names` the pair made earlier does not name. */
static void check_names(const struct al__tls *tls, const char *dir, const char *const *names,
                        size_t count) {
    gnutls_x509_crt_t crt;
    gnutls_datum_t data = {(unsigned char *)tls->cert_pem, (unsigned)strlen(tls->cert_pem)};
    gnutls_x509_crt_init(&crt);
    if (gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_PEM) >= 0)
        for (size_t i = 0; i < count; i++)
            if (!names_it(crt, names[i]))
                fprintf(stderr,
                        "allotd: warning: the certificate in %s/%s does not name %s (it was made "
                        "for earlier options): clients that check names will refuse it there; "
                        "remove %s and %s to make a new one (its fingerprint changes)\n",
                        dir, AL__TLS_CERT_FILE, names[i], AL__TLS_CERT_FILE, AL__TLS_KEY_FILE);
    gnutls_x509_crt_deinit(crt);
}

int al__tls_self_signed(struct al__tls *tls, const char *state_dir, const char *const *names,
                        size_t count, bool *made, char *err, size_t size) {
    char cert[4096], key[4096];
    snprintf(cert, sizeof(cert), "%s/%s", state_dir, AL__TLS_CERT_FILE);
    snprintf(key, sizeof(key), "%s/%s", state_dir, AL__TLS_KEY_FILE);
    *made = access(cert, F_OK) != 0 || access(key, F_OK) != 0;
    if (*made && make_pair(state_dir, names, count, err, size) < 0)
        return -AL_EIO;
    char why[1024];
    int rc = al__tls_load(tls, "certificate", cert, "key", key, why, sizeof(why));
    if (rc < 0) {
        snprintf(err, size, "%s (remove %s and %s to make a new pair)", why, AL__TLS_CERT_FILE,
                 AL__TLS_KEY_FILE);
        return rc;
    }
    if (!*made)
        check_names(tls, state_dir, names, count);
    return 0;
}
