/* proc_plan.h - private to proc*.c: the environment and command paths of a task, prepared before
 * its supervisor is spawned. */
#ifndef ALLOT_BACKENDS_LOCAL_PROC_PLAN_H
#define ALLOT_BACKENDS_LOCAL_PROC_PLAN_H

#include <stddef.h>
#include <sys/types.h>

#include "backends/local/local.h"

#define AL__PLAN_GROUPS_TEXT 1024 /* "G1,G2,...": AL__ACCOUNT_MAX_GROUPS numbers */

/* What allot-supervisor is given (see supervisor/supervise.h). */
struct al__proc_plan {
    char *const *argv; /* borrowed from the launch */
    char **envp;       /* the launch's env, each name once (the last wins); strings borrowed */
    char **paths;      /* where to exec argv[0], in order (PATH lookup done); owned */
    /* envp's LD_PRELOAD, renamed AL__SUPERVISOR_PRELOAD_ENV for the way through the supervisor
     * (which must not load it); owned, NULL when none */
    char *preload;
    size_t path_count;
    int null_fd;        /* /dev/null, read-only; all fds >= 4 and close-on-exec */
    int log_fd;         /* the log, O_APPEND */
    int sync_fd;        /* write end of a pipe: the supervisor closes it once the group exists */
    char umask_text[8]; /* the task's umask, octal: the one allotd was started with */
    /* The account's --uid, --gid and --groups (launch->account; "" = none). */
    char uid_text[24], gid_text[24], groups_text[AL__PLAN_GROUPS_TEXT];
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

#endif
