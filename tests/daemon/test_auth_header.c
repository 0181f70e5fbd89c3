/* test_auth_header.c - the token out of an Authorization value (issue 13): the scheme in any
 * case, then spaces, then token68 only; a NUL, a space or a control byte inside refuses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/auth.h"

static void expect_token(const char *value, size_t len, const char *want) {
    const char *token = NULL;
    size_t token_len = 0;
    if (!al__auth_token_of(value, len, &token, &token_len))
        fail_msg("\"%.*s\": refused, expected \"%s\"", (int)len, value, want);
    if (token_len != strlen(want) || memcmp(token, want, token_len) != 0)
        fail_msg("\"%.*s\": \"%.*s\", expected \"%s\"", (int)len, value, (int)token_len, token,
                 want);
}

static void expect_refused(const char *value, size_t len) {
    const char *token = NULL;
    size_t token_len = 0;
    if (al__auth_token_of(value, len, &token, &token_len))
        fail_msg("\"%.*s\" (%zu bytes): accepted as \"%.*s\"", (int)len, value, len, (int)token_len,
                 token);
}

#define TOKEN(s)   expect_token(s, strlen(s), "allot_Ab-9_x")
#define REFUSED(s) expect_refused(s, sizeof(s) - 1)

static void the_bearer_scheme_is_case_insensitive(void **state) {
    (void)state;
    TOKEN("Bearer allot_Ab-9_x");
    TOKEN("bearer allot_Ab-9_x");
    TOKEN("BEARER allot_Ab-9_x");
    TOKEN("bEaReR   allot_Ab-9_x");
    expect_token("Bearer abc+/==", 14, "abc+/==");
}

static void a_nul_inside_the_value_is_refused(void **state) {
    (void)state;
    REFUSED("Bearer allot_Ab-9_x\0");
    REFUSED("Bearer allot_Ab-9_x\0junk");
    REFUSED("Bearer \0allot_Ab-9_x");
}

static void anything_but_token68_is_refused(void **state) {
    (void)state;
    REFUSED("");
    REFUSED("Bearer");
    REFUSED("Bearer ");
    REFUSED("Bearerallot_Ab-9_x");
    REFUSED("Basic allot_Ab-9_x");
    REFUSED("Bearer allot_Ab-9_x ");
    REFUSED("Bearer allot Ab");
    REFUSED("Bearer allot_\x01");
    REFUSED("Bearer allot_\r\n");
    REFUSED("Bearer =abc");
    REFUSED("Bearer ab=c");
    REFUSED("Bearer\tallot_Ab-9_x");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_bearer_scheme_is_case_insensitive),
        cmocka_unit_test(a_nul_inside_the_value_is_refused),
        cmocka_unit_test(anything_but_token68_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
