/* placement_scored.c - the allot placement policy (see placement_scored.h). */
#include "engine/placement_scored.h"

#include <stdint.h>
#include <string.h>

#include "allot/errors.h"
#include "engine/node_index.h"
#include "engine/placement.h"
#include "engine/session.h"

int al__frag_build(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    struct al__frag *f = al__arena_array(&s->arena, 1, sizeof(*f));
    if (!f)
        return -AL_ENOMEM;
    int rc = al__shapes_build(s, &f->shapes);
    if (rc < 0)
        return rc;
    size_t classes = (size_t)s->index.by_labels->class_count;
    f->node_frag = al__arena_array_raw(&s->arena, c->node_count + 1, sizeof(int64_t));
    f->node_key = al__arena_array(&s->arena, c->node_count + 1, sizeof(uint64_t));
    f->fits = al__arena_array(&s->arena, (size_t)f->shapes.typical_count * classes + 1, 1);
    f->dev_used = al__arena_array_raw(&s->arena, (size_t)s->max_node_gpus + 1, sizeof(int64_t));
    f->memo = al__arena_array(&s->arena, AL__FRAG_MEMO_SLOTS, sizeof(*f->memo));
    f->seen_key = al__arena_array_raw(&s->arena, AL__FRAG_SEEN_SLOTS, sizeof(uint64_t));
    f->seen_gen = al__arena_array(&s->arena, AL__FRAG_SEEN_SLOTS, sizeof(uint32_t));
    size_t profiles = 0;
    for (size_t n = 0; n < c->node_count; n++)
        profiles = c->nodes[n].mig_count > profiles ? c->nodes[n].mig_count : profiles;
    f->mig_free = al__arena_array_raw(&s->arena, profiles + 1, sizeof(int32_t));
    if (!f->node_frag || !f->node_key || !f->fits || !f->dev_used || !f->memo || !f->seen_key ||
        !f->seen_gen || !f->mig_free)
        return -AL_ENOMEM;
    memset(f->node_frag, 0xff, (c->node_count + 1) * sizeof(int64_t));
    s->frag = f;
    return 0;
}

void al__frag_node_changed(struct al__session *s, int32_t n) {
    s->frag->node_frag[n] = -1;
    s->frag->node_key[n] = 0;
}

/* The labels of node n accept typical shape k. */
static bool shape_may_use(const struct al__session *s, int32_t k, int32_t n) {
    struct al__frag *f = s->frag;
    const struct al_task *rep = &s->cluster->tasks[f->shapes.typical[k].task];
    if (rep->affinity_count == 0)
        return true;
    const struct al__node_partition *p = s->index.by_labels;
    unsigned char *known = &f->fits[(size_t)k * (size_t)p->class_count + (size_t)p->class_of[n]];
    if (*known == 0)
        *known = al__node_matches(&s->cluster->nodes[n], rep) ? 1 : 2;
    return *known == 1;
}

/* How strongly a typical task that no longer fits at once counts against its share of the node
 * (the FGD paper's measure) beside the idle GPU that repeated tasks of that shape could not
 * fill (allot's): measured on the openb trace, docs/simulation.md. */
#define NOW_WEIGHT 3

/* The idle MIG instances of node n were task `add` (NULL: none) placed there: per profile slot
 * into free_out the instances neither held nor asked (none below 0: instances held beyond the
 * offer are tolerated), and their milli-GPU returned, G x 1000 each (quota's measure). */
static int64_t mig_idle(const struct al__session *s, int32_t n, const struct al_task *add,
                        int32_t *free_out) {
    const struct al_node *node = &s->cluster->nodes[n];
    int64_t milli = 0;
    for (size_t k = 0; k < node->mig_count; k++) {
        int32_t left = node->migs[k].count - s->nodes[n].migs[k].used;
        for (size_t i = 0; add && i < add->mig_count; i++)
            if (strcmp(add->migs[i].profile, node->migs[k].profile) == 0)
                left -= add->migs[i].count;
        free_out[k] = left > 0 ? left : 0;
        milli += (int64_t)free_out[k] * al_mig_profile_gpus(node->migs[k].profile) * 1000;
    }
    return milli;
}

