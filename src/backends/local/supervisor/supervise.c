/* supervise.c - the body of the task supervisor program and of its command child (see
 * supervise.h). The supervisor is a small program of its own, so that a task never holds a copy
 * of allotd's memory; it keeps the hand-made formatting it had as a fork of allotd (its command
 * child still runs between fork and exec). */
#define _GNU_SOURCE /* close_range, NSIG */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h> /* rename */
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backends/local/proc_stat.h"
#include "backends/local/read_small.h"
#include "backends/local/supervisor/isolate.h"
#include "backends/local/supervisor/log_index.h"
#include "backends/local/supervisor/serve.h"
#include "backends/local/supervisor/supervise.h"
#include "backends/local/supervisor/title.h"

#define EXIT_CANNOT_RUN 127
#define SYNC_FD         AL__SUPERVISOR_SYNC_FD

/* A line under construction in caller memory; overlong text is cut. */
struct line {
    char buf[1024];
    size_t len;
};

static void line_add(struct line *l, const char *s) {
    while (*s && l->len < sizeof l->buf - 1)
        l->buf[l->len++] = *s++;
}

static void line_add_int(struct line *l, int64_t v) {
    char digits[24];
    size_t n = 0;
    uint64_t u = v < 0 ? 0U - (uint64_t)v : (uint64_t)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        line_add(l, "-");
    while (n && l->len < sizeof l->buf - 1)
        l->buf[l->len++] = digits[--n];
}

static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* strerror is not async-signal-safe: the reasons an exec or chdir commonly fails. */
static void line_add_errno(struct line *l, int e) {
    static const struct {
        int code;
        const char *text;
    } reasons[] = {
        {ENOENT, "No such file or directory"},
        {EACCES, "Permission denied"},
        {ENOTDIR, "Not a directory"},
        {ENOEXEC, "Exec format error"},
        {E2BIG, "Argument list too long"},
        {ENOMEM, "Cannot allocate memory"},
        {ELOOP, "Too many levels of symbolic links"},
        {ENAMETOOLONG, "File name too long"},
        {ETXTBSY, "Text file busy"},
        {EISDIR, "Is a directory"},
        {EAGAIN, "Resource temporarily unavailable"},
        {EPERM, "Operation not permitted"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        if (reasons[i].code == e) {
            line_add(l, reasons[i].text);
            return;
        }
    }
    line_add(l, "errno ");
    line_add_int(l, e);
}

void al__supervise_report(const char *command, const char *what, const char *detail, int e) {
    struct line l = {.len = 0};
    line_add(&l, "allot: cannot run ");
    line_add(&l, command);
    line_add(&l, ": ");
    if (what) {
        line_add(&l, what);
        line_add(&l, detail);
        line_add(&l, ": ");
    }
    line_add_errno(&l, e);
    line_add(&l, "\n");
    write_all(STDERR_FILENO, l.buf, l.len);
}

/* Writes "allot: cannot run COMMAND: [WHAT DETAIL: ]REASON\n" to the log (stderr). */
static void report(const struct al__supervision *plan, const char *what, const char *detail,
                   int e) {
    al__supervise_report(plan->argv[0], what, detail, e);
}

void al__signals_default(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &sa, NULL); /* fails harmlessly for signals libc reserves */
}

static void signals_unblock(void) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The command child: signals, stdio and directory are set; exec each candidate path in turn.
 * It dies with its supervisor (a killed supervisor must not leave it running untracked). Its
 * stdio is the terminal's side (`terminal`, -1 for none) when it runs under one. */
static _Noreturn void command_run(const struct al__supervision *plan, pid_t parent, int terminal) {
    close(SYNC_FD);
    if (terminal >= 0) {
        if (plan->switch_user && fchown(terminal, plan->uid, plan->gid) != 0) {
            report(plan, "a terminal", "", errno);
            _exit(EXIT_CANNOT_RUN);
        }
        for (int fd = 0; fd <= 2; fd++)
            dup2(terminal, fd);
        if (terminal > 2)
            close(terminal);
    }
    if (al__become(plan) != 0) {
        report(plan, "as user ", plan->uid_text, errno);
        _exit(EXIT_CANNOT_RUN);
    }
    /* After the change of user, which clears it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(EXIT_CANNOT_RUN); /* the supervisor (or the namespace's init) is already gone */
    signals_unblock();
    if (plan->workdir && chdir(plan->workdir) != 0) {
        report(plan, "cannot enter directory ", plan->workdir, errno);
        _exit(EXIT_CANNOT_RUN);
    }
    int e = ENOENT;
    bool denied = false;
    for (size_t i = 0; plan->paths[i]; i++) {
        execve(plan->paths[i], plan->argv, plan->envp);
        e = errno;
        if (e == EACCES)
            denied = true;
        else if (e != ENOENT && e != ENOTDIR && e != ESTALE && e != ENODEV && e != ETIMEDOUT)
            break; /* the file exists but cannot run: no use looking further, as execvp */
    }
    if (denied && (e == ENOENT || e == ENOTDIR || e == ESTALE || e == ENODEV || e == ETIMEDOUT))
        e = EACCES;
    report(plan, NULL, NULL, e);
    _exit(EXIT_CANNOT_RUN);
}

