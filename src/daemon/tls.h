/* tls.h - allotd's TLS certificate and key: PEM files given with --tls-cert and --tls-key,
 * checked before anything is served, or a self-signed pair made once in the state directory
 * (--tls) and reused on later starts; the certificate's SHA-256 fingerprint either way. */
#ifndef ALLOT_DAEMON_TLS_H
#define ALLOT_DAEMON_TLS_H

#include <stdbool.h>
#include <stddef.h>

/* "AA:BB:...": 32 bytes as hex pairs joined by ':', and its NUL. */
#define AL__TLS_FINGERPRINT_SIZE 96

/* The files a self-signed pair lives in, in the state directory. */
#define AL__TLS_CERT_FILE "allotd-tls.crt"
#define AL__TLS_KEY_FILE  "allotd-tls.key"

/* What allotd serves with. */
struct al__tls {
    char *cert_pem; /* the certificate (and any chain after it), PEM; MHD keeps pointers */
    char *key_pem;  /* its private key, PEM */
    char fingerprint[AL__TLS_FINGERPRINT_SIZE]; /* of the first (the server's) certificate */
};

/*
 * al__tls_load - reads and checks a certificate file and its key file into *tls (the caller
 * releases it): each must be PEM, the key unencrypted and the certificate's. cert_label and
 * key_label name them in messages ("--tls-cert"). Returns 0 (with a warning on stderr for a
 * certificate out of its validity period or a key others may read), or -AL_EIO / -AL_EINVAL
 * with err naming the label, the file and what is wrong.
 */
int al__tls_load(struct al__tls *tls, const char *cert_label, const char *cert_path,
                 const char *key_label, const char *key_path, char *err, size_t size);

/*
 * al__tls_self_signed - the state directory's pair (AL__TLS_CERT_FILE, AL__TLS_KEY_FILE) into
 * *tls: loaded when both files are there, else made (ECDSA P-256, valid for `names`: host
 * names or IP addresses, ten years) and written, the key 0600; *made says which. A pair that
 * does not name one of `names` is kept, with a warning on stderr saying how to make a new
 * one. Returns 0, or a negative AL_E... code with err.
 */
int al__tls_self_signed(struct al__tls *tls, const char *state_dir, const char *const *names,
                        size_t count, bool *made, char *err, size_t size);

/*
 * al__tls_file_fingerprint - the SHA-256 fingerprint of the first certificate in a PEM file.
 * 0, or -AL_EIO / -AL_EINVAL with err.
 */
int al__tls_file_fingerprint(const char *path, char out[AL__TLS_FINGERPRINT_SIZE], char *err,
                             size_t size);

/* al__tls_release - frees what *tls holds; accepts a zeroed one. */
void al__tls_release(struct al__tls *tls);

#endif
