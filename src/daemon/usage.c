/* usage.c - time-based fair share in allotd: sampling, storing and reading queue usage, per
 * node pool when the cluster is scheduled by pool. */
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/usage.h"
#include "util/xalloc.h"

static const char *const upsert_sql =
    "INSERT INTO queue_usage (queue, pool, start_s, gpu_milli_s, cpu_milli_s, memory_mib_s) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (queue, pool, start_s) DO UPDATE SET "
    "gpu_milli_s = ?4, cpu_milli_s = ?5, memory_mib_s = ?6";
static const char *const prune_sql = "DELETE FROM queue_usage WHERE start_s < ?1";
static const char *const load_sql =
    "SELECT queue, pool, start_s, gpu_milli_s, cpu_milli_s, memory_mib_s FROM queue_usage "
    "WHERE start_s >= ?1 ORDER BY queue, pool, start_s";

bool al__usage_on(const struct allotd *d) {
    return d->usage.window_s > 0;
}

/* Every series' share as of now; each queue's usage_ppm its share in pool "" (the default pool,
 * or the whole cluster while it is not scheduled by pool). */
static void shares_now(struct allotd *d, int64_t now) {
    al__usage_history_refresh(&d->usage, now);
    for (size_t i = 0; i < d->state.queue_count; i++) {
        struct al__dqueue *dq = &d->state.queues[i];
        size_t count;
        const struct al__usage_series *s = al__usage_history_of(&d->usage, dq->name, &count);
        memset(dq->usage_ppm, 0, sizeof(dq->usage_ppm));
        if (count > 0 && s[0].pool[0] == '\0')
            memcpy(dq->usage_ppm, s[0].share_ppm, sizeof(dq->usage_ppm));
    }
}

/* The oldest bucket start still inside the window at now. */
static int64_t oldest_kept(const struct allotd *d, int64_t now) {
    return now - d->usage.window_s - d->usage.width_s;
}

int al__usage_load(struct allotd *d) {
    if (!al__usage_on(d))
        return 0;
    int64_t now = al__daemon_now();
    struct al__stmt *st = al__stmt_prepare(d->store, load_sql);
    int rc;
    if (!st)
        return -AL_EIO;
    al__stmt_bind_int(st, 1, oldest_kept(d, now));
    while ((rc = al__stmt_step(st)) == 1) {
        int64_t held[AL_RESOURCE_COUNT] = {al__stmt_int(st, 3), al__stmt_int(st, 4),
                                           al__stmt_int(st, 5)};
        const char *name = al__stmt_text(st, 0), *pool = al__stmt_text(st, 1);
        al__usage_history_load(&d->usage, name ? name : "", pool ? pool : AL__USAGE_NO_POOL,
                               al__stmt_int(st, 2), held);
    }
    al__stmt_reset(st);
    if (rc < 0)
        return -AL_EIO;
    shares_now(d, now);
    d->usage_flushed_s = now;
    return 0;
}

struct flush_ctx {
    struct al__stmt *st;
    int rc;
};

static void store_bucket(void *arg, const struct al__usage_series *s,
                         const struct al__usage_bucket *b) {
    struct flush_ctx *f = arg;
    if (f->rc < 0)
        return;
    al__stmt_bind_text(f->st, 1, s->name);
    al__stmt_bind_text(f->st, 2, s->pool);
    al__stmt_bind_int(f->st, 3, b->start_s);
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        al__stmt_bind_int(f->st, 4 + r, b->held[r]);
    if (al__stmt_run(f->st) < 0)
        f->rc = -AL_EIO;
}

int al__usage_flush(struct allotd *d) {
    if (!al__usage_on(d))
        return 0;
    int64_t now = al__daemon_now();
    struct flush_ctx f = {al__stmt_prepare(d->store, upsert_sql), 0};
    struct al__stmt *prune = al__stmt_prepare(d->store, prune_sql);
    if (!f.st || !prune)
        return -AL_EIO;
    al__usage_history_each_dirty(&d->usage, now, store_bucket, &f);
    al__usage_history_forget(&d->usage, now); /* deleted queues, once their window passed */
    al__stmt_bind_int(prune, 1, oldest_kept(d, now));
    if (al__stmt_run(prune) < 0)
        f.rc = -AL_EIO;
    d->usage_flushed_s = now;
    return f.rc;
}

static void held_clear(struct allotd *d) {
    for (size_t i = 0; i < d->usage_held_count; i++) {
        free(d->usage_held[i].queue);
        free(d->usage_held[i].pool);
    }
    free(d->usage_held);
    d->usage_held = NULL;
    d->usage_held_count = 0;
}

void al__usage_release(struct allotd *d) {
    held_clear(d);
    al__usage_history_release(&d->usage);
}

static void held_add(struct allotd *d, const char *queue, const char *pool,
                     const int64_t amount[AL_RESOURCE_COUNT]) {
    d->usage_held = al__xroom(d->usage_held, d->usage_held_count, sizeof(*d->usage_held));
    struct al__usage_held *h = &d->usage_held[d->usage_held_count++];
    h->queue = al__xstrdup(queue);
    h->pool = al__xstrdup(pool);
    memcpy(h->amount, amount, sizeof(h->amount));
}

