/* test_scenario.c - the expect section: parsing, and the checker on hand-made cycle results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "snapshot/scenario.h"
#include "support/snapfiles.h"

/* Tasks: 0 a-0, 1 s-0 (on n0, label x -> device 0), 2 s-1, 3 s-2, 4 s-3, 5 g-0, 6 g-1, 7 f-0. */
#define CLUSTER                                                                                    \
    "'config':{'actions':['allocate']},"                                                           \
    "'nodes':[{'name':'n0','gpus':4},{'name':'n1','gpus':4},{'name':'n2','gpus':4}],"              \
    "'queues':[{'name':'root'},{'name':'q','parent':'root'}],"                                     \
    "'jobs':[{'name':'a','queue':'q','priority':50,'tasks':["                                      \
    "{'name':'a-0','state':'pending','gpus':1}]},"                                                 \
    "{'name':'s','queue':'q','priority':50,'min_members':0,'tasks':["                              \
    "{'name':'s-0','state':'running','node':'n0','gpu_fraction':0.5,'gpu_groups':['x']},"          \
    "{'name':'s-1','state':'pending','gpu_fraction':0.5},"                                         \
    "{'name':'s-2','state':'pending','gpu_fraction':0.5},"                                         \
    "{'name':'s-3','state':'pending','gpu_memory_mib':25}]},"                                      \
    "{'name':'g','queue':'q','priority':50,'tasks':["                                              \
    "{'name':'g-0','state':'running','node':'n1','gpus':1},"                                       \
    "{'name':'g-1','state':'running','node':'n1','gpus':1}]},"                                     \
    "{'name':'f','queue':'q','priority':50,'tasks':["                                              \
    "{'name':'f-0','state':'failed','node':'n1'}]}]"

#define EXPECT                                                                                     \
    "{'tasks':{'a-0':{'state':'allocated','node_in':['n0','n1'],'kai_node':'n0'},"                 \
    "'s-0':{'state':'running','node':'n0','gpu_group':'x'},"                                       \
    "'s-1':{'state':'allocated','node':'n0','gpu_group':'x'},"                                     \
    "'s-2':{'state':'allocated','node':'n0','gpu_group':'new'},"                                   \
    "'s-3':{'state':'allocated','node':'n0','gpu_group':'new'},"                                   \
    "'f-0':{'state':'failed','node':'n1'}},"                                                       \
    "'task_groups':[{'tasks':['g-0','g-1'],'outcomes':[{'state':'running','node':'n1',"            \
    "'count':1},{'state':'evicted','node':'n1','count':1}],"                                       \
    "'kai_assignment':{'g-0':{'state':'running','node':'n1'}}}],"                                  \
    "'same_node':[['a-0','s-2']],"                                                                 \
    "'queues':{'q':{'fair_share':{'gpu':2.5}},'root':{'fair_share':{'gpu':2.5,"                    \
    "'cpu_millis':0}}}}"

#define SCENARIO(expect) "{" CLUSTER ",'expect':" expect "}"

static void load(const char *text, struct al_scenario *sc) {
    char *doc = tb_doc(text);
    struct al_snapshot_error err;
    int rc = al_scenario_parse(doc, strlen(doc), sc, &err);
    if (rc != 0)
        print_error("rejected: %s: %s\n", err.path, err.message);
    free(doc);
    assert_int_equal(rc, 0);
}

/* ---- the expect section ---- */

struct bad_expect {
    const char *expect;
    const char *path;
    const char *message;
};

