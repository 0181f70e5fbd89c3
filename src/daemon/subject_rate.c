/* subject_rate.c - token buckets per subject, by name in a fixed table (the least recently seen
 * subject gives up its slot to a new one; a forgotten bucket starts full again). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/access.h"
#include "daemon/subject_rate.h"
#include "util/bucket.h"
#include "util/xalloc.h"

#define SLOTS 1024

struct bucket {
    char subject[AL__SUBJECT_MAX];
    struct al__bucket budget;
    int64_t seen_ns; /* 0 = free */
};

struct al__subject_rates {
    pthread_mutex_t lock;
    double per_second;
    struct bucket buckets[SLOTS];
};

struct al__subject_rates *al__subject_rates_new(int64_t per_second) {
    struct al__subject_rates *r = al__xcalloc(1, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    r->per_second = (double)per_second;
    return r;
}

void al__subject_rates_free(struct al__subject_rates *r) {
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static size_t hash_of(const char *s) {
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

bool al__subject_rate_allow(struct al__subject_rates *r, const char *subject, int64_t now_ns,
                            int64_t *retry_ms) {
    if (!r || r->per_second <= 0 || strncmp(subject, "token:", 6) == 0)
        return true;
    double burst = 2 * r->per_second;
    size_t home = hash_of(subject) % SLOTS;
    struct bucket *b = NULL, *oldest = NULL;
    bool ok;
    pthread_mutex_lock(&r->lock);
    /* a short probe: the subject's slot, or the stalest of the 8 it may take */
    for (size_t i = 0; i < 8 && !b; i++) {
        struct bucket *c = &r->buckets[(home + i) % SLOTS];
        if (c->seen_ns && strcmp(c->subject, subject) == 0)
            b = c;
        else if (!oldest || c->seen_ns < oldest->seen_ns)
            oldest = c;
    }
    if (!b) {
        b = oldest;
        snprintf(b->subject, sizeof(b->subject), "%s", subject);
        al__bucket_fill(&b->budget, burst, (double)now_ns / 1e9);
    }
    b->seen_ns = now_ns;
    double wait = 0;
    ok = al__bucket_take(&b->budget, r->per_second, burst, (double)now_ns / 1e9, &wait);
    if (!ok)
        *retry_ms = (int64_t)(wait * 1000) + 1;
    pthread_mutex_unlock(&r->lock);
    return ok;
}
