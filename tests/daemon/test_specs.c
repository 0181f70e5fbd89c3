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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
