/* test_time_args.c - time limits in Slurm's formats and with units, moments for --since: each
 * form read right, each malformed one refused naming the option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "cli/time_args.h"

static void time_limits_in_every_form(void **state) {
    static const struct {
        const char *text;
        int64_t seconds;
    } cases[] = {
        {"30", 1800},          /* MM: a bare number is minutes, as in Slurm */
        {"90:30", 5430},       /* MM:SS */
        {"2:00:00", 7200},     /* HH:MM:SS */
        {"100:00:00", 360000}, /* hours may run past a day */
        {"1-12", 129600},      /* D-HH */
        {"1-12:30", 131400},   /* D-HH:MM */
        {"2-00:00:05", 172805}, {"30s", 30},    {"2h", 7200},
        {"1h30m", 5400},        {"7d", 604800}, {"0:01", 1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t got = -1;
        char err[256] = "";
        if (al__cli_parse_time_limit("--time-limit", cases[i].text, &got, err, sizeof(err)) != 0)
            fail_msg("'%s' refused: %s", cases[i].text, err);
        if (got != cases[i].seconds)
            fail_msg("'%s': %lld, expected %lld", cases[i].text, (long long)got,
                     (long long)cases[i].seconds);
    }
}

static void malformed_time_limits_are_named(void **state) {
    static const char *const bad[] = {"",
                                      "0",
                                      "0s",
                                      "10:",
                                      ":10",
                                      "1:2:3:4",
                                      "10:60",
                                      "1:60:00",
                                      "1-24",
                                      "1-",
                                      "-1",
                                      "1-2-3",
                                      "1.5h",
                                      "2 h",
                                      "h",
                                      "10x",
                                      "3651d",
                                      "unlimited",
                                      "99999999999999999999"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t got = -7;
        char err[256] = "";
        if (al__cli_parse_time_limit("--time-limit", bad[i], &got, err, sizeof(err)) != -AL_EINVAL)
            fail_msg("'%s' was taken as %lld", bad[i], (long long)got);
        assert_int_equal(got, -7);
        assert_memory_equal(err, "--time-limit: '", 15);
    }
}

static void since_takes_durations_and_times_not_bare_numbers(void **state) {
    static const char *const good[] = {"10m", "1h30m", "2d", "2026-11-30T18:02:11Z",
                                       "2026-11-30T18:02:11+01:00"};
    static const char *const bad[] = {"10", "", "yesterday", "10 m", "-5m", "26-11-30"};
    char err[256];
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(al__cli_check_since("--since", good[i], err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(al__cli_check_since("--since", bad[i], err, sizeof(err)), -AL_EINVAL);
        assert_memory_equal(err, "--since: '", 10);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(time_limits_in_every_form),
        cmocka_unit_test(malformed_time_limits_are_named),
        cmocka_unit_test(since_takes_durations_and_times_not_bare_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
