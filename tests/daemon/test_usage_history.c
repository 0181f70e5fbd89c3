/* test_usage_history.c - time-based fair share's usage arithmetic, hand-checked: a share of the
 * capacity, the window sliding by buckets, decay by half-life, a gap longer than the window,
 * memory in MiB, and stored buckets read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "daemon/usage_history.h"

static void expect_share(const struct al__usage_history *h, const char *name, int64_t now,
                         int64_t want_gpu_ppm) {
    int64_t got[AL_RESOURCE_COUNT];
    al__usage_history_share(h, name, "", now, got);
    if (got[AL_GPU] != want_gpu_ppm)
        fail_msg("queue %s at %lld: GPU usage %lld ppm, expected %lld", name, (long long)now,
                 (long long)got[AL_GPU], (long long)want_gpu_ppm);
}

static const int64_t cluster4[AL_RESOURCE_COUNT] = {4000, 8000, 0};
static const int64_t one_gpu[AL_RESOURCE_COUNT] = {1000, 0, 0};
static const int64_t four_gpus[AL_RESOURCE_COUNT] = {4000, 0, 0};

/* One of 4 GPUs for 100 s of a 4-GPU cluster: 0.25. No history at all: 0. */
static void share_of_the_capacity(void **state) {
    (void)state;
    struct al__usage_history h;
    al__usage_history_init(&h, 0, 320);
    expect_share(&h, "q1", 100, 0);
    al__usage_history_add(&h, AL__USAGE_CAPACITY, "", 0, 100, cluster4);
    al__usage_history_add(&h, "q1", "", 0, 100, one_gpu);
    expect_share(&h, "q1", 100, 250000);
    expect_share(&h, "q2", 100, 0);
    al__usage_history_release(&h);
}

/* Window 320 s (10 s buckets). All 4 GPUs for [0, 100), then nothing: at 200 the window holds
 * 400,000 of 800,000 GPU-milli-seconds (0.5); at 420 it starts at 100: nothing left (0). */
static void window_slides(void **state) {
    (void)state;
    struct al__usage_history h;
    al__usage_history_init(&h, 0, 320);
    assert_int_equal(h.width_s, 10);
    al__usage_history_add(&h, "q1", "", 0, 100, four_gpus);
    al__usage_history_add(&h, AL__USAGE_CAPACITY, "", 0, 200, cluster4);
    expect_share(&h, "q1", 200, 500000);
    al__usage_history_add(&h, AL__USAGE_CAPACITY, "", 200, 420, cluster4);
    expect_share(&h, "q1", 420, 0);
    al__usage_history_release(&h);
}

/* Half-life 100 s, 100 s buckets. One GPU of one held in [0, 100) only, the capacity for
 * [0, 200). At 200 the used bucket is 150 s old (weight 0.5^1.5), the capacity's two are 150
 * and 50 s old (0.5^1.5 + 0.5^0.5): 1 / (1 + 2) = 1/3. */
static void decay_by_half_life(void **state) {
    (void)state;
    struct al__usage_history h;
    al__usage_history_init(&h, 100, 3200);
    al__usage_history_add(&h, "q7", "", 0, 100, one_gpu);
    al__usage_history_add(&h, AL__USAGE_CAPACITY, "", 0, 200, one_gpu);
    expect_share(&h, "q7", 200, 333333);
    al__usage_history_release(&h);
}

/* A stretch longer than the window counts its last window only: 1 of 4 GPUs from 0 to 10,000
 * with a 320 s window is 0.25, and only the window's buckets were touched. */
static void gap_longer_than_the_window(void **state) {
    (void)state;
    struct al__usage_history h;
    al__usage_history_init(&h, 0, 320);
    al__usage_history_add(&h, AL__USAGE_CAPACITY, "", 0, 10000, cluster4);
    al__usage_history_add(&h, "q1", "", 0, 10000, one_gpu);
    expect_share(&h, "q1", 10000, 250000);
    int64_t held = 0;
    for (size_t b = 0; b <= AL__USAGE_BUCKETS; b++)
        held += h.series[1].ring[b].held[AL_GPU];
    assert_int_equal(held, 1000 * 320);
    al__usage_history_release(&h);
}

static int stored;

static void count_bucket(void *ctx, const struct al__usage_series *s,
                         const struct al__usage_bucket *b) {
    struct al__usage_history *copy = ctx;
    al__usage_history_load(copy, s->name, s->pool, b->start_s, b->held);
    stored++;
}

/* Memory is kept in MiB x s; the dirty buckets, stored and loaded into another history, give
 * the same shares; once stored they are clean. */
