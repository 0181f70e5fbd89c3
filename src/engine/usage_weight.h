/* usage_weight.h - time-based fair share: over-quota weights adjusted by recent usage. */
#ifndef ALLOT_ENGINE_USAGE_WEIGHT_H
#define ALLOT_ENGINE_USAGE_WEIGHT_H

#include "engine/session.h"

/*
 * al__usage_round_weights - KAI's time-based division of one round (its proportion plugin,
 * calcShareWeights): the children of `group` that take part in the round arrive with
 * round_weight = their over-quota weight w_i for resource r (0 for the others), summing to
 * `plain`. Each weight becomes
 *     P_i = max(0, w_i/W + k * (w_i/W - U_i))
 * with W = `plain`, k = s->usage_k_milli / 1000 and U_i = the queue's usage_ppm[r] / 10^6,
 * kept as an integer in units of 10^-12. Returns the new sum. When every P_i is 0 (all used
 * too much) the round keeps the plain weights and returns `plain`: usage never stops a
 * division that the weights alone would make. No usage anywhere in the round, or k = 0,
 * leaves P_i proportional to w_i: the caller skips this call then, so the result is exactly
 * the division by weight. O(n).
 */
al__i128 al__usage_round_weights(struct al__session *s, const int32_t *group, int32_t n, int r,
                                 al__i128 plain);

#endif
