/* openb.c - one replay of the openb trace as the FGD paper's simulator does it (README §1.3):
 * typical shapes, seeded shuffle, inflation, one-at-a-time placement, per-level metrics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "sim/openb.h"
#include "sim/openb_engine.h"
#include "util/rng.h"
#include "util/sort.h"
#include "util/xalloc.h"

/* The most cached (node, request shape) scores; above it the cache is not used. */
#define CACHE_MAX_ENTRIES ((size_t)1 << 23)

/* A cached score of one node for one request shape, valid while the node's stamp matches. */
struct cache_entry {
    int64_t score;
    uint32_t gpu_mask;
    uint32_t stamp;
};

/* Sums over the events of one arrived level. */
struct level {
    int64_t count;
    double alloc, frag, frag_idle;
};

struct run {
    const struct al__openb_trace *t;
    const struct al__openb_config *c;
    struct al__rng rng;
    char **models; /* distinct node models, sorted (borrowed from t) */
    int32_t model_count;
    struct al__fit_node *nodes;
    int64_t *node_frag; /* weighted fragmentation of each node, kept current */
    uint32_t *node_stamp;
    struct al__fit_request *reqs; /* per original pod */
    int32_t *req_shape;           /* per original pod: its request shape id */
    int32_t shape_count;
    struct cache_entry *cache; /* node x request shape, or NULL */
    uint32_t *node_rank;       /* ties go to the lowest: a seeded random permutation */
    struct al__frag_shapes fs;
    int32_t *order; /* original pod indices, in arrival order */
    size_t order_count;
    int64_t capacity, arrived, used, frag_sum;
    struct level *levels;
    size_t level_cap;
};

