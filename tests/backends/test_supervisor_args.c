/* test_supervisor_args.c - allot-supervisor's command line: what it accepts, and each malformed
 * one refused with the problem named; the program itself records a refusal as exit 127. */
#define _GNU_SOURCE /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/local/read_small.h"
#include "backends/local/supervisor/supervise.h"

static char *envp[] = {"A=1", NULL};

static int parse(char **argv, struct al__supervision *sup, char *err, size_t size) {
    int argc = 0;
    while (argv[argc])
        argc++;
    return al__supervision_parse(argc, argv, envp, sup, err, size);
}

static void a_full_command_line_is_read(void **state) {
    char *argv[] = {
        "allot-supervisor", "--exit",  "/r/1.exit", "--pid",       "/r/1.pid", "--workdir", "/w",
        "--path",           "/bin/sh", "--path",    "/usr/bin/sh", "--",       "sh",        "-c",
        "--exit",           NULL};
    struct al__supervision sup;
    char err[128] = "";
    (void)state;
    assert_int_equal(parse(argv, &sup, err, sizeof err), 0);
    assert_string_equal(sup.exit_path, "/r/1.exit");
    assert_string_equal(sup.pid_path, "/r/1.pid");
    assert_string_equal(sup.pid_tmp, "/r/1.pid.tmp");
    assert_string_equal(sup.workdir, "/w");
    assert_string_equal(sup.paths[0], "/bin/sh");
    assert_string_equal(sup.paths[1], "/usr/bin/sh");
    assert_null(sup.paths[2]);
    assert_string_equal(sup.argv[0], "sh");
    assert_string_equal(sup.argv[2], "--exit"); /* the command's own arguments are its own */
    assert_null(sup.argv[3]);
    assert_string_equal(sup.envp[0], "A=1");
    assert_int_equal(sup.umask, -1); /* none given: inherited */
}

/* The command's LD_PRELOAD reaches the supervisor under another name (the supervisor must not
 * load it) and is LD_PRELOAD again in the environment the command gets. */
static void the_commands_preload_is_restored_for_it(void **state) {
    char *argv[] = {"allot-supervisor", "--exit", "/r/1.exit", "--path",
                    "/bin/sh",          "--",     "sh",        NULL};
    char carried[] = AL__SUPERVISOR_PRELOAD_ENV "=/l/liballot-cuda.so mine.so";
    char *env[] = {"A=1", carried, NULL};
    struct al__supervision sup;
    char err[128] = "";
    (void)state;
    if (al__supervision_parse(7, argv, env, &sup, err, sizeof err) != 0)
        fail_msg("refused: %s", err);
    assert_string_equal(sup.envp[0], "A=1");
    assert_string_equal(sup.envp[1], "LD_PRELOAD=/l/liballot-cuda.so mine.so");
    assert_null(sup.envp[2]);
    free(sup.envp[1]); /* the supervisor keeps it for its life */
}

/* --umask: the task's, octal (allotd itself runs with 077). */
static void a_umask_is_read_in_octal(void **state) {
    char *argv[] = {"s",      "--exit",    "/e", "--umask", "027",
                    "--path", "/bin/true", "--", "true",    NULL};
    struct al__supervision sup;
    char err[128] = "";
    (void)state;
    assert_int_equal(parse(argv, &sup, err, sizeof err), 0);
    assert_int_equal(sup.umask, 027);
    char *bad[][10] = {
        {"s", "--exit", "/e", "--umask", "8", "--path", "/bin/true", "--", "true"},
        {"s", "--exit", "/e", "--umask", "1000", "--path", "/bin/true", "--", "true"},
        {"s", "--exit", "/e", "--umask", "-1", "--path", "/bin/true", "--", "true"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], &sup, err, sizeof err), -1);
        assert_string_equal(err, "--umask: not an octal mode 0..777");
    }
}

