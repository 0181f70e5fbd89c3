/* isolate.h - the supervisor's task in mount and PID namespaces of its own (isolate.c): the
 * state dir is covered by an empty tmpfs, and /proc shows the task's processes only (not
 * allotd's, the supervisor's or another task's, which may run as the same account). Where
 * allotd is not root (and so cannot run the task as another user) in a user namespace too, in
 * which the task's user maps to itself, so that its commands hold no capability there and
 * cannot uncover what was hidden. */
#ifndef ALLOT_BACKENDS_LOCAL_SUPERVISOR_ISOLATE_H
#define ALLOT_BACKENDS_LOCAL_SUPERVISOR_ISOLATE_H

#include <stdbool.h>
#include <sys/types.h>

struct al__supervision;

/*
 * al__isolated_fork - as fork(), with the child in new namespaces that hide plan->hide: returns
 * the child's pid (its init: it reaps what the command leaves and exits with the command's
 * code, 128 + N for signal N) in the supervisor, -1 with errno when it cannot, and 0 in the
 * command's process, forked by that init (*parent is then 1, the pid its parent has there). A
 * namespace that cannot be set up writes why to the log and exits 127. Of the supervisor's
 * descriptors the child keeps 0-2 and `keep` (the command's terminal, -1 for none) only. The
 * supervisor keeps the namespaces for exec commands (al__isolated_enter).
 */
pid_t al__isolated_fork(const struct al__supervision *plan, int keep, pid_t *parent);

/* al__isolated - whether the task runs in namespaces of its own (al__isolated_fork). */
bool al__isolated(void);

/* al__isolated_enter - in an exec command's process: enters the task's namespaces (its children
 * are in its PID namespace; the process itself is not). 0, or -1 with errno. */
int al__isolated_enter(void);

/* al__isolation_probe - whether namespaces hiding `hide` can be made here (a kernel or a
 * container may refuse unprivileged user namespaces, or a /proc of their own): 0 or -1. */
int al__isolation_probe(const char *hide);

#endif
