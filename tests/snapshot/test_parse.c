/* test_parse.c - valid snapshots: units, defaults, references, device labels, every case file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "allot/snapshot.h"
#include "snapshot/scenario.h"
#include "support/snapfiles.h"

/* Parses a '-quoted document into *c, failing the test with the error when it is rejected. */
static void parse_ok(const char *text, struct al_cluster *c) {
    char *doc = tb_doc(text);
    struct al_snapshot_error err;
    int rc = al_snapshot_parse(doc, strlen(doc), c, &err);
    if (rc != 0)
        print_error("rejected: %s: %s (line %d)\n  %s\n", err.path, err.message, err.line, doc);
    free(doc);
    assert_int_equal(rc, 0);
}

static void scenario_ok(const char *text, struct al_scenario *sc) {
    char *doc = tb_doc(text);
    struct al_snapshot_error err;
    int rc = al_scenario_parse(doc, strlen(doc), sc, &err);
    if (rc != 0)
        print_error("rejected: %s: %s (line %d)\n  %s\n", err.path, err.message, err.line, doc);
    free(doc);
    assert_int_equal(rc, 0);
}

static void parse_fails(const char *text, const char *path, const char *message) {
    char *doc = tb_doc(text);
    struct al_cluster c;
    struct al_snapshot_error err;
    int rc = al_snapshot_parse(doc, strlen(doc), &c, &err);
    if (rc == 0 || strcmp(err.path, path) != 0 || !strstr(err.message, message))
        print_error("expected %s: ...%s...\n  got rc %d %s: %s\n", path, message, rc,
                    rc ? err.path : "", rc ? err.message : "");
    free(doc);
    if (rc == 0)
        al_cluster_release(&c);
    assert_int_not_equal(rc, 0);
    assert_string_equal(err.path, path);
    assert_non_null(strstr(err.message, message));
}

#define MINIMAL "{'config':{'actions':[]},'nodes':[],'queues':[],'jobs':[]}"

/* A document whose only job has no task has no task array at all (found by fuzz_parsers:
 * the gang check formed a pointer into it; clang's UBSan flags that, gcc's does not, so the
 * input is also in tests/fuzz/corpus/parsers, which make fuzz replays). */
static void test_a_job_without_tasks_in_a_document_without_tasks(void **state) {
    struct al_cluster c;
    (void)state;
    parse_ok("{'config':{'actions':['allocate']},'nodes':[{'name':'n','gpus':1}],"
             "'queues':[{'name':'q'}],"
             "'jobs':[{'name':'j','queue':'q','priority':50,'tasks':[]}]}",
             &c);
    assert_int_equal(c.job_count, 1);
    assert_int_equal(c.task_count, 0);
    assert_int_equal(c.jobs[0].min_members, 0);
    al_cluster_release(&c);
}

