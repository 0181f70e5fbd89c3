/* reference.h - deliberately simple versions of the engine's optimised paths, for differential
 * tests: placement by scanning every node, in name order. */
#ifndef ALLOT_TESTS_REFERENCE_H
#define ALLOT_TESTS_REFERENCE_H

#include <stdbool.h>

#include "engine/placement.h"
#include "engine/session.h"

/* ref_placement_find - what al__placement_find must return: every node that `allowed` (NULL:
 * every node) marks and whose labels match is considered, in name order. */
bool ref_placement_find(struct al__session *s, int32_t t, const unsigned char *allowed,
                        struct al__choice *out);

/* ref_placement_shortfall - what al__placement_shortfall must fill, node by node. */
void ref_placement_shortfall(const struct al__session *s, int32_t t, struct al_explanation *e);

/*
 * ref_job_queue_pick - the job al__job_queue_pop must return next, computed from scratch:
 * among the jobs marked in `waiting`, per leaf queue the first by al__job_cmp; then from the
 * top of the queue tree down, the child whose key (al__queue_key, for the request of its
 * first leaf's job's next step) goes first. -1 when none waits.
 */
int32_t ref_job_queue_pick(const struct al__session *s, const unsigned char *waiting);

#endif
