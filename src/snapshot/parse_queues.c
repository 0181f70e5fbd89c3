/* parse_queues.c - the snapshot's queues[]: quotas, limits, weights and the parent tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"
#include "snapshot/parse.h"

static const char *const queue_keys[] = {"name", "parent", "usage", NULL};
static const char *const pool_keys[] = {"deserved", "limit", "over_quota_weight", NULL};
/* A snapshot's pool entry may also carry the queue's usage in the pool (not an API setting). */
static const char *const pool_usage_key[] = {"usage", NULL};
const char *const al__queue_setting_keys[] = {
    "priority",
    "deserved",
    "limit",
    "over_quota_weight",
    "preempt_min_runtime_s",
    "reclaim_min_runtime_s",
    "pools",
    NULL,
};
static const char *const amount_keys[] = {"gpu", "cpu_millis", "memory_bytes", NULL};
static const char *const weight_keys[] = {"gpu", "cpu", "memory", NULL};

/* deserved or limit: {gpu, cpu_millis, memory_bytes}, each -1 (unlimited) or >= 0. */
static int parse_amounts(const struct al__json *obj, const char *path, const char *key,
                         int64_t out[AL_RESOURCE_COUNT], struct al_snapshot_error *err) {
    const struct al__json *amounts, *gpu;
    char apath[AL__PATH_SIZE], gpath[AL__PATH_SIZE];

    if (al__member_object(obj, path, key, false, &amounts, err) < 0)
        return -AL_EINVAL;
    if (!amounts)
        return 0;
    al__path_key(apath, path, key);
    if (al__check_keys(amounts, apath, amount_keys, err) < 0)
        return -AL_EINVAL;
    gpu = al__json_get(amounts, "gpu");
    al__path_key(gpath, apath, "gpu");
    if (gpu && al__read_gpus(gpu, gpath, true, AL__MAX_QUEUE_GPUS, &out[AL_GPU], err) < 0)
        return -AL_EINVAL;
    if (al__member_int(amounts, apath, "cpu_millis", false, -1, AL__MAX_CPU_MILLIS, &out[AL_CPU],
                       err) < 0 ||
        al__member_int(amounts, apath, "memory_bytes", false, -1, AL__MAX_MEMORY_BYTES,
                       &out[AL_MEMORY], err) < 0)
        return -AL_EINVAL;
    return 0;
}

static int parse_weights(const struct al__json *obj, const char *path,
                         int64_t weight[AL_RESOURCE_COUNT], struct al_snapshot_error *err) {
    const struct al__json *w;
    char wpath[AL__PATH_SIZE];

    if (al__member_object(obj, path, "over_quota_weight", false, &w, err) < 0)
        return -AL_EINVAL;
    if (!w)
        return 0;
    al__path_key(wpath, path, "over_quota_weight");
    if (al__check_keys(w, wpath, weight_keys, err) < 0)
        return -AL_EINVAL;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        if (al__member_int(w, wpath, weight_keys[r], false, 0, AL__MAX_WEIGHT, &weight[r], err) < 0)
            return -AL_EINVAL;
    return 0;
}

/* A min runtime: seconds >= 0 sets it; null unsets it (inherit); absent leaves it. */
static int parse_min_runtime(const struct al__json *obj, const char *path, const char *key,
                             bool *has, int64_t *out, struct al_snapshot_error *err) {
    const struct al__json *v = al__json_get(obj, key);
    char vpath[AL__PATH_SIZE];

    if (!v)
        return 0;
    if (al__json_is(v, AL__JSON_NULL)) {
        *has = false;
        *out = 0;
        return 0;
    }
    al__path_key(vpath, path, key);
    if (!al__json_is_number(v))
        return al__fail(err, vpath, "must be a number of seconds >= 0, or null (inherit)");
    if (al__read_int(v, vpath, 0, AL__MAX_SECONDS, out, err) < 0)
        return -AL_EINVAL;
    *has = true;
    return 0;
}

/* usage: {gpu, cpu, memory}, each the share of the capacity (the cluster's, or a pool's) the
 * queue's subtree used recently (0..1), read as parts per million. */
static int parse_usage(const struct al__json *obj, const char *path, int64_t ppm[AL_RESOURCE_COUNT],
                       struct al_snapshot_error *err) {
    const struct al__json *u, *v;
    char upath[AL__PATH_SIZE], vpath[AL__PATH_SIZE];

    if (al__member_object(obj, path, "usage", false, &u, err) < 0)
        return -AL_EINVAL;
    if (!u)
        return 0;
    al__path_key(upath, path, "usage");
    if (al__check_keys(u, upath, weight_keys, err) < 0)
        return -AL_EINVAL;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        v = al__json_get(u, weight_keys[r]);
        al__path_key(vpath, upath, weight_keys[r]);
        if (v && al__read_scaled(v, vpath, 1.0, AL_USAGE_PPM, &ppm[r], err) < 0)
            return -AL_EINVAL;
    }
    return 0;
}