static const struct bad_expect bad_expects[] = {
    {"[]", "expect", "must be an object"},
    {"{'task':{}}", "expect.task", "unknown field"},
    {"{'tasks':[]}", "expect.tasks", "must be an object"},
    {"{'tasks':{'nope':{'state':'pending'}}}", "expect.tasks.nope", "unknown task \"nope\""},
    {"{'tasks':{'a-0':{}}}", "expect.tasks.a-0.state", "required field is missing"},
    {"{'tasks':{'a-0':{'state':'done'}}}", "expect.tasks.a-0.state",
     "unknown expected state \"done\""},
    {"{'tasks':{'a-0':'pending'}}", "expect.tasks.a-0", "must be an object"},
    {"{'tasks':{'a-0':{'state':'allocated','node':'n9'}}}", "expect.tasks.a-0.node",
     "unknown node \"n9\""},
    {"{'tasks':{'a-0':{'state':'allocated','node_in':[]}}}", "expect.tasks.a-0.node_in",
     "must not be empty"},
    {"{'tasks':{'a-0':{'state':'allocated','node_in':['n0','n7']}}}", "expect.tasks.a-0.node_in[1]",
     "unknown node \"n7\""},
    {"{'tasks':{'a-0':{'state':'allocated','gpu_group':'x'}}}", "expect.tasks.a-0.gpu_group",
     "only for tasks with gpu_fraction or gpu_memory_mib"},
    {"{'tasks':{'s-1':{'state':'allocated','gpu_group':1}}}", "expect.tasks.s-1.gpu_group",
     "must be a string"},
    {"{'tasks':{'a-0':{'state':'allocated','kai_node':3}}}", "expect.tasks.a-0.kai_node",
     "must be a string"},
    {"{'tasks':{'a-0':{'state':'allocated','nodes':['n0']}}}", "expect.tasks.a-0.nodes",
     "unknown field"},
    {"{'task_groups':{}}", "expect.task_groups", "must be an array"},
    {"{'task_groups':[{'tasks':['g-0','g-1']}]}", "expect.task_groups[0].outcomes",
     "required field is missing"},
    {"{'task_groups':[{'tasks':[],'outcomes':[]}]}", "expect.task_groups[0].tasks",
     "must not be empty"},
    {"{'task_groups':[{'tasks':['g-0','g-1'],'outcomes':[{'state':'running','count':1}]}]}",
     "expect.task_groups[0].outcomes", "counts add up to 1, the group has 2 tasks"},
    {"{'task_groups':[{'tasks':['g-0'],'outcomes':[{'state':'running','count':-1}]}]}",
     "expect.task_groups[0].outcomes[0].count", "must be >= 0"},
    {"{'task_groups':[{'tasks':['g-0'],'outcomes':[{'state':'running'}]}]}",
     "expect.task_groups[0].outcomes[0].count", "required field is missing"},
    {"{'task_groups':[{'tasks':['g-0'],'outcomes':[{'state':'running','node':'x','count':1}]}]}",
     "expect.task_groups[0].outcomes[0].node", "unknown node \"x\""},
    {"{'task_groups':[{'tasks':['g-0'],'outcomes':[{'state':'ok','count':1}]}]}",
     "expect.task_groups[0].outcomes[0].state", "unknown expected state"},
    {"{'tasks':{'g-0':{'state':'running'}},'task_groups':[{'tasks':['g-0'],"
     "'outcomes':[{'state':'running','count':1}]}]}",
     "expect.task_groups[0].tasks[0]", "already listed in expect.tasks"},
    {"{'task_groups':[{'tasks':['g-0'],'outcomes':[{'state':'running','count':1}]},"
     "{'tasks':['g-1','g-0'],'outcomes':[{'state':'running','count':2}]}]}",
     "expect.task_groups[1].tasks[1]", "already listed in a task group"},
    {"{'task_groups':[{'tasks':['g-0'],'outcomes':[{'state':'running','count':1}],"
     "'kai_assignment':[]}]}",
     "expect.task_groups[0].kai_assignment", "must be an object"},
    {"{'task_groups':[{'tasks':['zz'],'outcomes':[]}]}", "expect.task_groups[0].tasks[0]",
     "unknown task \"zz\""},
    {"{'same_node':[['a-0'],'s-2']}", "expect.same_node[1]", "must be an array"},
    {"{'same_node':[['a-0','zz']]}", "expect.same_node[0][1]", "unknown task \"zz\""},
    {"{'queues':{'zz':{}}}", "expect.queues.zz", "unknown queue \"zz\""},
    {"{'queues':{'q':{'fair_share':{'gpu':-1}}}}", "expect.queues.q.fair_share.gpu",
     "must be >= 0"},
    {"{'queues':{'q':{'fair_share':{'cpu':1}}}}", "expect.queues.q.fair_share.cpu",
     "unknown field"},
    {"{'queues':{'q':{'share':{}}}}", "expect.queues.q.share", "unknown field"},
    {"{'queues':{'q':{'fair_share':2}}}", "expect.queues.q.fair_share", "must be an object"},
};

