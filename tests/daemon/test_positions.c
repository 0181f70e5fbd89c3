/* test_positions.c - queue positions of pending workloads: the index with workloads submitted
 * since its build (past the point where it is built again), task changes and removals, always
 * as a count from scratch in the engine's job order says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "daemon/positions.h"
#include "daemon/state.h"
#include "support/rng.h"

static uint64_t rng = 88172645463325252ULL;

static uint32_t next(uint32_t n) {
    return tb_rng_below(&rng, n);
}

static struct al__dworkload *workload(int id) {
    struct al__dworkload *w = calloc(1, sizeof(*w));
    char name[32], project[32];
    assert_non_null(w);
    w->id = id;
    w->project_id = 1 + (int64_t)next(3);
    snprintf(project, sizeof(project), "p%lld", (long long)w->project_id);
    snprintf(name, sizeof(name), "w%d", (int)next(100000));
    al__workload_name_set(w, project, name);
    al__workload_sets_init(w);
    w->spec.workers = 1;
    w->spec.min_members = 1;
    w->spec.priority = 50 + 25 * (int32_t)next(3);
    w->created_s = (int64_t)next(20);
    w->state = AL__W_PENDING;
    al__workload_alloc_tasks(w);
    return w;
}

/* w's position counted from scratch: pending workloads of its project before it in job order. */
static int64_t counted(const struct al__state *st, const struct al__dworkload *w) {
    if (w->state != AL__W_PENDING)
        return 0;
    struct al_job_order_key k = al__order_key(w);
    int64_t ahead = 0;
    for (size_t i = 0; i < st->workload_count; i++) {
        const struct al__dworkload *o = st->workloads[i];
        if (o == w || o->state != AL__W_PENDING || o->project_id != w->project_id)
            continue;
        struct al_job_order_key ko = al__order_key(o);
        ahead += al_job_order_cmp(&ko, &k) < 0;
    }
    return ahead + 1;
}

/* Every seventh workload (a count from scratch is a pass over the state). */
static void check_all(struct al__positions *p, const struct al__state *st) {
    for (size_t i = 0; i < st->workload_count; i += 7) {
        const struct al__dworkload *w = st->workloads[i];
        int64_t want = counted(st, w), got = al__position(p, st, st->task_changes, w);
        if (want != got)
            fail_msg("%s/%s: position %lld, counted %lld", w->project, w->name, (long long)got,
                     (long long)want);
    }
}

static void positions_agree_with_a_count_from_scratch(void **state) {
    struct al__state st = {0};
    struct al__positions *p = al__positions_new();
    int id = 0;
    (void)state;
    for (int round = 0; round < 6; round++) {
        /* a batch of submits, past the point where the index is built again */
        for (int k = 0; k < (round == 2 ? 4200 : 300); k++) {
            struct al__dworkload *w = workload(++id);
            al__state_add_workload(&st, w);
            al__positions_added(p, &st, w);
            if (k % 97 == 0)
                assert_int_equal(al__position(p, &st, st.task_changes, w), counted(&st, w));
        }
        check_all(p, &st);
        /* one runs (a task change), one is removed */
        struct al__dworkload *runs = st.workloads[next((uint32_t)st.workload_count)];
        runs->tasks[0].state = AL__T_RUNNING;
        al__workload_refresh_state(&st, runs);
        st.task_changes++;
        al__state_remove_workload(&st, st.workloads[next((uint32_t)st.workload_count)]);
        check_all(p, &st);
    }
    al__positions_free(p);
    al__state_release(&st);
}

/* A submit right after a pending workload was deleted, before any answer built the index
 * again: the index must not compare the new one with the freed one (found by
 * tests/fuzz/fuzz_route: a use after free under ASan). */
static void a_submit_after_a_removal_reads_no_freed_workload(void **state) {
    struct al__state st = {0};
    struct al__positions *p = al__positions_new();
    (void)state;
    struct al__dworkload *first = workload(1), *second = workload(2);
    al__state_add_workload(&st, first);
    al__state_add_workload(&st, second);
    assert_int_equal(al__position(p, &st, st.task_changes, second), counted(&st, second));
    struct al__dworkload *third = workload(3), *fourth = workload(4);
    /* alike but for their names: comparing them reads the names */
    third->project_id = fourth->project_id = 1;
    third->spec.priority = fourth->spec.priority = 50;
    third->created_s = fourth->created_s = 7;
    al__state_add_workload(&st, third);
    al__positions_added(p, &st, third);    /* among the added, by name */
    al__state_remove_workload(&st, third); /* freed */
    al__state_add_workload(&st, fourth);
    al__positions_added(p, &st, fourth);
    assert_int_equal(al__position(p, &st, st.task_changes, fourth), counted(&st, fourth));
    al__positions_free(p);
    al__state_release(&st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(positions_agree_with_a_count_from_scratch),
        cmocka_unit_test(a_submit_after_a_removal_reads_no_freed_workload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
