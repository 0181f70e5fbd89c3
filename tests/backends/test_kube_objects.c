/* test_kube_objects.c - Kubernetes Nodes and Pods read into allot's terms: GPU devices from the
 * GPU feature discovery labels, schedulability, a pod's request as Kubernetes counts it (init
 * containers, sidecars, overhead, limits standing in for requests), KAI's queue label, pod-group
 * annotation and GPU-sharing annotations; and each malformed object refused naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "backends/kubernetes/objects.h"
#include "support/json_text.h"

static const char gpu_node[] =
    "{\"metadata\": {\"name\": \"gpu-7\", \"labels\": {\"nvidia.com/gpu.product\": "
    "\"NVIDIA-H100-80GB-HBM3\", \"nvidia.com/gpu.memory\": \"81559\", \"pool\": \"train\"}},"
    " \"spec\": {}, \"status\": {\"allocatable\": {\"cpu\": \"63500m\", \"memory\": \"512Gi\","
    " \"nvidia.com/gpu\": \"8\", \"pods\": \"110\"}, \"conditions\": [{\"type\": \"Ready\","
    " \"status\": \"True\"}]}}";

static void a_gpu_node_is_read(void **state) {
    struct al__node n;
    bool schedulable = false;
    char err[256] = "";
    json_t *o = tb_json(gpu_node);
    (void)state;
    assert_int_equal(al__kube_node_read(o, "pool", &n, &schedulable, err, sizeof err), 0);
    assert_string_equal(n.name, "gpu-7");
    assert_int_equal(n.cpu_millis, 63500);
    assert_int_equal(n.memory_bytes, 512LL << 30);
    assert_int_equal(n.gpu_count, 8);
    assert_int_equal(n.gpus[7].memory_mib, 81559);
    assert_string_equal(n.gpus[0].model, "NVIDIA-H100-80GB-HBM3");
    assert_string_equal(n.pool, "train");
    assert_int_equal(n.label_count, 3);
    assert_true(schedulable);
    al__kube_node_release(&n);
    json_decref(o);
}

static void cordoned_or_unready_nodes_take_no_new_work(void **state) {
    struct al__node n;
    bool schedulable = true;
    char err[256] = "";
    (void)state;
    json_t *o = tb_json("{\"metadata\": {\"name\": \"cpu-1\"}, \"spec\": {\"unschedulable\": true},"
                        " \"status\": {\"allocatable\": {\"cpu\": 8}, \"conditions\": [{\"type\":"
                        " \"Ready\", \"status\": \"True\"}]}}");
    assert_int_equal(al__kube_node_read(o, NULL, &n, &schedulable, err, sizeof err), 0);
    assert_false(schedulable);
    assert_int_equal(n.cpu_millis, 8000); /* a number, not text */
    assert_int_equal(n.gpu_count, 0);
    assert_string_equal(n.pool, "");
    al__kube_node_release(&n);
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"gpu-1\"}, \"status\": {\"allocatable\":"
                " {\"nvidia.com/gpu\": 2}, \"conditions\": [{\"type\": \"Ready\", \"status\":"
                " \"Unknown\"}]}}");
    assert_int_equal(al__kube_node_read(o, NULL, &n, &schedulable, err, sizeof err), 0);
    assert_false(schedulable);
    assert_int_equal(n.gpus[1].memory_mib, 1); /* no memory label: no GPU-memory request fits */
    al__kube_node_release(&n);
    json_decref(o);
}

