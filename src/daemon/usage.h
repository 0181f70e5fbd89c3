/* usage.h - time-based fair share in allotd (usage.c): each cycle samples what every queue
 * holds into its usage history (usage_history.h), keeps the history in the store, and gives
 * each queue its recent usage for the next cycle's model (docs/engine.md). */
#ifndef ALLOT_DAEMON_USAGE_H
#define ALLOT_DAEMON_USAGE_H

#include "allot/cycle.h"
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
 * al__usage_sample - the cycle's sample, before its outcome is recorded: what every queue held
 * and the capacity, per pool, at the last sample (d->usage_held) are added from then until now;
 * then they become what result r of cycle c says (per pool where c was scheduled by pool, each
 * pool's capacity its nodes'; else in pool "" with the cluster's capacity), each queue's shares
 * are brought up to date, and at most every AL__USAGE_FLUSH_S the changed buckets are written in
 * the caller's transaction. Lock held. O(queues x pools x buckets + nodes x pools).
 */
void al__usage_sample(struct allotd *d, const struct al_cluster *c, const struct al_result *r);

/*
 * al__usage_model - a built model c (jobs included) gets each queue's usage per pool, where k >
 * 0 and c is scheduled by pool: config.usage_per_pool, and per queue and named pool it has
 * usage in, its pool entry's usage_ppm (an entry with the queue's own quota is added where it
 * gives none). Otherwise c is left as built (its queues' own usage_ppm). Lock held.
 */
void al__usage_model(const struct allotd *d, struct al_cluster *c);

/* al__usage_release - the history and the last sample (shutdown). */
void al__usage_release(struct allotd *d);

/* al__usage_flush - writes the changed buckets now and drops rows older than the window, in
 * the caller's transaction (shutdown). 0 or -AL_EIO. */
int al__usage_flush(struct allotd *d);

#endif
