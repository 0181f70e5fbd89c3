/* victim_action.h - the loop shared by reclaim, preempt and consolidation: pending jobs in
 * allocation order, each given one victim search. */
#ifndef ALLOT_ENGINE_VICTIM_ACTION_H
#define ALLOT_ENGINE_VICTIM_ACTION_H

#include <stdbool.h>

#include "engine/solver.h"

/*
 * al__victim_action_run - for every job with pending tasks, in allocation order, once: skips
 * jobs whose preemption delay has not passed, that `eligible` rejects (for the request of
 * their next step), whose step could not fit even on an empty node (victims would not
 * help), or that look no easier than a job of the same queue that already failed this
 * action; searches victims for the others and keeps each solution. Jobs left without one
 * are noted in their explanation. Errors: -AL_ENOMEM.
 */
int al__victim_action_run(struct al__session *s, struct al__search *search,
                          bool (*eligible)(const struct al__session *s, int32_t j,
                                           const int64_t req[], const struct al__search *search));

/* al__note_search - adds the action's search figures to the session's. */
void al__note_search(struct al__session *s, const struct al__search *search);

#endif
