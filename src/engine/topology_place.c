/* topology_place.c - placing topology-constrained tasks: candidate domains by bin-packing,
 * nodes inside a domain by proximity (see topology.h). */
#include "engine/topology.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/job_steps.h"
#include "engine/node_index.h"
#include "engine/statement.h"
#include "util/sort.h"
#include "util/wide.h"

/* The tasks of a job that share one constraint: the job's, or one subgroup's. */
struct group {
    const struct al_topology_constraint *k;
    const struct al__topo_tree *tree;
    int32_t subgroup; /* -1: the job's constraint */
};

/* What the required level's domains had, for an explanation when none had room. */
struct shortfall {
    int32_t domains;
    int32_t best; /* -1 */
    int64_t free[AL_RESOURCE_COUNT];
    int64_t holds;
};

/* A task that binds its group's place: placed and not leaving. */
static bool holds_place(enum al_task_state state) {
    return state == AL_TASK_ALLOCATED || state == AL_TASK_PIPELINED || state == AL_TASK_BOUND ||
           state == AL_TASK_RUNNING;
}

static bool in_group(const struct al__session *s, int32_t t, int32_t subgroup) {
    return subgroup < 0 || s->cluster->tasks[t].subgroup == subgroup;
}

/* Node n's free resources for the estimates (capacity being released counts, as KAI's
 * idle-or-releasing does), and how many tasks asking `one` each it could hold. */
static void node_free(const struct al__session *s, int32_t n, const struct al_task *like,
                      const int64_t one[AL_RESOURCE_COUNT], int64_t free[AL_RESOURCE_COUNT],
                      int64_t *holds) {
    const struct al__node_state *ns = &s->nodes[n];
    const struct al_node *node = &s->cluster->nodes[n];
    int64_t idle = 0;
    free[AL_GPU] = 0;
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        const struct al__gpu_state *d = &ns->gpus[g];
        int64_t room = d->capacity - d->used + d->releasing;
        free[AL_GPU] += room > 0 ? room * 1000 / d->capacity : 0;
        idle += room == d->capacity;
    }
    free[AL_CPU] = node->cpu_millis - ns->used[AL_CPU] + ns->releasing[AL_CPU];
    free[AL_MEMORY] = node->memory_bytes - ns->used[AL_MEMORY] + ns->releasing[AL_MEMORY];
    *holds = INT64_MAX;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        int64_t have = r == AL_GPU && like->gpus > 0 ? idle * 1000 : free[r];
        int64_t need = r == AL_GPU && like->gpus > 0 ? (int64_t)like->gpus * 1000 : one[r];
        if (need > 0 && have / need < *holds)
            *holds = have > 0 ? have / need : 0;
    }
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
        al__i128 part =
            free[r] <= 0 ? (al__i128)1000 * 1000000 : (al__i128)req[r] * 1000000 / free[r];
        if (part > INT64_MAX / 2)
            part = INT64_MAX / 2;
        most = part > most ? (int64_t)part : most;
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

/* Marks the domains of the required depth that hold the group's placed tasks; false when
 * none does (the group is not bound yet). */