static void malformed_nodes_are_refused_naming_the_field(void **state) {
    static const struct {
        const char *json, *expect;
    } cases[] = {
        {"[]", "not an object"},
        {"{\"metadata\": {}}", "metadata.name: missing"},
        {"{\"metadata\": {\"name\": 7}}", "metadata.name: must be text"},
        {"{\"metadata\": {\"name\": \"n\", \"labels\": []}}", "metadata.labels: must be an object"},
        {"{\"metadata\": {\"name\": \"n\", \"labels\": {\"a\": 1}}}", "metadata.labels[a]"},
        {"{\"metadata\": {\"name\": \"n\"}, \"status\": {\"allocatable\": {\"cpu\": \"lots\"}}}",
         "status.allocatable[cpu]"},
        {"{\"metadata\": {\"name\": \"n\"}, \"status\": {\"allocatable\": {\"memory\": \"-1Gi\"}}}",
         "is negative"},
        {"{\"metadata\": {\"name\": \"n\"}, \"status\": {\"allocatable\": {\"nvidia.com/gpu\": "
         "5000}}}",
         "more than 1024"},
        {"{\"metadata\": {\"name\": \"n\", \"labels\": {\"nvidia.com/gpu.memory\": \"lots\"}}}",
         "is not a device's memory"},
        {"{\"metadata\": {\"name\": \"n\"}, \"status\": {\"allocatable\": \"x\"}}",
         "status.allocatable: must be an object"},
        {"{\"metadata\": {\"name\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}",
         "longer than 127"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct al__node n;
        bool schedulable;
        char err[256] = "";
        json_t *o = tb_json(cases[i].json);
        int rc = al__kube_node_read(o, NULL, &n, &schedulable, err, sizeof err);
        if (rc != -AL_EINVAL || !strstr(err, cases[i].expect))
            fail_msg("case %zu: %d \"%s\" (expected \"%s\")", i, rc, err, cases[i].expect);
        assert_null(n.labels); /* nothing left to free */
        json_decref(o);
    }
}

static const char job_pod[] =
    "{\"metadata\": {\"name\": \"train-0\", \"namespace\": \"team-a\", \"uid\": \"u-1\","
    " \"labels\": {\"kai.scheduler/queue\": \"team-a\"}, \"annotations\": {\"pod-group-name\":"
    " \"pg-train\"}, \"ownerReferences\": [{\"kind\": \"Node\", \"name\": \"x\", \"uid\": \"o\"},"
    " {\"kind\": \"Job\", \"name\": \"train\", \"uid\": \"j-1\", \"controller\": true}],"
    " \"deletionTimestamp\": \"2026-11-30T10:00:00Z\"},"
    " \"spec\": {\"schedulerName\": \"allot\", \"nodeName\": \"gpu-7\", \"priority\": 50,"
    " \"priorityClassName\": \"train\", \"overhead\": {\"cpu\": \"100m\"},"
    " \"initContainers\": [{\"name\": \"fetch\", \"resources\": {\"requests\": {\"cpu\": \"4\","
    " \"memory\": \"1Gi\"}}}, {\"name\": \"proxy\", \"restartPolicy\": \"Always\", \"resources\":"
    " {\"requests\": {\"cpu\": \"250m\", \"memory\": \"64Mi\"}}}],"
    " \"containers\": [{\"name\": \"a\", \"resources\": {\"requests\": {\"cpu\": \"500m\","
    " \"memory\": \"1Gi\"}, \"limits\": {\"nvidia.com/gpu\": \"1\"}}}, {\"name\": \"b\","
    " \"resources\": {\"requests\": {\"cpu\": \"1\", \"memory\": \"512Mi\", \"nvidia.com/gpu\":"
    " 1}}}]}, \"status\": {\"phase\": \"Running\"}}";

static void a_pod_is_read_as_kubernetes_counts_it(void **state) {
    struct al__kube_pod p;
    char err[256] = "";
    json_t *o = tb_json(job_pod);
    (void)state;
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
    assert_string_equal(p.namespace_, "team-a");
    assert_string_equal(p.name, "train-0");
    assert_string_equal(p.scheduler, "allot");
    assert_string_equal(p.node, "gpu-7");
    assert_int_equal(p.phase, AL__POD_RUNNING);
    assert_true(p.terminating);
    assert_string_equal(p.queue, "team-a");
    assert_string_equal(p.pod_group, "pg-train");
    assert_string_equal(p.priority_class, "train");
    assert_true(p.has_priority);
    assert_int_equal(p.priority, 50);
    assert_string_equal(p.owner_kind, "Job"); /* the controller, not the first reference */
    assert_string_equal(p.owner_uid, "j-1");
    /* cpu: the init container's 4 cores beat 0.5 + 1 + the sidecar's 0.25; plus 0.1 overhead */
    assert_int_equal(p.cpu_millis, 4100);
    /* memory: 1.5 GiB of containers + 64 MiB of sidecar beat the init container's 1 GiB */
    assert_int_equal(p.memory_bytes, (1536LL + 64) << 20);
    assert_int_equal(p.gpus, 2); /* a limit stands in for a missing request */
    assert_int_equal(p.gpu_milli, 0);
    assert_int_equal(p.gpu_devices, 1);
    assert_int_equal(p.active_deadline_s, 0); /* none given */
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"p\", \"namespace\": \"n\"}, \"spec\":"
                " {\"activeDeadlineSeconds\": 3600}}");
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
    assert_int_equal(p.active_deadline_s, 3600); /* a known time limit, the kubelet's */
    json_decref(o);
}

