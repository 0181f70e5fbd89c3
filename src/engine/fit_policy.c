/* fit_policy.c - the placement policies of fit_policy.h: node scores, device choice, selection. */
#include <string.h>

#include "allot/errors.h"
#include "engine/fit_policy.h"

/* The FGD simulator's normalisation constants: the largest node's CPU and GPU (milli). */
#define MAX_SPEC_CPU 128000
#define MAX_SPEC_GPU 8000
#define MAX_SCORE    100

static const char *const policy_names[AL__FIT_POLICY_COUNT] = {
    "allot", "binpack", "random", "dotprod", "packing", "bestfit", "fgd",
};

/*
 * logit(k / 100) x 10^6 for k = 1..99: FGD's node score is floor(100 x sigmoid(delta / 1000))
 * (delta in milli-GPU), which is the largest k with delta >= logit(k / 100) x 1000; comparing
 * against this table keeps the engine in integers.
 */
static const int64_t logit_micro[99] = {
    -4595120, -3891820, -3476099, -3178054, -2944439, -2751535, -2586689, -2442347, -2313635,
    -2197225, -2090741, -1992430, -1900959, -1815290, -1734601, -1658228, -1585627, -1516347,
    -1450010, -1386294, -1324925, -1265666, -1208311, -1152680, -1098612, -1045969, -994623,
    -944462,  -895384,  -847298,  -800119,  -753772,  -708185,  -663294,  -619039,  -575364,
    -532217,  -489548,  -447312,  -405465,  -363965,  -322773,  -281851,  -241162,  -200671,
    -160343,  -120144,  -80043,   -40005,   0,        40005,    80043,    120144,   160343,
    200671,   241162,   281851,   322773,   363965,   405465,   447312,   489548,   532217,
    575364,   619039,   663294,   708185,   753772,   800119,   847298,   895384,   944462,
    994623,   1045969,  1098612,  1152680,  1208311,  1265666,  1324925,  1386294,  1450010,
    1516347,  1585627,  1658228,  1734601,  1815290,  1900959,  1992430,  2090741,  2197225,
    2313635,  2442347,  2586689,  2751535,  2944439,  3178054,  3476099,  3891820,  4595120,
};

const char *al__fit_policy_name(enum al__fit_policy p) {
    if ((int)p < 0 || p >= AL__FIT_POLICY_COUNT)
        return NULL;
    return policy_names[p];
}

int al__fit_policy_parse(const char *name, enum al__fit_policy *out) {
    int i;

    for (i = 0; i < AL__FIT_POLICY_COUNT; i++) {
        if (strcmp(name, policy_names[i]) == 0) {
            *out = (enum al__fit_policy)i;
            return 0;
        }
    }
    return -AL_EINVAL;
}

bool al__fit_cacheable(enum al__fit_policy p) {
    return p == AL__FIT_FGD;
}

bool al__fit_in_engine(enum al__fit_policy p) {
    return p == AL__FIT_ALLOT || p == AL__FIT_BINPACK;
}

enum al_placement al__fit_engine_placement(enum al__fit_policy p) {
    return p == AL__FIT_BINPACK ? AL_BINPACK : AL_ALLOT;
}

static bool is_shared(const struct al__fit_request *r) {
    return r->gpu_count == 1 && r->gpu_milli > 0 && r->gpu_milli < AL__FIT_MILLI;
}

/* Whole devices: the first free ones by index (the simulator's AllocateExclusiveGpuId). */
static uint32_t exclusive_mask(const struct al__fit_node *n, const struct al__fit_request *r) {
    uint32_t mask = 0;
    int32_t i, need = r->gpu_milli > 0 ? r->gpu_count : 0;

    for (i = 0; i < n->gpu_count && need > 0; i++) {
        if (n->gpu_free[i] == AL__FIT_MILLI) {
            mask |= UINT32_C(1) << i;
            need--;
        }
    }
    return mask;
}

