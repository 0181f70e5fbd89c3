/* test_frames.c - the frames of attach and exec streams: headers read back whole or not yet, a
 * length over the limit refused, exec requests encoded and decoded, malformed ones refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream/frames.h"

static void a_frame_is_read_once_it_is_whole(void **state) {
    unsigned char buf[AL__FRAME_HEADER + 3];
    char type;
    const unsigned char *payload;
    size_t len;
    (void)state;
    al__frame_header(buf, AL__FRAME_INPUT, 3);
    memcpy(buf + AL__FRAME_HEADER, "abc", 3);
    for (size_t n = 0; n < sizeof buf; n++) /* a part of it is not a frame yet */
        assert_int_equal(al__frame_next(buf, n, &type, &payload, &len), 0);
    assert_int_equal(al__frame_next(buf, sizeof buf, &type, &payload, &len), sizeof buf);
    assert_int_equal(type, 'i');
    assert_int_equal(len, 3);
    assert_memory_equal(payload, "abc", 3);
}

static void a_length_over_the_limit_is_malformed(void **state) {
    unsigned char buf[AL__FRAME_HEADER];
    char type;
    const unsigned char *payload;
    size_t len;
    (void)state;
    al__frame_header(buf, AL__FRAME_OUTPUT, AL__FRAME_MAX);
    assert_int_equal(al__frame_next(buf, sizeof buf, &type, &payload, &len), 0);
    al__frame_header(buf, AL__FRAME_OUTPUT, AL__FRAME_MAX + 1);
    assert_int_equal(al__frame_next(buf, sizeof buf, &type, &payload, &len), -1);
    unsigned char code[4];
    al__frame_put_i32(code, -1);
    assert_int_equal(al__frame_get_i32(code), -1);
    al__frame_put_u16(code, 65535);
    assert_int_equal(al__frame_get_u16(code), 65535);
}

static void an_exec_request_comes_back_as_sent(void **state) {
    char *argv[] = {"sh", "-c", "echo \"$A\"", "", NULL}, *env[] = {"TERM=xterm", NULL};
    struct al__exec_request r = {true, argv, env}, back;
    size_t len;
    (void)state;
    unsigned char *p = al__exec_encode(&r, &len);
    assert_non_null(p);
    assert_int_equal(al__exec_decode(p, len, &back), 0);
    assert_true(back.tty);
    for (int i = 0; argv[i]; i++)
        assert_string_equal(back.argv[i], argv[i]); /* an empty argument stays one */
    assert_null(back.argv[4]);
    assert_string_equal(back.env[0], "TERM=xterm");
    assert_null(back.env[1]);
    al__exec_request_release(&back);
    free(p);
}

static void malformed_exec_requests_are_refused(void **state) {
    char *argv[] = {"true", NULL}, *none[] = {NULL}, *empty[] = {"", NULL};
    struct al__exec_request r = {false, argv, none}, back;
    size_t len;
    (void)state;
    unsigned char *p = al__exec_encode(&r, &len);
    assert_non_null(p);
    assert_int_equal(al__exec_decode(p, len - 1, &back), -1); /* the last NUL cut off */
    p[4] = 2;                                                 /* says two arguments, has one */
    assert_int_equal(al__exec_decode(p, len, &back), -1);
    p[4] = 1;
    p[0] = 7; /* an unknown flag */
    assert_int_equal(al__exec_decode(p, len, &back), -1);
    assert_int_equal(al__exec_decode(p, 3, &back), -1);
    free(p);
    r.argv = none; /* no command */
    p = al__exec_encode(&r, &len);
    assert_int_equal(al__exec_decode(p, len, &back), -1);
    free(p);
    r.argv = empty; /* a command with no name */
    p = al__exec_encode(&r, &len);
    assert_int_equal(al__exec_decode(p, len, &back), -1);
    free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_frame_is_read_once_it_is_whole),
        cmocka_unit_test(a_length_over_the_limit_is_malformed),
        cmocka_unit_test(an_exec_request_comes_back_as_sent),
        cmocka_unit_test(malformed_exec_requests_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
