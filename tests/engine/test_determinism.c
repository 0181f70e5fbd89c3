/* test_determinism.c - every scenario twice, and with its arrays shuffled: identical decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/cycle.h"
#include "allot/snapshot.h"
#include "snapshot/report.h"
#include "support/shuffle.h"
#include "support/snapfiles.h"

/* The decisions and explanations of one cycle as text that names objects, not indices
 * (explanations by job name: the engine lists them in the cluster's job order). */
static char *describe(const struct al_cluster *c) {
    struct al_result r;
    assert_int_equal(al_cycle_run(c, &r), 0);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    int32_t *by_name = al__explanations_by_name(c, &r);
    assert_non_null(by_name);
    for (size_t i = 0; i < r.decision_count + r.explanation_count; i++) {
        char line[512];
        int n;
        if (i < r.decision_count) {
            const struct al_decision *d = &r.decisions[i];
            n = snprintf(line, sizeof(line), "%d %s %s", (int)d->kind, c->tasks[d->task].name,
                         c->nodes[d->node].name);
            for (size_t g = 0; g < d->gpu_count; g++)
                n += snprintf(line + n, sizeof(line) - (size_t)n, " %d", d->gpus[g]);
        } else {
            const struct al_explanation *e = &r.explanations[by_name[i - r.decision_count]];
            n = snprintf(line, sizeof(line), "why %s %s %lld %lld %d/%d topology %d/%d",
                         c->jobs[e->job].name, al_reason_name(e->reason), (long long)e->allocated,
                         (long long)e->requested, e->placeable, e->needed, e->topology_level,
                         e->topology_subgroup);
        }
        if (len + (size_t)n + 2 > cap) {
            cap = 2 * (len + (size_t)n + 2);
            out = realloc(out, cap);
            assert_non_null(out);
        }
        memcpy(out + len, line, (size_t)n);
        len += (size_t)n;
        out[len++] = '\n';
        out[len] = '\0';
    }
    free(by_name);
    al_result_release(&r);
    return out;
}

/* Every scenario, as written or under the allot placement policy (whose fragmentation measure
 * and memo must not depend on the order of nodes and tasks either). */
static void every_case_twice_and_shuffled(const char *pattern, bool allot_placement) {
    size_t count;
    char **paths = tb_glob_files(pattern, &count);
    assert_true(count > 0);
    for (size_t i = 0; i < count; i++) {
        size_t len;
        char *text = tb_read_file(paths[i], &len);
        assert_non_null(text);
        struct al_cluster c;
        struct al_snapshot_error err;
        if (al_snapshot_parse(text, len, &c, &err) != 0) {
            print_error("%s: %s: %s\n", paths[i], err.path, err.message);
            fail();
        }
        if (allot_placement)
            c.config.gpu_placement = c.config.cpu_placement = AL_ALLOT;
        char *first = describe(&c), *second = describe(&c);
        assert_string_equal(first, second);
        for (unsigned seed = 1; seed <= 3; seed++) {
            tb_shuffle(&c, seed);
            char *shuffled = describe(&c);
            if (strcmp(first, shuffled) != 0)
                print_error("%s (seed %u):\n--- in file order\n%s--- shuffled\n%s", paths[i], seed,
                            first, shuffled);
            assert_string_equal(first, shuffled);
            free(shuffled);
        }
        free(first);
        free(second);
        free(text);
        al_cluster_release(&c);
    }
    tb_case_files_free(paths, count);
}

static void same_decisions_twice_and_shuffled(void **state) {
    (void)state;
    every_case_twice_and_shuffled(TB_CASES_DIR "/*.json", false);
}

/* The project's scenarios, topology-constrained jobs among them. */
static void project_scenarios_twice_and_shuffled(void **state) {
    (void)state;
    every_case_twice_and_shuffled(TB_SCENARIOS_DIR "/*.json", false);
    every_case_twice_and_shuffled(TB_SCENARIOS_DIR "/*.json", true);
}

static void same_decisions_under_allot_placement(void **state) {
    (void)state;
    every_case_twice_and_shuffled(TB_CASES_DIR "/*.json", true);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_decisions_twice_and_shuffled),
        cmocka_unit_test(same_decisions_under_allot_placement),
        cmocka_unit_test(project_scenarios_twice_and_shuffled),
    };
    return cmocka_run_group_tests_name("determinism", tests, NULL, NULL);
}
