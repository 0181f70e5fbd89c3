/* test_kube_translate.c - a KAI cluster's objects (the rawObjects of a KAI snapshot) as an allot
 * snapshot, read by allot's own snapshot parser and scheduled by the engine: queues, jobs from
 * PodGroups and from pods allot groups itself, capacity that other schedulers' pods hold, and
 * every object that cannot be used named with its reason. */
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
#include "allot/snapshot.h"
#include "backends/kubernetes/translate.h"

#define NOW 1796083200 /* 2026-12-01T00:00:00Z */

static json_t *translate(json_t **skipped) {
    json_error_t e;
    json_t *raw = json_load_file("tests/data/kai_raw_objects.json", 0, &e), *out = NULL;
    char err[256] = "";
    struct al__kube_translate_options opt = {.pool_label = "pool", .now_s = NOW};
    if (!raw)
        fail_msg("kai_raw_objects.json: %s", e.text);
    assert_int_equal(al__kube_translate(raw, &opt, &out, skipped, err, sizeof err), 0);
    json_decref(raw);
    return out;
}

static int32_t index_of(const struct al_cluster *c, const char *name, bool task) {
    size_t n = task ? c->task_count : c->job_count;
    for (size_t i = 0; i < n; i++)
        if (strcmp(task ? c->tasks[i].name : c->jobs[i].name, name) == 0)
            return (int32_t)i;
    fail_msg("no %s named %s", task ? "task" : "job", name);
    return -1;
}

static void a_kai_cluster_is_a_snapshot_allot_schedules(void **state) {
    json_t *skipped, *doc = translate(&skipped);
    struct al_cluster c;
    struct al_snapshot_error perr;
    struct al_result r;
    (void)state;
    char *text = json_dumps(doc, JSON_COMPACT);
    if (al_snapshot_parse(text, strlen(text), &c, &perr) != 0)
        fail_msg("not a valid snapshot: %s: %s\n%s", perr.path, perr.message, text);
    free(text);
    assert_int_equal(c.node_count, 3);
    assert_int_equal(c.nodes[0].gpu_count, 7); /* a device plugin's pod holds one */
    assert_int_equal(c.nodes[0].cpu_millis, 63000);
    assert_string_equal(c.nodes[0].pool, "h100");
    assert_int_equal(c.queue_count, 3);
    assert_int_equal(c.queues[1].deserved[AL_GPU], 8000);
    assert_int_equal(c.queues[1].weight[AL_GPU], 2); /* 2 : 1, as KAI's weights */
    assert_int_equal(c.job_count, 6); /* train, serve, the notebook's, ddp, and share-a/-b's */
    /* two running pods KAI put on one shared device (one GPU group) hold one device */
    const struct al_task *a = &c.tasks[index_of(&c, "team-b/share-a", true)];
    const struct al_task *bt = &c.tasks[index_of(&c, "team-b/share-b", true)];
    assert_int_equal(a->gpu_index_count, 1);
    assert_int_equal(a->gpu_indices[0], bt->gpu_indices[0]);
    /* a pod group's sub-groups, each pod in the one its label names */
    const struct al_job *ddp = &c.jobs[index_of(&c, "team-a/ddp", false)];
    assert_int_equal(ddp->subgroup_count, 2);
    assert_int_equal(ddp->subgroups[1].min_members, 2);
    assert_int_equal(ddp->task_count, 3);
    const struct al_job *train = &c.jobs[index_of(&c, "team-a/train", false)];
    assert_int_equal(train->priority, 50);
    assert_true(train->preemptible);
    assert_int_equal(train->min_members, 2);
    assert_int_equal(train->created_s, -15 * 3600); /* nine o'clock, before midnight */
    const struct al_job *serve = &c.jobs[index_of(&c, "team-b/serve", false)];
    assert_false(serve->preemptible); /* inference: 125 */
    assert_int_equal(c.tasks[serve->first_task].state, AL_TASK_RUNNING);
    /* a pod with no PodGroup is grouped by allot, as KAI's grouper would; its class is not in
     * the snapshot: the priority the API server gave it counts */
    const struct al_job *nb = &c.jobs[index_of(&c, "team-b/pg-notebook-nb-1", false)];
    assert_int_equal(nb->priority, 75);
    assert_int_equal(c.tasks[nb->first_task].gpu_milli, 500);
    assert_int_equal(c.tasks[nb->first_task].gpu_milli_limit, 900); /* gpu-fraction-limit */

    assert_int_equal(al_cycle_run(&c, &r), 0);
    int bound = 0;
    for (size_t d = 0; d < r.decision_count; d++)
        if (r.decisions[d].kind == AL_DECISION_BIND) {
            int32_t t = r.decisions[d].task;
            assert_true(t == index_of(&c, "team-a/train-0", true) ||
                        t == index_of(&c, "team-a/train-1", true) ||
                        t == index_of(&c, "team-b/notebook", true) ||
                        c.tasks[t].job == index_of(&c, "team-a/ddp", false));
            bound++;
        }
    assert_int_equal(bound, 6); /* the gang, the notebook (by its request, 0.5, not its limit)
                                 * and the three parts of ddp */
    al_result_release(&r);
    al_cluster_release(&c);

    /* What could not be used, each with its reason. */
    char all[4096] = "";
    size_t i;
    json_t *why;
    json_array_foreach(skipped, i, why)
        snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s\n", json_string_value(why));
    assert_int_equal(json_array_size(skipped), 6);
    assert_non_null(strstr(all, "pod team-a/ddp-x: its kai.scheduler/subgroup-name \"spare\" is "
                                "no sub-group of its pod group"));
    assert_non_null(strstr(all, "node broken: status.allocatable[cpu]"));
    assert_non_null(strstr(all, "queue lost: spec.parentQueue: no queue named \"nowhere\""));
    assert_non_null(strstr(all, "pod group team-b/misplaced: its queue \"research\" is a "
                                "department, not a project"));
    assert_non_null(strstr(all, "pod team-a/stray: names pod group gone"));
    assert_non_null(strstr(all, "pod team-a/bad: spec.priority"));
    json_decref(skipped);
    json_decref(doc);
}

