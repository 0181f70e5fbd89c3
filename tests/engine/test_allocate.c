/* test_allocate.c - the allocate action: gangs, elastic jobs, pipelining, placement, explanations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "allot/snapshot.h"
#include "snapshot/report.h"
#include "support/builder.h"
#include "support/snapfiles.h"

#define NODE_CPU 20000000
#define NODE_MEM 20000000000

static void run(struct al_cluster *c, struct al_result *r) {
    assert_int_equal(al_cycle_run(c, r), 0);
}

static void expect_task(const struct al_cluster *c, const struct al_result *r, const char *task,
                        enum al_task_state state, const char *node) {
    int32_t t = tb_find_task(c, task);
    assert_true(t >= 0);
    const struct al_task_outcome *o = &r->tasks[t];
    const char *got_node = o->node >= 0 ? c->nodes[o->node].name : "-";
    if (o->state != state || (node && strcmp(got_node, node) != 0))
        print_error("task %s: expected %s on %s, got %s on %s\n", task, al_task_state_name(state),
                    node ? node : "any", al_task_state_name(o->state), got_node);
    assert_int_equal(o->state, state);
    if (node)
        assert_string_equal(got_node, node);
}

static const struct al_explanation *why(const struct al_cluster *c, const struct al_result *r,
                                        const char *job) {
    for (size_t i = 0; i < r->explanation_count; i++)
        if (strcmp(c->jobs[r->explanations[i].job].name, job) == 0)
            return &r->explanations[i];
    print_error("no explanation for job %s\n", job);
    fail();
    return NULL;
}

static void one_queue(struct al_cluster *c, int64_t deserved, int64_t limit) {
    tb_queue(c, "dept", NULL, -1, -1, 1, 100);
    tb_queue(c, "team", "dept", deserved, limit, 1, 100);
}

static void gang_is_all_or_nothing_and_explained(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 3, NODE_CPU, NODE_MEM);
    one_queue(&c, 8000, -1);
    tb_job(&c, "gang", "team", 50, 4);
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof(name), "gang-%d", i);
        tb_task(&c, name, AL_TASK_PENDING, NULL, 1, 0, NULL);
    }
    struct al_result r;
    run(&c, &r);
    assert_int_equal(r.decision_count, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(r.tasks[i].state, AL_TASK_PENDING);
    const struct al_explanation *e = why(&c, &r, "gang");
    assert_int_equal(e->reason, AL_REASON_GANG_INCOMPLETE);
    assert_int_equal(e->placeable, 3);
    assert_int_equal(e->needed, 4);
    assert_int_equal(e->best_free[0], 0); /* the node was full when the 4th was tried */
    al_result_release(&r);
    al_cluster_release(&c);
}

static void over_limit_is_explained_with_numbers(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 16, NODE_CPU, NODE_MEM);
    one_queue(&c, 2000, 8000);
    const int32_t dev[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    tb_job(&c, "big", "team", 50, 1);
    tb_task(&c, "big-0", AL_TASK_RUNNING, "n0", 8, 0, dev);
    tb_job(&c, "more", "team", 50, 1);
    tb_task(&c, "more-0", AL_TASK_PENDING, NULL, 2, 0, NULL);
    struct al_result r;
    run(&c, &r);
    expect_task(&c, &r, "more-0", AL_TASK_PENDING, NULL);
    const struct al_explanation *e = why(&c, &r, "more");
    assert_int_equal(e->reason, AL_REASON_OVER_LIMIT);
    assert_string_equal(c.queues[e->queue].name, "team");
    assert_int_equal(e->resource, AL_GPU);
    assert_int_equal(e->allocated, 8000);
    assert_int_equal(e->requested, 2000);
    assert_int_equal(e->limit, 8000);
    al_result_release(&r);
    al_cluster_release(&c);
}

static void non_preemptible_only_within_deserved(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 4, NODE_CPU, NODE_MEM);
    one_queue(&c, 1000, -1);
    tb_job(&c, "build", "team", 100, 1);
    tb_task(&c, "build-0", AL_TASK_PENDING, NULL, 2, 0, NULL);
    tb_job(&c, "train", "team", 50, 1);
    tb_task(&c, "train-0", AL_TASK_PENDING, NULL, 2, 0, NULL);
    struct al_result r;
    run(&c, &r);
    expect_task(&c, &r, "build-0", AL_TASK_PENDING, NULL);
    expect_task(&c, &r, "train-0", AL_TASK_ALLOCATED, "n0");
    const struct al_explanation *e = why(&c, &r, "build");
    assert_int_equal(e->reason, AL_REASON_NON_PREEMPTIBLE_OVER_QUOTA);
    assert_int_equal(e->requested, 2000);
    assert_int_equal(e->limit, 1000);
    al_result_release(&r);
    al_cluster_release(&c);
}

