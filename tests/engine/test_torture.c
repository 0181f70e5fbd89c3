/* test_torture.c - every allocation of parsing and scheduling each conformance case fails in
 * turn (curl's torture idea): the parser and the engine return -AL_ENOMEM or succeed, never
 * crash or leak, and a cycle that succeeds makes the same decisions as without failures.
 * Built with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (see the Makefile). */
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
#include "support/snapfiles.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *p, size_t size);

static long countdown = -1; /* allocations left before one fails; -1: none fails */
static long calls;          /* allocations made while counting */

static bool fail_now(void) {
    calls++;
    return countdown >= 0 && countdown-- == 0;
}

void *__wrap_malloc(size_t size) {
    return fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size) {
    return fail_now() ? NULL : __real_calloc(count, size);
}

void *__wrap_realloc(void *p, size_t size) {
    return fail_now() ? NULL : __real_realloc(p, size);
}

/* A decision, comparable. */
struct taken {
    int kind, task, node, reason;
};

/* Parses and runs one cycle; fills the decisions (at most `cap`) on success. */
static int run(const char *text, size_t len, struct taken *out, size_t cap, size_t *count) {
    struct al_cluster c;
    struct al_snapshot_error err;
    struct al_result r;
    int rc = al_snapshot_parse(text, len, &c, &err);
    if (rc < 0) {
        if (rc != -AL_ENOMEM)
            print_error("parse: %s: %s\n", err.path, err.message);
        return rc == -AL_ENOMEM ? 1 : rc; /* 1: stopped by a failed allocation */
    }
    rc = al_cycle_run(&c, &r);
    if (rc == 0) {
        *count = r.decision_count;
        for (size_t i = 0; i < r.decision_count && i < cap; i++)
            out[i] = (struct taken){r.decisions[i].kind, r.decisions[i].task, r.decisions[i].node,
                                    r.decisions[i].reason};
        al_result_release(&r);
    }
    al_cluster_release(&c);
    return rc == -AL_ENOMEM ? 1 : rc;
}

/* A path that contains one of `only` (NULL-terminated; NULL: every path). */
static bool chosen(const char *path, const char *const *only) {
    for (size_t i = 0; only && only[i]; i++)
        if (strstr(path, only[i]))
            return true;
    return !only;
}

/* Fails each allocation of every cycle of the files of paths[0..files) chosen by `only` in
 * turn; returns the runs. */
static long torture_files(char **paths, size_t files, const char *const *only) {
    long runs = 0;
    for (size_t f = 0; f < files; f++) {
        if (!chosen(paths[f], only))
            continue;
        size_t len, want_count = 0;
        char *text = tb_read_file(paths[f], &len);
        struct taken want[256], got[256];
        assert_non_null(text);
        countdown = -1;
        calls = 0;
        assert_int_equal(run(text, len, want, 256, &want_count), 0);
        long total = calls;
        for (long k = 0; k < total; k++) {
            size_t got_count = 0;
            countdown = k;
            int rc = run(text, len, got, 256, &got_count);
            countdown = -1;
            runs++;
            if (rc != 0 && rc != 1) {
                print_error("%s: allocation %ld failing gave %d\n", paths[f], k, rc);
                fail();
            }
            if (rc == 0 &&
                (got_count != want_count ||
                 memcmp(got, want, (want_count < 256 ? want_count : 256) * sizeof(*got)) != 0)) {
                print_error("%s: allocation %ld failing changed the decisions\n", paths[f], k);
                fail();
            }
        }
        free(text);
    }
    return runs;
}

static void every_allocation_fails_in_turn(void **state) {
    (void)state;
    size_t files;
    char **paths = tb_case_files(&files);
    assert_true(files > 0);
    long runs = torture_files(paths, files, NULL);
    tb_case_files_free(paths, files);
    print_message("%ld runs with one failed allocation over %zu files\n", runs, files);
}

/* The project's scenarios whose names hold one of `only`. */
static void scenarios_fail_in_turn(const char *const *only) {
    size_t files;
    char **paths = tb_scenario_files(&files);
    long runs = torture_files(paths, files, only);
    tb_case_files_free(paths, files);
    assert_true(runs > 0);
    print_message("%ld runs with one failed allocation over the %s scenarios\n", runs, only[0]);
}

/* Topology-constrained placement: its tries of domain after domain roll back exactly. */
static void every_allocation_fails_in_turn_with_topologies(void **state) {
    static const char *const only[] = {"topology", NULL};
    (void)state;
    scenarios_fail_in_turn(only);
}

/* The reservation scenarios: the reservation plan's own allocations fail too. */
static void reservation_allocations_fail_in_turn(void **state) {
    static const char *const only[] = {"-reservation-", NULL};
    (void)state;
    scenarios_fail_in_turn(only);
}

/* The node-pool scenarios (the split into pools and the merge of their results too) and the MIG
 * ones. */
static void every_allocation_fails_in_turn_with_pools_and_mig(void **state) {
    static const char *const only[] = {"-pool-", "-mig-", NULL};
    (void)state;
    scenarios_fail_in_turn(only);
}

/* Semi-preemptible jobs, preemption policy Never, in-quota reclaim by queue priority and
 * time-based fair share: their admission and victim rules roll back exactly too. */
static void every_allocation_fails_in_turn_with_preemption_knobs(void **state) {
    static const char *const only[] = {"semi-preemptible", "preemption-policy",
                                       "queue-priority-in-quota", "time-based", NULL};
    (void)state;
    scenarios_fail_in_turn(only);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allocation_fails_in_turn),
        cmocka_unit_test(every_allocation_fails_in_turn_with_topologies),
        cmocka_unit_test(reservation_allocations_fail_in_turn),
        cmocka_unit_test(every_allocation_fails_in_turn_with_pools_and_mig),
        cmocka_unit_test(every_allocation_fails_in_turn_with_preemption_knobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
