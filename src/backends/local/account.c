/* account.c - looks up the account a local task runs as (see account.h). */
#define _DEFAULT_SOURCE /* getpwnam_r, getgrouplist */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/local/account.h"

int al__account_resolve(const char *name, uid_t self, struct al__account *out, char *err,
                        size_t size) {
    struct passwd pw, *found = NULL;
    char buf[4096];
    int e = getpwnam_r(name, &pw, buf, sizeof(buf), &found);
    if (!found) {
        snprintf(err, size, "account \"%s\" does not exist on this machine%s%s", name,
                 e ? ": " : "", e ? strerror(e) : "");
        return -AL_ENOENT;
    }
    if (pw.pw_uid == 0) {
        snprintf(err, size, "account \"%s\" is root: tasks never run as root", name);
        return -AL_EINVAL;
    }
    if (pw.pw_gid == 0) {
        snprintf(err, size, "account \"%s\" has group root (gid 0): tasks never run in it", name);
        return -AL_EINVAL;
    }
    if (self != 0 && pw.pw_uid != self) {
        snprintf(err, size, "cannot run as account \"%s\": allotd is not root", name);
        return -AL_EINVAL;
    }
    struct al__account a;
    memset(&a, 0, sizeof(a));
    a.uid = pw.pw_uid;
    a.gid = pw.pw_gid;
    int n = AL__ACCOUNT_MAX_GROUPS;
    if (getgrouplist(name, pw.pw_gid, a.groups, &n) < 0) { /* more than fit: the first ones */
        n = AL__ACCOUNT_MAX_GROUPS;
    }
    a.group_count = n > 0 ? (size_t)n : 0;
    if (a.group_count == 0) {
        a.groups[0] = pw.pw_gid;
        a.group_count = 1;
    }
    snprintf(a.user.name, sizeof(a.user.name), "%s", pw.pw_name);
    snprintf(a.user.home, sizeof(a.user.home), "%s", pw.pw_dir && pw.pw_dir[0] ? pw.pw_dir : "/");
    snprintf(a.user.shell, sizeof(a.user.shell), "%s",
             pw.pw_shell && pw.pw_shell[0] ? pw.pw_shell : "/bin/sh");
    *out = a;
    return 0;
}
