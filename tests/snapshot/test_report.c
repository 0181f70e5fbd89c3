/* test_report.c - amounts and explanation lines for people, and a result as JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/snapshot.h"
#include "snapshot/report.h"
#include "snapshot/scenario.h"
#include "support/snapfiles.h"

#define GIB (1024LL * 1024 * 1024)

static void amount_is(enum al_resource r, int64_t v, bool unit, const char *want) {
    char buf[64];
    al_amount_text(r, v, unit, buf, sizeof(buf));
    if (strcmp(buf, want) != 0)
        print_error("%s %lld: \"%s\", expected \"%s\"\n", al_resource_name(r), (long long)v, buf,
                    want);
    assert_string_equal(buf, want);
}

static void test_amounts(void **state) {
    (void)state;
    amount_is(AL_GPU, 8000, false, "8");
    amount_is(AL_GPU, 500, false, "0.5");
    amount_is(AL_GPU, 1250, false, "1.25");
    amount_is(AL_GPU, 1, false, "0.001");
    amount_is(AL_GPU, 0, false, "0");
    amount_is(AL_GPU, 1000, true, "1 GPU");
    amount_is(AL_GPU, 2000, true, "2 GPUs");
    amount_is(AL_GPU, 500, true, "0.5 GPUs");
    amount_is(AL_GPU, AL_UNLIMITED, true, "unlimited");
    amount_is(AL_CPU, 1500, false, "1.5 cores");
    amount_is(AL_CPU, 1000, false, "1 core");
    amount_is(AL_CPU, 20000000, false, "20000 cores");
    amount_is(AL_MEMORY, 16 * GIB, false, "16 GiB");
    amount_is(AL_MEMORY, 512LL * 1024 * 1024, false, "512 MiB");
    amount_is(AL_MEMORY, 20000000000LL, false, "18.63 GiB");
    amount_is(AL_MEMORY, 1536, false, "1.5 KiB");
    amount_is(AL_MEMORY, 100, false, "100 bytes");
    amount_is(AL_MEMORY, AL_UNLIMITED, false, "unlimited");
}

/* Jobs: 0 big (queue team-a, 4 tasks big-0..3), 1 small (queue q, task t). */
#define CLUSTER                                                                                    \
    "{'config':{'actions':['allocate']},'nodes':[{'name':'n0','gpus':8}],"                         \
    "'queues':[{'name':'dept'},{'name':'team-a','parent':'dept'},{'name':'q','parent':'dept'}],"   \
    "'jobs':[{'name':'big','queue':'team-a','priority':50,'tasks':["                               \
    "{'name':'big-0','state':'pending','gpus':4},{'name':'big-1','state':'pending','gpus':4},"     \
    "{'name':'big-2','state':'running','node':'n0','gpus':4},"                                     \
    "{'name':'big-3','state':'pending','gpus':4}]},"                                               \
    "{'name':'small','queue':'q','priority':50,'tasks':["                                          \
    "{'name':'t','state':'pending','gpu_fraction':0.5}]}]}"

static void load(struct al_cluster *c) {
    char *doc = tb_doc(CLUSTER);
    struct al_snapshot_error err;
    int rc = al_snapshot_parse(doc, strlen(doc), c, &err);
    if (rc != 0)
        print_error("%s: %s\n", err.path, err.message);
    free(doc);
    assert_int_equal(rc, 0);
}

