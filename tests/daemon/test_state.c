/* test_state.c - allotd's derived workload states: a requeued task makes a workload pending
 * again, failed tasks that break a gang (or a subgroup's) fail it, stale gangs are timed (a
 * subgroup below its minimum too), task state names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "daemon/state.h"

static struct al__dworkload *workload(int32_t workers, int32_t min_members) {
    struct al__dworkload *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->spec.workers = workers;
    w->spec.min_members = min_members;
    w->state = AL__W_PENDING;
    al__workload_sets_init(w);
    al__workload_alloc_tasks(w);
    return w;
}

static void run(struct al__dtask *t, int64_t started) {
    t->state = AL__T_RUNNING;
    snprintf(t->ref, sizeof(t->ref), "42:1");
    t->node = 0;
    t->started_s = started;
    t->gpus[0] = 1;
    t->gpu_count = 1;
}

static void a_requeued_task_is_pending_and_not_a_failure(void **state) {
    struct al__dworkload *w = workload(2, 1);
    struct al__state st = {0};
    (void)state;
    run(&w->tasks[0], 10);
    run(&w->tasks[1], 10);
    w->tasks[1].state = AL__T_STOPPING;
    w->tasks[1].evicting = true;
    w->tasks[1].exit_code = 143;
    al__workload_refresh_state(&st, w);
    assert_int_equal(w->state, AL__W_RUNNING);
    al__task_requeue(&st, &w->tasks[1]);
    assert_int_equal(w->tasks[1].state, AL__T_PENDING);
    assert_int_equal(w->tasks[1].gpu_count, 0);
    assert_string_equal(w->tasks[1].ref, "");
    assert_int_equal(w->tasks[1].node, -1);
    assert_int_equal(w->tasks[1].started_s, -1);
    assert_int_equal(w->tasks[1].exit_code, 0);
    assert_false(w->tasks[1].evicting);
    al__workload_refresh_state(&st, w);
    assert_int_equal(w->state, AL__W_RUNNING); /* task 0 still runs */
    al__task_requeue(&st, &w->tasks[0]);
    assert_int_equal(st.task_changes, 2); /* queue positions and the cycle's passes see it */
    al__workload_refresh_state(&st, w);
    assert_int_equal(w->state, AL__W_PENDING);
    assert_true(al__workload_is_active(w) == false);
    al__workload_free(w);
    al__state_release(&st);
}

static void failures_that_break_a_gang_fail_it(void **state) {
    struct al__dworkload *w = workload(3, 2);
    struct al__state st = {0};
    (void)state;
    w->tasks[0].state = AL__T_FAILED;
    w->tasks[0].exit_code = 3;
    al__workload_refresh_state(&st, w); /* two of three can still make the gang */
    assert_int_equal(w->state, AL__W_PENDING);
    w->tasks[1].state = AL__T_FAILED;
    w->tasks[1].exit_code = 4;
    al__workload_refresh_state(&st, w);
    assert_int_equal(w->state, AL__W_FAILED);
    assert_int_equal(w->exit_code, 3);
    al__workload_free(w);
    al__state_release(&st);
}

static void stale_gangs_are_timed_from_when_they_fell_below(void **state) {
    struct al__dworkload *w = workload(2, 2);
    struct al__state st = {0};
    (void)state;
    al__workload_track_stale(&st, w, 100); /* nothing runs: not stale */
    assert_int_equal(w->stale_since_s, -1);
    assert_int_equal(st.sets[AL__CHANGED].count, 0); /* the kept model has nothing to read */
    run(&w->tasks[0], 100);
    w->tasks[1].state = AL__T_PIPELINED;
    al__workload_track_stale(&st, w, 101);
    assert_int_equal(w->stale_since_s, -1);
    w->tasks[1].state = AL__T_FAILED;
    al__workload_track_stale(&st, w, 102);
    assert_int_equal(w->stale_since_s, 102);
    assert_int_equal(st.sets[AL__CHANGED].count, 1); /* the cycle's model reads it again */
    al__workload_track_stale(&st, w, 150);           /* still the time it fell below */
    assert_int_equal(w->stale_since_s, 102);
    w->tasks[1].state = AL__T_SUCCEEDED; /* a gang with a finished member is not stale */
    al__workload_track_stale(&st, w, 160);
    assert_int_equal(w->stale_since_s, -1);
    al__workload_free(w);
    al__state_release(&st);
}

