/* test_kube_queues.c - KAI's Queue, PodGroup and PriorityClass objects read into allot's terms:
 * quotas in allot's units (fractions of GPUs, megabytes), -1 as unlimited, KAI's defaults,
 * minimum runtimes as Go durations, gang minimums, preemptibility and sub-groups; each
 * malformed object refused naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "allot/model.h"
#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/objects.h"
#include "support/json_text.h"

static void a_queue_is_read_in_allots_units(void **state) {
    struct al__kube_queue q;
    char err[256] = "";
    (void)state;
    json_t *o = tb_json("{\"metadata\": {\"name\": \"team-a\"}, \"spec\": {\"parentQueue\": "
                        "\"research\", \"priority\": 120, \"preemptMinRuntime\": \"1h30m\","
                        " \"reclaimMinRuntime\": \"90s\", \"resources\": {\"gpu\": {\"quota\": 2.5,"
                        " \"limit\": 8, \"overQuotaWeight\": 1.5}, \"cpu\": {\"quota\": 16000,"
                        " \"limit\": -1}, \"memory\": {\"quota\": 1000}}}}");
    assert_int_equal(al__kube_queue_read(o, &q, err, sizeof err), 0);
    assert_string_equal(q.parent, "research");
    assert_int_equal(q.priority, 120);
    assert_int_equal(q.deserved[AL_GPU], 2500);
    assert_int_equal(q.limit[AL_GPU], 8000);
    assert_int_equal(q.weight[AL_GPU], 1500);
    assert_int_equal(q.deserved[AL_CPU], 16000);
    assert_int_equal(q.limit[AL_CPU], AL_UNLIMITED);
    assert_int_equal(q.weight[AL_CPU], 1000);              /* not given: 1 */
    assert_int_equal(q.deserved[AL_MEMORY], 1000000000LL); /* megabytes of 10^6 bytes */
    assert_int_equal(q.limit[AL_MEMORY], AL_UNLIMITED);
    assert_true(q.has_preempt_min_runtime);
    assert_int_equal(q.preempt_min_runtime_s, 5400);
    assert_int_equal(q.reclaim_min_runtime_s, 90);
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"plain\"}, \"spec\": {\"resources\": {\"gpu\":"
                " {\"quota\": 0.1, \"limit\": -1}}}}");
    assert_int_equal(al__kube_queue_read(o, &q, err, sizeof err), 0);
    assert_int_equal(q.deserved[AL_GPU], 100); /* 0.1 is not 101 milli-GPUs */
    assert_int_equal(q.priority, 100);         /* KAI's default */
    assert_false(q.has_reclaim_min_runtime);
    assert_string_equal(q.parent, "");
    json_decref(o);
}

static void malformed_queues_are_refused_naming_the_field(void **state) {
    static const struct {
        const char *json, *expect;
    } cases[] = {
        {"{\"spec\": {}}", "not an object with metadata"},
        {"{\"metadata\": {}, \"spec\": {}}", "metadata.name: missing"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"parentQueue\": \"q\"}}",
         "spec.parentQueue: the queue itself"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"priority\": \"high\"}}", "spec.priority"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"resources\": []}}",
         "spec.resources: must be an object"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"resources\": {\"gpu\": 4}}}",
         "spec.resources.gpu: must be an object"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"resources\": {\"gpu\": {\"quota\": "
         "\"4\"}}}}",
         "spec.resources.gpu.quota: must be a number"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"resources\": {\"gpu\": {\"quota\": -2}}}}",
         "spec.resources.gpu.quota: -2 is not -1"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"resources\": {\"cpu\": "
         "{\"overQuotaWeight\":"
         " -1}}}}",
         "overQuotaWeight: -1 is not a weight"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"resources\": {\"gpu\": {\"quota\": "
         "1e300}}}}",
         "is not -1 (unlimited) or an amount"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"resources\": {\"gpu\": {\"quota\": 8,"
         " \"limit\": 4}}}}",
         "spec.resources.gpu: quota above limit"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"preemptMinRuntime\": \"soon\"}}",
         "spec.preemptMinRuntime: \"soon\" is not a duration"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"reclaimMinRuntime\": \"-5m\"}}",
         "spec.reclaimMinRuntime"},
        {"{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"reclaimMinRuntime\": \"5\"}}",
         "is not a duration"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct al__kube_queue q;
        char err[256] = "";
        json_t *o = tb_json(cases[i].json);
        int rc = al__kube_queue_read(o, &q, err, sizeof err);
        if (rc != -AL_EINVAL || !strstr(err, cases[i].expect))
            fail_msg("case %zu: %d \"%s\" (expected \"%s\")", i, rc, err, cases[i].expect);
        json_decref(o);
    }
}

static void durations_read_as_go_writes_them(void **state) {
    static const struct {
        const char *text;
        int64_t seconds;
    } good[] = {{"0", 0},       {"90s", 90},  {"10m", 600},   {"1h30m", 5400},
                {"1.5h", 5400}, {"500ms", 1}, {"2m30s", 150}, {"1us", 1}};
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int64_t s = -1;
        char err[128] = "";
        assert_int_equal(al__kube_duration(good[i].text, &s, "q", "f", err, sizeof err), 0);
        assert_int_equal(s, good[i].seconds);
    }
    static const char *const bad[] = {"",   "5",   "m",   "1x",         "1h30",
                                      "h1", "-1s", "1 s", "9999999999h"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t s = -1;
        char err[128] = "";
        assert_int_equal(al__kube_duration(bad[i], &s, "q", "f", err, sizeof err), -AL_EINVAL);
        assert_non_null(strstr(err, "is not a duration"));
    }
}

