/* topology.h - topology-aware placement: nodes grouped into domains by their topology labels
 * (zone, block, rack, host), a domain chosen for a job's (or subgroup's) tasks by bin-packing,
 * and nodes inside it by proximity to the tasks placed before (docs/topology.md). */
#ifndef ALLOT_ENGINE_TOPOLOGY_H
#define ALLOT_ENGINE_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/placement.h"
#include "engine/session.h"
#include "util/heap.h"

/*
 * One topology's domains. Depth d (1 .. levels) is the topology's level number d; a domain's
 * id at depth d is its place in the order of the label values down to that level, so ids
 * order domains by their labels (the tie-break of every choice among domains).
 */
struct al__topo_tree {
    int32_t levels;
    int32_t **domain_of;    /* [d][node]: the node's domain at depth d, -1 (labels missing) */
    int32_t *domain_count;  /* [d] */
    int32_t **parent;       /* [d][id]: the domain at depth d - 1 holding it (0 at depth 1) */
    int32_t **first_node;   /* [d][id]: its first node in label order (to name it) */
    int32_t **members;      /* [d]: the nodes of depth d's domains, domain after domain */
    int32_t **member_start; /* [d][id]: where domain id's nodes start in members[d] (count + 1) */
};

/* Per-call scratch for the candidate domains of one group (the job's, a subgroup's). */
struct al__topo_candidate {
    int32_t depth, domain;
};

struct al__topo_slot {
    /* per domain of every depth (depth d's from the sum of the counts above it, as fullness):
     * free resources inside a restriction (al__topology_sums) */
    int64_t (*free)[AL_RESOURCE_COUNT];
    unsigned char *bound; /* per domain of the required depth: has active tasks */
    struct al__topo_candidate *candidates;
    int32_t *order;       /* the heap's storage */
    struct al__heap heap; /* candidates in the order they are tried (popped one by one) */
    int32_t widest;       /* the widest depth among the candidates */
    const struct al__topo_tree *tree; /* the tree the candidates are of (the heap's order) */
    /* per domain of every depth (depth d's from the sum of the counts above it): the request
     * over its free resources, parts per million (the bin-packing key) */
    int64_t *fullness;
};

/* Every topology's domains, and the scratch of al__topology_place. */
struct al__topology_state {
    struct al__topo_tree *trees; /* per topology */
    /* Per node: its free resources (being released counted, nothing when unschedulable) and
     * devices free whole; per topology, their sums per domain (as a slot's free), kept with
     * the accounting by al__topology_node_changed. */
    int64_t (*node_free)[AL_RESOURCE_COUNT];
    int32_t *node_idle;
    int64_t (**sums)[AL_RESOURCE_COUNT];
    struct al__topo_slot slots[2];     /* the job's group, a subgroup's */
    int32_t *group_tasks, *rest_tasks; /* of the largest job's task count */
};

/* A restriction of placement to one domain; depth 0 restricts nothing. */
struct al__topo_limit {
    const struct al__topo_tree *tree;
    int32_t depth;
    int32_t domain;
};

/*
 * Where a topology-constrained placement may go (al__place_options.topology): inside the job's
 * domain, the subgroup's domain and, while a task looks near the tasks placed before, inside
 * the anchor's domain at some depth. anchor: a node of the group's tasks placed before (-1:
 * none yet); near: the tree proximity is measured in, down to below depth near_from.
 */
struct al__topology_scope {
    struct al__topo_limit job, subgroup, narrow;
    const struct al__topo_tree *near;
    int32_t near_from;
    int32_t anchor;
};

/* al__topology_build - the domains of every topology of the session's cluster (arena
 * storage; s->topo stays NULL when there is none). Errors: -AL_ENOMEM, -AL_EINVAL (a topology
 * without levels). O(topologies * levels * nodes log nodes). */
int al__topology_build(struct al__session *s);

/* al__topology_constraint_ok - k constrains nothing, or names a topology and levels of c that
 * exist, the preferred level no wider than the required one (checked by al__session_init with
 * the other indices). */
bool al__topology_constraint_valid(const struct al_cluster *c,
                                   const struct al_topology_constraint *k);
static inline bool al__topology_constraint_ok(const struct al_cluster *c,
                                              const struct al_topology_constraint *k) {
    return (k->required_level == 0 && k->preferred_level == 0) ||
           al__topology_constraint_valid(c, k);
}

/* al__topology_sums_init - the per-node and per-domain free resources (topology_sums.c), at
 * the end of al__topology_build. Errors: -AL_ENOMEM. O(nodes * levels). */
int al__topology_sums_init(struct al__session *s);

/* al__topology_node_changed - node n's accounting changed: its domains' sums follow.
 * O(topologies * levels). */
void al__topology_node_changed(struct al__session *s, int32_t n);

/* al__topology_check - every node's cached free resources and every domain's sums are what the
 * accounting gives now (for al__session_check). O(topologies * levels * nodes). */
bool al__topology_check(const struct al__session *s);

/* al__topology_sums - the free resources of tree's domains of depths 1..deepest (depth d's
 * domain id at [sum of the domain counts above d + id]): the kept sums, or, inside outer (when
 * it restricts), summed over its nodes into scratch. O(1), or O(outer's nodes * levels). */
const int64_t (*al__topology_sums(struct al__session *s, const struct al__topo_tree *tree,
                                  int32_t deepest, const struct al__topo_limit *outer,
                                  int64_t (*scratch)[AL_RESOURCE_COUNT]))[AL_RESOURCE_COUNT];

/* al__topology_holds - how many tasks asking what `like` asks (`one`, its request) domain's
 * nodes (inside outer) could hold one by one, counted up to `enough`. O(domain's nodes). */
int64_t al__topology_holds(const struct al__session *s, const struct al__topo_limit *domain,
                           const struct al__topo_limit *outer, const struct al_task *like,
                           const int64_t one[AL_RESOURCE_COUNT], int64_t enough);

/* al__topology_allows - node n lies in every domain the scope restricts placement to. */
static inline bool al__topology_allows(const struct al__topology_scope *sc, int32_t n) {
    const struct al__topo_limit *l[3] = {&sc->job, &sc->subgroup, &sc->narrow};
    for (int i = 0; i < 3; i++)
        if (l[i]->depth > 0 && l[i]->tree->domain_of[l[i]->depth][n] != l[i]->domain)
            return false;
    return true;
}

/* al__topology_constrained - job j or one of its subgroups has a topology constraint. */
bool al__topology_constrained(const struct al_cluster *c, int32_t j);

/*
 * al__topology_place - al__place_tasks for a job with topology constraints: for the job's
 * constraint, the candidate domains from the preferred level up to the required one (or the
 * whole cluster), those that cannot hold the tasks in sum left out, deepest level first, then
 * the fullest relative to the request (bin-packing), then by labels; the first in which every
 * task is placed wins. Subgroups with constraints choose their domain the same way inside the
 * job's. Tasks go near the group's tasks placed before (al__topology_find). Active tasks of the
 * job (or subgroup) bind the domain of the required level. Contract as al__place_tasks; when no
 * domain of the required level has room in sum, *why has reason AL_REASON_TOPOLOGY.
 */
int al__topology_place(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                       const struct al__place_options *opt, bool *placed_all,
                       struct al_explanation *why);

/*
 * al__topology_find - al__placement_find within opt->topology: near the anchor first (its
 * domain at the deepest level, then wider), then anywhere the scope allows. Sets the anchor
 * when there was none. O(levels) placement walks.
 */
bool al__topology_find(struct al__session *s, int32_t t, const struct al__place_options *opt,
                       struct al__choice *out);

#endif