static bool mark_bound(const struct al__session *s, int32_t j, const struct group *g,
                       struct al__topo_slot *sl) {
    const struct al_job *job = &s->cluster->jobs[j];
    int32_t req = g->k->required_level;
    bool bound = false;
    memset(sl->bound, 0, (size_t)g->tree->domain_count[req]);
    for (size_t i = 0; i < job->task_count; i++) {
        int32_t t = (int32_t)(job->first_task + i);
        const struct al__task_state *ts = &s->tasks[t];
        if (!holds_place(ts->state) || ts->node < 0 || !in_group(s, t, g->subgroup))
            continue;
        int32_t id = g->tree->domain_of[req][ts->node];
        if (id >= 0) {
            sl->bound[id] = 1;
            bound = true;
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

/* Sums the free resources of the domains of depths 1..deepest over the nodes `outer` allows
 * (depth d's domain id at sl->free[depth_start(d) + id]): one pass over the nodes. */
static void sum_depths(const struct al__session *s, const struct group *g, int32_t deepest,
                       const struct al__topo_limit *outer, const struct al_task *like,
                       const int64_t one[AL_RESOURCE_COUNT], struct al__topo_slot *sl) {
    size_t count = (size_t)depth_start(g->tree, deepest + 1);
    memset(sl->free, 0, count * sizeof(*sl->free));
    memset(sl->holds, 0, count * sizeof(int64_t));
    for (size_t n = 0; n < s->cluster->node_count; n++) {
        if (g->tree->domain_of[1][n] < 0 || s->cluster->nodes[n].unschedulable ||
            (outer->depth > 0 && outer->tree->domain_of[outer->depth][n] != outer->domain))
            continue;
        int64_t free[AL_RESOURCE_COUNT], holds, at = 0;
        node_free(s, (int32_t)n, like, one, free, &holds);
        for (int32_t d = 1; d <= deepest; at += g->tree->domain_count[d], d++) {
            int32_t id = g->tree->domain_of[d][n];
            if (id < 0)
                break; /* no label at this level: none below either */
            for (int r = 0; r < AL_RESOURCE_COUNT; r++)
                sl->free[at + id][r] = al__sat_add(sl->free[at + id][r], free[r]);
            sl->holds[at + id] = al__sat_add(sl->holds[at + id], holds);
        }
    }
}

struct preference {
    const struct al__topo_tree *tree;
    const struct al__topo_slot *sl;
};

/*
 * Candidates in the order KAI's topology plugin tries them: deepest level first; within a
 * level, in the order of the domain tree sorted for bin-packing at every level (the children of
 * each domain by fullness, the fullest first, then by labels), so that a domain of a fuller
 * parent comes before any of an emptier one (KAI's "pack the top-most domain first").
 */
static int by_preference(int32_t a, int32_t b, const void *ctx) {
    const struct preference *p = ctx;
    const struct al__topo_candidate *x = &p->sl->candidates[a], *y = &p->sl->candidates[b];
    if (x->depth != y->depth)
        return x->depth > y->depth ? -1 : 1;
    for (int32_t e = 1; e <= x->depth; e++) {
        int32_t ax = ancestor(p->tree, x->depth, x->domain, e);
        int32_t ay = ancestor(p->tree, y->depth, y->domain, e);
        if (ax == ay)
            continue;
        int64_t at = depth_start(p->tree, e);
        int64_t fx = p->sl->fullness[at + ax], fy = p->sl->fullness[at + ay];
        if (fx != fy)
            return fx > fy ? -1 : 1;
        return ax < ay ? -1 : 1;
    }
    return 0;
}

/* Notes domain id of the required depth for the explanation: the one with the most free of
 * the request's main resource, the first by labels among equals. */
static void note_shortfall(struct shortfall *sf, const struct al__topo_slot *sl, int64_t at,
                           int32_t id, int main) {
    sf->domains++;
    if (sf->best >= 0 && sl->free[at + id][main] <= sf->free[main])
        return;
    sf->best = id;
    memcpy(sf->free, sl->free[at + id], sizeof(sf->free));
    sf->holds = sl->holds[at + id];
}

/*
 * The group's candidate domains in the order they are tried (sl->order indexes
 * sl->candidates): from the preferred depth up to the required one, those with room in sum
 * (and, for alike tasks, room for each on some node), inside `outer`, in the bound domain of
 * the required depth when the group has placed tasks; then the whole of `outer` when no level
 * is required. Returns how many; -AL_ENOMEM.
 */
static int32_t candidates(struct al__session *s, int32_t j, const struct group *g,
                          const int32_t *tasks, int32_t n, const struct al__topo_limit *outer,
                          struct al__topo_slot *sl, int64_t req[AL_RESOURCE_COUNT],
                          struct shortfall *sf) {
    int32_t required = g->k->required_level;
    int32_t preferred = g->k->preferred_level > 0 ? g->k->preferred_level : required;
    const struct al_task *like = &s->cluster->tasks[tasks[0]];
    int64_t one[AL_RESOURCE_COUNT];
    al__tasks_request(s, tasks, n, req);
    al__tasks_request(s, tasks, 1, one);
    bool same = alike(s, tasks, n), bound = required > 0 && mark_bound(s, j, g, sl);
    int main = main_resource(req);
    int32_t k = 0;
    *sf = (struct shortfall){.best = -1};
    sum_depths(s, g, preferred, outer, like, one, sl);
    for (int32_t d = preferred; d > 0; d--) { /* every depth's fullness: the sort's keys */
        int64_t at = depth_start(g->tree, d);
        for (int32_t id = 0; id < g->tree->domain_count[d]; id++) {
            sl->fullness[at + id] = fullness(req, sl->free[at + id]);
            if (d < required || (bound && !sl->bound[ancestor(g->tree, d, id, required)]))
                continue;
            if (d == required)
                note_shortfall(sf, sl, at, id, main);
            if (!fits_in(req, sl->free[at + id]) || (same && sl->holds[at + id] < n))
                continue;
            sl->candidates[k] = (struct al__topo_candidate){d, id};
            sl->order[k] = k;
            k++;
        }
    }
    struct preference p = {g->tree, sl};
    if (al__sort_ids(sl->order, (size_t)k, by_preference, &p) < 0)
        return -AL_ENOMEM;
    if (required == 0) { /* the whole of outer: no level required */
        sl->candidates[k] = (struct al__topo_candidate){0, 0};
        sl->order[k] = k;
        k++;
    }
    return k;
}

/* *why for a group no domain of its required level had room for. */
static void explain_no_domain(struct al_explanation *why, const struct group *g, int32_t n,
                              const int64_t req[AL_RESOURCE_COUNT], const struct shortfall *sf) {
    if (!why)
        return;
    why->reason = AL_REASON_TOPOLOGY;
    why->task = -1;
    why->topology_level = g->k->required_level;
    why->topology_subgroup = (int16_t)g->subgroup; /* < INT16_MAX (al__session_init) */
    why->needed = n;
    why->placeable = (int32_t)(sf->best < 0 ? 0 : sf->holds < n ? sf->holds : n);
    why->nodes_matching = sf->domains;
    memcpy(why->requested_task, req, sizeof(why->requested_task));
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

/* Which candidate's attempt explains a failure: the first of the widest depth tried. */
static int32_t explaining(const struct al__topo_slot *sl, int32_t k) {
    int32_t widest = sl->candidates[sl->order[k - 1]].depth, i = 0;
    while (sl->candidates[sl->order[i]].depth != widest)
        i++;
    return i;
}

/* Tries tasks[0..n) of group g in each candidate domain (limit: the scope's restriction for
 * g) until one holds them all. */
static int place_group(struct al__session *s, int32_t j, const struct group *g,
                       const int32_t *tasks, int32_t n, const struct al__place_options *o,
                       struct al__topo_limit *limit, struct al__topo_slot *sl,
                       const struct al__topo_limit *outer, bool *placed,
                       struct al_explanation *why) {
    struct al__topology_scope *sc = o->topology;
    int64_t req[AL_RESOURCE_COUNT];
    struct shortfall sf;
    int32_t k = candidates(s, j, g, tasks, n, outer, sl, req, &sf);
    *placed = false;
    if (k < 0)
        return k;
    if (k == 0) {
        explain_no_domain(why, g, n, req, &sf);
        return 0;
    }
    int32_t explain_at = explaining(sl, k);
    for (int32_t i = 0; i < k && !*placed; i++) {
        const struct al__topo_candidate *c = &sl->candidates[sl->order[i]];
        *limit = (struct al__topo_limit){g->tree, c->depth, c->domain};
        sc->near = g->tree;
        sc->near_from = c->depth;
        sc->anchor = group_anchor(s, j, g->subgroup, sc);
        int rc = al__place_plain(s, j, tasks, n, o, placed, i == explain_at ? why : NULL);
        if (rc < 0)
            return rc;
    }
    if (!*placed && why && g->k->required_level > 0) {
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

/* Tries the job's candidate domains in order, each with place_inside. */
static int place_job(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                     const struct al__place_options *o, const struct group *g, bool *placed_all,
                     struct al_explanation *why) {
    struct al__topology_scope *sc = o->topology;
    struct al__topo_slot *sl = &s->topo->slots[0];
    struct al__topo_limit none = {0};
    int64_t req[AL_RESOURCE_COUNT];
    struct shortfall sf;
    int32_t k = candidates(s, j, g, tasks, n, &none, sl, req, &sf);
    *placed_all = false;
    if (k < 0)
        return k;
    if (k == 0) {
        explain_no_domain(why, g, n, req, &sf);
        return 0;
    }
    int32_t explain_at = explaining(sl, k);
    for (int32_t i = 0; i < k && !*placed_all; i++) {
        const struct al__topo_candidate *c = &sl->candidates[sl->order[i]];
        sc->job = (struct al__topo_limit){g->tree, c->depth, c->domain};
        int rc = place_inside(s, j, tasks, n, o, g, placed_all, i == explain_at ? why : NULL);
        if (rc < 0)
            return rc;
    }
    if (!*placed_all && why && g->k->required_level > 0 && why->reason != AL_REASON_TOPOLOGY) {
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
