/* service.h - allotd's domain operations on queues and workloads, for the routes: each owns its
 * transaction (the change is durable before it takes effect in memory) and says what went
 * wrong in terms a route renders. The other writers are submits (submit.c, group-committed)
 * and the scheduling cycle (loop.c, decisions.c). Called with the store lock and the state
 * lock held. */
#ifndef ALLOT_DAEMON_SERVICE_H
#define ALLOT_DAEMON_SERVICE_H

#include "daemon/daemon.h"

/* Why an operation was refused: an API error code ("already_exists", "failed_precondition",
 * "internal"), the field it is about ("" for none) and a message. */
struct al__failure {
    const char *code;
    char field[128]; /* "pools.<63-character pool>.deserved.memory_bytes" fits */
    char message[512];
};

/* al__refuse - fills f; returns -1. */
int al__refuse(struct al__failure *f, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* al__queue_add - a new department or project (its fields validated; its quotas checked by
 * al__quota_check); the state's copy, or NULL. */
struct al__dqueue *al__queue_add(struct allotd *d, struct al__dqueue *q, struct al__failure *f);
/* al__queue_change - q's settings become `changed` (validated and checked likewise; not while
 * q is being deleted). 0 or -1. */
int al__queue_change(struct allotd *d, struct al__dqueue *q, struct al__dqueue *changed,
                     struct al__failure *f);
/*
 * al__queue_remove - a department without projects (with or without force), or a project
 * without live workloads (pending, running, stopping); its finished ones, retired too, go with
 * it: 0. With `force` a project's live workloads go too: at once where none of their tasks is
 * active (0), else they are stopped and the project is marked deleting, to be removed once they
 * are gone (tasks_life.c): 1, and 1 again for a project already deleting. -1 on failure
 * ("failed_precondition" saying what is left, or a backend's or the store's error).
 */
int al__queue_remove(struct allotd *d, struct al__dqueue *q, bool force, struct al__failure *f);

/* al__workload_delete - removes w at once when none of its tasks is active (0), else stops
 * them and marks it deleting (1): the loop removes it once they are gone. -1 on failure. */
int al__workload_delete(struct allotd *d, struct al__dworkload *w, struct al__failure *f);
/*
 * al__workload_suspend - a pending or running workload is suspended: not scheduled until
 * resumed, its pipelined places given up, its running tasks stopped (at once after the grace
 * period) and requeued once they exit (a restart); one already suspended is left as it is.
 * 0, or -1: one that finished or is being deleted (failed_precondition), a store failure.
 */
int al__workload_suspend(struct allotd *d, struct al__dworkload *w, struct al__failure *f);
/* al__workload_resume - a suspended workload is pending again (running while tasks it stopped
 * are still stopping; they are requeued as they exit). 0, or -1: it is not suspended
 * (failed_precondition), a store failure. */
int al__workload_resume(struct allotd *d, struct al__dworkload *w, struct al__failure *f);

/* al__workload_mark_deleting - in the caller's transaction: w (some task active) becomes
 * deleting and its tasks are asked to stop (a pipelined one gives up its place); the loop
 * removes it once they are gone. 0 or -AL_EIO (w is changed in memory either way). */
int al__workload_mark_deleting(struct allotd *d, struct al__dworkload *w);
/* al__workload_delete_retired - removes a finished workload kept in the store only (w was read
 * from it; the caller frees it). 0 or -1. */
int al__workload_delete_retired(struct allotd *d, struct al__dworkload *w, struct al__failure *f);

#endif
