/* test_roundtrip.c - al_snapshot_write then al_snapshot_parse gives back an equal cluster. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/snapshot.h"
#include "support/cluster_diff.h"
#include "support/snapfiles.h"

/* parse(write(c)) == c and write(parse(write(c))) == write(c); prints what differs. */
static bool round_trip(const char *what, const struct al_cluster *c) {
    struct al_cluster back;
    struct al_snapshot_error err;
    char diff[512];
    char *text = al_snapshot_write(c), *again;
    bool ok;

    assert_non_null(text);
    if (al_snapshot_parse(text, strlen(text), &back, &err) != 0) {
        print_error("%s: written document rejected: %s: %s\n%s\n", what, err.path, err.message,
                    text);
        free(text);
        return false;
    }
    ok = tb_cluster_equal(c, &back, diff, sizeof(diff));
    if (!ok)
        print_error("%s: parse(write(c)) differs: %s\n", what, diff);
    again = al_snapshot_write(&back);
    assert_non_null(again);
    if (strcmp(text, again) != 0) {
        print_error("%s: writing twice gives different text\n", what);
        ok = false;
    }
    free(again);
    free(text);
    al_cluster_release(&back);
    return ok;
}

/* Every file of `pattern` round-trips. */
static void files_round_trip(const char *pattern) {
    size_t count, failures = 0;
    char **files = tb_glob_files(pattern, &count);
    assert_true(count > 0);
    for (size_t i = 0; i < count; i++) {
        size_t len;
        char *text = tb_read_file(files[i], &len);
        struct al_cluster c;
        struct al_snapshot_error err;
        assert_non_null(text);
        if (al_snapshot_parse(text, len, &c, &err) != 0) {
            print_error("%s: %s: %s\n", files[i], err.path, err.message);
            failures++;
        } else {
            failures += !round_trip(files[i], &c);
            al_cluster_release(&c);
        }
        free(text);
    }
    tb_case_files_free(files, count);
    assert_int_equal(failures, 0);
}

static void test_every_case_file_round_trips(void **state) {
    (void)state;
    files_round_trip(TB_CASES_DIR "/*.json");
}

/* The project's scenarios too: topologies and topology constraints among them. */
static void test_every_scenario_round_trips(void **state) {
    (void)state;
    files_round_trip(TB_SCENARIOS_DIR "/*.json");
}

