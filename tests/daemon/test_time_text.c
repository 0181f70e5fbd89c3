/* test_time_text.c - the moments `logs?since=` takes (durations ago, RFC 3339 times, epoch
 * seconds), each malformed one refused, and durations in words for time-limit reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "daemon/time_limits.h"
#include "daemon/time_text.h"

#define NOW 1796059331LL /* 2026-11-30T17:22:11Z */

static void expect_since(const char *text, int64_t want) {
    int64_t got = -7;
    char msg[256] = "";
    if (al__since_parse(text, NOW, &got, msg, sizeof(msg)) != 0)
        fail_msg("\"%s\": refused: %s", text, msg);
    if (got != want)
        fail_msg("\"%s\": %lld, expected %lld", text, (long long)got, (long long)want);
}

static void durations_count_back_from_now(void **state) {
    (void)state;
    expect_since("90s", NOW - 90);
    expect_since("10m", NOW - 600);
    expect_since("2h", NOW - 7200);
    expect_since("1h30m", NOW - 5400);
    expect_since("2d", NOW - 172800);
    expect_since("0s", NOW);
}

static void rfc3339_times_are_read_in_utc(void **state) {
    (void)state;
    expect_since("2026-11-30T17:22:11Z", NOW);
    expect_since("2026-11-30t17:22:11z", NOW);
    expect_since("2026-11-30 17:22:11Z", NOW);
    expect_since("2026-11-30T17:22:11.987654Z", NOW); /* fractions dropped */
    expect_since("2026-11-30T18:22:11+01:00", NOW);
    expect_since("2026-11-30T12:52:11-04:30", NOW);
    expect_since("1970-01-01T00:00:00Z", 0);
    expect_since("2024-02-29T00:00:00Z", 1709164800); /* a leap day */
    expect_since("2000-03-01T00:00:00Z", 951868800);
}

static void integers_are_epoch_seconds(void **state) {
    (void)state;
    expect_since("1796059331", NOW);
    expect_since("0", 0);
}

static void malformed_moments_are_refused(void **state) {
    static const char *const bad[] = {"",
                                      "10x",
                                      "m",
                                      "-5m",
                                      "1.5h",
                                      "10 m",
                                      "2026-11-30",
                                      "2026-11-30T17:22Z",
                                      "2026-11-30T17:22:11",
                                      "2026-13-01T00:00:00Z",
                                      "2026-02-29T00:00:00Z",
                                      "2026-11-30T24:00:00Z",
                                      "2026-11-30T17:22:11+1:00",
                                      "2026-11-30T17:22:11Zjunk",
                                      "99999999999999",
                                      "9999999999999999999d"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t out = -7;
        char msg[256] = "";
        if (al__since_parse(bad[i], NOW, &out, msg, sizeof(msg)) != -AL_EINVAL)
            fail_msg("\"%s\" was taken as %lld", bad[i], (long long)out);
        assert_int_equal(out, -7);
        assert_non_null(strstr(msg, "RFC 3339"));
    }
}

static void durations_read_in_at_most_two_units(void **state) {
    static const struct {
        int64_t seconds;
        const char *text;
    } cases[] = {{0, "0s"},       {45, "45s"},         {60, "1m"},      {90, "1m30s"},
                 {3600, "1h"},    {5400, "1h30m"},     {5430, "1h30m"}, {86400, "1d"},
                 {97200, "1d3h"}, {315360000, "3650d"}};
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[32];
        al__duration_text(cases[i].seconds, out, sizeof(out));
        assert_string_equal(out, cases[i].text);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations_count_back_from_now),
        cmocka_unit_test(rfc3339_times_are_read_in_utc),
        cmocka_unit_test(integers_are_epoch_seconds),
        cmocka_unit_test(malformed_moments_are_refused),
        cmocka_unit_test(durations_read_in_at_most_two_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
