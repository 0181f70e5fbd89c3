/* usage_history.h - the arithmetic of time-based fair share (usage_history.c): what each queue
 * held in each node pool, in time buckets over a window, and its decayed share of the pool's
 * capacity. No I/O. */
#ifndef ALLOT_DAEMON_USAGE_HISTORY_H
#define ALLOT_DAEMON_USAGE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allot/model.h"

/* Buckets per window: the window slides a bucket at a time (a week: 5 h 15 min each). */
#define AL__USAGE_BUCKETS 32

/* The series of a pool's capacity (queue names are never empty). Queues are keyed by name, which
 * outlives a Kubernetes mirror's queue ids across restarts. Every series belongs to one pool:
 * "" is the default pool (the nodes with no pool), or the whole cluster while it is not
 * scheduled by pool; its capacity is then the cluster's. */
#define AL__USAGE_CAPACITY ""
#define AL__USAGE_NO_POOL  ""

/* One bucket: amount x seconds held in [start_s, start_s + width) per resource (milli-GPU,
 * millicores, MiB: memory in MiB keeps a week of a large cluster within 64 bits). */
struct al__usage_bucket {
    int64_t start_s; /* -1: empty */
    int64_t held[AL_RESOURCE_COUNT];
    bool dirty; /* changed since al__usage_history_clean */
};

/* A queue's buckets (or the capacity's) in one pool, a ring indexed by bucket number. */
struct al__usage_series {
    char *name; /* owned */
    char *pool; /* owned; "" = the default pool or no partition */
    struct al__usage_bucket ring[AL__USAGE_BUCKETS + 1];
    /* The share as of the last al__usage_history_refresh (parts per million). */
    int64_t share_ppm[AL_RESOURCE_COUNT];
};

/* What one queue (queue AL__USAGE_CAPACITY: the capacity) held in one pool at a sample. */
struct al__usage_held {
    char *queue, *pool; /* owned */
    int64_t amount[AL_RESOURCE_COUNT];
};

struct al__usage_history {
    int64_t half_life_s;             /* 0: no decay */
    int64_t window_s;                /* 0: nothing is kept */
    int64_t width_s;                 /* window / AL__USAGE_BUCKETS, at least 1 s */
    struct al__usage_series *series; /* sorted by name, then pool */
    size_t count, cap;
};

/* al__usage_history_init - an empty history over `window_s` (0: one that keeps nothing)
 * decaying with half_life_s (0 = none). Allocates nothing. */
void al__usage_history_init(struct al__usage_history *h, int64_t half_life_s, int64_t window_s);
void al__usage_history_release(struct al__usage_history *h);

/*
 * al__usage_history_add - queue `name` held amount[] (engine units: milli-GPU, millicores, bytes)
 * in pool `pool` from from_s to to_s: amount x the seconds of each bucket it spans is added
 * there. Only the buckets of the window ending at to_s take it (a longer stretch counts its
 * last window). Aborts when out of memory (allotd). O(buckets spanned + log series).
 */
void al__usage_history_add(struct al__usage_history *h, const char *name, const char *pool,
                           int64_t from_s, int64_t to_s, const int64_t amount[AL_RESOURCE_COUNT]);

/* al__usage_history_load - adds to the bucket of (name, pool) that starts at start_s (a stored
 * row) held[] (already in bucket units), not dirty. A start not on the bucket grid of this
 * window (the window changed) is moved to the bucket that holds it. */
void al__usage_history_load(struct al__usage_history *h, const char *name, const char *pool,
                            int64_t start_s, const int64_t held[AL_RESOURCE_COUNT]);

/*
 * al__usage_history_share - name's usage in pool at now_s, per resource, in parts per million
 * of the pool's capacity: the sum over the window's buckets of held x 0.5^(age / half-life),
 * divided by the same sum of the pool's capacity series (age: from the middle of the bucket's
 * elapsed part to now). 0 where the capacity has no history; at most AL_USAGE_PPM.
 */
void al__usage_history_share(const struct al__usage_history *h, const char *name, const char *pool,
                             int64_t now_s, int64_t out_ppm[AL_RESOURCE_COUNT]);

/* al__usage_history_refresh - every queue series' share_ppm as of now_s. O(series x buckets). */
void al__usage_history_refresh(struct al__usage_history *h, int64_t now_s);

/* al__usage_history_of - the series of queue `name`, one per pool it has history in, sorted
 * by pool ("" first): *count of them from the pointer returned (NULL, 0 when none). Valid until
 * the history changes. O(log series). */
const struct al__usage_series *al__usage_history_of(const struct al__usage_history *h,
                                                    const char *name, size_t *count);

/* al__usage_history_each_dirty - calls fn for every dirty bucket of the window ending at
 * now_s, then marks it clean. */
void al__usage_history_each_dirty(struct al__usage_history *h, int64_t now_s,
                                  void (*fn)(void *ctx, const struct al__usage_series *s,
                                             const struct al__usage_bucket *b),
                                  void *ctx);

/* al__usage_history_forget - drops the series (the default pool's capacity aside) with nothing
 * inside the window that ends at now_s and nothing left to store: queues deleted, pools gone, or
 * idle a whole window. O(series x buckets). */
void al__usage_history_forget(struct al__usage_history *h, int64_t now_s);

#endif
