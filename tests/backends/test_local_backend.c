/* test_local_backend.c - the local backend through allotd's backend interface (backend.h):
 * options, virtual nodes, a task's environment (the submitter's, its devices and identity), its
 * output with a marker between runs and read from its end, exit code, stop, re-adoption by key
 * and forgetting; ends learned as they happen. */
#define _GNU_SOURCE /* nanosleep, setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <time.h>

#include "allot/errors.h"
#include "backends/backend.h"
#include "support/tempdir.h"

#define WAIT_STEPS 1000 /* x 10 ms */

static char dir[64];

static int setup(void **state) {
    (void)state;
    return tb_tempdir_make(dir, sizeof dir, "allot-backend");
}

static int teardown(void **state) {
    (void)state;
    return tb_tempdir_remove(dir);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Opens the local backend with opts and the test build's supervisor program. */
static int open_with_supervisor(struct al__backend *b, const struct al__backend_option *opts,
                                size_t n, char *err, size_t size) {
    struct al__backend_option all[8];
    assert_true(n < 8);
    memcpy(all, opts, n * sizeof(*opts));
    all[n] = (struct al__backend_option){"supervisor", AL_TEST_SUPERVISOR};
    return al__backend_open(b, al__backend_find("local"), dir, all, n + 1, err, size);
}

static void open_local(struct al__backend *b, const struct al__backend_option *opts, size_t n) {
    char err[256] = "";
    int rc = open_with_supervisor(b, opts, n, err, sizeof err);
    if (rc != 0)
        fail_msg("open: %d %s", rc, err);
}

static enum al__task_status wait_end(struct al__backend *b, struct al__task_key key,
                                     const char *ref, int *code) {
    for (int i = 0; i < WAIT_STEPS; i++) {
        b->type->refresh(b); /* as allotd before each pass */
        enum al__task_status s = b->type->poll(b, key, ref, code);
        if (s != AL__TASK_RUNNING)
            return s;
        sleep_ms(10);
    }
    fail_msg("task did not end");
    return AL__TASK_LOST;
}

static void bad_options_are_named(void **state) {
    static const struct {
        struct al__backend_option opt;
        const char *message;
    } bad[] = {
        {{"bogus", "1"}, "--bogus: not an option of the local backend"},
        {{"nodes", "0"}, "--nodes: must be 1..10000"},
        {{"nodes", "10001"}, "--nodes: must be 1..10000"},
        {{"nodes", "3x"}, "--nodes: must be 1..10000"},
        {{"gpus", "4x80"}, "--gpus: \"4x80\": memory needs a unit"},
    };
    (void)state;
    assert_null(al__backend_find("nope"));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct al__backend b;
        char err[256] = "";
        int rc = open_with_supervisor(&b, &bad[i].opt, 1, err, sizeof err);
        assert_int_equal(rc, -AL_EINVAL);
        if (!strstr(err, bad[i].message))
            fail_msg("%s=%s: \"%s\" lacks \"%s\"", bad[i].opt.name, bad[i].opt.value, err,
                     bad[i].message);
    }
}

/* Tasks need allot-supervisor: a backend that cannot find it refuses to open, naming the path. */
static void missing_supervisor_is_named(void **state) {
    const struct al__backend_option opt = {"supervisor", "/nonexistent/allot-supervisor"};
    struct al__backend b;
    char err[256] = "";
    (void)state;
    assert_int_equal(al__backend_open(&b, al__backend_find("local"), dir, &opt, 1, err, sizeof err),
                     -AL_ENOENT);
    if (!strstr(err, "--supervisor: /nonexistent/allot-supervisor: No such file"))
        fail_msg("\"%s\" does not name the missing supervisor", err);
}

