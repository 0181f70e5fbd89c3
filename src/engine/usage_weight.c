/* usage_weight.c - time-based fair share: over-quota weights adjusted by recent usage. */
#include "engine/usage_weight.h"

/* P_i in units of 10^-12; at most (1 + k) * 10^12 whatever the weights. */
static al__i128 adjusted(int64_t w, al__i128 plain, int64_t k_milli, int64_t usage_ppm) {
    /* P_i * W * 10^9 = w * 10^6 * (1000 + k) - k * U * W, with k in thousandths, U in ppm */
    al__i128 scaled =
        (al__i128)w * 1000000 * (1000 + k_milli) - (al__i128)k_milli * usage_ppm * plain;
    if (scaled <= 0)
        return 0;
    return scaled * 1000 / plain;
}

al__i128 al__usage_round_weights(struct al__session *s, const int32_t *group, int32_t n, int r,
                                 al__i128 plain) {
    al__i128 sum = 0;

    if (plain <= 0)
        return plain;
    for (int32_t i = 0; i < n; i++) {
        const struct al_queue *q = &s->cluster->queues[group[i]];
        if (s->queues[group[i]].round_weight > 0)
            sum += adjusted(q->weight[r], plain, s->usage_k_milli, q->usage_ppm[r]);
    }
    if (sum == 0)
        return plain; /* everyone used more than their weight allows: divide by weight */
    for (int32_t i = 0; i < n; i++) {
        struct al__queue_state *qs = &s->queues[group[i]];
        const struct al_queue *q = &s->cluster->queues[group[i]];
        if (qs->round_weight > 0)
            qs->round_weight = adjusted(q->weight[r], plain, s->usage_k_milli, q->usage_ppm[r]);
    }
    return sum;
}