/* A semi-preemptible job's core is held to deserved quota, its tasks beyond are not; each
 * explanation names the part that did not fit. */
static void semi_preemptible_explanations_name_the_part(void **state) {
    (void)state;
    struct al_cluster c;
    char text[512];
    tb_init(&c);
    tb_node(&c, "n0", 3, NODE_CPU, NODE_MEM);
    one_queue(&c, 2000, -1);
    tb_job(&c, "big", "team", 50, 3); /* a core of 3 over the deserved 2 */
    c.jobs[c.job_count - 1].preemptible = false;
    c.jobs[c.job_count - 1].semi_preemptible = true;
    for (int i = 0; i < 3; i++)
        tb_task(&c,
                i == 0   ? "big-0"
                : i == 1 ? "big-1"
                         : "big-2",
                AL_TASK_PENDING, NULL, 1, 0, NULL);
    tb_job(&c, "p", "team", 50, 1); /* a core of 1, then 3 beyond on 2 GPUs left */
    c.jobs[c.job_count - 1].preemptible = false;
    c.jobs[c.job_count - 1].semi_preemptible = true;
    c.jobs[c.job_count - 1].created_s = 10;
    for (int i = 0; i < 4; i++)
        tb_task(&c,
                i == 0   ? "p-0"
                : i == 1 ? "p-1"
                : i == 2 ? "p-2"
                         : "p-3",
                AL_TASK_PENDING, NULL, 1, 0, NULL);
    struct al_result r;
    run(&c, &r);
    expect_task(&c, &r, "big-0", AL_TASK_PENDING, NULL);
    expect_task(&c, &r, "p-2", AL_TASK_ALLOCATED, "n0"); /* over quota: 3 of a deserved 2 */
    expect_task(&c, &r, "p-3", AL_TASK_PENDING, NULL);
    const struct al_explanation *e = why(&c, &r, "big");
    assert_int_equal(e->reason, AL_REASON_NON_PREEMPTIBLE_OVER_QUOTA);
    assert_int_equal(e->part, AL_PART_CORE);
    assert_int_equal(e->requested, 3000);
    al_explanation_text(&c, e, text, sizeof(text));
    assert_non_null(strstr(text, "semi-preemptible core (first 3 tasks)"));
    e = why(&c, &r, "p");
    assert_int_equal(e->reason, AL_REASON_NO_NODE_FITS);
    assert_int_equal(e->part, AL_PART_ELASTIC);
    al_explanation_text(&c, e, text, sizeof(text));
    assert_non_null(strstr(text, "semi-preemptible elastic tasks beyond the core of 1"));
    al_result_release(&r);
    al_cluster_release(&c);
}

static void no_node_fits_reports_shortfall(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 2, NODE_CPU, NODE_MEM);
    tb_node(&c, "n1", 2, NODE_CPU, NODE_MEM);
    one_queue(&c, -1, -1);
    tb_job(&c, "wide", "team", 50, 1);
    tb_task(&c, "wide-0", AL_TASK_PENDING, NULL, 4, 0, NULL);
    struct al_result r;
    run(&c, &r);
    const struct al_explanation *e = why(&c, &r, "wide");
    assert_int_equal(e->reason, AL_REASON_NO_NODE_FITS);
    assert_int_equal(e->requested_task[AL_GPU], 4000);
    assert_int_equal(e->best_free[AL_GPU], 2000);
    assert_int_equal(e->nodes_matching, 2);
    al_result_release(&r);
    al_cluster_release(&c);
}

static void elastic_jobs_take_turns(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 5, NODE_CPU, NODE_MEM);
    one_queue(&c, 5000, -1);
    tb_job(&c, "a", "team", 50, 1);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof(name), "a-%d", i);
        tb_task(&c, name, AL_TASK_PENDING, NULL, 1, 0, NULL);
    }
    tb_job(&c, "b", "team", 50, 1);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof(name), "b-%d", i);
        tb_task(&c, name, AL_TASK_PENDING, NULL, 1, 0, NULL);
    }
    struct al_result r;
    run(&c, &r);
    /* a (older) gets its minimum, then b, then turns: a a b b a -> a has 3, b has 2 */
    expect_task(&c, &r, "a-2", AL_TASK_ALLOCATED, "n0");
    expect_task(&c, &r, "b-1", AL_TASK_ALLOCATED, "n0");
    expect_task(&c, &r, "b-2", AL_TASK_PENDING, NULL);
    assert_int_equal(r.decision_count, 5);
    assert_string_equal(c.tasks[r.decisions[1].task].name, "b-0"); /* b's minimum second */
    assert_int_equal(why(&c, &r, "b")->reason, AL_REASON_NO_NODE_FITS);
    al_result_release(&r);
    al_cluster_release(&c);
}

