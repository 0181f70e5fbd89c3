/* task_account.h - which Unix account a workload's tasks run as on a backend that runs them on
 * this machine (the local one): never allotd's own where allotd is root. */
#ifndef ALLOT_DAEMON_TASK_ACCOUNT_H
#define ALLOT_DAEMON_TASK_ACCOUNT_H

#include <stddef.h>

struct allotd;
struct al__dworkload;

/* The dedicated account of a root allotd when --task-user is not given. */
#define AL__TASK_USER_DEFAULT "nobody"

/*
 * al__task_account - the Unix account w's tasks run as, or NULL for allotd's own user (allotd
 * does not run as root: it cannot switch users). Resolved at every start, never stored: today
 * the dedicated account (--task-user, d->task_user); where the workload's owner maps to a Unix
 * account of their own, that account, falling back to the dedicated one. The string is d's or
 * w's, valid while they are (under d->lock).
 */
const char *al__task_account(const struct allotd *d, const struct al__dworkload *w);

/*
 * al__task_account_choose - the dedicated account allotd runs tasks as, from --task-user
 * (`given`, NULL when not given): for a root allotd, `given` or AL__TASK_USER_DEFAULT, which
 * must exist in the password database and must not be root (uid 0); for any other allotd NULL
 * (its own user), and `given` is refused unless it names that user. Returns 0 and sets *out
 * (static or `given`), or -1 with the reason in err ("--task-user root: tasks never run as
 * root; ...").
 */
int al__task_account_choose(const char *given, const char **out, char *err, size_t size);

#endif