static void test_bad_expect_sections_are_rejected(void **state) {
    int failures = 0;
    (void)state;
    for (size_t i = 0; i < sizeof(bad_expects) / sizeof(bad_expects[0]); i++) {
        const struct bad_expect *b = &bad_expects[i];
        char text[8192];
        char *doc;
        struct al_scenario sc;
        struct al_snapshot_error err;
        int rc;
        snprintf(text, sizeof(text), "{" CLUSTER ",'expect':%s}", b->expect);
        doc = tb_doc(text);
        rc = al_scenario_parse(doc, strlen(doc), &sc, &err);
        if (rc != -AL_EINVAL || strcmp(err.path, b->path) != 0 ||
            !strstr(err.message, b->message)) {
            print_error("bad_expects[%zu]: %s\n  expected path \"%s\", message with \"%s\"\n"
                        "  got      rc %d, path \"%s\", message \"%s\"\n",
                        i, b->expect, b->path, b->message, rc, rc ? err.path : "",
                        rc ? err.message : "");
            failures++;
        }
        if (rc == 0)
            al_scenario_release(&sc);
        free(doc);
    }
    assert_int_equal(failures, 0);
}

static void test_expect_is_parsed(void **state) {
    struct al_scenario sc;
    const struct al_expect *x;
    (void)state;
    load(SCENARIO(EXPECT), &sc);
    x = &sc.expect;
    assert_true(sc.has_expect);
    assert_int_equal(x->task_count, 6);
    assert_int_equal(x->tasks[0].task, 0);
    assert_string_equal(x->tasks[0].state, "allocated");
    assert_int_equal(x->tasks[0].node, -1);
    assert_int_equal(x->tasks[0].node_in_count, 2);
    assert_int_equal(x->tasks[0].node_in[1], 1);
    assert_null(x->tasks[0].gpu_group);
    assert_string_equal(x->tasks[1].gpu_group, "x");
    assert_int_equal(x->tasks[1].node, 0);
    assert_int_equal(x->group_count, 1);
    assert_int_equal(x->groups[0].task_count, 2);
    assert_int_equal(x->groups[0].outcome_count, 2);
    assert_string_equal(x->groups[0].outcomes[1].state, "evicted");
    assert_int_equal(x->groups[0].outcomes[1].node, 1);
    assert_int_equal(x->groups[0].outcomes[1].count, 1);
    assert_int_equal(x->same_node_count, 1);
    assert_int_equal(x->same_node[0].tasks[1], 3);
    assert_int_equal(x->queue_count, 2);
    assert_int_equal(x->queues[0].queue, 1);
    assert_true(x->queues[0].has[AL_GPU]);
    assert_false(x->queues[0].has[AL_CPU]);
    assert_int_equal(x->queues[0].fair_share[AL_GPU], 2500);
    assert_true(x->queues[1].has[AL_CPU]);
    al_scenario_release(&sc);
}

/* ---- the checker, on results made by hand ---- */

struct fake {
    struct al_task_outcome tasks[8];
    int32_t gpus[8][2];
    struct al_queue_outcome queues[2];
    struct al_result result;
};

static void fake_task(struct fake *f, int t, enum al_task_state state, bool evicted, int node,
                      int device) {
    struct al_task_outcome *o = &f->tasks[t];
    o->state = state;
    o->evicted = evicted;
    o->node = node;
    o->gpus = f->gpus[t];
    o->gpu_count = device >= 0 ? 1 : 0;
    f->gpus[t][0] = device;
}

/* A result that meets every expectation of EXPECT. */
static void fake_init(struct fake *f) {
    memset(f, 0, sizeof(*f));
    fake_task(f, 0, AL_TASK_ALLOCATED, false, 0, 1);
    fake_task(f, 1, AL_TASK_RUNNING, false, 0, 0);
    fake_task(f, 2, AL_TASK_ALLOCATED, false, 0, 0);
    fake_task(f, 3, AL_TASK_ALLOCATED, false, 0, 2);
    fake_task(f, 4, AL_TASK_ALLOCATED, false, 0, 2);
    fake_task(f, 5, AL_TASK_RUNNING, false, 1, 0);
    fake_task(f, 6, AL_TASK_RELEASING, true, 1, 1);
    fake_task(f, 7, AL_TASK_FAILED, false, -1, -1);
    f->queues[0].fair_share[AL_GPU] = 2500;
    f->queues[1].fair_share[AL_GPU] = 2500;
    f->result.tasks = f->tasks;
    f->result.queues = f->queues;
}

