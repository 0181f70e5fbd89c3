/* auth.c - bearer tokens: creation of the admin token, Argon2id hashes, per-request checks. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "allot/errors.h"
#include "daemon/auth.h"
#include "util/xalloc.h"

#define TOKEN_PREFIX "allot_"
#define TOKEN_MAX    128

static const char load_sql[] = "SELECT hash FROM tokens ORDER BY id";
static const char insert_sql[] =
    "INSERT INTO tokens (name, hash, role, created_s) VALUES (?1, ?2, 'admin', ?3)";

static void add_hash(struct al__auth *auth, const char *hash) {
    auth->hashes = al__xrealloc(auth->hashes, (auth->hash_count + 1) * sizeof(*auth->hashes));
    auth->hashes[auth->hash_count++] = al__xstrdup(hash);
}

static int load_hashes(struct al__auth *auth, struct al__store *store) {
    struct al__stmt *st = al__stmt_prepare(store, load_sql);
    int rc;
    if (!st)
        return -AL_EIO;
    while ((rc = al__stmt_step(st)) == 1)
        add_hash(auth, al__stmt_text(st, 0));
    return rc;
}

/* Writes the token to a new file readable by its owner only. */
static int write_token_file(const char *path, const char *token, char *err, size_t size) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t n = strlen(token);
    if (fd < 0 || fchmod(fd, 0600) < 0 || write(fd, token, n) != (ssize_t)n ||
        write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
        snprintf(err, size, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -AL_EIO;
    }
    close(fd);
    return 0;
}

static int make_admin_token(struct al__auth *auth, struct al__store *store, const char *path,
                            char *err, size_t size) {
    unsigned char secret[32];
    char token[TOKEN_MAX], hash[crypto_pwhash_STRBYTES];
    struct al__stmt *st;
    size_t prefix = strlen(TOKEN_PREFIX);

    randombytes_buf(secret, sizeof(secret));
    memcpy(token, TOKEN_PREFIX, prefix);
    sodium_bin2base64(token + prefix, sizeof(token) - prefix, secret, sizeof(secret),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (crypto_pwhash_str(hash, token, strlen(token), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        snprintf(err, size, "cannot hash the admin token: out of memory");
        return -AL_EIO;
    }
    st = al__stmt_prepare(store, insert_sql);
    if (!st || al__store_begin(store) < 0)
        goto store_failed;
    al__stmt_bind_text(st, 1, "admin");
    al__stmt_bind_text(st, 2, hash);
    al__stmt_bind_int(st, 3, (int64_t)time(NULL));
    /* The file first: a token in the store that nobody has would lock everyone out. */
    if (al__stmt_run(st) < 0 || write_token_file(path, token, err, size) < 0 ||
        al__store_commit(store) < 0) {
        al__store_rollback(store);
        if (!err[0])
            goto store_failed;
        return -AL_EIO;
    }
    add_hash(auth, hash);
    sodium_memzero(token, sizeof(token));
    return 0;
store_failed:
    snprintf(err, size, "cannot store the admin token: %s", al__store_error(store));
    return -AL_EIO;
}

int al__auth_init(struct al__auth *auth, struct al__store *store, const char *token_path, char *err,
                  size_t size) {
    memset(auth, 0, sizeof(*auth));
    err[0] = '\0';
    if (sodium_init() < 0) {
        snprintf(err, size, "libsodium failed to initialise");
        return -AL_EIO;
    }
    pthread_mutex_init(&auth->lock, NULL);
    auth->initialised = true;
    randombytes_buf(auth->key, sizeof(auth->key));
    if (load_hashes(auth, store) < 0) {
        snprintf(err, size, "cannot read tokens: %s", al__store_error(store));
        return -AL_EIO;
    }
    if (auth->hash_count == 0)
        return make_admin_token(auth, store, token_path, err, size);
    return 0;
}

void al__auth_release(struct al__auth *auth) {
    if (!auth->initialised)
        return;
    for (size_t i = 0; i < auth->hash_count; i++)
        free(auth->hashes[i]);
    free(auth->hashes);
    if (auth->verified)
        sodium_memzero(auth->verified, auth->verified_count * AL__DIGEST_SIZE);
    free(auth->verified);
    sodium_memzero(auth->key, sizeof(auth->key));
    pthread_mutex_destroy(&auth->lock);
    memset(auth, 0, sizeof(*auth));
}

static bool seen_before(struct al__auth *auth, const unsigned char *digest) {
    for (size_t i = 0; i < auth->verified_count; i++)
        if (sodium_memcmp(auth->verified[i], digest, AL__DIGEST_SIZE) == 0)
            return true;
    return false;
}

bool al__auth_check(struct al__auth *auth, const char *header) {
    static const char scheme[] = "Bearer ";
    unsigned char digest[AL__DIGEST_SIZE];
    const char *token;
    size_t n;
    bool ok = false;

    if (!header || strncmp(header, scheme, sizeof(scheme) - 1) != 0)
        return false;
    token = header + sizeof(scheme) - 1;
    n = strlen(token);
    if (n == 0 || n >= TOKEN_MAX)
        return false;
    crypto_generichash(digest, sizeof(digest), (const unsigned char *)token, n, auth->key,
                       sizeof(auth->key));
    pthread_mutex_lock(&auth->lock);
    ok = seen_before(auth, digest);
    for (size_t i = 0; !ok && i < auth->hash_count; i++)
        ok = crypto_pwhash_str_verify(auth->hashes[i], token, n) == 0;
    if (ok && !seen_before(auth, digest)) {
        auth->verified =
            al__xrealloc(auth->verified, (auth->verified_count + 1) * sizeof(*auth->verified));
        memcpy(auth->verified[auth->verified_count++], digest, AL__DIGEST_SIZE);
    }
    pthread_mutex_unlock(&auth->lock);
    return ok;
}
