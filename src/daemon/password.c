/* password.c - Argon2id hashes of passwords (password.h). */
#include <sodium.h>

#include "daemon/password.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define OPS crypto_pwhash_OPSLIMIT_MIN
#define MEM crypto_pwhash_MEMLIMIT_MIN
#else
#define OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM crypto_pwhash_MEMLIMIT_INTERACTIVE
#endif

int al__password_hash(const char *password, size_t len, char out[AL__PASSWORD_HASH_MAX]) {
    return crypto_pwhash_str(out, password, len, OPS, MEM) == 0 ? 0 : -1;
}

bool al__password_verify(const char *hash, const char *password, size_t len) {
    return crypto_pwhash_str_verify(hash, password, len) == 0;
}
