/* placement.c - node and device choice for one task (see placement.h). */
#include "engine/placement.h"

#include "engine/node_index.h"
#include "engine/placement_scored.h"
#include "engine/quota.h"
#include "engine/reservation.h"
#include "engine/topology.h"
#include "util/wide.h"

#include <string.h>

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

/* How used device g counts for a shared task's device order: what it holds, or nothing when
 * all of it is being released (KAI counts such a device among the whole idle ones). */
static int64_t device_used(const struct al__gpu_state *g) {
    return g->used == g->releasing ? 0 : g->used;
}

/* Device a is a better home than b for a shared task (pack: most used; spread: least). */
static bool device_before(const struct al__node_state *ns, enum al_placement policy, int32_t a,
                          int32_t b) {
    int64_t ua = device_used(&ns->gpus[a]), ub = device_used(&ns->gpus[b]);
    if (ua != ub)
        return policy == AL_BINPACK ? ua > ub : ua < ub;
    return a < b;
}

/*
 * Shared devices with room for the task in device-placement order: with room now, or (future)
 * also those with room once what is being released there is gone, all in one order, as KAI's
 * device order does: under pack a half-used device whose other half is being released comes
 * before an idle one, and the task is pipelined there rather than open a new device.
 */
static int32_t pick_shared(const struct al__session *s, int32_t n, const struct al_task *task,
                           bool future, int32_t *out) {
    const struct al__node_state *ns = &s->nodes[n];
    int32_t k = 0;
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        int64_t units = al__task_units(task, s->cluster->nodes[n].gpus[g].memory_mib);
        if (device_room(&ns->gpus[g], future) < units)
            continue;
        int32_t i = k++; /* insertion into the ordered candidates */
        while (i > 0 && device_before(ns, s->cluster->config.gpu_device_placement, g, out[i - 1])) {
            out[i] = out[i - 1];
            i--;
        }
        out[i] = g;
    }
    return k;
}

/* Node n has a shared device partly (not wholly) being released: a shared task's device order
 * there may differ once capacity being released counts. */
static bool releasing_share(const struct al__node_state *ns) {
    for (int32_t g = 0; g < ns->gpu_count; g++)
        if (ns->gpus[g].releasing > 0 && ns->gpus[g].releasing < ns->gpus[g].used)
            return true;
    return false;
}

/* Node n has the MIG instances the task asks free (future: also those being released). */
static bool migs_fit(const struct al__session *s, int32_t n, const struct al_task *task,
                     bool future) {
    const struct al_node *node = &s->cluster->nodes[n];
    for (size_t i = 0; i < task->mig_count; i++) {
        int32_t k = al__node_mig_slot(node, task->migs[i].profile);
        if (k < 0)
            return false;
        const struct al__mig_state *m = &s->nodes[n].migs[k];
        if (node->migs[k].count - m->used + (future ? m->releasing : 0) < task->migs[i].count)
            return false;
    }
    return true;
}

bool al__placement_fits(const struct al__session *s, int32_t n, const struct al_task *task,
                        bool future, int32_t *gpus, int32_t *gpu_count) {
    if (s->cluster->nodes[n].unschedulable || al__reservation_blocks(s, n, task))
        return false;
    if (task->mig_count > 0 && !migs_fit(s, n, task, future))
        return false;
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
        if (task->gpu_memory_mib > 0 && /* its quota charge depends on the node's devices */
            !al__quota_admits_on_node(s, (int32_t)(task - s->cluster->tasks), n, gpus,
                                      task->gpu_devices))
            return false;
    }
    return true;
}

/* Node n's GPU milli being released, summed per device (the part of each device's share that
 * al__node_gpu_free does not count yet). */
static int64_t gpu_releasing(const struct al__node_state *ns) {
    int64_t more = 0;
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        const struct al__gpu_state *d = &ns->gpus[g];
        int64_t now = d->capacity - d->used, later = now + d->releasing;
        more +=
            (later > 0 ? later * 1000 / d->capacity : 0) - (now > 0 ? now * 1000 / d->capacity : 0);
    }
    return more;
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