static void test_defaults(void **state) {
    struct al_cluster c;
    (void)state;
    parse_ok("{'config':{'actions':['allocate']},'nodes':[{'name':'n','gpus':2}],"
             "'queues':[{'name':'q'}],'jobs':[{'name':'j','queue':'q','priority':50,"
             "'tasks':[{'name':'t','state':'pending'},{'name':'u','state':'pending'}]}]}",
             &c);
    assert_null(c.name);
    assert_int_equal(c.now_s, 0);
    assert_int_equal(c.seed, 0);
    assert_int_equal(c.config.action_count, 1);
    assert_int_equal(c.config.actions[0], AL_ACTION_ALLOCATE);
    assert_int_equal(c.config.gpu_placement, AL_BINPACK);
    assert_int_equal(c.config.gpu_device_placement, AL_BINPACK);
    assert_true(c.config.shared_gpu_node_preference);
    assert_int_equal(c.config.staleness_grace_period_s, 60);
    assert_int_equal(c.nodes[0].gpu_count, 2);
    assert_int_equal(c.nodes[0].gpus[1].memory_mib, 100);
    assert_null(c.nodes[0].gpus[0].model);
    assert_null(c.nodes[0].pool);
    assert_int_equal(c.nodes[0].cpu_millis, 0);
    assert_int_equal(c.nodes[0].memory_bytes, 0);
    assert_int_equal(c.queues[0].parent, -1);
    assert_int_equal(c.queues[0].priority, 100);
    assert_int_equal(c.queues[0].deserved[AL_GPU], 0);
    assert_int_equal(c.queues[0].deserved[AL_CPU], AL_UNLIMITED);
    assert_int_equal(c.queues[0].deserved[AL_MEMORY], AL_UNLIMITED);
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        assert_int_equal(c.queues[0].limit[r], AL_UNLIMITED);
        assert_int_equal(c.queues[0].weight[r], 1);
    }
    assert_true(c.jobs[0].preemptible);
    assert_int_equal(c.jobs[0].min_members, 2);
    assert_int_equal(c.jobs[0].created_s, 0);
    assert_false(c.jobs[0].has_preemption_delay);
    assert_false(c.jobs[0].has_stale_for);
    assert_false(c.jobs[0].has_staleness_grace_period);
    assert_int_equal(c.tasks[1].gpu_devices, 1);
    assert_int_equal(c.tasks[1].node, -1);
    assert_int_equal(c.tasks[1].subgroup, -1);
    assert_int_equal(c.tasks[1].cpu_millis, 0);
    assert_false(c.tasks[1].has_task_priority);
    al_cluster_release(&c);
}

static void test_units(void **state) {
    struct al_cluster c;
    (void)state;
    parse_ok("{'config':{'actions':[]},'nodes':[],'queues':[{'name':'a',"
             "'deserved':{'gpu':2,'cpu_millis':4000,'memory_bytes':1073741824},"
             "'limit':{'gpu':0.5,'cpu_millis':-1,'memory_bytes':-1},"
             "'over_quota_weight':{'gpu':3,'cpu':0,'memory':2}},"
             "{'name':'b','deserved':{'gpu':-1},'limit':{'gpu':1.2345}}],"
             "'jobs':[{'name':'j','queue':'a','priority':100,'tasks':["
             "{'name':'t','state':'pending','gpu_fraction':0.5,'gpu_devices':2},"
             "{'name':'u','state':'pending','gpu_fraction':0.25},"
             "{'name':'v','state':'pending','gpu_memory_mib':40960,'cpu_millis':1500,"
             "'memory_bytes':1e9},"
             "{'name':'w','state':'pending','gpus':8}]}]}",
             &c);
    assert_int_equal(c.queues[0].deserved[AL_GPU], 2000);
    assert_int_equal(c.queues[0].deserved[AL_CPU], 4000);
    assert_int_equal(c.queues[0].deserved[AL_MEMORY], 1073741824);
    assert_int_equal(c.queues[0].limit[AL_GPU], 500);
    assert_int_equal(c.queues[0].weight[AL_GPU], 3);
    assert_int_equal(c.queues[0].weight[AL_CPU], 0);
    assert_int_equal(c.queues[0].weight[AL_MEMORY], 2);
    assert_int_equal(c.queues[1].deserved[AL_GPU], AL_UNLIMITED);
    assert_int_equal(c.queues[1].limit[AL_GPU], 1235); /* nearest milli */
    assert_int_equal(c.tasks[0].gpu_milli, 500);
    assert_int_equal(c.tasks[0].gpu_devices, 2);
    assert_int_equal(c.tasks[1].gpu_milli, 250);
    assert_int_equal(c.tasks[2].gpu_memory_mib, 40960);
    assert_int_equal(c.tasks[2].cpu_millis, 1500);
    assert_int_equal(c.tasks[2].memory_bytes, 1000000000);
    assert_int_equal(c.tasks[3].gpus, 8);
    assert_false(c.jobs[0].preemptible); /* priority 100 */
    al_cluster_release(&c);
}