/* A fractional request's device: the one with the least free that fits, first by index. */
static uint32_t bestfit_gpu(const struct al__fit_node *n, int32_t milli) {
    int32_t i, best = -1;

    for (i = 0; i < n->gpu_count; i++)
        if (n->gpu_free[i] >= milli && (best < 0 || n->gpu_free[i] < n->gpu_free[best]))
            best = i;
    return best < 0 ? 0 : UINT32_C(1) << best;
}

static uint32_t random_gpu(const struct al__fit_node *n, int32_t milli, uint64_t rand_gpu) {
    int32_t i, count = 0;
    uint64_t pick;

    for (i = 0; i < n->gpu_count; i++)
        count += n->gpu_free[i] >= milli;
    if (count == 0)
        return 0;
    pick = rand_gpu % (uint64_t)count;
    for (i = 0; i < n->gpu_count; i++)
        if (n->gpu_free[i] >= milli && pick-- == 0)
            return UINT32_C(1) << i;
    return 0;
}

static uint32_t default_mask(const struct al__fit_node *n, const struct al__fit_request *r) {
    return is_shared(r) ? bestfit_gpu(n, r->gpu_milli) : exclusive_mask(n, r);
}

/* 100 x (1 - (cpu_left x cpu + gpu_left x gpu) / 2), each normalised by the largest node. */
static int64_t dotprod_score(const struct al__fit_node *n, const struct al__fit_request *r) {
    /* cpu/128000 x cpu/128000 + gpu/8000 x gpu/8000 = (cpu x cpu + 256 x gpu x gpu) / 128000^2 */
    const int64_t den = (int64_t)2 * MAX_SPEC_CPU * MAX_SPEC_CPU;
    int64_t dot = n->cpu_free * r->cpu +
                  256 * al__fit_gpu_free_total(n) * ((int64_t)r->gpu_count * r->gpu_milli);

    return MAX_SCORE * (den - dot) / den;
}

