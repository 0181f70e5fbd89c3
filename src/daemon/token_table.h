/* token_table.h - the bearer tokens allotd knows, by the BLAKE2b digest of each: static API
 * tokens (the break-glass admin's), sessions' access tokens and refresh tokens. Read by every
 * request without waiting on anything but a reader-writer lock's read side. */
#ifndef ALLOT_DAEMON_TOKEN_TABLE_H
#define ALLOT_DAEMON_TOKEN_TABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/access.h"

#define AL__DIGEST_SIZE 32

enum al__token_kind {
    AL__TOKEN_STATIC,  /* an API token made by allotd (admin.token): never expires */
    AL__TOKEN_ACCESS,  /* a session's bearer token */
    AL__TOKEN_REFRESH, /* a session's refresh token: never accepted as a bearer token */
};

struct al__token_entry {
    unsigned char digest[AL__DIGEST_SIZE];
    enum al__token_kind kind;
    char subject[AL__SUBJECT_MAX];
    int64_t session_id; /* 0 for a static token */
    int64_t expires_s;  /* 0 for never */
};

/* Open addressing by the digest's first bytes (a digest of a random secret: uniform). */
struct al__token_table {
    pthread_rwlock_t lock;
    struct al__token_entry *slots; /* session_id -1 marks an empty slot */
    size_t count, capacity;        /* capacity: a power of two */
};

#define AL__TOKEN_TEXT_MAX 128

/* What a sign-in gives the client (sessions.h): the tokens as text. */
struct al__issued {
    char access[AL__TOKEN_TEXT_MAX];
    char refresh[AL__TOKEN_TEXT_MAX]; /* "" when the session has none (an app's) */
    int64_t expires_in_s;
    int64_t session_id;
};

void al__token_table_init(struct al__token_table *t);
void al__token_table_release(struct al__token_table *t); /* wipes the digests */

/* al__token_table_put - adds (or replaces) the entry of e->digest. Takes the write lock. */
void al__token_table_put(struct al__token_table *t, const struct al__token_entry *e);

/* al__token_table_find - the entry of `digest` copied into *out: true, or false. Compares whole
 * digests in constant time. Takes the read lock. */
bool al__token_table_find(struct al__token_table *t, const unsigned char *digest,
                          struct al__token_entry *out);

/* al__token_table_drop_session - removes every token of the session (0 removes nothing). */
void al__token_table_drop_session(struct al__token_table *t, int64_t session_id);

/* al__token_table_drop_subject - removes every token of the subject (a user or app deleted). */
void al__token_table_drop_subject(struct al__token_table *t, const char *subject);

/* al__token_table_drop_expired - removes tokens that expired before `now_s`. */
void al__token_table_drop_expired(struct al__token_table *t, int64_t now_s);

#endif
