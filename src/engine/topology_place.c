/* topology_place.c - placing topology-constrained tasks: candidate domains by bin-packing,
 * nodes inside a domain by proximity (see topology.h). */
#include "engine/topology.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/job_steps.h"
#include "engine/node_index.h"
#include "engine/statement.h"
#include "util/wide.h"

/* The tasks of a job that share one constraint: the job's, or one subgroup's. */
struct group {
    const struct al_topology_constraint *k;
    const struct al__topo_tree *tree;
    int32_t subgroup; /* -1: the job's constraint */
};

/* What a group's tasks ask: in sum, each (when alike), and the first of them. */
struct ask {
    int32_t n;
    int64_t req[AL_RESOURCE_COUNT], one[AL_RESOURCE_COUNT];
    const struct al_task *like;
    bool same; /* every task asks what the first does: a domain must hold each on a node */
};

/* What the required level's domains had, for an explanation when none had room. */
struct shortfall {
    int32_t domains;
    int32_t bound_tasks; /* the group's tasks placed before, holding it to their domain */
    int32_t best;        /* -1 */
    int64_t free[AL_RESOURCE_COUNT];
};

/* A task that binds its group's place: placed and not leaving. */
static bool holds_place(enum al_task_state state) {
    return state == AL_TASK_ALLOCATED || state == AL_TASK_PIPELINED || state == AL_TASK_BOUND ||
           state == AL_TASK_RUNNING;
}

static bool in_group(const struct al__session *s, int32_t t, int32_t subgroup) {
    return subgroup < 0 || s->cluster->tasks[t].subgroup == subgroup;
}

/* Domain `id` of depth d, one level up at depth `up` (<= d). */
static int32_t ancestor(const struct al__topo_tree *tree, int32_t d, int32_t id, int32_t up) {
    for (; d > up && d > 0; d--)
        id = tree->parent[d][id];
    return id;
}

/* Tasks [0..n) all ask the same of a node as the first (then per-node counts apply). */
static bool alike(const struct al__session *s, const int32_t *tasks, int32_t n) {
    const struct al_task *a = &s->cluster->tasks[tasks[0]];
    for (int32_t i = 1; i < n; i++) {
        const struct al_task *b = &s->cluster->tasks[tasks[i]];
        if (a->gpus != b->gpus || a->gpu_milli != b->gpu_milli ||
            a->gpu_memory_mib != b->gpu_memory_mib || a->gpu_devices != b->gpu_devices ||
            a->cpu_millis != b->cpu_millis || a->memory_bytes != b->memory_bytes)
            return false;
    }
    return true;
}

/* The largest share of a domain's free resources the request takes, parts per million (above
 * a million when it does not fit; KAI's requiredResourceNotInDomainRatio for a resource the
 * domain has none of). */
static int64_t fullness(const int64_t req[AL_RESOURCE_COUNT],
                        const int64_t free[AL_RESOURCE_COUNT]) {
    int64_t most = 0;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        if (req[r] <= 0)
            continue;
        int64_t part;
        if (free[r] <= 0)
            part = (int64_t)1000 * 1000000;
        else if (req[r] <= INT64_MAX / 1000000) /* the usual case: no 128-bit division */
            part = req[r] * 1000000 / free[r];
        else {
            al__i128 wide = (al__i128)req[r] * 1000000 / free[r];
            part = wide > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)wide;
        }
        most = part > most ? part : most;
    }
    return most;
}

/* The request fits in the domain's free resources, in sum. */
static bool fits_in(const int64_t req[AL_RESOURCE_COUNT], const int64_t free[AL_RESOURCE_COUNT]) {
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        if (req[r] > 0 && free[r] < req[r])
            return false;
    return true;
}

/* The resource that names a domain's size in explanations: GPU when asked for, else CPU,
 * else memory. */
static int main_resource(const int64_t req[AL_RESOURCE_COUNT]) {
    return req[AL_GPU] > 0 ? AL_GPU : req[AL_CPU] > 0 ? AL_CPU : AL_MEMORY;
}

/* Marks the domains of the required depth that hold the group's placed tasks; returns how many
 * such tasks there are (0: the group is not bound yet). */
