/* test_fuzz.c - truncated and mutated case files: the parsers fail cleanly or succeed, never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "allot/snapshot.h"
#include "snapshot/scenario.h"
#include "support/cluster_diff.h"
#include "support/snapfiles.h"

#define TRUNCATE_STEP 97
#define MUTANTS       40

/* xorshift32: a fixed sequence, so that a failure can be replayed. */
static uint32_t next_random(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Parses text both ways; a document that parses must also survive write and parse again. */
static int parse_both(const char *what, const char *text, size_t len) {
    struct al_cluster c, back;
    struct al_scenario sc;
    struct al_snapshot_error err;
    char diff[256], *written;
    int rc = al_snapshot_parse(text, len, &c, &err), problems = 0;

    if (rc != 0 && rc != -AL_EINVAL) {
        print_error("%s: al_snapshot_parse returned %d\n", what, rc);
        return 1;
    }
    if (rc == 0) {
        written = al_snapshot_write(&c);
        if (!written || al_snapshot_parse(written, strlen(written), &back, &err) != 0) {
            print_error("%s: its written form does not parse: %s: %s\n", what, err.path,
                        err.message);
            problems++;
        } else {
            if (!tb_cluster_equal(&c, &back, diff, sizeof(diff))) {
                print_error("%s: round trip differs: %s\n", what, diff);
                problems++;
            }
            al_cluster_release(&back);
        }
        free(written);
        al_cluster_release(&c);
    }
    rc = al_scenario_parse(text, len, &sc, &err);
    if (rc != 0 && rc != -AL_EINVAL) {
        print_error("%s: al_scenario_parse returned %d\n", what, rc);
        problems++;
    }
    if (rc == 0)
        al_scenario_release(&sc);
    return problems;
}

static void test_truncated_case_files(void **state) {
    size_t count;
    char **files = tb_case_files(&count);
    int problems = 0;
    (void)state;
    assert_true(count > 0);
    for (size_t f = 0; f < count; f++) {
        size_t len;
        char *text = tb_read_file(files[f], &len);
        char what[512];
        assert_non_null(text);
        for (size_t cut = 0; cut < len; cut += TRUNCATE_STEP) {
            /* a copy of exactly `cut` bytes, so that ASan sees any read past the end */
            char *prefix = malloc(cut ? cut : 1);
            assert_non_null(prefix);
            memcpy(prefix, text, cut);
            snprintf(what, sizeof(what), "%s cut at %zu", files[f], cut);
            problems += parse_both(what, prefix, cut);
            free(prefix);
        }
        free(text);
    }
    tb_case_files_free(files, count);
    assert_int_equal(problems, 0);
}

/* Bytes that change JSON structure, numbers and literals, and any byte at all. */
static char mutant_byte(uint32_t *seed) {
    static const char interesting[] = "{}[]\",:0123456789-.eE tfn\\";
    uint32_t r = next_random(seed);
    if (r % 4 == 0)
        return (char)(r >> 8);
    return interesting[(r >> 8) % (sizeof(interesting) - 1)];
}

static void test_mutated_case_files(void **state) {
    size_t count;
    char **files = tb_case_files(&count);
    uint32_t seed = 20260807;
    int problems = 0;
    (void)state;
    assert_true(count > 0);
    for (size_t f = 0; f < count; f++) {
        size_t len;
        char *text = tb_read_file(files[f], &len);
        char what[512];
        assert_non_null(text);
        for (int m = 0; m < MUTANTS && len > 0; m++) {
            char *copy = malloc(len);
            int edits = 1 + (int)(next_random(&seed) % 3);
            assert_non_null(copy);
            memcpy(copy, text, len);
            for (int e = 0; e < edits; e++)
                copy[next_random(&seed) % len] = mutant_byte(&seed);
            snprintf(what, sizeof(what), "%s mutant %d", files[f], m);
            problems += parse_both(what, copy, len);
            free(copy);
        }
        free(text);
    }
    tb_case_files_free(files, count);
    assert_int_equal(problems, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_case_files),
        cmocka_unit_test(test_mutated_case_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