/* --title and --index; the exit path and title are copied (the title overwrites argv). */
static void a_title_and_an_index_are_read(void **state) {
    char *argv[] = {"allot-supervisor", "--exit",  "/r/1.exit", "--title",
                    "allot-task p/w/0", "--index", "/l/1.idx",  "--path",
                    "/bin/true",        "--",      "true",      NULL};
    struct al__supervision sup;
    char err[128] = "";
    (void)state;
    assert_int_equal(parse(argv, &sup, err, sizeof err), 0);
    assert_string_equal(sup.title, "allot-task p/w/0");
    assert_string_equal(sup.title_copy, "allot-task p/w/0");
    assert_true(sup.title_copy != sup.title);
    assert_string_equal(sup.index_path, "/l/1.idx");
    assert_string_equal(sup.exit_copy, "/r/1.exit");
    assert_true(sup.all_argv == argv);
    assert_int_equal(sup.argc, 11);
    char *untitled[] = {"s", "--exit", "/e", "--path", "/bin/true", "--", "true", NULL};
    assert_int_equal(parse(untitled, &sup, err, sizeof err), 0);
    assert_null(sup.title);
    assert_null(sup.index_path);
}

/* --uid, --gid, --groups: the account the command runs as; --hide: the namespaces' hidden dir. */
static void an_account_and_a_hidden_dir_are_read(void **state) {
    char *argv[] = {"s",       "--exit",   "/e",         "--uid",  "65534",          "--gid",
                    "65534",   "--groups", "65534,27,4", "--hide", "/var/lib/allot", "--path",
                    "/bin/id", "--",       "id",         NULL};
    struct al__supervision sup;
    char err[128] = "";
    (void)state;
    assert_int_equal(parse(argv, &sup, err, sizeof err), 0);
    assert_true(sup.switch_user);
    assert_int_equal(sup.uid, 65534);
    assert_int_equal(sup.gid, 65534);
    assert_int_equal(sup.group_count, 3);
    assert_int_equal(sup.groups[1], 27);
    assert_string_equal(sup.uid_text, "65534");
    assert_string_equal(sup.hide, "/var/lib/allot");
    char *plain[] = {"s", "--exit", "/e", "--path", "/bin/true", "--", "true", NULL};
    assert_int_equal(parse(plain, &sup, err, sizeof err), 0);
    assert_false(sup.switch_user);
    assert_null(sup.hide);
    static const struct {
        char *argv[12];
        const char *message;
    } bad[] = {
        {{"s", "--exit", "/e", "--uid", "0", "--gid", "1", "--path", "/x", "--", "x"},
         "--uid: not an unprivileged id"},
        {{"s", "--exit", "/e", "--uid", "-1", "--gid", "1", "--path", "/x", "--", "x"},
         "--uid: not an unprivileged id"},
        {{"s", "--exit", "/e", "--uid", "5", "--path", "/x", "--", "x"},
         "--uid needs --gid, an unprivileged group"},
        {{"s", "--exit", "/e", "--groups", "1,,2", "--path", "/x", "--", "x"},
         "--groups: not a list of group ids"},
        {{"s", "--exit", "/e", "--hide", "rel", "--path", "/x", "--", "x"},
         "--hide: not an absolute path"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse((char **)bad[i].argv, &sup, err, sizeof err), -1);
        assert_string_equal(err, bad[i].message);
    }
}

