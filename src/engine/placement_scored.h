/* placement_scored.h - the allot placement policy: of the nodes a task fits on now, the one
 * where placing it fragments the cluster's GPUs least for the workload's typical tasks
 * (the fragmentation gradient of the FGD paper, USENIX ATC '23), with allot's tie-breaks. */
#ifndef ALLOT_ENGINE_PLACEMENT_SCORED_H
#define ALLOT_ENGINE_PLACEMENT_SCORED_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/shapes.h"

struct al__session;
struct al__place_options;
struct al__choice;

/* One remembered answer: the fragmentation change of placing a task of one shape on a node in
 * one state, and the device a single-device shared task goes to there. */
struct al__frag_memo {
    uint64_t key; /* 0 = empty */
    int64_t delta;
    int32_t device;
};

#define AL__FRAG_MEMO_SLOTS 65536

/* Per task: the distinct node states scored and the nodes looked at, at most, in the node
 * index's order (per class, devices with room, then the fewest idle devices, the least free
 * GPU first; nodes beyond are not looked at, a bound as kube-scheduler's
 * percentageOfNodesToScore: on the openb trace 8 to 1,024 give the same allocation within 0.1
 * point, and 10,000 nodes cost as little as 500), and after how many nodes in a row alike the
 * rest of their set's key is skipped. */
#define AL__FRAG_MAX_SCORED  32
#define AL__FRAG_MAX_VISITED 256
#define AL__FRAG_SEEN_SLOTS  4096
#define AL__FRAG_ALIKE_RUN   8

/* What the policy keeps for a session (its arena). */
struct al__frag {
    struct al__shapes shapes;
    int64_t *node_frag;         /* per node: its fragmentation now, -1 = to compute */
    uint64_t *node_key;         /* per node: a hash of its state, 0 = to compute */
    unsigned char *fits;        /* typical shape x class of the label partition: 0 = unknown,
                                   1 = labels match, 2 = they do not */
    int64_t *dev_used;          /* scratch: a node's device use, max_node_gpus entries */
    int32_t *mig_free;          /* scratch: a node's free MIG instances per profile slot */
    struct al__frag_memo *memo; /* AL__FRAG_MEMO_SLOTS */
    /* The node states one task's search scored: slots stamped with the search's generation. */
    uint64_t *seen_key;
    uint32_t *seen_gen, gen;
};

/* al__frag_build - the policy's state for session s (after its node index). Errors:
 * -AL_ENOMEM. */
int al__frag_build(struct al__session *s);

/* al__frag_check - every remembered fragmentation and state hash is that of the node's state
 * now, MIG instances included (for al__session_check). */
bool al__frag_check(const struct al__session *s);

/* al__frag_node_changed - node n's holdings changed: its fragmentation is computed again. */
void al__frag_node_changed(struct al__session *s, int32_t n);

/*
 * al__placement_find_scored - the allot policy's node for pending task t: among the nodes it
 * fits on now (allowed by opt), CPU-only tasks on nodes without GPUs or MIG instances first,
 * then the least increase of fragmentation (of devices and of MIG instances), then the fewest
 * unallocated GPU milli (free MIG instances' milli for MIG tasks, CPU millicores for CPU-only
 * tasks), then name; a single-device shared task goes to the device that fragments least,
 * the most used first among equals. When it fits on no node now, the capacity being released
 * is tried as al__placement_find does. At most AL__FRAG_MAX_VISITED nodes looked at per task,
 * each state once, each answer remembered per (state, task shape).
 */
bool al__placement_find_scored(struct al__session *s, int32_t t,
                               const struct al__place_options *opt, struct al__choice *out);

#endif