/* Node n is a better home than the pick's best so far (which is set). */
static bool better(const struct al__session *s, const struct al__placement_pick *p,
                   const struct al__placement_pick *c) {
    const struct al_task *task = &s->cluster->tasks[p->task];
    if (c->shared_home != p->shared_home)
        return c->shared_home;
    if (c->now != p->now)
        return c->now;
    bool gpu_task = task->gpus > 0 || al__task_is_shared(task);
    if (!gpu_task && c->no_gpus != p->no_gpus)
        return c->no_gpus;
    enum al_placement policy =
        gpu_task ? s->cluster->config.gpu_placement : s->cluster->config.cpu_placement;
    if (policy != AL_SPREAD) { /* binpack (and allot, on capacity being released) */
        if (c->free != p->free)
            return c->free < p->free;
    } else { /* spread: the larger unallocated fraction */
        al__i128 fc = (al__i128)c->free * (p->total > 0 ? p->total : 1);
        al__i128 fp = (al__i128)p->free * (c->total > 0 ? c->total : 1);
        if (fc != fp)
            return fc > fp;
    }
    return c->rank < p->rank; /* equals: the first by name */
}

void al__placement_pick_init(struct al__placement_pick *p, int32_t t) {
    memset(p, 0, sizeof(*p));
    p->task = t;
    p->node = -1;
}

unsigned al__placement_consider(struct al__session *s, struct al__placement_pick *p, int32_t n,
                                bool now_only) {
    const struct al_task *task = &s->cluster->tasks[p->task];
    const struct al__node_state *ns = &s->nodes[n];
    int32_t count;
    bool now = al__placement_fits(s, n, task, false, s->scratch_gpus, &count);
    if (!now && (now_only || !al__placement_fits(s, n, task, true, s->scratch_gpus, &count)))
        return 0;
    /* The node fits now, but its devices are chosen as KAI chooses them: among every device
     * with room once released (al__placement_pick_done pipelines on one without room now). */
    if (now && al__task_is_shared(task) && releasing_share(ns))
        al__placement_fits(s, n, task, true, s->scratch_gpus, &count);
    struct al__placement_pick c = {.task = p->task,
                                   .node = n,
                                   .now = now,
                                   .no_gpus = ns->gpu_count == 0,
                                   .rank = s->index.rank[n],
                                   .gpu_count = count};
    bool gpu_task = task->gpus > 0 || al__task_is_shared(task);
    c.shared_home = al__task_is_shared(task) && s->cluster->config.shared_gpu_node_preference &&
                    has_shared_home(s, n, task);
    if (gpu_task) {
        /* binpack counts what is being released as unallocated, as KAI's does (a victim placed
         * again prefers a node that stays full to the one it is leaving) */
        c.free = al__node_gpu_free(s, n);
        if (s->cluster->config.gpu_placement != AL_SPREAD && s->index.releasing_at[n] >= 0)
            c.free += gpu_releasing(ns);
        c.total = (int64_t)ns->gpu_count * 1000;
    } else {
        c.free = free_of(s, n, AL_CPU, false);
        c.total = s->cluster->nodes[n].cpu_millis;
    }
    if (p->node < 0 || better(s, p, &c)) {
        *p = c;
        memcpy(s->best_gpus, s->scratch_gpus, (size_t)count * sizeof(int32_t));
    }
    return (now ? AL__FITS_NOW : 0) | (c.shared_home ? AL__SHARED_HOME : 0);
}

bool al__placement_pick_done(const struct al__session *s, const struct al__placement_pick *p,
                             struct al__choice *out) {
    const struct al_task *task = &s->cluster->tasks[p->task];
    if (p->node < 0)
        return false;
    out->node = p->node;
    out->gpus = s->best_gpus;
    out->gpu_count = p->gpu_count;
    out->pipelined = !p->now;
    for (int32_t i = 0; i < p->gpu_count && al__task_is_shared(task); i++) {
        const struct al__gpu_state *g = &s->nodes[p->node].gpus[s->best_gpus[i]];
        int32_t memory_mib = s->cluster->nodes[p->node].gpus[s->best_gpus[i]].memory_mib;
        if (g->pipelined > 0 || device_room(g, false) < al__task_units(task, memory_mib))
            out->pipelined = true;
    }
    return true;
}

