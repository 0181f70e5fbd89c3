/* test_openb.c - the openb replay: list parsers (every rejected row named by file, line, field
 * and reason), inflation to the target share, known outcomes on tiny traces, determinism. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "sim/openb.h"
#include "sim/openb_engine.h"
#include "support/tempdir.h"
#include "util/rng.h"

#define POD_HEADER  "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\n"
#define NODE_HEADER "sn,cpu_milli,memory_mib,gpu,model\n"

static char dir[256];

static int setup(void **state) {
    (void)state;
    return tb_tempdir_make(dir, sizeof(dir), "allot-openb");
}

static int teardown(void **state) {
    (void)state;
    return tb_tempdir_remove(dir);
}

/* Writes text to dir/name; its path into path. */
static void write_file(const char *name, const char *text, char *path, size_t size) {
    FILE *f;

    snprintf(path, size, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

typedef int (*list_reader)(struct al__openb_trace *t, const char *path, char *err, size_t err_size);

/* Writes text to dir/name and reads it with `read`. */
static int read_list(list_reader read, const char *name, const char *text, char *err, size_t size) {
    struct al__openb_trace t;
    char path[512];
    int rc;

    memset(&t, 0, sizeof(t));
    write_file(name, text, path, sizeof(path));
    rc = read(&t, path, err, size);
    al__openb_trace_release(&t);
    return rc;
}

static int read_pods(const char *text, char *err, size_t size) {
    return read_list(al__openb_pods_read, "pods.csv", text, err, size);
}

static int read_nodes(const char *text, char *err, size_t size) {
    return read_list(al__openb_nodes_read, "nodes.csv", text, err, size);
}

/* The list is rejected with a message that holds `where` ("pods.csv:LINE: FIELD: reason"). */
static void expect_error(int (*read)(const char *, char *, size_t), const char *text,
                         const char *where) {
    char err[512] = "";

    assert_int_equal(read(text, err, sizeof(err)), -AL_EINVAL);
    if (!strstr(err, where))
        fail_msg("expected \"%s\" in \"%s\"", where, err);
}

static void expect_pod_error(const char *text, const char *where) {
    expect_error(read_pods, text, where);
}

static void expect_node_error(const char *text, const char *where) {
    expect_error(read_nodes, text, where);
}

static void lists_are_read_by_column_name(void **state) {
    struct al__openb_trace t;
    char err[512] = "";
    (void)state;
    memset(&t, 0, sizeof(t));
    assert_int_equal(al__openb_nodes_read(&t, "tests/data/openb/nodes.csv", err, sizeof(err)), 0);
    assert_int_equal(al__openb_pods_read(&t, "tests/data/openb/pods.csv", err, sizeof(err)), 0);
    assert_int_equal(t.node_count, 2);
    assert_string_equal(t.nodes[1].model, "T4");
    assert_int_equal(t.nodes[0].gpus, 4);
    assert_int_equal(t.pod_count, 6);
    assert_int_equal(t.pods[1].gpu_count, 2);
    assert_int_equal(t.pods[1].gpu_milli, 1000);
    assert_string_equal(t.pods[4].spec, "V100M16|T4"); /* empty parts dropped */
    assert_int_equal(t.pods[4].line, 6);
    al__openb_trace_release(&t);
    /* Columns in another order, extra columns, CRLF line ends, blank lines, no gpu_spec. */
    assert_int_equal(read_pods("gpu_milli,x,name,num_gpu,memory_mib,cpu_milli\r\n"
                               "500,y,p0,1,100,2000\r\n\r\n1000,z,p1,2,100,2000\r\n",
                               err, sizeof(err)),
                     0);
}

static void pod_rows_are_rejected_with_file_line_field_and_reason(void **state) {
    (void)state;
    expect_pod_error("", "pods.csv:1: empty file");
    expect_pod_error("name,cpu_milli,memory_mib,num_gpu\n", "pods.csv:1: header: missing "
                                                            "column 'gpu_milli'");
    expect_pod_error(POD_HEADER, "pods.csv:1: no pods");
    expect_pod_error(POD_HEADER "p0,2000,100,1,500\n",
                     "pods.csv:2: 5 fields where the header has 6");
    expect_pod_error(POD_HEADER "p0,2000,100,1,500,\np1,2k,100,1,500,\n",
                     "pods.csv:3: cpu_milli: '2k' is not an integer");
    expect_pod_error(POD_HEADER "p0,,100,1,500,\n", "pods.csv:2: cpu_milli: '' is not an integer");
    expect_pod_error(POD_HEADER "p0,2000,-5,1,500,\n", "pods.csv:2: memory_mib: -5 is negative");
    expect_pod_error(POD_HEADER "p0,2000,100,1,1500,\n",
                     "pods.csv:2: gpu_milli: 1500 is above 1000");
    expect_pod_error(POD_HEADER "p0,2000,100,17,1000,\n", "pods.csv:2: num_gpu: 17 is above 16");
    expect_pod_error(POD_HEADER "p0,2000,100,2,500,\n",
                     "pods.csv:2: gpu_milli: 500 with num_gpu 2 (a multi-GPU pod takes whole");
    expect_pod_error(POD_HEADER "p0,2000,100,0,500,\n",
                     "pods.csv:2: gpu_milli: 500 with num_gpu 0");
    expect_pod_error(POD_HEADER "p0,2000,100,1,0,\n", "pods.csv:2: gpu_milli: 0 with num_gpu 1");
    expect_pod_error(POD_HEADER ",2000,100,1,500,\n", "pods.csv:2: name: empty pod name");
}

static void node_rows_are_rejected_with_file_line_field_and_reason(void **state) {
    char err[512];
    (void)state;
    expect_node_error("", "nodes.csv:1: empty file");
    expect_node_error("sn,cpu_milli,gpu,model\n", "nodes.csv:1: header: missing column "
                                                  "'memory_mib'");
    expect_node_error(NODE_HEADER "n0,96000,393216,8\n", "nodes.csv:2: 4 fields where the header");
    expect_node_error(NODE_HEADER "n0,96000,393216,x,G2\n", "nodes.csv:2: gpu: 'x' is not an "
                                                            "integer");
    expect_node_error(NODE_HEADER "n0,96000,393216,32,G2\n", "nodes.csv:2: gpu: 32 is above 16");
    expect_node_error(NODE_HEADER "n0,96000,393216,8,\n", "nodes.csv:2: model: empty, but the "
                                                          "node has 8 GPUs");
    expect_node_error(NODE_HEADER "n0,-1,393216,8,G2\n", "nodes.csv:2: cpu_milli: -1 is negative");
    /* A CPU-only node needs no model; a missing file is an I/O error naming it. */
    assert_int_equal(read_nodes(NODE_HEADER "n0,96000,393216,0,\n", err, sizeof(err)), 0);
    assert_int_equal(
        al__openb_nodes_read(&(struct al__openb_trace){0}, "/nonexistent/n.csv", err, sizeof(err)),
        -AL_EIO);
    assert_non_null(strstr(err, "/nonexistent/n.csv"));
}

/* A trace of nodes and pods from text; the caller releases it. */
static void trace_from(struct al__openb_trace *t, const char *nodes, const char *pods) {
    char path[512], err[512] = "";

    memset(t, 0, sizeof(*t));
    write_file("n.csv", nodes, path, sizeof(path));
    if (al__openb_nodes_read(t, path, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    write_file("p.csv", pods, path, sizeof(path));
    if (al__openb_pods_read(t, path, err, sizeof(err)) < 0)
        fail_msg("%s", err);
}

static void run(const struct al__openb_trace *t, enum al__fit_policy p, uint64_t seed,
                int64_t inflate, struct al__openb_result *r) {
    struct al__openb_config c = {p, seed, inflate};
    char err[512] = "";

    if (al__openb_run(t, &c, r, err, sizeof(err)) < 0)
        fail_msg("%s", err);
}

/* 4 GPUs (4000 milli), pods of 400: 1.3 x 4000 = 5200 is 13 pods exactly; 0.1 leaves one. */
static void inflation_hits_the_target_share(void **state) {
    struct al__openb_trace t;
    struct al__openb_result r;
    (void)state;
    trace_from(&t, NODE_HEADER "n0,96000,393216,4,G2\n",
               POD_HEADER "p0,1000,10,1,400,\np1,1000,10,1,400,\np2,1000,10,0,0,\n");
    run(&t, AL__FIT_FGD, 42, 1300, &r);
    assert_int_equal(r.arrived_milli, 5200);
    assert_int_equal(r.capacity_milli, 4000);
    assert_true(r.inflated >= 11); /* 11 GPU pods and any CPU-only ones drawn on the way */
    assert_int_equal(r.placements + r.failed, r.pods);
    assert_int_equal(r.used_milli, 4 * 800); /* two 400s per device, 200 left on each */
    al__openb_result_release(&r);
    run(&t, AL__FIT_FGD, 42, 100, &r);
    assert_int_equal(r.arrived_milli, 400);
    al__openb_result_release(&r);
    run(&t, AL__FIT_FGD, 42, 0, &r); /* the list as it is */
    assert_int_equal(r.pods, 3);
    assert_int_equal(r.arrived_milli, 800);
    assert_int_equal(r.inflated, 0);
    al__openb_result_release(&r);
    al__openb_trace_release(&t);
}

/* One 2-GPU node and pods of 1000, 500, 500: every policy that packs fractions fills it. */
static void tiny_trace_fills_the_node(void **state) {
    struct al__openb_trace t;
    struct al__openb_result r;
    static const enum al__fit_policy packers[] = {AL__FIT_ALLOT, AL__FIT_FGD, AL__FIT_BESTFIT,
                                                  AL__FIT_PACKING, AL__FIT_DOTPROD};
    size_t i;
    uint64_t seed;
    (void)state;
    trace_from(&t, NODE_HEADER "n0,16000,65536,2,T4\n",
               POD_HEADER "p0,1000,10,1,1000,\np1,1000,10,1,500,T4\np2,1000,10,1,500,\n");
    for (i = 0; i < sizeof(packers) / sizeof(packers[0]); i++) {
        for (seed = 1; seed <= 5; seed++) {
            run(&t, packers[i], seed, 0, &r);
            if (r.failed != 0 || r.used_milli != 2000)
                fail_msg("%s seed %llu: %zu failed, %lld used", al__fit_policy_name(packers[i]),
                         (unsigned long long)seed, r.failed, (long long)r.used_milli);
            assert_true(fabs(r.final_allocation_pct - 100.0) < 1e-9);
            assert_true(fabs(r.final_fragmentation_pct) < 1e-9);
            al__openb_result_release(&r);
        }
    }
    al__openb_trace_release(&t);
}

/* A model constraint no node meets: the pod fails; the others place. */
static void pods_for_missing_models_fail(void **state) {
    struct al__openb_trace t;
    struct al__openb_result r;
    (void)state;
    trace_from(&t, NODE_HEADER "n0,16000,65536,2,T4\nn1,16000,65536,0,\n",
               POD_HEADER "p0,1000,10,1,1000,A100\np1,1000,10,1,500,T4|A100\np2,1000,10,0,0,\n");
    run(&t, AL__FIT_ALLOT, 42, 0, &r);
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.placements, 2);
    assert_int_equal(r.used_milli, 500);
    al__openb_result_release(&r);
    al__openb_trace_release(&t);
}

/*
 * allot and binpack are placed by allot's engine, in arrival order: a CPU-only pod first, then
 * four 1-GPU pods of 10 cores, on a CPU-poor and a CPU-rich node of 2 GPUs each. Binpack takes
 * the CPU where the least is free and strands a GPU beside 12 cores; allot does not.
 */
static void the_engine_places_allot_and_binpack_pods(void **state) {
    struct al__openb_trace t;
    const int32_t order[] = {0, 1, 2, 3, 4};
    int32_t node[5];
    uint32_t mask[5];
    char err[256];
    (void)state;
    trace_from(&t, NODE_HEADER "a-cpu-poor,22000,65536,2,T4\nb-cpu-rich,100000,65536,2,T4\n",
               POD_HEADER "c0,10000,10,0,0,\ng0,10000,10,1,1000,\ng1,10000,10,1,1000,\n"
                          "g2,10000,10,1,1000,T4\ng3,10000,10,1,1000,\n");
    assert_int_equal(al__openb_engine_place(&t, order, 5, AL_ALLOT, node, mask, err, sizeof(err)),
                     0);
    assert_int_equal(node[0], 1);
    assert_int_equal(mask[0], 0u);
    for (int i = 1; i < 5; i++) {
        assert_true(node[i] >= 0);
        assert_int_equal(__builtin_popcount(mask[i]), 1);
    }
    assert_int_equal(al__openb_engine_place(&t, order, 5, AL_BINPACK, node, mask, err, sizeof(err)),
                     0);
    assert_int_equal(node[0], 0);
    int failed = 0;
    for (int i = 1; i < 5; i++)
        failed += node[i] < 0;
    assert_int_equal(failed, 1);
    al__openb_trace_release(&t);
}

/* A random cluster and workload of a few hundred pods, for the determinism checks. */
static void random_trace(struct al__openb_trace *t) {
    static const char *models[] = {"G2", "T4", "P100"};
    static const int32_t millis[] = {160, 230, 470, 500, 810, 1000, 1000, 1000};
    struct al__rng rng;
    char *nodes = malloc(1 << 16), *pods = malloc(1 << 17);
    size_t nl = 0, pl = 0;
    int i;

    al__rng_init(&rng, 99);
    nl += (size_t)snprintf(nodes + nl, 1u << 16, NODE_HEADER);
    for (i = 0; i < 40; i++)
        nl += (size_t)snprintf(nodes + nl, (1u << 16) - nl, "n%d,%d,%d,%d,%s\n", i,
                               32000 + 16000 * (int)al__rng_below(&rng, 4), 262144,
                               1 << al__rng_below(&rng, 4), models[al__rng_below(&rng, 3)]);
    pl += (size_t)snprintf(pods + pl, 1u << 17, POD_HEADER);
    for (i = 0; i < 300; i++) {
        int kind = (int)al__rng_below(&rng, 10);
        int count = kind == 0 ? 0 : (kind == 1 ? 2 : 1);
        int milli = count == 0 ? 0 : (count > 1 ? 1000 : millis[al__rng_below(&rng, 8)]);
        pl += (size_t)snprintf(pods + pl, (1u << 17) - pl, "p%03d,%d,%d,%d,%d,%s\n", i,
                               1000 * (1 + (int)al__rng_below(&rng, 16)), 1024, count, milli,
                               kind == 9 ? "T4|P100" : "");
    }
    trace_from(t, nodes, pods);
    free(nodes);
    free(pods);
}

static bool same_result(const struct al__openb_result *a, const struct al__openb_result *b) {
    return a->pods == b->pods && a->placements == b->placements && a->failed == b->failed &&
           a->used_milli == b->used_milli && a->level_count == b->level_count &&
           memcmp(a->allocation_pct, b->allocation_pct, a->level_count * sizeof(double)) == 0 &&
           memcmp(a->fragmentation_pct, b->fragmentation_pct, a->level_count * sizeof(double)) ==
               0 &&
           a->final_fragmentation_pct == b->final_fragmentation_pct;
}

static void same_seed_same_run_other_seed_other_run(void **state) {
    struct al__openb_trace t;
    struct al__openb_result a, b;
    int p;
    (void)state;
    random_trace(&t);
    for (p = 0; p < AL__FIT_POLICY_COUNT; p++) {
        run(&t, (enum al__fit_policy)p, 42, 1300, &a);
        run(&t, (enum al__fit_policy)p, 42, 1300, &b);
        if (!same_result(&a, &b))
            fail_msg("%s: two runs of seed 42 differ", al__fit_policy_name(p));
        al__openb_result_release(&b);
        run(&t, (enum al__fit_policy)p, 43, 1300, &b);
        if (same_result(&a, &b))
            fail_msg("%s: seeds 42 and 43 gave the same run", al__fit_policy_name(p));
        assert_true(a.level_count >= 120);
        al__openb_result_release(&a);
        al__openb_result_release(&b);
    }
    al__openb_trace_release(&t);
}

/* The series: level 0 holds the empty cluster; allocation never exceeds arrivals. */
static void series_follow_arrivals(void **state) {
    struct al__openb_trace t;
    struct al__openb_result r;
    size_t k;
    (void)state;
    random_trace(&t);
    run(&t, AL__FIT_ALLOT, 7, 1300, &r);
    for (k = 0; k < r.level_count; k++)
        if (!isnan(r.allocation_pct[k]) && r.allocation_pct[k] > (double)k + 1.0)
            fail_msg("level %zu: %.2f %% allocated", k, r.allocation_pct[k]);
    assert_true(r.final_allocation_pct <= 100.0);
    assert_true(r.final_frag_of_idle_pct >= r.final_fragmentation_pct);
    assert_true(r.shape_count > 0);
    al__openb_result_release(&r);
    al__openb_trace_release(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_are_read_by_column_name),
        cmocka_unit_test(pod_rows_are_rejected_with_file_line_field_and_reason),
        cmocka_unit_test(node_rows_are_rejected_with_file_line_field_and_reason),
        cmocka_unit_test(inflation_hits_the_target_share),
        cmocka_unit_test(tiny_trace_fills_the_node),
        cmocka_unit_test(pods_for_missing_models_fail),
        cmocka_unit_test(the_engine_places_allot_and_binpack_pods),
        cmocka_unit_test(same_seed_same_run_other_seed_other_run),
        cmocka_unit_test(series_follow_arrivals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
