/* semi_preemptible.h - the core of a semi-preemptible job: which part of its allocation counts
 * as non-preemptible, and whether its next step is charged as core or as elastic work. */
#ifndef ALLOT_ENGINE_SEMI_PREEMPTIBLE_H
#define ALLOT_ENGINE_SEMI_PREEMPTIBLE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"

/*
 * al__job_core_charge - what job j's queues count as its non-preemptible allocation now: every
 * charging task's charge for a non-preemptible job, nothing for a preemptible one, and for a
 * semi-preemptible one the charge of its first min_members charging tasks in task order (of
 * each subgroup, the subgroup's minimum; tasks outside every subgroup are elastic). A pure
 * function of the task states, so that rollback and the session check agree with it.
 * O(tasks of j x groups).
 */
void al__job_core_charge(const struct al__session *s, int32_t j, int64_t out[AL_RESOURCE_COUNT]);

/*
 * al__job_step_is_core - whether the next step of job j (al__job_next_tasks) is charged as
 * non-preemptible work and so must fit within deserved quota: always for a non-preemptible
 * job, never for a preemptible one, and for a semi-preemptible one while it is below its
 * gang minimum (the step completes the core; a step beyond it is elastic). O(subgroups).
 */
bool al__job_step_is_core(const struct al__session *s, int32_t j);

/* al__job_may_be_victim - the job has tasks reclaim, preempt or consolidation may take:
 * preemptible, or semi-preemptible (only its tasks beyond the core). */
bool al__job_may_be_victim(const struct al_job *job);

#endif
