/* quota_rules.h - what the quotas of a department or project written through the API must agree
 * with: each other, its department's and its projects' (quota_rules.c). */
#ifndef ALLOT_DAEMON_QUOTA_RULES_H
#define ALLOT_DAEMON_QUOTA_RULES_H

#include "daemon/service.h"
#include "daemon/state.h"

/*
 * al__quota_check - judges queue q as a create (was NULL) or an update (was: its settings
 * before) would leave it, against the other queues of st (q itself there is replaced by the new
 * settings). Per resource:
 *   - a deserved GPU quota is a number >= 0: a guarantee cannot be unlimited (-1). A CPU or
 *     memory deserved quota of -1 means the resource is not under quota (the default);
 *   - deserved <= limit where both are numbers;
 *   - a department that guarantees a number (its deserved) has projects that each guarantee a
 *     number, together no more than it; one that guarantees nothing but has a limit has
 *     projects whose numbered deserved quotas together stay within that limit.
 * The same hold in every node pool q, its department or their projects give a quota for, with
 * each queue's quota there resolved as the scheduler does: its entry for the pool, else its
 * own values (fields "pools.a100.deserved.gpu", messages "in pool a100, ...").
 * q's own settings are always judged; a rule between q and others only where the write makes
 * it worse (settings stored before, or mirrored from a cluster, do not block unrelated writes).
 * 0, or -1 with f filled: "invalid_argument", the field ("deserved.gpu") and the numbers.
 * O(queues x pools named).
 */
int al__quota_check(struct al__state *st, const struct al__dqueue *was, const struct al__dqueue *q,
                    struct al__failure *f);

#endif
