/* auth.h - bearer tokens: the admin token made on first start, stored as a BLAKE2b digest, and
 * the check of a request's token (no lock on the way of a token allotd knows). */
#ifndef ALLOT_DAEMON_AUTH_H
#define ALLOT_DAEMON_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon/store.h"
#include "daemon/token_table.h"

/*
 * API tokens are 256-bit random secrets: a fast cryptographic hash is as safe for them as a slow
 * password hash, and a wrong token then costs a microsecond, not 60 ms of Argon2id. Stores made
 * before issue 13 hold Argon2id hashes: the admin token's is re-hashed on start (allotd reads
 * admin.token); any other stays accepted through the slow path below.
 */
struct al__auth {
    bool initialised; /* al__auth_release() does nothing before al__auth_init() */
    /* Every token allotd knows by its BLAKE2b digest: the static ones stored in `tokens`, and
     * sessions' (sessions.c). */
    struct al__token_table tokens;
    size_t static_count;
    bool made_admin_token; /* this start made the admin token: the store is new */
    /* Argon2id strings that could not be upgraded (their token is not in admin.token), fixed
     * after al__auth_init(). Checked one at a time (argon_lock, tried, never waited on); a
     * token they accept is remembered in `learned` (learned_lock), so it is checked once. */
    char **legacy;
    size_t legacy_count;
    pthread_mutex_t argon_lock;
    pthread_mutex_t learned_lock;
    unsigned char (*learned)[AL__DIGEST_SIZE];
    size_t learned_count;
};

/* What a token check found. */
enum al__auth_verdict {
    AL__AUTH_OK,
    AL__AUTH_DENIED,
    AL__AUTH_BUSY, /* only with legacy hashes: another Argon2id check runs; try again */
};

/*
 * al__auth_init - loads the token hashes from the store, upgrading an Argon2id hash of the token
 * in `token_path` to its digest. When there is no token, makes an admin token, stores its
 * digest and writes the token to `token_path` with mode 0600. Returns 0, or -AL_EIO with a
 * message in err.
 */
int al__auth_init(struct al__auth *auth, struct al__store *store, const char *token_path, char *err,
                  size_t size);

/*
 * al__auth_add_token_file - a static token read from the first line of `path` (16 or more
 * token68 characters), kept as its digest only, whose subject is "token:NAME". Returns 0,
 * -AL_EIO (unreadable) or -AL_EINVAL (not a token), with a message in err.
 */
int al__auth_add_token_file(struct al__auth *auth, const char *path, const char *name, char *err,
                            size_t size);

/* al__auth_release - forgets everything (wiping the digests); accepts a zeroed auth. */
void al__auth_release(struct al__auth *auth);

/*
 * al__auth_check - whether the token (`len` bytes, not NUL-terminated) is a bearer token allotd
 * knows and that has not expired at `now_s` (a refresh token is not one); *who gets its entry.
 * Compares digests in constant time; takes the token table's read lock, and no other unless
 * legacy hashes remain. Thread-safe.
 */
enum al__auth_verdict al__auth_check(struct al__auth *auth, const char *token, size_t len,
                                     int64_t now_s, struct al__token_entry *who);

/* al__auth_digest - the BLAKE2b digest of a token, as the table keys it. */
void al__auth_digest(const char *token, size_t len, unsigned char digest[AL__DIGEST_SIZE]);

/*
 * al__auth_token_of - the token of an Authorization header value of `len` bytes: the scheme
 * "Bearer" in any case, one or more spaces, then token68 characters only (RFC 7235), so a NUL,
 * a space or a control byte inside refuses it. Sets *token and *token_len and returns true, or
 * returns false.
 */
bool al__auth_token_of(const char *value, size_t len, const char **token, size_t *token_len);

#endif
