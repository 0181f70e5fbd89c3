/* placement.c - node and device choice for one task (see placement.h). */
#include "engine/placement.h"
#include "util/wide.h"

#include <string.h>

bool al__node_matches(const struct al_node *node, const struct al_task *task) {
    for (size_t a = 0; a < task->affinity_count; a++) {
        const struct al_affinity *aff = &task->affinity[a];
        const char *value = NULL;
        for (size_t l = 0; l < node->label_count && !value; l++)
            if (strcmp(node->labels[l].key, aff->key) == 0)
                value = node->labels[l].value;
        bool ok = false;
        for (size_t v = 0; value && v < aff->value_count && !ok; v++)
            ok = strcmp(aff->values[v], value) == 0;
        if (!ok)
            return false;
    }
    return true;
}

static int64_t free_of(const struct al__session *s, int32_t n, int r, bool future) {
    const struct al__node_state *ns = &s->nodes[n];
    int64_t alloc =
        r == AL_CPU ? s->cluster->nodes[n].cpu_millis : s->cluster->nodes[n].memory_bytes;
    return alloc - ns->used[r] + (future ? ns->releasing[r] : 0);
}

static int64_t device_room(const struct al__gpu_state *g, bool future) {
    return g->capacity - g->used + (future ? g->releasing : 0);
}

/* Whole devices: free ones first (index order), then, if future, ones being released. */
static int32_t pick_whole(const struct al__node_state *ns, int32_t need, bool future,
                          int32_t *out) {
    int32_t k = 0;
    for (int32_t g = 0; g < ns->gpu_count && k < need; g++)
        if (ns->gpus[g].used == 0)
            out[k++] = g;
    for (int32_t g = 0; future && g < ns->gpu_count && k < need; g++)
        if (ns->gpus[g].used != 0 && ns->gpus[g].used == ns->gpus[g].releasing)
            out[k++] = g;
    return k;
}

/* Device a is a better home than b for a shared task (pack: most used; spread: least). */
static bool device_before(const struct al__node_state *ns, enum al_placement policy, int32_t a,
                          int32_t b) {
    int64_t ua = ns->gpus[a].used, ub = ns->gpus[b].used;
    if (ua != ub)
        return policy == AL_BINPACK ? ua > ub : ua < ub;
    return a < b;
}

/* Appends to out[k..] the devices with room for the task (now, or only once released),
 * in device-placement order; returns the new count. */
static int32_t collect_shared(const struct al__session *s, int32_t n, const struct al_task *task,
                              bool released_only, int32_t *out, int32_t k) {
    const struct al__node_state *ns = &s->nodes[n];
    int32_t first = k;
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        int64_t units = al__task_units(task, s->cluster->nodes[n].gpus[g].memory_mib);
        bool now = device_room(&ns->gpus[g], false) >= units;
        bool later = device_room(&ns->gpus[g], true) >= units;
        if (released_only ? (now || !later) : !now)
            continue;
        int32_t i = k++; /* insertion into the ordered candidates */
        while (i > first &&
               device_before(ns, s->cluster->config.gpu_device_placement, g, out[i - 1])) {
            out[i] = out[i - 1];
            i--;
        }
        out[i] = g;
    }
    return k;
}

/* Shared devices: those with room now first, then (future) those with room once released. */
static int32_t pick_shared(const struct al__session *s, int32_t n, const struct al_task *task,
                           bool future, int32_t *out) {
    int32_t k = collect_shared(s, n, task, false, out, 0);
    return future ? collect_shared(s, n, task, true, out, k) : k;
}

/* Fits task on node n (now, or with releasing capacity when future); fills devices. */
static bool node_fits(const struct al__session *s, int32_t n, const struct al_task *task,
                      bool future, int32_t *gpus, int32_t *gpu_count) {
    if (free_of(s, n, AL_CPU, future) < task->cpu_millis ||
        free_of(s, n, AL_MEMORY, future) < task->memory_bytes)
        return false;
    *gpu_count = 0;
    if (task->gpus > 0) {
        if (pick_whole(&s->nodes[n], task->gpus, future, gpus) < task->gpus)
            return false;
        *gpu_count = task->gpus;
    } else if (al__task_is_shared(task)) {
        if (pick_shared(s, n, task, future, gpus) < task->gpu_devices)
            return false;
        *gpu_count = task->gpu_devices;
    }
    return true;
}

/* A partly used shared device on node n that the task fits on now. */
static bool has_shared_home(const struct al__session *s, int32_t n, const struct al_task *task) {
    const struct al__node_state *ns = &s->nodes[n];
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        int64_t units = al__task_units(task, s->cluster->nodes[n].gpus[g].memory_mib);
        if (ns->gpus[g].shared > 0 && device_room(&ns->gpus[g], false) >= units)
            return true;
    }
    return false;
}

