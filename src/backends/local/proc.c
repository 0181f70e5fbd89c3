/* proc.c - starts tasks as supervised process groups, polls and signals them (see local.h). */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "allot/errors.h"
#include "backends/local/proc_plan.h"
#include "backends/local/proc_stat.h"
#include "backends/local/read_small.h"
#include "backends/local/supervisor/supervise.h"

#define TICKS_TRIES 200 /* reading /proc/PID/stat right after fork: 200 x 1 ms at most */

static int fail_errno(char *err, size_t size, const char *what, const char *path, int e) {
    if (err && size)
        snprintf(err, size, "%s%s%s: %s", what, path ? " " : "", path ? path : "", strerror(e));
    return -AL_EIO;
}

/* Moves fd above the descriptors the supervisor gets (0..2 and the sync pipe), so that putting
 * them in place cannot clobber it, keeping it close-on-exec. Returns the fd, or -1 with errno
 * set. */
static int fd_above_stdio(int fd) {
    if (fd < 0 || fd > AL__SUPERVISOR_SYNC_FD)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, AL__SUPERVISOR_SYNC_FD + 1);
    int e = errno;
    close(fd);
    errno = e;
    return moved;
}

static void fds_close(struct al__proc_plan *plan) {
    if (plan->null_fd >= 0)
        close(plan->null_fd);
    if (plan->log_fd >= 0)
        close(plan->log_fd);
    plan->null_fd = plan->log_fd = -1;
}

/* Opens the log and /dev/null, and removes a stale exit file so that it cannot be taken for this
 * run's. */
