/* auth.c - the token store's side of bearer tokens: the admin token made on first start, the
 * digests loaded on start, and the upgrade of Argon2id hashes made before issue 13. */
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

#define TOKEN_PREFIX  "allot_"
#define TOKEN_MAX     128
#define DIGEST_PREFIX "blake2b:" /* then the digest in hex; Argon2id strings start "$argon2" */
#define DIGEST_TEXT   (sizeof(DIGEST_PREFIX) - 1 + 2 * AL__DIGEST_SIZE + 1)

static const char load_sql[] = "SELECT id, hash, name FROM tokens ORDER BY id";
static const char insert_sql[] =
    "INSERT INTO tokens (name, hash, role, created_s) VALUES (?1, ?2, 'admin', ?3)";
static const char upgrade_sql[] = "UPDATE tokens SET hash = ?1 WHERE id = ?2";

void al__auth_digest(const char *token, size_t len, unsigned char digest[AL__DIGEST_SIZE]) {
    crypto_generichash(digest, AL__DIGEST_SIZE, (const unsigned char *)token, len, NULL, 0);
}

/* "blake2b:<hex>" of a token, as stored. */
static void digest_text(const char *token, char text[DIGEST_TEXT]) {
    unsigned char digest[AL__DIGEST_SIZE];
    size_t prefix = sizeof(DIGEST_PREFIX) - 1;
    al__auth_digest(token, strlen(token), digest);
    memcpy(text, DIGEST_PREFIX, prefix);
    sodium_bin2hex(text + prefix, DIGEST_TEXT - prefix, digest, sizeof(digest));
}

/* A static token of the `tokens` table (its subject "token:NAME") into the table. */
static void add_digest(struct al__auth *auth, const unsigned char digest[AL__DIGEST_SIZE],
                       const char *name) {
    struct al__token_entry e = {.kind = AL__TOKEN_STATIC, .session_id = 0, .expires_s = 0};
    memcpy(e.digest, digest, AL__DIGEST_SIZE);
    snprintf(e.subject, sizeof(e.subject), "token:%s", name);
    al__token_table_put(&auth->tokens, &e);
    auth->static_count++;
    sodium_memzero(&e, sizeof(e));
}

/* A stored "blake2b:<hex>" into the table; false when it is not one. */
static bool add_digest_text(struct al__auth *auth, const char *text, const char *name) {
    unsigned char digest[AL__DIGEST_SIZE];
    size_t prefix = sizeof(DIGEST_PREFIX) - 1, got = 0;
    const char *end = NULL;
    if (strncmp(text, DIGEST_PREFIX, prefix) != 0 ||
        sodium_hex2bin(digest, sizeof(digest), text + prefix, strlen(text + prefix), NULL, &got,
                       &end) != 0 ||
        got != sizeof(digest) || *end)
        return false;
    add_digest(auth, digest, name);
    return true;
}

/* The token in `path` (its first line), or "" when there is none to read. */
static void read_token_file(const char *path, char token[TOKEN_MAX]) {
    FILE *f = fopen(path, "re");
    token[0] = '\0';
    if (!f)
        return;
    if (!fgets(token, TOKEN_MAX, f))
        token[0] = '\0';
    fclose(f);
    token[strcspn(token, "\r\n")] = '\0';
}

/* An Argon2id hash: replaced by the digest of `token` in the store when it is that token's,
 * kept as a legacy hash otherwise. */
static int upgrade_or_keep(struct al__auth *auth, struct al__store *store, int64_t id,
                           const char *hash, const char *name, const char *token) {
    char text[DIGEST_TEXT];
    if (!token[0] || crypto_pwhash_str_verify(hash, token, strlen(token)) != 0) {
        auth->legacy = al__xrealloc(auth->legacy, (auth->legacy_count + 1) * sizeof(*auth->legacy));
        auth->legacy[auth->legacy_count++] = al__xstrdup(hash);
        return 0;
    }
    digest_text(token, text);
    struct al__stmt *st = al__stmt_prepare(store, upgrade_sql);
    if (!st || al__store_begin(store) < 0)
        return -AL_EIO;
    al__stmt_bind_text(st, 1, text);
    al__stmt_bind_int(st, 2, id);
    if (al__stmt_run(st) < 0 || al__store_commit(store) < 0) {
        al__store_rollback(store);
        return -AL_EIO;
    }
    return add_digest_text(auth, text, name) ? 0 : -AL_EIO;
}

