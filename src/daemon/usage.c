/* usage.c - time-based fair share in allotd: sampling, storing and reading queue usage. */
#include "daemon/usage.h"
#include "allot/errors.h"

static const char *const upsert_sql =
    "INSERT INTO queue_usage (queue, start_s, gpu_milli_s, cpu_milli_s, memory_mib_s) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (queue, start_s) DO UPDATE SET "
    "gpu_milli_s = ?3, cpu_milli_s = ?4, memory_mib_s = ?5";
static const char *const prune_sql = "DELETE FROM queue_usage WHERE start_s < ?1";
static const char *const load_sql =
    "SELECT queue, start_s, gpu_milli_s, cpu_milli_s, memory_mib_s FROM queue_usage "
    "WHERE start_s >= ?1 ORDER BY queue, start_s";

bool al__usage_on(const struct allotd *d) {
    return d->usage.window_s > 0;
}

static void shares_now(struct allotd *d, int64_t now) {
    for (size_t i = 0; i < d->state.queue_count; i++) {
        struct al__dqueue *dq = &d->state.queues[i];
        al__usage_history_share(&d->usage, dq->name, now, dq->usage_ppm);
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
        int64_t held[AL_RESOURCE_COUNT] = {al__stmt_int(st, 2), al__stmt_int(st, 3),
                                           al__stmt_int(st, 4)};
        const char *name = al__stmt_text(st, 0);
        al__usage_history_load(&d->usage, name ? name : "", al__stmt_int(st, 1), held);
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

static void store_bucket(void *arg, const char *name, const struct al__usage_bucket *b) {
    struct flush_ctx *f = arg;
    if (f->rc < 0)
        return;
    al__stmt_bind_text(f->st, 1, name);
    al__stmt_bind_int(f->st, 2, b->start_s);
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        al__stmt_bind_int(f->st, 3 + r, b->held[r]);
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

void al__usage_sample(struct allotd *d, const struct al_cluster *c) {
    if (!al__usage_on(d))
        return;
    int64_t now = al__daemon_now(), from = d->usage_sampled_s;
    if (from > 0 && now > from) {
        al__usage_history_add(&d->usage, AL__USAGE_CAPACITY, from, now, d->usage_capacity);
        for (size_t i = 0; i < d->state.queue_count; i++) {
            const struct al__dqueue *dq = &d->state.queues[i];
            al__usage_history_add(&d->usage, dq->name, from, now, dq->allocated);
        }
    }
    if (now > from)
        d->usage_sampled_s = now;
    int64_t cap[AL_RESOURCE_COUNT] = {0, 0, 0};
    for (size_t n = 0; n < c->node_count; n++) {
        cap[AL_GPU] += (int64_t)c->nodes[n].gpu_count * 1000; /* and G GPUs per MIG instance */
        for (size_t m = 0; m < c->nodes[n].mig_count; m++)
            cap[AL_GPU] += (int64_t)al_mig_profile_gpus(c->nodes[n].migs[m].profile) * 1000 *
                           c->nodes[n].migs[m].count;
        cap[AL_CPU] += c->nodes[n].cpu_millis;
        cap[AL_MEMORY] += c->nodes[n].memory_bytes;
    }
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        d->usage_capacity[r] = cap[r];
    shares_now(d, now);
    if (now - d->usage_flushed_s >= AL__USAGE_FLUSH_S)
        al__usage_flush(d); /* a failed write shows in the transaction's commit */
}
