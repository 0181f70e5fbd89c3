/* password.h - local users' passwords: Argon2id (libsodium's interactive cost: 64 MiB, about
 * 60 ms), kept as the encoded string. A fuzzing build (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION,
 * libFuzzer's convention) uses the least cost, so that the fuzzer's executions stay fast. */
#ifndef ALLOT_DAEMON_PASSWORD_H
#define ALLOT_DAEMON_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define AL__PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */

/* al__password_hash - the Argon2id string of `len` bytes of password. 0, or -1 out of memory. */
int al__password_hash(const char *password, size_t len, char out[AL__PASSWORD_HASH_MAX]);

/* al__password_verify - whether the password is the hash's. */
bool al__password_verify(const char *hash, const char *password, size_t len);

#endif
