/* frag.c - the FGD paper's fragmentation measure of a node, exact and memoised by node state. */
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "engine/frag.h"

/* A memo entry: the node state packed into three words (zero k2 = empty slot). */
struct al__frag_memo_slot {
    uint64_t k0, k1;
    uint32_t k2;
    int64_t value;
};

#define MEMO_CAP      ((size_t)1 << 18)
#define MEMO_MAX_GPUS 8

bool al__fit_model_ok(uint64_t models, int32_t model) {
    if (models == AL__FIT_ANY_MODEL)
        return true;
    if (model < 0 || model >= AL__FIT_MAX_MODELS)
        return false;
    return (models >> model) & 1u;
}

bool al__fit_gpus_ok(const struct al__fit_node *n, int32_t gpu_count, int32_t gpu_milli) {
    int32_t i, found = 0;

    if (gpu_count <= 0)
        return true;
    for (i = 0; i < n->gpu_count; i++)
        if (n->gpu_free[i] >= gpu_milli && ++found >= gpu_count)
            return true;
    return false;
}

bool al__fit_feasible(const struct al__fit_node *n, const struct al__fit_request *r) {
    if (n->cpu_free < r->cpu || n->mem_free < r->mem)
        return false;
    if (r->gpu_count <= 0 || r->gpu_milli <= 0)
        return true; /* CPU-only requests go anywhere, as in the paper's simulator */
    if (!al__fit_model_ok(r->models, n->model))
        return false;
    return al__fit_gpus_ok(n, r->gpu_count, r->gpu_milli);
}

int64_t al__fit_gpu_free_total(const struct al__fit_node *n) {
    int64_t sum = 0;
    int32_t i;

    for (i = 0; i < n->gpu_count; i++)
        sum += n->gpu_free[i];
    return sum;
}

void al__fit_apply(struct al__fit_node *n, const struct al__fit_request *r, uint32_t gpu_mask) {
    int32_t i;

    n->cpu_free -= r->cpu;
    n->mem_free -= r->mem;
    for (i = 0; i < n->gpu_count; i++)
        if (gpu_mask & (UINT32_C(1) << i))
            n->gpu_free[i] -= r->gpu_milli;
}

int al__frag_shapes_init(struct al__frag_shapes *fs, const struct al__frag_shape *shapes,
                         size_t count) {
    struct al__frag_shapes out;
    size_t i, j;
    int64_t total = 0;

    memset(&out, 0, sizeof(out));
    for (i = 0; i < count; i++) {
        if (shapes[i].weight < 0 || shapes[i].cpu < 0 || shapes[i].gpu_count < 0 ||
            shapes[i].gpu_milli < 0 || shapes[i].gpu_milli > AL__FIT_MILLI)
            return -AL_EINVAL;
        total += shapes[i].weight;
    }
    if (total <= 0)
        return -AL_EINVAL;
    out.shapes = malloc(count * sizeof(*out.shapes));
    out.cpu_levels = malloc(count * sizeof(*out.cpu_levels));
    if (!out.shapes || !out.cpu_levels) {
        free(out.shapes);
        free(out.cpu_levels);
        return -AL_ENOMEM;
    }
    memcpy(out.shapes, shapes, count * sizeof(*shapes));
    out.count = count;
    out.total_weight = total;
    /* Distinct CPU requests, ascending (insertion sort: a few dozen shapes). */
    for (i = 0; i < count; i++) {
        int64_t c = shapes[i].cpu;
        for (j = 0; j < out.cpu_level_count && out.cpu_levels[j] < c; j++)
            ;
        if (j < out.cpu_level_count && out.cpu_levels[j] == c)
            continue;
        memmove(out.cpu_levels + j + 1, out.cpu_levels + j,
                (out.cpu_level_count - j) * sizeof(*out.cpu_levels));
        out.cpu_levels[j] = c;
        out.cpu_level_count++;
    }
    if (out.cpu_level_count > 255) {
        free(out.shapes);
        free(out.cpu_levels);
        return -AL_EINVAL;
    }
    /* Without a memo the figures are the same, only slower. */
    out.memo = calloc(MEMO_CAP, sizeof(*out.memo));
    out.memo_cap = out.memo ? MEMO_CAP : 0;
    *fs = out;
    return 0;
}

