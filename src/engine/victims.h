/* victims.h - candidate victims in reverse scheduling order, handed out a few tasks at a time. */
#ifndef ALLOT_ENGINE_VICTIMS_H
#define ALLOT_ENGINE_VICTIMS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"
#include "util/heap.h"

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
    int32_t min_state;                 /* -1 below the gang minimum, 0 at it, 1 above it */
    int64_t charge[AL_RESOURCE_COUNT]; /* what the tasks still in line hold */
};

/*
 * The next victim is found by a tournament down the queue tree: every leaf queue keeps its
 * entries in a heap (reverse job order), and every queue caches which entry of its subtree
 * goes first (its children's first entries compared where their paths diverge). A pop
 * changes one leaf, so only that leaf's path to the root is compared again:
 * O(log jobs + depth * children) per pop instead of a scan of every job.
 */
struct al__victim_queue {
    struct al__session *session;
    struct al__victim_entry *entries; /* filled entries, in fill order */
    size_t count;
    int64_t (*taken)[AL_RESOURCE_COUNT]; /* per queue: charge of the victims handed out */
    int32_t *counts;                     /* scratch: tasks per subgroup */
    int32_t *task_storage;               /* a job's entry uses tasks[first_task..] */
    struct al__heap *heaps;              /* per leaf queue: its entries */
    int32_t *first;                      /* per queue: the entry its subtree gives first, -1 */
    int32_t root;                        /* the entry the whole tree gives first, -1 */
    int32_t *jobs_by_queue;              /* job indices grouped by leaf queue, index order */
    int32_t *queue_jobs;                 /* per queue: offset of its jobs in jobs_by_queue */
    int32_t *queue_job_count;            /* per queue: how many */
    int32_t *by_depth;                   /* queues, deepest first */
};

/* Which running jobs are candidates; ctx is the caller's. */
typedef bool (*al__victim_filter)(const struct al__session *s, int32_t job, const void *ctx);

/* al__victims_init - storage for a queue over the session's jobs (arena), reused by every
 * al__victims_fill. Errors: -AL_ENOMEM. */
int al__victims_init(struct al__session *s, struct al__victim_queue *vq);

/*
 * al__victims_fill - refills the queue with every job that `filter` accepts and that has
 * tasks running, bound or pipelined, leaving out tasks for which skip[t] is set (may be
 * NULL). Only jobs of leaf queue `only_queue` are considered when it is >= 0.
 * O(jobs + tasks) of the queues considered.
 */
void al__victims_fill(struct al__victim_queue *vq, al__victim_filter filter, const void *ctx,
                      const unsigned char *skip, int32_t only_queue);

/*
 * al__victims_pop - the next eviction unit: its job in *job and its tasks in out (room for
 * the job's task count); returns how many, 0 when the queue is empty.
 */
int32_t al__victims_pop(struct al__victim_queue *vq, int32_t *job, int32_t *out);

/* al__victim_task - t is running, bound or pipelined from an earlier cycle (not placed in
 * this one), so evicting it frees what it holds. */
bool al__victim_task(const struct al__session *s, int32_t t);

#endif
