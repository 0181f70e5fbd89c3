/* quota.h - may a job's queues take more: limits everywhere, deserved quota for non-preemptible
 * work. */
#ifndef ALLOT_ENGINE_QUOTA_H
#define ALLOT_ENGINE_QUOTA_H

#include <stdbool.h>

#include "engine/session.h"

/*
 * al__quota_admits - whether every queue from the job's leaf queue up to the top can
 * take `req` more: allocated + req within limit for every resource; for a step of
 * non-preemptible work (al__job_step_is_core) also non-preemptible allocated + req within
 * deserved quota.
 * When not, fills the queue, resource and numbers of *why (reason OVER_LIMIT or
 * NON_PREEMPTIBLE_OVER_QUOTA) and returns false. O(depth).
 */
bool al__quota_admits(const struct al__session *s, int32_t job, const int64_t req[],
                      struct al_explanation *why);

/*
 * al__quota_admits_on_node - whether GPU-memory task t may take devices gpus[0..gpu_count) of
 * node n: its GPU charge there (its memory as a fraction of each device's memory, KAI's
 * IsTaskAllocationOnNodeOverCapacity) keeps every queue on its path within its limit and, for
 * non-preemptible work, within deserved quota. al__quota_admits judges a step with the
 * largest device memory of the cluster (the smallest fraction); this is the node's own
 * answer, so a job may fit quota on one node and not on another. True for other tasks. O(depth).
 */
bool al__quota_admits_on_node(const struct al__session *s, int32_t t, int32_t n,
                              const int32_t *gpus, int32_t gpu_count);

/* al__quota_explain_on_nodes - for GPU-memory task t that fitted on no node: when its charge
 * on the smallest devices of the cluster (its largest fraction) is over its queues' quota,
 * fills *why as al__quota_admits does and returns true (quota, not capacity, kept it out of
 * some node); else false, *why untouched. O(depth). */
bool al__quota_explain_on_nodes(const struct al__session *s, int32_t t, struct al_explanation *why);

/* al__quota_np_within_deserved - a job whose next step is preemptible work, or one whose step
 * is non-preemptible (al__job_step_is_core: a non-preemptible job, or the core of a
 * semi-preemptible one) and whose `req` keeps the non-preemptible allocation of every queue on
 * its path within deserved quota. */
bool al__quota_np_within_deserved(const struct al__session *s, int32_t job, const int64_t req[]);

/* al__allocatable_share - what queue q may hold of resource r before others may reclaim
 * it: its limit when its deserved quota is unlimited, else the larger of deserved quota and
 * fair share, capped by the limit. AL_UNLIMITED when there is no bound. */
int64_t al__allocatable_share(const struct al__session *s, int32_t q, int r);

/* al__within(a, bound) - a[r] <= bound[r] for every resource (AL_UNLIMITED bounds nothing). */
bool al__within(const int64_t a[], const int64_t bound[]);

#endif
