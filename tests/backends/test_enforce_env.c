/* test_enforce_env.c - the variables of a task run under liballot-cuda.so (backends/enforce.h):
 * the memory cap for a portion and for a memory request over one and several devices, the
 * ledger name, LD_PRELOAD merged with the task's own; the local backend's choice of library
 * (given, missing, disabled), the task environment it makes from them, and the removal of a
 * ledger segment a killed supervisor left. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backends/enforce.h"
#include "backends/local/cuda_inject.h"
#include "backends/local/task_env.h"
#include "support/tempdir.h"

static struct al__node_gpu node_gpus[] = {{81920, "A100"}, {16384, "T4"}, {81920, "A100"}};
static struct al__node node = {.name = "n", .gpus = node_gpus, .gpu_count = 3};

static struct al__task_start task(const int32_t *gpus, size_t n, int32_t milli, int32_t mib) {
    static const char *const argv[] = {"true", NULL};
    return (struct al__task_start){.key = {41, 2},
                                   .workload = "w",
                                   .project = "p",
                                   .workers = 1,
                                   .gpus = gpus,
                                   .gpu_count = n,
                                   .gpu_milli = milli,
                                   .gpu_memory_mib = mib,
                                   .enforce = true,
                                   .argv = argv,
                                   .run = 3};
}

static void a_portion_caps_each_device_at_its_share(void **state) {
    const int32_t one[] = {0}, same[] = {0, 2}, mixed[] = {0, 1};
    struct al__enforce_env e;
    (void)state;
    struct al__task_start s = task(one, 1, 500, 0);
    al__enforce_env_of(&node, &s, "abcd1234", &e);
    assert_string_equal(e.memory_limit_mib, "40960");
    assert_string_equal(e.ledger, "abcd1234-41-2-3");
    s = task(same, 2, 250, 0);
    al__enforce_env_of(&node, &s, "", &e);
    assert_string_equal(e.memory_limit_mib, "20480"); /* one value for every device */
    assert_string_equal(e.ledger, "41-2-3");
    s = task(mixed, 2, 333, 0);
    al__enforce_env_of(&node, &s, NULL, &e);
    assert_string_equal(e.memory_limit_mib, "27279,5455"); /* rounded down, in device order */
}

static void a_memory_request_caps_at_the_mib_asked(void **state) {
    const int32_t mixed[] = {1, 0};
    struct al__enforce_env e;
    (void)state;
    struct al__task_start s = task(mixed, 2, 0, 8192);
    al__enforce_env_of(&node, &s, "x", &e);
    assert_string_equal(e.memory_limit_mib, "8192");
    assert_true(al__enforce_shares(&s));
}

static void a_dynamic_fraction_caps_at_its_limit_beside_its_request(void **state) {
    const int32_t one[] = {0}, mixed[] = {1, 0};
    struct al__enforce_env e;
    (void)state;
    struct al__task_start s = task(one, 1, 250, 0);
    s.gpu_milli_limit = 500;
    s.node = 2;
    assert_true(al__enforce_dynamic(&s));
    al__enforce_env_of(&node, &s, "abcd1234", &e);
    assert_string_equal(e.memory_limit_mib, "40960");
    assert_string_equal(e.memory_request_mib, "20480");
    assert_string_equal(e.device_ledger, "abcd1234-n2-g0");
    s = task(mixed, 2, 0, 10240);
    s.gpu_memory_limit_mib = 40960; /* above the T4's 16384: capped there */
    al__enforce_env_of(&node, &s, "", &e);
    assert_string_equal(e.memory_limit_mib, "16384,40960");
    assert_string_equal(e.memory_request_mib, "10240");
    assert_string_equal(e.device_ledger, "n0-g1,n0-g0");
    s = task(one, 1, 500, 0); /* a plain share registers its request too (request = limit) */
    assert_false(al__enforce_dynamic(&s));
    al__enforce_env_of(&node, &s, "x", &e);
    assert_string_equal(e.memory_limit_mib, "40960");
    assert_string_equal(e.memory_request_mib, "40960");
    assert_string_equal(e.device_ledger, "x-n0-g0");
}

static void whole_gpus_have_no_variables(void **state) {
    const int32_t one[] = {0};
    struct al__enforce_env e;
    (void)state;
    struct al__task_start s = task(one, 1, 0, 0);
    al__enforce_env_of(&node, &s, "x", &e);
    assert_false(al__enforce_shares(&s));
    assert_string_equal(e.memory_limit_mib, "");
    assert_string_equal(e.ledger, "");
}

static void the_library_goes_in_front_of_the_tasks_preload(void **state) {
    char *v;
    (void)state;
    v = al__enforce_preload("/l/liballot-cuda.so", NULL);
    assert_string_equal(v, "/l/liballot-cuda.so");
    free(v);
    v = al__enforce_preload("/l/liballot-cuda.so", "");
    assert_string_equal(v, "/l/liballot-cuda.so");
    free(v);
    v = al__enforce_preload("/l/liballot-cuda.so", "libmine.so:libtwo.so");
    assert_string_equal(v, "/l/liballot-cuda.so libmine.so:libtwo.so");
    free(v);
    v = al__enforce_preload("/l/liballot-cuda.so", "a.so /l/liballot-cuda.so");
    assert_string_equal(v, "a.so /l/liballot-cuda.so"); /* not twice */
    free(v);
}