/* ---- walking the index ---- */

struct walk {
    struct al__session *s;
    const struct al__place_options *opt;
    const struct al__node_partition *p;
    struct al__placement_pick *pick;
    const struct al__treap *tree;
    bool first_fit;  /* stop at the first node that fits now (and its equals by key) */
    bool need_home;  /* ... and is a shared home (shared-device walks, when preferred) */
    bool descending; /* a descending walk meets equal keys last name first: see them all */
    bool found;
    int64_t found_key;
    /* Whole-GPU and CPU tasks: stop where the walk's keys can no longer beat the pick. */
    bool prune;
    int64_t class_total; /* the walked class's total of the key's resource */
};

/* A node of the walked class with `key` (and fitting now) could still beat the pick. */
static bool may_beat(const struct walk *w, int64_t key) {
    const struct al__placement_pick *p = w->pick;
    if (!w->prune || p->node < 0 || !p->now || (w->need_home && !p->shared_home))
        return true;
    if (!w->descending) /* binpack: the least free, equals by name */
        return key <= p->free;
    return (al__i128)key * (p->total > 0 ? p->total : 1) >=
           (al__i128)p->free * (w->class_total > 0 ? w->class_total : 1);
}

bool al__place_allowed(const struct al__session *s, const struct al__place_options *opt,
                       int32_t n) {
    if (!opt)
        return true;
    if (opt->topology && !al__topology_allows(opt->topology, n))
        return false;
    if (!opt->class_ok)
        return true;
    return opt->class_ok[s->index.by_labels->class_of[n]] || (opt->node_ok && opt->node_ok[n]);
}

static bool visit(int32_t n, void *ctx) {
    struct walk *w = ctx;
    if ((w->found && w->tree->key[n] != w->found_key) || !may_beat(w, w->tree->key[n]))
        return true;
    if (!al__place_allowed(w->s, w->opt, n))
        return false;
    unsigned fit = al__placement_consider(w->s, w->pick, n, true);
    if (!(fit & AL__FITS_NOW) || !w->first_fit || (w->need_home && !(fit & AL__SHARED_HOME)))
        return false;
    if (!w->descending && w->tree != &w->p->cpu && w->s->index.releasing_at[n] >= 0)
        return false; /* its GPU binpack key counts more than the walk's: later nodes may win */
    w->found = true;
    w->found_key = w->tree->key[n];
    return !w->descending;
}

static void walk(struct walk *w, const struct al__treap *tree, int32_t root, int64_t lo,
                 bool first_fit, bool descending) {
    w->tree = tree;
    w->first_fit = first_fit;
    w->descending = descending;
    w->found = false;
    w->need_home = false;
    al__treap_walk(tree, root, lo, descending, visit, w);
}

/* The nodes of class c with at least `devices` idle devices: the first that fits now in
 * placement order, per count of idle devices. */
static void walk_whole(struct walk *w, const struct al__node_class *cl, int32_t devices,
                       bool descending, bool prune) {
    w->prune = prune;
    w->class_total = (int64_t)cl->gpu_count * 1000;
    for (int32_t k = devices; k <= cl->gpu_count; k++)
        walk(w, &w->p->whole, cl->whole_roots[k], 0, true, descending);
}

/* The least room a shared device of class c must have for the task. */
static int64_t shared_need(const struct al__node_class *cl, const struct al_task *task) {
    return al__task_units(task, cl->min_memory_mib);
}

/* The nodes of class c with a shared device that may have room for the task, in placement
 * order: the first that is a shared home and fits now (every one that fits, when shared
 * homes are not preferred, stops at the first). */
static void walk_shared(struct walk *w, const struct al__node_class *cl, const struct al_task *task,
                        bool descending, bool prefer) {
    w->tree = &w->p->shared;
    w->first_fit = true;
    w->need_home = prefer;
    w->descending = descending;
    w->found = false;
    w->prune = true;
    w->class_total = (int64_t)cl->gpu_count * 1000;
    al__treap_walk_min(w->tree, cl->shared_root, 0, shared_need(cl, task), descending, visit, w);
}

