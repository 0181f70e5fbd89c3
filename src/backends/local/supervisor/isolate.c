/* isolate.c - a task in namespaces of its own (see isolate.h): of an allotd that is not root,
 * it runs as allotd's user, so only what it cannot see keeps allotd's state from it; of a root
 * allotd, it runs as an unprivileged account that may be every task's (nobody), and sees no
 * other task's processes nor allotd's. */
#define _GNU_SOURCE /* clone flags, setns, syscall */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/local/supervisor/isolate.h"
#include "backends/local/supervisor/supervise.h"
#include "backends/local/supervisor/title.h"

#define EXIT_CANNOT_RUN 127
#define NS_FLAGS        (CLONE_NEWNS | CLONE_NEWPID) /* and CLONE_NEWUSER where not root */

/* The task's namespaces as the supervisor holds them (user, mount, PID), for exec commands. */
static int ns_fds[3] = {-1, -1, -1};
static const char *const ns_names[3] = {"user", "mnt", "pid"};
static const int ns_types[3] = {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID};

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)n ? 0 : -1;
}

/* "ID ID 1\n": the id maps to itself, and nothing else is mapped. */
static void map_line(char *out, unsigned long id) {
    char digits[24];
    size_t n = 0, len = 0;
    do {
        digits[n++] = (char)('0' + id % 10);
        id /= 10;
    } while (id);
    for (int twice = 0; twice < 2; twice++) {
        for (size_t i = n; i > 0; i--)
            out[len++] = digits[i - 1];
        out[len++] = ' ';
    }
    memcpy(out + len, "1\n", 3);
}

/* chdir, or to "/" where path cannot be entered. */
static void enter_dir(const char *path) {
    if (chdir(path) != 0 && chdir("/") != 0) { /* "/" can always be entered */
    }
}

/* The directory this process is in, looked up again by its path: one below the hidden dir (an
 * allotd started in its state dir, a task without a workdir) is then the empty tmpfs, not what
 * the tmpfs covers; "/" where the path leads nowhere. */
static void cwd_again(void) {
    char cwd[4096];
    enter_dir(getcwd(cwd, sizeof(cwd)) ? cwd : "/");
}

/* In the namespaces' first process: in a user namespace (allotd is not root) the user is itself
 * there (so that a command it runs has no capability); the directory is covered by an empty tmpfs
 * and /proc shows only the task's processes. The mounts are made in a namespace its commands hold
 * no capability in: they cannot unmount them. 0, or -1 with errno and *what set. */
static int ns_setup(bool user, uid_t uid, gid_t gid, const char *hide, const char **what) {
    char line[64];
    if (!user)
        goto mounts; /* root: the command changes user itself (become.c) */
    map_line(line, uid);
    if (write_text("/proc/self/uid_map", line) != 0)
        return *what = "uid_map", -1;
    if (write_text("/proc/self/setgroups", "deny") != 0)
        return *what = "setgroups", -1;
    map_line(line, gid);
    if (write_text("/proc/self/gid_map", line) != 0)
        return *what = "gid_map", -1;
mounts:
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return *what = "mount /", -1;
    if (mount("allot-hidden", hide, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k,mode=0") != 0)
        return *what = "mount over the state dir", -1;
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        return *what = "mount /proc", -1;
    cwd_again();
    return 0;
}

/* Init of the task's PID namespace: reaps every process left to it until the command ends,
 * then exits with the command's code (128 + N for signal N: init cannot die of the signals it
 * gets); its end ends every process of the namespace. */
static _Noreturn void init_run(pid_t command) {
    int status = 0, st;
    for (;;) {
        pid_t p = waitpid(-1, &st, 0);
        if (p == command) {
            status = st;
            break;
        }
        if (p < 0 && errno != EINTR)
            break;
    }
    _exit(WIFEXITED(status)     ? WEXITSTATUS(status)
          : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                : EXIT_CANNOT_RUN);
}

/* Closes every descriptor above `from` but `keep` (-1: none). */
static void fds_close_above(int from, int keep) {
    if (keep < 0 || keep <= from) {
        al__fds_close_from(from + 1);
        return;
    }
    for (int fd = from + 1; fd < keep; fd++)
        close(fd);
    al__fds_close_from(keep + 1);
}

pid_t al__isolated_fork(const struct al__supervision *plan, int keep, pid_t *parent) {
    uid_t uid = geteuid();
    gid_t gid = getegid();
    bool user = uid != 0; /* root needs no user namespace to mount */
    /* The raw system call: the child is a process, not a thread, and calls no function that
     * relies on the thread data libc keeps (it forks with libc before anything else). */
    pid_t pid = (pid_t)syscall(SYS_clone, (user ? CLONE_NEWUSER : 0) | NS_FLAGS | SIGCHLD, NULL,
                               NULL, NULL, NULL);
    for (int i = user ? 0 : 1; pid > 0 && i < 3; i++) { /* none open: exec is refused */
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_names[i]);
        ns_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (pid != 0)
        return pid;
    const char *what = "";
    /* The socket and the terminal's master are the supervisor's. The sync pipe stays open until
     * the command exists (init closes it after the fork, the command as it starts): allotd's
     * start returns only then, and a stop sent to the group at once reaches the command. A
     * signal that came before the fork would stay pending here, in init, where it is blocked. */
    fds_close_above(AL__SUPERVISOR_SYNC_FD, keep);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != 0) /* the parent is outside */
        _exit(EXIT_CANNOT_RUN);
    if (ns_setup(user, uid, gid, plan->hide, &what) != 0) {
        al__supervise_report(plan->argv[0], "in namespaces of its own: ", what, errno);
        _exit(EXIT_CANNOT_RUN);
    }
    pid_t command = fork();
    if (command == 0) {
        *parent = 1;
        return 0;
    }
    if (command < 0) {
        al__supervise_report(plan->argv[0], "fork", "", errno);
        _exit(EXIT_CANNOT_RUN);
    }
    close(AL__SUPERVISOR_SYNC_FD);
    if (keep > 2)
        close(keep); /* the command's terminal: its end of it goes with it */
    if (plan->title) /* the command has its copy of the arguments: this one shows its task */
        al__title_set(al__title_area_of(plan->argc, plan->all_argv), plan->title_copy);
    init_run(command);
}

int al__isolated_enter(void) {
    char cwd[4096];
    if (!getcwd(cwd, sizeof(cwd))) /* entering the mount namespace moves it to its root */
        memcpy(cwd, "/", 2);
    for (int i = 0; i < 3; i++) {
        if (i == 0 && ns_fds[i] < 0 && geteuid() == 0)
            continue; /* root's task has no user namespace */
        if (ns_fds[i] < 0) {
            errno = ESRCH;
            return -1;
        }
        if (setns(ns_fds[i], ns_types[i]) != 0)
            return -1;
    }
    enter_dir(cwd);
    return 0;
}

bool al__isolated(void) {
    return ns_fds[1] >= 0;
}

int al__isolation_probe(const char *hide) {
    struct al__supervision plan;
    memset(&plan, 0, sizeof(plan));
    plan.hide = hide;
    static char name[] = "probe";
    char *argv[] = {name, NULL};
    plan.argv = argv;
    pid_t parent = 0;
    pid_t pid = al__isolated_fork(&plan, -1, &parent);
    if (pid == 0)
        _exit(0); /* the command: all was set up */
    if (pid < 0)
        return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
