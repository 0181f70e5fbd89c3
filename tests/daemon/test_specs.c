/* test_specs.c - the request bodies allotd reads (a submit, a project or department) refuse a
 * document that is not an object, naming the problem; found by tests/fuzz/fuzz_parsers (an
 * array's items were read as an object's keys: a crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "allot/errors.h"
#include "daemon/specs.h"
#include "daemon/state.h"

static void bodies_that_are_not_objects_are_refused(void **state) {
    static const char *const texts[] = {"[[]]", "[]",    "[1, {\"name\": \"x\"}]",
                                        "3",    "\"x\"", "null"};
    struct al__state st = {0};
    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        json_t *doc = json_loads(texts[i], JSON_DECODE_ANY, NULL);
        char field[128] = "", msg[256] = "";
        struct al__dqueue q;
        struct al__wspec spec;
        assert_non_null(doc);
        memset(&q, 0, sizeof(q));
        assert_int_equal(
            al__queue_read(&st, doc, true, true, &q, field, sizeof(field), msg, sizeof(msg)),
            -AL_EINVAL);
        assert_string_equal(msg, "must be an object");
        assert_int_equal(al__wspec_read(doc, &spec, field, sizeof(field), msg, sizeof(msg)),
                         -AL_EINVAL);
        assert_string_equal(msg, "must be an object");
        json_decref(doc);
    }
    al__state_release(&st);
}

/* A submit body's subgroups: the workload's workers and gang minimum their sums, a stored
 * spec read back alike, and each malformed one refused naming its field. */
static void subgroups_are_read_with_the_fields_named(void **state) {
    (void)state;
    char field[128] = "", msg[256] = "";
    struct al__wspec spec;
    json_t *body = json_loads("{\"command\": [\"x\"], \"subgroups\": ["
                              "{\"name\": \"a\", \"workers\": 2, \"min_members\": 1,"
                              " \"required_topology_level\": \"rack\"},"
                              "{\"name\": \"b.1\", \"workers\": 3}]}",
                              0, NULL);
    assert_non_null(body);
    assert_int_equal(al__wspec_read(body, &spec, field, sizeof(field), msg, sizeof(msg)), 0);
    assert_int_equal(spec.workers, 5);
    assert_int_equal(spec.min_members, 4);
    assert_int_equal(spec.subgroup_count, 2);
    assert_string_equal(spec.subgroups[0].required_topology_level, "rack");
    assert_int_equal(spec.subgroups[1].min_members, 3);
    json_t *stored = al__workload_spec_json(&spec);
    struct al__wspec again;
    assert_int_equal(al__wspec_read(stored, &again, field, sizeof(field), msg, sizeof(msg)), 0);
    json_t *twice = al__workload_spec_json(&again);
    assert_true(json_equal(stored, twice));
    json_decref(twice);
    json_decref(stored);
    al__wspec_release(&again);
    al__wspec_release(&spec);
    json_decref(body);

    static const struct {
        const char *subgroups, *more, *field;
    } bad[] = {
        {"[{\"name\": \"a\", \"workers\": 1, \"min_members\": 2}]", "", "subgroups[0].min_members"},
        {"[{\"name\": \"a\", \"workers\": 1}, {\"name\": \"a\", \"workers\": 1}]", "",
         "subgroups[1].name"},
        {"[{\"name\": \"a-\", \"workers\": 1}]", "", "subgroups[0].name"},
        {"[{\"workers\": 1}]", "", "subgroups[0].name"},
        {"[{\"name\": \"a\"}]", "", "subgroups[0].workers"},
        {"[{\"name\": \"a\", \"workers\": 1, \"x\": 1}]", "", "subgroups[0].x"},
        {"[{\"name\": \"a\", \"workers\": 1, \"preferred_topology_level\": \"a b\"}]", "",
         "subgroups[0].preferred_topology_level"},
        {"[3]", "", "subgroups[0]"},
        {"{}", "", "subgroups"},
        {"[{\"name\": \"a\", \"workers\": 2}]", ", \"workers\": 1", "workers"},
        {"[{\"name\": \"a\", \"workers\": 2}]", ", \"min_members\": 1", "min_members"},
        {"[{\"name\": \"a\", \"workers\": 1000}, {\"name\": \"b\", \"workers\": 25}]", "",
         "subgroups"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "{\"command\": [\"x\"], \"subgroups\": %s%s}",
                 bad[i].subgroups, bad[i].more);
        body = json_loads(text, 0, NULL);
        assert_non_null(body);
        field[0] = '\0';
        assert_int_equal(al__wspec_read(body, &spec, field, sizeof(field), msg, sizeof(msg)),
                         -AL_EINVAL);
        if (strcmp(field, bad[i].field) != 0)
            fail_msg("%s: field %s (%s), not %s", text, field, msg, bad[i].field);
        json_decref(body);
    }
}

