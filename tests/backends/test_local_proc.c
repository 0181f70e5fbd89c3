/* test_local_proc.c - tasks run as supervised process groups: logs, exit codes, signals, pids. */
#define _GNU_SOURCE /* setenv, mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "allot/errors.h"
#include "backends/local/local.h"

#define WAIT_STEPS 1000 /* x 10 ms: tasks get 10 s, which no test should need */

struct fixture {
    char dir[64];
    char log[128];
    char exit[128];
    char pid[128];
};

static int setup(void **state) {
    static struct fixture f;
    snprintf(f.dir, sizeof f.dir, "/tmp/allot-proc-XXXXXX");
    if (!mkdtemp(f.dir))
        return -1;
    snprintf(f.log, sizeof f.log, "%s/task.log", f.dir);
    snprintf(f.exit, sizeof f.exit, "%s/task.exit", f.dir);
    snprintf(f.pid, sizeof f.pid, "%s/task.pid", f.dir);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *e;
    char path[PATH_MAX];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
            if (unlink(path) != 0)
                rmdir(path);
        }
    }
    if (d)
        closedir(d);
    return rmdir(f->dir);
}

static void sleep_ms(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static struct al__proc start(const struct fixture *f, char *const *argv, char *const *env,
                             const char *workdir) {
    struct al__launch launch = {.argv = argv,
                                .env = env,
                                .workdir = workdir,
                                .log_path = f->log,
                                .exit_path = f->exit,
                                .pid_path = f->pid,
                                .supervisor = AL_TEST_SUPERVISOR};
    struct al__proc proc = {0, 0};
    char err[256] = "";
    int rc = al__proc_start(&launch, &proc, err, sizeof err);
    if (rc != 0)
        fail_msg("al__proc_start: rc %d: %s", rc, err);
    assert_true(proc.pid > 1);
    assert_true(proc.start_ticks >= 0);
    return proc;
}

/* Polls until the task is no longer running; fails (after killing it) past 10 s. */
static enum al__proc_state wait_done(const struct al__proc *proc, const char *exit_path,
                                     int *code) {
    for (int i = 0; i < WAIT_STEPS; i++) {
        enum al__proc_state s = al__proc_poll(proc, exit_path, code);
        if (s != AL__PROC_RUNNING)
            return s;
        sleep_ms(10);
    }
    al__proc_signal(proc, SIGKILL);
    fail_msg("task %d still running after 10 s", (int)proc->pid);
    return AL__PROC_RUNNING;
}

static void expect_exit(const struct al__proc *proc, const char *exit_path, int expected) {
    int code = -2;
    enum al__proc_state s = wait_done(proc, exit_path, &code);
    if (s != AL__PROC_EXITED || code != expected)
        fail_msg("task ended in state %d with code %d, expected EXITED with %d", s, code, expected);
}

static const char *file_text(const char *path) {
    static char buf[8192];
    buf[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return "(missing)";
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void file_contains(const char *path, const char *text) {
    const char *content = file_text(path);
    if (!strstr(content, text))
        fail_msg("%s: expected \"%s\" in:\n%s", path, text, content);
}

static void output_lands_in_the_log_and_exit_code_is_recorded(void **state) {
    struct fixture *f = *state;
    int fd = open(f->log, O_WRONLY | O_CREAT, 0600);
    assert_true(write(fd, "before\n", 7) == 7);
    close(fd);
    char *argv[] = {"sh", "-c", "echo out; echo err >&2; read x || echo stdin-empty; exit 7", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    expect_exit(&proc, f->exit, 7);
    assert_string_equal(file_text(f->log), "before\nout\nerr\nstdin-empty\n");
    assert_string_equal(file_text(f->exit), "exit 7\n");
    struct stat st;
    assert_int_equal(stat(f->exit, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void new_log_is_private(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"true", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    expect_exit(&proc, f->exit, 0);
    struct stat st;
    assert_int_equal(stat(f->log, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void death_by_signal_is_128_plus_n(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"sh", "-c", "kill -USR1 $$", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    expect_exit(&proc, f->exit, 128 + SIGUSR1);
    char expected[32];
    snprintf(expected, sizeof expected, "signal %d\n", SIGUSR1);
    assert_string_equal(file_text(f->exit), expected);
}

/* The launch's env is the task's whole environment: nothing of the starting process's own, and
 * of a name given twice the last. */
static void launch_env_is_the_whole_environment(void **state) {
    struct fixture *f = *state;
    assert_int_equal(setenv("ALLOT_TEST_OLD", "allotd", 1), 0);
    assert_int_equal(setenv("ALLOT_TEST_KEPT", "allotd's own", 1), 0);
    char *argv[] = {"sh", "-c",
                    "echo \"$ALLOT_WORKLOAD $ALLOT_TEST_OLD [$ALLOT_TEST_KEPT]\";"
                    "env | grep -c '^ALLOT_TEST_OLD='",
                    NULL};
    char *env[] = {"ALLOT_WORKLOAD=train-1", "ALLOT_TEST_OLD=first", "ALLOT_TEST_OLD=task", NULL};
    struct al__proc proc = start(f, argv, env, NULL);
    expect_exit(&proc, f->exit, 0);
    assert_string_equal(file_text(f->log), "train-1 task []\n1\n");
    unsetenv("ALLOT_TEST_OLD");
    unsetenv("ALLOT_TEST_KEPT");
}

/* argv[0] is looked up in the task's PATH (the launch's when it sets one). */
static void command_is_looked_up_in_path(void **state) {
    struct fixture *f = *state;
    char script[160];
    snprintf(script, sizeof script, "%s/allot-test-cmd", f->dir);
    int fd = open(script, O_WRONLY | O_CREAT | O_TRUNC, 0700);
    const char *body = "#!/bin/sh\necho found \"$1\"\n";
    assert_true(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
    close(fd);
    char path[256];
    snprintf(path, sizeof path, "PATH=/nonexistent-dir::%s:/bin:/usr/bin", f->dir);
    char *argv[] = {"allot-test-cmd", "arg", NULL};
    char *env[] = {path, NULL};
    struct al__proc proc = start(f, argv, env, "/");
    expect_exit(&proc, f->exit, 0);
    assert_string_equal(file_text(f->log), "found arg\n");
}

static void workdir_is_respected(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"pwd", "-P", NULL};
    struct al__proc proc = start(f, argv, NULL, f->dir);
    expect_exit(&proc, f->exit, 0);
    char real[PATH_MAX], expected[PATH_MAX + 2];
    assert_non_null(realpath(f->dir, real));
    snprintf(expected, sizeof expected, "%s\n", real);
    assert_string_equal(file_text(f->log), expected);
}

static void missing_command_exits_127_with_a_message(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"allot-no-such-command", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    expect_exit(&proc, f->exit, 127);
    file_contains(f->log, "allot: cannot run allot-no-such-command: No such file or directory\n");
    char *absolute[] = {"/nonexistent/allot-cmd", NULL};
    proc = start(f, absolute, NULL, NULL);
    expect_exit(&proc, f->exit, 127);
    file_contains(f->log, "allot: cannot run /nonexistent/allot-cmd: No such file or directory\n");
    char *not_executable[] = {f->log, NULL};
    proc = start(f, not_executable, NULL, NULL);
    expect_exit(&proc, f->exit, 127);
    file_contains(f->log, ": Permission denied\n");
}

static void bad_workdir_exits_127_with_a_message(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"true", NULL};
    struct al__proc proc = start(f, argv, NULL, "/nonexistent-allot-dir");
    expect_exit(&proc, f->exit, 127);
    file_contains(f->log, "allot: cannot run true: cannot enter directory "
                          "/nonexistent-allot-dir: No such file or directory\n");
}

static void invalid_launches_are_refused(void **state) {
    struct fixture *f = *state;
    struct al__proc proc = {123, 456};
    char err[256] = "";
    char *argv[] = {"true", NULL};
    char *empty[] = {"", NULL};
    struct al__launch no_argv = {
        .argv = NULL, .log_path = f->log, .exit_path = f->exit, .supervisor = AL_TEST_SUPERVISOR};
    assert_int_equal(al__proc_start(&no_argv, &proc, err, sizeof err), -AL_EINVAL);
    struct al__launch empty_cmd = {
        .argv = empty, .log_path = f->log, .exit_path = f->exit, .supervisor = AL_TEST_SUPERVISOR};
    assert_int_equal(al__proc_start(&empty_cmd, &proc, err, sizeof err), -AL_EINVAL);
    char *env[] = {"NOEQUALS", NULL};
    struct al__launch bad_env = {.argv = argv,
                                 .env = env,
                                 .log_path = f->log,
                                 .exit_path = f->exit,
                                 .supervisor = AL_TEST_SUPERVISOR};
    assert_int_equal(al__proc_start(&bad_env, &proc, err, sizeof err), -AL_EINVAL);
    assert_non_null(strstr(err, "NOEQUALS"));
    struct al__launch bad_log = {.argv = argv,
                                 .log_path = "/nonexistent-allot-dir/log",
                                 .exit_path = f->exit,
                                 .supervisor = AL_TEST_SUPERVISOR};
    assert_int_equal(al__proc_start(&bad_log, &proc, err, sizeof err), -AL_EIO);
    assert_non_null(strstr(err, "cannot open log /nonexistent-allot-dir/log"));
    assert_int_equal(proc.pid, 123); /* untouched on failure */
    assert_int_equal(proc.start_ticks, 456);
}

/* Processes in group pgid that are not zombies. */
static int group_alive(pid_t pgid) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL) {
        char path[300], buf[1024];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[len > 0 ? len : 0] = '\0';
        char *p = strrchr(buf, ')');
        char st;
        int ppid, pgrp;
        if (p && sscanf(p + 1, " %c %d %d", &st, &ppid, &pgrp) == 3 && pgrp == pgid && st != 'Z')
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

static void wait_group_size(pid_t pgid, int at_least, int at_most) {
    int n = -1;
    for (int i = 0; i < WAIT_STEPS; i++) {
        n = group_alive(pgid);
        if (n >= at_least && n <= at_most)
            return;
        sleep_ms(10);
    }
    fail_msg("group %d has %d live processes, expected %d..%d", (int)pgid, n, at_least, at_most);
}

static void sigterm_reaches_grandchildren_and_supervisor_records_it(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"sh", "-c", "sleep 30 & sleep 30; wait", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    assert_int_equal(getpgid(proc.pid), proc.pid);
    wait_group_size(proc.pid, 4, 4); /* supervisor, sh and two sleeps */
    assert_int_equal(al__proc_signal(&proc, SIGTERM), 0);
    expect_exit(&proc, f->exit, 128 + SIGTERM);
    assert_string_equal(file_text(f->exit), "signal 15\n");
    wait_group_size(proc.pid, 0, 0);
}

/* al__proc_start returns once the group exists: a signal sent at once is not lost. */
static void background_processes_end_with_the_task(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"sh", "-c", "sleep 300 & exit 0", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    expect_exit(&proc, f->exit, 0);
    wait_group_size(proc.pid, 0, 0); /* the background sleep is gone too */
}

/* The pid file names the supervisor (a restarted allotd finds an unrecorded start by it). */
static void pid_file_finds_the_running_task(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"sleep", "30", NULL};
    struct al__proc found = {0, 0}, proc = start(f, argv, NULL, NULL);
    assert_int_equal(al__proc_find(f->pid, &found), 0);
    assert_int_equal(found.pid, proc.pid);
    assert_int_equal(found.start_ticks, proc.start_ticks);
    assert_int_equal(al__proc_signal(&proc, SIGKILL), 0);
    expect_exit(&proc, f->exit, 137);
    assert_int_equal(al__proc_find(f->pid, &found), -AL_ENOENT); /* gone */
    int fd = open(f->pid, O_WRONLY | O_TRUNC);
    assert_true(write(fd, "12x 5\n", 6) == 6);
    close(fd);
    assert_int_equal(al__proc_find(f->pid, &found), -AL_ENOENT); /* malformed */
    assert_int_equal(al__proc_find("/nonexistent-allot-dir/pid", &found), -AL_ENOENT);
}

/* A supervisor killed with SIGKILL writes no exit file and cannot clean up: its command dies
 * with it (PR_SET_PDEATHSIG) and the poll that notices kills what the command left behind. */
static void killed_supervisor_leaves_nothing_running(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"sh", "-c", "sleep 300 & wait", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    wait_group_size(proc.pid, 3, 3); /* supervisor, sh, sleep */
    assert_int_equal(kill(proc.pid, SIGKILL), 0);
    int code = 0;
    assert_int_equal(wait_done(&proc, f->exit, &code), AL__PROC_EXITED);
    assert_int_equal(code, 137);
    wait_group_size(proc.pid, 0, 0);
}

static void immediate_signal_reaches_the_command(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"sleep", "30", NULL};
    for (int i = 0; i < 20; i++) {
        struct al__proc proc = start(f, argv, NULL, NULL);
        assert_int_equal(al__proc_signal(&proc, SIGTERM), 0);
        expect_exit(&proc, f->exit, 128 + SIGTERM);
    }
}

static void sigkill_of_the_group_is_137_from_waitpid(void **state) {
    struct fixture *f = *state;
    int fd = open(f->exit, O_WRONLY | O_CREAT, 0600); /* a stale file of an earlier run */
    assert_true(write(fd, "exit 3\n", 7) == 7);
    close(fd);
    char *argv[] = {"sleep", "30", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    assert_int_equal(al__proc_poll(&proc, f->exit, &(int){0}), AL__PROC_RUNNING);
    assert_int_equal(al__proc_signal(&proc, SIGKILL), 0);
    expect_exit(&proc, f->exit, 137);
    assert_int_equal(access(f->exit, F_OK), -1);
    assert_int_equal(al__proc_signal(&proc, SIGTERM), -AL_ENOENT);
}

static void wrong_start_ticks_is_not_the_task(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"sleep", "30", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    struct al__proc bogus = {proc.pid, proc.start_ticks + 12345};
    int code = 0;
    assert_int_equal(al__proc_poll(&bogus, f->exit, &code), AL__PROC_LOST);
    assert_int_equal(code, -1);
    assert_int_equal(al__proc_signal(&bogus, SIGKILL), -AL_ENOENT);
    assert_int_equal(al__proc_poll(&proc, f->exit, &code), AL__PROC_RUNNING);
    struct al__proc nobody = {0, 0}, init = {1, al__proc_start_ticks(1)};
    assert_int_equal(al__proc_signal(&nobody, SIGKILL), -AL_ENOENT);
    assert_int_equal(al__proc_signal(&init, 0), -AL_ENOENT);
    assert_int_equal(al__proc_signal(&proc, SIGKILL), 0);
    expect_exit(&proc, f->exit, 137);
    assert_int_equal(al__proc_start_ticks(proc.pid), -1);
}

/* Starts a task from a child process that then exits, so the supervisor is not ours: as after
 * an allotd restart. */
static struct al__proc start_orphan(const struct fixture *f, char *const *argv) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t helper = fork();
    assert_true(helper >= 0);
    if (helper == 0) {
        struct al__launch launch = {.argv = argv,
                                    .log_path = f->log,
                                    .exit_path = f->exit,
                                    .supervisor = AL_TEST_SUPERVISOR};
        struct al__proc proc = {0, 0};
        char err[256];
        int rc = al__proc_start(&launch, &proc, err, sizeof err);
        _exit(rc == 0 && write(fds[1], &proc, sizeof proc) == sizeof proc ? 0 : 1);
    }
    close(fds[1]);
    struct al__proc proc = {0, 0};
    assert_int_equal(read(fds[0], &proc, sizeof proc), sizeof proc);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(helper, &status, 0), helper);
    assert_int_equal(status, 0);
    assert_int_equal(waitpid(proc.pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
    return proc;
}

static void adopted_task_is_polled_and_signalled(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"sleep", "30", NULL};
    struct al__proc proc = start_orphan(f, argv);
    int code = 0;
    assert_int_equal(al__proc_poll(&proc, f->exit, &code), AL__PROC_RUNNING);
    assert_int_equal(al__proc_signal(&proc, SIGTERM), 0);
    expect_exit(&proc, f->exit, 128 + SIGTERM);
    proc = start_orphan(f, argv);
    assert_int_equal(al__proc_signal(&proc, SIGKILL), 0);
    assert_int_equal(wait_done(&proc, f->exit, &code), AL__PROC_LOST);
    assert_int_equal(code, -1);
}

/* allotd's descriptors (sockets, database) do not leak into the supervisor or the command. */
static void inherited_descriptors_are_closed(void **state) {
    struct fixture *f = *state;
    int fd = open("/dev/null", O_RDONLY);
    assert_int_equal(dup2(fd, 57), 57); /* not close-on-exec */
    close(fd);
    char *argv[] = {"sh", "-c", "test -e /proc/self/fd/57 && echo leaked; sleep 30", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/57", (int)proc.pid);
    for (int i = 0; i < 100 && access(path, F_OK) == 0; i++)
        sleep_ms(10); /* closed soon after fork */
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(al__proc_signal(&proc, SIGTERM), 0);
    expect_exit(&proc, f->exit, 128 + SIGTERM);
    close(57);
    assert_string_equal(file_text(f->log), "");
}

/* /proc/PID/cmdline of pid, its NULs as spaces and trailing ones dropped ("" when gone). */
static const char *cmdline_of(pid_t pid) {
    static char text[8192];
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : 0;
    if (fd >= 0)
        close(fd);
    while (n > 0 && text[n - 1] == '\0')
        n--;
    for (ssize_t i = 0; i < n; i++)
        text[i] = text[i] ? text[i] : ' ';
    text[n > 0 ? n : 0] = '\0';
    return text;
}

/* A run after the first: its marker goes into the log before its output; its supervisor shows
 * ps its task, not its command line; it notes in the index when the log grew. */
static void a_marked_titled_run_notes_its_output(void **state) {
    struct fixture *f = *state;
    char index[160], comm[64] = "";
    snprintf(index, sizeof index, "%s/task.idx", f->dir);
    char *argv[] = {"sh", "-c", "echo out; exec sleep 30", NULL};
    struct al__launch launch = {.argv = argv,
                                .log_path = f->log,
                                .exit_path = f->exit,
                                .marker = "----- allot: run 2 -----\n",
                                .index_path = index,
                                .title = "allot-task team-a/train/3",
                                .supervisor = AL_TEST_SUPERVISOR};
    struct al__proc proc = {0, 0};
    char err[256] = "";
    assert_int_equal(al__proc_start(&launch, &proc, err, sizeof err), 0);
    for (int i = 0; i < WAIT_STEPS && strcmp(cmdline_of(proc.pid), launch.title) != 0; i++)
        sleep_ms(10);
    assert_string_equal(cmdline_of(proc.pid), "allot-task team-a/train/3");
    snprintf(index, sizeof index, "/proc/%d/comm", (int)proc.pid);
    int fd = open(index, O_RDONLY);
    assert_true(read(fd, comm, sizeof comm - 1) > 0);
    close(fd);
    assert_string_equal(comm, "allot-task\n");
    for (int i = 0; i < WAIT_STEPS && strcmp(file_text(f->log), "----- allot: run 2 -----\nout\n");
         i++)
        sleep_ms(10);
    assert_int_equal(al__proc_signal(&proc, SIGTERM), 0);
    expect_exit(&proc, f->exit, 128 + SIGTERM);
    assert_string_equal(file_text(f->log), "----- allot: run 2 -----\nout\n");
    struct stat st;
    snprintf(index, sizeof index, "%s/task.idx", f->dir);
    assert_int_equal(stat(index, &st), 0);
    assert_true(st.st_size >= 16 && st.st_size % 16 == 0); /* a mark at least, whole ones */
}

/* The supervisor is allot-supervisor, not a copy of the process that started it: a task holds
 * none of allotd's memory. */
static void supervisor_is_its_own_program(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"sleep", "30", NULL};
    struct al__proc proc = start(f, argv, NULL, NULL);
    char link[64], exe[PATH_MAX], expected[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)proc.pid);
    ssize_t n = readlink(link, exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    assert_non_null(realpath(AL_TEST_SUPERVISOR, expected));
    assert_string_equal(exe, expected);
    assert_int_equal(al__proc_signal(&proc, SIGTERM), 0);
    expect_exit(&proc, f->exit, 128 + SIGTERM);
}

static void missing_supervisor_is_named(void **state) {
    struct fixture *f = *state;
    char *argv[] = {"true", NULL};
    struct al__proc proc = {123, 456};
    char err[256] = "";
    struct al__launch launch = {.argv = argv,
                                .log_path = f->log,
                                .exit_path = f->exit,
                                .supervisor = "/nonexistent-allot-dir/allot-supervisor"};
    assert_int_equal(al__proc_start(&launch, &proc, err, sizeof err), -AL_EIO);
    assert_string_equal(err, "cannot start the task supervisor "
                             "/nonexistent-allot-dir/allot-supervisor: No such file or directory");
    assert_int_equal(proc.pid, 123);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(output_lands_in_the_log_and_exit_code_is_recorded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(new_log_is_private, setup, teardown),
        cmocka_unit_test_setup_teardown(death_by_signal_is_128_plus_n, setup, teardown),
        cmocka_unit_test_setup_teardown(launch_env_is_the_whole_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(command_is_looked_up_in_path, setup, teardown),
        cmocka_unit_test_setup_teardown(workdir_is_respected, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_command_exits_127_with_a_message, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_workdir_exits_127_with_a_message, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_launches_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(supervisor_is_its_own_program, setup, teardown),
        cmocka_unit_test_setup_teardown(a_marked_titled_run_notes_its_output, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_supervisor_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(sigterm_reaches_grandchildren_and_supervisor_records_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(background_processes_end_with_the_task, setup, teardown),
        cmocka_unit_test_setup_teardown(immediate_signal_reaches_the_command, setup, teardown),
        cmocka_unit_test_setup_teardown(pid_file_finds_the_running_task, setup, teardown),
        cmocka_unit_test_setup_teardown(killed_supervisor_leaves_nothing_running, setup, teardown),
        cmocka_unit_test_setup_teardown(sigkill_of_the_group_is_137_from_waitpid, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_start_ticks_is_not_the_task, setup, teardown),
        cmocka_unit_test_setup_teardown(adopted_task_is_polled_and_signalled, setup, teardown),
        cmocka_unit_test_setup_teardown(inherited_descriptors_are_closed, setup, teardown),
    };
    return cmocka_run_group_tests_name("local proc", tests, NULL, NULL);
}