static void line_is(const struct al_cluster *c, const struct al_explanation *e, const char *want) {
    char buf[512];
    size_t n = al_explanation_text(c, e, buf, sizeof(buf));
    if (strcmp(buf, want) != 0)
        print_error("got      \"%s\"\nexpected \"%s\"\n", buf, want);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_explanation_lines(void **state) {
    struct al_cluster c;
    struct al_explanation e;
    (void)state;
    load(&c);
    e = (struct al_explanation){.job = 0,
                                .reason = AL_REASON_OVER_LIMIT,
                                .queue = 1,
                                .resource = AL_GPU,
                                .allocated = 8000,
                                .requested = 2000,
                                .limit = 8000,
                                .task = -1};
    line_is(&c, &e, "queue team-a over its GPU limit: allocated 8, requested 2, limit 8");
    e.resource = AL_MEMORY;
    e.allocated = e.limit = 16 * GIB;
    e.requested = GIB;
    line_is(&c, &e,
            "queue team-a over its memory limit: allocated 16 GiB, requested 1 GiB, limit 16 GiB");
    e = (struct al_explanation){.job = 1,
                                .reason = AL_REASON_NON_PREEMPTIBLE_OVER_QUOTA,
                                .queue = 2,
                                .resource = AL_GPU,
                                .allocated = 0,
                                .requested = 1200,
                                .limit = 1000,
                                .task = -1};
    line_is(&c, &e,
            "non-preemptible work only within deserved quota: queue q allocated 0, requested "
            "1.2, deserved 1 GPU");
    e = (struct al_explanation){.job = 0,
                                .reason = AL_REASON_GANG_INCOMPLETE,
                                .placeable = 3,
                                .needed = 4,
                                .task = 3,
                                .requested_task = {4000, 1000, GIB},
                                .best_free = {2000, 64000, 100 * GIB},
                                .nodes_matching = 1};
    line_is(&c, &e,
            "resources for 3 of 4 tasks; gang needs 4; task big-3 fits on no node: needs 4 GPUs, "
            "most free on a node 2 GPUs");
    e = (struct al_explanation){.job = 1,
                                .reason = AL_REASON_NO_NODE_FITS,
                                .task = 4,
                                .requested_task = {500, 8000, 2 * GIB},
                                .best_free = {1000, 4000, GIB},
                                .nodes_matching = 3};
    line_is(&c, &e,
            "task t fits on no node: needs 8 cores, most free on a node 4 cores; needs 2 GiB, most "
            "free on a node 1 GiB");
    e.nodes_matching = 0;
    line_is(&c, &e, "task t fits on no node: no node matches its node affinity");
    e = (struct al_explanation){.job = 1, .reason = AL_REASON_NOT_REACHED, .task = -1};
    line_is(&c, &e, "not reached: the cycle ended before the job was tried");
    al_cluster_release(&c);
}

static void test_explanation_text_truncates_like_snprintf(void **state) {
    struct al_cluster c;
    struct al_explanation e = {.job = 1, .reason = AL_REASON_NOT_REACHED, .task = -1};
    char buf[11];
    (void)state;
    load(&c);
    assert_int_equal(al_explanation_text(&c, &e, buf, sizeof(buf)),
                     strlen("not reached: the cycle ended before the job was tried"));
    assert_string_equal(buf, "not reache");
    assert_int_equal(al_explanation_text(&c, &e, NULL, 0), 53);
    al_cluster_release(&c);
}

static void test_result_json(void **state) {
    struct al_cluster c;
    struct al_task_outcome tasks[5];
    struct al_queue_outcome queues[3];
    int32_t gpus[2] = {4, 5};
    struct al_decision decisions[2] = {
        {.kind = AL_DECISION_BIND, .task = 4, .node = 0, .gpus = gpus, .gpu_count = 1},
        {.kind = AL_DECISION_EVICT, .task = 2, .node = 0, .reason = AL_REASON_NONE},
    };
    struct al_explanation why = {.job = 0,
                                 .reason = AL_REASON_OVER_LIMIT,
                                 .queue = 1,
                                 .resource = AL_GPU,
                                 .allocated = 4000,
                                 .requested = 4500,
                                 .limit = 6000,
                                 .task = -1};
    struct al_result r = {.decisions = decisions,
                          .decision_count = 2,
                          .explanations = &why,
                          .explanation_count = 1,
                          .tasks = tasks,
                          .queues = queues};
    json_t *doc, *d, *p, *q;
    (void)state;
    load(&c);
    memset(tasks, 0, sizeof(tasks));
    memset(queues, 0, sizeof(queues));
    queues[1].fair_share[AL_GPU] = 2500;
    queues[1].allocated[AL_CPU] = 1500;
    doc = al_result_json(&c, &r);
    assert_non_null(doc);
    d = json_array_get(json_object_get(doc, "decisions"), 0);
    assert_string_equal(json_string_value(json_object_get(d, "kind")), "bind");
    assert_string_equal(json_string_value(json_object_get(d, "task")), "t");
    assert_string_equal(json_string_value(json_object_get(d, "job")), "small");
    assert_string_equal(json_string_value(json_object_get(d, "node")), "n0");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(d, "gpus"), 0)), 4);
    d = json_array_get(json_object_get(doc, "decisions"), 1);
    assert_string_equal(json_string_value(json_object_get(d, "kind")), "evict");
    assert_string_equal(json_string_value(json_object_get(d, "reason")), "none");
    p = json_array_get(json_object_get(doc, "pending"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "job")), "big");
    assert_string_equal(json_string_value(json_object_get(p, "reason")), "over_limit");
    assert_string_equal(json_string_value(json_object_get(p, "queue")), "team-a");
    assert_string_equal(json_string_value(json_object_get(p, "resource")), "gpu");
    assert_true(json_real_value(json_object_get(p, "requested")) == 4.5);
    assert_int_equal(json_integer_value(json_object_get(p, "limit")), 6);
    assert_string_equal(json_string_value(json_object_get(p, "message")),
                        "queue team-a over its GPU limit: allocated 4, requested 4.5, limit 6");
    q = json_array_get(json_object_get(doc, "queues"), 1);
    assert_string_equal(json_string_value(json_object_get(q, "name")), "team-a");
    assert_true(json_real_value(json_object_get(json_object_get(q, "fair_share"), "gpu")) == 2.5);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(q, "allocated"), "cpu_millis")), 1500);
    json_decref(doc);
    al_cluster_release(&c);
}