/* One set's walk for al__placement_each_candidate: the visitor's answer, and where it was. */
struct candidate_walk {
    al__candidate_visit each;
    void *ctx;
    enum al__candidate_next next;
    int32_t at;
};

static bool candidate_step(int32_t n, void *ctx) {
    struct candidate_walk *cw = ctx;
    cw->next = cw->each(n, cw->ctx);
    cw->at = n;
    return cw->next != AL__CANDIDATE_NEXT;
}

/* Walks set `root` of tree from key lo (values of at least min_aug when tree has them); false
 * when the visitor said stop. */
static bool candidate_walk(const struct al__treap *tree, int32_t root, int64_t lo, int64_t min_aug,
                           struct candidate_walk *cw) {
    for (;;) {
        cw->next = AL__CANDIDATE_NEXT;
        if (tree->aug)
            al__treap_walk_min(tree, root, lo, min_aug, false, candidate_step, cw);
        else
            al__treap_walk(tree, root, lo, false, candidate_step, cw);
        if (cw->next != AL__CANDIDATE_SKIP)
            return cw->next != AL__CANDIDATE_STOP;
        if (tree->key[cw->at] == INT64_MAX)
            return true;
        lo = tree->key[cw->at] + 1;
    }
}

void al__placement_each_candidate(struct al__session *s, int32_t t, al__candidate_visit each,
                                  void *ctx) {
    const struct al_task *task = &s->cluster->tasks[t];
    const struct al__node_partition *p = al__node_partition_for(s, task);
    const unsigned char *eligible = al__node_index_classes_for(s, t);
    bool shared = al__task_is_shared(task), cpu_only = task->gpus == 0 && !shared;
    struct candidate_walk cw = {.each = each, .ctx = ctx};
    al__node_index_ready(s, p, cpu_only);
    for (int32_t c = 0; c < p->class_count; c++) {
        const struct al__node_class *cl = &p->classes[c];
        if (!al__class_in(eligible, c))
            continue;
        if (cpu_only) {
            if (!candidate_walk(&p->cpu, cl->cpu_root, task->cpu_millis, 0, &cw))
                return;
            continue;
        }
        if (shared && !candidate_walk(&p->shared, cl->shared_root, 0, shared_need(cl, task), &cw))
            return;
        for (int32_t w = shared ? 1 : task->gpus; w <= cl->gpu_count; w++)
            if (!candidate_walk(&p->whole, cl->whole_roots[w], 0, 0, &cw))
                return;
    }
}

bool al__placement_find(struct al__session *s, int32_t t, const struct al__place_options *opt,
                        struct al__choice *out) {
    const struct al_task *task = &s->cluster->tasks[t];
    if (s->frag &&
        (task->gpus > 0 || al__task_is_shared(task) ? s->cluster->config.gpu_placement == AL_ALLOT
                                                    : s->cluster->config.cpu_placement == AL_ALLOT))
        return al__placement_find_scored(s, t, opt, out);
    const struct al__node_index *ix = &s->index;
    const struct al__node_partition *p = al__node_partition_for(s, task);
    const struct al_config *config = &s->cluster->config;
    struct al__placement_pick pick;
    al__placement_pick_init(&pick, t);
    struct walk w = {.s = s, .opt = opt, .p = p, .pick = &pick};
    const unsigned char *eligible = al__node_index_classes_for(s, t);
    al__node_index_ready(s, p, task->gpus == 0 && !al__task_is_shared(task));
    bool shared = al__task_is_shared(task), spread = config->gpu_placement == AL_SPREAD;
    for (int32_t c = 0; c < p->class_count && shared; c++) /* shared devices may win */
        if (al__class_in(eligible, c))
            walk_shared(&w, &p->classes[c], task, spread, config->shared_gpu_node_preference);
    if (pick.node >= 0 && pick.shared_home && pick.now)
        return al__placement_pick_done(s, &pick, out);
    for (int32_t c = 0; c < p->class_count; c++) {
        const struct al__node_class *cl = &p->classes[c];
        if (!al__class_in(eligible, c))
            continue;
        if (task->gpus > 0 || shared) {
            walk_whole(&w, cl, shared ? task->gpu_devices : task->gpus, spread, true);
            continue;
        }
        bool no_gpus = cl->gpu_count == 0, picked = pick.node >= 0 && pick.now;
        if (picked && pick.no_gpus && !no_gpus)
            continue; /* CPU tasks prefer nodes without GPUs: this class cannot win */
        w.prune = !(picked && no_gpus && !pick.no_gpus);
        w.class_total = cl->cpu_millis;
        walk(&w, &p->cpu, cl->cpu_root, task->cpu_millis, true, config->cpu_placement == AL_SPREAD);
    }
    /* Nodes being released are the only ones a task fits on "in the future", which ranks
     * below fitting now, unless the node is a shared home: a shared task looks at them
     * always, others only when nothing fits now. */
    for (int32_t i = 0; i < ix->releasing_count && (shared || pick.node < 0 || !pick.now); i++) {
        int32_t n = ix->releasing[i];
        if (al__place_allowed(s, opt, n) && al__class_in(eligible, p->class_of[n]))
            al__placement_consider(s, &pick, n, false);
    }
    return al__placement_pick_done(s, &pick, out);
}

