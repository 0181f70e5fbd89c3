/* test_json_read.c - the snapshot's JSON reader: what it accepts and rejects, its messages and
 * lines, and the same values as jansson (the library allotd reads requests with) on random and
 * mutated documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "allot/errors.h"
#include "snapshot/json_convert.h"
#include "snapshot/json_read.h"

static int parse(const char *text, struct al__json_doc *doc, char *msg, int *line) {
    return al__json_parse(text, strlen(text), doc, msg, 128, line);
}

static void accepts(void **state) {
    static const char *const good[] = {
        "{}",
        "[]",
        " [1, -2, 3.5, -0, 0.25e2, 1E-3, true, false, null] ",
        "{\"a\":{\"b\":[{}]}}",
        "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
        "[\"\\u00e9\\u20ac\\ud83d\\ude00\"]",
        "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]",
        "[9223372036854775807, -9223372036854775808]",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct al__json_doc doc;
        char msg[128];
        int line;
        if (parse(good[i], &doc, msg, &line) != 0) {
            print_error("rejected %s: %s (line %d)\n", good[i], msg, line);
            fail();
        }
        al__json_doc_release(&doc);
    }
}

static void values_are_read(void **state) {
    struct al__json_doc doc;
    char msg[128];
    int line;
    (void)state;
    assert_int_equal(
        parse("{\"n\":-12,\"r\":0.5,\"s\":\"a\\u00e9\",\"l\":[1,2],\"t\":true}", &doc, msg, &line),
        0);
    const struct al__json *root = doc.root;
    assert_int_equal(al__json_get(root, "n")->u.integer, -12);
    assert_true(al__json_is(al__json_get(root, "r"), AL__JSON_REAL));
    assert_true(al__json_get(root, "r")->u.real == 0.5);
    assert_string_equal(al__json_string(al__json_get(root, "s")), "a\xc3\xa9");
    assert_int_equal(al__json_get(root, "s")->count, 3);
    assert_int_equal(al__json_size(al__json_get(root, "l")), 2);
    assert_int_equal(al__json_at(al__json_get(root, "l"), 1)->u.integer, 2);
    assert_true(al__json_is(al__json_get(root, "t"), AL__JSON_TRUE));
    assert_null(al__json_get(root, "missing"));
    al__json_doc_release(&doc);
}

static void rejects_with_a_message_and_line(void **state) {
    static const struct {
        const char *text, *message;
        int line;
    } bad[] = {
        {"", "end of file", 1},
        {"{", "end of file", 1},
        {"[1,\n2,\n", "end of file", 3},
        {"\"a\"", "'[' or '{' expected", 1},
        {"[1] [2]", "end of file expected", 1},
        {"{\"a\":1,\"a\":2}", "duplicate object key \"a\"", 1},
        /* an empty object as the first thing read (found by tests/fuzz: UB before) */
        {"{}, \"\a\"A", "end of file expected", 1},
        {"[01]", "',' or ']' expected", 1},
        {"[1.]", "invalid number", 1},
        {"[-]", "invalid number", 1},
        {"[1e]", "invalid number", 1},
        {"[9223372036854775808]", "too big integer", 1},
        {"[-9223372036854775809]", "too big negative integer", 1},
        {"[1e999]", "real number overflow", 1},
        {"[\"a\nb\"]", "control character", 1},
        {"[\"\\x\"]", "invalid escape", 1},
        {"[\"\\u12\"]", "invalid \\u escape", 1},
        {"[\"\\ud800\"]", "surrogate", 1},
        {"[\"\\udc00\"]", "surrogate", 1},
        {"[\"\\u0000\"]", "\\u0000", 1},
        {"[\"\xc3\"]", "UTF-8", 1},
        {"[\"\xed\xa0\x80\"]", "UTF-8", 1},
        {"[\"\xc0\xaf\"]", "UTF-8", 1},
        {"[tru]", "invalid token", 1},
        {"{\"a\" 1}", "':' expected", 1},
        {"{1:2}", "string or '}' expected", 1},
        {"[1,]", "invalid token", 1},
        {"[\"abc", "end of file in a string", 1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct al__json_doc doc;
        char msg[128];
        int line;
        int rc = parse(bad[i].text, &doc, msg, &line);
        al__json_doc_release(&doc);
        if (rc != -AL_EINVAL || !strstr(msg, bad[i].message) || line != bad[i].line) {
            print_error("%s: got rc %d, \"%s\" at line %d; want \"%s\" at line %d\n", bad[i].text,
                        rc, msg, line, bad[i].message, bad[i].line);
            fail();
        }
    }
}

