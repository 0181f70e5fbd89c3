/* test_usage_share.c - time-based fair share (usage-adjusted over-quota weights), hand-checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "allot/errors.h"
#include "support/builder.h"

#define GPU 1000
#define PPM 10000 /* usage 0.01 in parts per million */

/* `queue` asks for `gpus` GPUs through one pending task. */
static void demand(struct al_cluster *c, const char *queue, int gpus) {
    char name[64];
    snprintf(name, sizeof(name), "demand-%s", queue);
    tb_job(c, name, queue, 50, 1);
    snprintf(name, sizeof(name), "demand-%s-0", queue);
    tb_task(c, name, AL_TASK_PENDING, NULL, gpus, 0, NULL);
}

/* Two queues a and b on `gpus` GPUs, each asking for want_a / want_b, usage in hundredths. */
static void two_queues(struct al_cluster *c, int gpus, int64_t deserved_a, int64_t weight_a,
                       int want_a, int64_t usage_a, int want_b, int64_t usage_b) {
    tb_init(c);
    tb_node(c, "n", gpus, 20000000, 20000000000);
    int32_t a = tb_queue(c, "a", NULL, deserved_a, -1, weight_a, 0);
    int32_t b = tb_queue(c, "b", NULL, 0, -1, 1, 0);
    c->queues[a].usage_ppm[AL_GPU] = usage_a * PPM;
    c->queues[b].usage_ppm[AL_GPU] = usage_b * PPM;
    demand(c, "a", want_a);
    demand(c, "b", want_b);
}

/* Runs no action; checks the GPU fair share of a and b with usage and without it. */
static void expect(struct al_cluster *c, int64_t k_milli, int a, int b, int plain_a, int plain_b) {
    struct al_result r;
    c->config.usage_k_milli = k_milli;
    assert_int_equal(al_cycle_run(c, &r), 0);
    int32_t qa = tb_find_queue(c, "a"), qb = tb_find_queue(c, "b");
    const int64_t got[] = {r.queues[qa].fair_share[AL_GPU], r.queues[qb].fair_share[AL_GPU],
                           r.queues[qa].fair_share_without_usage[AL_GPU],
                           r.queues[qb].fair_share_without_usage[AL_GPU]};
    const int64_t want[] = {a * GPU, b * GPU, plain_a * GPU, plain_b * GPU};
    if (got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3])
        print_error("a %lld b %lld (without usage %lld %lld), expected %lld %lld (%lld %lld)\n",
                    (long long)got[0], (long long)got[1], (long long)got[2], (long long)got[3],
                    (long long)want[0], (long long)want[1], (long long)want[2], (long long)want[3]);
    assert_memory_equal(got, want, sizeof(got));
    al_result_release(&r);
    al_cluster_release(c);
}

/* k 1, usage a 0.6, b 0: P_a = 0.5 + (0.5 - 0.6) = 0.4, P_b = 0.5 + 0.5 = 1.0; of 10 GPUs
 * a gets 10 x 0.4 / 1.4 = 2.86 -> 2, b 7.14 -> 7; the leftover GPU goes to the larger
 * remainder (a's .86): 3 and 7 instead of 5 and 5. */
static void usage_shifts_over_quota_to_the_queue_that_used_less(void **state) {
    (void)state;
    struct al_cluster c;
    two_queues(&c, 10, 0, 1, 100, 60, 100, 0);
    expect(&c, 1000, 3, 7, 5, 5);
}

/* k 0 turns it off: usage is carried but the division is by weight alone. */
static void k_zero_ignores_usage(void **state) {
    (void)state;
    struct al_cluster c;
    two_queues(&c, 10, 0, 1, 100, 60, 100, 0);
    expect(&c, 0, 5, 5, 5, 5);
}

/* Usage 1.0 with k 1 floors a's weight to 0 (0.5 + (0.5 - 1.0)), but its deserved 4 GPUs
 * stay: a 4, b the 6 over quota. Without usage: 4 + 3 and 3. */
