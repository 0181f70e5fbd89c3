/* reclaim_rules.h - when one queue may take resources back from others (DESIGN.md section 3). */
#ifndef ALLOT_ENGINE_RECLAIM_RULES_H
#define ALLOT_ENGINE_RECLAIM_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"
#include "engine/solver.h"

/*
 * al__reclaim_allowed - whether job j may reclaim for a step asking `req`: its leaf queue
 * with req added stays within its fair share in every resource, and a non-preemptible job
 * also keeps the queue's non-preemptible allocation within its deserved quota.
 */
bool al__reclaim_allowed(const struct al__session *s, int32_t j, const int64_t req[]);

/*
 * al__reclaim_acceptable - whether the scenario's victims may be taken. Queues are compared
 * where the reclaimer's path and each victim's path diverge (the victim side is `theirs`,
 * the reclaimer side `mine`). Victims the scenario placed again elsewhere are moved, not
 * taken, and do not count. Victims are taken in units (each surplus task of an elastic
 * job alone, a job's gang minimum together); a unit may be taken only while `theirs`
 * still holds more than it may keep: more than its fair share (or deserved quota when that
 * is larger) in some resource, or, when `mine` stays within its deserved quota with the
 * step, more than its own deserved quota - or anything at all when
 * config.queue_priority_in_quota_reclaim is set and `theirs` has a strictly lower priority
 * than `mine` (mine still within its deserved quota with the step). Afterwards, on every level of
 * the reclaimer's path, the reclaimer's queue must not be more saturated (allocated / fair share,
 * above 1) than any sibling it took from, in the resources involved; a non-preemptible reclaimer
 * must stay within deserved quota. Numbers are those before the search (sc->base), minus
 * the victims, plus the step. Scratch: `touched` and `involved` per queue, zero on entry and
 * left zero; touched_list of the queue count. O(victims * depth + depth * queues touched).
 */
bool al__reclaim_acceptable(const struct al__session *s, const struct al__scenario *sc,
                            int64_t (*scratch)[AL_RESOURCE_COUNT], unsigned char *touched,
                            unsigned char *involved, int32_t *touched_list);

#endif
