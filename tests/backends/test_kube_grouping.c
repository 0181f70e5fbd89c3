/* test_kube_grouping.c - which job a pod belongs to: its annotated PodGroup, or its top owner's
 * (a ReplicaSet's Deployment, a Job, a bare pod itself), named as KAI names them; owner loops
 * refused; and the gang minimum of the groups allot creates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "backends/kubernetes/grouping.h"
#include "support/json_text.h"

/* A chain of owners by uid: each names its controller's uid ("" = none). */
struct link {
    const char *uid, *kind, *name, *up;
};

static const struct link *chain;

static bool lookup(void *arg, const char *ns, const struct al__kube_owner *of,
                   struct al__kube_owner *controller) {
    (void)arg;
    assert_string_equal(ns, "team-a");
    for (const struct link *l = chain; l->uid; l++)
        if (strcmp(l->uid, of->uid) == 0) {
            if (!l->up[0])
                return false;
            for (const struct link *u = chain; u->uid; u++)
                if (strcmp(u->uid, l->up) == 0) {
                    snprintf(controller->kind, sizeof(controller->kind), "%s", u->kind);
                    snprintf(controller->name, sizeof(controller->name), "%s", u->name);
                    snprintf(controller->uid, sizeof(controller->uid), "%s", u->uid);
                    return true;
                }
        }
    return false;
}

static struct al__kube_pod pod(const char *owner_kind, const char *owner_name,
                               const char *owner_uid) {
    struct al__kube_pod p;
    memset(&p, 0, sizeof(p));
    snprintf(p.namespace_, sizeof(p.namespace_), "team-a");
    snprintf(p.name, sizeof(p.name), "web-7d9-abc");
    snprintf(p.uid, sizeof(p.uid), "pod-uid");
    snprintf(p.owner_kind, sizeof(p.owner_kind), "%s", owner_kind);
    snprintf(p.owner_name, sizeof(p.owner_name), "%s", owner_name);
    snprintf(p.owner_uid, sizeof(p.owner_uid), "%s", owner_uid);
    return p;
}

static void pods_join_their_annotated_group_or_their_top_owners(void **state) {
    static const struct link links[] = {{"rs-1", "ReplicaSet", "web-7d9", "dep-1"},
                                        {"dep-1", "Deployment", "web", ""},
                                        {"job-1", "Job", "train", ""},
                                        {NULL, NULL, NULL, NULL}};
    struct al__kube_group_choice g;
    char err[256] = "";
    (void)state;
    chain = links;
    struct al__kube_pod p = pod("ReplicaSet", "web-7d9", "rs-1");
    assert_int_equal(al__kube_group_of(&p, lookup, NULL, &g, err, sizeof err), 0);
    assert_string_equal(g.pod_group, "pg-web-dep-1");
    assert_true(g.create);
    assert_string_equal(g.top.kind, "Deployment");
    p = pod("Job", "train", "job-1");
    assert_int_equal(al__kube_group_of(&p, lookup, NULL, &g, err, sizeof err), 0);
    assert_string_equal(g.pod_group, "pg-train-job-1");
    assert_string_equal(g.top.kind, "Job");
    p = pod("", "", "");
    assert_int_equal(al__kube_group_of(&p, lookup, NULL, &g, err, sizeof err), 0);
    assert_string_equal(g.pod_group, "pg-web-7d9-abc-pod-uid"); /* a bare pod: its own group */
    assert_string_equal(g.top.kind, "Pod");
    snprintf(p.pod_group, sizeof(p.pod_group), "my-group");
    assert_int_equal(al__kube_group_of(&p, lookup, NULL, &g, err, sizeof err), 0);
    assert_string_equal(g.pod_group, "my-group");
    assert_false(g.create); /* named: its owner made it */
}

static void long_names_are_cut_to_fit(void **state) {
    static const struct link links[] = {{"u-0123456789abcdef0123456789abcdef", "Job", "", ""},
                                        {NULL, NULL, NULL, NULL}};
    char name[251];
    struct al__kube_group_choice g;
    char err[256] = "";
    (void)state;
    chain = links;
    memset(name, 'j', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    struct al__kube_pod p = pod("Job", name, "u-0123456789abcdef0123456789abcdef");
    assert_int_equal(al__kube_group_of(&p, lookup, NULL, &g, err, sizeof err), 0);
    assert_int_equal(strlen(g.pod_group), 253);
    assert_non_null(strstr(g.pod_group, "-u-0123456789abcdef0123456789abcdef"));
}

static void owner_loops_are_refused(void **state) {
    static const struct link loop[] = {
        {"a", "ReplicaSet", "a", "b"}, {"b", "Deployment", "b", "a"}, {NULL, NULL, NULL, NULL}};
    static const struct link self[] = {{"c", "Thing", "c", "d"},
                                       {"d", "Thing", "d", "e"},
                                       {"e", "Thing", "e", "d"},
                                       {NULL, NULL, NULL, NULL}};
    struct al__kube_group_choice g;
    char err[256] = "";
    (void)state;
    chain = loop;
    struct al__kube_pod p = pod("ReplicaSet", "a", "a");
    assert_int_equal(al__kube_group_of(&p, lookup, NULL, &g, err, sizeof err), -AL_EINVAL);
    assert_non_null(strstr(err, "pod team-a/web-7d9-abc: its owners loop"));
    chain = self; /* a loop above the first owner: the depth bound ends it */
    p = pod("Thing", "c", "c");
    assert_int_equal(al__kube_group_of(&p, lookup, NULL, &g, err, sizeof err), -AL_EINVAL);
}

static void gangs_of_the_groups_allot_creates(void **state) {
    (void)state;
    json_t *o = tb_json("{\"spec\": {\"pytorchReplicaSpecs\": {\"Master\": {\"replicas\": 1},"
                        " \"Worker\": {\"replicas\": 3}}}}");
    assert_int_equal(al__kube_gang_size("PyTorchJob", o), 4);
    json_decref(o);
    o = tb_json("{\"spec\": {\"mpiReplicaSpecs\": {\"Launcher\": {}, \"Worker\": {\"replicas\":"
                " 2}}}}");
    assert_int_equal(al__kube_gang_size("MPIJob", o), 3);
    json_decref(o);
    o = tb_json("{\"spec\": {\"workerGroupSpecs\": [{\"minReplicas\": 2}, {\"minReplicas\": 0},"
                " {}]}}");
    assert_int_equal(al__kube_gang_size("RayCluster", o), 3);
    json_decref(o);
    o = tb_json("{\"spec\": {\"parallelism\": 8}}");
    assert_int_equal(al__kube_gang_size("Job", o), 1);
    json_decref(o);
    o = tb_json("{\"spec\": {\"pytorchReplicaSpecs\": {\"Worker\": {\"replicas\": 0}}}}");
    assert_int_equal(al__kube_gang_size("PyTorchJob", o), 1); /* never below 1 */
    json_decref(o);
    assert_int_equal(al__kube_gang_size("PyTorchJob", NULL), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pods_join_their_annotated_group_or_their_top_owners),
        cmocka_unit_test(long_names_are_cut_to_fit),
        cmocka_unit_test(owner_loops_are_refused),
        cmocka_unit_test(gangs_of_the_groups_allot_creates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
