/* test_log_window.c - where a local task's log is read from for `tail` (its last lines) and
 * `since` (by the time index its supervisor keeps): lines with and without a last newline,
 * blocks longer than one read, marks before, between and after a time, no index at all. */
#define _GNU_SOURCE /* mkdtemp */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backends/local/log_window.h"
#include "backends/local/supervisor/log_index.h"
#include "support/tempdir.h"

static char dir[256];

static int setup(void **state) {
    (void)state;
    return tb_tempdir_make(dir, sizeof(dir), "allot-logwin");
}

static int teardown(void **state) {
    (void)state;
    return tb_tempdir_remove(dir);
}

/* A file at dir/name holding len bytes of text; open for reading. */
static int file_with(const char *name, const char *text, size_t len) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    return fd;
}

static void tail_counts_lines_from_the_end(void **state) {
    (void)state;
    int fd = file_with("a.log", "one\ntwo\nthree\n", 14);
    assert_int_equal(al__log_tail(fd, 14, 1), 8);  /* "three\n" */
    assert_int_equal(al__log_tail(fd, 14, 2), 4);  /* "two\nthree\n" */
    assert_int_equal(al__log_tail(fd, 14, 3), 0);  /* all */
    assert_int_equal(al__log_tail(fd, 14, 99), 0); /* fewer lines than asked: all */
    assert_int_equal(al__log_tail(fd, 14, 0), 14); /* none: from the end */
    close(fd);
    fd = file_with("b.log", "one\ntwo", 7); /* a last line still being written counts */
    assert_int_equal(al__log_tail(fd, 7, 1), 4);
    assert_int_equal(al__log_tail(fd, 7, 2), 0);
    close(fd);
    fd = file_with("c.log", "", 0);
    assert_int_equal(al__log_tail(fd, 0, 5), 0);
    close(fd);
}

static void tail_reads_past_one_block(void **state) {
    (void)state;
    size_t len = 200000; /* lines of 100 bytes: more than three blocks of 64 KiB */
    char *text = malloc(len);
    for (size_t i = 0; i < len; i++)
        text[i] = (i + 1) % 100 == 0 ? '\n' : 'x';
    int fd = file_with("big.log", text, len);
    assert_int_equal(al__log_tail(fd, (int64_t)len, 1), (int64_t)len - 100);
    assert_int_equal(al__log_tail(fd, (int64_t)len, 1500), (int64_t)len - 150000);
    assert_int_equal(al__log_tail(fd, (int64_t)len, 2000), 0);
    close(fd);
    free(text);
}

static void since_starts_at_the_last_mark_before_the_time(void **state) {
    const struct al__log_mark marks[] = {{100, 0}, {101, 40}, {105, 90}, {105, 95}, {120, 300}};
    char path[512];
    (void)state;
    close(file_with("t.idx", (const char *)marks, sizeof(marks)));
    snprintf(path, sizeof(path), "%s/t.idx", dir);
    assert_int_equal(al__log_since(path, 50), 0);  /* before everything */
    assert_int_equal(al__log_since(path, 100), 0); /* written at 100 or after: all of it */
    assert_int_equal(al__log_since(path, 101), 0);
    assert_int_equal(al__log_since(path, 102), 40); /* the first 40 bytes were there by 101 */
    assert_int_equal(al__log_since(path, 105), 40);
    assert_int_equal(al__log_since(path, 106), 95);  /* the last of the marks at 105 */
    assert_int_equal(al__log_since(path, 121), 300); /* nothing written since */
    snprintf(path, sizeof(path), "%s/none.idx", dir);
    assert_int_equal(al__log_since(path, 106), 0); /* no index: the whole log */
}

/* The writer the supervisor uses: a mark when it opens, one per change after. */
static void the_writer_marks_changes_only(void **state) {
    char path[512];
    (void)state;
    int log = file_with("w.log", "before\n", 7);
    snprintf(path, sizeof(path), "%s/w.idx", dir);
    struct al__log_index x;
    al__log_index_open(&x, path, log);
    assert_true(x.fd >= 0);
    assert_false(al__log_index_note(&x)); /* unchanged */
    assert_int_equal(write(log, "after\n", 6), 6);
    assert_true(al__log_index_note(&x));
    close(x.fd);
    struct al__log_mark m[3];
    int fd = open(path, O_RDONLY);
    assert_int_equal(read(fd, m, sizeof(m)), (ssize_t)(2 * sizeof(m[0])));
    close(fd);
    assert_int_equal(m[0].length, 7);
    assert_int_equal(m[1].length, 13);
    assert_true(m[1].time_s >= m[0].time_s);
    /* a second run goes on in the same file; a record cut short by a crash is dropped */
    fd = open(path, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, "xyz", 3), 3);
    close(fd);
    al__log_index_open(&x, path, log);
    close(x.fd);
    fd = open(path, O_RDONLY);
    assert_int_equal(read(fd, m, sizeof(m)), (ssize_t)(3 * sizeof(m[0])));
    close(fd);
    assert_int_equal(m[2].length, 13);
    close(log);
    al__log_index_open(&x, NULL, log); /* no path: no index, nothing noted */
    assert_int_equal(x.fd, -1);
    assert_false(al__log_index_note(&x));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tail_counts_lines_from_the_end),
        cmocka_unit_test(tail_reads_past_one_block),
        cmocka_unit_test(since_starts_at_the_last_mark_before_the_time),
        cmocka_unit_test(the_writer_marks_changes_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