static int fds_open(struct al__proc_plan *plan, const struct al__launch *launch, char *err,
                    size_t size) {
    int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY;
    plan->log_fd = fd_above_stdio(open(launch->log_path, flags, 0600));
    if (plan->log_fd < 0)
        return fail_errno(err, size, "cannot open log", launch->log_path, errno);
    size_t marker_len = launch->marker ? strlen(launch->marker) : 0;
    if (marker_len > 0 && write(plan->log_fd, launch->marker, marker_len) != (ssize_t)marker_len)
        return fail_errno(err, size, "cannot write to log", launch->log_path, errno);
    plan->null_fd = fd_above_stdio(open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (plan->null_fd < 0)
        return fail_errno(err, size, "cannot open", "/dev/null", errno);
    if (unlink(launch->exit_path) != 0 && errno != ENOENT)
        return fail_errno(err, size, "cannot remove old exit file", launch->exit_path, errno);
    if (launch->pid_path && unlink(launch->pid_path) != 0 && errno != ENOENT)
        return fail_errno(err, size, "cannot remove old pid file", launch->pid_path, errno);
    return 0;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

/* The supervisor's command line (supervise.h); NULL when out of memory. */
static char **supervisor_argv(const struct al__launch *launch, const struct al__proc_plan *plan) {
    size_t argc = 0, n = 0;
    while (launch->argv[argc])
        argc++;
    char **argv = calloc(1 + 23 + 2 * plan->path_count + 1 + argc + 1, sizeof(*argv));
    if (!argv)
        return NULL;
    argv[n++] = (char *)"allot-supervisor";
    argv[n++] = (char *)"--exit";
    argv[n++] = (char *)launch->exit_path;
    if (launch->pid_path) {
        argv[n++] = (char *)"--pid";
        argv[n++] = (char *)launch->pid_path;
    }
    if (launch->workdir) {
        argv[n++] = (char *)"--workdir";
        argv[n++] = (char *)launch->workdir;
    }
    if (launch->title && launch->title[0]) {
        argv[n++] = (char *)"--title";
        argv[n++] = (char *)launch->title;
    }
    if (launch->index_path) {
        argv[n++] = (char *)"--index";
        argv[n++] = (char *)launch->index_path;
    }
    if (launch->socket_path) {
        argv[n++] = (char *)"--socket";
        argv[n++] = (char *)launch->socket_path;
    }
    if (launch->terminal)
        argv[n++] = (char *)"--terminal";
    if (plan->uid_text[0]) {
        argv[n++] = (char *)"--uid";
        argv[n++] = (char *)plan->uid_text;
        argv[n++] = (char *)"--gid";
        argv[n++] = (char *)plan->gid_text;
        argv[n++] = (char *)"--groups";
        argv[n++] = (char *)plan->groups_text;
    }
    if (launch->hide) {
        argv[n++] = (char *)"--hide";
        argv[n++] = (char *)launch->hide;
    }
    argv[n++] = (char *)"--umask"; /* allotd's own is 077: the task gets the operator's */
    argv[n++] = (char *)plan->umask_text;
    for (size_t i = 0; i < plan->path_count; i++) {
        argv[n++] = (char *)"--path";
        argv[n++] = plan->paths[i];
    }
    argv[n++] = (char *)"--";
    for (size_t i = 0; i < argc; i++)
        argv[n++] = launch->argv[i];
    return argv;
}

/* The supervisor's descriptors and signals: /dev/null, the log twice, the sync pipe; every
 * signal at its default and blocked until it is ready. Returns 0 or an errno. */
static int spawn_setup(const struct al__proc_plan *plan, posix_spawn_file_actions_t *fa,
                       posix_spawnattr_t *attr) {
    sigset_t all;
    sigfillset(&all);
    int e = posix_spawn_file_actions_init(fa);
    if (e)
        return e;
    if ((e = posix_spawnattr_init(attr)) != 0) {
        posix_spawn_file_actions_destroy(fa);
        return e;
    }
    if (!(e = posix_spawn_file_actions_adddup2(fa, plan->null_fd, STDIN_FILENO)) &&
        !(e = posix_spawn_file_actions_adddup2(fa, plan->log_fd, STDOUT_FILENO)) &&
        !(e = posix_spawn_file_actions_adddup2(fa, plan->log_fd, STDERR_FILENO)) &&
        !(e = posix_spawn_file_actions_adddup2(fa, plan->sync_fd, AL__SUPERVISOR_SYNC_FD)) &&
        !(e = posix_spawnattr_setsigmask(attr, &all)) &&
        !(e = posix_spawnattr_setsigdefault(attr, &all)))
        e = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (e) {
        posix_spawn_file_actions_destroy(fa);
        posix_spawnattr_destroy(attr);
    }
    return e;
}

/* Spawns allot-supervisor (a small program: the task holds no copy of allotd's memory, and
 * spawning does not copy allotd's page tables) and waits until it has made its process group
 * (the sync pipe closes). */
static int supervisor_spawn(const struct al__launch *launch, struct al__proc_plan *plan, pid_t *pid,
                            char *err, size_t size) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        return fail_errno(err, size, "pipe", NULL, errno);
    int rfd = pipe_fds[0];
    plan->sync_fd = fd_above_stdio(pipe_fds[1]);
    char **argv = plan->sync_fd < 0 ? NULL : supervisor_argv(launch, plan);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int e = argv ? spawn_setup(plan, &fa, &attr) : plan->sync_fd < 0 ? errno : ENOMEM;
    pid_t child = -1;
    if (e == 0) {
        e = posix_spawn(&child, launch->supervisor, &fa, &attr, argv, plan->envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
    }
    free(argv);
    if (plan->sync_fd >= 0)
        close(plan->sync_fd);
    plan->sync_fd = -1;
    if (e == 0) {
        char byte;
        while (read(rfd, &byte, 1) < 0 && errno == EINTR)
            continue;
    }
    close(rfd);
    if (e != 0)
        return fail_errno(err, size, "cannot start the task supervisor", launch->supervisor, e);
    *pid = child;
    return 0;
}

int al__local_supervisor_path(const char *given, char *out, size_t out_size, char *err,
                              size_t size) {
    if (given) {
        snprintf(out, out_size, "%s", given);
    } else {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0) {
            snprintf(err, size, "cannot find the running program (/proc/self/exe): %s",
                     strerror(errno));
            return -AL_ENOENT;
        }
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        *(slash ? slash : self) = '\0';
        snprintf(out, out_size, "%s/allot-supervisor", self);
    }
    if (access(out, X_OK) != 0) {
        snprintf(err, size,
                 "--supervisor: %s: %s (allot-supervisor is installed next to allotd, or give its "
                 "path with --supervisor)",
                 out, strerror(errno));
        return -AL_ENOENT;
    }
    return 0;
}

int al__local_can_hide(const char *supervisor, const char *dir) {
    char *const argv[] = {(char *)"allot-supervisor", (char *)"--probe-hide", (char *)dir, NULL};
    char *const envp[] = {NULL};
    pid_t pid;
    int status = 0;
    if (posix_spawn(&pid, supervisor, NULL, NULL, argv, envp) != 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int al__proc_start(const struct al__launch *launch, struct al__proc *out, char *err, size_t size) {
    struct al__proc_plan plan;
    int rc = al__proc_plan_init(&plan, launch, err, size);
    if (rc < 0)
        return rc;
    pid_t pid = -1;
    rc = fds_open(&plan, launch, err, size);
    if (rc == 0)
        rc = supervisor_spawn(launch, &plan, &pid, err, size);
    fds_close(&plan);
    al__proc_plan_release(&plan);
    if (rc < 0)
        return rc;
    int64_t ticks = al__proc_start_ticks(pid);
    for (int i = 1; ticks < 0 && i < TICKS_TRIES; i++) {
        sleep_ms(1);
        ticks = al__proc_start_ticks(pid);
    }
    if (ticks < 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            continue;
        if (err && size)
            snprintf(err, size, "cannot read /proc/%d/stat of the new supervisor", (int)pid);
        return -AL_EIO;
    }
    out->pid = pid;
    out->start_ticks = ticks;
    return 0;
}

static int stat_read(pid_t pid, char *state, int64_t *ticks) {
    struct al__proc_stat st;
    if (al__proc_stat_read(pid, &st) != 0)
        return -1;
    *state = st.state;
    *ticks = st.start_ticks;
    return 0;
}

int64_t al__proc_start_ticks(pid_t pid) {
    char state;
    int64_t ticks;
    return stat_read(pid, &state, &ticks) == 0 ? ticks : -1;
}

/* Reads "exit N\n" or "signal N\n" into a shell-style exit code. Returns false if unreadable. */
static bool exit_file_read(const char *path, int *code) {
    char buf[64];
    if (al__proc_read_small(path, buf, sizeof buf) < 0)
        return false;
    bool sig = strncmp(buf, "signal ", 7) == 0;
    const char *num = sig ? buf + 7 : strncmp(buf, "exit ", 5) == 0 ? buf + 5 : NULL;
    if (!num || *num < '0' || *num > '9')
        return false;
    char *end;
    long v = strtol(num, &end, 10);
    if (*end != '\n' || v > (sig ? 127 : 255) || (sig && v == 0))
        return false;
    *code = sig ? 128 + (int)v : (int)v;
    return true;
}

/* The supervisor is gone: its exit file says how the command ended. Without one it was killed
 * before it could clean up: what is left of its group is killed here. */
enum al__proc_state al__proc_ended(const struct al__proc *proc, const char *exit_path, bool waited,
                                   int status, int *code) {
    if (exit_file_read(exit_path, code))
        return AL__PROC_EXITED;
    al__proc_kill_group(proc);
    if (waited && WIFSIGNALED(status)) {
        *code = 128 + WTERMSIG(status);
        return AL__PROC_EXITED;
    }
    *code = -1;
    return AL__PROC_LOST;
}

enum al__proc_state al__proc_poll(const struct al__proc *proc, const char *exit_path,
                                  int *exit_code) {
    char state;
    int64_t ticks;
    /* Check the start time first: waitpid on a reused pid could reap another task of ours. */
    if (proc->pid <= 1 || stat_read(proc->pid, &state, &ticks) != 0 || ticks != proc->start_ticks)
        return al__proc_ended(proc, exit_path, false, 0, exit_code);
    int status = 0;
    pid_t r;
    while ((r = waitpid(proc->pid, &status, WNOHANG)) < 0 && errno == EINTR)
        continue;
    if (r == proc->pid)
        return al__proc_ended(proc, exit_path, true, status, exit_code);
    if (r == 0)
        return AL__PROC_RUNNING;
    /* not our child (allotd restarted): alive unless a zombie waiting for its own parent */
    if (state == 'Z' || state == 'X')
        return al__proc_ended(proc, exit_path, false, 0, exit_code);
    return AL__PROC_RUNNING;
}

int al__proc_signal(const struct al__proc *proc, int sig) {
    if (proc->pid <= 1 || al__proc_start_ticks(proc->pid) != proc->start_ticks)
        return -AL_ENOENT;
    if (kill(-proc->pid, sig) == 0)
        return 0;
    if (errno == ESRCH)
        return -AL_ENOENT;
    return errno == EINVAL ? -AL_EINVAL : -AL_EIO;
}

int al__proc_find(const char *pid_path, struct al__proc *out) {
    char buf[64];
    if (al__proc_read_small(pid_path, buf, sizeof buf) < 0)
        return -AL_ENOENT;
    long long pid, ticks;
    char nl;
    if (sscanf(buf, "%lld %lld%c", &pid, &ticks, &nl) != 3 || nl != '\n' || pid <= 1 ||
        pid > INT32_MAX || ticks < 0)
        return -AL_ENOENT;
    struct al__proc p = {(pid_t)pid, ticks};
    char state;
    int64_t now_ticks;
    if (stat_read(p.pid, &state, &now_ticks) != 0 || now_ticks != ticks || state == 'Z' ||
        state == 'X')
        return -AL_ENOENT;
    *out = p;
    return 0;
}

static void kill_member(pid_t pid, void *arg) {
    int *killed = arg;
    if (kill(pid, SIGKILL) == 0)
        (*killed)++;
}

int al__proc_kill_group(const struct al__proc *proc) {
    int killed = 0;
    al__proc_members(proc->pid, proc->start_ticks, NULL, 0, kill_member, &killed);
    return killed;
}
