/* test_subgroup_arg.c - `allot workload submit --subgroup`'s argument read into the API's
 * subgroup object, and what is not one refused with the syntax named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli/subgroup_arg.h"

static void check(const char *text, const char *want) {
    char err[256] = "";
    json_t *got = al__cli_subgroup_parse(text, err, sizeof(err));
    json_t *expected = json_loads(want, 0, NULL);
    assert_non_null(expected);
    if (!got || !json_equal(got, expected)) {
        char *said = got ? json_dumps(got, JSON_SORT_KEYS) : NULL;
        fail_msg("%s: got %s (%s), want %s", text, said ? said : "NULL", err, want);
    }
    json_decref(got);
    json_decref(expected);
}

static void arguments_become_subgroups(void **state) {
    (void)state;
    check("prefill:4", "{\"name\": \"prefill\", \"workers\": 4}");
    check("decode:8:6", "{\"name\": \"decode\", \"workers\": 8, \"min_members\": 6}");
    check("a:2,required=rack",
          "{\"name\": \"a\", \"workers\": 2, \"required_topology_level\": \"rack\"}");
    check("a:2:1,preferred=kubernetes.io/hostname,required=zone",
          "{\"name\": \"a\", \"workers\": 2, \"min_members\": 1, \"required_topology_level\": "
          "\"zone\", \"preferred_topology_level\": \"kubernetes.io/hostname\"}");
}

static void what_is_not_one_is_refused(void **state) {
    (void)state;
    static const struct {
        const char *text, *said;
    } bad[] = {
        {"prefill", "is not NAME:WORKERS"},  {":4", "is not NAME:WORKERS"},
        {"a:", "is not NAME:WORKERS"},       {"a:0", "is not NAME:WORKERS"},
        {"a:1025", "is not NAME:WORKERS"},   {"a:2x", "is not NAME:WORKERS"},
        {"a:2:", "is not NAME:WORKERS"},     {"a:2:1:1", "is not NAME:WORKERS"},
        {"a:-2", "is not NAME:WORKERS"},     {"a:2,near=rack", "required=LEVEL or preferred"},
        {"a:2,required=", "required=LEVEL"}, {"a:2,required=x,required=y", "each level once"},
        {"a:2,", "required=LEVEL"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        json_t *got = al__cli_subgroup_parse(bad[i].text, err, sizeof(err));
        if (got || !strstr(err, bad[i].said))
            fail_msg("%s: %s, message '%s' (want '%s')", bad[i].text, got ? "read" : "refused", err,
                     bad[i].said);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arguments_become_subgroups),
        cmocka_unit_test(what_is_not_one_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