static void malformed_command_lines_are_named(void **state) {
    static const struct {
        char *argv[10];
        const char *message;
    } bad[] = {
        {{"s", "--path", "/bin/true", "--", "true"}, "--exit: missing"},
        {{"s", "--exit", "/e", "--", "true"}, "--path: missing"},
        {{"s", "--exit", "/e", "--path", "/bin/true"}, "the command after \"--\" is missing"},
        {{"s", "--exit", "/e", "--path", "/bin/true", "--"}, "the command after \"--\" is missing"},
        {{"s", "--exit", "/e", "--path", "/bin/true", "--", ""},
         "the command after \"--\" is missing"},
        {{"s", "--exit"}, "--exit: needs a value"},
        {{"s", "--exit", "", "--", "true"}, "--exit: needs a value"},
        {{"s", "--bogus", "1", "--", "true"}, "--bogus: not an option"},
        {{"s", "--exit", "/e", "--title", "", "--path", "/bin/true", "--", "true"},
         "--title: needs a value"},
        {{"s", "--exit", "/e", "--socket", "", "--", "true"}, "--socket: needs a value"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct al__supervision sup;
        char err[128] = "";
        assert_int_equal(parse((char **)bad[i].argv, &sup, err, sizeof err), -1);
        assert_string_equal(err, bad[i].message);
    }
}

/* --terminal is the one flag without a value; --socket names where streams come in (copied, as
 * the workdir is: both are used after the title overwrote argv). */
static void a_workspace_command_line_is_read(void **state) {
    char *argv[] = {"allot-supervisor",
                    "--exit",
                    "/r/1.exit",
                    "--terminal",
                    "--socket",
                    "/r/1.sock",
                    "--workdir",
                    "/w",
                    "--path",
                    "/bin/sh",
                    "--",
                    "sh",
                    "-i",
                    NULL};
    struct al__supervision sup;
    char err[128] = "";
    (void)state;
    assert_int_equal(parse(argv, &sup, err, sizeof err), 0);
    assert_true(sup.terminal);
    assert_string_equal(sup.socket_path, "/r/1.sock");
    assert_true(sup.socket_path == sup.socket_copy);
    assert_string_equal(sup.workdir, "/w");
    assert_true(sup.workdir == sup.workdir_copy);
    assert_string_equal(sup.paths[0], "/bin/sh");
    assert_string_equal(sup.argv[1], "-i");
    char *batch[] = {"s", "--exit", "/e", "--path", "/bin/true", "--", "true", NULL};
    assert_int_equal(parse(batch, &sup, err, sizeof err), 0);
    assert_false(sup.terminal);
    assert_null(sup.socket_path);
}

static void too_many_paths_are_refused(void **state) {
    static char *argv[2 * AL__SUPERVISOR_MAX_PATHS + 10];
    int n = 0;
    (void)state;
    argv[n++] = "s";
    argv[n++] = "--exit";
    argv[n++] = "/e";
    for (int i = 0; i <= AL__SUPERVISOR_MAX_PATHS; i++) {
        argv[n++] = "--path";
        argv[n++] = "/bin/true";
    }
    argv[n++] = "--";
    argv[n++] = "true";
    argv[n] = NULL;
    struct al__supervision sup;
    char err[128] = "";
    assert_int_equal(parse(argv, &sup, err, sizeof err), -1);
    assert_string_equal(err, "--path: too many candidate paths");
}

/* Run as a program, a refused command line is on record as exit 127 and the reason is on
 * stderr (the task's log). */
static void the_program_records_a_refusal_as_127(void **state) {
    char dir[] = "/tmp/allot-sup-XXXXXX", exit_path[64], log_path[64], buf[256];
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(exit_path, sizeof exit_path, "%s/exit", dir);
    snprintf(log_path, sizeof log_path, "%s/log", dir);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log_path, "w", stderr))
            _exit(99);
        execl(AL_TEST_SUPERVISOR, "allot-supervisor", "--exit", exit_path, "--bogus", "x", "--",
              "true", (char *)NULL);
        _exit(98);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 127);
    assert_true(al__proc_read_small(exit_path, buf, sizeof buf) > 0);
    assert_string_equal(buf, "exit 127\n");
    assert_true(al__proc_read_small(log_path, buf, sizeof buf) > 0);
    assert_string_equal(buf, "allot: cannot run: --bogus: not an option\n");
    unlink(exit_path);
    unlink(log_path);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_full_command_line_is_read),
        cmocka_unit_test(a_umask_is_read_in_octal),
        cmocka_unit_test(the_commands_preload_is_restored_for_it),
        cmocka_unit_test(a_title_and_an_index_are_read),
        cmocka_unit_test(a_workspace_command_line_is_read),
        cmocka_unit_test(an_account_and_a_hidden_dir_are_read),
        cmocka_unit_test(malformed_command_lines_are_named),
        cmocka_unit_test(too_many_paths_are_refused),
        cmocka_unit_test(the_program_records_a_refusal_as_127),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
