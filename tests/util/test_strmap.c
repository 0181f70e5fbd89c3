/* test_strmap.c - the string hash table against a plain list under random puts, gets and
 * removals (removal shifts entries back: every key must stay reachable). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/strmap.h"

#define KEYS 600

static void agrees_with_a_list(void **state) {
    static char names[KEYS][16];
    static void *want[KEYS]; /* NULL = absent */
    struct al__strmap m;
    uint32_t rng = 99;
    (void)state;
    for (int i = 0; i < KEYS; i++)
        snprintf(names[i], sizeof(names[i]), "w-%d", i * 7919 % 10007);
    al__strmap_init(&m);
    for (int step = 0; step < 200000; step++) {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        int k = (int)(rng % KEYS), op = (int)(rng >> 20) % 3;
        if (op == 0) {
            want[k] = &names[k];
            al__strmap_put(&m, names[k], want[k]);
        } else if (op == 1) {
            want[k] = NULL;
            al__strmap_remove(&m, names[k]);
        }
        if (al__strmap_get(&m, names[k]) != want[k]) {
            print_error("step %d: key %s: got %p, want %p\n", step, names[k],
                        al__strmap_get(&m, names[k]), want[k]);
            fail();
        }
    }
    size_t count = 0;
    for (int i = 0; i < KEYS; i++) {
        assert_ptr_equal(al__strmap_get(&m, names[i]), want[i]);
        count += want[i] != NULL;
    }
    assert_int_equal(m.count, count);
    assert_null(al__strmap_get(&m, "absent"));
    al__strmap_clear(&m);
    assert_null(al__strmap_get(&m, names[0]));
    al__strmap_release(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(agrees_with_a_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
