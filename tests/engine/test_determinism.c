/* test_determinism.c - every scenario (the conformance cases and tests/scenarios) twice, and with
 * its arrays shuffled: identical decisions. */
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

/* The cluster's queue indices by name. */
static size_t *queues_by_name(const struct al_cluster *c) {
    size_t *order = malloc((c->queue_count + 1) * sizeof(*order));
    assert_non_null(order);
    for (size_t i = 0; i < c->queue_count; i++) {
        size_t j = i;
        for (; j > 0 && strcmp(c->queues[order[j - 1]].name, c->queues[i].name) > 0; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    return order;
}

static void append(char **out, size_t *cap, size_t *len, const char *line, size_t n) {
    if (*len + n + 2 > *cap) {
        *cap = 2 * (*len + n + 2);
        *out = realloc(*out, *cap);
        assert_non_null(*out);
    }
    memcpy(*out + *len, line, n);
    *len += n;
    (*out)[(*len)++] = '\n';
    (*out)[*len] = '\0';
}

/* With node pools: each pool's fair share and allocation of every queue, by name. */
static void describe_pools(const struct al_cluster *c, const struct al_result *r,
                           const size_t *queue_order, char **out, size_t *cap, size_t *len) {
    for (size_t p = 0; p < r->pool_count; p++)
        for (size_t i = 0; i < c->queue_count; i++) {
            const struct al_queue_outcome *o = &r->pools[p].queues[queue_order[i]];
            char line[512];
            int n = snprintf(line, sizeof(line), "pool %s queue %s %lld %lld",
                             r->pools[p].name ? r->pools[p].name : "(default)",
                             c->queues[queue_order[i]].name, (long long)o->fair_share[0],
                             (long long)o->allocated[0]);
            append(out, cap, len, line, (size_t)n);
        }
}

/* The decisions, explanations, queues' fair shares (with and without usage) and reservations
 * (in the order made, which is allocation order) of one cycle as
 * text that names objects, not indices (explanations by job name: the engine lists them in the
 * cluster's job order; queues by name). */
static char *describe(const struct al_cluster *c) {
    struct al_result r;
    assert_int_equal(al_cycle_run(c, &r), 0);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    int32_t *by_name = al__explanations_by_name(c, &r);
    assert_non_null(by_name);
    size_t *queue_order = queues_by_name(c), lines = r.decision_count + r.explanation_count;
    for (size_t i = 0; i < lines + c->queue_count + r.reservation_count; i++) {
        char line[512];
        int n;
        if (i < r.decision_count) {
            const struct al_decision *d = &r.decisions[i];
            n = snprintf(line, sizeof(line), "%d %s %s", (int)d->kind, c->tasks[d->task].name,
                         c->nodes[d->node].name);
            for (size_t g = 0; g < d->gpu_count; g++)
                n += snprintf(line + n, sizeof(line) - (size_t)n, " %d", d->gpus[g]);
        } else if (i < lines) {
            const struct al_explanation *e = &r.explanations[by_name[i - r.decision_count]];
            n = snprintf(line, sizeof(line), "why %s %s %lld %lld %d/%d part %d topology %d/%d",
                         c->jobs[e->job].name, al_reason_name(e->reason), (long long)e->allocated,
                         (long long)e->requested, e->placeable, e->needed, (int)e->part,
                         e->topology_level, e->topology_subgroup);
        } else if (i >= lines + c->queue_count) { /* reservations: job, start, nodes by name */
            const struct al_reservation *v = &r.reservations[i - lines - c->queue_count];
            n = snprintf(line, sizeof(line), "reserve %s %lld", c->jobs[v->job].name,
                         (long long)v->start_s);
            for (size_t k = 0; k < v->node_count && n < 400; k++)
                n +=
                    snprintf(line + n, sizeof(line) - (size_t)n, " %s", c->nodes[v->nodes[k]].name);
        } else {
            size_t q = queue_order[i - lines];
            const struct al_queue_outcome *o = &r.queues[q];
            n = snprintf(line, sizeof(line), "queue %s %lld %lld %lld (%lld %lld %lld)",
                         c->queues[q].name, (long long)o->fair_share[0],
                         (long long)o->fair_share[1], (long long)o->fair_share[2],
                         (long long)o->fair_share_without_usage[0],
                         (long long)o->fair_share_without_usage[1],
                         (long long)o->fair_share_without_usage[2]);
        }
        append(&out, &cap, &len, line, (size_t)n);
    }
    describe_pools(c, &r, queue_order, &out, &cap, &len);
    free(by_name);
    free(queue_order);
    al_result_release(&r);
    return out;
}

/* Every scenario of `paths`, as written or under the allot placement policy (whose
 * fragmentation measure and memo must not depend on the order of nodes and tasks either). */
static void cases_twice_and_shuffled(char **paths, size_t count, bool allot_placement) {
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

/* The conformance cases and the project's scenarios (time-based fair share, semi-preemptible
 * and topology-constrained jobs among them). */
static void every_case_twice_and_shuffled(bool allot_placement) {
    size_t count;
    char **paths = tb_case_files(&count);
    assert_true(count > 100);
    cases_twice_and_shuffled(paths, count, allot_placement);
    paths = tb_scenario_files(&count);
    assert_true(count > 30);
    cases_twice_and_shuffled(paths, count, allot_placement);
}

static void same_decisions_twice_and_shuffled(void **state) {
    (void)state;
    every_case_twice_and_shuffled(false);
}

static void same_decisions_under_allot_placement(void **state) {
    (void)state;
    every_case_twice_and_shuffled(true);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_decisions_twice_and_shuffled),
        cmocka_unit_test(same_decisions_under_allot_placement),
    };
    return cmocka_run_group_tests_name("determinism", tests, NULL, NULL);
}
