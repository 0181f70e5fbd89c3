/* exec.c - an exec command started in a task's environment (see serve.h): the supervisor's
 * environment and directory are the task's, so the command sees what the task sees. */
#define _GNU_SOURCE /* pipe2, execvpe */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/local/supervisor/isolate.h"
#include "backends/local/supervisor/serve.h"

#define EXIT_CANNOT_RUN 127

static void close_fd(int *fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* An exec command's process outside the task's PID namespace: waits for the command inside and
 * ends as it ended (the supervisor reads its status). Dies with the supervisor, and the command
 * with it. */
static _Noreturn void relay(const struct al__exec_request *r, pid_t inner) {
    int status = 0;
    if (inner < 0) {
        al__supervise_report(r->argv[0], "fork", "", errno);
        _exit(EXIT_CANNOT_RUN);
    }
    /* Holds nothing open: the command's input ends when the client's does, its output when it
     * ends (this process never execs, so close-on-exec does not close them). */
    al__fds_close_from(0);
    while (waitpid(inner, &status, 0) < 0 && errno == EINTR)
        continue;
    if (WIFSIGNALED(status)) {
        al__signals_default();
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        kill(getpid(), WTERMSIG(status));
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_CANNOT_RUN);
}

/* The child: its own session with the terminal (path non-NULL), or its own process group with
 * the pipes' ends already on 0..2; then the task's directory and the command. */
static _Noreturn void exec_child(const struct al__supervision *plan,
                                 const struct al__exec_request *r, pid_t supervisor,
                                 const char *path) {
    if (path) {
        int t = setsid() < 0 ? -1 : open(path, O_RDWR); /* its controlling terminal */
        if (t < 0 || (plan->switch_user && fchown(t, plan->uid, plan->gid) != 0))
            _exit(EXIT_CANNOT_RUN);
        for (int fd = 0; fd <= 2; fd++)
            dup2(t, fd);
        if (t > 2)
            close(t);
    } else {
        setpgid(0, 0);
    }
    pid_t parent = supervisor;
    if (al__isolated()) { /* where the task runs: its process there is this one's child */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != supervisor)
            _exit(EXIT_CANNOT_RUN);
        if (al__isolated_enter() != 0) {
            al__supervise_report(r->argv[0], "in the task's namespaces", "", errno);
            _exit(EXIT_CANNOT_RUN);
        }
        pid_t inner = fork();
        if (inner != 0)
            relay(r, inner);
        parent = 0; /* outside the namespace */
    }
    if (al__become(plan) != 0) {
        al__supervise_report(r->argv[0], "as user ", plan->uid_text, errno);
        _exit(EXIT_CANNOT_RUN);
    }
    /* After the change of user, which clears it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(EXIT_CANNOT_RUN);
    al__signals_default();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (size_t i = 0; r->env[i]; i++)
        putenv(r->env[i]); /* the child's own copy of the request: it lives until exec */
    if (plan->workdir && chdir(plan->workdir) != 0) {
        al__supervise_report(r->argv[0], "cannot enter directory ", plan->workdir, errno);
        _exit(EXIT_CANNOT_RUN);
    }
    execvp(r->argv[0], r->argv); /* PATH and environment are the task's */
    al__supervise_report(r->argv[0], NULL, NULL, errno);
    _exit(EXIT_CANNOT_RUN);
}

/* Pipes for stdin, stdout, stderr: ends[i][0] reads, ends[i][1] writes. */
static int pipes_open(int ends[3][2]) {
    for (int i = 0; i < 3; i++)
        ends[i][0] = ends[i][1] = -1;
    for (int i = 0; i < 3; i++)
        if (pipe2(ends[i], O_CLOEXEC) != 0)
            return -1;
    return 0;
}

static void pipes_close(int ends[3][2]) {
    for (int i = 0; i < 3; i++) {
        close_fd(&ends[i][0]);
        close_fd(&ends[i][1]);
    }
}

static void nonblocking(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int al__exec_start(const struct al__supervision *plan, const struct al__exec_request *r,
                   struct al__exec_io *io) {
    struct al__exec_io got = {0, -1, -1, -1, -1};
    char path[128];
    int ends[3][2];
    pid_t self = getpid();
    if (r->tty ? al__terminal_new(&got.term, path, sizeof(path)) : pipes_open(ends)) {
        int e = errno;
        if (!r->tty)
            pipes_close(ends);
        errno = e;
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (!r->tty) {
            dup2(ends[0][0], 0);
            dup2(ends[1][1], 1);
            dup2(ends[2][1], 2);
        }
        exec_child(plan, r, self, r->tty ? path : NULL);
    }
    int e = errno;
    if (pid < 0) {
        if (r->tty)
            close_fd(&got.term);
        else
            pipes_close(ends);
        errno = e;
        return -1;
    }
    got.pid = pid;
    if (!r->tty) {
        got.in = ends[0][1];
        got.out = ends[1][0];
        got.err = ends[2][0];
        close_fd(&ends[0][0]);
        close_fd(&ends[1][1]);
        close_fd(&ends[2][1]);
        nonblocking(got.in);
        nonblocking(got.out);
        nonblocking(got.err);
    }
    *io = got;
    return 0;
}
