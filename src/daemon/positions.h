/* positions.h - queue positions of pending workloads for API answers: the rank of a workload
 * among its project's pending workloads in the engine's job order. An index sorted once per
 * state generation (a task change, a removal) and the workloads submitted since, so that a
 * group-committed batch of submits costs a binary search each, not a scan of the state. */
#ifndef ALLOT_DAEMON_POSITIONS_H
#define ALLOT_DAEMON_POSITIONS_H

#include <stdint.h>

#include "daemon/state.h"

struct al__positions;

/* al__positions_new / _free - an empty index (built on first use). */
struct al__positions *al__positions_new(void);
void al__positions_free(struct al__positions *p);

/* al__position - w's 1-based position among its project's pending workloads, 0 when it is not
 * pending. `generation` changes whenever a task changes state (state.task_changes: what
 * takes a workload out of pending, puts it back or changes its gang state); removals are seen in
 * the state (the index is built again after either). State lock held. */
int64_t al__position(struct al__positions *p, const struct al__state *st, uint64_t generation,
                     const struct al__dworkload *w);

/* al__positions_added - w was just submitted (pending): counted without a rebuild, unless a
 * workload was removed since the build (the index then names freed ones: built again). */
void al__positions_added(struct al__positions *p, const struct al__state *st,
                         const struct al__dworkload *w);

/* al__order_key - w's key in the engine's job order (its gang state from the tasks it holds). */
struct al_job_order_key al__order_key(const struct al__dworkload *w);

#endif
