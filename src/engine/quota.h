/* quota.h - may a job's queues take more: limits everywhere, deserved quota for non-preemptible
 * work. */
#ifndef ALLOT_ENGINE_QUOTA_H
#define ALLOT_ENGINE_QUOTA_H

#include <stdbool.h>

#include "engine/session.h"

/*
 * al__quota_admits - whether every queue from the job's leaf queue up to the top can
 * take `req` more: allocated + req within limit for every resource; for a
 * non-preemptible job also non-preemptible allocated + req within deserved quota.
 * When not, fills the queue, resource and numbers of *why (reason OVER_LIMIT or
 * NON_PREEMPTIBLE_OVER_QUOTA) and returns false. O(depth).
 */
bool al__quota_admits(const struct al__session *s, int32_t job, const int64_t req[],
                      struct al_explanation *why);

/* al__quota_np_within_deserved - a preemptible job, or a non-preemptible one whose `req`
 * keeps the non-preemptible allocation of every queue on its path within deserved quota. */
bool al__quota_np_within_deserved(const struct al__session *s, int32_t job, const int64_t req[]);

/* al__allocatable_share - what queue q may hold of resource r before others may reclaim
 * it: its limit when its deserved quota is unlimited, else the larger of deserved quota and
 * fair share, capped by the limit. AL_UNLIMITED when there is no bound. */
int64_t al__allocatable_share(const struct al__session *s, int32_t q, int r);

/* al__within(a, bound) - a[r] <= bound[r] for every resource (AL_UNLIMITED bounds nothing). */
bool al__within(const int64_t a[], const int64_t bound[]);

#endif