void al__fds_close_from(int from) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (close_range((unsigned)from, ~0U, 0) == 0)
        return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    for (int fd = from; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
        close(fd);
}

/* Closes every descriptor above the sync pipe: whatever allotd had open without close-on-exec
 * (its sockets and database must not outlive it in a task). */
static void fds_close_others(void) {
    al__fds_close_from(SYNC_FD + 1);
}

/* Writes "exit N\n" or "signal N\n" for the command's wait status; NULL: it never ran. */
static void exit_record(const char *path, const int *status) {
    struct line l = {.len = 0};
    if (status && WIFSIGNALED(*status)) {
        line_add(&l, "signal ");
        line_add_int(&l, WTERMSIG(*status));
    } else {
        line_add(&l, "exit ");
        line_add_int(&l, status && WIFEXITED(*status) ? WEXITSTATUS(*status) : EXIT_CANNOT_RUN);
    }
    line_add(&l, "\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        return; /* the task then reads as lost */
    write_all(fd, l.buf, l.len);
    fsync(fd);
    close(fd);
}

/* This process's start time, field 22 of /proc/self/stat, parsed by hand; -1 if unreadable. */
static int64_t own_start_ticks(void) {
    char buf[1024];
    ssize_t n = al__proc_read_small("/proc/self/stat", buf, sizeof buf);
    if (n < 0)
        return -1;
    size_t i = (size_t)n;
    while (i > 0 && buf[i - 1] != ')') /* COMM may hold spaces: start after the last ')' */
        i--;
    for (int field = 2; field < 22 && i < (size_t)n; i++)
        field += buf[i] == ' ';
    int64_t v = 0;
    bool any = false;
    for (; i < (size_t)n && buf[i] >= '0' && buf[i] <= '9'; i++, any = true)
        v = v * 10 + (buf[i] - '0');
    return any ? v : -1;
}

/* Writes "PID START_TICKS\n" to the pid file (a temporary, then rename: never half-written). */
static void pid_record(const struct al__supervision *plan) {
    struct line l = {.len = 0};
    if (!plan->pid_path)
        return;
    line_add_int(&l, getpid());
    line_add(&l, " ");
    line_add_int(&l, own_start_ticks());
    line_add(&l, "\n");
    int fd = open(plan->pid_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        return; /* a restarted allotd then cannot find this task: it reads as never started */
    write_all(fd, l.buf, l.len);
    close(fd);
    rename(plan->pid_tmp, plan->pid_path);
}

/* After the fork: what the supervisor ignores (a terminal's job-control and interrupt keys reach
 * its process group, itself included), and what it reads through its signalfd (serve.c): the
 * end of children, and under a terminal SIGTERM, which hangs the terminal up. A pending SIGTERM
 * is discarded where it is ignored. */
static void signals_serve(bool terminal) {
    static const int ignored[] = {SIGINT, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE};
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        sigaction(ignored[i], &ignore, NULL);
    if (!terminal)
        sigaction(SIGTERM, &ignore, NULL);
    sigset_t served;
    al__serve_signals(terminal, &served);
    sigprocmask(SIG_SETMASK, &served, NULL);
}

static void kill_member(pid_t pid, void *arg) {
    (void)arg;
    kill(pid, SIGKILL);
}

/* The sync pipe's number stays taken (by /dev/null when allotd gave none): closing it below must
 * not close the terminal or the socket. */
static void sync_fd_hold(void) {
    if (fcntl(SYNC_FD, F_GETFD) >= 0)
        return;
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0 && fd != SYNC_FD) {
        dup2(fd, SYNC_FD);
        close(fd);
    }
}

/* The shared-memory segment of the task's liballot-cuda.so ledger (ALLOT_TASK_LEDGER in its
 * environment, set by allotd for a task holding a share of a device: docs/cuda.md), into out;
 * "" when it has none or the name is not one the library accepts. Read before the title
 * overwrites the environment. */
static void ledger_segment(char *const *envp, char *out, size_t size) {
    static const char key[] = "ALLOT_TASK_LEDGER=";
    const char *name = NULL;
    out[0] = '\0';
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], key, sizeof(key) - 1) == 0)
            name = envp[i] + sizeof(key) - 1;
    size_t len = name ? strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789._-")
                      : 0;
    if (len == 0 || len > 200 || name[len] != '\0' || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return;
    struct line l = {.len = 0};
    line_add(&l, "/dev/shm/allot-cuda-");
    line_add(&l, name);
    if (l.len < size) {
        memcpy(out, l.buf, l.len);
        out[l.len] = '\0';
    }
}