static void virtual_nodes_copy_the_machine(void **state) {
    const struct al__backend_option opts[] = {{"gpus", "2xA100-80GiB"}, {"nodes", "3"}};
    struct al__backend b;
    (void)state;
    open_local(&b, opts, 2);
    assert_int_equal(b.inventory.node_count, 3);
    assert_true(b.inventory.virtual_gpus);
    for (size_t i = 0; i < 3; i++) {
        const struct al__node *n = &b.inventory.nodes[i];
        char suffix[16];
        snprintf(suffix, sizeof suffix, "-%zu", i);
        assert_non_null(strstr(n->name, suffix));
        assert_int_equal(n->gpu_count, 2);
        assert_int_equal(n->gpus[1].memory_mib, 81920);
        assert_string_equal(n->gpus[1].model, "A100");
        assert_true(n->cpu_millis >= 1000);
    }
    assert_string_not_equal(b.inventory.nodes[0].name, b.inventory.nodes[1].name);
    al__backend_close(&b);
}

static void a_task_sees_its_devices_and_node_and_its_output_is_kept(void **state) {
    const struct al__backend_option opts[] = {{"gpus", "2x80GiB"}, {"nodes", "2"}};
    const char *argv[] = {"sh", "-c",
                          "echo $CUDA_VISIBLE_DEVICES $ALLOT_GPU_FRACTION $ALLOT_NODE $FOO; "
                          "exit 3",
                          NULL};
    const char *env[] = {"FOO=bar", "CUDA_VISIBLE_DEVICES=9", "ALLOT_NODE=forged", NULL};
    const int32_t gpus[] = {1};
    struct al__backend b;
    char ref[AL__TASK_REF_MAX] = "", err[256] = "", out[256] = "", expected[256];
    int code = -1;
    (void)state;
    open_local(&b, opts, 2);
    struct al__task_key key = {41, 2};
    struct al__task_start s = {.key = key,
                               .workload = "w",
                               .project = "p",
                               .workers = 3,
                               .node = 1,
                               .gpus = gpus,
                               .gpu_count = 1,
                               .gpu_milli = 500,
                               .argv = argv,
                               .env = env};
    b.type->prepare(&b, key);
    assert_int_equal(b.type->start(&b, &s, ref, err, sizeof err), 0);
    assert_true(ref[0] != '\0');
    char found[AL__TASK_REF_MAX] = "";
    if (b.type->find(&b, key, found) == 0) /* it may have ended already */
        assert_string_equal(found, ref);
    assert_int_equal(wait_end(&b, key, ref, &code), AL__TASK_EXITED);
    assert_int_equal(code, 3);
    ssize_t n = b.type->log_read(&b, key, ref, 0, out, sizeof out - 1, err, sizeof err);
    assert_true(n > 0);
    out[n] = '\0';
    snprintf(expected, sizeof expected, "1 0.500 %s bar\n", b.inventory.nodes[1].name);
    assert_string_equal(out, expected);
    assert_int_equal(b.type->log_read(&b, key, ref, 2, out, 5, err, sizeof err),
                     5); /* at an offset */
    assert_memory_equal(out, "0.500", 5);
    b.type->describe(&b, ref, out, sizeof out);
    assert_non_null(strstr(out, "process group"));
    json_t *task = json_object();
    b.type->task_json(&b, ref, task);
    assert_true(json_integer_value(json_object_get(task, "pid")) > 0);
    json_decref(task);
    b.type->forget(&b, key); /* nothing of it is shown again */
    assert_int_equal(b.type->log_read(&b, key, "", 0, out, sizeof out, err, sizeof err), 0);
    assert_int_equal(b.type->find(&b, key, found), -AL_ENOENT);
    assert_int_equal(b.type->stop(&b, "", AL__STOP_NOW), -AL_ENOENT);
    assert_int_equal(b.type->stop(&b, "not a ref", AL__STOP_NOW), -AL_ENOENT);
    al__backend_close(&b);
}

/* A task runs with the base, the submitter's carried variables, those set (which win), PWD and
 * the backend's own - never allotd's own environment, nor a reserved name the submitter sent. */
