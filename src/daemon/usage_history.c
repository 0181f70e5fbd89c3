/* usage_history.c - the arithmetic of time-based fair share: bucketed, decayed usage per queue
 * and node pool. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/usage_history.h"
#include "util/xalloc.h"

void al__usage_history_init(struct al__usage_history *h, int64_t half_life_s, int64_t window_s) {
    memset(h, 0, sizeof(*h));
    h->half_life_s = half_life_s > 0 ? half_life_s : 0;
    h->window_s = window_s > 0 ? window_s : 0;
    h->width_s = h->window_s / AL__USAGE_BUCKETS > 0 ? h->window_s / AL__USAGE_BUCKETS : 1;
}

void al__usage_history_release(struct al__usage_history *h) {
    for (size_t i = 0; i < h->count; i++) {
        free(h->series[i].name);
        free(h->series[i].pool);
    }
    free(h->series);
    memset(h, 0, sizeof(*h));
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Series order: by name, then pool (NULL pool: before every pool of the name). */
static int key_cmp(const struct al__usage_series *s, const char *name, const char *pool) {
    int c = strcmp(s->name, name);
    if (c != 0 || !pool)
        return c != 0 ? c : 1;
    return strcmp(s->pool, pool);
}

/* The series of (name, pool), NULL when there is none; *at where it is or would go. pool
 * NULL: *at is the first series of name. */
static struct al__usage_series *find(const struct al__usage_history *h, const char *name,
                                     const char *pool, size_t *at) {
    size_t lo = 0, hi = h->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(&h->series[mid], name, pool) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return pool && lo < h->count && key_cmp(&h->series[lo], name, pool) == 0 ? &h->series[lo]
                                                                             : NULL;
}

static struct al__usage_series *series_of(struct al__usage_history *h, const char *name,
                                          const char *pool) {
    size_t at;
    struct al__usage_series *s = find(h, name, pool, &at);
    if (s)
        return s;
    if (h->count == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 8;
        h->series = al__xrealloc(h->series, h->cap * sizeof(*h->series));
    }
    memmove(&h->series[at + 1], &h->series[at], (h->count - at) * sizeof(*h->series));
    h->count++;
    s = &h->series[at];
    memset(s, 0, sizeof(*s));
    s->name = al__xstrdup(name);
    s->pool = al__xstrdup(pool);
    for (size_t b = 0; b <= AL__USAGE_BUCKETS; b++)
        s->ring[b].start_s = -1;
    return s;
}

/* The bucket that starts at start_s (on the grid), emptied first if it held an older one. */
static struct al__usage_bucket *bucket_at(const struct al__usage_history *h,
                                          struct al__usage_series *s, int64_t start_s) {
    int64_t n = floor_div(start_s, h->width_s);
    int64_t slot = n % (AL__USAGE_BUCKETS + 1);
    struct al__usage_bucket *b = &s->ring[slot < 0 ? slot + AL__USAGE_BUCKETS + 1 : slot];
    if (b->start_s != start_s) {
        memset(b, 0, sizeof(*b));
        b->start_s = start_s;
    }
    return b;
}

/* amount per second in bucket units (memory as MiB), times seconds. */
static int64_t held_for(int r, int64_t amount, int64_t seconds) {
    if (amount <= 0 || seconds <= 0)
        return 0;
    if (r == AL_MEMORY)
        amount /= 1024 * 1024;
    return amount > INT64_MAX / seconds ? INT64_MAX : amount * seconds;
}

void al__usage_history_add(struct al__usage_history *h, const char *name, const char *pool,
                           int64_t from_s, int64_t to_s, const int64_t amount[AL_RESOURCE_COUNT]) {
    if (to_s <= from_s || h->window_s == 0)
        return;
    if (from_s < to_s - h->window_s)
        from_s = to_s - h->window_s;
    struct al__usage_series *s = series_of(h, name, pool);
    for (int64_t t = from_s; t < to_s;) {
        int64_t start = floor_div(t, h->width_s) * h->width_s;
        int64_t end = start + h->width_s < to_s ? start + h->width_s : to_s;
        struct al__usage_bucket *b = bucket_at(h, s, start);
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            int64_t add = held_for(r, amount[r], end - t);
            b->held[r] = b->held[r] > INT64_MAX - add ? INT64_MAX : b->held[r] + add;
        }
        b->dirty = true;
        t = end;
    }
}

void al__usage_history_load(struct al__usage_history *h, const char *name, const char *pool,
                            int64_t start_s, const int64_t held[AL_RESOURCE_COUNT]) {
    struct al__usage_series *s = series_of(h, name, pool);
    struct al__usage_bucket *b = bucket_at(h, s, floor_div(start_s, h->width_s) * h->width_s);
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        b->held[r] = b->held[r] > INT64_MAX - held[r] ? INT64_MAX : b->held[r] + held[r];
}