/* The capacity of c's nodes in pool (NULL: every node; "" the nodes with none). */
static void capacity_of(const struct al_cluster *c, const char *pool,
                        int64_t cap[AL_RESOURCE_COUNT]) {
    memset(cap, 0, AL_RESOURCE_COUNT * sizeof(*cap));
    for (size_t n = 0; n < c->node_count; n++) {
        const struct al_node *node = &c->nodes[n];
        if (pool && strcmp(node->pool ? node->pool : "", pool) != 0)
            continue;
        cap[AL_GPU] += (int64_t)node->gpu_count * 1000; /* and G GPUs per MIG instance */
        for (size_t m = 0; m < node->mig_count; m++)
            cap[AL_GPU] +=
                (int64_t)al_mig_profile_gpus(node->migs[m].profile) * 1000 * node->migs[m].count;
        cap[AL_CPU] += node->cpu_millis;
        cap[AL_MEMORY] += node->memory_bytes;
    }
}

/* What this cycle's result says each queue holds, per pool where the cycle scheduled by pool
 * (as each pool's capacity), else in pool "" (as the cluster's capacity). */
static void held_from(struct allotd *d, const struct al_cluster *c, const struct al_result *r) {
    int64_t cap[AL_RESOURCE_COUNT];
    held_clear(d);
    if (r->pool_count == 0) {
        capacity_of(c, NULL, cap);
        held_add(d, AL__USAGE_CAPACITY, AL__USAGE_NO_POOL, cap);
        for (size_t q = 0; q < c->queue_count; q++)
            held_add(d, c->queues[q].name, AL__USAGE_NO_POOL, r->queues[q].allocated);
        return;
    }
    for (size_t p = 0; p < r->pool_count; p++) {
        const char *pool = r->pools[p].name ? r->pools[p].name : AL__USAGE_NO_POOL;
        capacity_of(c, pool, cap);
        held_add(d, AL__USAGE_CAPACITY, pool, cap);
        for (size_t q = 0; q < c->queue_count; q++)
            held_add(d, c->queues[q].name, pool, r->pools[p].queues[q].allocated);
    }
}

void al__usage_sample(struct allotd *d, const struct al_cluster *c, const struct al_result *r) {
    if (!al__usage_on(d))
        return;
    int64_t now = al__daemon_now(), from = d->usage_sampled_s;
    if (from > 0 && now > from)
        for (size_t i = 0; i < d->usage_held_count; i++) {
            const struct al__usage_held *h = &d->usage_held[i];
            al__usage_history_add(&d->usage, h->queue, h->pool, from, now, h->amount);
        }
    if (now > from)
        d->usage_sampled_s = now;
    held_from(d, c, r);
    shares_now(d, now);
    if (now - d->usage_flushed_s >= AL__USAGE_FLUSH_S)
        al__usage_flush(d); /* a failed write shows in the transaction's commit */
}

static int queue_pool_cmp(const void *a, const void *b) {
    return strcmp(((const struct al_queue_pool *)a)->pool, ((const struct al_queue_pool *)b)->pool);
}

/* q's usage in each named pool it has history in: its entry's usage_ppm, an entry with its own
 * quota added where it gives none for the pool. */
static void queue_pool_usage(const struct allotd *d, struct al_queue *q) {
    size_t count, added = 0;
    const struct al__usage_series *s = al__usage_history_of(&d->usage, q->name, &count);
    q->pools = al__xrealloc(q->pools, (q->pool_count + count + 1) * sizeof(*q->pools));
    for (size_t i = 0; i < count; i++) {
        const int64_t *ppm = s[i].share_ppm;
        if (!s[i].pool[0] || (!ppm[AL_GPU] && !ppm[AL_CPU] && !ppm[AL_MEMORY]))
            continue;
        struct al_queue_pool *e = NULL;
        for (size_t k = 0; k < q->pool_count && !e; k++)
            e = strcmp(q->pools[k].pool, s[i].pool) == 0 ? &q->pools[k] : NULL;
        if (!e) {
            e = &q->pools[q->pool_count++];
            memset(e, 0, sizeof(*e));
            e->pool = al__xstrdup(s[i].pool);
            memcpy(e->deserved, q->deserved, sizeof(e->deserved));
            memcpy(e->limit, q->limit, sizeof(e->limit));
            memcpy(e->weight, q->weight, sizeof(e->weight));
            added++;
        }
        memcpy(e->usage_ppm, ppm, sizeof(e->usage_ppm));
    }
    if (added > 0)
        qsort(q->pools, q->pool_count, sizeof(*q->pools), queue_pool_cmp);
}

void al__usage_model(const struct allotd *d, struct al_cluster *c) {
    if (c->config.usage_k_milli <= 0 || !al_cluster_scheduled_by_pool(c))
        return;
    c->config.usage_per_pool = true;
    for (size_t q = 0; q < c->queue_count; q++)
        queue_pool_usage(d, &c->queues[q]);
}
