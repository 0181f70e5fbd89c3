/* test_fit_policy.c - the FGD paper's fragmentation measure and the placement policies on
 * hand-made nodes with known outcomes: what each policy picks, which devices, how ties break. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "engine/fit_policy.h"
#include "util/rng.h"

#define ANY AL__FIT_ANY_MODEL

static struct al__fit_node node4(int32_t model, int64_t cpu, int32_t g0, int32_t g1, int32_t g2,
                                 int32_t g3) {
    struct al__fit_node n;

    memset(&n, 0, sizeof(n));
    n.cpu_free = cpu;
    n.mem_free = 1 << 20;
    n.model = model;
    n.gpu_count = 4;
    n.gpu_free[0] = g0;
    n.gpu_free[1] = g1;
    n.gpu_free[2] = g2;
    n.gpu_free[3] = g3;
    return n;
}

static struct al__fit_node node2(int64_t cpu, int32_t g0, int32_t g1) {
    struct al__fit_node n = node4(0, cpu, g0, g1, 0, 0);

    n.gpu_count = 2;
    return n;
}

/* CPU-only shapes count all idle GPU; a fitting shape only the devices too small for it. */
static void frag_follows_the_papers_definition(void **state) {
    struct al__frag_shape shapes[] = {
        {1000, 0, 0, ANY, 1},          /* CPU-only: the whole idle 2300 */
        {1000, 1, 500, ANY, 2},        /* fits: the 300 device is too small: 2 x 300 */
        {1000, 2, 1000, ANY, 1},       /* fits on the two whole devices: 300 */
        {64000, 1, 100, ANY, 1},       /* CPU does not fit: 2300 */
        {1000, 1, 100, UINT64_C(2), 1} /* model 1 only: the node is model 0: 2300 */
    };
    struct al__frag_shapes fs;
    struct al__fit_node n = node4(0, 10000, 1000, 1000, 300, 0);
    (void)state;
    assert_int_equal(al__frag_shapes_init(&fs, shapes, 5), 0);
    assert_int_equal(fs.total_weight, 6);
    assert_int_equal(al__frag_node(&fs, &n), 2300 + 600 + 300 + 2300 + 2300);
    assert_int_equal(al__frag_node_memo(&fs, &n), 2300 + 600 + 300 + 2300 + 2300);
    /* Too few devices for the 2-GPU shape: all of the idle counts for it. */
    n.gpu_free[1] = 900;
    assert_int_equal(al__frag_node(&fs, &n), 2200 + 2 * 300 + 2200 + 2200 + 2200);
    /* No idle GPU, no fragmentation. */
    n = node4(0, 10000, 0, 0, 0, 0);
    assert_int_equal(al__frag_node(&fs, &n), 0);
    al__frag_shapes_release(&fs);
}

static void frag_shapes_reject_bad_distributions(void **state) {
    struct al__frag_shape zero[] = {{1000, 1, 500, ANY, 0}};
    struct al__frag_shape milli[] = {{1000, 1, 1500, ANY, 1}};
    struct al__frag_shapes fs;
    (void)state;
    assert_int_equal(al__frag_shapes_init(&fs, zero, 1), -AL_EINVAL);
    assert_int_equal(al__frag_shapes_init(&fs, milli, 1), -AL_EINVAL);
    assert_int_equal(al__frag_shapes_init(&fs, zero, 0), -AL_EINVAL);
}

/* The memo gives the exact figure for any state, devices in any order. */
static void frag_memo_equals_exact(void **state) {
    struct al__frag_shape shapes[] = {{2000, 0, 0, ANY, 3},     {4000, 1, 1000, ANY, 5},
                                      {8000, 1, 470, ANY, 4},   {6000, 1, 230, UINT64_C(1), 2},
                                      {16000, 2, 1000, ANY, 1}, {3000, 1, 810, ANY, 2}};
    static const int32_t amounts[] = {0, 30, 190, 230, 470, 530, 770, 1000};
    struct al__frag_shapes fs;
    struct al__rng rng;
    int i, g;
    (void)state;
    assert_int_equal(al__frag_shapes_init(&fs, shapes, 6), 0);
    al__rng_init(&rng, 7);
    for (i = 0; i < 5000; i++) {
        struct al__fit_node n;
        memset(&n, 0, sizeof(n));
        n.model = (int32_t)al__rng_below(&rng, 3) - 1;
        n.cpu_free = (int64_t)al__rng_below(&rng, 20000);
        n.gpu_count = 1 + (int32_t)al__rng_below(&rng, 8);
        for (g = 0; g < n.gpu_count; g++)
            n.gpu_free[g] = amounts[al__rng_below(&rng, 8)];
        if (al__frag_node_memo(&fs, &n) != al__frag_node(&fs, &n))
            fail_msg("state %d: memo %lld, exact %lld", i, (long long)al__frag_node_memo(&fs, &n),
                     (long long)al__frag_node(&fs, &n));
    }
    al__frag_shapes_release(&fs);
}