struct candidate {
    int32_t node;
    bool shared_home;
    bool now;
    bool no_gpus;
    int64_t free;  /* unallocated GPU milli (GPU tasks) or CPU millicores */
    int64_t total; /* the node's total of the same */
};

static struct candidate candidate_of(const struct al__session *s, int32_t n,
                                     const struct al_task *task, bool now) {
    const struct al__node_state *ns = &s->nodes[n];
    struct candidate c = {.node = n, .now = now, .no_gpus = ns->gpu_count == 0};
    bool gpu_task = task->gpus > 0 || al__task_is_shared(task);
    c.shared_home = al__task_is_shared(task) && s->cluster->config.shared_gpu_node_preference &&
                    has_shared_home(s, n, task);
    if (gpu_task) {
        for (int32_t g = 0; g < ns->gpu_count; g++) {
            int64_t room = device_room(&ns->gpus[g], false);
            c.free += room > 0 ? room * 1000 / ns->gpus[g].capacity : 0;
        }
        c.total = (int64_t)ns->gpu_count * 1000;
    } else {
        c.free = free_of(s, n, AL_CPU, false);
        c.total = s->cluster->nodes[n].cpu_millis;
    }
    return c;
}

/* a is a better node than b for the task (b was seen earlier, i.e. smaller name). */
static bool candidate_better(const struct al__session *s, const struct al_task *task,
                             const struct candidate *a, const struct candidate *b) {
    if (a->shared_home != b->shared_home)
        return a->shared_home;
    if (a->now != b->now)
        return a->now;
    bool gpu_task = task->gpus > 0 || al__task_is_shared(task);
    if (!gpu_task && a->no_gpus != b->no_gpus)
        return a->no_gpus;
    enum al_placement policy =
        gpu_task ? s->cluster->config.gpu_placement : s->cluster->config.cpu_placement;
    if (policy == AL_BINPACK)
        return a->free < b->free;
    /* spread: the larger unallocated fraction */
    al__i128 fa = (al__i128)a->free * (b->total > 0 ? b->total : 1);
    al__i128 fb = (al__i128)b->free * (a->total > 0 ? a->total : 1);
    return fa > fb;
}

bool al__placement_find(struct al__session *s, int32_t t, struct al__choice *out) {
    const struct al_task *task = &s->cluster->tasks[t];
    struct candidate best = {.node = -1};
    int32_t best_count = 0;
    for (size_t i = 0; i < s->cluster->node_count; i++) {
        int32_t n = s->node_order[i], count;
        if ((s->node_allowed && !s->node_allowed[n]) ||
            !al__node_matches(&s->cluster->nodes[n], task))
            continue;
        bool now = node_fits(s, n, task, false, s->scratch_gpus, &count);
        if (!now && !node_fits(s, n, task, true, s->scratch_gpus, &count))
            continue;
        struct candidate c = candidate_of(s, n, task, now);
        if (best.node >= 0 && !candidate_better(s, task, &c, &best))
            continue;
        best = c;
        best_count = count;
        memcpy(s->best_gpus, s->scratch_gpus, (size_t)count * sizeof(int32_t));
    }
    if (best.node < 0)
        return false;
    out->node = best.node;
    out->gpus = s->best_gpus;
    out->gpu_count = best_count;
    out->pipelined = !best.now;
    for (int32_t i = 0; i < best_count && al__task_is_shared(task); i++)
        if (s->nodes[best.node].gpus[s->best_gpus[i]].pipelined > 0)
            out->pipelined = true;
    return true;
}

void al__placement_shortfall(const struct al__session *s, int32_t t, struct al_explanation *e) {
    const struct al_task *task = &s->cluster->tasks[t];
    e->task = t;
    al__task_request(s, t, AL__REQUEST_ADMISSION, e->requested_task);
    e->nodes_matching = 0;
    memset(e->best_free, 0, sizeof(e->best_free));
    for (size_t n = 0; n < s->cluster->node_count; n++) {
        if (!al__node_matches(&s->cluster->nodes[n], task))
            continue;
        e->nodes_matching++;
        const struct al__node_state *ns = &s->nodes[n];
        int64_t gpu = 0;
        for (int32_t g = 0; g < ns->gpu_count; g++) {
            int64_t room = device_room(&ns->gpus[g], false);
            if (task->gpus > 0)
                gpu += ns->gpus[g].used == 0 ? 1000 : 0;
            else if (room * 1000 / ns->gpus[g].capacity > gpu)
                gpu = room * 1000 / ns->gpus[g].capacity;
        }
        int64_t now[AL_RESOURCE_COUNT] = {gpu, free_of(s, (int32_t)n, AL_CPU, false),
                                          free_of(s, (int32_t)n, AL_MEMORY, false)};
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            if (now[r] > e->best_free[r])
                e->best_free[r] = now[r];
    }
}