static int pool_name_cmp(const void *a, const void *b) {
    return strcmp(((const struct al_queue_pool *)a)->pool, ((const struct al_queue_pool *)b)->pool);
}

static struct al_queue_pool *pool_entry(struct al_queue *q, const char *name) {
    for (size_t i = 0; i < q->pool_count; i++)
        if (strcmp(q->pools[i].pool, name) == 0)
            return &q->pools[i];
    return NULL;
}

/* Adds pool `name` with the queue's own values; NULL when out of memory. q->pools has room. */
static struct al_queue_pool *pool_add(struct al_queue *q, const char *name, const char *path,
                                      struct al_snapshot_error *err) {
    struct al_queue_pool *qp = &q->pools[q->pool_count];
    memset(qp, 0, sizeof(*qp));
    if (al__dup(&qp->pool, name, path, err) < 0)
        return NULL;
    q->pool_count++;
    memcpy(qp->deserved, q->deserved, sizeof(qp->deserved));
    memcpy(qp->limit, q->limit, sizeof(qp->limit));
    memcpy(qp->weight, q->weight, sizeof(qp->weight));
    return qp;
}

static void pool_remove(struct al_queue *q, struct al_queue_pool *qp) {
    free(qp->pool);
    *qp = q->pools[--q->pool_count];
}

/* pools: {"a100": {deserved, limit, over_quota_weight} or null}: the queue's quota in each named
 * node pool (with_usage: a snapshot's, also its usage there). An entry given sets what it names
 * over the entry the queue has (a new entry starts from the queue's own values, after this
 * object's other settings); null removes the entry. Called after the queue's other settings. */
static int parse_pools(const struct al__json *obj, const char *path, struct al_queue *q,
                       bool with_usage, struct al_snapshot_error *err) {
    const struct al__json *pools;
    char ppath[AL__PATH_SIZE], epath[AL__PATH_SIZE];

    if (al__member_object(obj, path, "pools", false, &pools, err) < 0)
        return -AL_EINVAL;
    if (!pools || pools->count == 0)
        return 0;
    al__path_key(ppath, path, "pools");
    if (pools->count > AL__MAX_COUNT)
        return al__fail(err, ppath, "too many pools");
    struct al_queue_pool *grown =
        realloc(q->pools, (q->pool_count + pools->count) * sizeof(*q->pools));
    if (!grown)
        return al__fail_nomem(err, ppath);
    q->pools = grown;
    for (size_t i = 0; i < pools->count; i++) {
        const struct al__json_member *m = &pools->u.members[i];
        struct al_queue_pool *qp = pool_entry(q, m->key);
        al__path_key(epath, ppath, m->key);
        if (m->key[0] == '\0')
            return al__fail(err, ppath, "a pool name must not be empty");
        if (al__json_is(&m->value, AL__JSON_NULL)) {
            if (qp)
                pool_remove(q, qp);
            continue;
        }
        if (al__want_object(&m->value, epath, err) < 0 ||
            al__check_keys2(&m->value, epath, pool_keys, with_usage ? pool_usage_key : NULL, err) <
                0)
            return -AL_EINVAL;
        if (!qp && !(qp = pool_add(q, m->key, epath, err)))
            return -AL_ENOMEM;
        if (parse_amounts(&m->value, epath, "deserved", qp->deserved, err) < 0 ||
            parse_amounts(&m->value, epath, "limit", qp->limit, err) < 0 ||
            parse_weights(&m->value, epath, qp->weight, err) < 0 ||
            (with_usage && parse_usage(&m->value, epath, qp->usage_ppm, err) < 0))
            return -AL_EINVAL;
    }
    qsort(q->pools, q->pool_count, sizeof(*q->pools), pool_name_cmp);
    return 0;
}

static int queue_settings(const struct al__json *obj, const char *path, struct al_queue *q,
                          bool with_usage, struct al_snapshot_error *err) {
    if (al__member_int32(obj, path, "priority", false, -AL__MAX_PRIORITY, AL__MAX_PRIORITY,
                         &q->priority, err) < 0 ||
        parse_amounts(obj, path, "deserved", q->deserved, err) < 0 ||
        parse_amounts(obj, path, "limit", q->limit, err) < 0 ||
        parse_weights(obj, path, q->weight, err) < 0 ||
        parse_min_runtime(obj, path, "preempt_min_runtime_s", &q->has_preempt_min_runtime,
                          &q->preempt_min_runtime_s, err) < 0 ||
        parse_min_runtime(obj, path, "reclaim_min_runtime_s", &q->has_reclaim_min_runtime,
                          &q->reclaim_min_runtime_s, err) < 0)
        return -AL_EINVAL;
    return parse_pools(obj, path, q, with_usage, err);
}

