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
 * does not run as root: it cannot switch users). Resolved at every start, never stored: where
 * the workload's owner is a user with a Unix account of their own (`allot user update
 * --unix-user`), that account (as Slurm runs a job as its owner; the backend refuses root and
 * accounts that do not exist, failing the task with the reason), else the dedicated account
 * (--task-user, d->task_user). The name is copied into buf (size bytes); returns buf or NULL.
 */
const char *al__task_account(struct allotd *d, const struct al__dworkload *w, char *buf,
                             size_t size);

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
