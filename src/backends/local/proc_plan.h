/* proc_plan.h - private to proc*.c: everything a task's supervisor needs, prepared before fork. */
#ifndef ALLOT_BACKENDS_LOCAL_PROC_PLAN_H
#define ALLOT_BACKENDS_LOCAL_PROC_PLAN_H

#include <stddef.h>
#include <sys/types.h>

#include "backends/local/local.h"

/*
 * After fork the children of a multi-threaded allotd may only call async-signal-safe functions,
 * so nothing here is allocated, formatted or looked up after fork: the plan holds the final
 * environment, the candidate paths of the command and open file descriptors.
 */
struct al__proc_plan {
    char *const *argv;     /* borrowed from the launch */
    char **envp;           /* allotd's environ with the launch's env on top; strings borrowed */
    char **paths;          /* where to exec argv[0], in order (PATH lookup done); owned */
    const char *workdir;   /* NULL = stay */
    const char *exit_path; /* borrowed */
    const char *pid_path;  /* borrowed; NULL = none */
    char pid_tmp[4096];    /* pid_path + ".tmp": written, then renamed into place */
    int null_fd;           /* /dev/null, read-only; all fds >= 3 and close-on-exec */
    int log_fd;            /* the log, O_APPEND */
    int sync_fd;           /* write end of a pipe: the supervisor closes it once the group exists */
    int max_fd;            /* bound for closing inherited fds when close_range is unavailable */
};

/*
 * al__proc_plan_init - fills plan from launch: merged environment and command paths. Opens no
 * file. Returns 0, or -AL_EINVAL / -AL_ENOMEM with a message in err (plan then needs no
 * release).
 */
int al__proc_plan_init(struct al__proc_plan *plan, const struct al__launch *launch, char *err,
                       size_t size);

/* al__proc_plan_release - frees what al__proc_plan_init allocated (fds are the caller's). */
void al__proc_plan_release(struct al__proc_plan *plan);

/*
 * al__proc_read_small - reads up to size - 1 bytes of the file at path into buf and ends them
 * with NUL; the count, or -1 when it cannot be opened or read, or is empty. Async-signal-safe
 * (open, read, close), so the supervisor uses it too.
 */
ssize_t al__proc_read_small(const char *path, char *buf, size_t size);

/*
 * al__proc_supervise - the supervisor's body, run in the child of fork with every signal
 * blocked. Uses only async-signal-safe functions; never returns. See al__proc_start.
 */
_Noreturn void al__proc_supervise(const struct al__proc_plan *plan);

#endif
