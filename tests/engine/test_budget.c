/* test_budget.c - the victim-search budget (config.victim_budget): each bound ends a search,
 * the action stops searching once its budget is spent, and the explanation says which action a
 * budget stopped; the snapshot carries the counts. */
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
#include "snapshot/report.h"
#include "support/builder.h"

#define NODE_CPU 20000000
#define NODE_MEM 20000000000

/*
 * Two 4-GPU nodes full of 1-GPU jobs of a lending queue (deserved 0); an owner queue
 * (deserved 8) has `pending` jobs that each need 4 GPUs on one node, so each search must take
 * four victims, tried one more at a time: four scenarios.
 */
static void build(struct al_cluster *c, int pending) {
    static const int32_t dev[4] = {0, 1, 2, 3};
    char name[32], task[40];
    tb_init(c);
    tb_node(c, "n0", 4, NODE_CPU, NODE_MEM);
    tb_node(c, "n1", 4, NODE_CPU, NODE_MEM);
    tb_queue(c, "lender", NULL, 0, -1, 1, 100);
    tb_queue(c, "owner", NULL, 8000, -1, 1, 100);
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof(name), "l%d", i);
        snprintf(task, sizeof(task), "l%d-0", i);
        tb_job(c, name, "lender", 50, 1);
        tb_task(c, task, AL_TASK_RUNNING, i < 4 ? "n0" : "n1", 1, 0, &dev[i % 4]);
    }
    for (int i = 0; i < pending; i++) {
        snprintf(name, sizeof(name), "o%d", i);
        snprintf(task, sizeof(task), "o%d-0", i);
        tb_job(c, name, "owner", 50, 1);
        tb_task(c, task, AL_TASK_PENDING, NULL, 4, 0, NULL);
    }
    c->config.actions[0] = AL_ACTION_RECLAIM;
    c->config.action_count = 1;
}

static size_t evictions(const struct al_result *r) {
    size_t n = 0;
    for (size_t i = 0; i < r->decision_count; i++)
        n += r->decisions[i].kind == AL_DECISION_EVICT;
    return n;
}

static const struct al_explanation *why(const struct al_cluster *c, const struct al_result *r,
                                        const char *job) {
    for (size_t i = 0; i < r->explanation_count; i++)
        if (strcmp(c->jobs[r->explanations[i].job].name, job) == 0)
            return &r->explanations[i];
    return NULL;
}

static void says_cut(const struct al_cluster *c, const struct al_explanation *e) {
    char line[512];
    assert_non_null(e);
    assert_true(e->victim_search_cut & (1u << AL_ACTION_RECLAIM));
    al_explanation_text(c, e, line, sizeof(line));
    if (!strstr(line, "reclaim stopped at its victim-search budget before finding victims")) {
        print_error("explanation: %s\n", line);
        fail();
    }
}

static void the_default_budget_reclaims(void **state) {
    struct al_cluster c;
    struct al_result r;
    (void)state;
    build(&c, 1);
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(evictions(&r), 4);
    assert_int_equal(r.victim_scenarios, 4);
    assert_null(why(&c, &r, "o0"));
    al_result_release(&r);
    al_cluster_release(&c);
}

static void scenarios_per_job_end_a_search(void **state) {
    struct al_cluster c;
    struct al_result r;
    (void)state;
    build(&c, 1);
    c.config.victim_budget.scenarios_per_job = 3;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(evictions(&r), 0);
    assert_int_equal(r.victim_scenarios, 3);
    says_cut(&c, why(&c, &r, "o0"));
    al_result_release(&r);
    al_cluster_release(&c);
}

static void victim_tasks_end_a_search(void **state) {
    struct al_cluster c;
    struct al_result r;
    (void)state;
    build(&c, 1);
    c.config.victim_budget.victim_tasks = 3;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(evictions(&r), 0);
    says_cut(&c, why(&c, &r, "o0"));
    al_result_release(&r);
    al_cluster_release(&c);
}