static void gang_partly_on_releasing_is_pipelined_whole(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "n0", 4, NODE_CPU, NODE_MEM);
    one_queue(&c, 3000, -1);
    const int32_t d0[] = {0};
    tb_job(&c, "old", "team", 50, 1);
    tb_task(&c, "old-0", AL_TASK_RELEASING, "n0", 1, 0, d0);
    tb_job(&c, "gang", "team", 50, 2);
    tb_task(&c, "gang-0", AL_TASK_PENDING, NULL, 2, 0, NULL);
    tb_task(&c, "gang-1", AL_TASK_PENDING, NULL, 2, 0, NULL);
    struct al_result r;
    run(&c, &r);
    expect_task(&c, &r, "gang-0", AL_TASK_PIPELINED, "n0");
    expect_task(&c, &r, "gang-1", AL_TASK_PIPELINED, "n0");
    assert_int_equal(r.decision_count, 2);
    assert_int_equal(r.decisions[0].kind, AL_DECISION_PIPELINE);
    assert_int_equal(r.decisions[1].kind, AL_DECISION_PIPELINE);
    al_result_release(&r);
    al_cluster_release(&c);
}

static void binpack_and_spread_choose_nodes(void **state) {
    (void)state;
    for (int spread = 0; spread < 2; spread++) {
        struct al_cluster c;
        tb_init(&c);
        c.config.gpu_placement = spread ? AL_SPREAD : AL_BINPACK;
        tb_node(&c, "n0", 4, NODE_CPU, NODE_MEM);
        tb_node(&c, "n1", 4, NODE_CPU, NODE_MEM);
        one_queue(&c, -1, -1);
        const int32_t d[] = {0, 1};
        tb_job(&c, "r", "team", 50, 1);
        tb_task(&c, "r-0", AL_TASK_RUNNING, "n1", 2, 0, d);
        tb_job(&c, "p", "team", 50, 1);
        tb_task(&c, "p-0", AL_TASK_PENDING, NULL, 1, 0, NULL);
        struct al_result r;
        run(&c, &r);
        expect_task(&c, &r, "p-0", AL_TASK_ALLOCATED, spread ? "n0" : "n1");
        if (!spread) /* whole devices: the lowest free index */
            assert_int_equal(r.decisions[0].gpus[0], 2);
        al_result_release(&r);
        al_cluster_release(&c);
    }
}

static void fractions_pack_or_spread_devices(void **state) {
    (void)state;
    for (int spread = 0; spread < 2; spread++) {
        struct al_cluster c;
        tb_init(&c);
        c.config.gpu_device_placement = spread ? AL_SPREAD : AL_BINPACK;
        tb_node(&c, "n0", 3, NODE_CPU, NODE_MEM);
        one_queue(&c, -1, -1);
        const int32_t d0[] = {0}, d1[] = {1};
        tb_job(&c, "r", "team", 50, 1);
        tb_task(&c, "r-0", AL_TASK_RUNNING, "n0", 0, 500, d0);
        tb_task(&c, "r-1", AL_TASK_RUNNING, "n0", 0, 700, d1);
        tb_job(&c, "p", "team", 50, 1);
        tb_task(&c, "p-0", AL_TASK_PENDING, NULL, 0, 200, NULL);
        struct al_result r;
        run(&c, &r);
        /* pack: the most used device that fits (1: 0.7 + 0.2); spread: the free one (2) */
        assert_int_equal(r.decision_count, 1);
        assert_int_equal(r.decisions[0].gpu_count, 1);
        assert_int_equal(r.decisions[0].gpus[0], spread ? 2 : 1);
        al_result_release(&r);
        al_cluster_release(&c);
    }
}