/* "mig": one profile as stored before several were taken, several (sorted), and each
 * malformed one named by field; a task's request counts each instance as G GPUs. */
static void mig_asks_are_read_sorted_and_counted_as_gpus(void **state) {
    static const char *const bad[] = {
        "{\"mig\": {}}",
        "{\"mig\": []}",
        "{\"mig\": {\"1g.10gb\": 0}}",
        "{\"mig\": {\"1g.10gb\": \"1\"}}",
        "{\"mig\": {\"8g.10gb\": 1}}",
        "{\"mig\": {\"1g.10gb\": 1}, \"gpu\": 1}",
        "{\"mig\": {\"1g.5gb\": 1, \"1g.10gb\": 1, \"1g.20gb\": 1, \"2g.10gb\": 1, "
        "\"2g.20gb\": 1, \"3g.20gb\": 1, \"3g.40gb\": 1, \"4g.40gb\": 1, \"7g.80gb\": 1}}"};
    char field[128], msg[256];
    struct al__wspec spec;
    (void)state;
    json_t *doc = json_loads("{\"name\": \"w\", \"project\": \"p\", \"command\": [\"true\"],"
                             " \"mig\": {\"1g.10gb\": 2}}",
                             0, NULL);
    assert_int_equal(al__wspec_read(doc, &spec, field, sizeof(field), msg, sizeof(msg)), 0);
    assert_int_equal(spec.mig_profiles, 1);
    assert_string_equal(spec.migs[0].profile, "1g.10gb");
    assert_int_equal(spec.migs[0].count, 2);
    al__wspec_release(&spec);
    json_decref(doc);
    doc = json_loads("{\"name\": \"w\", \"project\": \"p\", \"command\": [\"true\"],"
                     " \"mig\": {\"3g.40gb\": 1, \"1g.10gb\": 2}}",
                     0, NULL);
    assert_int_equal(al__wspec_read(doc, &spec, field, sizeof(field), msg, sizeof(msg)), 0);
    assert_int_equal(spec.mig_profiles, 2);
    assert_string_equal(spec.migs[0].profile, "1g.10gb");
    assert_string_equal(spec.migs[1].profile, "3g.40gb");
    struct al__task_request r = al__task_request_of_spec(&spec);
    assert_int_equal(r.mig_milli, 5000);
    assert_int_equal(al__task_request_milli(&r, 81920), 5000);
    json_t *again = al__workload_spec_json(&spec); /* as the store keeps it */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(again, "mig"), "3g.40gb")),
                     1);
    json_decref(again);
    al__wspec_release(&spec);
    json_decref(doc);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "{\"name\": \"w\", \"project\": \"p\", \"command\": [\"true\"], %s", bad[i] + 1);
        doc = json_loads(text, 0, NULL);
        assert_non_null(doc);
        field[0] = '\0';
        if (al__wspec_read(doc, &spec, field, sizeof(field), msg, sizeof(msg)) != -AL_EINVAL ||
            strcmp(field, "mig") != 0)
            fail_msg("%s: field \"%s\" (%s)", bad[i], field, msg);
        json_decref(doc);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mig_asks_are_read_sorted_and_counted_as_gpus),
        cmocka_unit_test(bodies_that_are_not_objects_are_refused),
        cmocka_unit_test(subgroups_are_read_with_the_fields_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