static int32_t mark_bound(const struct al__session *s, int32_t j, const struct group *g,
                          struct al__topo_slot *sl) {
    const struct al_job *job = &s->cluster->jobs[j];
    int32_t req = g->k->required_level, bound = 0;
    memset(sl->bound, 0, (size_t)g->tree->domain_count[req]);
    for (size_t i = 0; i < job->task_count; i++) {
        int32_t t = (int32_t)(job->first_task + i);
        const struct al__task_state *ts = &s->tasks[t];
        if (!holds_place(ts->state) || ts->node < 0 || !in_group(s, t, g->subgroup))
            continue;
        int32_t id = g->tree->domain_of[req][ts->node];
        if (id >= 0) {
            sl->bound[id] = 1;
            bound++;
        }
    }
    return bound;
}

/* Where depth d's domains start in a slot's fullness. */
static int64_t depth_start(const struct al__topo_tree *tree, int32_t d) {
    int64_t at = 0;
    for (int32_t e = 1; e < d; e++)
        at += tree->domain_count[e];
    return at;
}

static int by_preference(int32_t a, int32_t b, const void *ctx) {
    const struct al__topo_slot *sl = ctx;
    const struct al__topo_tree *tree = sl->tree;
    const struct al__topo_candidate *x = &sl->candidates[a], *y = &sl->candidates[b];
    if (x->depth != y->depth)
        return x->depth > y->depth ? -1 : 1;
    for (int32_t e = 1; e <= x->depth; e++) {
        int32_t ax = ancestor(tree, x->depth, x->domain, e);
        int32_t ay = ancestor(tree, y->depth, y->domain, e);
        if (ax == ay)
            continue;
        int64_t at = depth_start(tree, e);
        int64_t fx = sl->fullness[at + ax], fy = sl->fullness[at + ay];
        if (fx != fy)
            return fx > fy ? -1 : 1;
        return ax < ay ? -1 : 1;
    }
    return 0;
}

/* Notes domain id of the required depth for the explanation: the one with the most free of
 * the request's main resource, the first by labels among equals. */
static void note_shortfall(struct shortfall *sf, const int64_t free[AL_RESOURCE_COUNT], int32_t id,
                           int main) {
    sf->domains++;
    if (sf->best >= 0 && free[main] <= sf->free[main])
        return;
    sf->best = id;
    memcpy(sf->free, free, sizeof(sf->free));
}

/*
 * The group's candidate domains, in sl->heap in the order they are tried (a heap: usually the
 * first is taken, and sorting them all would cost more): from the preferred depth up to the
 * required one, those with room in sum, inside `outer`, in the bound domain of the required
 * depth when the group has placed tasks; then the whole of `outer` when no level is required.
 * (Whether a domain's nodes hold alike tasks one by one is asked when it is tried.) Returns
 * how many. O(domains of the levels up to the preferred one).
 */
static int32_t candidates(struct al__session *s, int32_t j, const struct group *g,
                          const struct ask *a, const struct al__topo_limit *outer,
                          struct al__topo_slot *sl, struct shortfall *sf) {
    int32_t required = g->k->required_level;
    int32_t preferred = g->k->preferred_level > 0 ? g->k->preferred_level : required;
    sf->bound_tasks = required > 0 ? mark_bound(s, j, g, sl) : 0;
    bool bound = sf->bound_tasks > 0;
    int main = main_resource(a->req);
    int32_t k = 0;
    *sf = (struct shortfall){.best = -1, .bound_tasks = sf->bound_tasks};
    sl->widest = required;
    sl->tree = g->tree;
    const int64_t(*sums)[AL_RESOURCE_COUNT] =
        al__topology_sums(s, g->tree, preferred, outer, sl->free);
    for (int32_t d = preferred; d > 0; d--) { /* every depth's fullness: the sort's keys */
        int64_t at = depth_start(g->tree, d);
        for (int32_t id = 0; id < g->tree->domain_count[d]; id++) {
            sl->fullness[at + id] = fullness(a->req, sums[at + id]);
            if (d < required || (bound && !sl->bound[ancestor(g->tree, d, id, required)]))
                continue;
            if (d == required)
                note_shortfall(sf, sums[at + id], id, main);
            if (!fits_in(a->req, sums[at + id]))
                continue;
            sl->candidates[k] = (struct al__topo_candidate){d, id};
            sl->order[k] = k;
            k++;
            sl->widest = d;
        }
    }
    if (required == 0) { /* the whole of outer: no level required */
        sl->candidates[k] = (struct al__topo_candidate){0, 0};
        sl->order[k] = k;
        k++;
        sl->widest = 0;
    }
    al__heap_init(&sl->heap, sl->order, (size_t)k + 1, by_preference, sl);
    sl->heap.count = (size_t)k;
    al__heap_restore(&sl->heap);
    return k;
}

