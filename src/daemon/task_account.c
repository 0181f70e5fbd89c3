/* task_account.c - the Unix account a workload's tasks run as (see task_account.h). */
#define _DEFAULT_SOURCE /* getpwnam_r */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/task_account.h"

const char *al__task_account(struct allotd *d, const struct al__dworkload *w, char *buf,
                             size_t size) {
    if (!d->task_user)
        return NULL; /* allotd is not root */
    if (!al__directory_unix_user(&d->dir, w->owner, buf, size))
        snprintf(buf, size, "%s", d->task_user);
    return buf;
}

int al__task_account_choose(const char *given, const char **out, char *err, size_t size) {
    struct passwd pw, *found = NULL;
    char buf[4096];
    const char *name = given ? given : AL__TASK_USER_DEFAULT;
    int e = getpwnam_r(name, &pw, buf, sizeof(buf), &found);
    if (geteuid() != 0) {
        if (given && (!found || pw.pw_uid != geteuid())) {
            snprintf(err, size,
                     "--task-user %s: allotd is not root, so its tasks run as its own user "
                     "(start allotd as root to run them as another account)",
                     given);
            return -1;
        }
        *out = NULL;
        return 0;
    }
    if (!found) {
        snprintf(err, size, "--task-user %s: no such account on this machine%s%s", name,
                 e ? ": " : "", e ? strerror(e) : "");
        return -1;
    }
    if (pw.pw_uid == 0) {
        snprintf(err, size,
                 "--task-user %s: tasks never run as root (uid 0); name an unprivileged account "
                 "(default %s)",
                 name, AL__TASK_USER_DEFAULT);
        return -1;
    }
    *out = name;
    return 0;
}
