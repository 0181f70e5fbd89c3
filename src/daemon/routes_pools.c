/* routes_pools.c - /api/v1/pools: the node pools the backend's nodes form, their capacity, and
 * per project the quota it has there, what it holds there and its recent usage there. */
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/route_access.h"
#include "daemon/tasks.h"
#include "daemon/usage.h"
#include "util/xalloc.h"

/* The default pool (nodes with no pool) is listed as "default"; allotd refuses that name for a
 * pool of its own (specs.c), so the two never mix. */
#define DEFAULT_POOL "default"

/* One pool: its nodes' capacity, and per queue (by state index) the milli-GPU its tasks hold. */
struct pool_sum {
    const char *name; /* "" = the default pool */
    size_t nodes, gpus;
    int64_t cpu_millis, memory_bytes;
    int64_t *held_milli; /* per state queue */
};

static int name_cmp(const void *a, const void *b) {
    return strcmp(((const struct pool_sum *)a)->name, ((const struct pool_sum *)b)->name);
}

/* The pools of the inventory, sorted by name (the default pool, "", first). */
static struct pool_sum *pools_collect(const struct allotd *d, size_t *count) {
    const struct al__inventory *inv = &d->backend.inventory;
    struct pool_sum *p = al__xcalloc(inv->node_count + 1, sizeof(*p));
    size_t n = 0;
    for (size_t i = 0; i < inv->node_count; i++) {
        const struct al__node *node = &inv->nodes[i];
        size_t k = 0;
        while (k < n && strcmp(p[k].name, node->pool) != 0)
            k++;
        if (k == n) {
            p[n].name = node->pool;
            p[n++].held_milli = al__xcalloc(d->state.queue_count + 1, sizeof(int64_t));
        }
        p[k].nodes++;
        p[k].gpus += node->gpu_count; /* and G GPUs per MIG instance, as quotas count them */
        for (size_t m = 0; m < node->mig_count; m++) {
            int32_t g = al_mig_profile_gpus(node->migs[m].profile);
            if (g > 0 && node->migs[m].count > 0)
                p[k].gpus += (size_t)g * (size_t)node->migs[m].count;
        }
        p[k].cpu_millis += node->cpu_millis;
        p[k].memory_bytes += node->memory_bytes;
    }
    qsort(p, n, sizeof(*p), name_cmp);
    *count = n;
    return p;
}

static struct pool_sum *pool_of(struct pool_sum *p, size_t count, const char *name) {
    struct pool_sum key = {.name = name};
    return bsearch(&key, p, count, sizeof(*p), name_cmp);
}

/* What running and stopping tasks hold, per pool and project (one pass over the state). */
static void pools_add_held(const struct allotd *d, struct pool_sum *p, size_t count) {
    for (size_t i = 0; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        const struct al__dqueue *q = al__state_queue((struct al__state *)&d->state, w->project);
        if (!q)
            continue;
        for (int32_t k = 0; k < w->spec.workers; k++) {
            const struct al__dtask *t = &w->tasks[k];
            const struct al__node *node = al__task_node(d, t);
            struct pool_sum *ps = node ? pool_of(p, count, node->pool) : NULL;
            if (!ps || (t->state != AL__T_RUNNING && t->state != AL__T_STOPPING))
                continue;
            struct al__task_request r = al__task_request_of(w, t->index);
            ps->held_milli[q - d->state.queues] += r.mig_milli; /* on no device */
            for (size_t g = 0; g < t->gpu_count; g++) {
                int32_t dev = t->gpus[g];
                int32_t mib =
                    dev >= 0 && (size_t)dev < node->gpu_count ? node->gpus[dev].memory_mib : 0;
                ps->held_milli[q - d->state.queues] += al__task_device_milli(&r, mib);
            }
        }
    }
}

static void pools_free(struct pool_sum *p, size_t count) {
    for (size_t i = 0; i < count; i++)
        free(p[i].held_milli);
    free(p);
}

/* A project's quota in the pool: its entry for the pool, else its own. */
static void quota_in(const struct al__dqueue *q, const char *pool, const int64_t **deserved,
                     const int64_t **limit) {
    *deserved = q->deserved;
    *limit = q->limit;
    for (size_t i = 0; pool[0] && i < q->pool_count; i++)
        if (strcmp(q->pools[i].pool, pool) == 0) {
            *deserved = q->pools[i].deserved;
            *limit = q->pools[i].limit;
        }
}

