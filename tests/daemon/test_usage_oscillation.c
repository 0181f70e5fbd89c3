/* test_usage_oscillation.c - time-based fair share over many cycles, as KAI's time-aware
 * simulation runs it (pkg/env-tests/time_aware_fairness_test.go, "a longer simulation"): two
 * projects of one department, no deserved quota, each always asking for the whole 16-GPU node
 * with one 16-GPU job. By weight alone the first to run keeps the node for ever; with usage
 * (window 256 s, half-life 128 s, k 1) the node goes back and forth and the GPU time splits
 * about evenly. The engine's cycle and allotd's usage history, one simulated second a cycle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "daemon/usage_history.h"
#include "support/builder.h"

#define CYCLES 1024
#define GPUS   16

static const char *const names[] = {"dept", "q1", "q2"};

struct outcome {
    int64_t gpu_seconds[2]; /* q1, q2 */
    int switches;           /* times the node changed hands */
};

/* One cycle's cluster: the queues with their usage at `now`, each project's job running (on
 * all devices) or pending. */
static void build(struct al_cluster *c, const struct al__usage_history *h, int64_t now,
                  int64_t k_milli, const bool running[2]) {
    static const int32_t devices[GPUS] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    tb_init(c);
    c->now_s = now;
    c->config.actions[1] = AL_ACTION_RECLAIM;
    c->config.action_count = 2;
    c->config.usage_k_milli = k_milli;
    tb_node(c, "node", GPUS, 64000, 1LL << 40);
    for (int q = 0; q < 3; q++) {
        int32_t i = tb_queue(c, names[q], q ? "dept" : NULL, 0, -1, 1, 0);
        al__usage_history_share(h, names[q], "", now, c->queues[i].usage_ppm);
    }
    for (int q = 0; q < 2; q++) {
        char job[16], task[16];
        snprintf(job, sizeof(job), "job-%s", names[q + 1]);
        snprintf(task, sizeof(task), "job-%s-0", names[q + 1]);
        tb_job(c, job, names[q + 1], 50, 1);
        c->jobs[c->job_count - 1].created_s = q; /* q1's is older: it starts first */
        tb_task(c, task, running[q] ? AL_TASK_RUNNING : AL_TASK_PENDING, running[q] ? "node" : NULL,
                GPUS, 0, running[q] ? devices : NULL);
    }
}

static struct outcome simulate(int64_t k_milli) {
    struct al__usage_history h;
    struct outcome out = {{0, 0}, 0};
    bool running[2] = {false, false};
    int holder = -1;

    al__usage_history_init(&h, 128, 256);
    for (int64_t now = 0; now < CYCLES; now++) {
        struct al_cluster c;
        struct al_result r;
        build(&c, &h, now, k_milli, running);
        assert_int_equal(al_cycle_run(&c, &r), 0);
        const int64_t capacity[AL_RESOURCE_COUNT] = {GPUS * 1000, 64000, 1LL << 40};
        al__usage_history_add(&h, AL__USAGE_CAPACITY, "", now, now + 1, capacity);
        for (int q = 0; q < 3; q++) /* what each holds until the next cycle */
            al__usage_history_add(&h, names[q], "", now, now + 1, r.queues[q].allocated);
        for (int q = 0; q < 2; q++) {
            /* an evicted job is pending again; a pipelined one starts next cycle */
            enum al_task_state s = r.tasks[q].state;
            running[q] = !r.tasks[q].evicted &&
                         (s == AL_TASK_RUNNING || s == AL_TASK_ALLOCATED || s == AL_TASK_PIPELINED);
            if (running[q]) {
                out.gpu_seconds[q] += GPUS;
                if (holder != q)
                    out.switches += holder >= 0;
                holder = q;
            }
        }
        al_result_release(&r);
        al_cluster_release(&c);
    }
    al__usage_history_release(&h);
    printf("k %.1f: q1 %lld GPU-s, q2 %lld GPU-s, %d switches in %d s\n", k_milli / 1000.0,
           (long long)out.gpu_seconds[0], (long long)out.gpu_seconds[1], out.switches, CYCLES);
    return out;
}

/* By weight alone (k 0) q1 keeps the node: its fair share is 8 of 16, q2's too, and q2's
 * 16-GPU job would take it above its share, so nothing is reclaimed. */
static void without_usage_the_first_keeps_the_node(void **state) {
    (void)state;
    struct outcome o = simulate(0);
    assert_int_equal(o.switches, 0);
    assert_int_equal(o.gpu_seconds[1], 0);
}

/* With usage the node changes hands, and over 1024 s neither project gets less than a third. */
static void with_usage_the_node_goes_back_and_forth(void **state) {
    (void)state;
    struct outcome o = simulate(1000);
    int64_t total = o.gpu_seconds[0] + o.gpu_seconds[1];
    if (o.switches < 3 || 3 * o.gpu_seconds[0] < total || 3 * o.gpu_seconds[1] < total)
        fail_msg("q1 %lld, q2 %lld GPU-s, %d switches", (long long)o.gpu_seconds[0],
                 (long long)o.gpu_seconds[1], o.switches);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_usage_the_first_keeps_the_node),
        cmocka_unit_test(with_usage_the_node_goes_back_and_forth),
    };
    return cmocka_run_group_tests_name("usage_oscillation", tests, NULL, NULL);
}