/* Subgroups "a" (tasks 0-1, minimum 2) and "b" (tasks 2-3, minimum 1) of a workload of 4. */
static struct al__dworkload *with_subgroups(void) {
    struct al__dworkload *w = workload(4, 3);
    w->spec.subgroups = calloc(2, sizeof(*w->spec.subgroups));
    assert_non_null(w->spec.subgroups);
    w->spec.subgroup_count = 2;
    snprintf(w->spec.subgroups[0].name, sizeof(w->spec.subgroups[0].name), "a");
    snprintf(w->spec.subgroups[1].name, sizeof(w->spec.subgroups[1].name), "b");
    w->spec.subgroups[0].workers = w->spec.subgroups[1].workers = 2;
    w->spec.subgroups[0].min_members = 2;
    w->spec.subgroups[1].min_members = 1;
    return w;
}

static void a_subgroup_below_its_minimum_counts_as_the_gang(void **state) {
    struct al__state st = {0};
    (void)state;
    struct al__dworkload *w = with_subgroups();
    assert_int_equal(al__task_subgroup(w, 1), 0);
    assert_int_equal(al__task_subgroup(w, 2), 1);
    w->tasks[3].state = AL__T_FAILED; /* b keeps one: its minimum */
    al__workload_refresh_state(&st, w);
    assert_int_equal(w->state, AL__W_PENDING);
    w->tasks[3].state = AL__T_PENDING;
    w->tasks[0].state = AL__T_FAILED; /* a cannot make 2 again (three tasks left would) */
    w->tasks[0].exit_code = 5;
    al__workload_refresh_state(&st, w);
    assert_int_equal(w->state, AL__W_FAILED);
    assert_int_equal(w->exit_code, 5);
    al__workload_free(w);
    /* three of four running is the sum of the minimums, but a holds one of its two: stale */
    w = with_subgroups();
    run(&w->tasks[0], 100);
    run(&w->tasks[2], 100);
    run(&w->tasks[3], 100);
    al__workload_track_stale(&st, w, 100);
    assert_int_equal(w->stale_since_s, 100);
    run(&w->tasks[1], 101);
    al__workload_track_stale(&st, w, 101);
    assert_int_equal(w->stale_since_s, -1);
    /* tasks that name their subgroups out of order (a mirrored job's): 0 and 2 are b's */
    w->task_subgroups = calloc(4, sizeof(*w->task_subgroups));
    assert_non_null(w->task_subgroups);
    w->task_subgroups[0] = w->task_subgroups[2] = 1;
    w->tasks[1].state = AL__T_PENDING; /* a holds task 3 of its two */
    al__workload_track_stale(&st, w, 102);
    assert_int_equal(w->stale_since_s, 102);
    w->tasks[1].state = AL__T_RUNNING;
    w->tasks[3].state = AL__T_PENDING; /* a holds task 1 only, b both of its */
    al__workload_track_stale(&st, w, 103);
    assert_int_equal(w->stale_since_s, 102);
    al__workload_free(w);
    /* a subgroup with no task yet (a mirrored pod group's pods still coming) is below */
    w = with_subgroups();
    w->spec.subgroups[0].workers = 0;
    w->spec.subgroups[1].workers = 4;
    assert_int_equal(al__task_subgroup(w, 0), 1);
    for (int i = 0; i < 4; i++)
        run(&w->tasks[i], 100);
    al__workload_track_stale(&st, w, 104);
    assert_int_equal(w->stale_since_s, 104);
    al__workload_free(w);
    al__state_release(&st);
}

static void task_states_have_api_names(void **state) {
    enum al__tstate s;
    (void)state;
    assert_string_equal(al__tstate_name(AL__T_PIPELINED), "pipelined");
    assert_int_equal(al__tstate_parse("pipelined", &s), 0);
    assert_int_equal(s, AL__T_PIPELINED);
    assert_int_equal(al__tstate_parse("stopping", &s), 0);
    assert_int_equal(s, AL__T_STOPPING);
    assert_int_not_equal(al__tstate_parse("evicted", &s), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_requeued_task_is_pending_and_not_a_failure),
        cmocka_unit_test(failures_that_break_a_gang_fail_it),
        cmocka_unit_test(stale_gangs_are_timed_from_when_they_fell_below),
        cmocka_unit_test(a_subgroup_below_its_minimum_counts_as_the_gang),
        cmocka_unit_test(task_states_have_api_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
