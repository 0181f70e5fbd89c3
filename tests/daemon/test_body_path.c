/* test_body_path.c - the field named at a JSON parse error: nested keys, array items, strings
 * holding brackets and escaped quotes, and every prefix of arbitrary bytes (it must never read
 * past the offset or overflow the output). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/body_path.h"

static void expect_path(const char *text, const char *want) {
    char out[128];
    al__body_path_at(text, strlen(text), out, sizeof(out));
    assert_string_equal(out, want);
}

static void names_nested_fields(void **state) {
    (void)state;
    expect_path("", "");
    expect_path("{\"a\": 1, ", "");
    expect_path("{\"a\": 1, \"b\": 9999", "b");
    expect_path("{\"d\": {\"gpu\": 9", "d.gpu");
    expect_path("{\"d\": {\"gpu\": 1}, \"c\": [1, 2, 3", "c[2]");
    expect_path("{\"c\": [{\"x\": 1}, {\"y\": [0, 7", "c[1].y[1]");
    expect_path("[4, 5", "[1]");
    expect_path("{\"s\": \"]}{,:\\\"\", \"t\": 1", "t");
    expect_path("{\"k\\\"q\": 5", "k\\\"q");
}

static void never_overflows(void **state) {
    char text[512], out[8];
    uint32_t rng = 7;
    const char alphabet[] = "{}[]\":,\\ab1";
    (void)state;
    for (int round = 0; round < 2000; round++) {
        size_t n = 0;
        for (; n < sizeof(text) - 1; n++) {
            rng = rng * 1103515245u + 12345u;
            text[n] = alphabet[(rng >> 16) % (sizeof(alphabet) - 1)];
        }
        text[n] = '\0';
        for (size_t pos = 0; pos <= n; pos += 37) {
            al__body_path_at(text, pos, out, sizeof(out));
            assert_true(strlen(out) < sizeof(out));
        }
    }
    /* deeper than the levels tracked */
    memset(text, '[', sizeof(text) - 1);
    al__body_path_at(text, sizeof(text) - 1, out, sizeof(out));
    assert_true(strlen(out) < sizeof(out));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_nested_fields),
        cmocka_unit_test(never_overflows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