static void a_task_gets_the_submitters_environment_not_allotds(void **state) {
    const struct al__backend_option opts[] = {{"gpus", "1x80GiB"}};
    const char *argv[] = {"sh", "-c",
                          "echo \"$FROM $BOTH $SET [$ALLOTD_ONLY] $CUDA_VISIBLE_DEVICES $PWD\"; "
                          "echo \"$PATH\"; test -n \"$HOME\" && echo home",
                          NULL};
    const char *exported[] = {"FROM=exported", "BOTH=exported", "PATH=/opt/venv/bin:/usr/bin:/bin",
                              "CUDA_VISIBLE_DEVICES=7", NULL};
    const char *env[] = {"BOTH=set", "SET=set", NULL};
    const int32_t gpus[] = {0};
    struct al__backend b;
    char ref[AL__TASK_REF_MAX] = "", err[256] = "", out[512] = "";
    int code = -1;
    (void)state;
    assert_int_equal(setenv("ALLOTD_ONLY", "allotd's", 1), 0);
    open_local(&b, opts, 1);
    struct al__task_key key = {9, 0};
    struct al__task_start s = {.key = key,
                               .workload = "w",
                               .project = "p",
                               .workers = 1,
                               .gpus = gpus,
                               .gpu_count = 1,
                               .argv = argv,
                               .exported_env = exported,
                               .env = env,
                               .workdir = "/tmp"};
    assert_int_equal(b.type->start(&b, &s, ref, err, sizeof err), 0);
    assert_int_equal(wait_end(&b, key, ref, &code), AL__TASK_EXITED);
    assert_int_equal(code, 0);
    ssize_t n = b.type->log_read(&b, key, ref, 0, out, sizeof out - 1, err, sizeof err);
    assert_true(n > 0);
    out[n] = '\0';
    assert_string_equal(out, "exported set set [] 0 /tmp\n/opt/venv/bin:/usr/bin:/bin\nhome\n");
    unsetenv("ALLOTD_ONLY");
    b.type->forget(&b, key);
    al__backend_close(&b);
}

/* A second run appends its marker; tail and since find where to start; a missing directory is
 * named. */
