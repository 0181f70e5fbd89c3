/* auth.h - bearer tokens: the admin token made on first start, stored hashed (Argon2id), and
 * the check of every request's Authorization header. */
#ifndef ALLOT_DAEMON_AUTH_H
#define ALLOT_DAEMON_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon/store.h"

#define AL__DIGEST_SIZE 32

struct al__auth {
    bool initialised; /* al__auth_release() does nothing before al__auth_init() */
    pthread_mutex_t lock;
    char **hashes; /* Argon2id strings of every token in the store */
    size_t hash_count;
    /* Keyed BLAKE2b digests of tokens already verified, so that Argon2id runs once per token
     * and process, not once per request. The key is random per process. */
    unsigned char key[AL__DIGEST_SIZE];
    unsigned char (*verified)[AL__DIGEST_SIZE];
    size_t verified_count;
};

/*
 * al__auth_init - loads the token hashes from the store. When there is none, makes an admin
 * token, stores its hash and writes the token to `token_path` with mode 0600. Returns 0, or
 * -AL_EIO with a message in err.
 */
int al__auth_init(struct al__auth *auth, struct al__store *store, const char *token_path, char *err,
                  size_t size);

/* al__auth_release - forgets everything (wiping the digests); accepts a zeroed auth. */
void al__auth_release(struct al__auth *auth);

/* al__auth_check - whether `header` ("Bearer <token>", may be NULL) carries a valid token. */
bool al__auth_check(struct al__auth *auth, const char *header);

#endif