static void memory_requests_and_multi_device_fractions(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    int32_t n = tb_node(&c, "n0", 2, NODE_CPU, NODE_MEM);
    tb_gpu_memory(&c, n, 81920);
    one_queue(&c, -1, -1);
    tb_job(&c, "m", "team", 50, 1);
    int32_t t = tb_task(&c, "m-0", AL_TASK_PENDING, NULL, 0, 0, NULL);
    c.tasks[t].gpu_memory_mib = 40960;
    c.tasks[t].gpu_devices = 2;
    tb_job(&c, "f", "team", 50, 1);
    t = tb_task(&c, "f-0", AL_TASK_PENDING, NULL, 0, 500, NULL);
    c.tasks[t].gpu_devices = 2;
    t = tb_find_task(&c, "m-0");
    tb_job(&c, "g", "team", 50, 1);
    tb_task(&c, "g-0", AL_TASK_PENDING, NULL, 0, 10, NULL); /* no room left: 2 x (0.5 + 0.5) */
    struct al_result r;
    run(&c, &r);
    expect_task(&c, &r, "m-0", AL_TASK_ALLOCATED, "n0");
    assert_int_equal(r.tasks[t].gpu_count, 2);
    expect_task(&c, &r, "f-0", AL_TASK_ALLOCATED, "n0");
    expect_task(&c, &r, "g-0", AL_TASK_PENDING, NULL);
    assert_int_equal(r.queues[1].allocated[AL_GPU], 2000); /* 2 x 500 + 2 x 500 */
    al_result_release(&r);
    al_cluster_release(&c);
}

static void affinity_and_cpu_only_preferences(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    tb_node(&c, "gpu0", 2, 64000, NODE_MEM);
    int32_t cpu = tb_node(&c, "cpu0", 0, 64000, NODE_MEM);
    int32_t z = tb_node(&c, "gpu1", 2, 64000, NODE_MEM);
    tb_label(&c, z, "zone", "b");
    (void)cpu;
    one_queue(&c, -1, -1);
    tb_job(&c, "cpu", "team", 50, 1);
    tb_task(&c, "cpu-0", AL_TASK_PENDING, NULL, 0, 0, NULL);
    tb_job(&c, "zoned", "team", 50, 1);
    int32_t t = tb_task(&c, "zoned-0", AL_TASK_PENDING, NULL, 1, 0, NULL);
    c.tasks[t].affinity = calloc(1, sizeof(*c.tasks[t].affinity));
    c.tasks[t].affinity_count = 1;
    c.tasks[t].affinity[0].key = strdup("zone");
    c.tasks[t].affinity[0].values = calloc(1, sizeof(char *));
    c.tasks[t].affinity[0].values[0] = strdup("b");
    c.tasks[t].affinity[0].value_count = 1;
    tb_job(&c, "nowhere", "team", 50, 1);
    t = tb_task(&c, "nowhere-0", AL_TASK_PENDING, NULL, 1, 0, NULL);
    c.tasks[t].affinity = calloc(1, sizeof(*c.tasks[t].affinity));
    c.tasks[t].affinity_count = 1;
    c.tasks[t].affinity[0].key = strdup("zone");
    c.tasks[t].affinity[0].values = calloc(1, sizeof(char *));
    c.tasks[t].affinity[0].values[0] = strdup("mars");
    c.tasks[t].affinity[0].value_count = 1;
    struct al_result r;
    run(&c, &r);
    expect_task(&c, &r, "cpu-0", AL_TASK_ALLOCATED, "cpu0");
    expect_task(&c, &r, "zoned-0", AL_TASK_ALLOCATED, "gpu1");
    expect_task(&c, &r, "nowhere-0", AL_TASK_PENDING, NULL);
    assert_int_equal(why(&c, &r, "nowhere")->nodes_matching, 0);
    al_result_release(&r);
    al_cluster_release(&c);
}

/* A cordoned (or not Ready) node keeps its tasks and takes no new one. */
static void unschedulable_nodes_take_no_new_tasks(void **state) {
    (void)state;
    struct al_cluster c;
    tb_init(&c);
    one_queue(&c, -1, -1);
    int32_t cordoned = tb_node(&c, "cordoned", 4, 64000, (int64_t)1 << 36);
    tb_node(&c, "open", 2, 64000, (int64_t)1 << 36);
    c.nodes[cordoned].unschedulable = true;
    const int32_t dev[] = {0};
    tb_job(&c, "old", "team", 50, 1);
    tb_task(&c, "old-0", AL_TASK_RUNNING, "cordoned", 1, 0, dev);
    tb_job(&c, "fits", "team", 50, 1);
    tb_task(&c, "fits-0", AL_TASK_PENDING, NULL, 2, 0, NULL);
    tb_job(&c, "waits", "team", 50, 1);
    tb_task(&c, "waits-0", AL_TASK_PENDING, NULL, 2, 0, NULL);
    struct al_result r;
    run(&c, &r);
    expect_task(&c, &r, "old-0", AL_TASK_RUNNING, "cordoned");
    expect_task(&c, &r, "fits-0", AL_TASK_ALLOCATED, "open");
    expect_task(&c, &r, "waits-0", AL_TASK_PENDING, NULL); /* 3 GPUs free, on the cordoned one */
    al_result_release(&r);
    al_cluster_release(&c);
}

