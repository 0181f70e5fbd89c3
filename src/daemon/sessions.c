/* sessions.c - sign-ins and their tokens: issued, refreshed (a new pair each time), revoked,
 * and loaded on start; the store keeps digests only. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/sessions.h"

static const char load_sql[] =
    "SELECT id, subject, access, refresh, access_expires_s, coalesce(refresh_expires_s, 0)"
    " FROM sessions WHERE revoked_s IS NULL"
    " AND (access_expires_s > ?1 OR coalesce(refresh_expires_s, 0) > ?1)";
static const char insert_sql[] =
    "INSERT INTO sessions (subject, access, refresh, access_expires_s, refresh_expires_s,"
    " created_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char rotate_sql[] = "UPDATE sessions SET access = ?2, refresh = ?3,"
                                 " access_expires_s = ?4, refresh_expires_s = ?5 WHERE id = ?1"
                                 " AND revoked_s IS NULL";
static const char revoke_sql[] =
    "UPDATE sessions SET revoked_s = ?2 WHERE id = ?1 AND revoked_s IS NULL";
static const char revoke_subject_sql[] =
    "UPDATE sessions SET revoked_s = ?2 WHERE subject = ?1 AND revoked_s IS NULL";

#define HEX (2 * AL__DIGEST_SIZE + 1)

void al__token_make(char token[AL__TOKEN_TEXT_MAX], unsigned char digest[AL__DIGEST_SIZE]) {
    unsigned char secret[32];
    randombytes_buf(secret, sizeof(secret));
    memcpy(token, "allot_", 6);
    sodium_bin2base64(token + 6, AL__TOKEN_TEXT_MAX - 6, secret, sizeof(secret),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(secret, sizeof(secret));
    al__auth_digest(token, strlen(token), digest);
}

static void put_token(struct allotd *d, const unsigned char *digest, enum al__token_kind kind,
                      const char *subject, int64_t session_id, int64_t expires_s) {
    struct al__token_entry e = {.kind = kind, .session_id = session_id, .expires_s = expires_s};
    memcpy(e.digest, digest, AL__DIGEST_SIZE);
    snprintf(e.subject, sizeof(e.subject), "%s", subject);
    al__token_table_put(&d->auth.tokens, &e);
    sodium_memzero(&e, sizeof(e));
}

int al__sessions_load(struct allotd *d) {
    struct al__stmt *st = al__stmt_prepare(d->store, load_sql);
    int rc;
    if (!st)
        return -AL_EIO;
    al__stmt_bind_int(st, 1, al__daemon_now());
    while ((rc = al__stmt_step(st)) == 1) {
        unsigned char digest[AL__DIGEST_SIZE];
        int64_t id = al__stmt_int(st, 0);
        const char *subject = al__stmt_text(st, 1), *access = al__stmt_text(st, 2),
                   *refresh = al__stmt_text(st, 3);
        size_t got = 0;
        if (access &&
            sodium_hex2bin(digest, sizeof(digest), access, strlen(access), NULL, &got, NULL) == 0 &&
            got == sizeof(digest))
            put_token(d, digest, AL__TOKEN_ACCESS, subject, id, al__stmt_int(st, 4));
        if (refresh &&
            sodium_hex2bin(digest, sizeof(digest), refresh, strlen(refresh), NULL, &got, NULL) ==
                0 &&
            got == sizeof(digest))
            put_token(d, digest, AL__TOKEN_REFRESH, subject, id, al__stmt_int(st, 5));
    }
    return rc;
}

/* New tokens for a session: their text in out, their digests in hex for the store. */
static void make_pair(bool refreshable, struct al__issued *out, unsigned char access[],
                      unsigned char refresh[], char access_hex[HEX], char refresh_hex[HEX]) {
    al__token_make(out->access, access);
    sodium_bin2hex(access_hex, HEX, access, AL__DIGEST_SIZE);
    out->refresh[0] = refresh_hex[0] = '\0';
    if (refreshable) {
        al__token_make(out->refresh, refresh);
        sodium_bin2hex(refresh_hex, HEX, refresh, AL__DIGEST_SIZE);
    }
}

/* Runs `st` (bound), an audit row, and commits; rolls back on failure. Store lock held. */
static int commit_with_audit(struct allotd *d, struct al__stmt *st, const struct al__actor *by,
                             const char *verb, const char *name, const char *outcome) {
    if (al__stmt_run(st) < 0 ||
        al__audit_append(d->store, by, verb, "session", NULL, name, outcome, NULL, NULL) < 0 ||
        al__store_commit(d->store) < 0) {
        al__store_rollback(d->store);
        return -AL_EIO;
    }
    return 0;
}