static void buckets_stored_and_loaded(void **state) {
    (void)state;
    struct al__usage_history h, copy;
    const int64_t mem[AL_RESOURCE_COUNT] = {2000, 0, 3LL << 20};
    al__usage_history_init(&h, 0, 320);
    al__usage_history_init(&copy, 0, 320);
    al__usage_history_add(&h, AL__USAGE_CAPACITY, "", 0, 25, cluster4);
    al__usage_history_add(&h, "q3", "", 0, 25, mem);
    assert_int_equal(h.series[1].ring[0].held[AL_MEMORY], 3 * 10);
    stored = 0;
    al__usage_history_each_dirty(&h, 25, count_bucket, &copy);
    assert_int_equal(stored, 6); /* buckets 0, 10, 20 of both series */
    expect_share(&copy, "q3", 25, 500000);
    stored = 0;
    al__usage_history_each_dirty(&h, 25, count_bucket, &copy);
    assert_int_equal(stored, 0);
    al__usage_history_release(&h);
    al__usage_history_release(&copy);
}

/* A queue with nothing left in the window (deleted, or idle) is forgotten once stored; the
 * capacity's series stays. */
static void idle_series_are_forgotten(void **state) {
    (void)state;
    struct al__usage_history h, copy;
    al__usage_history_init(&h, 0, 320);
    al__usage_history_init(&copy, 0, 320);
    al__usage_history_add(&h, AL__USAGE_CAPACITY, "", 0, 100, cluster4);
    al__usage_history_add(&h, "gone", "", 0, 100, one_gpu);
    al__usage_history_forget(&h, 1000);
    assert_int_equal(h.count, 2); /* not stored yet */
    stored = 0;
    al__usage_history_each_dirty(&h, 1000, count_bucket, &copy);
    assert_int_equal(stored, 0); /* out of the window: never stored */
    al__usage_history_forget(&h, 1000);
    assert_int_equal(h.count, 1);
    assert_string_equal(h.series[0].name, "");
    al__usage_history_release(&h);
    al__usage_history_release(&copy);
}

static void ignore_bucket(void *ctx, const struct al__usage_series *s,
                          const struct al__usage_bucket *b) {
    (void)ctx;
    (void)s;
    (void)b;
}

/* Each pool's usage is a share of that pool's capacity: a queue that filled pool a100 (2 of
 * the cluster's 6 GPUs) has 1.0 there and nothing in h100, whatever it did elsewhere; its
 * series are found together, the default pool's first; a pool's capacity series is forgotten
 * like a queue's once idle, the default pool's never. */
static void usage_is_kept_per_pool(void **state) {
    (void)state;
    struct al__usage_history h;
    const int64_t two[AL_RESOURCE_COUNT] = {2000, 0, 0}, four[AL_RESOURCE_COUNT] = {4000, 0, 0};
    int64_t got[AL_RESOURCE_COUNT];
    al__usage_history_init(&h, 0, 320);
    al__usage_history_add(&h, AL__USAGE_CAPACITY, "", 0, 100, four);
    al__usage_history_add(&h, AL__USAGE_CAPACITY, "a100", 0, 100, two);
    al__usage_history_add(&h, AL__USAGE_CAPACITY, "h100", 0, 100, two);
    al__usage_history_add(&h, "q", "a100", 0, 100, two);
    al__usage_history_add(&h, "q", "", 0, 50, two);
    al__usage_history_share(&h, "q", "a100", 100, got);
    assert_int_equal(got[AL_GPU], 1000000);
    al__usage_history_share(&h, "q", "h100", 100, got);
    assert_int_equal(got[AL_GPU], 0);
    al__usage_history_refresh(&h, 100);
    size_t count;
    const struct al__usage_series *s = al__usage_history_of(&h, "q", &count);
    assert_int_equal(count, 2);
    assert_string_equal(s[0].pool, "");
    assert_int_equal(s[0].share_ppm[AL_GPU], 250000); /* 2 x 50 of 4 x 100 */
    assert_string_equal(s[1].pool, "a100");
    assert_int_equal(s[1].share_ppm[AL_GPU], 1000000);
    assert_null(al__usage_history_of(&h, "p", &count));
    assert_int_equal(count, 0);
    al__usage_history_each_dirty(&h, 100, ignore_bucket, NULL); /* stored */
    al__usage_history_forget(&h, 1000);
    assert_int_equal(h.count, 1);
    assert_string_equal(h.series[0].pool, "");
    al__usage_history_release(&h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(share_of_the_capacity),     cmocka_unit_test(window_slides),
        cmocka_unit_test(decay_by_half_life),        cmocka_unit_test(gap_longer_than_the_window),
        cmocka_unit_test(buckets_stored_and_loaded), cmocka_unit_test(idle_series_are_forgotten),
        cmocka_unit_test(usage_is_kept_per_pool),
    };
    return cmocka_run_group_tests_name("usage_history", tests, NULL, NULL);
}
