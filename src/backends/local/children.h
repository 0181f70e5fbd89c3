/* children.h - the task supervisors the local backend started in this run (its children):
 * reaped all at once with waitpid(-1), so that polling 10,000 running tasks costs no system call
 * per task. Tasks re-adopted after a restart are not children and are polled through /proc. */
#ifndef ALLOT_BACKENDS_LOCAL_CHILDREN_H
#define ALLOT_BACKENDS_LOCAL_CHILDREN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/local/local.h"
#include "util/strmap.h"

struct al__children {
    pthread_mutex_t lock;
    struct al__strmap by_pid; /* "PID" -> struct child */
    bool ended;               /* a child ended since the last refresh */
    bool adopted; /* a task that is not a child was seen running since the last refresh */
};

void al__children_init(struct al__children *c);
void al__children_release(struct al__children *c);

/* al__children_add - a supervisor just started. */
void al__children_add(struct al__children *c, const struct al__proc *p);

enum al__child_state { AL__CHILD_RUNNING, AL__CHILD_ENDED, AL__CHILD_UNKNOWN };

/*
 * al__children_refresh - reaps every child that ended, all at once (the only place that reaps:
 * call it before a pass of al__children_check). True when any task may have ended since the
 * last refresh: a child ended, or a task that is not a child was seen running
 * (al__children_adopted: only /proc can tell when it ends).
 */
bool al__children_refresh(struct al__children *c);

/* al__children_adopted - a task that is not a child was found running (through /proc). */
void al__children_adopted(struct al__children *c);

/*
 * al__children_check - says whether p is a child that runs, one that ended (*status as from
 * waitpid, seen by the last refresh; it is forgotten then), or not a child of this run (poll it
 * through /proc).
 */
enum al__child_state al__children_check(struct al__children *c, const struct al__proc *p,
                                        int *status);

#endif