_Noreturn void al__supervise(const struct al__supervision *plan) {
    char segment[256];
    ledger_segment(plan->envp, segment, sizeof(segment));
    al__signals_default();
    fds_close_others();
    sync_fd_hold();
    if (setsid() < 0) {
        report(plan, "setsid", "", errno);
        _exit(EXIT_CANNOT_RUN);
    }
    pid_record(plan);
    struct al__served served = {.plan = plan, .command = -1, .listen_fd = -1, .master = -1};
    int terminal = -1;
    if (plan->terminal && al__terminal_take(&served.master, &terminal) < 0) {
        report(plan, "a terminal", "", errno);
        exit_record(plan->exit_copy, NULL);
        _exit(EXIT_CANNOT_RUN);
    }
    if (plan->socket_path)
        served.listen_fd = al__serve_listen(plan->socket_path); /* none: no attach, no exec */
    /* Fork while every signal is still blocked: a signal sent to the group from now on stays
     * pending in the command until it has default dispositions and unblocks. */
    pid_t self = getpid(), parent = self;
    pid_t child = plan->hide ? al__isolated_fork(plan, terminal, &parent) : fork();
    if (child == 0)
        command_run(plan, parent, terminal);
    int fork_errno = errno;
    /* Its own /proc files (memory, descriptors, root) are root's from now on: a task of the
     * same user cannot reach the state dir through them. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (terminal >= 0)
        close(terminal);
    close(SYNC_FD); /* tells allotd that the group exists */
    signals_serve(plan->terminal);
    int status = 0;
    struct al__sessions sessions = {NULL, 0};
    struct al__log_index index;
    al__log_index_open(&index, plan->index_path, STDOUT_FILENO);
    served.index = &index;
    if (plan->title) /* the arguments are the child's now; this process shows its task */
        al__title_set(al__title_area_of(plan->argc, plan->all_argv), plan->title_copy);
    if (child < 0) {
        report(plan, "fork", "", fork_errno);
    } else {
        served.command = child;
        status = al__serve(&served, &sessions);
    }
    al__log_index_note(&index); /* its last words */
    exit_record(plan->exit_copy, child > 0 ? &status : NULL);
    if (served.listen_fd >= 0)
        unlink(plan->socket_path);
    /* A task ends with its command: what it left running in the background (and still holding
     * its GPUs) goes with it - its process group, and where there can be more (a terminal's
     * shell puts its jobs in groups of their own; exec commands have sessions of their own)
     * its session and theirs, found in /proc (a pass over every process: not made for a batch
     * task, of which thousands may end at once). The supervisor is in the group too; its status
     * is on record. */
    if (plan->terminal || sessions.count > 0)
        al__proc_members(self, own_start_ticks(), sessions.ids, sessions.count, kill_member, NULL);
    /* The library never removes the task's ledger (a process of the task may still come); the
     * task is over now. One the supervisor could not remove (it was killed) goes when the task
     * is next placed or forgotten (cuda_inject.c). */
    if (segment[0])
        unlink(segment);
    kill(0, SIGKILL);
    _exit(0);
}

_Noreturn void al__supervise_refuse(const char *exit_path, const char *why) {
    struct line l = {.len = 0};
    line_add(&l, "allot: cannot run: ");
    line_add(&l, why);
    line_add(&l, "\n");
    write_all(STDERR_FILENO, l.buf, l.len);
    if (exit_path)
        exit_record(exit_path, NULL);
    _exit(EXIT_CANNOT_RUN);
}
