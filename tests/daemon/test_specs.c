/* test_specs.c - the request bodies allotd reads (a submit, a project or department) refuse a
 * document that is not an object, naming the problem; found by tests/fuzz/fuzz_parsers (an
 * array's items were read as an object's keys: a crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bodies_that_are_not_objects_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
