/* login_guard.h - what keeps password guessing slow: a budget of login attempts per client
 * address, a bound on Argon2id checks running at once (each takes 64 MiB and tens of
 * milliseconds), and the lockout of an account after repeated failures, with backoff. */
#ifndef ALLOT_DAEMON_LOGIN_GUARD_H
#define ALLOT_DAEMON_LOGIN_GUARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/bucket.h"

#define AL__LOGIN_SOURCES    256 /* addresses tracked (the least recently seen forgotten) */
#define AL__LOGIN_PER_MINUTE 10  /* attempts an address may make (at once, then a minute) */
#define AL__LOGIN_CHECKS     2   /* Argon2id checks at once */
#define AL__LOCKOUT_AFTER    5   /* failures in a row that lock an account */
#define AL__LOCKOUT_FIRST_S  60  /* for this long, doubling with each further failure */
#define AL__LOCKOUT_MAX_S    3600

struct al__login_guard {
    pthread_mutex_t lock;
    struct al__login_source {
        char ip[48];
        struct al__bucket budget;
        int64_t seen_s; /* 0 = free slot */
    } sources[AL__LOGIN_SOURCES];
    int checks;        /* Argon2id checks running */
    double per_minute; /* attempts per address: at once, then so many a minute */
};

/* al__login_guard_init - per_minute 0 takes AL__LOGIN_PER_MINUTE. */
void al__login_guard_init(struct al__login_guard *g, int64_t per_minute);
void al__login_guard_release(struct al__login_guard *g);

/* al__login_attempt - takes one attempt from the address's budget ("IP:PORT" or "IP"): true,
 * or false with *retry_s (seconds until one is back) when it has none. */
bool al__login_attempt(struct al__login_guard *g, const char *source, int64_t now_s,
                       int64_t *retry_s);

/* al__login_check_begin / _end - a slot for one Argon2id check: false when all are busy. */
bool al__login_check_begin(struct al__login_guard *g);
void al__login_check_end(struct al__login_guard *g);

/* al__lockout_until - when an account that has now failed `failed` times in a row unlocks
 * (0: it does not lock). */
int64_t al__lockout_until(int64_t failed, int64_t now_s);

#endif