static void test_references_are_indices(void **state) {
    struct al_cluster c;
    (void)state;
    parse_ok("{'name':'refs','now_s':1700000000,'seed':42,'config':{'actions':['reclaim',"
             "'allocate'],'gpu_placement':'spread','cpu_placement':'spread',"
             "'gpu_device_placement':'spread','shared_gpu_node_preference':false,"
             "'staleness_grace_period_s':5},"
             "'nodes':[{'name':'n0'},{'name':'n1','gpus':1,'gpu_memory_mib':81920,"
             "'gpu_model':'A100','pool':'p','labels':{'zone':'a','rack':'7'}}],"
             "'queues':[{'name':'leaf','parent':'dept'},{'name':'dept','parent':null}],"
             "'jobs':[{'name':'j0','queue':'leaf','priority':100,'preemptible':true,"
             "'created_s':-60,'preemption_delay_s':600,'stale_for_s':61,"
             "'staleness_grace_period_s':-1,"
             "'subgroups':[{'name':'s0','min_members':1},{'name':'s1','min_members':0}],"
             "'tasks':[{'name':'a','state':'running','node':'n1','subgroup':'s1','gpus':1},"
             "{'name':'b','state':'bound','node':'n0','subgroup':'s0','task_priority':-3}]},"
             "{'name':'j1','queue':'leaf','priority':75,'min_members':0,'tasks':["
             "{'name':'c','state':'failed','node':'n0',"
             "'node_affinity':{'zone':['a','b'],'rack':['7']}}]}]}",
             &c);
    assert_string_equal(c.name, "refs");
    assert_int_equal(c.now_s, 1700000000);
    assert_int_equal(c.seed, 42);
    assert_int_equal(c.config.action_count, 2);
    assert_int_equal(c.config.actions[0], AL_ACTION_RECLAIM);
    assert_int_equal(c.config.gpu_placement, AL_SPREAD);
    assert_int_equal(c.config.cpu_placement, AL_SPREAD);
    assert_int_equal(c.config.gpu_device_placement, AL_SPREAD);
    assert_false(c.config.shared_gpu_node_preference);
    assert_int_equal(c.config.staleness_grace_period_s, 5);
    assert_string_equal(c.nodes[1].pool, "p");
    assert_string_equal(c.nodes[1].gpus[0].model, "A100");
    assert_int_equal(c.nodes[1].gpus[0].memory_mib, 81920);
    assert_int_equal(c.nodes[1].label_count, 2);
    assert_string_equal(c.nodes[1].labels[1].key, "rack");
    assert_string_equal(c.nodes[1].labels[1].value, "7");
    assert_int_equal(c.queues[0].parent, 1);
    assert_int_equal(c.queues[0].created, 0);
    assert_int_equal(c.queues[1].created, 1);
    assert_int_equal(c.jobs[0].queue, 0);
    assert_true(c.jobs[0].preemptible);
    assert_int_equal(c.jobs[0].min_members, 0);
    assert_int_equal(c.jobs[0].subgroup_count, 2);
    assert_int_equal(c.jobs[0].created_s, -60);
    assert_true(c.jobs[0].has_preemption_delay && c.jobs[0].preemption_delay_s == 600);
    assert_true(c.jobs[0].has_stale_for && c.jobs[0].stale_for_s == 61);
    assert_true(c.jobs[0].has_staleness_grace_period);
    assert_int_equal(c.jobs[0].staleness_grace_period_s, -1);
    assert_int_equal(c.jobs[0].first_task, 0);
    assert_int_equal(c.jobs[0].task_count, 2);
    assert_int_equal(c.jobs[1].first_task, 2);
    assert_int_equal(c.jobs[1].task_count, 1);
    assert_int_equal(c.jobs[1].min_members, 0);
    assert_int_equal(c.tasks[0].subgroup, 1);
    assert_int_equal(c.tasks[0].node, 1);
    assert_int_equal(c.tasks[1].state, AL_TASK_BOUND);
    assert_int_equal(c.tasks[1].node, 0);
    assert_true(c.tasks[1].has_task_priority);
    assert_int_equal(c.tasks[1].task_priority, -3);
    assert_int_equal(c.tasks[2].job, 1);
    assert_int_equal(c.tasks[2].node, 0); /* finished: the node it ran on, holding nothing */
    assert_int_equal(c.tasks[2].gpu_index_count, 0);
    assert_int_equal(c.tasks[2].affinity_count, 2);
    assert_string_equal(c.tasks[2].affinity[0].key, "zone");
    assert_int_equal(c.tasks[2].affinity[0].value_count, 2);
    assert_string_equal(c.tasks[2].affinity[0].values[1], "b");
    al_cluster_release(&c);
}

