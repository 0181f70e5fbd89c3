/* placement.h - choosing a node and GPU devices for one task (binpack/spread, pack/spread). */
#ifndef ALLOT_ENGINE_PLACEMENT_H
#define ALLOT_ENGINE_PLACEMENT_H

#include <stdbool.h>

#include "engine/session.h"
#include "util/treap.h"

struct al__topology_scope;

/*
 * How placements are made. Allocation uses the defaults (NULL options); a victim search's
 * simulation moves the tasks it evicted, pipelines everything, and places only where the
 * preemptor's tasks could go plus the nodes its victims left.
 */
struct al__place_options {
    bool move_evicted;             /* tasks evicted this cycle are placed again like pending */
    bool pipeline_only;            /* every placement is pipelined */
    const unsigned char *class_ok; /* per class of the label partition: its nodes may be
                                    * used; NULL: every node may */
    const unsigned char *node_ok;  /* per node: may be used although its class may not */
    struct al__topology_scope *topology; /* the domains placement is held to (topology.h); NULL:
                                          * none */
};

/* al__place_allowed - options allow placing on node n. */
bool al__place_allowed(const struct al__session *s, const struct al__place_options *opt, int32_t n);

struct al__choice {
    int32_t node;
    bool pipelined;      /* relies on capacity being released, or joins a pipelined device */
    const int32_t *gpus; /* device indices (session scratch: valid until the next call) */
    int32_t gpu_count;
};

/*
 * A pick: the best node for one task among the nodes considered so far. Nodes compare by
 * the preference of al__placement_find, then by name, so the order in which they are
 * considered never changes the pick.
 */
struct al__placement_pick {
    int32_t task;
    int32_t node; /* -1 until a node fits */
    bool shared_home, now, no_gpus;
    int64_t free;  /* unallocated GPU milli (GPU tasks) or CPU millicores */
    int64_t total; /* the node's total of the same */
    int32_t rank;  /* the node's place in name order */
    int32_t gpu_count;
};

/* al__placement_pick_init - an empty pick for task t. */
void al__placement_pick_init(struct al__placement_pick *p, int32_t t);

/* What al__placement_consider found of a node. */
#define AL__FITS_NOW    1u /* the task fits there on free capacity */
#define AL__SHARED_HOME 2u /* ... and the node has a partly used shared device it fits on */

/* al__placement_consider - considers node n (on free capacity, and on capacity being released
 * unless now_only); returns AL__FITS_NOW / AL__SHARED_HOME bits (0: no fit, or only on
 * capacity being released). O(devices). */
unsigned al__placement_consider(struct al__session *s, struct al__placement_pick *p, int32_t n,
                                bool now_only);

/* al__node_gpu_free - node n's unallocated GPU milli, summed per device (the floor of each
 * device's free share): binpack's key and the allot policy's tie-break. O(devices). */
static inline int64_t al__node_gpu_free(const struct al__session *s, int32_t n) {
    const struct al__node_state *ns = &s->nodes[n];
    int64_t free = 0;
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        int64_t room = ns->gpus[g].capacity - ns->gpus[g].used;
        free += room > 0 ? room * 1000 / ns->gpus[g].capacity : 0;
    }
    return free;
}

/* al__placement_fits - task fits on node n now (or, when future, also with the capacity being
 * released there); its devices in gpus[0 .. *gpu_count) (max_node_gpus entries). A GPU-memory
 * task fits only where its queues' quota admits its charge on those devices
 * (al__quota_admits_on_node). */
bool al__placement_fits(const struct al__session *s, int32_t n, const struct al_task *task,
                        bool future, int32_t *gpus, int32_t *gpu_count);

/* What a visitor of al__placement_each_candidate answers. */
enum al__candidate_next {
    AL__CANDIDATE_NEXT, /* go on */
    AL__CANDIDATE_SKIP, /* skip the other nodes filed under this node's key in this set */
    AL__CANDIDATE_STOP, /* no more */
};
typedef enum al__candidate_next (*al__candidate_visit)(int32_t n, void *ctx);

/*
 * al__placement_each_candidate - calls each(n, ctx) for the nodes of the classes task t may
 * use that the node index says may fit it now: for whole-GPU tasks those with enough idle
 * devices, for shared-GPU tasks those with a device that may have room or an idle device (a
 * node may come twice), for CPU-only tasks those with enough free CPU; in each set by key (free
 * GPU or CPU), then name. O(classes * log nodes + nodes visited).
 */
void al__placement_each_candidate(struct al__session *s, int32_t t, al__candidate_visit each,
                                  void *ctx);

/* al__placement_pick_done - the pick as a choice; false when no node fitted. */
bool al__placement_pick_done(const struct al__session *s, const struct al__placement_pick *p,
                             struct al__choice *out);

/*
 * al__placement_find - the best node for pending task t under the cycle's config.
 * Node preference, strongest first (SCHEMA.md rule 4): a partly used shared device the
 * task fits on (shared-GPU tasks, when shared_gpu_node_preference); fitting on free
 * capacity rather than on capacity being released; CPU-only tasks on nodes without
 * GPUs; gpu_placement / cpu_placement; node name. Returns true and fills *out when a
 * node fits. Walks the node index (node_index.h): the nodes being released, every node
 * with a shared device that may have room (shared-GPU tasks), and per class of alike nodes
 * the first node in preference order that fits; O(classes * log nodes + nodes passed over).
 */
bool al__placement_find(struct al__session *s, int32_t t, const struct al__place_options *opt,
                        struct al__choice *out);

/*
 * al__placement_shortfall - fills the NO_NODE_FITS fields of *e for task t: its
 * request, the most free of each resource on any node whose labels match, and how
 * many nodes match; for a task asking MIG instances, its first profile short and the most
 * free of it on one such node. O(nodes x profiles) for a MIG task.
 */
void al__placement_shortfall(struct al__session *s, int32_t t, struct al_explanation *e);

#endif