/* A MIG cluster: n0 offers 2 x 3g.40gb (one held) and 7 x 1g.10gb, n1 1 x 1g.10gb. */
#define MIG_CLUSTER                                                                                \
    "{'config':{'actions':['allocate']},'nodes':["                                                 \
    "{'name':'n0','gpus':0,'mig':{'3g.40gb':2,'1g.10gb':7},'cpu_millis':4000},"                    \
    "{'name':'n1','gpus':0,'mig':{'1g.10gb':1},'cpu_millis':4000}],"                               \
    "'queues':[{'name':'dept'},{'name':'q','parent':'dept'}],"                                     \
    "'jobs':[{'name':'hold','queue':'q','priority':50,'tasks':[{'name':'hold-0','state':'running'" \
    ",'node':'n0',"                                                                                \
    "'mig':{'3g.40gb':1}}]},"                                                                      \
    "{'name':'two','queue':'q','priority':50,'tasks':[{'name':'two-0','state':'pending',"          \
    "'mig':{'1g.10gb':1,'3g.40gb':2}}]},"                                                          \
    "{'name':'none','queue':'q','priority':50,'tasks':[{'name':'none-0','state':'pending',"        \
    "'mig':{'2g.20gb':1}}]},"                                                                      \
    "{'name':'cpu','queue':'q','priority':50,'tasks':[{'name':'cpu-0','state':'pending',"          \
    "'mig':{'1g.10gb':1},'cpu_millis':8000}]}]}"

/* The pending entry of the result for job `name`. */
static const json_t *pending_of(const json_t *doc, const char *name) {
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(doc, "pending"), i, p) {
        if (strcmp(json_string_value(json_object_get(p, "job")), name) == 0)
            return p;
    }
    fail_msg("no pending entry for job %s", name);
    return NULL;
}

static void message_is(const json_t *doc, const char *job, const char *want) {
    const char *got = json_string_value(json_object_get(pending_of(doc, job), "message"));
    if (strcmp(got, want) != 0)
        print_error("got      \"%s\"\nexpected \"%s\"\n", got, want);
    assert_string_equal(got, want);
}

/* A MIG task that fits nowhere is explained by its profile short, not by GPU figures (its G x
 * count GPUs say nothing of where instances are free); hand-checked against MIG_CLUSTER. */