static void usage_never_overrides_deserved(void **state) {
    (void)state;
    struct al_cluster c;
    two_queues(&c, 10, 4 * GPU, 1, 100, 100, 100, 0);
    expect(&c, 1000, 4, 6, 7, 3);
}

/* Both used everything: every adjusted weight is 0, so the round divides by weight. */
static void all_weights_floored_divides_by_weight(void **state) {
    (void)state;
    struct al_cluster c;
    two_queues(&c, 10, 0, 1, 100, 100, 100, 100);
    expect(&c, 1000, 5, 5, 5, 5);
}

/* b asks for 2 only. Round 1: a 10 x 0.4 / 1.4 -> 2, b min(7, 2) = 2 (capped). Round 2 has
 * a alone: W = 1, P_a = 1 + (1 - 0.6) = 1.4, all 6 left: a 8, b 2 (as without usage). */
static void capped_queue_leaves_the_rest_to_others(void **state) {
    (void)state;
    struct al_cluster c;
    two_queues(&c, 10, 0, 1, 100, 60, 2, 0);
    expect(&c, 1000, 8, 2, 8, 2);
}

/* k 0.5, weights 3:1, usage a 0.9, b 0.1, 12 GPUs: W'_a 0.75, W'_b 0.25;
 * P_a = 0.75 + 0.5 (0.75 - 0.9) = 0.675, P_b = 0.25 + 0.5 (0.25 - 0.1) = 0.325, sum 1;
 * a 8.1 -> 8, b 3.9 -> 3, the leftover to b (.9 > .1): 8 and 4 instead of 9 and 3. */
static void weights_and_k_combine(void **state) {
    (void)state;
    struct al_cluster c;
    two_queues(&c, 12, 0, 3, 100, 90, 100, 10);
    expect(&c, 500, 8, 4, 9, 3);
}

/* Equal usage is not neutral (KAI's formula subtracts k U from each weight alike): weights
 * 3:1, usage 0.2 each, k 1: P_a = 0.75 + 0.55 = 1.3, P_b = 0.25 + 0.05 = 0.3; of 12 GPUs
 * a 9.75 -> 9, b 2.25 -> 2, the leftover to a: 10 and 2 instead of 9 and 3. */
static void equal_usage_favours_the_larger_weight(void **state) {
    (void)state;
    struct al_cluster c;
    two_queues(&c, 12, 0, 3, 100, 20, 100, 20);
    expect(&c, 1000, 10, 2, 9, 3);
}

/* Out-of-range inputs are refused, not computed with: k above 1000, usage above 1. */
static void out_of_range_usage_is_invalid(void **state) {
    (void)state;
    struct al_cluster c;
    struct al_result r;
    two_queues(&c, 10, 0, 1, 100, 60, 100, 0);
    c.config.usage_k_milli = AL_MAX_USAGE_K_MILLI + 1;
    assert_int_equal(al_cycle_run(&c, &r), -AL_EINVAL);
    c.config.usage_k_milli = 1000;
    c.queues[0].usage_ppm[AL_CPU] = AL_USAGE_PPM + 1;
    assert_int_equal(al_cycle_run(&c, &r), -AL_EINVAL);
    al_cluster_release(&c);
}

/* A job of `queue` in `pool` asking for `gpus` GPUs through one pending task. */
static void pool_demand(struct al_cluster *c, const char *queue, const char *pool, int gpus) {
    char name[64];
    snprintf(name, sizeof(name), "demand-%s-%s", queue, pool);
    int32_t j = tb_job(c, name, queue, 50, 1);
    c->jobs[j].pool = strdup(pool);
    snprintf(name, sizeof(name), "demand-%s-%s-0", queue, pool);
    tb_task(c, name, AL_TASK_PENDING, NULL, gpus, 0, NULL);
    assert_non_null(c->jobs[j].pool);
}