static void feasibility_honours_models_cpu_memory_and_devices(void **state) {
    struct al__fit_node n = node4(3, 8000, 1000, 400, 0, 0);
    struct al__fit_request r = {1000, 100, 1, 500, ANY};
    (void)state;
    assert_true(al__fit_feasible(&n, &r));
    r.models = UINT64_C(1) << 3;
    assert_true(al__fit_feasible(&n, &r));
    r.models = UINT64_C(1) << 2;
    assert_false(al__fit_feasible(&n, &r)); /* another model */
    r.models = 0;
    assert_false(al__fit_feasible(&n, &r)); /* only models no node has */
    r.gpu_count = 0;
    r.gpu_milli = 0;
    assert_true(al__fit_feasible(&n, &r)); /* CPU-only: any node */
    r.cpu = 9000;
    assert_false(al__fit_feasible(&n, &r));
    r.cpu = 1000;
    r.mem = 1 << 21;
    assert_false(al__fit_feasible(&n, &r));
    r = (struct al__fit_request){1000, 100, 2, 1000, ANY};
    assert_false(al__fit_feasible(&n, &r)); /* one whole device only */
    n.model = -1;
    r = (struct al__fit_request){1000, 100, 1, 100, ANY};
    assert_true(al__fit_model_ok(ANY, -1));
    assert_false(al__fit_model_ok(UINT64_C(1), -1));
}

/* Scores `count` (<= 4) nodes under p and selects one (ranks: the nodes' order); its index. */
static size_t choose(enum al__fit_policy p, struct al__frag_shapes *fs,
                     const struct al__fit_node *nodes, size_t count,
                     const struct al__fit_request *r, uint64_t rand_gpu, uint64_t rand_pick,
                     uint32_t *mask) {
    struct al__fit_eval e[4];
    int64_t scores[4];
    uint32_t ranks[4] = {0, 1, 2, 3};
    size_t i, pick;

    for (i = 0; i < count; i++) {
        al__fit_score(p, fs, &nodes[i], -1, r, rand_gpu, &e[i]);
        scores[i] = e[i].score;
    }
    pick = al__fit_select(p, scores, ranks, count, rand_pick);
    *mask = e[pick].gpu_mask;
    return pick;
}

/*
 * Node A has 3 whole devices and one half-used; node B is a free 2-GPU node. A fractional
 * request of 500: best fit takes B (less left over), FGD takes A's half device (B would lose
 * the 2-GPU shape's home).
 */
struct pick {
    size_t node;
    uint32_t mask;
};

static struct pick pick_with(enum al__fit_policy p, uint64_t rand_gpu, uint64_t rand_pick) {
    struct al__frag_shape shapes[] = {{1000, 2, 1000, ANY, 1}};
    struct al__frag_shapes fs;
    struct al__fit_node nodes[2];
    struct al__fit_request r = {1000, 100, 1, 500, ANY};
    struct pick out;

    nodes[0] = node4(0, 32000, 1000, 1000, 1000, 500);
    nodes[1] = node2(32000, 1000, 1000);
    assert_int_equal(al__frag_shapes_init(&fs, shapes, 1), 0);
    out.node = choose(p, &fs, nodes, 2, &r, rand_gpu, rand_pick, &out.mask);
    al__frag_shapes_release(&fs);
    return out;
}