void al__frag_shapes_release(struct al__frag_shapes *fs) {
    free(fs->shapes);
    free(fs->cpu_levels);
    free(fs->memo);
    memset(fs, 0, sizeof(*fs));
}

/* The idle milli-GPU of n that shape s cannot use. */
static int64_t shape_frag(const struct al__frag_shape *s, const struct al__fit_node *n,
                          int64_t idle) {
    int64_t part = 0;
    int32_t i, fit = 0;

    if (s->gpu_milli == 0 || !al__fit_model_ok(s->models, n->model) || n->cpu_free < s->cpu)
        return idle;
    for (i = 0; i < n->gpu_count; i++) {
        if (n->gpu_free[i] >= s->gpu_milli)
            fit++;
        else
            part += n->gpu_free[i];
    }
    return fit >= s->gpu_count ? part : idle;
}

int64_t al__frag_node(const struct al__frag_shapes *fs, const struct al__fit_node *n) {
    int64_t idle = al__fit_gpu_free_total(n), sum = 0;
    size_t i;

    if (idle == 0)
        return 0;
    for (i = 0; i < fs->count; i++)
        if (fs->shapes[i].weight)
            sum += fs->shapes[i].weight * shape_frag(&fs->shapes[i], n, idle);
    return sum;
}

static uint64_t mix(uint64_t x) {
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

int64_t al__frag_node_memo(struct al__frag_shapes *fs, const struct al__fit_node *n) {
    uint32_t g[MEMO_MAX_GPUS] = {0};
    uint64_t k0, k1, h;
    uint32_t k2, level = 0;
    int32_t i, j;
    size_t slot;

    if (!fs->memo || n->gpu_count > MEMO_MAX_GPUS || n->model < -1 || n->model > 250)
        return al__frag_node(fs, n);
    /* The devices' free amounts, descending: the figure does not depend on their order. */
    for (i = 0; i < n->gpu_count; i++) {
        uint32_t v = (uint32_t)n->gpu_free[i];
        for (j = i; j > 0 && g[j - 1] < v; j--)
            g[j] = g[j - 1];
        g[j] = v;
    }
    /* Only which shapes' CPU fits matters, not the amount itself. */
    while (level < fs->cpu_level_count && fs->cpu_levels[level] <= n->cpu_free)
        level++;
    k0 = g[0] | (uint64_t)g[1] << 16 | (uint64_t)g[2] << 32 | (uint64_t)g[3] << 48;
    k1 = g[4] | (uint64_t)g[5] << 16 | (uint64_t)g[6] << 32 | (uint64_t)g[7] << 48;
    k2 = (uint32_t)(n->model + 1) | level << 8 | (uint32_t)n->gpu_count << 16 | UINT32_C(1) << 24;
    h = mix(k0 ^ mix(k1 ^ ((uint64_t)k2 << 7)));
    for (slot = h & (fs->memo_cap - 1);; slot = (slot + 1) & (fs->memo_cap - 1)) {
        struct al__frag_memo_slot *m = &fs->memo[slot];
        if (m->k2 == 0)
            break;
        if (m->k2 == k2 && m->k0 == k0 && m->k1 == k1)
            return m->value;
    }
    if (fs->memo_used >= fs->memo_cap / 4 * 3) {
        /* Full: start over (the values are exact either way). */
        memset(fs->memo, 0, fs->memo_cap * sizeof(*fs->memo));
        fs->memo_used = 0;
        for (slot = h & (fs->memo_cap - 1); fs->memo[slot].k2;
             slot = (slot + 1) & (fs->memo_cap - 1))
            ;
    }
    fs->memo[slot].k0 = k0;
    fs->memo[slot].k1 = k1;
    fs->memo[slot].k2 = k2;
    fs->memo[slot].value = al__frag_node(fs, n);
    fs->memo_used++;
    return fs->memo[slot].value;
}
