/* node_index.h - nodes filed by free capacity per class of alike nodes, so that placement walks
 * the few nodes that can win instead of scanning every node. */
#ifndef ALLOT_ENGINE_NODE_INDEX_H
#define ALLOT_ENGINE_NODE_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/treap.h"

struct al__session;
struct al_node;
struct al_task;

/* al__node_matches - the node's labels satisfy the task's node affinity. */
bool al__node_matches(const struct al_node *node, const struct al_task *task);

/* al__task_alike - tasks a and b ask the same of a node: request (MIG instances included) and
 * affinity. */
bool al__task_alike(const struct al_task *a, const struct al_task *b);

/* al__task_same_migs - tasks a and b ask the same MIG instances, profile by profile in the same
 * order (an order that differs counts as different: never wrongly alike). */
bool al__task_same_migs(const struct al_task *a, const struct al_task *b);

/* al__affinity_hash - a hash of the task's node affinity (equal affinities, equal hashes). */
uint64_t al__affinity_hash(const struct al_task *task);

/*
 * A class holds nodes that tasks cannot tell apart: the same device count and device
 * memories, CPU and host memory and, in the label partition, the same values of every label
 * some task's affinity names. Within a class, nodes are filed in ordered sets:
 *   whole[w]  nodes with exactly w idle devices, by unallocated GPU milli (the binpack and
 *             spread key of GPU tasks), then name;
 *   shared    nodes with a shared device that has room, by unallocated GPU milli, each with
 *             the most room on such a device (walks skip where no node has enough);
 *   cpu, mem  every node, by free CPU / free host memory.
 * Two partitions are kept: by shape alone (few classes: what tasks without affinity walk)
 * and by shape and labels (for tasks with affinity; the same partition when no task has
 * any). Nodes with capacity being released are also listed apart: only they can fit a task
 * "in the future", and placement considers them one by one.
 */
struct al__node_class {
    int32_t representative; /* a node of the class (labels, shape) */
    int32_t gpu_count;
    int32_t min_memory_mib, max_memory_mib; /* device memory range */
    int64_t cpu_millis, memory_bytes;
    int32_t size;
    int32_t *whole_roots; /* gpu_count + 1 sets */
    int32_t shared_root, cpu_root, mem_root;
};

/* Classes an affinity matches, remembered per distinct affinity (tasks repeat a few). */
#define AL__AFFINITY_MEMO 256
struct al__affinity_memo {
    uint64_t hash;
    int32_t task; /* a task with this affinity, -1 = empty slot */
    unsigned char *match;
};

struct al__node_partition {
    struct al__node_class *classes;
    int32_t class_count;
    int32_t *class_of; /* per node */
    struct al__treap whole, shared, cpu, mem;
    int32_t *filed_whole;         /* per node: the w it is filed under, -1 none */
    unsigned char *in_shared;     /* per node */
    unsigned char **task_classes; /* per task: classes it may use (bits), made on first use */
    unsigned char *scratch_classes, *scratch_match; /* answers when memory runs out */
    struct al__affinity_memo *memo;                 /* AL__AFFINITY_MEMO slots */
    struct al__arena *arena;                        /* the session's, for the memo's answers */
};

struct al__node_index {
    struct al__node_partition by_shape;
    struct al__node_partition by_labels_own;
    struct al__node_partition *by_labels; /* &by_labels_own, or &by_shape when alike */
    int32_t *rank;                        /* per node: its place in name order */
    int32_t *releasing;                   /* nodes with capacity being released */
    int32_t releasing_count;
    int32_t *releasing_at; /* per node: its place in releasing, -1 */
    /* Sets refiled on demand (al__node_index_ready): per node which are stale, and lists. */
    unsigned char *stale;
    int32_t *stale_shape, stale_shape_count;   /* by_shape's CPU and memory sets */
    int32_t *stale_labels, stale_labels_count; /* every set of by_labels */
    /* Per node and in all: idle and releasing GPU milli, summed per device (floor of each
     * device's share), kept for consolidation's "enough GPUs" test. */
    int64_t *gpu_future;
    int64_t gpu_future_total;
};

/* al__node_index_build - classes and sets for the session's nodes (arena storage), from the
 * session's current accounting. Errors: -AL_ENOMEM. */
int al__node_index_build(struct al__session *s);

/* al__node_index_update - files node n again after its accounting changed: the GPU sets of
 * the shape partition now (every GPU task walks them), the others when a walk needs them
 * (al__node_index_ready), so that a node changed several times between such walks is filed
 * once. O(log nodes). */
void al__node_index_update(struct al__session *s, int32_t n);

/* al__node_index_ready - files the nodes marked stale in partition p before a walk of it
 * (its CPU and memory sets too when `cpu`). */
void al__node_index_ready(struct al__session *s, const struct al__node_partition *p, bool cpu);

/* al__node_partition_for - the partition placement walks for a task: by labels when it has
 * node affinity, else by shape. */
const struct al__node_partition *al__node_partition_for(const struct al__session *s,
                                                        const struct al_task *task);

/* al__node_index_check - every node is filed under the keys its accounting gives now (for
 * al__session_check). */
bool al__node_index_check(const struct al__session *s);

/* al__node_class_matches - the task's affinity accepts the nodes of class c of p. */
bool al__node_class_matches(const struct al__session *s, const struct al__node_partition *p,
                            int32_t c, const struct al_task *task);

/* al__node_class_could_fit - the task would fit on an idle node of class c of p. */
bool al__node_class_could_fit(const struct al__session *s, const struct al__node_partition *p,
                              int32_t c, const struct al_task *task);

/* al__node_index_classes_for - the classes of al__node_partition_for(task t) whose nodes t
 * may use (labels match, an idle node would hold it), one bit per class; computed once per
 * task. Never NULL: out of memory, the answer is in scratch valid until the next call. */
const unsigned char *al__node_index_classes_for(struct al__session *s, int32_t t);

/* al__node_index_matching - the classes of al__node_partition_for(task t) whose labels t's
 * affinity accepts, one bit per class; remembered per distinct affinity. Never NULL: out
 * of memory, the answer is in scratch valid until the next call. */
const unsigned char *al__node_index_matching(const struct al__session *s, int32_t t);

/* al__class_in - class c is in the bit set. */
static inline bool al__class_in(const unsigned char *bits, int32_t c) {
    return (bits[c >> 3] >> (c & 7)) & 1;
}

/* al__node_index_fits_empty - some node whose labels match could hold the task if it were
 * idle. O(classes). */
bool al__node_index_fits_empty(const struct al__session *s, const struct al_task *task);

#endif