static void bestfit_and_fgd_choose_differently(void **state) {
    struct pick p;
    (void)state;
    p = pick_with(AL__FIT_BESTFIT, 0, 0);
    assert_int_equal(p.node, 1);
    assert_int_equal(p.mask, 1u); /* the tightest device that fits: the first whole one */
    p = pick_with(AL__FIT_FGD, 0, 0);
    assert_int_equal(p.node, 0);
    assert_int_equal(p.mask, 1u << 3); /* the half-used device */
    p = pick_with(AL__FIT_PACKING, 0, 0);
    assert_int_equal(p.node, 0); /* a shared device beats a free node */
    assert_int_equal(p.mask, 1u << 3);
    p = pick_with(AL__FIT_DOTPROD, 0, 0);
    assert_int_equal(p.node, 1); /* the smaller dot product of free and requested */
    p = pick_with(AL__FIT_RANDOM, 2, 1);
    assert_int_equal(p.node, 1);  /* candidate 1 % 2 */
    assert_int_equal(p.mask, 1u); /* device 2 % 2 of the two that fit */
    p = pick_with(AL__FIT_RANDOM, 3, 2);
    assert_int_equal(p.node, 0);
    assert_int_equal(p.mask, 1u << 3); /* device 3 % 4 */
}

/* FGD's score is floor(100 x sigmoid(decrease / 1000)): 50 for no change, 62 for 500 less. */
static void fgd_scores_are_the_sigmoid_steps(void **state) {
    struct al__frag_shape shapes[] = {{1000, 2, 1000, ANY, 1}};
    struct al__frag_shapes fs;
    struct al__fit_node a = node4(0, 32000, 1000, 1000, 1000, 500);
    struct al__fit_node b = node2(32000, 1000, 1000);
    struct al__fit_request r = {1000, 100, 1, 500, ANY}, whole = {1000, 100, 1, 1000, ANY};
    struct al__fit_eval e;
    (void)state;
    assert_int_equal(al__frag_shapes_init(&fs, shapes, 1), 0);
    al__fit_score(AL__FIT_FGD, &fs, &a, -1, &r, 0, &e);
    assert_int_equal(e.score, 62); /* sigmoid(0.5) = 0.622 */
    al__fit_score(AL__FIT_FGD, &fs, &b, -1, &r, 0, &e);
    assert_int_equal(e.score, 18); /* sigmoid(-1.5) = 0.182: 1500 become fragment */
    al__fit_score(AL__FIT_FGD, &fs, &a, -1, &whole, 0, &e);
    assert_int_equal(e.score, 50);    /* 500 stays fragment either way */
    assert_int_equal(e.gpu_mask, 1u); /* whole devices: the first free ones */
    al__frag_shapes_release(&fs);
}

static void select_breaks_ties_by_rank_and_normalises_bestfit(void **state) {
    int64_t scores[4] = {5, 9, 9, 1};
    uint32_t ranks[4] = {3, 2, 1, 0};
    int64_t bf[3] = {10, 20, 30};
    (void)state;
    assert_int_equal(al__fit_select(AL__FIT_FGD, scores, ranks, 4, 0), 2);
    assert_int_equal(al__fit_select(AL__FIT_FGD, scores, NULL, 4, 0), 1);
    assert_int_equal(al__fit_select(AL__FIT_BESTFIT, bf, NULL, 3, 0), 2);
    assert_int_equal(bf[0], 0);
    assert_int_equal(bf[1], 50);
    assert_int_equal(bf[2], 100);
}

static void policy_names_round_trip(void **state) {
    enum al__fit_policy p;
    int i;
    (void)state;
    for (i = 0; i < AL__FIT_POLICY_COUNT; i++) {
        assert_int_equal(al__fit_policy_parse(al__fit_policy_name((enum al__fit_policy)i), &p), 0);
        assert_int_equal(p, i);
    }
    assert_int_equal(al__fit_policy_parse("best-fit", &p), -AL_EINVAL);
    assert_null(al__fit_policy_name(AL__FIT_POLICY_COUNT));
    assert_true(al__fit_in_engine(AL__FIT_ALLOT) && al__fit_in_engine(AL__FIT_BINPACK));
    assert_false(al__fit_in_engine(AL__FIT_FGD));
    assert_int_equal(al__fit_engine_placement(AL__FIT_ALLOT), AL_ALLOT);
    assert_int_equal(al__fit_engine_placement(AL__FIT_BINPACK), AL_BINPACK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frag_follows_the_papers_definition),
        cmocka_unit_test(frag_shapes_reject_bad_distributions),
        cmocka_unit_test(frag_memo_equals_exact),
        cmocka_unit_test(feasibility_honours_models_cpu_memory_and_devices),
        cmocka_unit_test(bestfit_and_fgd_choose_differently),
        cmocka_unit_test(fgd_scores_are_the_sigmoid_steps),
        cmocka_unit_test(select_breaks_ties_by_rank_and_normalises_bestfit),
        cmocka_unit_test(policy_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