/* What a group asks (tasks[0..n), n >= 1). */
static void ask_of(const struct al__session *s, const int32_t *tasks, int32_t n, struct ask *a) {
    a->n = n;
    a->like = &s->cluster->tasks[tasks[0]];
    a->same = alike(s, tasks, n);
    al__tasks_request(s, tasks, n, a->req);
    al__tasks_request(s, tasks, 1, a->one);
}

/* Candidate c may hold the group: alike tasks need a node each. */
static bool may_hold(const struct al__session *s, const struct group *g, const struct ask *a,
                     const struct al__topo_candidate *c, const struct al__topo_limit *outer) {
    if (!a->same || c->depth == 0)
        return true;
    struct al__topo_limit domain = {g->tree, c->depth, c->domain};
    return al__topology_holds(s, &domain, outer, a->like, a->one, a->n) >= a->n;
}

/* *why for a group no domain of its required level had room for. */
static void explain_no_domain(const struct al__session *s, struct al_explanation *why,
                              const struct group *g, const struct ask *a,
                              const struct al__topo_limit *outer, const struct shortfall *sf) {
    if (!why)
        return;
    int32_t n = a->n;
    struct al__topo_limit best = {g->tree, g->k->required_level, sf->best};
    int64_t holds = sf->best < 0 ? 0 : al__topology_holds(s, &best, outer, a->like, a->one, n);
    why->reason = AL_REASON_TOPOLOGY;
    why->task = -1;
    why->topology_level = g->k->required_level;
    why->topology_subgroup = (int16_t)g->subgroup; /* < INT16_MAX (al__session_init) */
    why->needed = n;
    why->placeable = (int32_t)(holds < n ? holds : n);
    why->nodes_matching = sf->domains;
    why->allocated = sf->bound_tasks;
    memcpy(why->requested_task, a->req, sizeof(why->requested_task));
    memcpy(why->best_free, sf->free, sizeof(why->best_free));
}

/* A node of the group's placed tasks inside the scope (the first in task order), -1. */
static int32_t group_anchor(const struct al__session *s, int32_t j, int32_t subgroup,
                            const struct al__topology_scope *sc) {
    const struct al_job *job = &s->cluster->jobs[j];
    for (size_t i = 0; i < job->task_count; i++) {
        int32_t t = s->jobs[j].order[i];
        const struct al__task_state *ts = &s->tasks[t];
        if (holds_place(ts->state) && ts->node >= 0 && in_group(s, t, subgroup) &&
            al__topology_allows(sc, ts->node))
            return ts->node;
    }
    return -1;
}

/* Tries tasks[0..n) of group g in each candidate domain (limit: the scope's restriction for
 * g) until one holds them all. The first domain of the widest level tried explains a failure;
 * none tried, no domain of the required level had room. */
static int place_group(struct al__session *s, int32_t j, const struct group *g,
                       const int32_t *tasks, int32_t n, const struct al__place_options *o,
                       struct al__topo_limit *limit, struct al__topo_slot *sl,
                       const struct al__topo_limit *outer, bool *placed,
                       struct al_explanation *why) {
    struct al__topology_scope *sc = o->topology;
    struct ask a;
    struct shortfall sf;
    ask_of(s, tasks, n, &a);
    int32_t k = candidates(s, j, g, &a, outer, sl, &sf);
    *placed = false;
    if (k < 0)
        return k;
    bool explained = false;
    for (int32_t i; !*placed && (i = al__heap_pop(&sl->heap)) >= 0;) {
        const struct al__topo_candidate *c = &sl->candidates[i];
        if (!may_hold(s, g, &a, c, outer))
            continue;
        bool explains = !explained && c->depth == sl->widest;
        explained |= explains;
        *limit = (struct al__topo_limit){g->tree, c->depth, c->domain};
        sc->near = g->tree;
        sc->near_from = c->depth;
        sc->anchor = group_anchor(s, j, g->subgroup, sc);
        int rc = al__place_plain(s, j, tasks, n, o, placed, explains ? why : NULL);
        if (rc < 0)
            return rc;
    }
    if (*placed || !why)
        return 0;
    if (!explained)
        explain_no_domain(s, why, g, &a, outer, &sf);
    else if (g->k->required_level > 0) {
        why->topology_level = g->k->required_level;
        why->topology_subgroup = (int16_t)g->subgroup;
    }
    return 0;
}