static const char *env_get(char **env, const char *key) {
    const char *found = NULL;
    size_t n = strlen(key);
    for (size_t i = 0; env[i]; i++)
        if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
            found = env[i] + n + 1; /* the last wins, as when the task starts */
    return found;
}

static void the_task_env_carries_the_library_where_it_applies(void **state) {
    const int32_t one[] = {1};
    const char *env[] = {"LD_PRELOAD=mine.so", NULL};
    struct al__inventory inv = {.nodes = &node, .node_count = 1};
    struct al__task_user u = {"u", "/home/u", "/bin/sh"};
    struct al__task_cuda cuda = {"/l/liballot-cuda.so", "s1"};
    (void)state;
    struct al__task_start s = task(one, 1, 500, 0);
    s.env = env;
    char **e = al__task_env(&u, &inv, &s, &cuda);
    assert_string_equal(env_get(e, "LD_PRELOAD"), "/l/liballot-cuda.so mine.so");
    assert_string_equal(env_get(e, "ALLOT_GPU_MEMORY_LIMIT_MIB"), "8192");
    assert_string_equal(env_get(e, "ALLOT_TASK_LEDGER"), "s1-41-2-3");
    al__task_env_free(e);
    s.enforce = false; /* the workload opted out: its own preload only, the cap still told */
    e = al__task_env(&u, &inv, &s, &cuda);
    assert_string_equal(env_get(e, "LD_PRELOAD"), "mine.so");
    assert_string_equal(env_get(e, "ALLOT_GPU_MEMORY_LIMIT_MIB"), "8192");
    assert_null(env_get(e, "ALLOT_TASK_LEDGER"));
    al__task_env_free(e);
    s.enforce = true;
    cuda.library = NULL; /* missing or disabled */
    e = al__task_env(&u, &inv, &s, &cuda);
    assert_null(env_get(e, "ALLOT_TASK_LEDGER"));
    al__task_env_free(e);
    s = task(one, 1, 0, 0); /* whole GPUs */
    e = al__task_env(&u, &inv, &s, &(struct al__task_cuda){"/l/liballot-cuda.so", "s1"});
    assert_null(env_get(e, "LD_PRELOAD"));
    assert_null(env_get(e, "ALLOT_GPU_MEMORY_LIMIT_MIB"));
    al__task_env_free(e);
}

static void the_library_is_found_or_enforcement_says_why_not(void **state) {
    struct al__local_cuda c;
    (void)state;
    al__local_cuda_open(&c, "/nonexistent/liballot-cuda.so", false, "/tmp");
    assert_null(c.task.library);
    assert_non_null(strstr(c.off, "no liballot-cuda.so at /nonexistent/liballot-cuda.so"));
    assert_int_equal(strlen(c.scope), 8);
    al__local_cuda_release(&c);
    al__local_cuda_open(&c, "/bin/../bin/sh", true, "/tmp");
    assert_null(c.task.library);
    assert_string_equal(c.off, "allotd --no-enforce");
    al__local_cuda_release(&c);
    al__local_cuda_open(&c, "/bin/../bin/sh", false, "/tmp"); /* any readable file */
    assert_non_null(c.task.library);
    assert_true(c.task.library[0] == '/' && !strstr(c.task.library, ".."));
    assert_string_equal(c.off, "");
    al__local_cuda_release(&c);
}

static void the_noted_segment_is_swept(void **state) {
    char dir[64], note[128], segment[128], *env[] = {"A=1", NULL, NULL};
    char ledger[64];
    (void)state;
    if (access("/dev/shm", W_OK) != 0)
        skip();
    assert_int_equal(tb_tempdir_make(dir, sizeof dir, "allot-sweep"), 0);
    snprintf(note, sizeof note, "%s/41-2.ledger", dir);
    snprintf(ledger, sizeof ledger, "ALLOT_TASK_LEDGER=test-%d-41-2-1", (int)getpid());
    snprintf(segment, sizeof segment, "/dev/shm/allot-cuda-test-%d-41-2-1", (int)getpid());
    env[1] = ledger;
    al__local_cuda_note(note, env);
    FILE *f = fopen(segment, "w");
    assert_non_null(f);
    fclose(f);
    al__local_cuda_sweep(note);
    assert_int_not_equal(access(segment, F_OK), 0);
    assert_int_not_equal(access(note, F_OK), 0);
    env[1] = "ALLOT_TASK_LEDGER=../../etc/passwd"; /* never a path out of /dev/shm */
    al__local_cuda_note(note, env);
    assert_int_not_equal(access(note, F_OK), 0);
    f = fopen(note, "w"); /* a note tampered with */
    assert_non_null(f);
    fputs("../x\n", f);
    fclose(f);
    al__local_cuda_sweep(note);
    al__local_cuda_sweep(note); /* none: nothing to do */
    assert_int_equal(tb_tempdir_remove(dir), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_portion_caps_each_device_at_its_share),
        cmocka_unit_test(a_memory_request_caps_at_the_mib_asked),
        cmocka_unit_test(a_dynamic_fraction_caps_at_its_limit_beside_its_request),
        cmocka_unit_test(whole_gpus_have_no_variables),
        cmocka_unit_test(the_library_goes_in_front_of_the_tasks_preload),
        cmocka_unit_test(the_task_env_carries_the_library_where_it_applies),
        cmocka_unit_test(the_library_is_found_or_enforcement_says_why_not),
        cmocka_unit_test(the_noted_segment_is_swept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
