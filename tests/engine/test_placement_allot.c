/* test_placement_allot.c - the allot placement policy: where binpack strands GPUs (CPU used up
 * beside idle devices, a fraction that splits a device's room), it places so that more of the
 * workload fits; what it does on equal nodes; and a MIG task among many nodes without MIG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "support/builder.h"

#define GB 1000000000LL

static void team(struct al_cluster *c) {
    tb_queue(c, "dept", NULL, -1, -1, 1, 100);
    tb_queue(c, "team", "dept", -1, -1, 1, 100);
}

/* A job of one task of `gpus` whole devices (or a portion) and `cpu` millicores. */
static int32_t one_task_job(struct al_cluster *c, const char *name, int32_t gpus, int32_t milli,
                            int64_t cpu) {
    tb_job(c, name, "team", 100, 1);
    int32_t t = tb_task(c, name, AL_TASK_PENDING, NULL, gpus, milli, NULL);
    c->tasks[t].cpu_millis = cpu;
    return t;
}

/* count such jobs, named prefix-0, prefix-1, ... */
static void alike_jobs(struct al_cluster *c, const char *prefix, int count, int32_t gpus,
                       int32_t milli, int64_t cpu) {
    for (int i = 0; i < count; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s-%d", prefix, i);
        one_task_job(c, name, gpus, milli, cpu);
    }
}

static const char *node_of(const struct al_cluster *c, const struct al_result *r, int32_t t) {
    return r->tasks[t].node >= 0 ? c->nodes[r->tasks[t].node].name : "-";
}

static int placed(const struct al_result *r, size_t tasks) {
    int n = 0;
    for (size_t t = 0; t < tasks; t++)
        n += r->tasks[t].state == AL_TASK_ALLOCATED;
    return n;
}

/*
 * Two nodes with 2 idle GPUs each; one has 22 cores, the other 100. A CPU-only task of 10
 * cores comes first, then four 1-GPU tasks of 10 cores. Binpack puts the CPU task where the
 * least CPU is free, leaving 12 cores beside two idle GPUs: one GPU is stranded and a GPU task
 * waits. The allot policy sees that the CPU it takes there strands a GPU of the typical task,
 * and puts it on the CPU-rich node: everything runs.
 */
static void build_cpu_stranding(struct al_cluster *c, enum al_placement placement) {
    tb_init(c);
    tb_node(c, "a-cpu-poor", 2, 22000, 100 * GB);
    tb_node(c, "b-cpu-rich", 2, 100000, 100 * GB);
    team(c);
    one_task_job(c, "cpu-task", 0, 0, 10000);
    alike_jobs(c, "gpu", 4, 1, 0, 10000);
    c->config.gpu_placement = c->config.cpu_placement = placement;
}

static void cpu_is_not_taken_from_beside_idle_gpus(void **state) {
    struct al_cluster c;
    struct al_result r;
    (void)state;
    build_cpu_stranding(&c, AL_ALLOT);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_string_equal(node_of(&c, &r, 0), "b-cpu-rich");
    assert_int_equal(placed(&r, c.task_count), 5);
    al_result_release(&r);
    al_cluster_release(&c);

    build_cpu_stranding(&c, AL_BINPACK); /* what the policy improves on */
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_string_equal(node_of(&c, &r, 0), "a-cpu-poor");
    assert_int_equal(placed(&r, c.task_count), 4);
    al_result_release(&r);
    al_cluster_release(&c);
}

/*
 * One node, device 0 half used, device 1 a fifth used; a 0.3 task comes, then three 0.5
 * tasks (the typical shape). Packing puts the 0.3 on the most used device (0.8 used, 0.8
 * room left on the other: one 0.5 task fits). The allot policy puts it on device 1 (0.5 and
 * 0.5 of room: two 0.5 tasks fit).
 */
static void build_split_room(struct al_cluster *c, enum al_placement placement) {
    const int32_t dev0 = 0, dev1 = 1;
    tb_init(c);
    tb_node(c, "n0", 2, 100000, 100 * GB);
    team(c);
    tb_job(c, "half", "team", 100, 1);
    tb_task(c, "half", AL_TASK_RUNNING, "n0", 0, 500, &dev0);
    tb_job(c, "fifth", "team", 100, 1);
    tb_task(c, "fifth", AL_TASK_RUNNING, "n0", 0, 200, &dev1);
    one_task_job(c, "small", 0, 300, 1000);
    alike_jobs(c, "big", 3, 0, 500, 1000);
    c->config.gpu_placement = c->config.cpu_placement = placement;
}