/* allocate-reservation-large-gang-backfill: when small-over (limit 600, past big's start at 500)
 * is tried, node3 (reserved) has 4 devices free and node2, after small-long, 2. Its explanation
 * counts the free devices where it may go (2), and says that 2 nodes are reserved from 500. */
static void kept_off_reserved_nodes_best_free_counts_the_others(void **state) {
    (void)state;
    size_t len;
    char *text =
        tb_read_file(TB_SCENARIOS_DIR "/allocate-reservation-large-gang-backfill.json", &len);
    assert_non_null(text);
    struct al_cluster c;
    struct al_snapshot_error err;
    assert_int_equal(al_snapshot_parse(text, len, &c, &err), 0);
    free(text);
    struct al_result r;
    run(&c, &r);
    const struct al_explanation *e = why(&c, &r, "small-over");
    assert_int_equal(e->reason, AL_REASON_NO_NODE_FITS);
    assert_int_equal(e->nodes_reserved, 2);
    assert_int_equal(e->reserved_from_s, 500);
    assert_int_equal(e->best_free[AL_GPU], 2000); /* not node3's 4 */
    char line[512];
    al_explanation_text(&c, e, line, sizeof(line));
    assert_non_null(strstr(line, "most free on a node 2 GPUs; 2 nodes are reserved"));
    e = why(&c, &r, "big"); /* the reserving job may use its own nodes: node3's 4 count */
    assert_int_equal(e->nodes_reserved, 0);
    al_result_release(&r);
    al_cluster_release(&c);
}

/* allocate-reservation-fractional-gang: a gang of 0.5-GPU tasks reserves both nodes; long (no
 * time limit) may use neither: its explanation says so instead of free amounts of no node. */
static void kept_off_every_node_by_a_fractional_gang_says_so(void **state) {
    (void)state;
    size_t len;
    char *text = tb_read_file(TB_SCENARIOS_DIR "/allocate-reservation-fractional-gang.json", &len);
    assert_non_null(text);
    struct al_cluster c;
    struct al_snapshot_error err;
    assert_int_equal(al_snapshot_parse(text, len, &c, &err), 0);
    free(text);
    struct al_result r;
    run(&c, &r);
    assert_int_equal(r.reservation_count, 1);
    const struct al_explanation *e = why(&c, &r, "long");
    assert_int_equal(e->reason, AL_REASON_NO_NODE_FITS);
    assert_int_equal(e->nodes_reserved, 2);
    assert_int_equal(e->nodes_matching, 2);
    assert_int_equal(e->reserved_from_s, 300);
    char line[512];
    al_explanation_text(&c, e, line, sizeof(line));
    assert_non_null(strstr(line, "task long-0 fits on no node: all 2 nodes it may run on are "
                                 "reserved for a large gang"));
    assert_null(strstr(line, "most free"));
    al_result_release(&r);
    al_cluster_release(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unschedulable_nodes_take_no_new_tasks),
        cmocka_unit_test(gang_is_all_or_nothing_and_explained),
        cmocka_unit_test(over_limit_is_explained_with_numbers),
        cmocka_unit_test(non_preemptible_only_within_deserved),
        cmocka_unit_test(semi_preemptible_explanations_name_the_part),
        cmocka_unit_test(no_node_fits_reports_shortfall),
        cmocka_unit_test(kept_off_reserved_nodes_best_free_counts_the_others),
        cmocka_unit_test(kept_off_every_node_by_a_fractional_gang_says_so),
        cmocka_unit_test(elastic_jobs_take_turns),
        cmocka_unit_test(gang_partly_on_releasing_is_pipelined_whole),
        cmocka_unit_test(binpack_and_spread_choose_nodes),
        cmocka_unit_test(fractions_pack_or_spread_devices),
        cmocka_unit_test(memory_requests_and_multi_device_fractions),
        cmocka_unit_test(affinity_and_cpu_only_preferences),
    };
    return cmocka_run_group_tests_name("allocate", tests, NULL, NULL);
}
