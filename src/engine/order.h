/* order.h - the engine's total orders: nodes, sibling queues, queues for allocation, jobs, tasks.
 */
#ifndef ALLOT_ENGINE_ORDER_H
#define ALLOT_ENGINE_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"

/* Comparators in the al__heap_cmp shape: < 0 when a comes first. Every one ends with
 * a unique name, so the result never depends on the order of the input arrays. */

/* al__node_cmp - nodes by name; ctx is the cluster. */
int al__node_cmp(int32_t a, int32_t b, const void *cluster);

/* al__job_name_cmp - jobs by name; ctx is the cluster. */
int al__job_name_cmp(int32_t a, int32_t b, const void *cluster);

/* al__sibling_cmp - queues by creation order, then name; ctx is the cluster. */
int al__sibling_cmp(int32_t a, int32_t b, const void *cluster);

/* al__task_cmp - tasks of one job: task_priority (higher first, set before unset), then
 * name; ctx is the cluster. */
int al__task_cmp(int32_t a, int32_t b, const void *cluster);

/* al__job_key - job j's key in the job order (al_job_order_cmp) with the given gang state. */
struct al_job_order_key al__job_key(const struct al__session *s, int32_t j, int gang_state);

/* al__job_cmp - jobs of one queue in the job order (al_job_order_cmp), each with its gang
 * state in the session; ctx is the session. */
int al__job_cmp(int32_t a, int32_t b, const void *session);

/*
 * The order of sibling queues for allocation, as a key: under fair share first, then still
 * within deserved quota with the job, then higher priority, then lower dominant-resource
 * share counting the job, then without it, then older, then name. A key is computed for a
 * queue and the request of the job it would allocate for; keys of siblings compare.
 */
struct al__queue_key {
    bool over_fair_share;
    bool beyond_deserved;
    int32_t priority;
    int64_t share_with; /* dominant share with the request, parts per billion */
    int64_t share;      /* ... without it */
    int32_t sibling_rank;
};

/* al__queue_key - queue q's key given the request of the job it would allocate for. */
void al__queue_key(const struct al__session *s, int32_t q, const int64_t req[],
                   struct al__queue_key *out);

/* al__queue_key_cmp - < 0 when the queue of key a (a sibling of b's) allocates first. */
int al__queue_key_cmp(const struct al__queue_key *a, const struct al__queue_key *b);

/*
 * al__queue_cmp - which of two leaf queues allocates next, given the request of the
 * job each would allocate for. Compared at the children of the two queues' lowest
 * common ancestor: under fair share first, then still within deserved quota with the
 * job, then higher priority, then lower dominant-resource share counting the job, then
 * without it, then older, then name.
 */
int al__queue_cmp(const struct al__session *s, int32_t qa, const int64_t req_a[], int32_t qb,
                  const int64_t req_b[]);

/* al__dominant_share - max over resources of allocated / cluster total, in parts per
 * billion. */
int64_t al__dominant_share(const struct al__session *s, const int64_t allocated[]);

/* al__diverge - moves queues *a and *b up to the children of their lowest common ancestor
 * (the siblings where their paths in the tree diverge). */
void al__diverge(const struct al__session *s, int32_t *a, int32_t *b);

/* al__group_min - the minimum of (sub)group g of a job; g is 0 for a job without subgroups,
 * whose minimum is min_members. */
int32_t al__group_min(const struct al_job *job, size_t g);

/* al__job_min_state - -1 below its gang minimum (any subgroup), 0 at it, 1 above it. */
int al__job_min_state(const struct al__session *s, int32_t job);

#endif
