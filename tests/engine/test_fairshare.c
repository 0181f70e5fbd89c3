/* test_fairshare.c - hierarchical fair share on hand-computed cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "support/builder.h"

#define GPU 1000

/* Each queue asks for `want` GPUs through one pending task. */
static void demand(struct al_cluster *c, const char *queue, int gpus) {
    char name[64];
    snprintf(name, sizeof(name), "demand-%s", queue);
    tb_job(c, name, queue, 50, 1);
    snprintf(name, sizeof(name), "demand-%s-0", queue);
    tb_task(c, name, AL_TASK_PENDING, NULL, gpus, 0, NULL);
}

static void expect_shares(struct al_cluster *c, const char *const *names, const int64_t *milli,
                          size_t n) {
    c->config.action_count = 0;
    struct al_result r;
    assert_int_equal(al_cycle_run(c, &r), 0);
    for (size_t i = 0; i < n; i++) {
        int32_t q = tb_find_queue(c, names[i]);
        assert_true(q >= 0);
        if (r.queues[q].fair_share[AL_GPU] != milli[i])
            print_error("queue %s: fair share %lld milli-GPU, expected %lld\n", names[i],
                        (long long)r.queues[q].fair_share[AL_GPU], (long long)milli[i]);
        assert_int_equal(r.queues[q].fair_share[AL_GPU], milli[i]);
    }
    al_result_release(&r);
    al_cluster_release(c);
}

/* 12 GPUs; departments deserve 3 and 1; the 8 left split 4/4 by equal weights. */
static void departments_split_over_quota_equally(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n", 12, 20000000, 20000000000);
    tb_queue(&c, "d1", NULL, 3 * GPU, -1, 1, 0);
    tb_queue(&c, "q1", "d1", 2 * GPU, -1, 1, 0);
    tb_queue(&c, "d2", NULL, 1 * GPU, -1, 1, 0);
    tb_queue(&c, "q2", "d2", 2 * GPU, -1, 1, 0);
    demand(&c, "q1", 100);
    demand(&c, "q2", 100);
    const char *names[] = {"d1", "q1", "d2", "q2"};
    const int64_t want[] = {7 * GPU, 7 * GPU, 5 * GPU, 5 * GPU};
    expect_shares(&c, names, want, 4);
}

/* Weights 7:1 divide the 8 over-quota GPUs 7/1. */
static void weights_divide_in_proportion(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n", 12, 20000000, 20000000000);
    tb_queue(&c, "d1", NULL, 3 * GPU, -1, 7, 0);
    tb_queue(&c, "q1", "d1", 2 * GPU, -1, 1, 0);
    tb_queue(&c, "d2", NULL, 1 * GPU, -1, 1, 0);
    tb_queue(&c, "q2", "d2", 2 * GPU, -1, 1, 0);
    demand(&c, "q1", 100);
    demand(&c, "q2", 100);
    const char *names[] = {"d1", "d2"};
    const int64_t want[] = {10 * GPU, 2 * GPU};
    expect_shares(&c, names, want, 2);
}

/* The higher-priority queue takes all over-quota capacity, whatever the weights. */
static void priority_is_served_first(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n", 12, 20000000, 20000000000);
    tb_queue(&c, "d1", NULL, 1 * GPU, -1, 7, 1);
    tb_queue(&c, "q1", "d1", 1 * GPU, -1, 1, 0);
    tb_queue(&c, "d2", NULL, 1 * GPU, -1, 1, 2);
    tb_queue(&c, "q2", "d2", 1 * GPU, -1, 1, 0);
    demand(&c, "q1", 100);
    demand(&c, "q2", 100);
    const char *names[] = {"d1", "d2", "q2"};
    const int64_t want[] = {1 * GPU, 11 * GPU, 11 * GPU};
    expect_shares(&c, names, want, 3);
}

/* A top queue with unlimited deserved quota deserves all it requests up to what the
 * cluster has (150 GPUs asked, 10 there); its children divide those 10: 3 each and the
 * tenth to the oldest. */
static void unlimited_deserved_takes_all_it_requests(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n", 10, 20000000, 20000000000);
    tb_queue(&c, "top", NULL, -1, -1, 1, 100);
    tb_queue(&c, "a", "top", 0, -1, 1, 100);
    tb_queue(&c, "b", "top", 0, -1, 1, 100);
    tb_queue(&c, "c", "top", 0, -1, 1, 100);
    demand(&c, "a", 50);
    demand(&c, "b", 50);
    demand(&c, "c", 50);
    const char *names[] = {"top", "a", "b", "c"};
    const int64_t want[] = {10 * GPU, 4 * GPU, 3 * GPU, 3 * GPU};
    expect_shares(&c, names, want, 4);
}

