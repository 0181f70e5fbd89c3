/* test_consumption_sum.c - consumption reports' arithmetic: runs cut exactly at a window's
 * edges, open runs counted up to now, groups by project, department and workload in key order,
 * idle time in proportion, prices by model with a default, and --gpu-price refused when bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/consumption_sum.h"

static void expect_overlap(int64_t start, int64_t end, int64_t now, int64_t from, int64_t to,
                           int64_t want) {
    int64_t got = al__usage_overlap_s(start, end, now, from, to);
    if (got != want)
        fail_msg("run [%lld, %lld) now %lld in [%lld, %lld): %lld, expected %lld", (long long)start,
                 (long long)end, (long long)now, (long long)from, (long long)to, (long long)got,
                 (long long)want);
}

static void runs_are_cut_at_the_windows_edges(void **state) {
    (void)state;
    expect_overlap(100, 200, 1000, 0, 1000, 100);  /* inside */
    expect_overlap(100, 200, 1000, 150, 1000, 50); /* cut at the start */
    expect_overlap(100, 200, 1000, 0, 150, 50);    /* cut at the end */
    expect_overlap(100, 200, 1000, 120, 130, 10);  /* window inside the run */
    expect_overlap(100, 200, 1000, 200, 300, 0);   /* touching after: nothing */
    expect_overlap(100, 200, 1000, 0, 100, 0);     /* touching before: nothing */
    expect_overlap(100, 200, 1000, 300, 400, 0);   /* apart */
    expect_overlap(100, 100, 1000, 0, 1000, 0);    /* no length */
    expect_overlap(100, 200, 1000, 150, 150, 0);   /* empty window */
    expect_overlap(100, 200, 1000, 180, 120, 0);   /* backwards window */
}

static void a_run_still_going_counts_up_to_now(void **state) {
    (void)state;
    expect_overlap(100, -1, 160, 0, 1000, 60);
    expect_overlap(100, -1, 160, 130, 1000, 30);
    expect_overlap(100, -1, 160, 0, 120, 20);
    expect_overlap(100, -1, 90, 0, 1000, 0); /* a clock behind the start: nothing */
    expect_overlap(100, -1, 160, 170, 1000, 0);
}

static struct al__usage_run run(const char *project, const char *department, const char *workload,
                                int64_t start, int64_t end, int64_t gpu_milli) {
    return (struct al__usage_run){.project = project,
                                  .department = department,
                                  .workload = workload,
                                  .gpu_model = "A100",
                                  .start_s = start,
                                  .end_s = end,
                                  .gpu_milli = gpu_milli,
                                  .cpu_millis = 500,
                                  .memory_bytes = 1 << 20,
                                  .idle_gpu_milli_s = -1};
}

static void groups_sum_their_runs_in_key_order(void **state) {
    struct al__usage_sum s;
    (void)state;
    al__usage_sum_init(&s, AL__BY_PROJECT, 100, 200, 1000, NULL, 0);
    struct al__usage_run a = run("p2", "d1", "w", 50, 150, 2000); /* 50 s in */
    struct al__usage_run b = run("p1", "d1", "x", 120, 130, 500); /* 10 s */
    struct al__usage_run c = run("p2", "d1", "y", 190, -1, 1000); /* 10 s, open */
    struct al__usage_run outside = run("p3", "d2", "z", 300, 400, 1000);
    al__usage_sum_add(&s, &a);
    al__usage_sum_add(&s, &b);
    al__usage_sum_add(&s, &c);
    al__usage_sum_add(&s, &outside);
    assert_int_equal(s.count, 2);
    assert_string_equal(s.groups[0].project, "p1");
    assert_string_equal(s.groups[1].project, "p2");
    assert_int_equal(s.groups[0].gpu_milli_s, 500 * 10);
    assert_int_equal(s.groups[1].gpu_milli_s, 2000 * 50 + 1000 * 10);
    assert_int_equal(s.groups[1].runs, 2);
    assert_int_equal(s.groups[1].cpu_milli_s, 500 * 60);
    assert_true(s.groups[1].memory_byte_s == (double)(1 << 20) * 60);
    assert_true(s.groups[1].idle_gpu_milli_s < 0); /* not known */
    assert_true(s.groups[1].cost < 0);             /* no price */
    al__usage_sum_release(&s);

    al__usage_sum_init(&s, AL__BY_DEPARTMENT, 100, 200, 1000, NULL, 0);
    al__usage_sum_add(&s, &a);
    al__usage_sum_add(&s, &b);
    assert_int_equal(s.count, 1);
    assert_null(s.groups[0].project);
    assert_string_equal(s.groups[0].department, "d1");
    assert_int_equal(s.groups[0].gpu_milli_s, 2000 * 50 + 500 * 10);
    al__usage_sum_release(&s);

    al__usage_sum_init(&s, AL__BY_WORKLOAD, 100, 200, 1000, NULL, 0);
    struct al__usage_run same_name = run("p1", "d1", "w", 100, 110, 1000);
    al__usage_sum_add(&s, &a);
    al__usage_sum_add(&s, &same_name); /* w in p1 is not w in p2 */
    assert_int_equal(s.count, 2);
    assert_string_equal(s.groups[0].project, "p1");
    assert_string_equal(s.groups[0].workload, "w");
    assert_string_equal(s.groups[1].project, "p2");
    al__usage_sum_release(&s);
}

