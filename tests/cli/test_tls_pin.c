/* test_tls_pin.c - allot's reading of a pinned certificate fingerprint (--tls-fingerprint):
 * the forms allotd and openssl print are taken, anything else is refused untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/tls_client.h"

#define HEX64 "022E471A8C37068E740489497CB29355818F4040A307926FC3FE48DBE7675BFA"
#define PAIRS                                                                                      \
    "02:2E:47:1A:8C:37:06:8E:74:04:89:49:7C:B2:93:55:81:8F:40:40:A3:07:92:6F:C3:FE:48:DB:E7:67:"   \
    "5B:FA"

static const unsigned char expected[32] = {
    0x02, 0x2E, 0x47, 0x1A, 0x8C, 0x37, 0x06, 0x8E, 0x74, 0x04, 0x89, 0x49, 0x7C, 0xB2, 0x93, 0x55,
    0x81, 0x8F, 0x40, 0x40, 0xA3, 0x07, 0x92, 0x6F, 0xC3, 0xFE, 0x48, 0xDB, 0xE7, 0x67, 0x5B, 0xFA};

static void the_forms_allotd_and_openssl_print_are_taken(void **state) {
    (void)state;
    static const char *const good[] = {PAIRS, HEX64, "sha256:" PAIRS, "SHA256=" HEX64,
                                       "02:2e:47:1a:8c:37:06:8e:74:04:89:49:7c:b2:93:55:81:8f:"
                                       "40:40:a3:07:92:6f:c3:fe:48:db:e7:67:5b:fa"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        unsigned char out[32] = {0};
        if (al__cli_fingerprint_parse(good[i], out) != 0)
            fail_msg("'%s' should be taken", good[i]);
        assert_memory_equal(out, expected, 32);
    }
}

static void anything_else_is_refused_and_leaves_the_output_alone(void **state) {
    (void)state;
    static const char *const bad[] = {
        "",
        "zz",
        HEX64 "00", /* 33 bytes */
        HEX64 + 2,  /* 31 bytes */
        "02-2E-47-1A-8C-37-06-8E-74-04-89-49-7C-B2-93-55-81-8F-40-40-A3-07-92-6F-C3-FE-48-DB-E7-"
        "67-5B-FA",    /* not colons */
        "sha1:" PAIRS, /* another digest's name */
        "G2:2E:47:1A:8C:37:06:8E:74:04:89:49:7C:B2:93:55:81:8F:40:40:A3:07:92:6F:C3:FE:48:DB:E7:"
        "67:5B:FA", /* not hex */
        " " HEX64,  /* a blank before */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned char out[32];
        memset(out, 0xAA, sizeof(out));
        if (al__cli_fingerprint_parse(bad[i], out) != -1)
            fail_msg("'%s' should be refused", bad[i]);
        for (size_t k = 0; k < 32; k++)
            assert_int_equal(out[k], 0xAA);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_forms_allotd_and_openssl_print_are_taken),
        cmocka_unit_test(anything_else_is_refused_and_leaves_the_output_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