/* 10 GPUs over three equal queues deserving 0: 3 each, the tenth to the oldest (equal
 * remainders, ties in sibling order). */
static void leftover_units_largest_remainder(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n", 10, 20000000, 20000000000);
    tb_queue(&c, "a", NULL, 0, -1, 1, 100);
    tb_queue(&c, "b", NULL, 0, -1, 1, 100);
    tb_queue(&c, "c", NULL, 0, -1, 1, 100);
    demand(&c, "a", 50);
    demand(&c, "b", 50);
    demand(&c, "c", 50);
    const char *names[] = {"a", "b", "c"};
    const int64_t want[] = {4 * GPU, 3 * GPU, 3 * GPU};
    expect_shares(&c, names, want, 3);
}

/* A limit caps the share; the capped part goes to the sibling. */
static void limit_caps_and_rest_is_redistributed(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n", 10, 20000000, 20000000000);
    tb_queue(&c, "a", NULL, 1 * GPU, 3 * GPU, 1, 100);
    tb_queue(&c, "b", NULL, 1 * GPU, -1, 1, 100);
    demand(&c, "a", 50);
    demand(&c, "b", 50);
    const char *names[] = {"a", "b"};
    const int64_t want[] = {3 * GPU, 7 * GPU};
    expect_shares(&c, names, want, 2);
}

/* Quotas above the cluster: each queue still gets its deserved quota; nothing is left. */
static void oversubscribed_deserved_is_granted(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n", 6, 20000000, 20000000000);
    tb_queue(&c, "a", NULL, 4 * GPU, -1, 1, 100);
    tb_queue(&c, "b", NULL, 4 * GPU, -1, 1, 100);
    demand(&c, "a", 10);
    demand(&c, "b", 10);
    const char *names[] = {"a", "b"};
    const int64_t want[] = {4 * GPU, 4 * GPU};
    expect_shares(&c, names, want, 2);
}

/* Fractional requests: a queue asking for half a GPU gets half a GPU; the other queue
 * takes the rest; the half GPU left over goes to whoever still wants it. */
static void fractions_are_shared_exactly(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n", 2, 20000000, 20000000000);
    tb_queue(&c, "a", NULL, 0, -1, 1, 100);
    tb_queue(&c, "b", NULL, 0, -1, 1, 100);
    tb_job(&c, "ja", "a", 50, 1);
    tb_task(&c, "ja-0", AL_TASK_PENDING, NULL, 0, 500, NULL);
    demand(&c, "b", 4);
    const char *names[] = {"a", "b"};
    const int64_t want[] = {500, 1500};
    expect_shares(&c, names, want, 2);
}

/* Weight 0: no over-quota share; the share stays at deserved. */
static void zero_weight_gets_no_over_quota(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n", 8, 20000000, 20000000000);
    tb_queue(&c, "a", NULL, 2 * GPU, -1, 0, 100);
    tb_queue(&c, "b", NULL, 1 * GPU, -1, 1, 100);
    demand(&c, "a", 8);
    demand(&c, "b", 8);
    const char *names[] = {"a", "b"};
    const int64_t want[] = {2 * GPU, 6 * GPU};
    expect_shares(&c, names, want, 2);
}

/* Three levels: requests equal to deserved flow down unchanged. */
static void three_levels(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n", 3, 20000000, 20000000000);
    tb_queue(&c, "top", NULL, 3 * GPU, -1, 0, 0);
    tb_queue(&c, "mid", "top", 3 * GPU, -1, 0, 0);
    tb_queue(&c, "l1", "mid", 2 * GPU, -1, 0, 0);
    tb_queue(&c, "l2", "mid", 1 * GPU, -1, 0, 0);
    demand(&c, "l1", 2);
    demand(&c, "l2", 1);
    const char *names[] = {"top", "mid", "l1", "l2"};
    const int64_t want[] = {3 * GPU, 3 * GPU, 2 * GPU, 1 * GPU};
    expect_shares(&c, names, want, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(departments_split_over_quota_equally),
        cmocka_unit_test(weights_divide_in_proportion),
        cmocka_unit_test(priority_is_served_first),
        cmocka_unit_test(unlimited_deserved_takes_all_it_requests),
        cmocka_unit_test(leftover_units_largest_remainder),
        cmocka_unit_test(limit_caps_and_rest_is_redistributed),
        cmocka_unit_test(oversubscribed_deserved_is_granted),
        cmocka_unit_test(fractions_are_shared_exactly),
        cmocka_unit_test(zero_weight_gets_no_over_quota),
        cmocka_unit_test(three_levels),
    };
    return cmocka_run_group_tests_name("fairshare", tests, NULL, NULL);
}
