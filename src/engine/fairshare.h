/* fairshare.h - hierarchical fair share per resource, recomputed at the start of every cycle. */
#ifndef ALLOT_ENGINE_FAIRSHARE_H
#define ALLOT_ENGINE_FAIRSHARE_H

#include "engine/session.h"

/*
 * al__fair_share_compute - fills requested[] and fair_share[] of every queue.
 * requested: what the subtree's active and pending tasks ask for, capped by limit.
 * fair_share, per level of the tree (the top level divides the whole cluster):
 *   1. every child receives min(deserved, requested) (deserved -1: all it requests, up
 *      to the parent's share);
 *   2. what is left of the parent's share goes to children that still want more,
 *      highest priority first; within a priority, in proportion to over-quota weight,
 *      in rounds of whole units (one GPU, one millicore, one byte) with the leftover
 *      units handed out one at a time, largest remainder first; never above limit.
 *      With config.usage_k_milli > 0 each round's weights are adjusted by the queues'
 *      recent usage (usage_weight.h); fair_share_without_usage[] keeps the division by
 *      weight alone.
 * O(queues * rounds) with rounds bounded by the number of siblings.
 */
void al__fair_share_compute(struct al__session *s);

#endif