/* Two nodes (n0 with `gpus` devices, n1 with 2) and one job with the given tasks. */
#define NODES2(gpus, tasks)                                                                        \
    "{'config':{'actions':[]},'nodes':[{'name':'n0','gpus':" gpus "},{'name':'n1','gpus':2}],"     \
    "'queues':[{'name':'q'}],'jobs':[{'name':'j','queue':'q','priority':50,'min_members':0,"       \
    "'tasks':[" tasks "]}]}"
#define TASK_ON(node, name, state, fields)                                                         \
    "{'name':'" name "','state':'" state "','node':'" node "'," fields "}"

static void assert_devices(const struct al_task *t, size_t count, const int32_t *want) {
    if (t->gpu_index_count != count)
        print_error("task %s: %zu devices, expected %zu\n", t->name, t->gpu_index_count, count);
    assert_int_equal(t->gpu_index_count, count);
    for (size_t i = 0; i < count; i++) {
        if (t->gpu_indices[i] != want[i])
            print_error("task %s: device[%zu] = %d, expected %d\n", t->name, i,
                        (int)t->gpu_indices[i], (int)want[i]);
        assert_int_equal(t->gpu_indices[i], want[i]);
    }
}

static void test_labels_take_devices_in_order_of_first_appearance(void **state) {
    struct al_scenario sc;
    const struct al_task *t;
    (void)state;
    scenario_ok(
        NODES2(
            "4",
            TASK_ON("n0", "s1", "running", "'gpu_fraction':0.5,'gpu_groups':['b']") "," TASK_ON(
                "n0", "w", "running",
                "'gpus':1") "," TASK_ON("n0", "s2", "running",
                                        "'gpu_fraction':0.3,'gpu_groups':['a'"
                                        "]") "," TASK_ON("n0", "s3", "releasing",
                                                         "'gpu_memory_mib':"
                                                         "40,'gpu_groups':['"
                                                         "b']") "," TASK_ON("n1", "s4", "running",
                                                                            "'gpu_fraction':0."
                                                                            "5,'gpu_groups':['"
                                                                            "a']") "," TASK_ON("n0",
                                                                                               "s5",
                                                                                               "run"
                                                                                               "nin"
                                                                                               "g",
                                                                                               "'gp"
                                                                                               "u_"
                                                                                               "fra"
                                                                                               "cti"
                                                                                               "on'"
                                                                                               ":0."
                                                                                               "2,'"
                                                                                               "gpu"
                                                                                               "_de"
                                                                                               "vic"
                                                                                               "es'"
                                                                                               ":2,"
                                                                                               "'gp"
                                                                                               "u_"
                                                                                               "gro"
                                                                                               "ups"
                                                                                               "':["
                                                                                               "'a'"
                                                                                               ",'"
                                                                                               "c'"
                                                                                               "]")),
        &sc);
    t = sc.cluster.tasks;
    assert_devices(&t[0], 1, (const int32_t[]){0});
    assert_devices(&t[1], 1, (const int32_t[]){3}); /* after labels b, a, c */
    assert_devices(&t[2], 1, (const int32_t[]){1});
    assert_devices(&t[3], 1, (const int32_t[]){0});
    assert_devices(&t[4], 1, (const int32_t[]){0}); /* labels are local to a node */
    assert_devices(&t[5], 2, (const int32_t[]){1, 2});
    assert_int_equal(sc.label_count, 4);
    assert_int_equal(sc.labels[0].node, 0);
    assert_string_equal(sc.labels[0].label, "b");
    assert_int_equal(sc.labels[0].device, 0);
    assert_string_equal(sc.labels[1].label, "a");
    assert_int_equal(sc.labels[1].device, 1);
    assert_string_equal(sc.labels[2].label, "c");
    assert_int_equal(sc.labels[2].device, 2);
    assert_int_equal(sc.labels[3].node, 1);
    assert_string_equal(sc.labels[3].label, "a");
    assert_int_equal(sc.labels[3].device, 0);
    al_scenario_release(&sc);
}