static void idle_time_and_cost_follow_the_part_inside(void **state) {
    struct al__gpu_price prices[2] = {{"A100", 4.0}, {"default", 1.0}};
    struct al__usage_sum s;
    (void)state;
    al__usage_sum_init(&s, AL__BY_PROJECT, 0, 1800, 10000, prices, 2);
    struct al__usage_run a = run("p", "d", "w", 0, 3600, 2000); /* half of it inside */
    a.idle_gpu_milli_s = 1000 * 600;                            /* 10 GPU-minutes idle */
    struct al__usage_run b = run("p", "d", "v", 0, 1800, 1000);
    b.gpu_model = "T4"; /* the default price */
    b.idle_gpu_milli_s = 0;
    al__usage_sum_add(&s, &a);
    al__usage_sum_add(&s, &b);
    assert_int_equal(s.count, 1);
    assert_true(s.groups[0].idle_gpu_milli_s == 1000.0 * 300);
    /* 2 GPUs x 0.5 h x 4 + 1 GPU x 0.5 h x 1 */
    double want = 2 * 0.5 * 4 + 0.5 * 1;
    if (s.groups[0].cost < want - 1e-9 || s.groups[0].cost > want + 1e-9)
        fail_msg("cost %f, expected %f", s.groups[0].cost, want);
    al__usage_sum_release(&s);

    /* a run without GPUs has no idle GPU time, whatever it knows */
    al__usage_sum_init(&s, AL__BY_PROJECT, 0, 1800, 10000, prices, 2);
    struct al__usage_run cpu_only = run("p", "d", "c", 0, 1800, 0);
    al__usage_sum_add(&s, &b);
    al__usage_sum_add(&s, &cpu_only);
    assert_true(s.groups[0].idle_gpu_milli_s == 0);
    al__usage_sum_release(&s);

    /* no default: a model without a price leaves the cost unknown */
    al__usage_sum_init(&s, AL__BY_PROJECT, 0, 1800, 10000, prices, 1);
    al__usage_sum_add(&s, &b);
    assert_true(s.groups[0].cost < 0);
    al__usage_sum_release(&s);
}

static void gpu_prices_are_parsed_or_refused(void **state) {
    struct al__gpu_price p;
    char err[256];
    (void)state;
    assert_int_equal(al__gpu_price_parse("NVIDIA H100 80GB HBM3=2.5", &p, err, sizeof(err)), 0);
    assert_string_equal(p.model, "NVIDIA H100 80GB HBM3");
    assert_true(p.per_gpu_hour == 2.5);
    assert_int_equal(al__gpu_price_parse("default=0", &p, err, sizeof(err)), 0);
    static const char *const bad[] = {"A100",    "=2",       "A100=",   "A100=-1",
                                      "A100=2x", "A100=nan", "A100=inf"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (al__gpu_price_parse(bad[i], &p, err, sizeof(err)) != -1)
            fail_msg("\"%s\" was taken", bad[i]);
        assert_non_null(strstr(err, "--gpu-price"));
    }
    assert_int_equal(al__usage_group_by_parse("workload"), AL__BY_WORKLOAD);
    assert_int_equal(al__usage_group_by_parse("team"), -1);
    assert_int_equal(al__usage_group_by_parse(NULL), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_are_cut_at_the_windows_edges),
        cmocka_unit_test(a_run_still_going_counts_up_to_now),
        cmocka_unit_test(groups_sum_their_runs_in_key_order),
        cmocka_unit_test(idle_time_and_cost_follow_the_part_inside),
        cmocka_unit_test(gpu_prices_are_parsed_or_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