static int model_id(const struct run *r, const char *name) {
    int32_t lo = 0, hi = r->model_count - 1;

    while (lo <= hi) {
        int32_t mid = (lo + hi) / 2;
        int cmp = strcmp(name, r->models[mid]);
        if (cmp == 0)
            return mid;
        if (cmp < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int setup_nodes(struct run *r, char *err, size_t err_size) {
    const struct al__openb_trace *t = r->t;
    size_t i;
    int32_t j;

    r->models = al__xcalloc(t->node_count, sizeof(*r->models));
    for (i = 0; i < t->node_count; i++)
        if (t->nodes[i].gpus > 0)
            r->models[r->model_count++] = t->nodes[i].model;
    qsort(r->models, (size_t)r->model_count, sizeof(*r->models), str_cmp);
    for (i = 0, j = 0; j < r->model_count; j++)
        if (i == 0 || strcmp(r->models[i - 1], r->models[j]) != 0)
            r->models[i++] = r->models[j];
    r->model_count = (int32_t)i;
    if (r->model_count > AL__FIT_MAX_MODELS) {
        snprintf(err, err_size, "more than %d GPU models in the node list", AL__FIT_MAX_MODELS);
        return -AL_EINVAL;
    }
    r->nodes = al__xcalloc(t->node_count, sizeof(*r->nodes));
    for (i = 0; i < t->node_count; i++) {
        struct al__fit_node *n = &r->nodes[i];
        n->cpu_free = t->nodes[i].cpu;
        n->mem_free = t->nodes[i].mem;
        n->gpu_count = t->nodes[i].gpus;
        n->model = n->gpu_count > 0 ? model_id(r, t->nodes[i].model) : -1;
        for (j = 0; j < n->gpu_count; j++)
            n->gpu_free[j] = AL__FIT_MILLI;
        r->capacity += (int64_t)n->gpu_count * AL__FIT_MILLI;
    }
    if (r->capacity == 0) {
        snprintf(err, err_size, "the node list has no GPU");
        return -AL_EINVAL;
    }
    return 0;
}

/* The allowed models of a spec as a mask: any when empty, else the known models named. */
static uint64_t spec_models(const struct run *r, const char *spec) {
    uint64_t mask = 0;
    char name[128];

    if (spec[0] == '\0')
        return AL__FIT_ANY_MODEL;
    while (*spec) {
        size_t len = strcspn(spec, "|");
        int id;
        if (len < sizeof(name)) {
            memcpy(name, spec, len);
            name[len] = '\0';
            id = model_id(r, name);
            if (id >= 0)
                mask |= UINT64_C(1) << id;
        }
        spec += len;
        if (*spec == '|')
            spec++;
    }
    return mask;
}

/* Order of pods by (cpu, gpu milli, gpu count, spec), as the simulator's PodResource.Less. */
static int shape_cmp_pods(const struct al__openb_pod *a, const struct al__openb_pod *b) {
    if (a->cpu != b->cpu)
        return a->cpu < b->cpu ? -1 : 1;
    if (a->gpu_milli != b->gpu_milli)
        return a->gpu_milli < b->gpu_milli ? -1 : 1;
    if (a->gpu_count != b->gpu_count)
        return a->gpu_count < b->gpu_count ? -1 : 1;
    return strcmp(a->spec, b->spec);
}

static int shape_cmp(int32_t x, int32_t y, const void *ctx) {
    const struct al__openb_pod *pods = ctx;
    int cmp = shape_cmp_pods(&pods[x], &pods[y]);

    return cmp ? cmp : (x > y) - (x < y);
}

static int name_cmp(int32_t x, int32_t y, const void *ctx) {
    const struct al__openb_pod *pods = ctx;
    int cmp = strcmp(pods[x].name, pods[y].name);

    return cmp ? cmp : (x > y) - (x < y);
}

/* A group of identical pod shapes: its first pod (in shape order) and its size. */
struct group {
    int32_t first;
    int64_t count;
};

struct group_ctx {
    const struct al__openb_pod *pods;
    const struct group *groups;
};

static int group_cmp(int32_t a, int32_t b, const void *ctx) {
    const struct group_ctx *gc = ctx;
    const struct group *x = &gc->groups[a], *y = &gc->groups[b];

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    /* Equal counts: the larger shape first (the simulator sorts by count, then by shape, and
     * reverses the whole order). */
    return -shape_cmp_pods(&gc->pods[x->first], &gc->pods[y->first]);
}

/*
 * Requests and their shape ids for every original pod, and the typical shapes: the most
 * frequent (cpu, gpu milli, gpu count, spec) shapes of the original list, in decreasing count,
 * until they cover 95 % of its pods, weighted by their counts.
 */
static int setup_pods(struct run *r, char *err, size_t err_size) {
    const struct al__openb_trace *t = r->t;
    size_t n = t->pod_count, i, g = 0, k;
    int32_t *idx = al__xcalloc(n, sizeof(*idx));
    struct group *groups = al__xcalloc(n, sizeof(*groups));
    struct al__frag_shape *shapes;
    struct group_ctx gc;
    int64_t cum = 0;
    int rc;

    r->reqs = al__xcalloc(n, sizeof(*r->reqs));
    r->req_shape = al__xcalloc(n, sizeof(*r->req_shape));
    for (i = 0; i < n; i++) {
        const struct al__openb_pod *p = &t->pods[i];
        r->reqs[i].cpu = p->cpu;
        r->reqs[i].mem = p->mem;
        r->reqs[i].gpu_count = p->gpu_count;
        r->reqs[i].gpu_milli = p->gpu_milli;
        r->reqs[i].models = spec_models(r, p->spec);
        idx[i] = (int32_t)i;
    }
    if (al__sort_ids(idx, n, shape_cmp, t->pods) < 0)
        al__xalloc_failed();
    for (i = 0; i < n; i++) {
        if (i == 0 || shape_cmp_pods(&t->pods[idx[i - 1]], &t->pods[idx[i]]) != 0)
            groups[g++].first = idx[i];
        groups[g - 1].count++;
        r->req_shape[idx[i]] = (int32_t)(g - 1);
    }
    r->shape_count = (int32_t)g;
    gc.pods = t->pods;
    gc.groups = groups;
    for (k = 0; k < g; k++)
        idx[k] = (int32_t)k;
    if (al__sort_ids(idx, g, group_cmp, &gc) < 0)
        al__xalloc_failed();
    shapes = al__xcalloc(g, sizeof(*shapes));
    for (k = 0; k < g && cum * 100 < (int64_t)n * 95; k++) {
        const struct group *gr = &groups[idx[k]];
        const struct al__openb_pod *p = &t->pods[gr->first];
        shapes[k].cpu = p->cpu;
        shapes[k].gpu_count = p->gpu_count;
        shapes[k].gpu_milli = p->gpu_milli;
        shapes[k].models = spec_models(r, p->spec);
        shapes[k].weight = gr->count;
        cum += gr->count;
    }
    rc = al__frag_shapes_init(&r->fs, shapes, k);
    if (rc < 0)
        snprintf(err, err_size, "typical shapes: %s", al_strerror(rc));
    free(shapes);
    free(groups);
    free(idx);
    return rc;
}

/*
 * The arrival order: the original pods by name, shuffled with the seed; then re-samples drawn
 * (with replacement, from the list by name) until the next one would take the GPU request
 * above the target, or random pods removed until it is at most the target.
 */
static void setup_order(struct run *r, size_t *inflated) {
    const struct al__openb_trace *t = r->t;
    size_t n = t->pod_count, i, cap = n;
    int32_t *by_name = al__xcalloc(n, sizeof(*by_name));
    int64_t total = 0, target;

    for (i = 0; i < n; i++) {
        by_name[i] = (int32_t)i;
        total += (int64_t)t->pods[i].gpu_count * t->pods[i].gpu_milli;
    }
    if (al__sort_ids(by_name, n, name_cmp, t->pods) < 0)
        al__xalloc_failed();
    r->order = al__xcalloc(n, sizeof(*r->order));
    memcpy(r->order, by_name, n * sizeof(*by_name));
    r->order_count = n;
    for (i = n; i > 1; i--) {
        size_t j = (size_t)al__rng_below(&r->rng, i);
        int32_t tmp = r->order[i - 1];
        r->order[i - 1] = r->order[j];
        r->order[j] = tmp;
    }
    *inflated = 0;
    if (r->c->inflate_permille <= 0) {
        free(by_name);
        return;
    }
    target = r->capacity * r->c->inflate_permille / 1000;
    if (total < target) {
        /* As the simulator does: the check adds the pod's milli-GPU per GPU, the sum its
         * total (so a multi-GPU pod may overshoot the target by up to 7 GPUs). */
        for (;;) {
            const struct al__openb_pod *p = &t->pods[by_name[al__rng_below(&r->rng, n)]];
            if (total + p->gpu_milli > target)
                break;
            total += (int64_t)p->gpu_count * p->gpu_milli;
            al__xgrow(&r->order, &cap, r->order_count + 1, sizeof(*r->order));
            r->order[r->order_count++] = (int32_t)(p - t->pods);
            (*inflated)++;
        }
    } else {
        while (total > target && r->order_count > 0) {
            size_t j = (size_t)al__rng_below(&r->rng, r->order_count);
            const struct al__openb_pod *p = &t->pods[r->order[j]];
            total -= (int64_t)p->gpu_count * p->gpu_milli;
            memmove(r->order + j, r->order + j + 1, (r->order_count - j - 1) * sizeof(*r->order));
            r->order_count--;
        }
    }
    free(by_name);
}

/*
 * Tie-break ranks: a seeded random permutation of the nodes (the simulator prefixes node names
 * with one and, among equal scores, takes the first name).
 */
static void setup_ranks(struct run *r) {
    size_t n = r->t->node_count, i;

    r->node_rank = al__xcalloc(n, sizeof(*r->node_rank));
    for (i = 0; i < n; i++)
        r->node_rank[i] = (uint32_t)i;
    for (i = n; i > 1; i--) {
        size_t j = (size_t)al__rng_below(&r->rng, i);
        uint32_t tmp = r->node_rank[i - 1];
        r->node_rank[i - 1] = r->node_rank[j];
        r->node_rank[j] = tmp;
    }
}

/* Round half to even of a / b (a >= 0, b > 0), as Python's round() on the simulator's ratio. */
static int64_t round_half_even(int64_t a, int64_t b) {
    int64_t q = a / b, rem = a % b;

    if (2 * rem > b || (2 * rem == b && (q & 1)))
        q++;
    return q;
}

/* Records the cluster's state as one event at the current arrived level. */
static void record(struct run *r) {
    size_t k = (size_t)round_half_even(r->arrived * 100, r->capacity);
    double frag = (double)r->frag_sum / (double)r->fs.total_weight;
    int64_t idle = r->capacity - r->used;
    struct level *l;

    if (k + 2 > r->level_cap) {
        size_t old = r->level_cap;
        al__xgrow(&r->levels, &r->level_cap, k + 2, sizeof(*r->levels));
        memset(r->levels + old, 0, (r->level_cap - old) * sizeof(*r->levels));
    }
    l = &r->levels[k];
    l->count++;
    l->alloc += 100.0 * (double)r->used / (double)r->capacity;
    l->frag += 100.0 * frag / (double)r->capacity;
    l->frag_idle += idle > 0 ? 100.0 * frag / (double)idle : 0.0;
}

/* Pod p goes on node `best`, its devices in mask (the policy's choice). */
static void place_on(struct run *r, int32_t p, int32_t best, uint32_t mask) {
    const struct al__fit_request *req = &r->reqs[p];
    struct al__fit_node *n = &r->nodes[best];
    al__fit_apply(n, req, mask);
    r->used += (int64_t)req->gpu_count * req->gpu_milli;
    r->frag_sum -= r->node_frag[best];
    r->node_frag[best] = al__frag_node_memo(&r->fs, n);
    r->frag_sum += r->node_frag[best];
    r->node_stamp[best]++;
}

/* Places pod p (an original pod's index): true when it fitted somewhere. */
static bool place(struct run *r, int32_t p, int64_t *scores, struct al__fit_eval *evals,
                  int32_t *cands, uint32_t *ranks) {
    const struct al__fit_request *req = &r->reqs[p];
    size_t i, count = 0, pick;
    uint64_t rand_pick = al__rng_next(&r->rng), rand_gpu = al__rng_next(&r->rng);
    bool cache = r->cache && al__fit_cacheable(r->c->policy);

    for (i = 0; i < r->t->node_count; i++) {
        struct al__fit_eval *e = &evals[count];
        if (!al__fit_feasible(&r->nodes[i], req))
            continue;
        if (cache) {
            struct cache_entry *ce = &r->cache[i * (size_t)r->shape_count + r->req_shape[p]];
            if (ce->stamp != r->node_stamp[i]) {
                struct al__fit_eval fresh;
                al__fit_score(r->c->policy, &r->fs, &r->nodes[i], r->node_frag[i], req, 0, &fresh);
                ce->score = fresh.score;
                ce->gpu_mask = fresh.gpu_mask;
                ce->stamp = r->node_stamp[i];
            }
            e->score = ce->score;
            e->gpu_mask = ce->gpu_mask;
        } else {
            al__fit_score(r->c->policy, &r->fs, &r->nodes[i], r->node_frag[i], req, rand_gpu, e);
        }
        scores[count] = e->score;
        ranks[count] = r->node_rank[i];
        cands[count++] = (int32_t)i;
    }
    if (count == 0)
        return false;
    pick = al__fit_select(r->c->policy, scores, ranks, count, rand_pick);
    place_on(r, p, cands[pick], evals[pick].gpu_mask);
    return true;
}

static void finish(struct run *r, struct al__openb_result *out) {
    size_t k, levels = r->level_cap;
    double frag = (double)r->frag_sum / (double)r->fs.total_weight;
    int64_t idle = r->capacity - r->used;

    while (levels > 0 && r->levels[levels - 1].count == 0)
        levels--;
    out->level_count = levels;
    out->allocation_pct = al__xcalloc(levels ? levels : 1, sizeof(double));
    out->fragmentation_pct = al__xcalloc(levels ? levels : 1, sizeof(double));
    out->frag_of_idle_pct = al__xcalloc(levels ? levels : 1, sizeof(double));
    for (k = 0; k < levels; k++) {
        struct level sum = r->levels[k];
        if (sum.count == 0) {
            /* No event rounds to k: the events of k-1 and k+1 (as the simulator's analysis). */
            memset(&sum, 0, sizeof(sum));
            if (k > 0) {
                sum = r->levels[k - 1];
            }
            if (k + 1 < r->level_cap) {
                sum.count += r->levels[k + 1].count;
                sum.alloc += r->levels[k + 1].alloc;
                sum.frag += r->levels[k + 1].frag;
                sum.frag_idle += r->levels[k + 1].frag_idle;
            }
        }
        out->allocation_pct[k] = sum.count ? sum.alloc / (double)sum.count : NAN;
        out->fragmentation_pct[k] = sum.count ? sum.frag / (double)sum.count : NAN;
        out->frag_of_idle_pct[k] = sum.count ? sum.frag_idle / (double)sum.count : NAN;
    }
    out->capacity_milli = r->capacity;
    out->arrived_milli = r->arrived;
    out->used_milli = r->used;
    out->final_allocation_pct = 100.0 * (double)r->used / (double)r->capacity;
    out->final_fragmentation_pct = 100.0 * frag / (double)r->capacity;
    out->final_frag_of_idle_pct = idle > 0 ? 100.0 * frag / (double)idle : 0.0;
    out->shape_count = r->fs.count;
}

static void run_release(struct run *r) {
    free(r->models);
    free(r->nodes);
    free(r->node_frag);
    free(r->node_stamp);
    free(r->reqs);
    free(r->req_shape);
    free(r->cache);
    free(r->node_rank);
    free(r->order);
    free(r->levels);
    al__frag_shapes_release(&r->fs);
}

int al__openb_run(const struct al__openb_trace *t, const struct al__openb_config *c,
                  struct al__openb_result *out, char *err, size_t err_size) {
    struct run r;
    struct al__openb_result res;
    int64_t *scores = NULL;
    struct al__fit_eval *evals = NULL;
    int32_t *cands = NULL;
    uint32_t *ranks = NULL, *engine_mask = NULL;
    int32_t *engine_node = NULL;
    size_t i;
    int rc;

    memset(&r, 0, sizeof(r));
    memset(&res, 0, sizeof(res));
    r.t = t;
    r.c = c;
    al__rng_init(&r.rng, c->seed);
    if (t->pod_count == 0 || t->node_count == 0) {
        snprintf(err, err_size, "no %s to replay", t->pod_count == 0 ? "pods" : "nodes");
        return -AL_EINVAL;
    }
    if ((rc = setup_nodes(&r, err, err_size)) < 0 || (rc = setup_pods(&r, err, err_size)) < 0)
        goto out;
    setup_order(&r, &res.inflated);
    setup_ranks(&r);
    r.node_frag = al__xcalloc(t->node_count, sizeof(*r.node_frag));
    r.node_stamp = al__xcalloc(t->node_count, sizeof(*r.node_stamp));
    for (i = 0; i < t->node_count; i++) {
        r.node_frag[i] = al__frag_node_memo(&r.fs, &r.nodes[i]);
        r.frag_sum += r.node_frag[i];
        r.node_stamp[i] = 1;
    }
    if (t->node_count * (size_t)r.shape_count <= CACHE_MAX_ENTRIES)
        r.cache = al__xcalloc(t->node_count * (size_t)r.shape_count, sizeof(*r.cache));
    scores = al__xcalloc(t->node_count, sizeof(*scores));
    evals = al__xcalloc(t->node_count, sizeof(*evals));
    cands = al__xcalloc(t->node_count, sizeof(*cands));
    ranks = al__xcalloc(t->node_count, sizeof(*ranks));
    if (al__fit_in_engine(c->policy)) { /* allot's own engine decides, in one cycle */
        engine_node = al__xcalloc(r.order_count + 1, sizeof(*engine_node));
        engine_mask = al__xcalloc(r.order_count + 1, sizeof(*engine_mask));
        rc = al__openb_engine_place(t, r.order, r.order_count, al__fit_engine_placement(c->policy),
                                    engine_node, engine_mask, err, err_size);
        if (rc < 0)
            goto out;
    }
    record(&r); /* the empty cluster, as the simulator reports it before the first pod */
    for (i = 0; i < r.order_count; i++) {
        int32_t p = r.order[i];
        bool placed;
        r.arrived += (int64_t)r.reqs[p].gpu_count * r.reqs[p].gpu_milli;
        if (engine_node) {
            placed = engine_node[i] >= 0;
            if (placed)
                place_on(&r, p, engine_node[i], engine_mask[i]);
        } else {
            placed = place(&r, p, scores, evals, cands, ranks);
        }
        if (placed)
            res.placements++;
        else
            res.failed++;
        record(&r);
    }
    res.pods = r.order_count;
    finish(&r, &res);
    *out = res;
out:
    free(engine_node);
    free(engine_mask);
    free(scores);
    free(evals);
    free(cands);
    free(ranks);
    run_release(&r);
    return rc;
}

void al__openb_result_release(struct al__openb_result *r) {
    free(r->allocation_pct);
    free(r->fragmentation_pct);
    free(r->frag_of_idle_pct);
    memset(r, 0, sizeof(*r));
}