static void test_explicit_indices_come_first(void **state) {
    struct al_cluster c;
    (void)state;
    parse_ok(
        NODES2("4",
               TASK_ON("n0", "s", "running", "'gpu_fraction':0.5,'gpu_groups':['x']") "," TASK_ON(
                   "n0", "w", "running", "'gpus':2") "," TASK_ON("n0", "e", "running",
                                                                 "'gpus':1,'gpu_indices':[0]")),
        &c);
    assert_devices(&c.tasks[2], 1, (const int32_t[]){0});
    assert_devices(&c.tasks[0], 1, (const int32_t[]){1});
    assert_devices(&c.tasks[1], 2, (const int32_t[]){2, 3});
    parse_fails(
        NODES2("3",
               TASK_ON("n0", "s", "running", "'gpu_fraction':0.5,'gpu_groups':['x']") "," TASK_ON(
                   "n0", "w", "running", "'gpus':2") "," TASK_ON("n0", "e", "running",
                                                                 "'gpus':1,'gpu_indices':[2]")),
        "jobs[0].tasks[1]", "node n0 has no free GPU device left for this task");
    al_cluster_release(&c);
}

static void test_pipelined_task_waits_for_releasing_devices(void **state) {
    struct al_cluster c;
    (void)state;
    parse_ok(NODES2("2", TASK_ON("n0", "r", "releasing", "'gpus':2") "," TASK_ON(
                             "n0", "p", "pipelined",
                             "'gpus':1") "," TASK_ON("n0", "f", "pipelined",
                                                     "'gpu_fraction':0.5,'gpu_groups':['g']")),
             &c);
    assert_devices(&c.tasks[0], 2, (const int32_t[]){0, 1});
    assert_devices(&c.tasks[2], 1, (const int32_t[]){0});
    assert_devices(&c.tasks[1], 1, (const int32_t[]){1});
    al_cluster_release(&c);
    /* stuck_releasing capacity counts as used: nothing may be pipelined onto it */
    parse_fails(NODES2("1", TASK_ON("n0", "r", "stuck_releasing",
                                    "'gpus':1") "," TASK_ON("n0", "p", "pipelined", "'gpus':1")),
                "jobs[0].tasks[1]", "no free GPU device left");
    parse_fails(
        NODES2("1", TASK_ON("n0", "r", "stuck_releasing", "'gpus':1,'gpu_indices':[0]") "," TASK_ON(
                        "n0", "p", "pipelined", "'gpus':1,'gpu_indices':[0]")),
        "jobs[0].tasks[1]", "over-committed");
    /* a running task does not go away: pipelined work beside it must fit beside it */
    parse_fails(
        NODES2("1",
               TASK_ON("n0", "r", "running", "'gpu_fraction':0.6,'gpu_groups':['x']") "," TASK_ON(
                   "n0", "p", "pipelined", "'gpu_fraction':0.6,'gpu_groups':['x']")),
        "jobs[0].tasks[1]", "over-committed");
}