int al__session_issue(struct allotd *d, const struct al__actor *by, const char *subject,
                      const char *how, bool refreshable, struct al__issued *out) {
    unsigned char access[AL__DIGEST_SIZE], refresh[AL__DIGEST_SIZE];
    char access_hex[HEX], refresh_hex[HEX];
    int64_t now = al__daemon_now();
    int64_t access_until = now + d->token_ttl_s, refresh_until = now + d->refresh_ttl_s;
    int rc = -AL_EIO;

    make_pair(refreshable, out, access, refresh, access_hex, refresh_hex);
    out->expires_in_s = d->token_ttl_s;
    pthread_mutex_lock(&d->store_lock);
    struct al__stmt *st = al__stmt_prepare(d->store, insert_sql);
    if (st && al__store_begin(d->store) == 0) {
        al__stmt_bind_text(st, 1, subject);
        al__stmt_bind_text(st, 2, access_hex);
        al__stmt_bind_text(st, 3, refreshable ? refresh_hex : NULL);
        al__stmt_bind_int(st, 4, access_until);
        if (refreshable)
            al__stmt_bind_int(st, 5, refresh_until);
        else
            al__stmt_bind_null(st, 5);
        al__stmt_bind_int(st, 6, now);
        if (al__stmt_run(st) == 0) {
            out->session_id = al__store_last_id(d->store);
            st = NULL; /* the insert ran: the audit row and the commit follow */
            rc = al__audit_append(d->store, by, "login", "session", NULL, how, "ok", NULL, NULL) <
                             0 ||
                         al__store_commit(d->store) < 0
                     ? -AL_EIO
                     : 0;
        }
        if (rc < 0)
            al__store_rollback(d->store);
    }
    pthread_mutex_unlock(&d->store_lock);
    if (rc == 0) {
        put_token(d, access, AL__TOKEN_ACCESS, subject, out->session_id, access_until);
        if (refreshable)
            put_token(d, refresh, AL__TOKEN_REFRESH, subject, out->session_id, refresh_until);
    }
    sodium_memzero(access, sizeof(access));
    sodium_memzero(refresh, sizeof(refresh));
    return rc;
}

int al__session_refresh(struct allotd *d, const struct al__actor *by, const char *token, size_t len,
                        struct al__issued *out, char *subject, size_t size) {
    unsigned char digest[AL__DIGEST_SIZE], access[AL__DIGEST_SIZE], refresh[AL__DIGEST_SIZE];
    char access_hex[HEX], refresh_hex[HEX];
    struct al__token_entry e;
    int64_t now = al__daemon_now();
    int rc = -AL_EIO;

    al__auth_digest(token, len, digest);
    if (!al__token_table_find(&d->auth.tokens, digest, &e) || e.kind != AL__TOKEN_REFRESH ||
        e.expires_s <= now)
        return -1;
    make_pair(true, out, access, refresh, access_hex, refresh_hex);
    out->expires_in_s = d->token_ttl_s;
    out->session_id = e.session_id;
    snprintf(subject, size, "%s", e.subject);
    pthread_mutex_lock(&d->store_lock);
    struct al__stmt *st = al__stmt_prepare(d->store, rotate_sql);
    if (st && al__store_begin(d->store) == 0) {
        al__stmt_bind_int(st, 1, e.session_id);
        al__stmt_bind_text(st, 2, access_hex);
        al__stmt_bind_text(st, 3, refresh_hex);
        al__stmt_bind_int(st, 4, now + d->token_ttl_s);
        al__stmt_bind_int(st, 5, now + d->refresh_ttl_s);
        rc = commit_with_audit(d, st, by, "refresh", e.subject, "ok");
    }
    pthread_mutex_unlock(&d->store_lock);
    if (rc == 0) {
        /* the old pair goes: a refresh token is good for one refresh */
        al__token_table_drop_session(&d->auth.tokens, e.session_id);
        put_token(d, access, AL__TOKEN_ACCESS, e.subject, e.session_id, now + d->token_ttl_s);
        put_token(d, refresh, AL__TOKEN_REFRESH, e.subject, e.session_id, now + d->refresh_ttl_s);
    }
    sodium_memzero(&e, sizeof(e));
    sodium_memzero(access, sizeof(access));
    sodium_memzero(refresh, sizeof(refresh));
    return rc;
}

int al__session_revoke(struct allotd *d, const struct al__actor *by, int64_t session_id) {
    int rc = -AL_EIO;
    pthread_mutex_lock(&d->store_lock);
    struct al__stmt *st = al__stmt_prepare(d->store, revoke_sql);
    if (st && al__store_begin(d->store) == 0) {
        al__stmt_bind_int(st, 1, session_id);
        al__stmt_bind_int(st, 2, al__daemon_now());
        rc = commit_with_audit(d, st, by, "logout", NULL, "ok");
    }
    pthread_mutex_unlock(&d->store_lock);
    if (rc == 0)
        al__token_table_drop_session(&d->auth.tokens, session_id);
    return rc;
}

int al__sessions_revoke_subject(struct allotd *d, const char *subject) {
    struct al__stmt *st = al__stmt_prepare(d->store, revoke_subject_sql);
    if (!st)
        return -AL_EIO;
    al__stmt_bind_text(st, 1, subject);
    al__stmt_bind_int(st, 2, al__daemon_now());
    if (al__stmt_run(st) < 0)
        return -AL_EIO;
    al__token_table_drop_subject(&d->auth.tokens, subject);
    return 0;
}