static void kai_gpu_sharing_annotations_are_read(void **state) {
    struct al__kube_pod p;
    char err[256] = "";
    (void)state;
    json_t *o = tb_json("{\"metadata\": {\"name\": \"s\", \"namespace\": \"n\", \"annotations\":"
                        " {\"gpu-fraction\": \"0.5\", \"gpu-fraction-num-devices\": \"2\"}},"
                        " \"spec\": {\"containers\": [{\"name\": \"c\"}]}}");
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
    assert_int_equal(p.gpu_milli, 500);
    assert_int_equal(p.gpu_devices, 2);
    assert_int_equal(p.phase, AL__POD_PENDING);
    assert_false(p.has_priority);
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"m\", \"namespace\": \"n\", \"labels\":"
                " {\"runai-gpu-group/0\": \"g-a\", \"runai-gpu-group/1\": \"g-b\", \"other\":"
                " \"x\", \"kai.scheduler/subgroup-name\": \"workers\"}, \"annotations\":"
                " {\"gpu-fraction\": \"0.25\", \"gpu-fraction-num-devices\": \"2\"}},"
                " \"spec\": {\"containers\": []}}");
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
    assert_int_equal(p.gpu_group_count, 2); /* the devices KAI gave it, one label each */
    assert_string_equal(p.gpu_groups[1], "g-b");
    assert_string_equal(p.subgroup, "workers");
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"s\", \"namespace\": \"n\", \"annotations\":"
                " {\"gpu-memory\": \"20000\"}}, \"spec\": {\"containers\": []}}");
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
    assert_int_equal(p.gpu_memory_mib, 20000);
    assert_int_equal(p.gpu_devices, 1);
    assert_false(p.no_enforce);
    assert_int_equal(p.gpu_memory_limit_mib, 0);
    json_decref(o);
    /* dynamic fractions: Run:ai's limits beside the requests */
    o = tb_json("{\"metadata\": {\"name\": \"d\", \"namespace\": \"n\", \"annotations\":"
                " {\"gpu-fraction\": \"0.25\", \"gpu-fraction-limit\": \"0.8\"}},"
                " \"spec\": {\"containers\": []}}");
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
    assert_int_equal(p.gpu_milli, 250);
    assert_int_equal(p.gpu_milli_limit, 800);
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"d\", \"namespace\": \"n\", \"annotations\":"
                " {\"gpu-memory\": \"10240\", \"gpu-memory-limit\": \"40960\"}},"
                " \"spec\": {\"containers\": []}}");
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
    assert_int_equal(p.gpu_memory_mib, 10240);
    assert_int_equal(p.gpu_memory_limit_mib, 40960);
    assert_int_equal(p.gpu_milli_limit, 0);
    json_decref(o);
}

static void kais_preemptibility_label_is_read(void **state) {
    struct al__kube_pod p;
    char err[256] = "";
    (void)state;
    json_t *o = tb_json("{\"metadata\": {\"name\": \"s\", \"namespace\": \"n\", \"labels\":"
                        " {\"kai.scheduler/preemptibility\": \"semi-preemptible\"}},"
                        " \"spec\": {\"containers\": []}}");
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
    assert_int_equal(p.preemptibility, AL__SEMI_PREEMPTIBLE);
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"s\", \"namespace\": \"n\"},"
                " \"spec\": {\"containers\": []}}");
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
    assert_int_equal(p.preemptibility, AL__PREEMPTIBILITY_BY_PRIORITY);
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"s\", \"namespace\": \"n\", \"labels\":"
                " {\"kai.scheduler/preemptibility\": \"half\"}}, \"spec\": {\"containers\": []}}");
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), -AL_EINVAL);
    assert_non_null(strstr(err, "metadata.labels[kai.scheduler/preemptibility]: \"half\""));
    json_decref(o);
}