static void test_mig_explained_per_profile(void **state) {
    struct al_cluster c;
    struct al_snapshot_error err;
    struct al_result r;
    char *text = tb_doc(MIG_CLUSTER);
    (void)state;
    int rc = al_snapshot_parse(text, strlen(text), &c, &err);
    free(text);
    if (rc != 0)
        print_error("%s: %s\n", err.path, err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    json_t *doc = al_result_json(&c, &r);
    assert_non_null(doc);
    /* 1g.10gb fits on n0; 3g.40gb is short: 2 asked, 1 free on n0, none on n1 */
    message_is(doc, "two",
               "task two-0 fits on no node: needs 2 x 3g.40gb on one node, the most free on a "
               "node is 1");
    const json_t *p = pending_of(doc, "two");
    assert_string_equal(json_string_value(json_object_get(p, "mig_profile")), "3g.40gb");
    assert_int_equal(json_integer_value(json_object_get(p, "mig_needed")), 2);
    assert_int_equal(json_integer_value(json_object_get(p, "mig_most_free_on_a_node")), 1);
    message_is(doc, "none", "task none-0 fits on no node: no node offers MIG instances of 2g.20gb");
    assert_true(json_is_null(json_object_get(pending_of(doc, "none"), "mig_most_free_on_a_node")));
    /* its instances are free: the CPU is what is short, and no GPU figure shows */
    message_is(doc, "cpu",
               "task cpu-0 fits on no node: needs 8 cores, most free on a node 4 cores");
    assert_null(json_object_get(pending_of(doc, "cpu"), "mig_profile"));
    json_decref(doc);
    al_result_release(&r);
    al_cluster_release(&c);
}

/* n0 offers 3 x 3g.40gb: one held by a running task, one by a task being evicted (releasing),
 * one free; n1 offers 1 x 3g.40gb, held. */
#define MIG_RELEASING_CLUSTER                                                                      \
    "{'config':{'actions':['allocate']},'nodes':["                                                 \
    "{'name':'n0','gpus':0,'mig':{'3g.40gb':3},'cpu_millis':4000},"                                \
    "{'name':'n1','gpus':0,'mig':{'3g.40gb':1},'cpu_millis':4000}],"                               \
    "'queues':[{'name':'dept'},{'name':'q','parent':'dept'}],"                                     \
    "'jobs':[{'name':'hold','queue':'q','priority':50,'tasks':["                                   \
    "{'name':'hold-0','state':'running','node':'n0','mig':{'3g.40gb':1}},"                         \
    "{'name':'hold-1','state':'releasing','node':'n0','mig':{'3g.40gb':1}},"                       \
    "{'name':'hold-2','state':'running','node':'n1','mig':{'3g.40gb':1}}]},"                       \
    "{'name':'three','queue':'q','priority':50,'tasks':[{'name':'three-0','state':'pending',"      \
    "'mig':{'3g.40gb':3}}]}]}"

/* A MIG task short of free instances is told how many there will be once the instances being
 * released are (n0: 1 free, 1 being released, so 2 of the 3 it asks); hand-checked against
 * MIG_RELEASING_CLUSTER. */
static void test_mig_explained_with_instances_being_released(void **state) {
    struct al_cluster c;
    struct al_snapshot_error err;
    struct al_result r;
    char *text = tb_doc(MIG_RELEASING_CLUSTER);
    (void)state;
    int rc = al_snapshot_parse(text, strlen(text), &c, &err);
    free(text);
    if (rc != 0)
        print_error("%s: %s\n", err.path, err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    json_t *doc = al_result_json(&c, &r);
    assert_non_null(doc);
    message_is(doc, "three",
               "task three-0 fits on no node: needs 3 x 3g.40gb on one node, the most free on a "
               "node is 1, 2 once those being released are");
    const json_t *p = pending_of(doc, "three");
    assert_int_equal(json_integer_value(json_object_get(p, "mig_most_free_on_a_node")), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "mig_most_free_once_released")), 2);
    json_decref(doc);
    al_result_release(&r);
    al_cluster_release(&c);
}

/* The example of README's first command runs through the engine, explains and checks. */
static void test_example_replays(void **state) {
    struct al_scenario sc;
    struct al_snapshot_error err;
    struct al_result r;
    char diff[512], line[512];
    json_t *doc;
    (void)state;
    assert_int_equal(al_scenario_load("examples/two-teams.json", &sc, &err), 0);
    assert_int_equal(al_cycle_run(&sc.cluster, &r), 0);
    if (!al_scenario_check(&sc, &r, diff, sizeof(diff)))
        print_error("examples/two-teams.json: %s\n", diff);
    assert_true(al_scenario_check(&sc, &r, diff, sizeof(diff)));
    assert_true(r.explanation_count > 0);
    for (size_t i = 0; i < r.explanation_count; i++)
        assert_true(al_explanation_text(&sc.cluster, &r.explanations[i], line, sizeof(line)) > 0);
    doc = al_result_json(&sc.cluster, &r);
    assert_non_null(doc);
    json_decref(doc);
    al_result_release(&r);
    al_scenario_release(&sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_explanation_lines),
        cmocka_unit_test(test_explanation_text_truncates_like_snprintf),
        cmocka_unit_test(test_result_json),
        cmocka_unit_test(test_example_replays),
        cmocka_unit_test(test_mig_explained_per_profile),
        cmocka_unit_test(test_mig_explained_with_instances_being_released),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
