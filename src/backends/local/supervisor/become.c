/* become.c - a task's processes take on its account (see al__become in supervise.h).
 *
 * Only the command and the exec commands change user; the supervisor stays root. It must: it
 * writes the task's exit, pid and log-index files and its stream socket in allotd's private
 * directories (0700, root's), which no task may read or reach - another task's log and socket
 * are there too; it kills what is left of the task's session when the task ends, whatever user
 * its processes run as; and a supervisor of another user than the task's cannot be signalled,
 * traced or have its memory read by the task, so the task cannot forge its own exit status or
 * reach allotd through it. It runs no code of the task's and reads nothing the task writes but
 * its output (through the terminal and exec pipes). */
#define _GNU_SOURCE /* setgroups */
#include <errno.h>
#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "backends/local/supervisor/supervise.h"

int al__become(const struct al__supervision *plan) {
    if (!plan->switch_user)
        return 0;
    if (setgroups(plan->group_count, plan->groups) != 0 || setgid(plan->gid) != 0 ||
        setuid(plan->uid) != 0)
        return -1;
    if (getuid() != plan->uid || geteuid() != plan->uid || getegid() != plan->gid ||
        setuid(0) == 0) { /* no way back to root */
        errno = EPERM;
        return -1;
    }
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : -1;
}
