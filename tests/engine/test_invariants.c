/* test_invariants.c - al_cycle_run rejects a cluster that breaks the model's invariants, and the
 * session checker (asserted after every rollback and action in test builds) notices a sum that
 * drifted from the tasks. */
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
#include "engine/session.h"
#include "support/builder.h"

static const int32_t dev[2] = {0, 1};

static void two_gpu_cluster(struct al_cluster *c) {
    tb_init(c);
    tb_node(c, "n0", 2, 8000, 8000000000);
    tb_queue(c, "dept", NULL, -1, -1, 1, 100);
    tb_queue(c, "team", "dept", -1, -1, 1, 100);
    tb_job(c, "a", "team", 50, 1);
    tb_task(c, "a-0", AL_TASK_RUNNING, "n0", 1, 0, &dev[0]);
    tb_job(c, "b", "team", 50, 1);
    tb_task(c, "b-0", AL_TASK_PENDING, NULL, 1, 0, NULL);
}

static void expect_rejected(struct al_cluster *c, const char *what) {
    struct al_result r;
    int rc = al_cycle_run(c, &r);
    if (rc != -AL_EINVAL) {
        print_error("%s: al_cycle_run returned %d, want -AL_EINVAL\n", what, rc);
        if (rc == 0)
            al_result_release(&r);
        fail();
    }
}

static void a_valid_cluster_runs(void **state) {
    struct al_cluster c;
    struct al_result r;
    (void)state;
    two_gpu_cluster(&c);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    al_result_release(&r);
    al_cluster_release(&c);
}

static void a_job_in_an_inner_queue_is_rejected(void **state) {
    struct al_cluster c;
    (void)state;
    two_gpu_cluster(&c);
    c.jobs[1].queue = tb_find_queue(&c, "dept");
    expect_rejected(&c, "job in a department");
    al_cluster_release(&c);
}

static void a_device_held_twice_is_rejected(void **state) {
    struct al_cluster c;
    (void)state;
    two_gpu_cluster(&c);
    tb_job(&c, "x", "team", 50, 1);
    tb_task(&c, "x-0", AL_TASK_RUNNING, "n0", 1, 0, &dev[0]); /* a's device */
    expect_rejected(&c, "two whole-GPU tasks on device 0");
    al_cluster_release(&c);
}

static void over_committed_shares_are_rejected(void **state) {
    struct al_cluster c;
    (void)state;
    two_gpu_cluster(&c);
    tb_job(&c, "x", "team", 50, 1);
    tb_task(&c, "x-0", AL_TASK_RUNNING, "n0", 0, 600, &dev[1]);
    tb_job(&c, "y", "team", 50, 1);
    tb_task(&c, "y-0", AL_TASK_RUNNING, "n0", 0, 600, &dev[1]);
    expect_rejected(&c, "1.2 of device 1");
    al_cluster_release(&c);
}

/* A pipelined task waits for a releasing one on the same device: not over-committed. */
static void pipelined_onto_releasing_is_fine(void **state) {
    struct al_cluster c;
    struct al_result r;
    (void)state;
    two_gpu_cluster(&c);
    c.tasks[0].state = AL_TASK_RELEASING;
    tb_job(&c, "p", "team", 50, 1);
    tb_task(&c, "p-0", AL_TASK_PIPELINED, "n0", 1, 0, &dev[0]);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    al_result_release(&r);
    al_cluster_release(&c);
}

static void bad_indices_and_cycles_are_rejected(void **state) {
    struct al_cluster c;
    (void)state;
    two_gpu_cluster(&c);
    c.tasks[0].node = 7;
    expect_rejected(&c, "a node index out of range");
    c.tasks[0].node = 0;
    c.queues[0].parent = 1; /* dept under team under dept */
    expect_rejected(&c, "a cycle in the queue tree");
    al_cluster_release(&c);
}

/* At the bounds the engine accepts, its sums do not overflow (UBSan would stop the test): 8 jobs
 * of 1,024 tasks asking 2^50 bytes each; beyond them it says no. */
static void sums_stay_in_range_at_the_bounds(void **state) {
    struct al_cluster c;
    struct al_result r;
    char name[32];
    (void)state;
    tb_init(&c);
    tb_node(&c, "n0", 8, 1LL << 50, 1LL << 50);
    tb_queue(&c, "q", NULL, -1, -1, 1, 100);
    for (int j = 0; j < 8; j++) {
        snprintf(name, sizeof(name), "j%d", j);
        tb_job(&c, name, "q", 50, 0);
        for (int t = 0; t < 1024; t++) {
            snprintf(name, sizeof(name), "j%d-%d", j, t);
            int32_t id = tb_task(&c, name, AL_TASK_PENDING, NULL, 1, 0, NULL);
            c.tasks[id].memory_bytes = 1LL << 50;
            c.tasks[id].cpu_millis = 1LL << 50;
        }
    }
    c.config.action_count = 0;
    const enum al_action all[] = {AL_ACTION_ALLOCATE, AL_ACTION_CONSOLIDATION, AL_ACTION_RECLAIM,
                                  AL_ACTION_PREEMPT, AL_ACTION_STALE_GANG_EVICTION};
    memcpy(c.config.actions, all, sizeof(all));
    c.config.action_count = 5;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_true(r.queues[0].requested[AL_MEMORY] > 0); /* saturated, not wrapped */
    al_result_release(&r);
    c.tasks[0].memory_bytes = (1LL << 50) + 1; /* beyond a task's bound */
    expect_rejected(&c, "a task asking more than 2^50 bytes");
    al_cluster_release(&c);
    tb_init(&c);
    for (int n = 0; n < 5000; n++) { /* 5,000 nodes of 2^50 bytes: more than 2^62 in all */
        snprintf(name, sizeof(name), "n%d", n);
        tb_node(&c, name, 0, 1000, 1LL << 50);
    }
    tb_queue(&c, "q", NULL, -1, -1, 1, 100);
    expect_rejected(&c, "a cluster whose memory sums beyond 2^62");
    al_cluster_release(&c);
}

static void the_checker_notices_drift(void **state) {
    struct al_cluster c;
    struct al__session s;
    (void)state;
    two_gpu_cluster(&c);
    assert_int_equal(al__session_init(&s, &c, NULL), 0);
    assert_true(al__session_check(&s));
    s.nodes[0].used[AL_CPU] += 1;
    assert_false(al__session_check(&s));
    s.nodes[0].used[AL_CPU] -= 1;
    s.queues[0].allocated[AL_GPU] += 1000;
    assert_false(al__session_check(&s));
    s.queues[0].allocated[AL_GPU] -= 1000;
    s.jobs[1].pending = 0;
    assert_false(al__session_check(&s));
    s.jobs[1].pending = 1;
    s.index.by_shape.cpu.key[0] += 1; /* filed under a stale key */
    assert_false(al__session_check(&s));
    s.index.by_shape.cpu.key[0] -= 1;
    assert_true(al__session_check(&s));
    al__session_release(&s, NULL);
    al_cluster_release(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_valid_cluster_runs),
        cmocka_unit_test(a_job_in_an_inner_queue_is_rejected),
        cmocka_unit_test(a_device_held_twice_is_rejected),
        cmocka_unit_test(over_committed_shares_are_rejected),
        cmocka_unit_test(pipelined_onto_releasing_is_fine),
        cmocka_unit_test(bad_indices_and_cycles_are_rejected),
        cmocka_unit_test(sums_stay_in_range_at_the_bounds),
        cmocka_unit_test(the_checker_notices_drift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
