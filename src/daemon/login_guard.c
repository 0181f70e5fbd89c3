/* login_guard.c - per-address login budgets (token buckets), the bound on Argon2id checks at
 * once, and account lockout with exponential backoff. */
#include <stdio.h>
#include <string.h>

#include "daemon/login_guard.h"

void al__login_guard_init(struct al__login_guard *g, int64_t per_minute) {
    memset(g, 0, sizeof(*g));
    g->per_minute = per_minute > 0 ? (double)per_minute : AL__LOGIN_PER_MINUTE;
    pthread_mutex_init(&g->lock, NULL);
}

void al__login_guard_release(struct al__login_guard *g) {
    pthread_mutex_destroy(&g->lock);
}

/* The address of "IP:PORT" ("[v6]:PORT" or "v6:PORT" too): what precedes the last ':'. */
static void address_of(const char *source, char ip[48]) {
    const char *colon = strrchr(source, ':');
    size_t n = colon ? (size_t)(colon - source) : strlen(source);
    snprintf(ip, 48, "%.*s", (int)(n < 47 ? n : 47), source);
}

bool al__login_attempt(struct al__login_guard *g, const char *source, int64_t now_s,
                       int64_t *retry_s) {
    char ip[48];
    struct al__login_source *s = NULL, *oldest = &g->sources[0];
    bool ok;
    address_of(source, ip);
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < AL__LOGIN_SOURCES && !s; i++) {
        if (g->sources[i].seen_s && strcmp(g->sources[i].ip, ip) == 0)
            s = &g->sources[i];
        else if (g->sources[i].seen_s < oldest->seen_s)
            oldest = &g->sources[i];
    }
    if (!s) {
        s = oldest;
        snprintf(s->ip, sizeof(s->ip), "%s", ip);
        al__bucket_fill(&s->budget, g->per_minute, (double)now_s);
    }
    s->seen_s = now_s;
    double wait = 0;
    ok = al__bucket_take(&s->budget, g->per_minute / 60.0, g->per_minute, (double)now_s, &wait);
    if (!ok)
        *retry_s = (int64_t)wait + 1;
    pthread_mutex_unlock(&g->lock);
    return ok;
}

bool al__login_check_begin(struct al__login_guard *g) {
    pthread_mutex_lock(&g->lock);
    bool ok = g->checks < AL__LOGIN_CHECKS;
    if (ok)
        g->checks++;
    pthread_mutex_unlock(&g->lock);
    return ok;
}

void al__login_check_end(struct al__login_guard *g) {
    pthread_mutex_lock(&g->lock);
    g->checks--;
    pthread_mutex_unlock(&g->lock);
}

int64_t al__lockout_until(int64_t failed, int64_t now_s) {
    int64_t lock_s = AL__LOCKOUT_FIRST_S;
    if (failed < AL__LOCKOUT_AFTER)
        return 0;
    for (int64_t i = AL__LOCKOUT_AFTER; i < failed && lock_s < AL__LOCKOUT_MAX_S; i++)
        lock_s *= 2;
    return now_s + (lock_s < AL__LOCKOUT_MAX_S ? lock_s : AL__LOCKOUT_MAX_S);
}