static void malformed_object_lists_are_refused(void **state) {
    json_t *out = NULL, *skipped = NULL;
    char err[256] = "";
    struct al__kube_translate_options opt = {0};
    (void)state;
    json_t *raw = json_pack("{s:{}}", "pods");
    assert_int_equal(al__kube_translate(raw, &opt, &out, &skipped, err, sizeof err), -AL_EINVAL);
    assert_string_equal(err, "kubernetes objects: pods: must be a list");
    json_decref(raw);
    raw = json_array();
    assert_int_equal(al__kube_translate(raw, &opt, &out, &skipped, err, sizeof err), -AL_EINVAL);
    json_decref(raw);
    assert_null(out);
}

/* KAI's Topologies become the snapshot's; a PodGroup's topologyConstraint its job's, a level's
 * alias as its node label; a constraint on a topology the snapshot lacks is named
 * (tests/data/kai_topology_objects.json: racks r1 (a1, a2) and r2 (b1, b2) of 4-GPU nodes). */
static void topologies_and_constraints_are_translated(void **state) {
    (void)state;
    json_error_t e;
    json_t *raw = json_load_file("tests/data/kai_topology_objects.json", 0, &e), *out = NULL,
           *skipped = NULL;
    if (!raw)
        fail_msg("kai_topology_objects.json: %s", e.text);
    char err[256] = "";
    struct al__kube_translate_options opt = {.now_s = NOW};
    assert_int_equal(al__kube_translate(raw, &opt, &out, &skipped, err, sizeof err), 0);
    json_decref(raw);
    char *text = json_dumps(out, JSON_COMPACT);
    struct al_cluster c;
    struct al_snapshot_error perr;
    if (al_snapshot_parse(text, strlen(text), &c, &perr) != 0)
        fail_msg("not a valid snapshot: %s: %s\n%s", perr.path, perr.message, text);
    free(text);
    assert_int_equal(c.topology_count, 1);
    assert_string_equal(c.topologies[0].levels[0], "rack");
    const struct al_job *pair = &c.jobs[index_of(&c, "t/pair", false)];
    assert_int_equal(pair->topology.required_level, 1);
    const struct al_job *free_job = &c.jobs[index_of(&c, "t/free", false)];
    assert_int_equal(free_job->topology.required_level, 0); /* no topology named: none */
    assert_int_equal(c.job_count, 2);
    assert_int_equal(json_array_size(skipped), 2); /* lost, and lost-0 whose group is gone */
    assert_non_null(strstr(json_string_value(json_array_get(skipped, 0)),
                           "pod group t/lost: its topology is not in the snapshot"));
    struct al_result r;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    int32_t t0 = index_of(&c, "t/pair-0", true), t1 = index_of(&c, "t/pair-1", true);
    assert_int_equal(r.tasks[t0].state, AL_TASK_ALLOCATED);
    /* free's two GPUs went to a1 first (binpack, by name): rack r1 keeps 6, r2 has 8 */
    assert_string_equal(c.nodes[r.tasks[t0].node].labels[0].value, "r2");
    assert_string_equal(c.nodes[r.tasks[t1].node].labels[0].value, "r2");
    al_result_release(&r);
    al_cluster_release(&c);
    json_decref(skipped);
    json_decref(out);
}

/* Node pools (tests/data/kai_pool_objects.json, pool label "pool"): a PodGroup's label names its
 * job's pool over its pods'; a PodGroup without one takes the pool its pods name; pods naming
 * two pools leave their job out, saying which. */
static void pod_groups_run_in_the_pool_their_label_or_pods_name(void **state) {
    json_error_t e;
    json_t *raw = json_load_file("tests/data/kai_pool_objects.json", 0, &e), *out = NULL,
           *skipped = NULL;
    char err[256] = "";
    struct al__kube_translate_options opt = {.pool_label = "pool", .now_s = NOW};
    (void)state;
    if (!raw)
        fail_msg("kai_pool_objects.json: %s", e.text);
    assert_int_equal(al__kube_translate(raw, &opt, &out, &skipped, err, sizeof err), 0);
    json_t *jobs = json_object_get(out, "jobs"), *job;
    size_t i;
    const char *pools[2] = {NULL, NULL};
    assert_int_equal(json_array_size(jobs), 2);
    json_array_foreach(jobs, i, job) {
        const char *name = json_string_value(json_object_get(job, "name"));
        pools[strcmp(name, "team/labelled") == 0 ? 0 : 1] =
            json_string_value(json_object_get(job, "pool"));
    }
    assert_string_equal(pools[0], "a100"); /* the PodGroup's label, not its pod's h100 */
    assert_string_equal(pools[1], "h100"); /* by-pods: the pod that names one */
    char *text = json_dumps(skipped, JSON_COMPACT);
    assert_non_null(strstr(text, "pod group team/split: its pods name different node pools: "
                                 "a100 (pod split-0) and h100 (pod split-1)"));
    free(text);
    json_decref(raw);
    json_decref(out);
    json_decref(skipped);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_kai_cluster_is_a_snapshot_allot_schedules),
        cmocka_unit_test(malformed_object_lists_are_refused),
        cmocka_unit_test(topologies_and_constraints_are_translated),
        cmocka_unit_test(pod_groups_run_in_the_pool_their_label_or_pods_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