/* A node's free capacity as frag_of sees it. */
struct room {
    const int64_t *dev_used;
    int64_t cpu, mem, idle_milli, idle_devices;
    const int32_t *mig_free; /* per MIG profile slot of the node: instances free */
    int64_t mig_milli;       /* their milli-GPU */
};

/* How many tasks of shape rep the node's CPU and memory still hold (INT64_MAX: it asks none),
 * 0 when not one. */
static int64_t host_copies(const struct al_task *rep, const struct room *r) {
    int64_t copies = INT64_MAX;
    if (rep->cpu_millis > r->cpu || rep->memory_bytes > r->mem)
        return 0;
    if (rep->cpu_millis > 0)
        copies = r->cpu / rep->cpu_millis;
    if (rep->memory_bytes > 0 && r->mem / rep->memory_bytes < copies)
        copies = r->mem / rep->memory_bytes;
    return copies;
}

/* The idle MIG milli that typical MIG task rep can use on node n at once (the instances of the
 * profiles it asks, when it fits: the others are lost to it) and again and again (tasks of its
 * shape only, until an instance it asks, CPU or memory runs out). O(profiles x its asks). */
static void usable_mig(const struct al_node *node, const struct al_task *rep, const struct room *r,
                       int64_t *once, int64_t *repeated) {
    int64_t copies = host_copies(rep, r), ask_milli = 0, free_milli = 0;
    *once = *repeated = 0;
    for (size_t i = 0; i < rep->mig_count && copies > 0; i++) {
        int32_t k = al__node_mig_slot(node, rep->migs[i].profile);
        if (k < 0 || r->mig_free[k] < rep->migs[i].count)
            return;
        int64_t g = al_mig_profile_gpus(rep->migs[i].profile);
        copies = r->mig_free[k] / rep->migs[i].count < copies ? r->mig_free[k] / rep->migs[i].count
                                                              : copies;
        ask_milli += g * 1000 * rep->migs[i].count;
        free_milli += g * 1000 * r->mig_free[k];
    }
    if (copies == 0)
        return;
    *once = free_milli;
    *repeated = copies * ask_milli;
}

/* The idle GPU milli that typical task rep can use on node n at once (one task: the FGD
 * paper's fragmentation counts the rest) and again and again (tasks of its shape only, until
 * GPUs, CPU or memory run out). */
static void usable_milli(const struct al__session *s, int32_t n, const struct al_task *rep,
                         const struct room *r, int64_t *once, int64_t *repeated) {
    const struct al_node *node = &s->cluster->nodes[n];
    const struct al__node_state *ns = &s->nodes[n];
    int64_t copies = host_copies(rep, r);
    *once = *repeated = 0;
    if (copies == 0)
        return;
    if (rep->gpus > 0) {
        if (r->idle_devices < rep->gpus)
            return;
        *once = r->idle_devices * 1000; /* partly used devices are lost to it */
        int64_t fit = r->idle_devices / rep->gpus;
        *repeated = (fit < copies ? fit : copies) * rep->gpus * 1000;
        return;
    }
    if (!al__task_is_shared(rep)) { /* CPU only: while it fits, it strands no GPU */
        *once = r->idle_milli;
        return;
    }
    int64_t slots = 0, slot_milli = 0; /* tasks' worth of room on the devices, and its milli */
    int32_t roomy = 0;
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        int64_t units = al__task_units(rep, node->gpus[g].memory_mib),
                room = ns->gpus[g].capacity - r->dev_used[g];
        if (room < units)
            continue;
        roomy++;
        *once += room * 1000 / ns->gpus[g].capacity;
        slots += room / units;
        slot_milli += room / units * units * 1000 / ns->gpus[g].capacity;
    }
    if (roomy < rep->gpu_devices) {
        *once = 0;
        return;
    }
    int64_t fit = slots / rep->gpu_devices;
    *repeated = fit <= copies ? slot_milli : slot_milli * copies / fit;
}

