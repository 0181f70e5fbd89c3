/* test_arena.c - the bump allocator: zeroed allocations, alignment, and memory kept between
 * uses bounded by what one use takes, however its sizes grow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/arena.h"

static void allocations_are_zeroed_and_aligned(void **state) {
    struct al__arena a;
    (void)state;
    al__arena_init(&a, 256);
    for (size_t i = 1; i < 100; i++) {
        unsigned char *p = al__arena_alloc(&a, i * 7);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        for (size_t k = 0; k < i * 7; k++)
            assert_int_equal(p[k], 0);
        memset(p, 0xab, i * 7);
    }
    al__arena_reset(&a);
    unsigned char *p = al__arena_alloc(&a, 5000);
    for (size_t k = 0; k < 5000; k++)
        assert_int_equal(p[k], 0); /* reused memory is zeroed again */
    assert_null(al__arena_array(&a, SIZE_MAX / 2, 8));
    al__arena_release(&a);
}

/* 200 uses, each a little bigger than the last (a cycle with a few more jobs each time): what
 * the arena keeps stays near one use's size, in one block, instead of every size ever used. */
static void growing_uses_keep_one_use_of_memory(void **state) {
    struct al__arena a;
    (void)state;
    al__arena_init(&a, 0);
    size_t last_use = 0, blocks = 0;
    for (size_t use = 1; use <= 200; use++) {
        last_use = 0;
        for (int k = 0; k < 6; k++) { /* per-job arrays of a growing job count */
            assert_non_null(al__arena_array_raw(&a, 1000 * use, 4));
            last_use += 4000 * use;
        }
        al__arena_reset(&a);
        size_t kept = al__arena_kept(&a, &blocks);
        assert_true(kept >= last_use);
        if (kept > 2 * last_use + 64 * 1024)
            fail_msg("use %zu took %zu bytes; the arena keeps %zu in %zu blocks", use, last_use,
                     kept, blocks);
    }
    assert_int_equal(blocks, 1);
    al__arena_release(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocations_are_zeroed_and_aligned),
        cmocka_unit_test(growing_uses_keep_one_use_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
