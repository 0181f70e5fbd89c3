/* test_csv.c - the CSV line reader: fields split at commas, blank lines and line ends dropped,
 * line numbers kept for messages, more fields than it keeps counted, an empty stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "util/csv.h"

/* A reader over text (copied: the reader frees what it reads). */
static void adopt_text(struct al__csv *c, const char *text, char *err, size_t size) {
    char *copy = strdup(text);
    assert_non_null(copy);
    FILE *f = fmemopen(copy, strlen(copy), "r");
    assert_non_null(f);
    al__csv_adopt(c, "t.csv", f, copy, err, size);
}

static void fields_lines_and_messages(void **state) {
    struct al__csv c;
    char err[256];
    (void)state;
    adopt_text(&c, "a,b,c\r\n\n1,,3\n", err, sizeof(err));
    assert_int_equal(al__csv_next(&c), 1);
    assert_int_equal(c.count, 3);
    assert_string_equal(c.fields[2], "c");
    assert_int_equal(al__csv_next(&c), 1);
    assert_int_equal(c.line_no, 3); /* the blank line counts */
    assert_string_equal(c.fields[1], "");
    assert_int_equal(al__csv_fail(&c, "b", "'%s' is empty", c.fields[1]), -AL_EINVAL);
    assert_string_equal(err, "t.csv:3: b: '' is empty");
    assert_int_equal(al__csv_fail(&c, NULL, "no field"), -AL_EINVAL);
    assert_string_equal(err, "t.csv:3: no field");
    assert_int_equal(al__csv_next(&c), 0);
    al__csv_close(&c);
}

static void more_fields_than_kept_are_counted(void **state) {
    struct al__csv c;
    char err[64], line[256] = "";
    size_t len = 0;
    (void)state;
    for (int i = 0; i < AL__CSV_MAX_FIELDS + 5; i++)
        len += (size_t)snprintf(line + len, sizeof(line) - len, "%sx", i ? "," : "");
    adopt_text(&c, line, err, sizeof(err));
    assert_int_equal(al__csv_next(&c), 1);
    assert_int_equal(c.count, AL__CSV_MAX_FIELDS + 5);
    al__csv_close(&c);
}

static void an_empty_stream_and_a_missing_file(void **state) {
    struct al__csv c;
    char err[256];
    (void)state;
    al__csv_adopt(&c, "empty.csv", NULL, NULL, err, sizeof(err));
    assert_int_equal(al__csv_next(&c), 0);
    al__csv_close(&c);
    assert_int_equal(al__csv_open(&c, "/nonexistent/x.csv", err, sizeof(err)), -AL_EIO);
    assert_non_null(strstr(err, "/nonexistent/x.csv"));
    al__csv_close(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_lines_and_messages),
        cmocka_unit_test(more_fields_than_kept_are_counted),
        cmocka_unit_test(an_empty_stream_and_a_missing_file),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