/* The MIG part of frag_of: for each typical MIG shape, weighted by its tasks, the idle MIG milli
 * a task of that shape could not use there at once (NOW_WEIGHT times) plus the idle MIG milli
 * tasks of that shape could not fill however many arrived. */
static int64_t mig_frag(const struct al__session *s, int32_t n, const struct room *r) {
    const struct al__shapes *sh = &s->frag->shapes;
    int64_t sum = 0;
    for (int32_t k = 0; k < sh->typical_count; k++) {
        const struct al_task *rep = &s->cluster->tasks[sh->typical[k].task];
        int64_t once = 0, repeated = 0;
        if (rep->mig_count == 0)
            continue; /* no other task can use an instance (see gpu_frag) */
        if (shape_may_use(s, k, n))
            usable_mig(&s->cluster->nodes[n], rep, r, &once, &repeated);
        sum += sh->typical[k].weight *
               (NOW_WEIGHT * (r->mig_milli - once) + (r->mig_milli - repeated));
    }
    return sum;
}

/* The devices' part of frag_of (below). Typical MIG tasks are left out, as non-MIG ones are
 * from mig_frag: a task can use either devices or instances, never both, so all of the other
 * kind is lost to it on every node, and placing a task changes that loss by its own request
 * wherever it goes (a constant that could only add noise to the choice). */
static int64_t gpu_frag(const struct al__session *s, int32_t n, const struct room *r) {
    const struct al__node_state *ns = &s->nodes[n];
    const struct al__shapes *sh = &s->frag->shapes;
    /* One task asking for the whole node is always a possible next arrival (a gang of 8-GPU
     * tasks) though the workload shows none yet: it counts as one more typical task, so that
     * where the shapes seen are indifferent a node is kept whole rather than opened. */
    int64_t sum = r->idle_devices == ns->gpu_count ? 0 : (NOW_WEIGHT + 1) * r->idle_milli;
    for (int32_t k = 0; k < sh->typical_count; k++) {
        const struct al_task *rep = &s->cluster->tasks[sh->typical[k].task];
        int64_t once = 0, repeated = 0;
        if (rep->mig_count > 0)
            continue;
        if (shape_may_use(s, k, n))
            usable_milli(s, n, rep, r, &once, &repeated);
        sum += sh->typical[k].weight *
               (NOW_WEIGHT * (r->idle_milli - once) + (r->idle_milli - repeated));
    }
    return sum;
}

/*
 * The fragmentation of node n were its devices using dev_used units, its CPU and memory
 * cpu_used and mem_used, and task `add` (NULL: none) holding the MIG instances it asks: for
 * each typical shape, weighted by its tasks, the idle GPU milli a task of that shape could not
 * use there at once (NOW_WEIGHT times) plus the idle GPU milli that tasks of that shape could
 * not fill however many arrived; devices measured against non-MIG shapes, a node's free MIG
 * instances (G x 1000 milli each) against MIG shapes. Where no node offers MIG and no task asks
 * it, this is the measure from before MIG was measured.
 */
static int64_t frag_of(const struct al__session *s, int32_t n, const int64_t *dev_used,
                       int64_t cpu_used, int64_t mem_used, const struct al_task *add) {
    const struct al_node *node = &s->cluster->nodes[n];
    const struct al__node_state *ns = &s->nodes[n];
    struct room r = {.dev_used = dev_used,
                     .cpu = node->cpu_millis - cpu_used,
                     .mem = node->memory_bytes - mem_used,
                     .mig_free = s->frag->mig_free};
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        r.idle_milli += (ns->gpus[g].capacity - dev_used[g]) * 1000 / ns->gpus[g].capacity;
        r.idle_devices += dev_used[g] == 0;
    }
    if (node->mig_count > 0)
        r.mig_milli = mig_idle(s, n, add, s->frag->mig_free);
    return (r.idle_milli > 0 ? gpu_frag(s, n, &r) : 0) + (r.mig_milli > 0 ? mig_frag(s, n, &r) : 0);
}