/* Queue q's GPU fair share in the pool in the last cycle that scheduled by pool; null when
 * there was none (then the cluster is one pool: the project's own fair share applies). */
static json_t *pool_fair_share(const struct allotd *d, const char *pool, size_t q) {
    for (size_t i = 0; i < d->pool_share_count; i++) {
        const struct al__pool_share *ps = &d->pool_shares[i];
        if (strcmp(ps->pool, pool) == 0 && ps->queue_count == d->state.queue_count)
            return al__gpus_json(ps->gpu_milli[q]);
    }
    return json_null();
}

/* Queue q's recent usage in the pool as a share of the pool's capacity (the cluster's, in the
 * default pool while the cluster is not scheduled by pool); null when no usage is kept. */
static json_t *pool_usage(const struct allotd *d, const char *pool, const struct al__dqueue *q) {
    static const int64_t none[AL_RESOURCE_COUNT] = {0, 0, 0};
    const int64_t *ppm = none;
    size_t count;
    if (!al__usage_on(d))
        return json_null();
    const struct al__usage_series *s = al__usage_history_of(&d->usage, q->name, &count);
    for (size_t i = 0; i < count; i++)
        if (strcmp(s[i].pool, pool) == 0)
            ppm = s[i].share_ppm;
    return json_pack("{s:f, s:f, s:f}", "gpu", (double)ppm[AL_GPU] / AL_USAGE_PPM, "cpu",
                     (double)ppm[AL_CPU] / AL_USAGE_PPM, "memory",
                     (double)ppm[AL_MEMORY] / AL_USAGE_PPM);
}

/* Pool p as the API shows it; with `projects` (a request for one pool), the projects req may read
 * with their figures in the pool (whoever may read nodes sees the pool, not every project). */
static json_t *pool_json(const struct allotd *d, const struct al__request *req,
                         const struct pool_sum *p, bool projects) {
    int64_t held = 0;
    json_t *list = json_array();
    for (size_t q = 0; q < d->state.queue_count; q++) {
        const struct al__dqueue *dq = &d->state.queues[q];
        held += dq->project ? p->held_milli[q] : 0;
        if (!projects || !dq->project)
            continue;
        struct al__place place = al__queue_place(dq);
        if (!al__request_may_verb(req, AL__RES_PROJECT, AL__VERB_READ, &place))
            continue;
        const int64_t *deserved, *limit;
        quota_in(dq, p->name, &deserved, &limit);
        json_array_append_new(
            list, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "name", dq->name, "deserved_gpu",
                            al__gpus_json(deserved[AL_GPU]), "limit_gpu",
                            limit[AL_GPU] < 0 ? json_null() : al__gpus_json(limit[AL_GPU]),
                            "allocated_gpu", al__gpus_json(p->held_milli[q]), "fair_share_gpu",
                            pool_fair_share(d, p->name, q), "usage", pool_usage(d, p->name, dq)));
    }
    json_t *o = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:o}", "name",
                          p->name[0] ? p->name : DEFAULT_POOL, "default", !p->name[0], "nodes",
                          (json_int_t)p->nodes, "gpus", (json_int_t)p->gpus, "cpu_millis",
                          (json_int_t)p->cpu_millis, "memory_bytes", (json_int_t)p->memory_bytes,
                          "allocated_gpu", al__gpus_json(held));
    if (projects)
        json_object_set_new(o, "projects", list);
    else
        json_decref(list);
    return o;
}

void al__pools_list(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    int64_t limit, offset;
    size_t count;
    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    struct pool_sum *p = pools_collect(d, &count);
    pools_add_held(d, p, count);
    json_t *items = json_array();
    for (size_t i = (size_t)offset; i < count && i < (size_t)(offset + limit); i++)
        json_array_append_new(items, pool_json(d, req, &p[i], false));
    al__list_reply(rep, items, count, limit, offset);
    pools_free(p, count);
}

void al__pool_get(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    size_t count;
    const char *name = req->segments[1];
    struct pool_sum *p = pools_collect(d, &count);
    struct pool_sum *found = pool_of(p, count, strcmp(name, DEFAULT_POOL) == 0 ? "" : name);
    if (found) {
        pools_add_held(d, p, count);
        al__reply_json(rep, 200, pool_json(d, req, found, true));
    } else {
        al__reply_error(rep, "not_found", NULL, "no node pool named \"%s\" (no node is in it)",
                        name);
    }
    pools_free(p, count);
}
