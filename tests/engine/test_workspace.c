/* test_workspace.c - cycles run in a workspace decide as al_cycle_run does, however often it is
 * reused, and results may be released before or after their workspace (no leak: ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "support/builder.h"

static void build(struct al_cluster *c, int pending) {
    static const int32_t dev[1] = {0};
    char name[32], task[40];
    tb_init(c);
    tb_node(c, "n0", 4, 64000, 64000000000LL);
    tb_node(c, "n1", 4, 64000, 64000000000LL);
    tb_queue(c, "q", NULL, -1, -1, 1, 100);
    tb_job(c, "r", "q", 50, 1);
    tb_task(c, "r-0", AL_TASK_RUNNING, "n0", 1, 0, dev);
    for (int i = 0; i < pending; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        snprintf(task, sizeof(task), "p%d-0", i);
        tb_job(c, name, "q", 50 + i % 3 * 25, 1);
        tb_task(c, task, AL_TASK_PENDING, NULL, i % 2 ? 1 : 0, i % 2 ? 0 : 500, NULL);
    }
}

static void same(const struct al_result *a, const struct al_result *b) {
    assert_int_equal(a->decision_count, b->decision_count);
    for (size_t i = 0; i < a->decision_count; i++) {
        assert_int_equal(a->decisions[i].task, b->decisions[i].task);
        assert_int_equal(a->decisions[i].node, b->decisions[i].node);
        assert_int_equal(a->decisions[i].gpu_count, b->decisions[i].gpu_count);
    }
    assert_int_equal(a->explanation_count, b->explanation_count);
}

static void a_reused_workspace_decides_the_same(void **state) {
    struct al_workspace ws;
    (void)state;
    al_workspace_init(&ws);
    for (int round = 0; round < 6; round++) {
        struct al_cluster c;
        struct al_result want, got;
        build(&c, 4 + 5 * round); /* sizes change between cycles */
        assert_int_equal(al_cycle_run(&c, &want), 0);
        assert_int_equal(al_cycle_run_in(&ws, &c, &got), 0);
        same(&want, &got);
        al_result_release(&want);
        al_result_release(&got);
        al_cluster_release(&c);
    }
    al_workspace_release(&ws);
}

static void results_may_outlive_their_workspace(void **state) {
    struct al_workspace ws;
    struct al_cluster c;
    struct al_result first, second;
    (void)state;
    build(&c, 6);
    al_workspace_init(&ws);
    assert_int_equal(al_cycle_run_in(&ws, &c, &first), 0);
    assert_int_equal(al_cycle_run_in(&ws, &c, &second), 0); /* two alive at once */
    same(&first, &second);
    al_result_release(&first);
    al_workspace_release(&ws);
    assert_true(second.decision_count > 0); /* still readable */
    al_result_release(&second);             /* frees what was left of the workspace */
    al_workspace_release(&ws);              /* a released workspace: nothing to do */
    al_cluster_release(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_reused_workspace_decides_the_same),
        cmocka_unit_test(results_may_outlive_their_workspace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
