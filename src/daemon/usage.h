/* usage.h - time-based fair share in allotd (usage.c): each cycle samples what every queue
 * holds into its usage history (usage_history.h), keeps the history in the store, and gives
 * each queue its recent usage for the next cycle's model (docs/engine.md). */
#ifndef ALLOT_DAEMON_USAGE_H
#define ALLOT_DAEMON_USAGE_H

#include "allot/model.h"
#include "daemon/daemon.h"

/* The defaults of --usage-window (a week, KAI's), --usage-half-life (none, KAI's) and
 * --usage-k (0: kept and shown, but no effect on the division until an operator sets it). */
#define AL__USAGE_WINDOW_S    (7LL * 86400)
#define AL__USAGE_HALF_LIFE_S 0
/* How often the cycle stores the buckets that changed (a crash loses at most this much). */
#define AL__USAGE_FLUSH_S 10

/* al__usage_on - whether usage is kept (--usage-window > 0). */
bool al__usage_on(const struct allotd *d);

/* al__usage_load - the stored history into d->usage, each queue's usage as of now. Store open,
 * before the loop starts. 0 or -AL_EIO. */
int al__usage_load(struct allotd *d);

/*
 * al__usage_sample - the cycle's sample, before its outcome is recorded: every queue held its
 * dq->allocated (the last cycle's) and the cluster its capacity from the last sample until
 * now; then the capacity becomes c's nodes', each queue's usage_ppm is brought up to date, and
 * at most every AL__USAGE_FLUSH_S the changed buckets are written in the caller's transaction.
 * Lock held. O(queues x buckets + nodes).
 */
void al__usage_sample(struct allotd *d, const struct al_cluster *c);

/* al__usage_flush - writes the changed buckets now and drops rows older than the window, in
 * the caller's transaction (shutdown). 0 or -AL_EIO. */
int al__usage_flush(struct allotd *d);

#endif
