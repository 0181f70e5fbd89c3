/* victims.h - candidate victims in reverse scheduling order, handed out a few tasks at a time. */
#ifndef ALLOT_ENGINE_VICTIMS_H
#define ALLOT_ENGINE_VICTIMS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"

/*
 * Running jobs that may lose tasks, ordered as the scheduler would serve them last:
 * across queues (compared where their paths diverge) a queue over its fair share before
 * one within it, over its deserved quota before within, lower queue priority, a larger
 * dominant share (after the victims already taken from it), newer; within a queue the
 * reverse of job order (lower priority, above the gang minimum before at it, newer).
 * Each pop hands out the job's next eviction unit (SCHEMA.md rule 3): one surplus task of
 * its fullest (sub)group while any is above its minimum, else every task left; the rest of
 * the job goes back in line.
 */
struct al__victim_entry {
    int32_t job;
    int32_t *tasks; /* candidate tasks still in line, in task order */
    int32_t count;
};

struct al__victim_queue {
    struct al__session *session;
    struct al__victim_entry *entries; /* unordered; the best is found by scanning */
    size_t count;
    int64_t (*taken)[AL_RESOURCE_COUNT]; /* per queue: charge of the victims handed out */
    int32_t *counts;                     /* scratch: tasks per subgroup */
    int32_t *task_storage;               /* a job's entry uses tasks[first_task..] */
};

/* Which running jobs are candidates; ctx is the caller's. */
typedef bool (*al__victim_filter)(const struct al__session *s, int32_t job, const void *ctx);

/* al__victims_init - storage for a queue over the session's jobs (arena), reused by every
 * al__victims_fill. Errors: -AL_ENOMEM. */
int al__victims_init(struct al__session *s, struct al__victim_queue *vq);

/*
 * al__victims_fill - refills the queue with every job that `filter` accepts and that has
 * tasks running, bound or pipelined, leaving out tasks for which skip[t] is set (may be
 * NULL). O(jobs + tasks).
 */
void al__victims_fill(struct al__victim_queue *vq, al__victim_filter filter, const void *ctx,
                      const unsigned char *skip);

/*
 * al__victims_pop - the next eviction unit: its job in *job and its tasks in out (room for
 * the job's task count); returns how many, 0 when the queue is empty.
 */
int32_t al__victims_pop(struct al__victim_queue *vq, int32_t *job, int32_t *out);

/* al__victim_task - t is running, bound or pipelined from an earlier cycle (not placed in
 * this one), so evicting it frees what it holds. */
bool al__victim_task(const struct al__session *s, int32_t t);

#endif