static void expect_pass(const struct al_scenario *sc, const struct fake *f) {
    char diff[512];
    bool ok = al_scenario_check(sc, &f->result, diff, sizeof(diff));
    if (!ok)
        print_error("expected PASS, got: %s\n", diff);
    assert_true(ok);
    assert_string_equal(diff, "");
}

static void expect_fail(const struct al_scenario *sc, const struct fake *f, const char *want) {
    char diff[512];
    bool ok = al_scenario_check(sc, &f->result, diff, sizeof(diff));
    if (ok || strcmp(diff, want) != 0)
        print_error("expected FAIL \"%s\"\n     got %s \"%s\"\n", want, ok ? "PASS" : "FAIL",
                    ok ? "" : diff);
    assert_false(ok);
    assert_string_equal(diff, want);
}

static void test_checker_passes_a_matching_result(void **state) {
    struct al_scenario sc;
    struct fake f;
    (void)state;
    load(SCENARIO(EXPECT), &sc);
    fake_init(&f);
    expect_pass(&sc, &f);
    /* a-0 may be on either node of node_in; its same_node partner follows */
    fake_task(&f, 0, AL_TASK_ALLOCATED, false, 1, 2);
    fake_task(&f, 3, AL_TASK_ALLOCATED, false, 1, 2);
    fake_task(&f, 4, AL_TASK_ALLOCATED, false, 1, 2);
    expect_fail(&sc, &f, "task s-2: expected allocated on n0, got allocated on n1");
    al_scenario_release(&sc);
}

static void test_checker_reports_wrong_states_and_nodes(void **state) {
    struct al_scenario sc;
    struct fake f;
    (void)state;
    load(SCENARIO(EXPECT), &sc);
    fake_init(&f);
    fake_task(&f, 0, AL_TASK_PENDING, false, -1, -1);
    expect_fail(&sc, &f, "task a-0: expected allocated, got pending");
    fake_init(&f);
    fake_task(&f, 0, AL_TASK_ALLOCATED, false, 2, 1);
    expect_fail(&sc, &f, "task a-0: expected allocated on one of n0, n1, got allocated on n2");
    fake_init(&f);
    fake_task(&f, 1, AL_TASK_RUNNING, false, 1, 0);
    expect_fail(&sc, &f, "task s-0: expected running on n0, got running on n1");
    fake_init(&f);
    fake_task(&f, 1, AL_TASK_RELEASING, true, 0, 0);
    expect_fail(&sc, &f, "task s-0: expected running on n0, got evicted on n0");
    fake_init(&f);
    fake_task(&f, 2, AL_TASK_PIPELINED, false, 0, 0);
    expect_fail(&sc, &f, "task s-1: expected allocated on n0, got pipelined on n0");
    fake_init(&f);
    fake_task(&f, 7, AL_TASK_SUCCEEDED, false, -1, -1);
    expect_fail(&sc, &f, "task f-0: expected failed on n1, got succeeded on n1");
    al_scenario_release(&sc);
}

static void test_checker_counts_task_groups(void **state) {
    struct al_scenario sc;
    struct fake f;
    (void)state;
    load(SCENARIO(EXPECT), &sc);
    fake_init(&f);
    fake_task(&f, 5, AL_TASK_RELEASING, true, 1, 0);
    fake_task(&f, 6, AL_TASK_RUNNING, false, 1, 1);
    expect_pass(&sc, &f); /* which of the two is evicted is a tie-break */
    fake_task(&f, 5, AL_TASK_RUNNING, false, 1, 0);
    expect_fail(&sc, &f,
                "task_groups[0]: expected 1 running, got 2 (g-0 running on n1, g-1 running on n1)");
    fake_init(&f);
    fake_task(&f, 6, AL_TASK_RELEASING, false, 1, 1); /* releasing, but not by this cycle */
    expect_fail(&sc, &f,
                "task_groups[0]: expected 1 evicted, got 0 (g-0 running on n1, g-1 releasing on "
                "n1)");
    fake_init(&f);
    fake_task(&f, 5, AL_TASK_RUNNING, false, 2, 0);
    expect_fail(&sc, &f,
                "task_groups[0]: expected at least 1 running on n1, got 0 (g-0 running on n2, "
                "g-1 evicted on n1)");
    al_scenario_release(&sc);
}