static int load_tokens(struct al__auth *auth, struct al__store *store, const char *token_path) {
    struct al__stmt *st = al__stmt_prepare(store, load_sql);
    char token[TOKEN_MAX];
    int rc;
    struct old {
        int64_t id;
        char *hash, *name;
    } *old = NULL;
    size_t old_count = 0;

    if (!st)
        return -AL_EIO;
    while ((rc = al__stmt_step(st)) == 1) {
        const char *hash = al__stmt_text(st, 1), *name = al__stmt_text(st, 2);
        if (hash && name && !add_digest_text(auth, hash, name)) {
            old = al__xrealloc(old, (old_count + 1) * sizeof(*old));
            old[old_count++] =
                (struct old){al__stmt_int(st, 0), al__xstrdup(hash), al__xstrdup(name)};
        }
    }
    read_token_file(token_path, token); /* upgraded after the query, which holds a read lock */
    for (size_t i = 0; i < old_count; i++) {
        if (rc == 0)
            rc = upgrade_or_keep(auth, store, old[i].id, old[i].hash, old[i].name, token);
        free(old[i].hash);
        free(old[i].name);
    }
    free(old);
    sodium_memzero(token, sizeof(token));
    if (rc == 0 && auth->legacy_count > 0)
        fprintf(stderr,
                "allotd: %zu token%s stored with Argon2id before allotd hashed tokens with "
                "BLAKE2b: still accepted, checked one at a time (slow); issue new ones\n",
                auth->legacy_count, auth->legacy_count == 1 ? " is" : "s are");
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
    char token[TOKEN_MAX], text[DIGEST_TEXT];
    struct al__stmt *st;
    size_t prefix = strlen(TOKEN_PREFIX);
    int rc = -AL_EIO;

    randombytes_buf(secret, sizeof(secret));
    memcpy(token, TOKEN_PREFIX, prefix);
    sodium_bin2base64(token + prefix, sizeof(token) - prefix, secret, sizeof(secret),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(secret, sizeof(secret));
    digest_text(token, text);
    st = al__stmt_prepare(store, insert_sql);
    if (!st || al__store_begin(store) < 0) {
        snprintf(err, size, "cannot store the admin token: %s", al__store_error(store));
        goto done;
    }
    al__stmt_bind_text(st, 1, "admin");
    al__stmt_bind_text(st, 2, text);
    al__stmt_bind_int(st, 3, (int64_t)time(NULL));
    /* The file first: a token in the store that nobody has would lock everyone out. */
    if (al__stmt_run(st) < 0 || write_token_file(path, token, err, size) < 0 ||
        al__store_commit(store) < 0) {
        al__store_rollback(store);
        if (!err[0])
            snprintf(err, size, "cannot store the admin token: %s", al__store_error(store));
        goto done;
    }
    add_digest_text(auth, text, "admin");
    auth->made_admin_token = true;
    /* the first start: say where the admin's credentials are, never the token itself */
    fprintf(stderr,
            "allotd: first start: the break-glass admin token is in %s (readable by this user "
            "only); `allot login --state-dir DIR` from any directory uses it\n",
            path);
    rc = 0;
done:
    sodium_memzero(token, sizeof(token));
    return rc;
}

int al__auth_init(struct al__auth *auth, struct al__store *store, const char *token_path, char *err,
                  size_t size) {
    memset(auth, 0, sizeof(*auth));
    err[0] = '\0';
    if (sodium_init() < 0) {
        snprintf(err, size, "libsodium failed to initialise");
        return -AL_EIO;
    }
    pthread_mutex_init(&auth->argon_lock, NULL);
    pthread_mutex_init(&auth->learned_lock, NULL);
    al__token_table_init(&auth->tokens);
    auth->initialised = true;
    if (load_tokens(auth, store, token_path) < 0) {
        snprintf(err, size, "cannot read tokens: %s", al__store_error(store));
        return -AL_EIO;
    }
    if (auth->static_count == 0 && auth->legacy_count == 0)
        return make_admin_token(auth, store, token_path, err, size);
    return 0;
}

int al__auth_add_token_file(struct al__auth *auth, const char *path, const char *name, char *err,
                            size_t size) {
    char token[TOKEN_MAX];
    const char *t;
    size_t t_len, len;
    unsigned char digest[AL__DIGEST_SIZE];
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, size, "cannot read %s: %s", path, strerror(errno));
        return -AL_EIO;
    }
    if (!fgets(token, TOKEN_MAX, f))
        token[0] = '\0';
    fclose(f);
    token[strcspn(token, "\r\n")] = '\0';
    len = strlen(token);
    char header[TOKEN_MAX + 8];
    snprintf(header, sizeof(header), "Bearer %s", token);
    /* what a client can send: token68 characters, long enough not to be guessed */
    if (len < 16 || len >= TOKEN_MAX - 1 ||
        !al__auth_token_of(header, strlen(header), &t, &t_len) || t_len != len) {
        snprintf(err, size,
                 "%s: its first line must be a token of 16 to %d characters (letters, digits, "
                 "-._~+/=), e.g. from `openssl rand -hex 32`",
                 path, TOKEN_MAX - 2);
        sodium_memzero(token, sizeof(token));
        sodium_memzero(header, sizeof(header));
        return -AL_EINVAL;
    }
    al__auth_digest(token, len, digest);
    add_digest(auth, digest, name);
    sodium_memzero(token, sizeof(token));
    sodium_memzero(header, sizeof(header));
    sodium_memzero(digest, sizeof(digest));
    return 0;
}

void al__auth_release(struct al__auth *auth) {
    if (!auth->initialised)
        return;
    for (size_t i = 0; i < auth->legacy_count; i++)
        free(auth->legacy[i]);
    free(auth->legacy);
    al__token_table_release(&auth->tokens);
    if (auth->learned)
        sodium_memzero(auth->learned, auth->learned_count * AL__DIGEST_SIZE);
    free(auth->learned);
    pthread_mutex_destroy(&auth->argon_lock);
    pthread_mutex_destroy(&auth->learned_lock);
    memset(auth, 0, sizeof(*auth));
}