static void a_share_pods_opt_out_of_enforcement_is_read(void **state) {
    static const struct {
        const char *annotations;
        bool no_enforce;
    } cases[] = {
        {"{\"gpu-fraction\": \"0.5\", \"allot.run/enforce\": \"false\"}", true},
        {"{\"gpu-memory\": \"1024\", \"allot.run/enforce\": \"false\"}", true},
        {"{\"gpu-fraction\": \"0.5\", \"allot.run/enforce\": \"true\"}", false},
        {"{\"allot.run/enforce\": \"false\"}", false}, /* no share: nothing to opt out of */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char text[512], err[256] = "";
        struct al__kube_pod p;
        snprintf(text, sizeof(text),
                 "{\"metadata\": {\"name\": \"s\", \"namespace\": \"n\", \"annotations\": "
                 "%s}, \"spec\": {\"containers\": []}}",
                 cases[i].annotations);
        json_t *o = tb_json(text);
        assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
        if (p.no_enforce != cases[i].no_enforce)
            fail_msg("%s: no_enforce %d, want %d", cases[i].annotations, p.no_enforce,
                     cases[i].no_enforce);
        json_decref(o);
    }
}

static void a_pods_mig_resources_are_read_by_profile(void **state) {
    struct al__kube_pod p;
    char err[256] = "";
    (void)state;
    /* summed per profile over containers (limits standing in for requests), sorted */
    json_t *o = tb_json(
        "{\"metadata\": {\"name\": \"m\", \"namespace\": \"n\"}, \"spec\": {\"containers\": ["
        "{\"name\": \"a\", \"resources\": {\"requests\": {\"nvidia.com/mig-2g.20gb\": \"1\","
        " \"nvidia.com/mig-1g.10gb\": \"2\"}}},"
        " {\"name\": \"b\", \"resources\": {\"limits\": {\"nvidia.com/mig-1g.10gb\": \"1\"}}}]}}");
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), 0);
    assert_int_equal(p.mig_profiles, 2);
    assert_string_equal(p.migs[0].profile, "1g.10gb");
    assert_int_equal(p.migs[0].count, 3);
    assert_string_equal(p.migs[1].profile, "2g.20gb");
    assert_int_equal(p.migs[1].count, 1);
    json_decref(o);
    /* nine profiles: more than allot takes */
    char text[2048];
    int n = snprintf(text, sizeof text,
                     "{\"metadata\": {\"name\": \"m\", \"namespace\": \"n\"}, \"spec\": "
                     "{\"containers\": [{\"name\": \"a\", \"resources\": {\"requests\": {");
    for (int i = 1; i <= 9; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "%s\"nvidia.com/mig-1g.%dgb\": \"1\"",
                      i > 1 ? ", " : "", i);
    snprintf(text + n, sizeof text - (size_t)n, "}}}]}}");
    o = tb_json(text);
    assert_int_equal(al__kube_pod_read(o, NULL, &p, err, sizeof err), -AL_EINVAL);
    assert_non_null(strstr(err, "at most 8 profiles"));
    json_decref(o);
}