int al__parse_queue_settings(const struct al__json *obj, const char *path, struct al_queue *q,
                             struct al_snapshot_error *err) {
    return queue_settings(obj, path, q, false, err);
}

static int parse_queue(struct al__parse *p, const struct al__json *obj, const char *path,
                       struct al_queue *q, size_t position) {
    const char *name;
    const struct al__json *parent;
    char ppath[AL__PATH_SIZE];

    q->parent = -1;
    q->priority = 100;
    q->created = (int64_t)position;
    q->deserved[AL_GPU] = 0;
    q->deserved[AL_CPU] = q->deserved[AL_MEMORY] = AL_UNLIMITED;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        q->limit[r] = AL_UNLIMITED;
        q->weight[r] = 1;
    }
    if (al__want_object(obj, path, p->err) < 0 ||
        al__check_keys2(obj, path, queue_keys, al__queue_setting_keys, p->err) < 0 ||
        al__member_string(obj, path, "name", true, &name, p->err) < 0)
        return -AL_EINVAL;
    if (al__dup(&q->name, name, path, p->err) < 0)
        return -AL_ENOMEM;
    parent = al__json_get(obj, "parent");
    al__path_key(ppath, path, "parent");
    if (parent && !al__json_is(parent, AL__JSON_NULL) && !al__json_is(parent, AL__JSON_STRING))
        return al__fail(p->err, ppath, "must be a string or null");
    if (parse_usage(obj, path, q->usage_ppm, p->err) < 0)
        return -AL_EINVAL;
    return queue_settings(obj, path, q, true, p->err);
}

static int index_names(struct al__parse *p) {
    struct al_cluster *c = p->cluster;
    int32_t a, b;
    char path[AL__PATH_SIZE];

    if (al__names_init(&p->queues, c->queue_count) < 0)
        return al__fail_nomem(p->err, "queues");
    for (size_t i = 0; i < c->queue_count; i++)
        al__names_set(&p->queues, i, c->queues[i].name);
    if (al__names_sort(&p->queues, &a, &b) < 0) {
        snprintf(path, sizeof(path), "queues[%d].name", (int)b);
        return al__fail(p->err, path, "duplicate queue name \"%s\" (also queues[%d])",
                        c->queues[b].name, (int)a);
    }
    return 0;
}

/* Resolves every parent by name and marks queues that have children. */
static int link_parents(struct al__parse *p, const struct al__json *queues) {
    struct al_cluster *c = p->cluster;
    char base[AL__PATH_SIZE], path[AL__PATH_SIZE];

    for (size_t i = 0; i < c->queue_count; i++) {
        const struct al__json *parent = al__json_get(al__json_at(queues, i), "parent");
        al__path_index(base, "queues", i);
        al__path_key(path, base, "parent");
        if (!parent || al__json_is(parent, AL__JSON_NULL))
            continue;
        c->queues[i].parent = al__names_find(&p->queues, al__json_string(parent));
        if (c->queues[i].parent < 0)
            return al__fail(p->err, path, "unknown queue \"%s\"", al__json_string(parent));
        p->queue_has_child[c->queues[i].parent] = true;
    }
    return 0;
}

/* A walk up from any queue must reach a top-level queue within queue_count steps. */
static int check_cycles(struct al__parse *p) {
    struct al_cluster *c = p->cluster;
    char path[AL__PATH_SIZE];

    for (size_t i = 0; i < c->queue_count; i++) {
        int32_t q = (int32_t)i;
        size_t steps = 0;
        while (q >= 0 && steps <= c->queue_count) {
            q = c->queues[q].parent;
            steps++;
        }
        if (q >= 0) {
            snprintf(path, sizeof(path), "queues[%zu].parent", i);
            return al__fail(p->err, path, "parent cycle: \"%s\" never reaches a top-level queue",
                            c->queues[i].name);
        }
    }
    return 0;
}

int al__parse_queues(struct al__parse *p, const struct al__json *queues) {
    struct al_cluster *c = p->cluster;
    size_t n = al__json_size(queues), i;
    const struct al__json *v;
    char path[AL__PATH_SIZE];
    int rc;

    if (n > AL__MAX_COUNT)
        return al__fail(p->err, "queues", "too many queues");
    if (n > 0) {
        c->queues = calloc(n, sizeof(*c->queues));
        p->queue_has_child = calloc(n, sizeof(*p->queue_has_child));
        if (!c->queues || !p->queue_has_child)
            return al__fail_nomem(p->err, "queues");
        c->queue_count = n;
    }
    al__json_array_foreach(queues, i, v) {
        al__path_index(path, "queues", i);
        if ((rc = parse_queue(p, v, path, &c->queues[i], i)) < 0)
            return rc;
    }
    if ((rc = index_names(p)) < 0 || (rc = link_parents(p, queues)) < 0)
        return rc;
    return check_cycles(p);
}