/* The most free GPU of node n for the task's explanation: idle devices for whole-GPU tasks,
 * else the largest unallocated part of one device, in milli-GPU. */
static int64_t gpu_free_for(const struct al__session *s, int32_t n, const struct al_task *task) {
    const struct al__node_state *ns = &s->nodes[n];
    int64_t gpu = 0;
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        int64_t room = device_room(&ns->gpus[g], false);
        if (task->gpus > 0)
            gpu += ns->gpus[g].used == 0 ? 1000 : 0;
        else if (room * 1000 / ns->gpus[g].capacity > gpu)
            gpu = room * 1000 / ns->gpus[g].capacity;
    }
    return gpu;
}

struct most_gpu {
    const struct al__session *s;
    const struct al_task *task;
    int64_t best;
};

static bool visit_gpu(int32_t n, void *ctx) {
    struct most_gpu *m = ctx;
    int64_t gpu = gpu_free_for(m->s, n, m->task);
    m->best = gpu > m->best ? gpu : m->best;
    return false;
}

/* The most free GPU on a node of class c (see gpu_free_for), from the index. */
static int64_t class_gpu_free(const struct al__session *s, const struct al__node_partition *ix,
                              const struct al__node_class *cl, const struct al_task *task) {
    int32_t idle = 0;
    for (int32_t w = cl->gpu_count; w > 0 && idle == 0; w--)
        idle = cl->whole_roots[w] >= 0 ? w : 0;
    if (task->gpus > 0 || idle > 0)
        return task->gpus > 0 ? (int64_t)idle * 1000 : 1000;
    /* no idle device: partly used devices with room are shared ones (or being released) */
    struct most_gpu m = {.s = s, .task = task};
    if (cl->gpu_count == 0)
        return 0;
    if (cl->min_memory_mib == cl->max_memory_mib)
        m.best = al__treap_max_aug(&ix->shared, cl->shared_root) / cl->min_memory_mib;
    else
        al__treap_walk(&ix->shared, cl->shared_root, INT64_MIN, true, visit_gpu, &m);
    return m.best;
}

/* The first MIG profile the task asks that no matching node has enough of free (1-based, 0:
 * none), the most free of it on one matching node (-1: none offers it) and the most free or
 * being released on one (-1 likewise). */
static void mig_shortfall(const struct al__session *s, const struct al_task *task,
                          struct al_explanation *e) {
    e->mig_short = 0;
    e->mig_free = 0;
    e->mig_releasing = 0;
    for (size_t i = 0; i < task->mig_count; i++) {
        int32_t most = -1, later = -1;
        for (size_t n = 0; n < s->cluster->node_count; n++) {
            const struct al_node *node = &s->cluster->nodes[n];
            int32_t k = al__node_mig_slot(node, task->migs[i].profile);
            if (k < 0 || node->migs[k].count <= 0 || !al__node_matches(node, task))
                continue;
            const struct al__mig_state *m = &s->nodes[n].migs[k];
            int32_t room = node->migs[k].count - m->used;
            most = room > most ? room : most < 0 ? 0 : most;
            room += m->releasing;
            later = room > later ? room : later < 0 ? 0 : later;
        }
        if (most < task->migs[i].count) {
            e->mig_short = (int32_t)i + 1;
            e->mig_free = most;
            e->mig_releasing = later;
            return;
        }
    }
}