static void malformed_pods_are_refused_naming_the_field(void **state) {
    static const struct {
        const char *meta, *spec, *expect;
    } cases[] = {
        {"{\"name\": \"p\"}", "{}", "both needed"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-fraction\": \"1.5\"}}",
         "{}", "metadata.annotations[gpu-fraction]: \"1.5\" is not a fraction"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-fraction\": \"0\"}}",
         "{}", "is not a fraction"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-fraction\": \"half\"}}",
         "{}", "is not a fraction"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-fraction\": \"0.5\","
         " \"gpu-memory\": \"100\"}}",
         "{}", "together (one or the other)"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-fraction\": \"0.5\"}}",
         "{\"containers\": [{\"resources\": {\"requests\": {\"nvidia.com/gpu\": 1}}}]}",
         "and whole GPUs"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": "
         "{\"gpu-fraction-num-devices\": \"2\"}}",
         "{}", "without gpu-fraction or gpu-memory"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-memory\": 100}}", "{}",
         "metadata.annotations: must be text"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-fraction-limit\": "
         "\"0.5\"}}",
         "{}", "metadata.annotations[gpu-fraction-limit]: without gpu-fraction"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-fraction\": \"0.5\","
         " \"gpu-fraction-limit\": \"0.25\"}}",
         "{}", "metadata.annotations[gpu-fraction-limit]: below gpu-fraction"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-fraction\": \"0.5\","
         " \"gpu-fraction-limit\": \"1.5\"}}",
         "{}", "\"1.5\" is not a fraction of a GPU above 0, at most 1"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-fraction\": \"0.5\","
         " \"gpu-memory-limit\": \"100\"}}",
         "{}", "metadata.annotations[gpu-memory-limit]: without gpu-memory"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"annotations\": {\"gpu-memory\": \"200\","
         " \"gpu-memory-limit\": \"100\"}}",
         "{}", "metadata.annotations[gpu-memory-limit]: below gpu-memory"},
        {"{\"name\": \"p\", \"namespace\": \"n\"}",
         "{\"containers\": [{\"resources\": {\"requests\": {\"cpu\": \"lots\"}}}]}",
         "spec.containers[0].resources.requests[cpu]"},
        {"{\"name\": \"p\", \"namespace\": \"n\"}",
         "{\"initContainers\": [{\"resources\": {\"limits\": {\"memory\": \"-1\"}}}]}",
         "spec.initContainers[0].resources.limits[memory]: -1 is negative"},
        {"{\"name\": \"p\", \"namespace\": \"n\"}", "{\"priority\": \"high\"}",
         "spec.priority: must be a 32-bit integer"},
        {"{\"name\": \"p\", \"namespace\": \"n\"}", "{\"activeDeadlineSeconds\": 0}",
         "spec.activeDeadlineSeconds: must be an integer >= 1"},
        {"{\"name\": \"p\", \"namespace\": \"n\"}", "{\"activeDeadlineSeconds\": \"1h\"}",
         "spec.activeDeadlineSeconds: must be an integer >= 1"},
        {"{\"name\": \"p\", \"namespace\": \"n\"}", "{\"priority\": 9999999999}",
         "spec.priority: must be a 32-bit integer"},
        {"{\"name\": \"p\", \"namespace\": \"n\", \"ownerReferences\": {}}", "{}",
         "metadata.ownerReferences: must be a list"},
        {"{\"name\": \"p\", \"namespace\": \"n\"}",
         "{\"containers\": [{\"resources\": {\"requests\": {\"nvidia.com/gpu\": 2000}}}]}",
         "more than 1024"},
        {"{\"name\": \"p\", \"namespace\": \"n\"}", "{\"overhead\": {\"cpu\": []}}",
         "spec.overhead[cpu]: not a quantity"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[1024], err[256] = "";
        struct al__kube_pod p;
        snprintf(text, sizeof text, "{\"metadata\": %s, \"spec\": %s}", cases[i].meta,
                 cases[i].spec);
        json_t *o = tb_json(text);
        int rc = al__kube_pod_read(o, NULL, &p, err, sizeof err);
        if (rc != -AL_EINVAL || !strstr(err, cases[i].expect))
            fail_msg("case %zu: %d \"%s\" (expected \"%s\")", i, rc, err, cases[i].expect);
        json_decref(o);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_gpu_node_is_read),
        cmocka_unit_test(cordoned_or_unready_nodes_take_no_new_work),
        cmocka_unit_test(malformed_nodes_are_refused_naming_the_field),
        cmocka_unit_test(a_pod_is_read_as_kubernetes_counts_it),
        cmocka_unit_test(kai_gpu_sharing_annotations_are_read),
        cmocka_unit_test(kais_preemptibility_label_is_read),
        cmocka_unit_test(a_share_pods_opt_out_of_enforcement_is_read),
        cmocka_unit_test(a_pods_mig_resources_are_read_by_profile),
        cmocka_unit_test(malformed_pods_are_refused_naming_the_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