static void runs_are_marked_and_the_log_read_from_its_end(void **state) {
    const struct al__backend_option opts[] = {{"gpus", "1x80GiB"}};
    const char *argv[] = {"sh", "-c", "echo a; echo b", NULL};
    struct al__backend b;
    char ref[AL__TASK_REF_MAX] = "", err[256] = "", out[512] = "";
    int code = -1;
    int64_t from = -1;
    (void)state;
    open_local(&b, opts, 1);
    struct al__task_key key = {10, 0};
    struct al__task_start s = {
        .key = key, .workload = "w", .project = "p", .workers = 1, .argv = argv, .run = 1};
    assert_int_equal(b.type->start(&b, &s, ref, err, sizeof err), 0);
    assert_int_equal(wait_end(&b, key, ref, &code), AL__TASK_EXITED);
    s.run = 2;
    s.after = "evicted by reclaim for team-b/x";
    b.type->prepare(&b, key);
    assert_int_equal(b.type->start(&b, &s, ref, err, sizeof err), 0);
    assert_int_equal(wait_end(&b, key, ref, &code), AL__TASK_EXITED);
    ssize_t n = b.type->log_read(&b, key, ref, 0, out, sizeof out - 1, err, sizeof err);
    out[n > 0 ? n : 0] = '\0';
    assert_memory_equal(out, "a\nb\n----- allot: run 2 of task 0 started 20", 40);
    assert_non_null(strstr(out, "Z (after: evicted by reclaim for team-b/x) -----\na\nb\n"));
    assert_int_equal(b.type->log_from(&b, key, ref, -1, 2, &from, err, sizeof err), 0);
    assert_int_equal(from, n - 4); /* "a\nb\n" of the second run */
    assert_int_equal(b.type->log_from(&b, key, ref, 1, -1, &from, err, sizeof err), 0);
    assert_int_equal(from, 0); /* since long ago: all */
    assert_int_equal(b.type->log_from(&b, key, ref, 4102444800, 5, &from, err, sizeof err), 0);
    assert_int_equal(from, n); /* since a time to come: nothing yet */
    struct al__task_key never = {11, 0};
    assert_int_equal(b.type->log_from(&b, never, "", 1, 3, &from, err, sizeof err), 0);
    assert_int_equal(from, 0);
    assert_int_equal(b.type->workdir_check(&b, "/tmp", err, sizeof err), 0);
    assert_int_equal(b.type->workdir_check(&b, "/nonexistent-allot-dir", err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent-allot-dir: No such file or directory on this "
                             "machine, where its tasks would start");
    assert_int_equal(b.type->workdir_check(&b, "/etc/passwd", err, sizeof err), -1);
    assert_non_null(strstr(err, "not a directory"));
    b.type->forget(&b, key);
    al__backend_close(&b);
}

static void a_stopped_task_ends_and_is_found_while_it_runs(void **state) {
    const struct al__backend_option opts[] = {{"gpus", "1x80GiB"}};
    const char *argv[] = {"sleep", "30", NULL};
    struct al__backend b;
    char ref[AL__TASK_REF_MAX] = "", found[AL__TASK_REF_MAX] = "", err[256] = "";
    int code = -1;
    (void)state;
    open_local(&b, opts, 1);
    struct al__task_key key = {7, 0};
    struct al__task_start s = {
        .key = key, .workload = "w", .project = "p", .workers = 1, .argv = argv};
    assert_int_equal(b.type->start(&b, &s, ref, err, sizeof err), 0);
    assert_int_equal(b.type->poll(&b, key, ref, &code), AL__TASK_RUNNING);
    assert_int_equal(b.type->find(&b, key, found), 0); /* as after a restart */
    assert_string_equal(found, ref);
    assert_int_equal(b.type->stop(&b, ref, AL__STOP_GRACEFUL), 0);
    assert_int_equal(wait_end(&b, key, ref, &code), AL__TASK_EXITED);
    assert_int_equal(code, 128 + 15); /* SIGTERM */
    b.type->prepare(&b, key);         /* placed again: the old exit is not taken for the new run */
    assert_int_equal(b.type->poll(&b, key, "", &code), AL__TASK_LOST);
    b.type->forget(&b, key);
    al__backend_close(&b);
}

/* A stop sent as soon as start returns reaches the command: start returns only once the command
 * is in the task's process group (under isolation too, where the namespace's init forks it
 * after setting the namespaces up: a signal to the group before that would be lost). */
static void a_stop_at_once_after_the_start_is_not_lost(void **state) {
    const struct al__backend_option opts[] = {{"gpus", "1x80GiB"}};
    const char *argv[] = {"sleep", "30", NULL};
    struct al__backend b;
    char ref[AL__TASK_REF_MAX] = "", err[256] = "";
    int code = -1;
    (void)state;
    open_local(&b, opts, 1);
    for (int i = 0; i < 20; i++) {
        struct al__task_key key = {12, i};
        struct al__task_start s = {
            .key = key, .workload = "w", .project = "p", .workers = 1, .argv = argv};
        assert_int_equal(b.type->start(&b, &s, ref, err, sizeof err), 0);
        assert_int_equal(b.type->stop(&b, ref, AL__STOP_GRACEFUL), 0);
        assert_int_equal(wait_end(&b, key, ref, &code), AL__TASK_EXITED);
        assert_int_equal(code, 128 + 15);
        b.type->forget(&b, key);
    }
    al__backend_close(&b);
}

/* A pass over the running tasks polls them only when refresh says one may have ended: a quiet
 * fleet costs no poll per task. refresh is false while nothing ended, true once a task did (and
 * poll then tells which), false again after. */
static void refresh_says_when_a_task_may_have_ended(void **state) {
    const struct al__backend_option opts[] = {{"gpus", "1x80GiB"}};
    const char *sleeper[] = {"sleep", "30", NULL}, *quick[] = {"true", NULL};
    struct al__backend b;
    char ref[2][AL__TASK_REF_MAX] = {"", ""}, err[256] = "";
    int code = -1;
    (void)state;
    open_local(&b, opts, 1);
    struct al__task_key keys[2] = {{8, 0}, {9, 0}};
    struct al__task_start s = {
        .key = keys[0], .workload = "w", .project = "p", .workers = 1, .argv = sleeper};
    assert_int_equal(b.type->start(&b, &s, ref[0], err, sizeof err), 0);
    b.type->refresh(&b); /* whatever ended before: noted */
    for (int i = 0; i < 20; i++) {
        assert_false(b.type->refresh(&b));
        sleep_ms(5);
    }
    s.key = keys[1];
    s.argv = quick;
    assert_int_equal(b.type->start(&b, &s, ref[1], err, sizeof err), 0);
    bool changed = false;
    for (int i = 0; i < WAIT_STEPS && !changed; i++) {
        changed = b.type->refresh(&b);
        if (!changed)
            sleep_ms(10);
    }
    assert_true(changed);
    assert_int_equal(b.type->poll(&b, keys[1], ref[1], &code), AL__TASK_EXITED);
    assert_int_equal(code, 0);
    assert_int_equal(b.type->poll(&b, keys[0], ref[0], &code), AL__TASK_RUNNING);
    assert_false(b.type->refresh(&b));
    assert_int_equal(b.type->stop(&b, ref[0], AL__STOP_NOW), 0);
    assert_int_equal(wait_end(&b, keys[0], ref[0], &code), AL__TASK_EXITED);
    for (int i = 0; i < 2; i++)
        b.type->forget(&b, keys[i]);
    al__backend_close(&b);
}

static void count_wake(void *arg) {
    __atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

/* A task's end is learned as it happens, not by a pass: allotd is woken (the reaper's wake)
 * with no refresh or poll called, and the next refresh says so. */
static void an_end_wakes_allotd_without_a_pass(void **state) {
    const struct al__backend_option opts[] = {{"gpus", "1x80GiB"}};
    const char *quick[] = {"true", NULL};
    struct al__backend b;
    char ref[AL__TASK_REF_MAX] = "", err[256] = "";
    int wakes = 0, code = -1;
    (void)state;
    open_local(&b, opts, 1);
    b.wake = count_wake;
    b.wake_arg = &wakes;
    struct al__task_key key = {10, 0};
    struct al__task_start s = {
        .key = key, .workload = "w", .project = "p", .workers = 1, .argv = quick};
    assert_int_equal(b.type->start(&b, &s, ref, err, sizeof err), 0);
    for (int i = 0; i < WAIT_STEPS && __atomic_load_n(&wakes, __ATOMIC_SEQ_CST) == 0; i++)
        sleep_ms(10);
    assert_true(__atomic_load_n(&wakes, __ATOMIC_SEQ_CST) > 0);
    assert_true(b.type->refresh(&b));
    assert_int_equal(b.type->poll(&b, key, ref, &code), AL__TASK_EXITED);
    assert_int_equal(code, 0);
    b.type->forget(&b, key);
    al__backend_close(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_options_are_named),
        cmocka_unit_test(missing_supervisor_is_named),
        cmocka_unit_test(virtual_nodes_copy_the_machine),
        cmocka_unit_test(a_task_sees_its_devices_and_node_and_its_output_is_kept),
        cmocka_unit_test(a_task_gets_the_submitters_environment_not_allotds),
        cmocka_unit_test(runs_are_marked_and_the_log_read_from_its_end),
        cmocka_unit_test(a_stopped_task_ends_and_is_found_while_it_runs),
        cmocka_unit_test(a_stop_at_once_after_the_start_is_not_lost),
        cmocka_unit_test(refresh_says_when_a_task_may_have_ended),
        cmocka_unit_test(an_end_wakes_allotd_without_a_pass),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
