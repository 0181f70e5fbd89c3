/* account.h - the Unix account a local task runs as, looked up in the password and group
 * databases by allotd (the supervisor is a static program: it reads no database). */
#ifndef ALLOT_BACKENDS_LOCAL_ACCOUNT_H
#define ALLOT_BACKENDS_LOCAL_ACCOUNT_H

#include <stddef.h>
#include <sys/types.h>

#include "backends/local/task_env.h"

#define AL__ACCOUNT_MAX_GROUPS 64 /* supplementary groups given to a task (more are left out) */

struct al__account {
    uid_t uid;
    gid_t gid;
    gid_t groups[AL__ACCOUNT_MAX_GROUPS]; /* its supplementary groups, its primary one among them */
    size_t group_count;
    struct al__task_user user; /* name, home and shell: the task's HOME, USER, LOGNAME, SHELL */
};

/*
 * al__account_resolve - the account called `name`, for a task started by a process running as
 * `self` (geteuid()): 0 and *out, or -AL_ENOENT when there is no such account ("account
 * \"x\" does not exist on this machine"), -AL_EINVAL when it is root or, for a `self` other
 * than root, not `self` (only root switches users), with the reason in err.
 */
int al__account_resolve(const char *name, uid_t self, struct al__account *out, char *err,
                        size_t size);

#endif