/* Pools a100 and h100 of 10 GPUs; a and b (weight 1, no deserved quota) each ask for 10 in
 * each. a used 0.6 of a100 (its pool entry's usage) and 0.6 of the default pool (its own);
 * k 1. With usage per pool a100 divides 3 : 7 and h100, where a used nothing, 5 : 5; a's
 * usage elsewhere does not reach h100. Without usage_per_pool (the queue's own usage in every
 * pool) both divide 3 : 7. Sums over the pools: 8 : 12, and 6 : 14. */
static void usage_in_one_pool_leaves_another_pools_division(void **state) {
    (void)state;
    for (int per_pool = 1; per_pool >= 0; per_pool--) {
        struct al_cluster c;
        struct al_result r;
        tb_init(&c);
        int32_t n = tb_node(&c, "a100-0", 10, 20000000, 20000000000);
        c.nodes[n].pool = strdup("a100");
        n = tb_node(&c, "h100-0", 10, 20000000, 20000000000);
        c.nodes[n].pool = strdup("h100");
        int32_t a = tb_queue(&c, "a", NULL, 0, -1, 1, 0);
        tb_queue(&c, "b", NULL, 0, -1, 1, 0);
        struct al_queue *qa = &c.queues[a];
        qa->usage_ppm[AL_GPU] = 60 * PPM;
        qa->pools = calloc(1, sizeof(*qa->pools));
        assert_non_null(qa->pools);
        qa->pools[0].pool = strdup("a100");
        memcpy(qa->pools[0].deserved, qa->deserved, sizeof(qa->deserved));
        memcpy(qa->pools[0].limit, qa->limit, sizeof(qa->limit));
        memcpy(qa->pools[0].weight, qa->weight, sizeof(qa->weight));
        qa->pools[0].usage_ppm[AL_GPU] = 60 * PPM;
        qa->pool_count = 1;
        pool_demand(&c, "a", "a100", 10);
        pool_demand(&c, "a", "h100", 10);
        pool_demand(&c, "b", "a100", 10);
        pool_demand(&c, "b", "h100", 10);
        c.config.usage_k_milli = 1000;
        c.config.usage_per_pool = per_pool;
        assert_int_equal(al_cycle_run(&c, &r), 0);
        assert_int_equal(r.pool_count, 2);
        const int64_t got[] = {
            r.pools[0].queues[0].fair_share[AL_GPU], r.pools[0].queues[1].fair_share[AL_GPU],
            r.pools[1].queues[0].fair_share[AL_GPU], r.pools[1].queues[1].fair_share[AL_GPU]};
        const int64_t want[2][4] = {{3 * GPU, 7 * GPU, 3 * GPU, 7 * GPU},
                                    {3 * GPU, 7 * GPU, 5 * GPU, 5 * GPU}};
        if (memcmp(got, want[per_pool], sizeof(got)) != 0)
            print_error("per_pool %d: a100 %lld : %lld, h100 %lld : %lld\n", per_pool,
                        (long long)got[0], (long long)got[1], (long long)got[2], (long long)got[3]);
        assert_memory_equal(got, want[per_pool], sizeof(got));
        al_result_release(&r);
        al_cluster_release(&c);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(usage_shifts_over_quota_to_the_queue_that_used_less),
        cmocka_unit_test(k_zero_ignores_usage),
        cmocka_unit_test(usage_never_overrides_deserved),
        cmocka_unit_test(all_weights_floored_divides_by_weight),
        cmocka_unit_test(capped_queue_leaves_the_rest_to_others),
        cmocka_unit_test(weights_and_k_combine),
        cmocka_unit_test(equal_usage_favours_the_larger_weight),
        cmocka_unit_test(out_of_range_usage_is_invalid),
        cmocka_unit_test(usage_in_one_pool_leaves_another_pools_division),
    };
    return cmocka_run_group_tests_name("usage_share", tests, NULL, NULL);
}