static int64_t node_frag_now(struct al__session *s, int32_t n) {
    struct al__frag *f = s->frag;
    if (f->node_frag[n] < 0) {
        const struct al__node_state *ns = &s->nodes[n];
        for (int32_t g = 0; g < ns->gpu_count; g++)
            f->dev_used[g] = ns->gpus[g].used;
        f->node_frag[n] = frag_of(s, n, f->dev_used, ns->used[AL_CPU], ns->used[AL_MEMORY], NULL);
    }
    return f->node_frag[n];
}

/* A hash of node n's state as the policy sees it (never 0): its label class (its shape: devices,
 * CPU, memory, labels), CPU, memory and devices' use, and its MIG instances offered and held
 * per profile (classes do not tell MIG offers apart: nodes alike but for them must differ). */
static uint64_t state_hash(const struct al__session *s, int32_t n) {
    const struct al__node_state *ns = &s->nodes[n];
    uint64_t h = 14695981039346656037ULL ^ (uint64_t)s->index.by_labels->class_of[n];
    h = (h ^ (uint64_t)ns->used[AL_CPU]) * 1099511628211ULL;
    h = (h ^ (uint64_t)ns->used[AL_MEMORY]) * 1099511628211ULL;
    for (int32_t g = 0; g < ns->gpu_count; g++)
        h = (h ^ (uint64_t)ns->gpus[g].used) * 1099511628211ULL;
    const struct al_node *node = &s->cluster->nodes[n];
    for (size_t k = 0; k < node->mig_count; k++) {
        for (const char *p = node->migs[k].profile; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        h = (h ^ (uint64_t)(uint32_t)node->migs[k].count) * 1099511628211ULL;
        h = (h ^ (uint64_t)(uint32_t)ns->migs[k].used) * 1099511628211ULL;
    }
    return h ? h : 1;
}

static uint64_t node_key(struct al__session *s, int32_t n) {
    struct al__frag *f = s->frag;
    if (f->node_key[n] == 0)
        f->node_key[n] = state_hash(s, n);
    return f->node_key[n];
}

/* The change of node n's fragmentation were task t placed on `gpus` there. */
static int64_t delta_on(struct al__session *s, int32_t n, const struct al_task *task,
                        const int32_t *gpus, int32_t gpu_count) {
    struct al__frag *f = s->frag;
    const struct al__node_state *ns = &s->nodes[n];
    for (int32_t g = 0; g < ns->gpu_count; g++)
        f->dev_used[g] = ns->gpus[g].used;
    for (int32_t i = 0; i < gpu_count; i++)
        f->dev_used[gpus[i]] += al__task_units(task, s->cluster->nodes[n].gpus[gpus[i]].memory_mib);
    return frag_of(s, n, f->dev_used, ns->used[AL_CPU] + task->cpu_millis,
                   ns->used[AL_MEMORY] + task->memory_bytes, task->mig_count ? task : NULL) -
           node_frag_now(s, n);
}

/*
 * The fragmentation change of task t on node n, where it fits now with devices `gpus`; a
 * single-device shared task may take another device with room instead (written to gpus[0]):
 * the one that fragments least, the most used first among equals, then the lowest index.
 */
static int64_t score_node(struct al__session *s, int32_t t, int32_t n, int32_t *gpus,
                          int32_t gpu_count) {
    struct al__frag *f = s->frag;
    const struct al_task *task = &s->cluster->tasks[t];
    int32_t shape = f->shapes.shape_of[t];
    uint64_t key = 0;
    struct al__frag_memo *slot = NULL;
    if (shape >= 0) {
        key = (node_key(s, n) ^ (uint64_t)shape * 0x9e3779b97f4a7c15ULL) | 1;
        slot = &f->memo[key % AL__FRAG_MEMO_SLOTS];
        if (slot->key == key) {
            if (slot->device >= 0)
                gpus[0] = slot->device;
            return slot->delta;
        }
    }
    int64_t best = delta_on(s, n, task, gpus, gpu_count);
    int32_t device = -1;
    if (al__task_is_shared(task) && task->gpu_devices == 1) {
        const struct al__node_state *ns = &s->nodes[n];
        device = gpus[0];
        for (int32_t g = 0; g < ns->gpu_count; g++) {
            int64_t units = al__task_units(task, s->cluster->nodes[n].gpus[g].memory_mib);
            if (g == gpus[0] || ns->gpus[g].capacity - ns->gpus[g].used < units)
                continue;
            int64_t d = delta_on(s, n, task, &g, 1);
            int64_t ug = ns->gpus[g].used, ub = ns->gpus[device].used;
            if (d < best || (d == best && (ug > ub || (ug == ub && g < device)))) {
                best = d;
                device = g;
            }
        }
        gpus[0] = device;
    }
    if (slot)
        *slot = (struct al__frag_memo){.key = key, .delta = best, .device = device};
    return best;
}

/* Unallocated GPU milli of node n (GPU tasks), its free MIG instances' milli (MIG tasks) or its
 * free CPU (CPU-only tasks). */
static int64_t leftover(struct al__session *s, int32_t n, const struct al_task *task,
                        bool gpu_task) {
    if (task->mig_count > 0)
        return mig_idle(s, n, NULL, s->frag->mig_free);
    if (!gpu_task)
        return s->cluster->nodes[n].cpu_millis - s->nodes[n].used[AL_CPU];
    return al__node_gpu_free(s, n);
}

struct candidate {
    int32_t node;
    bool no_gpus;
    int64_t delta, leftover;
    int32_t rank;
};

static bool candidate_better(const struct candidate *c, const struct candidate *best) {
    if (best->node < 0)
        return true;
    if (c->no_gpus != best->no_gpus)
        return c->no_gpus;
    if (c->delta != best->delta)
        return c->delta < best->delta;
    if (c->leftover != best->leftover)
        return c->leftover < best->leftover;
    return c->rank < best->rank;
}

struct scan {
    struct al__session *s;
    int32_t t;
    const struct al_task *task;
    const struct al__place_options *opt;
    bool gpu_task; /* asks devices (whole or shared); MIG tasks are scored too, not as CPU ones */
    struct candidate best;
    uint64_t last_key; /* the state of the node visited last, and how many before it had it */
    int32_t run;
    int32_t scored;  /* distinct states scored */
    int32_t visited; /* nodes looked at */
};

/* Whether a node in state `key` was already scored for this task (and marks it so). */
static bool seen(struct al__frag *f, uint64_t key) {
    size_t i = key % AL__FRAG_SEEN_SLOTS;
    for (size_t probe = 0; probe < AL__FRAG_SEEN_SLOTS;
         probe++, i = (i + 1) % AL__FRAG_SEEN_SLOTS) {
        if (f->seen_gen[i] != f->gen) {
            f->seen_gen[i] = f->gen;
            f->seen_key[i] = key;
            return false;
        }
        if (f->seen_key[i] == key)
            return true;
    }
    return false; /* full: score it again (never: the cap is below the slots) */
}

static enum al__candidate_next scan_node(int32_t n, void *ctx) {
    struct scan *sc = ctx;
    struct al__session *s = sc->s;
    int32_t count;
    bool mig = sc->task->mig_count > 0;
    if (!mig && ++sc->visited > AL__FRAG_MAX_VISITED)
        return AL__CANDIDATE_STOP;
    if (!al__place_allowed(s, sc->opt, n) ||
        !al__placement_fits(s, n, sc->task, false, s->scratch_gpus, &count))
        return AL__CANDIDATE_NEXT;
    /* The node index knows nothing of MIG instances: a MIG task's walk meets the nodes without
     * them in any number (binpack's walk passes them over too), so only the nodes it fits on
     * count against the bound; the check that refuses the others is O(its asks x profiles). */
    if (mig && ++sc->visited > AL__FRAG_MAX_VISITED)
        return AL__CANDIDATE_STOP;
    /* A node in a state already scored cannot win: it comes later in name order. A long run
     * of them (idle nodes, say) means the rest of its set's key is alike too. */
    uint64_t key = node_key(s, n);
    sc->run = key == sc->last_key ? sc->run + 1 : 0;
    sc->last_key = key;
    if (seen(s->frag, key))
        return sc->run >= AL__FRAG_ALIKE_RUN ? AL__CANDIDATE_SKIP : AL__CANDIDATE_NEXT;
    struct candidate c = {.node = n,
                          .no_gpus = !sc->gpu_task && sc->task->mig_count == 0 &&
                                     s->nodes[n].gpu_count == 0 &&
                                     s->cluster->nodes[n].mig_count == 0,
                          .rank = s->index.rank[n]};
    if (sc->best.node >= 0 && sc->best.no_gpus && !c.no_gpus)
        return AL__CANDIDATE_NEXT;
    c.delta = c.no_gpus ? 0 : score_node(s, sc->t, n, s->scratch_gpus, count);
    c.leftover = leftover(s, n, sc->task, sc->gpu_task);
    if (candidate_better(&c, &sc->best)) {
        sc->best = c;
        memcpy(s->best_gpus, s->scratch_gpus, (size_t)count * sizeof(int32_t));
    }
    return ++sc->scored >= AL__FRAG_MAX_SCORED ? AL__CANDIDATE_STOP : AL__CANDIDATE_NEXT;
}

bool al__placement_find_scored(struct al__session *s, int32_t t,
                               const struct al__place_options *opt, struct al__choice *out) {
    const struct al_task *task = &s->cluster->tasks[t];
    struct scan sc = {.s = s,
                      .t = t,
                      .task = task,
                      .opt = opt,
                      .gpu_task = task->gpus > 0 || al__task_is_shared(task),
                      .best = {.node = -1}};
    s->frag->gen++;
    al__placement_each_candidate(s, t, scan_node, &sc);
    struct al__placement_pick pick;
    al__placement_pick_init(&pick, t);
    if (sc.best.node >= 0) {
        pick.node = sc.best.node;
        pick.now = true;
        pick.gpu_count = task->gpus > 0 ? task->gpus : sc.gpu_task ? task->gpu_devices : 0;
        return al__placement_pick_done(s, &pick, out);
    }
    const struct al__node_partition *p = al__node_partition_for(s, task);
    const unsigned char *eligible = al__node_index_classes_for(s, t);
    const struct al__node_index *ix = &s->index; /* only capacity being released is left */
    for (int32_t i = 0; i < ix->releasing_count; i++) {
        int32_t n = ix->releasing[i];
        if (al__place_allowed(s, opt, n) && al__class_in(eligible, p->class_of[n]))
            al__placement_consider(s, &pick, n, false);
    }
    return al__placement_pick_done(s, &pick, out);
}

bool al__frag_check(const struct al__session *s) {
    struct al__frag *f = s->frag;
    for (int32_t n = 0; n < (int32_t)s->cluster->node_count; n++) {
        const struct al__node_state *ns = &s->nodes[n];
        if (f->node_key[n] != 0 && f->node_key[n] != state_hash(s, n))
            return false;
        if (f->node_frag[n] < 0)
            continue;
        for (int32_t g = 0; g < ns->gpu_count; g++)
            f->dev_used[g] = ns->gpus[g].used;
        if (frag_of(s, n, f->dev_used, ns->used[AL_CPU], ns->used[AL_MEMORY], NULL) !=
            f->node_frag[n])
            return false;
    }
    return true;
}