static void test_extensions_round_trip(void **state) {
    char *doc = tb_doc(
        "{'name':'ext','now_s':-5,'seed':9007199254740993,'config':{'actions':['preempt',"
        "'stalegangeviction'],'gpu_placement':'spread','gpu_device_placement':'spread',"
        "'shared_gpu_node_preference':false,'staleness_grace_period_s':-1,'usage_k':0.75,"
        "'usage_half_life_s':3600,'usage_window_s':86400,'reservation_min_gpus':64,"
        "'reservation_wait_s':900},"
        "'nodes':[{'name':'n0','pool':'p','gpus':4,'gpu_memory_mib':81920,'gpu_model':'H100',"
        "'cpu_millis':64000,'memory_bytes':1099511627776,'labels':{'b':'2','a':'1'},"
        "'mig':{'3g.40gb':2,'1g.10gb':1}}],"
        "'queues':[{'name':'z','parent':'y','deserved':{'gpu':0.25},'limit':{'gpu':7.5},"
        "'pools':{'p':{'deserved':{'gpu':2}},'a':{'over_quota_weight':{'gpu':3}}}},"
        "{'name':'y','priority':-4,'over_quota_weight':{'gpu':0,'cpu':5,'memory':1000},"
        "'preempt_min_runtime_s':600,'reclaim_min_runtime_s':0,"
        "'usage':{'gpu':0.421337,'cpu':1,'memory':0.000001}},"
        "{'name':'x','parent':'y','reclaim_min_runtime_s':30,'preempt_min_runtime_s':null}],"
        "'jobs':[{'name':'j','queue':'z','pool':'p','priority':75,'preemptible':false,'created_s':-"
        "1e3,"
        "'pending_since_s':-500,'started_s':-20,'preemption_delay_s':0,'stale_for_s':3,'staleness_"
        "grace_period_s':0,"
        "'time_limit_s':7200,"
        "'subgroups':[{'name':'s','min_members':1}],'tasks':["
        "{'name':'t0','state':'running','node':'n0','subgroup':'s','gpu_fraction':0.125,"
        "'gpu_fraction_limit':0.5,'gpu_devices':2,'gpu_groups':['x','y'],'task_priority':7},"
        "{'name':'t1','state':'pipelined','node':'n0','subgroup':'s','gpu_memory_mib':1024,"
        "'gpu_memory_limit_mib':4096,'gpu_indices':[1]},"
        "{'name':'t2','state':'bound','node':'n0','subgroup':'s','gpus':1,"
        "'node_affinity':{'b':['2','3'],'a':['1']}},"
        "{'name':'t3','state':'succeeded','subgroup':'s'},"
        "{'name':'t4','state':'running','node':'n0','subgroup':'s','mig':{'1g.10gb':1}}]}]}");
    struct al_cluster c;
    struct al_snapshot_error err;
    char *text;
    (void)state;
    if (al_snapshot_parse(doc, strlen(doc), &c, &err) != 0)
        print_error("%s: %s\n", err.path, err.message);
    assert_int_equal(c.task_count, 5);
    assert_int_equal(c.nodes[0].mig_count, 2); /* sorted by profile */
    assert_string_equal(c.nodes[0].migs[0].profile, "1g.10gb");
    assert_int_equal(c.nodes[0].migs[1].count, 2);
    assert_int_equal(c.tasks[4].mig_count, 1);
    assert_true(round_trip("extensions", &c));
    text = al_snapshot_write(&c);
    assert_non_null(strstr(text, "\"gpu_fraction\": 0.125"));
    assert_non_null(strstr(text, "\"gpu_fraction_limit\": 0.5"));
    assert_non_null(strstr(text, "\"gpu_memory_limit_mib\": 4096"));
    assert_int_equal(c.tasks[0].gpu_milli_limit, 500);
    assert_string_equal(c.jobs[0].pool, "p");
    assert_int_equal(c.queues[0].pool_count, 2); /* sorted by pool, unset values the queue's */
    assert_string_equal(c.queues[0].pools[0].pool, "a");
    assert_int_equal(c.queues[0].pools[0].weight[AL_GPU], 3);
    assert_int_equal(c.queues[0].pools[0].deserved[AL_GPU], 250);
    assert_int_equal(c.queues[0].pools[1].deserved[AL_GPU], 2000);
    assert_int_equal(c.queues[0].pools[1].limit[AL_GPU], 7500);
    assert_int_equal(c.tasks[1].gpu_memory_limit_mib, 4096);
    assert_non_null(strstr(text, "\"gpu\": 0.25"));
    assert_non_null(strstr(text, "\"gpu\": 7.5"));
    assert_non_null(strstr(text, "\"gpu_device_placement\": \"spread\""));
    assert_null(strstr(text, "gpu_groups"));
    assert_non_null(strstr(text, "\"started_s\": -20"));
    assert_non_null(strstr(text, "\"time_limit_s\": 7200"));
    assert_non_null(strstr(text, "\"reservation_min_gpus\": 64"));
    assert_true(c.jobs[0].has_time_limit && c.jobs[0].time_limit_s == 7200);
    assert_non_null(strstr(text, "\"pending_since_s\": -500"));
    assert_true(c.jobs[0].has_pending_since && c.jobs[0].pending_since_s == -500);
    assert_true(c.config.reservation_min_gpus == 64 && c.config.reservation_wait_s == 900);
    assert_non_null(strstr(text, "\"reclaim_min_runtime_s\": 0"));
    assert_true(c.queues[1].has_preempt_min_runtime && c.queues[1].preempt_min_runtime_s == 600);
    assert_true(c.queues[2].has_reclaim_min_runtime && !c.queues[2].has_preempt_min_runtime);
    assert_false(c.queues[0].has_preempt_min_runtime || c.queues[0].has_reclaim_min_runtime);
    free(text);
    al_cluster_release(&c);
    free(doc);
}

static void test_queues_are_written_in_creation_order(void **state) {
    char *doc = tb_doc("{'config':{'actions':[]},'nodes':[],'queues':[{'name':'b'},"
                       "{'name':'a'}],'jobs':[]}");
    struct al_cluster c;
    char *text;
    (void)state;
    assert_int_equal(al_snapshot_parse(doc, strlen(doc), &c, NULL), 0);
    c.queues[0].created = 10;
    c.queues[1].created = 3;
    text = al_snapshot_write(&c);
    assert_non_null(text);
    assert_true(strstr(text, "\"a\"") < strstr(text, "\"b\""));
    free(text);
    al_cluster_release(&c);
    free(doc);
}

static void test_empty_cluster_round_trips(void **state) {
    struct al_cluster c;
    (void)state;
    memset(&c, 0, sizeof(c));
    al_config_init(&c.config);
    assert_true(round_trip("empty", &c));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_case_file_round_trips),
        cmocka_unit_test(test_every_scenario_round_trips),
        cmocka_unit_test(test_extensions_round_trip),
        cmocka_unit_test(test_queues_are_written_in_creation_order),
        cmocka_unit_test(test_empty_cluster_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