static void a_pod_group_is_read(void **state) {
    struct al__kube_pod_group g;
    char err[256] = "";
    (void)state;
    json_t *o =
        tb_json("{\"metadata\": {\"name\": \"train\", \"namespace\": \"team-a\", \"uid\":"
                " \"u\", \"labels\": {\"kai.scheduler/node-pool\": \"a100\"}}, \"spec\": "
                "{\"queue\": \"team-a\", \"minMember\": 4,"
                " \"priorityClassName\": \"train\", \"preemptibility\": \"non-preemptible\","
                " \"subGroups\": [{\"name\": \"workers\", \"minMember\": 3}, {\"name\":"
                " \"leader\", \"parent\": \"workers\", \"minMember\": 1}]}}");
    assert_int_equal(al__kube_pod_group_read(o, "kai.scheduler/node-pool", &g, err, sizeof err), 0);
    assert_string_equal(g.queue, "team-a");
    assert_string_equal(g.pool, "a100"); /* KAI's pool label on the PodGroup */
    assert_int_equal(g.min_members, 4);
    assert_int_equal(g.preemptibility, AL__NON_PREEMPTIBLE);
    assert_int_equal(g.subgroup_count, 2);
    assert_string_equal(g.subgroups[1].parent, "workers");
    assert_int_equal(g.subgroups[0].min_members, 3);
    al__kube_pod_group_release(&g);
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"p\", \"namespace\": \"n\"}, \"spec\": {}}");
    assert_int_equal(al__kube_pod_group_read(o, "kai.scheduler/node-pool", &g, err, sizeof err), 0);
    assert_int_equal(g.min_members, 1);
    assert_string_equal(g.pool, "");
    assert_int_equal(g.preemptibility, AL__PREEMPTIBILITY_BY_PRIORITY);
    assert_null(g.subgroups);
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"p\", \"namespace\": \"n\"}, \"spec\":"
                " {\"preemptibility\": \"semi-preemptible\", \"minMember\": 2}}");
    assert_int_equal(al__kube_pod_group_read(o, "kai.scheduler/node-pool", &g, err, sizeof err), 0);
    assert_int_equal(g.preemptibility, AL__SEMI_PREEMPTIBLE);
    assert_false(al__kube_preemptible(g.preemptibility, 50)); /* its core is not */
    json_decref(o);
}

static void malformed_pod_groups_are_refused_naming_the_field(void **state) {
    static const struct {
        const char *spec, *expect;
    } cases[] = {
        {"{\"minMember\": 0}", "spec.minMember: must be an integer from 1"},
        {"{\"minMember\": \"2\"}", "spec.minMember"},
        {"{\"preemptibility\": \"sometimes\"}", "spec.preemptibility: \"sometimes\""},
        {"{\"queue\": 7}", "spec.queue: must be text"},
        {"{\"subGroups\": {}}", "spec.subGroups: must be a list"},
        {"{\"subGroups\": [{\"minMember\": 1}]}", "spec.subGroups[0].name: missing"},
        {"{\"subGroups\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", "\"a\" twice"},
        {"{\"subGroups\": [{\"name\": \"a\", \"parent\": \"b\"}]}",
         "spec.subGroups[0].parent: no sub-group named \"b\""},
        {"{\"subGroups\": [{\"name\": \"a\", \"minMember\": -1}]}", "spec.subGroups[0].minMember"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512], err[256] = "";
        struct al__kube_pod_group g;
        snprintf(text, sizeof text,
                 "{\"metadata\": {\"name\": \"g\", \"namespace\": \"n\"},"
                 " \"spec\": %s}",
                 cases[i].spec);
        json_t *o = tb_json(text);
        int rc = al__kube_pod_group_read(o, "kai.scheduler/node-pool", &g, err, sizeof err);
        if (rc != -AL_EINVAL || !strstr(err, cases[i].expect))
            fail_msg("case %zu: %d \"%s\" (expected \"%s\")", i, rc, err, cases[i].expect);
        assert_null(g.subgroups); /* nothing left to free */
        json_decref(o);
    }
}

static void priority_classes_are_read(void **state) {
    char name[64], err[256] = "";
    int32_t value = 0;
    (void)state;
    json_t *o = tb_json("{\"metadata\": {\"name\": \"train\"}, \"value\": 50}");
    assert_int_equal(al__kube_priority_class_read(o, name, sizeof name, &value, err, sizeof err),
                     0);
    assert_string_equal(name, "train");
    assert_int_equal(value, 50);
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"x\"}, \"value\": 3000000000}");
    assert_int_equal(al__kube_priority_class_read(o, name, sizeof name, &value, err, sizeof err),
                     -AL_EINVAL);
    assert_non_null(strstr(err, "32-bit value"));
    assert_false(al__kube_priority_class_never(o));
    json_decref(o);
    o = tb_json("{\"metadata\": {\"name\": \"wait\"}, \"value\": 125,"
                " \"preemptionPolicy\": \"Never\"}");
    assert_true(al__kube_priority_class_never(o)); /* its pods evict nothing */
    json_decref(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_queue_is_read_in_allots_units),
        cmocka_unit_test(malformed_queues_are_refused_naming_the_field),
        cmocka_unit_test(durations_read_as_go_writes_them),
        cmocka_unit_test(a_pod_group_is_read),
        cmocka_unit_test(malformed_pod_groups_are_refused_naming_the_field),
        cmocka_unit_test(priority_classes_are_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
