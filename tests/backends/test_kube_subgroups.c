/* test_kube_subgroups.c - a PodGroup's sub-groups as the mirrored workload's subgroups: a tree
 * flattened to its leaves, a leaf's levels of the pod group's topology (an alias read as its
 * node label), pods put in the leaf their label names; what cannot be taken refused, named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "backends/kubernetes/cache.h"
#include "backends/kubernetes/kube.h"
#include "support/json_text.h"

/* A backend that knows Topology "dc" (rack with alias "r", then the host). */
static struct al__kube *kube_with_topology(void) {
    struct al__kube *k = calloc(1, sizeof(*k));
    struct al__kube_watch_ops ops = {0};
    assert_non_null(k);
    k->watches[AL__KUBE_TOPOLOGIES].cache = al__kube_cache_new(NULL, NULL);
    al__kube_cache_watch_ops(&ops);
    json_t *t = tb_json("{\"metadata\": {\"name\": \"dc\"}, \"spec\": {\"levels\": ["
                        "{\"nodeLabel\": \"example.com/rack\", \"alias\": \"r\"},"
                        "{\"nodeLabel\": \"kubernetes.io/hostname\"}]}}");
    ops.event(k->watches[AL__KUBE_TOPOLOGIES].cache, "ADDED", t);
    json_decref(t);
    return k;
}

static void kube_free(struct al__kube *k) {
    al__kube_cache_free(k->watches[AL__KUBE_TOPOLOGIES].cache);
    free(k);
}