/* Whether bucket b lies (partly) inside the window that ends at now_s. */
static bool in_window(const struct al__usage_history *h, const struct al__usage_bucket *b,
                      int64_t now_s) {
    return b->start_s >= 0 && b->start_s + h->width_s > now_s - h->window_s && b->start_s < now_s;
}

/* The bucket's weight at now_s: 0.5^(age / half-life), age from the middle of its elapsed part. */
static double decay(const struct al__usage_history *h, const struct al__usage_bucket *b,
                    int64_t now_s) {
    if (h->half_life_s == 0)
        return 1.0;
    int64_t end = b->start_s + h->width_s < now_s ? b->start_s + h->width_s : now_s;
    double age = (double)now_s - ((double)b->start_s + (double)end) / 2.0;
    return pow(0.5, age / (double)h->half_life_s);
}

static void decayed_sums(const struct al__usage_history *h, const struct al__usage_series *s,
                         int64_t now_s, double out[AL_RESOURCE_COUNT]) {
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        out[r] = 0;
    for (size_t i = 0; s && i <= AL__USAGE_BUCKETS; i++) {
        const struct al__usage_bucket *b = &s->ring[i];
        if (!in_window(h, b, now_s))
            continue;
        double f = decay(h, b, now_s);
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            out[r] += (double)b->held[r] * f;
    }
}

static void share_of(const struct al__usage_history *h, const struct al__usage_series *s,
                     const char *pool, int64_t now_s, int64_t out_ppm[AL_RESOURCE_COUNT]) {
    size_t at;
    double used[AL_RESOURCE_COUNT], capacity[AL_RESOURCE_COUNT];
    decayed_sums(h, s, now_s, used);
    decayed_sums(h, find(h, AL__USAGE_CAPACITY, pool, &at), now_s, capacity);
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        double share = capacity[r] > 0 ? used[r] / capacity[r] : 0;
        out_ppm[r] = share >= 1.0 ? AL_USAGE_PPM : (int64_t)llround(share * AL_USAGE_PPM);
    }
}

void al__usage_history_share(const struct al__usage_history *h, const char *name, const char *pool,
                             int64_t now_s, int64_t out_ppm[AL_RESOURCE_COUNT]) {
    size_t at;
    share_of(h, find(h, name, pool, &at), pool, now_s, out_ppm);
}

void al__usage_history_refresh(struct al__usage_history *h, int64_t now_s) {
    for (size_t i = 0; i < h->count; i++) {
        struct al__usage_series *s = &h->series[i];
        if (s->name[0])
            share_of(h, s, s->pool, now_s, s->share_ppm);
    }
}

const struct al__usage_series *al__usage_history_of(const struct al__usage_history *h,
                                                    const char *name, size_t *count) {
    size_t at, end;
    find(h, name, NULL, &at);
    for (end = at; end < h->count && strcmp(h->series[end].name, name) == 0; end++)
        ;
    *count = end - at;
    return end > at ? &h->series[at] : NULL;
}

void al__usage_history_each_dirty(struct al__usage_history *h, int64_t now_s,
                                  void (*fn)(void *ctx, const struct al__usage_series *s,
                                             const struct al__usage_bucket *b),
                                  void *ctx) {
    for (size_t i = 0; i < h->count; i++)
        for (size_t k = 0; k <= AL__USAGE_BUCKETS; k++) {
            struct al__usage_bucket *b = &h->series[i].ring[k];
            if (b->dirty && in_window(h, b, now_s + 1))
                fn(ctx, &h->series[i], b);
            b->dirty = false;
        }
}

/* Whether any bucket of s still counts at now_s, or has yet to be stored. */
static bool series_live(const struct al__usage_history *h, const struct al__usage_series *s,
                        int64_t now_s) {
    for (size_t k = 0; k <= AL__USAGE_BUCKETS; k++)
        if (s->ring[k].dirty || in_window(h, &s->ring[k], now_s + 1))
            return true;
    return false;
}

void al__usage_history_forget(struct al__usage_history *h, int64_t now_s) {
    size_t kept = 0;
    for (size_t i = 0; i < h->count; i++) {
        struct al__usage_series *s = &h->series[i];
        if ((s->name[0] || s->pool[0]) && !series_live(h, s, now_s)) {
            free(s->name);
            free(s->pool);
            continue;
        }
        h->series[kept++] = *s;
    }
    h->count = kept;
}