/* The FGD simulator's GPU packing score: shared devices, then used nodes, then free nodes. */
static int64_t packing_score(const struct al__fit_node *n, const struct al__fit_request *r) {
    int32_t i, full_free = 0, need = r->gpu_count, full_used = 0;
    int32_t order[AL__FIT_MAX_GPUS];
    int64_t free_ratio = 0, score;

    if (r->gpu_milli <= 0)
        return 0;
    for (i = 0; i < n->gpu_count; i++)
        full_free += n->gpu_free[i] == AL__FIT_MILLI;
    if (full_free == n->gpu_count) {
        score = MAX_SCORE / 3 - full_free;
        return score > full_free ? score : full_free;
    }
    /* Devices by free amount ascending (stable), the least free that fit first. */
    for (i = 0; i < n->gpu_count; i++) {
        int32_t j = i;
        while (j > 0 && n->gpu_free[order[j - 1]] > n->gpu_free[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (i = 0; i < n->gpu_count && need > 0; i++) {
        int32_t f = n->gpu_free[order[i]];
        if (r->gpu_milli <= f) {
            need--;
            full_used += f == AL__FIT_MILLI;
            free_ratio += (int64_t)f * 100 / AL__FIT_MILLI;
        }
    }
    if (full_used > 0) {
        score = MAX_SCORE / 2 - full_used;
        return score > MAX_SCORE / 3 ? score : MAX_SCORE / 3;
    }
    score = MAX_SCORE - free_ratio / 10;
    return score > MAX_SCORE / 2 ? score : MAX_SCORE / 2;
}

/* 100 x (1 - (cpu left after / 128000 + gpu left after / 8000) / 2). */
static int64_t bestfit_score(const struct al__fit_node *n, const struct al__fit_request *r) {
    int64_t cpu_left = n->cpu_free - r->cpu;
    int64_t gpu_left = al__fit_gpu_free_total(n) - (int64_t)r->gpu_count * r->gpu_milli;
    const int64_t den = 2 * (int64_t)MAX_SPEC_CPU;

    return MAX_SCORE * (den - cpu_left - gpu_left * (MAX_SPEC_CPU / MAX_SPEC_GPU)) / den;
}

/* floor(100 x sigmoid(delta / weight / 1000)): delta in weighted milli-GPU. */
static int64_t fgd_normalised(int64_t delta, int64_t weight) {
    int lo = 0, hi = 99; /* the answer is in [lo, hi] */

    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (delta * 1000 >= logit_micro[mid - 1] * weight)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* The node's fragmentation after placing r on the devices of mask. */
static int64_t frag_after(struct al__frag_shapes *fs, const struct al__fit_node *n,
                          const struct al__fit_request *r, uint32_t mask) {
    struct al__fit_node after = *n;

    al__fit_apply(&after, r, mask);
    return al__frag_node_memo(fs, &after);
}

static void fgd_score(struct al__frag_shapes *fs, const struct al__fit_node *n, int64_t old,
                      const struct al__fit_request *r, struct al__fit_eval *out) {
    int32_t i;

    if (!is_shared(r)) {
        out->gpu_mask = exclusive_mask(n, r);
        out->score = fgd_normalised(old - frag_after(fs, n, r, out->gpu_mask), fs->total_weight);
        return;
    }
    out->score = -1;
    out->gpu_mask = 0;
    for (i = 0; i < n->gpu_count; i++) {
        int64_t s;
        if (n->gpu_free[i] < r->gpu_milli)
            continue;
        s = fgd_normalised(old - frag_after(fs, n, r, UINT32_C(1) << i), fs->total_weight);
        if (s > out->score) {
            out->score = s;
            out->gpu_mask = UINT32_C(1) << i;
        }
    }
}

void al__fit_score(enum al__fit_policy p, struct al__frag_shapes *fs, const struct al__fit_node *n,
                   int64_t node_frag, const struct al__fit_request *r, uint64_t rand_gpu,
                   struct al__fit_eval *out) {
    switch (p) {
    case AL__FIT_RANDOM:
        out->score = 0;
        out->gpu_mask = is_shared(r) ? random_gpu(n, r->gpu_milli, rand_gpu) : exclusive_mask(n, r);
        return;
    case AL__FIT_DOTPROD:
        out->score = dotprod_score(n, r);
        out->gpu_mask = default_mask(n, r);
        return;
    case AL__FIT_PACKING:
        out->score = packing_score(n, r);
        out->gpu_mask = default_mask(n, r);
        return;
    case AL__FIT_BESTFIT:
        out->score = bestfit_score(n, r);
        out->gpu_mask = default_mask(n, r);
        return;
    case AL__FIT_FGD:
    default: /* the engine's policies are not scored here (al__fit_in_engine) */
        fgd_score(fs, n, node_frag >= 0 ? node_frag : al__frag_node_memo(fs, n), r, out);
        return;
    }
}

size_t al__fit_select(enum al__fit_policy p, int64_t *scores, const uint32_t *ranks, size_t count,
                      uint64_t rand_pick) {
    int64_t hi = scores[0], lo = scores[0];
    size_t i, best = 0;

    if (p == AL__FIT_RANDOM)
        return (size_t)(rand_pick % count);
    for (i = 1; i < count; i++) {
        hi = scores[i] > hi ? scores[i] : hi;
        lo = scores[i] < lo ? scores[i] : lo;
    }
    if (p == AL__FIT_BESTFIT) {
        /* kube-scheduler's NormalizeScore as the simulator's BestFit plugin applies it. */
        for (i = 0; i < count; i++)
            scores[i] = hi == lo ? 0 : (scores[i] - lo) * MAX_SCORE / (hi - lo);
    }
    for (i = 1; i < count; i++) {
        if (scores[i] > scores[best] ||
            (scores[i] == scores[best] && ranks && ranks[i] < ranks[best]))
            best = i;
    }
    return best;
}