static void nesting_is_bounded(void **state) {
    size_t depth = AL__JSON_MAX_DEPTH + 1;
    char *text = malloc(2 * depth + 1);
    struct al__json_doc doc;
    char msg[128];
    int line;
    (void)state;
    assert_non_null(text);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = '\0';
    assert_int_equal(parse(text, &doc, msg, &line), -AL_EINVAL);
    assert_non_null(strstr(msg, "depth"));
    al__json_doc_release(&doc);
    text[depth - 1] = ' ';
    text[depth] = ' '; /* one level less: accepted */
    assert_int_equal(parse(text, &doc, msg, &line), 0);
    al__json_doc_release(&doc);
    free(text);
}

static uint32_t rng = 12345;

static uint32_t next(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng % n;
}

static void append(char *buf, size_t cap, const char *s) {
    size_t len = strlen(buf);
    snprintf(buf + len, cap - len, "%s", s);
}

/* Appends a random JSON value of at most `depth` levels to buf. */
static void random_value(char *buf, size_t cap, int depth) {
    static const char *const atoms[] = {
        "0",     "-7",   "123456789012", "0.5",      "-2.5e3",      "1e-5",           "true",
        "false", "null", "\"\"",         "\"x\\n\"", "\"\\u00e9\"", "\"long string\""};
    size_t len = strlen(buf);
    if (len + 64 > cap)
        return;
    int kind = depth > 0 ? (int)next(4) : 3;
    if (kind == 0 || kind == 1) {
        bool object = kind == 0;
        append(buf, cap, object ? "{" : "[");
        int n = (int)next(5);
        for (int i = 0; i < n && strlen(buf) + 64 < cap; i++) {
            if (i)
                append(buf, cap, ",");
            if (object) {
                len = strlen(buf);
                snprintf(buf + len, cap - len, "\"k%d\":", i);
            }
            random_value(buf, cap, depth - 1);
        }
        append(buf, cap, object ? "}" : "]");
    } else {
        append(buf, cap, atoms[next(sizeof(atoms) / sizeof(atoms[0]))]);
    }
}

/* Our document and jansson's agree value for value (as converted by al__json_from_jansson). */
static bool same(const struct al__json *a, const struct al__json *b) {
    if (a->type != b->type || a->count != b->count)
        return false;
    switch (a->type) {
    case AL__JSON_INTEGER:
        return a->u.integer == b->u.integer;
    case AL__JSON_REAL:
        return a->u.real == b->u.real;
    case AL__JSON_STRING:
        return memcmp(a->u.string, b->u.string, a->count) == 0;
    case AL__JSON_ARRAY:
        for (size_t i = 0; i < a->count; i++)
            if (!same(&a->u.items[i], &b->u.items[i]))
                return false;
        return true;
    case AL__JSON_OBJECT:
        for (size_t i = 0; i < a->count; i++) {
            const struct al__json *other = al__json_get(b, a->u.members[i].key);
            if (!other || !same(&a->u.members[i].value, other))
                return false;
        }
        return true;
    default:
        return true;
    }
}

static void agrees_with_jansson(void **state) {
    char buf[8192];
    (void)state;
    for (int round = 0; round < 3000; round++) {
        buf[0] = '\0';
        append(buf, sizeof(buf), "[");
        random_value(buf, sizeof(buf) - 2, 4);
        append(buf, sizeof(buf), "]");
        size_t len = strlen(buf);
        if (round % 2) { /* a mutant: one byte changed */
            size_t at = next((uint32_t)len);
            buf[at] = "{}[],:\"\\0ae-. \x80"[next(16)];
        }
        struct al__json_doc ours, theirs;
        char msg[128];
        int line;
        json_error_t jerr;
        int rc = al__json_parse(buf, len, &ours, msg, sizeof(msg), &line);
        json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if ((rc == 0) != (j != NULL)) {
            print_error("%s\n  ours: %s; jansson: %s\n", buf, rc == 0 ? "accepted" : msg,
                        j ? "accepted" : jerr.text);
            fail();
        }
        if (j) {
            assert_int_equal(al__json_from_jansson(j, &theirs), 0);
            if (!same(ours.root, theirs.root)) {
                print_error("values differ: %s\n", buf);
                fail();
            }
            al__json_doc_release(&theirs);
            json_decref(j);
        }
        al__json_doc_release(&ours);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts),
        cmocka_unit_test(values_are_read),
        cmocka_unit_test(rejects_with_a_message_and_line),
        cmocka_unit_test(nesting_is_bounded),
        cmocka_unit_test(agrees_with_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