/* A gang with any task pipelined is pipelined whole (groups are placed one by one). */
static int pipeline_whole(struct al__session *s, struct al__statement *st, int32_t j) {
    const struct al_job *job = &s->cluster->jobs[j];
    bool any = false;
    for (size_t i = 0; i < job->task_count; i++)
        any |= s->tasks[job->first_task + i].state == AL_TASK_PIPELINED;
    for (size_t i = 0; any && i < job->task_count; i++) {
        int32_t t = (int32_t)(job->first_task + i);
        if (s->tasks[t].state == AL_TASK_ALLOCATED) {
            int rc = al__statement_pipeline(st, t);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Places the tasks inside the job's domain (o->topology->job): each constrained subgroup's in
 * a domain of its own, then the others. */
static int place_inside(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                        const struct al__place_options *o, const struct group *job_group,
                        bool *placed_all, struct al_explanation *why) {
    const struct al_job *job = &s->cluster->jobs[j];
    struct al__topology_scope *sc = o->topology;
    int32_t *sub = s->topo->group_tasks, *rest = s->topo->rest_tasks, rest_count = 0;
    struct al__statement st;
    al__statement_begin(&st, s);
    *placed_all = true;
    for (int32_t i = 0; i < n; i++) {
        int32_t g = s->cluster->tasks[tasks[i]].subgroup;
        const struct al_topology_constraint *k = g >= 0 ? &job->subgroups[g].topology : NULL;
        if (!k || (k->required_level == 0 && k->preferred_level == 0))
            rest[rest_count++] = tasks[i];
    }
    for (size_t g = 0; g < job->subgroup_count && *placed_all; g++) {
        const struct al_topology_constraint *k = &job->subgroups[g].topology;
        int32_t m = 0;
        for (int32_t i = 0; i < n && (k->required_level > 0 || k->preferred_level > 0); i++)
            if (s->cluster->tasks[tasks[i]].subgroup == (int32_t)g)
                sub[m++] = tasks[i];
        if (m == 0)
            continue;
        struct group sg = {k, &s->topo->trees[k->topology], (int32_t)g};
        int rc = place_group(s, j, &sg, sub, m, o, &sc->subgroup, &s->topo->slots[1], &sc->job,
                             placed_all, why);
        sc->subgroup.depth = 0;
        if (rc < 0) {
            al__statement_discard(&st);
            return rc;
        }
    }
    if (*placed_all && rest_count > 0) {
        sc->near = job_group ? job_group->tree : NULL;
        sc->near_from = sc->job.depth;
        sc->anchor = group_anchor(s, j, -1, sc);
        int rc = al__place_plain(s, j, rest, rest_count, o, placed_all, why);
        if (rc < 0) {
            al__statement_discard(&st);
            return rc;
        }
    }
    int rc = *placed_all ? pipeline_whole(s, &st, j) : 0;
    if (rc < 0 || !*placed_all)
        al__statement_discard(&st);
    else
        al__statement_commit(&st);
    return rc;
}

/* Tries the job's candidate domains in order, each with place_inside (explained as
 * place_group's). */
static int place_job(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                     const struct al__place_options *o, const struct group *g, bool *placed_all,
                     struct al_explanation *why) {
    struct al__topology_scope *sc = o->topology;
    struct al__topo_slot *sl = &s->topo->slots[0];
    struct al__topo_limit none = {0};
    struct ask a;
    struct shortfall sf;
    ask_of(s, tasks, n, &a);
    int32_t k = candidates(s, j, g, &a, &none, sl, &sf);
    *placed_all = false;
    if (k < 0)
        return k;
    bool explained = false;
    for (int32_t i; !*placed_all && (i = al__heap_pop(&sl->heap)) >= 0;) {
        const struct al__topo_candidate *c = &sl->candidates[i];
        if (!may_hold(s, g, &a, c, &none))
            continue;
        bool explains = !explained && c->depth == sl->widest;
        explained |= explains;
        sc->job = (struct al__topo_limit){g->tree, c->depth, c->domain};
        int rc = place_inside(s, j, tasks, n, o, g, placed_all, explains ? why : NULL);
        if (rc < 0)
            return rc;
    }
    if (*placed_all || !why)
        return 0;
    if (!explained)
        explain_no_domain(s, why, g, &a, &none, &sf);
    else if (g->k->required_level > 0 && why->reason != AL_REASON_TOPOLOGY) {
        why->topology_level = g->k->required_level;
        why->topology_subgroup = -1;
    }
    return 0;
}

int al__topology_place(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                       const struct al__place_options *opt, bool *placed_all,
                       struct al_explanation *why) {
    const struct al_job *job = &s->cluster->jobs[j];
    struct al__topology_scope scope = {.anchor = -1};
    struct al__place_options o = opt ? *opt : (struct al__place_options){0};
    o.topology = &scope;
    if (n == 0) {
        *placed_all = true;
        return 0;
    }
    if (job->topology.required_level > 0 || job->topology.preferred_level > 0) {
        struct group g = {&job->topology, &s->topo->trees[job->topology.topology], -1};
        return place_job(s, j, tasks, n, &o, &g, placed_all, why);
    }
    return place_inside(s, j, tasks, n, &o, NULL, placed_all, why);
}

/* Domains of at most this many nodes are scanned node by node rather than walked in the node
 * index, where nodes outside the domain would be passed over one by one. */
#define SCAN_MAX 512

static int32_t limit_size(const struct al__topo_limit *l) {
    const int32_t *start = l->tree->member_start[l->depth];
    return start[l->domain + 1] - start[l->domain];
}

/* The best node for task t among the nodes of limit l that opt allows: every one considered,
 * so the pick is the index walk's (al__placement_consider's order, then name). */
static bool scan(struct al__session *s, int32_t t, const struct al__place_options *opt,
                 const struct al__topo_limit *l, struct al__choice *out) {
    const struct al_task *task = &s->cluster->tasks[t];
    const int32_t *start = l->tree->member_start[l->depth], *members = l->tree->members[l->depth];
    struct al__placement_pick pick;
    al__placement_pick_init(&pick, t);
    for (int32_t i = start[l->domain]; i < start[l->domain + 1]; i++) {
        int32_t n = members[i];
        if (al__place_allowed(s, opt, n) && al__node_matches(&s->cluster->nodes[n], task))
            al__placement_consider(s, &pick, n, false);
    }
    return al__placement_pick_done(s, &pick, out);
}

/* al__placement_find within the scope: the smallest of its domains scanned when it is small
 * (and the cycle's placement is not the allot policy, whose scoring the scan does not do). */
static bool find_in(struct al__session *s, int32_t t, const struct al__place_options *opt,
                    struct al__choice *out) {
    const struct al__topology_scope *sc = opt->topology;
    const struct al__topo_limit *l[3] = {&sc->narrow, &sc->subgroup, &sc->job}, *best = NULL;
    for (int i = 0; i < 3; i++)
        if (l[i]->depth > 0 && (!best || limit_size(l[i]) < limit_size(best)))
            best = l[i];
    if (!best || limit_size(best) > SCAN_MAX || s->frag)
        return al__placement_find(s, t, opt, out);
    return scan(s, t, opt, best, out);
}

bool al__topology_find(struct al__session *s, int32_t t, const struct al__place_options *opt,
                       struct al__choice *out) {
    struct al__topology_scope *sc = opt->topology;
    bool found = false;
    if (sc->anchor >= 0 && sc->near) {
        for (int32_t d = sc->near->levels; d > sc->near_from && !found; d--) {
            int32_t id = sc->near->domain_of[d][sc->anchor];
            if (id < 0)
                continue;
            sc->narrow = (struct al__topo_limit){sc->near, d, id};
            found = find_in(s, t, opt, out);
        }
        sc->narrow.depth = 0;
    }
    if (!found)
        found = find_in(s, t, opt, out);
    if (found && sc->anchor < 0)
        sc->anchor = out->node;
    return found;
}