/* The pod group o, read (the test fails when it is not one). */
static void group_read(const char *text, struct al__kube_pod_group *g) {
    char err[512];
    json_t *o = tb_json(text);
    if (al__kube_pod_group_read(o, NULL, g, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    json_decref(o);
}

#define GROUP(subgroups)                                                                           \
    "{\"metadata\": {\"namespace\": \"ns\", \"name\": \"pd\", \"uid\": \"u\"}, \"spec\": "         \
    "{\"queue\": \"q\", \"minMember\": 4, \"subGroups\": " subgroups "}}"

static void a_tree_is_flattened_to_its_leaves(void **state) {
    (void)state;
    struct al__kube *k = kube_with_topology();
    struct al__kube_pod_group g;
    struct al__kube_topology_constraint job = {{0}, {0}, {0}};
    struct al__kube_leaves l;
    char err[512];
    group_read(GROUP("[{\"name\": \"all\", \"minMember\": 1},"
                     " {\"name\": \"prefill\", \"parent\": \"all\", \"minMember\": 2,"
                     "  \"topologyConstraint\": {\"requiredTopologyLevel\": \"r\"}},"
                     " {\"name\": \"decode\", \"parent\": \"all\", \"minMember\": 1,"
                     "  \"topologyConstraint\": {\"topology\": \"dc\", "
                     "   \"preferredTopologyLevel\": \"r\"}}]"),
               &g);
    assert_int_equal(al__kube_leaves_read(k, &g, &job, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].name, "prefill");
    assert_int_equal(l.items[0].min_members, 2);
    assert_string_equal(l.items[0].topology.required, "example.com/rack"); /* the alias's */
    assert_string_equal(l.items[1].name, "decode");
    /* the pod group names no topology: decode's is the workload's, prefill's too (named after
     * it: the order does not matter) */
    assert_string_equal(job.topology, "dc");
    assert_string_equal(l.items[1].topology.preferred, "example.com/rack");

    /* pods alternate between the leaves; each task takes its pod's */
    struct al__kube_pod_entry pods[3];
    struct al__kube_pod_entry *list[3] = {&pods[0], &pods[1], &pods[2]};
    struct al__mirror_task tasks[3];
    struct al__mirror_workload w = {.tasks = tasks, .task_count = 3};
    struct al__mirror_subgroup *subs;
    memset(pods, 0, sizeof(pods));
    memset(tasks, 0, sizeof(tasks));
    for (int i = 0; i < 3; i++)
        snprintf(pods[i].pod.subgroup, sizeof(pods[i].pod.subgroup), "%s",
                 i == 1 ? "decode" : "prefill");
    assert_int_equal(al__kube_leaves_apply(&l, list, tasks, &w, &subs, err, sizeof(err)), 0);
    assert_int_equal(tasks[0].subgroup, 0);
    assert_int_equal(tasks[1].subgroup, 1);
    assert_int_equal(tasks[2].subgroup, 0);
    assert_int_equal(w.subgroup_count, 2);
    assert_string_equal(w.subgroups[0].required_topology_level, "example.com/rack");
    assert_null(w.subgroups[1].required_topology_level);
    assert_string_equal(w.subgroups[1].preferred_topology_level, "example.com/rack");
    free(subs);

    /* a pod in the inner sub-group (or in none) is in no leaf */
    snprintf(pods[2].pod.name, sizeof(pods[2].pod.name), "pd-2");
    snprintf(pods[2].pod.subgroup, sizeof(pods[2].pod.subgroup), "all");
    assert_int_equal(al__kube_leaves_apply(&l, list, tasks, &w, &subs, err, sizeof(err)),
                     -AL_EINVAL);
    assert_non_null(strstr(err, "pod /pd-2: its label kai.scheduler/subgroup-name \"all\""));
    assert_null(subs);
    al__kube_leaves_release(&l);
    al__kube_pod_group_release(&g);
    kube_free(k);
}

static void what_a_flat_model_cannot_take_is_refused(void **state) {
    (void)state;
    struct al__kube *k = kube_with_topology();
    static const struct {
        const char *subgroups, *said;
    } bad[] = {
        {"[{\"name\": \"all\", \"topologyConstraint\": {\"topology\": \"dc\","
         " \"requiredTopologyLevel\": \"r\"}}, {\"name\": \"a\", \"parent\": \"all\"}]",
         "spec.subGroups[0].topologyConstraint: a constraint of a sub-group that has sub-groups"},
        {"[{\"name\": \"a\", \"topologyConstraint\": {\"topology\": \"dc\","
         " \"requiredTopologyLevel\": \"r\"}}, {\"name\": \"b\", \"topologyConstraint\":"
         " {\"topology\": \"other\", \"requiredTopologyLevel\": \"r\"}}]",
         "spec.subGroups[1].topologyConstraint.topology: \"other\" is not the topology \"dc\""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[1024], err[512] = "";
        struct al__kube_pod_group g;
        struct al__kube_topology_constraint job = {{0}, {0}, {0}};
        struct al__kube_leaves l;
        snprintf(text, sizeof(text), GROUP("%s"), bad[i].subgroups);
        group_read(text, &g);
        assert_int_equal(al__kube_leaves_read(k, &g, &job, &l, err, sizeof(err)), -AL_EINVAL);
        if (!strstr(err, bad[i].said)) /* the caller names the pod group */
            fail_msg("message '%s' should say '%s'", err, bad[i].said);
        assert_int_equal(l.count, 0);
        al__kube_pod_group_release(&g);
    }
    /* a constraint naming no topology, in a pod group naming none: dropped, as KAI does */
    struct al__kube_pod_group g;
    struct al__kube_topology_constraint job = {{0}, {0}, {0}};
    struct al__kube_leaves l;
    char err[512];
    group_read(GROUP("[{\"name\": \"a\", \"topologyConstraint\": "
                     "{\"requiredTopologyLevel\": \"r\"}}]"),
               &g);
    assert_int_equal(al__kube_leaves_read(k, &g, &job, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].topology.required, "");
    al__kube_leaves_release(&l);
    al__kube_pod_group_release(&g);
    kube_free(k);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_tree_is_flattened_to_its_leaves),
        cmocka_unit_test(what_a_flat_model_cannot_take_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