static int32_t device_of(const struct al_result *r, const char *kind_task,
                         const struct al_cluster *c) {
    for (size_t i = 0; i < r->decision_count; i++)
        if (strcmp(c->tasks[r->decisions[i].task].name, kind_task) == 0)
            return r->decisions[i].gpu_count == 1 ? r->decisions[i].gpus[0] : -1;
    return -1;
}

static void a_fraction_leaves_room_the_typical_task_can_use(void **state) {
    struct al_cluster c;
    struct al_result r;
    (void)state;
    build_split_room(&c, AL_ALLOT);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(device_of(&r, "small", &c), 1);
    assert_int_equal(placed(&r, c.task_count), 3); /* small and two big */
    al_result_release(&r);
    al_cluster_release(&c);

    build_split_room(&c, AL_BINPACK);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(device_of(&r, "small", &c), 0);
    assert_int_equal(placed(&r, c.task_count), 2);
    al_result_release(&r);
    al_cluster_release(&c);
}

/* Among nodes the policy cannot tell apart, the least free GPU wins, then the name. */
static void equal_nodes_pack_then_go_by_name(void **state) {
    struct al_cluster c;
    struct al_result r;
    const int32_t dev0 = 0;
    (void)state;
    tb_init(&c);
    tb_node(&c, "n2", 4, 64000, 100 * GB);
    tb_node(&c, "n1", 4, 64000, 100 * GB);
    tb_node(&c, "n0", 4, 64000, 100 * GB);
    team(&c);
    tb_job(&c, "running", "team", 100, 1);
    tb_task(&c, "running", AL_TASK_RUNNING, "n2", 1, 0, &dev0);
    int32_t first = one_task_job(&c, "first", 1, 0, 1000);
    c.config.gpu_placement = c.config.cpu_placement = AL_ALLOT;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_string_equal(node_of(&c, &r, first), "n2"); /* one GPU already used there */
    al_result_release(&r);
    al_cluster_release(&c);

    tb_init(&c);
    tb_node(&c, "n2", 4, 64000, 100 * GB);
    tb_node(&c, "n1", 4, 64000, 100 * GB);
    team(&c);
    first = one_task_job(&c, "first", 1, 0, 1000);
    c.config.gpu_placement = c.config.cpu_placement = AL_ALLOT;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_string_equal(node_of(&c, &r, first), "n1");
    al_result_release(&r);
    al_cluster_release(&c);
}

/*
 * 400 nodes offer no MIG and one offers a 1g.10gb instance, with the most CPU free (the walk,
 * which knows nothing of instances, meets it last). A task asking the instance is placed there:
 * nodes without the instances do not count against the policy's bound of nodes looked at (it
 * stopped after 256 of them and left the task pending).
 */
static void a_mig_task_finds_the_one_node_offering_it(void **state) {
    struct al_cluster c;
    struct al_result r;
    char name[16];
    (void)state;
    tb_init(&c);
    for (int i = 0; i < 400; i++) {
        snprintf(name, sizeof(name), "n%03d", i);
        tb_node(&c, name, 0, 8000, 100 * GB);
    }
    int32_t n = tb_node(&c, "z-mig", 0, 64000, 100 * GB);
    c.nodes[n].migs = calloc(1, sizeof(*c.nodes[n].migs));
    assert_non_null(c.nodes[n].migs);
    c.nodes[n].migs[0] = (struct al_mig){.profile = strdup("1g.10gb"), .count = 1};
    c.nodes[n].mig_count = 1;
    team(&c);
    int32_t t = one_task_job(&c, "mig", 0, 0, 1000);
    c.tasks[t].migs = calloc(1, sizeof(*c.tasks[t].migs));
    assert_non_null(c.tasks[t].migs);
    c.tasks[t].migs[0] = (struct al_mig){.profile = strdup("1g.10gb"), .count = 1};
    c.tasks[t].mig_count = 1;
    c.config.gpu_placement = c.config.cpu_placement = AL_ALLOT;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_string_equal(node_of(&c, &r, t), "z-mig");
    al_result_release(&r);
    al_cluster_release(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cpu_is_not_taken_from_beside_idle_gpus),
        cmocka_unit_test(a_fraction_leaves_room_the_typical_task_can_use),
        cmocka_unit_test(equal_nodes_pack_then_go_by_name),
        cmocka_unit_test(a_mig_task_finds_the_one_node_offering_it),
    };
    return cmocka_run_group_tests_name("placement_allot", tests, NULL, NULL);
}