static void test_gpu_memory_shares_a_device(void **state) {
    struct al_cluster c;
    (void)state;
    parse_ok("{'config':{'actions':[]},'nodes':[{'name':'n0','gpus':1,'gpu_memory_mib':80}],"
             "'queues':[{'name':'q'}],'jobs':[{'name':'j','queue':'q','priority':50,'tasks':["
             "{'name':'a','state':'running','node':'n0','gpu_memory_mib':40,'gpu_groups':['0']},"
             "{'name':'b','state':'running','node':'n0','gpu_fraction':0.5,'gpu_groups':['0']}"
             "]}]}",
             &c);
    assert_devices(&c.tasks[1], 1, (const int32_t[]){0});
    al_cluster_release(&c);
    parse_fails("{'config':{'actions':[]},'nodes':[{'name':'n0','gpus':1,'gpu_memory_mib':80}],"
                "'queues':[{'name':'q'}],'jobs':[{'name':'j','queue':'q','priority':50,'tasks':["
                "{'name':'a','state':'running','node':'n0','gpu_memory_mib':41,'gpu_groups':['0']},"
                "{'name':'b','state':'running','node':'n0','gpu_fraction':0.5,'gpu_groups':['0']}"
                "]}]}",
                "jobs[0].tasks[1]", "over-committed");
}

static void test_finished_tasks_keep_their_node(void **state) {
    struct al_scenario sc;
    (void)state;
    scenario_ok(
        NODES2("1", TASK_ON("n1", "f", "failed", "'gpus':1") ",{'name':'p','state':'pending'}"),
        &sc);
    assert_int_equal(sc.cluster.tasks[0].node, 1);
    assert_int_equal(sc.cluster.tasks[0].gpu_index_count, 0);
    assert_int_equal(sc.cluster.tasks[1].node, -1);
    assert_false(sc.has_expect);
    al_scenario_release(&sc);
}

static void test_empty_cluster(void **state) {
    struct al_cluster c;
    (void)state;
    parse_ok(MINIMAL, &c);
    assert_int_equal(c.node_count + c.queue_count + c.job_count + c.task_count, 0);
    al_cluster_release(&c);
}

static void test_every_case_file_parses(void **state) {
    size_t count, failures = 0;
    char **files = tb_case_files(&count);
    (void)state;
    if (count == 0)
        print_error("no case files in %s\n", TB_CASES_DIR);
    assert_true(count > 0);
    for (size_t i = 0; i < count; i++) {
        struct al_scenario sc;
        struct al_snapshot_error err;
        if (al_scenario_load(files[i], &sc, &err) != 0) {
            print_error("%s: %s: %s (line %d)\n", files[i], err.path, err.message, err.line);
            failures++;
            continue;
        }
        if (!sc.has_expect || sc.cluster.name == NULL) {
            print_error("%s: no expect or no name\n", files[i]);
            failures++;
        }
        al_scenario_release(&sc);
    }
    tb_case_files_free(files, count);
    assert_int_equal(failures, 0);
}

static void test_example_parses(void **state) {
    struct al_scenario sc;
    struct al_snapshot_error err;
    int rc = al_scenario_load("examples/two-teams.json", &sc, &err);
    (void)state;
    if (rc != 0)
        print_error("examples/two-teams.json: %s: %s\n", err.path, err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(sc.cluster.nodes[0].gpus[7].memory_mib, 81920);
    al_scenario_release(&sc);
}

static void test_missing_file_is_an_io_error(void **state) {
    struct al_scenario sc;
    struct al_snapshot_error err;
    (void)state;
    assert_int_equal(al_scenario_load("tests/snapshot/no-such-file.json", &sc, &err), -AL_EIO);
    assert_string_equal(err.path, "");
    assert_non_null(strstr(err.message, "cannot read"));
    assert_int_equal(al_scenario_load("tests/snapshot", &sc, &err), -AL_EIO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_references_are_indices),
        cmocka_unit_test(test_labels_take_devices_in_order_of_first_appearance),
        cmocka_unit_test(test_explicit_indices_come_first),
        cmocka_unit_test(test_pipelined_task_waits_for_releasing_devices),
        cmocka_unit_test(test_gpu_memory_shares_a_device),
        cmocka_unit_test(test_finished_tasks_keep_their_node),
        cmocka_unit_test(test_empty_cluster),
        cmocka_unit_test(test_every_case_file_parses),
        cmocka_unit_test(test_a_job_without_tasks_in_a_document_without_tasks),
        cmocka_unit_test(test_example_parses),
        cmocka_unit_test(test_missing_file_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
