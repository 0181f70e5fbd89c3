/* min_runtime.h - min-runtime protection of freshly started jobs against preempt and reclaim. */
#ifndef ALLOT_ENGINE_MIN_RUNTIME_H
#define ALLOT_ENGINE_MIN_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"
#include "engine/solver.h"

/* al__min_runtime_protected - job j started less than its queue's min runtime for `action`
 * (AL_ACTION_PREEMPT or AL_ACTION_RECLAIM) ago. The value is the nearest one set on the
 * job's queue or its ancestors; none set, or an unknown start, protects nothing. */
bool al__min_runtime_protected(const struct al__session *s, int32_t j, enum al_action action);

/* al__job_elastic - some (sub)group of job j has more tasks than its minimum. */
bool al__job_elastic(const struct al__session *s, int32_t j);

/* al__min_runtime_valid - no protected elastic victim job loses tasks of its minimum. */
bool al__min_runtime_valid(const struct al__session *s, const struct al__search *search,
                           const struct al__scenario *sc);

#endif