static void test_checker_same_node(void **state) {
    struct al_scenario sc;
    struct fake f;
    (void)state;
    load(SCENARIO("{'tasks':{'a-0':{'state':'allocated'}},'same_node':[['a-0','s-2']]}"), &sc);
    fake_init(&f);
    expect_pass(&sc, &f);
    fake_task(&f, 0, AL_TASK_ALLOCATED, false, 1, 1);
    expect_fail(&sc, &f, "same_node[0]: a-0 on n1, s-2 on n0");
    fake_init(&f);
    fake_task(&f, 3, AL_TASK_PENDING, false, -1, -1);
    expect_fail(&sc, &f, "same_node[0]: a-0 on n0, s-2 on no node");
    al_scenario_release(&sc);
}

static void test_checker_gpu_groups(void **state) {
    struct al_scenario sc;
    struct fake f;
    (void)state;
    load(SCENARIO(EXPECT), &sc);
    fake_init(&f);
    fake_task(&f, 2, AL_TASK_ALLOCATED, false, 0, 3);
    expect_fail(&sc, &f, "task s-1: expected GPU group \"x\" (device 0 of n0), got device 3");
    fake_init(&f);
    fake_task(&f, 2, AL_TASK_ALLOCATED, false, 0, -1);
    expect_fail(&sc, &f, "task s-1: expected GPU group \"x\", got no GPU device");
    fake_init(&f);
    fake_task(&f, 4, AL_TASK_ALLOCATED, false, 0, 3);
    expect_fail(&sc, &f,
                "tasks s-2 and s-3: expected one GPU (group \"new\") on n0, got device 2 and "
                "device 3");
    fake_init(&f);
    fake_task(&f, 3, AL_TASK_ALLOCATED, false, 0, 0);
    fake_task(&f, 4, AL_TASK_ALLOCATED, false, 0, 0);
    expect_fail(&sc, &f,
                "tasks s-0 and s-2: expected different GPUs (groups \"x\" and \"new\") on n0, got "
                "device 0 and device 0");
    al_scenario_release(&sc);
}

static void test_checker_fair_share(void **state) {
    struct al_scenario sc;
    struct fake f;
    (void)state;
    load(SCENARIO(EXPECT), &sc);
    fake_init(&f);
    f.queues[1].fair_share[AL_GPU] = 2000;
    expect_fail(&sc, &f, "queue q: expected GPU fair share 2.5, got 2");
    fake_init(&f);
    f.queues[0].fair_share[AL_CPU] = 1500;
    expect_fail(&sc, &f, "queue root: expected CPU fair share 0 cores, got 1.5 cores");
    al_scenario_release(&sc);
}

static void test_checker_without_expect_passes(void **state) {
    struct al_scenario sc;
    struct fake f;
    (void)state;
    load("{" CLUSTER "}", &sc);
    assert_false(sc.has_expect);
    fake_init(&f);
    fake_task(&f, 0, AL_TASK_PENDING, false, -1, -1);
    expect_pass(&sc, &f);
    al_scenario_release(&sc);
}

static void test_outcome_state_names(void **state) {
    struct al_task_outcome o = {.state = AL_TASK_RELEASING, .evicted = true};
    (void)state;
    assert_string_equal(al_outcome_state_name(&o), "evicted");
    o.evicted = false;
    assert_string_equal(al_outcome_state_name(&o), "releasing");
    o.state = AL_TASK_PIPELINED;
    o.evicted = true; /* relocated: evicted from one node, pipelined onto another */
    assert_string_equal(al_outcome_state_name(&o), "pipelined");
    o.state = AL_TASK_ALLOCATED;
    assert_string_equal(al_outcome_state_name(&o), "allocated");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_expect_sections_are_rejected),
        cmocka_unit_test(test_expect_is_parsed),
        cmocka_unit_test(test_checker_passes_a_matching_result),
        cmocka_unit_test(test_checker_reports_wrong_states_and_nodes),
        cmocka_unit_test(test_checker_counts_task_groups),
        cmocka_unit_test(test_checker_same_node),
        cmocka_unit_test(test_checker_gpu_groups),
        cmocka_unit_test(test_checker_fair_share),
        cmocka_unit_test(test_checker_without_expect_passes),
        cmocka_unit_test(test_outcome_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
