/* preempt.c - the preempt action: inside one queue, a pending job evicts strictly
 * lower-priority preemptible jobs (see actions.h). */
#include "engine/actions/actions.h"

#include "engine/actions/victim_action.h"
#include "engine/min_runtime.h"
#include "engine/quota.h"

/* A non-preemptible preemptor must stay within deserved quota on its whole path. */
static bool eligible(const struct al__session *s, int32_t j, const int64_t req[],
                     const struct al__search *search) {
    (void)search;
    return al__quota_np_within_deserved(s, j, req);
}

int al__action_preempt(struct al__session *s) {
    struct al__search search = {.action = AL_ACTION_PREEMPT,
                                .reason = AL_REASON_PREEMPTED,
                                .scope = AL__SCOPE_OWN_LOWER,
                                .validate = al__min_runtime_valid};
    int rc = al__victim_action_run(s, &search, eligible);
    al__note_search(s, &search);
    return rc;
}
