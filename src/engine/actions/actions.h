/* actions.h - the scheduling actions a cycle runs, one file each. */
#ifndef ALLOT_ENGINE_ACTIONS_H
#define ALLOT_ENGINE_ACTIONS_H

#include "engine/session.h"

/*
 * al__action_allocate - places pending jobs on free (or releasing) capacity: queues in
 * allocation order, jobs in job order; a gang's minimum is placed completely or not at
 * all, elastic tasks one at a time with the job going back in line. Records why each
 * job that keeps pending tasks stopped. Errors: -AL_ENOMEM (the session is then left
 * as it was before the job being placed).
 */
int al__action_allocate(struct al__session *s);

/*
 * al__action_stale_gang - evicts every running, bound or pipelined task of a job that has
 * been stale (active tasks, none succeeded, some group below its minimum) for at least
 * its grace period (the job's own, else the config's; negative = never). Errors: -AL_ENOMEM.
 */
int al__action_stale_gang(struct al__session *s);

/*
 * al__action_consolidation - for pending preemptible jobs that do not fit, moves running
 * preemptible tasks elsewhere when every moved task is placed again. Off when either
 * placement strategy is spread. Errors: -AL_ENOMEM.
 */
int al__action_consolidation(struct al__session *s);

/*
 * al__action_reclaim - queues below their fair share take resources back from preemptible
 * jobs of queues above theirs (reclaim_rules.h). Errors: -AL_ENOMEM.
 */
int al__action_reclaim(struct al__session *s);

/*
 * al__action_preempt - pending jobs evict strictly lower-priority preemptible jobs of their
 * own queue; a non-preemptible preemptor must stay within deserved quota. Errors: -AL_ENOMEM.
 */
int al__action_preempt(struct al__session *s);

#endif
