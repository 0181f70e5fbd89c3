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

#endif
