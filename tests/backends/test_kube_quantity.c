/* test_kube_quantity.c - Kubernetes resource quantities: every suffix, fractions rounded up as
 * Kubernetes rounds, the edges of int64, and malformed text refused with the reason (plus random
 * text, which must never crash or be misread as a number). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "backends/kubernetes/quantity.h"
#include "support/rng.h"

static int64_t q(const char *text, int scale) {
    int64_t v = -42;
    char why[128] = "";
    int rc = al__kube_quantity(text, scale, &v, why, sizeof(why));
    if (rc != 0)
        fail_msg("%s: %d %s", text, rc, why);
    return v;
}

static void every_suffix_and_form(void **state) {
    (void)state;
    assert_int_equal(q("1", 3), 1000);
    assert_int_equal(q("500m", 3), 500);
    assert_int_equal(q("0.5", 3), 500);
    assert_int_equal(q(".5", 3), 500);
    assert_int_equal(q("5.", 3), 5000);
    assert_int_equal(q("+2", 0), 2);
    assert_int_equal(q("0", 3), 0);
    assert_int_equal(q("1Ki", 0), 1024);
    assert_int_equal(q("80Gi", 0), 85899345920LL);
    assert_int_equal(q("1.5Gi", 0), 1610612736LL);
    assert_int_equal(q("512Mi", 0), 536870912LL);
    assert_int_equal(q("2Ti", 0), 2199023255552LL);
    assert_int_equal(q("100M", 0), 100000000);
    assert_int_equal(q("64k", 0), 64000);
    assert_int_equal(q("1G", 0), 1000000000);
    assert_int_equal(q("3T", 0), 3000000000000LL);
    assert_int_equal(q("1P", 0), 1000000000000000LL);
    assert_int_equal(q("1E", 0), 1000000000000000000LL); /* exa, not an exponent */
    assert_int_equal(q("1e3", 0), 1000);
    assert_int_equal(q("1E3", 0), 1000);
    assert_int_equal(q("2e+2", 0), 200);
    assert_int_equal(q("25e-1", 3), 2500);
    assert_int_equal(q("1000u", 3), 1);
    assert_int_equal(q("7Ei", 0), 8070450532247928832LL);
}

static void fractions_round_away_from_zero(void **state) {
    (void)state;
    assert_int_equal(q("1m", 0), 1);     /* a thousandth of a byte is a byte */
    assert_int_equal(q("1n", 3), 1);     /* a nano-core is a millicore */
    assert_int_equal(q("1.5e-3", 3), 2); /* 1.5 millicores */
    assert_int_equal(q("0.0001", 3), 1);
    assert_int_equal(q("0.000000000000000000000000000001", 3), 1);
    assert_int_equal(q("-1.5", 0), -2);
    assert_int_equal(q("-500m", 3), -500);
    assert_int_equal(q("1.0000000000000000000000000000001", 0), 2); /* past 30 digits */
}

static void values_beyond_int64_are_out_of_range(void **state) {
    int64_t v = 7;
    (void)state;
    assert_int_equal(al__kube_quantity("8Ei", 0, &v, NULL, 0), -AL_ERANGE);
    assert_int_equal(al__kube_quantity("10E", 0, &v, NULL, 0), -AL_ERANGE);
    assert_int_equal(al__kube_quantity("9223372036854775807", 3, &v, NULL, 0), -AL_ERANGE);
    assert_int_equal(al__kube_quantity("1e999", 0, &v, NULL, 0), -AL_ERANGE);
    assert_int_equal(al__kube_quantity("1234567890123456789012345678901", 0, &v, NULL, 0),
                     -AL_ERANGE);
    assert_int_equal(v, 7); /* untouched */
    assert_int_equal(q("9223372036854775807", 0), INT64_MAX);
}

static void malformed_text_is_refused_with_the_reason(void **state) {
    static const char *const bad[] = {"",   "abc",  "1x",    "1 Gi", "--1",  "1.2.3",  "Gi",
                                      "1e", "1e+",  ".",     "-",    "1Gib", "1KI",    " 1",
                                      "1 ", "0x10", "1e1.5", "1ki",  "+-1",  "1e99999"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t v = 7;
        char why[128] = "";
        assert_int_equal(al__kube_quantity(bad[i], 3, &v, why, sizeof(why)), -AL_EINVAL);
        assert_non_null(strstr(why, "is not a quantity"));
        assert_int_equal(v, 7);
    }
}

/* Random text from the characters quantities are made of: never a crash, and whatever is
 * accepted reads back the same when printed as a plain number. */
static void random_text_never_misreads(void **state) {
    static const char alphabet[] = "0123456789.+-eEinumkKMGTP";
    uint64_t rng = 0x2545F4914F6CDD1DULL;
    (void)state;
    for (int i = 0; i < 200000; i++) {
        char text[16], plain[32];
        size_t n = tb_rng_below(&rng, sizeof(text) - 1);
        for (size_t k = 0; k < n; k++)
            text[k] = alphabet[tb_rng_below(&rng, sizeof(alphabet) - 1)];
        text[n] = '\0';
        int64_t v, again;
        if (al__kube_quantity(text, 0, &v, NULL, 0) != 0)
            continue;
        snprintf(plain, sizeof(plain), "%lld", (long long)v);
        assert_int_equal(al__kube_quantity(plain, 0, &again, NULL, 0), 0);
        assert_int_equal(again, v);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_suffix_and_form),
        cmocka_unit_test(fractions_round_away_from_zero),
        cmocka_unit_test(values_beyond_int64_are_out_of_range),
        cmocka_unit_test(malformed_text_is_refused_with_the_reason),
        cmocka_unit_test(random_text_never_misreads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