/* Counts the nodes matching task that reservations keep from it (reservation.h), and the
 * earliest of their starts. */
static void reserved_shortfall(const struct al__session *s, const struct al_task *task,
                               struct al_explanation *e) {
    e->nodes_reserved = 0;
    for (size_t n = 0; s->reserved_by && n < s->cluster->node_count; n++)
        if (al__reservation_blocks(s, (int32_t)n, task) &&
            al__node_matches(&s->cluster->nodes[n], task)) {
            if (e->nodes_reserved++ == 0 || s->reserved_from[n] < e->reserved_from_s)
                e->reserved_from_s = s->reserved_from[n];
        }
}

/* best_free over the matching nodes that reservations do not keep from the task, node by node
 * (the index's classes mix reserved nodes with the others). O(nodes x devices). */
static void best_free_unreserved(const struct al__session *s, const struct al__node_partition *p,
                                 const unsigned char *match, const struct al_task *task,
                                 struct al_explanation *e) {
    for (size_t i = 0; i < s->cluster->node_count; i++) {
        int32_t n = (int32_t)i;
        if (!al__class_in(match, p->class_of[n]) || al__reservation_blocks(s, n, task))
            continue;
        int64_t now[AL_RESOURCE_COUNT] = {
            gpu_free_for(s, n, task), s->cluster->nodes[n].cpu_millis - s->nodes[n].used[AL_CPU],
            s->cluster->nodes[n].memory_bytes - s->nodes[n].used[AL_MEMORY]};
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            e->best_free[r] = now[r] > e->best_free[r] ? now[r] : e->best_free[r];
    }
}

void al__placement_shortfall(struct al__session *s, int32_t t, struct al_explanation *e) {
    const struct al_task *task = &s->cluster->tasks[t];
    const struct al__node_index *ix = &s->index;
    const struct al__node_partition *p = al__node_partition_for(s, task);
    al__node_index_ready(s, p, true);
    e->task = t;
    al__task_request(s, t, AL__REQUEST_ADMISSION, e->requested_task);
    e->nodes_matching = 0;
    memset(e->best_free, 0, sizeof(e->best_free));
    const unsigned char *match = al__node_index_matching(s, t);
    reserved_shortfall(s, task, e);
    for (int32_t c = 0; c < p->class_count; c++) {
        const struct al__node_class *cl = &p->classes[c];
        if (!al__class_in(match, c))
            continue;
        e->nodes_matching += cl->size;
        if (e->nodes_reserved > 0) /* best_free_unreserved below */
            continue;
        int32_t cpu = al__treap_last(&p->cpu, cl->cpu_root);
        int32_t mem = al__treap_last(&p->mem, cl->mem_root);
        int64_t now[AL_RESOURCE_COUNT] = {class_gpu_free(s, p, cl, task), p->cpu.key[cpu],
                                          p->mem.key[mem]};
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            e->best_free[r] = now[r] > e->best_free[r] ? now[r] : e->best_free[r];
    }
    for (int32_t i = 0; i < ix->releasing_count; i++) { /* devices partly being released */
        int32_t n = ix->releasing[i];
        if (!al__node_matches(&s->cluster->nodes[n], task) || al__reservation_blocks(s, n, task))
            continue;
        int64_t gpu = gpu_free_for(s, n, task);
        e->best_free[AL_GPU] = gpu > e->best_free[AL_GPU] ? gpu : e->best_free[AL_GPU];
    }
    if (e->nodes_reserved > 0) /* a job kept off reserved nodes: the free where it may go */
        best_free_unreserved(s, p, match, task, e);
    mig_shortfall(s, task, e);
}
