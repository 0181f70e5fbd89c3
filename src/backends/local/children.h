/* children.h - the task supervisors the local backend started in this run (its children):
 * reaped by a thread of their own as they end, so that polling 10,000 running tasks costs no
 * system call per task (a waitpid(-1, WNOHANG) per pass walked all 10,000 in the kernel: 7-15 ms
 * a pass). Tasks re-adopted after a restart are not children and are polled through /proc. */
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
    /* The reaper: started with the first child; waits in waitpid while there are children,
     * else until one is added (`added` counts them). */
    pthread_t reaper;
    bool reaping, stopping, waiting; /* started; asked to stop; in waitpid (or about to be) */
    pthread_cond_t more;
    uint64_t added;
    void (*wake)(void *arg); /* called, no lock held, after a child was reaped */
    void *wake_arg;
};

/* al__children_init - none yet; wake (may be NULL) is told when one ends. */
void al__children_init(struct al__children *c, void (*wake)(void *arg), void *wake_arg);
/* al__children_release - stops the reaper (children keep running, unreaped). */
void al__children_release(struct al__children *c);

/* al__children_add - a supervisor just started. */
void al__children_add(struct al__children *c, const struct al__proc *p);

enum al__child_state { AL__CHILD_RUNNING, AL__CHILD_ENDED, AL__CHILD_UNKNOWN };

/*
 * al__children_refresh - true when any task may have ended since the last refresh: a child was
 * reaped, or a task that is not a child was seen running (al__children_adopted: only /proc can
 * tell when it ends). Call it before a pass of al__children_check.
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