/* The first job spends the action's budget; the second is not searched and says so, without
 * claiming that a search found nothing. */
static void a_spent_action_searches_no_more(void **state) {
    struct al_cluster c;
    struct al_result r;
    (void)state;
    build(&c, 2);
    c.config.victim_budget.scenarios_per_action = 4;
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(evictions(&r), 4); /* o0, exactly within the budget */
    assert_int_equal(r.victim_scenarios, 4);
    const struct al_explanation *e = why(&c, &r, "o1");
    says_cut(&c, e);
    assert_false(e->victim_search & (1u << AL_ACTION_RECLAIM));
    al_result_release(&r);
    al_cluster_release(&c);
}

static int64_t fake_now;

static int64_t fake_clock(void) { /* a millisecond passes at every reading */
    return fake_now += 1000000;
}

static void a_time_budget_ends_the_action(void **state) {
    struct al_cluster c;
    struct al_result r;
    (void)state;
    build(&c, 1);
    c.config.clock_ns = fake_clock;
    c.config.victim_budget.time_per_action_ns = 2500000; /* 2.5 readings */
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(evictions(&r), 0);
    assert_true(r.victim_scenarios < 4);
    says_cut(&c, why(&c, &r, "o0"));
    al_result_release(&r);
    c.config.victim_budget.time_per_action_ns = 0; /* none: the same clock changes nothing */
    assert_int_equal(al_cycle_run(&c, &r), 0);
    assert_int_equal(evictions(&r), 4);
    al_result_release(&r);
    al_cluster_release(&c);
}

static void the_snapshot_carries_the_counts(void **state) {
    static const char doc[] =
        "{\"config\":{\"actions\":[\"reclaim\"],\"victim_search_budget\":{\"scenarios_per_job\":7,"
        "\"scenarios_per_action\":70,\"victim_tasks\":9}},\"nodes\":[],\"queues\":[],\"jobs\":[]}";
    struct al_cluster c, back;
    struct al_snapshot_error err;
    (void)state;
    assert_int_equal(al_snapshot_parse(doc, strlen(doc), &c, &err), 0);
    assert_int_equal(c.config.victim_budget.scenarios_per_job, 7);
    assert_int_equal(c.config.victim_budget.scenarios_per_action, 70);
    assert_int_equal(c.config.victim_budget.victim_tasks, 9);
    char *text = al_snapshot_write(&c);
    assert_non_null(text);
    assert_int_equal(al_snapshot_parse(text, strlen(text), &back, &err), 0);
    assert_int_equal(back.config.victim_budget.scenarios_per_action, 70);
    free(text);
    al_cluster_release(&back);
    al_cluster_release(&c);
    static const char bad[] = "{\"config\":{\"actions\":[],\"victim_search_budget\":{"
                              "\"scenarios_per_job\":0}},\"nodes\":[],\"queues\":[],\"jobs\":[]}";
    assert_int_equal(al_snapshot_parse(bad, strlen(bad), &c, &err), -AL_EINVAL);
    assert_string_equal(err.path, "config.victim_search_budget.scenarios_per_job");
    assert_non_null(strstr(err.message, ">= 1"));
    static const char unknown[] = "{\"config\":{\"actions\":[],\"victim_search_budget\":{"
                                  "\"seconds\":1}},\"nodes\":[],\"queues\":[],\"jobs\":[]}";
    assert_int_equal(al_snapshot_parse(unknown, strlen(unknown), &c, &err), -AL_EINVAL);
    assert_string_equal(err.path, "config.victim_search_budget.seconds");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_default_budget_reclaims),
        cmocka_unit_test(scenarios_per_job_end_a_search),
        cmocka_unit_test(victim_tasks_end_a_search),
        cmocka_unit_test(a_spent_action_searches_no_more),
        cmocka_unit_test(a_time_budget_ends_the_action),
        cmocka_unit_test(the_snapshot_carries_the_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
