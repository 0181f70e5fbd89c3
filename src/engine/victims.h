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
 *
 * The next victim is found by a tournament down the queue tree: every leaf queue keeps its
 * entries in a heap, and every queue caches which entry of its subtree goes first (its
 * children's first entries compared where their paths diverge). A pop changes one leaf, so
 * only that leaf's path to the root is compared again.
 *
 * One queue serves a whole action. Its base holds every preemptible job with victim tasks
 * that min-runtime protection does not shield from the action; it is built once and changed
 * only when a search's evictions are kept (al__victims_commit). A search narrows the base to
 * its scope and pops from it; every change it makes is logged and undone by the next fill,
 * so a search costs what it touches, not the number of jobs.
 */
enum al__victim_scope {
    AL__SCOPE_ALL,          /* every queue (consolidation) */
    AL__SCOPE_OTHER_QUEUES, /* every queue but the preemptor's (reclaim) */
    AL__SCOPE_OWN_LOWER,    /* the preemptor's queue, strictly lower job priority (preempt) */
};

struct al__victim_entry {
    int32_t *tasks; /* candidate tasks still in line, in task order */
    int32_t count;
    int32_t priority; /* the job's, kept here for the heap's comparisons */
    int64_t created_s;
    int32_t min_state;                 /* -1 below the gang minimum, 0 at it, 1 above it */
    int64_t charge[AL_RESOURCE_COUNT]; /* what the tasks still in line hold */
};

struct al__victim_queue {
    struct al__session *session;
    enum al_action action; /* whose min-runtime protection applies */
    enum al__victim_scope scope;
    int32_t preemptor; /* of the current search, -1 */
    bool built;
    bool any_min_runtime;             /* some queue sets one: bases differ between actions */
    struct al__victim_entry *entries; /* per job, read from the session at entry_version */
    uint32_t *entry_version;          /* per job: the session's job_version when read */
    unsigned char *preemptible;       /* per job, kept small for scans over every job */
    int32_t *task_storage;            /* job j's entry uses tasks[first_task..] */
    int32_t *heap;                    /* per leaf queue a heap of jobs, at queue_jobs[q] */
    int32_t *heap_count;              /* per queue */
    int32_t *slot;                    /* per job: its place in its queue's heap, -1 */
    int32_t *base_heap;               /* the heaps of the base (same layout) */
    int32_t *base_count;
    int32_t *queue_jobs;      /* per queue: offset of its jobs in the per-job arrays */
    int32_t *queue_job_count; /* per queue: how many jobs it has */
    int32_t *jobs_by_queue;   /* job indices grouped by leaf queue, index order */
    int32_t *protected_jobs;  /* per queue (same layout): jobs min runtime shields */
    int32_t *protected_count;
    int32_t *by_depth; /* queues, deepest first */
    int32_t *first;    /* per queue: the job its subtree gives first (in scope), -1 */
    int32_t root;      /* the job the whole scope gives first, -1 */
    int64_t (*taken)[AL_RESOURCE_COUNT]; /* per queue: charge of the victims handed out */
    int32_t *counts;                     /* scratch: tasks per subgroup */
    /* What the current search changed, to undo it. */
    struct al__victim_entry *saved_entries; /* per job, as in the base */
    int32_t *saved_tasks;                   /* per task, as in the base */
    unsigned char *entry_saved;             /* per job */
    int32_t *saved_jobs;
    size_t saved_count;
    unsigned char *queue_touched; /* per queue: its heap or taken amount changed */
    int32_t *touched_queues;
    int32_t touched_count;
};

/* al__victims_init - storage for the queue (arena), reused by every action of the cycle.
 * Errors: -AL_ENOMEM. */
int al__victims_init(struct al__session *s, struct al__victim_queue *vq);

/* al__victims_begin - the queue of an action: its base is built by the first fill (entries of
 * jobs unchanged since an earlier action are not read again). */
void al__victims_begin(struct al__victim_queue *vq, enum al_action action,
                       enum al__victim_scope scope);

/*
 * al__victims_fill - the queue for a search by `preemptor`: the base in scope, leaving out
 * the preemptor's own tasks and skip[0..skip_count), the victims earlier steps chose; those
 * count as already handed out by their queues (the queue order after the victims taken).
 * Returns how many jobs of the scope min-runtime protection shields. The first fill builds the
 * base: O(jobs + tasks); later ones cost what the previous search changed, what skip removes, and
 * the shielded jobs.
 */
int al__victims_fill(struct al__victim_queue *vq, int32_t preemptor, const int32_t *skip,
                     int32_t skip_count);

/*
 * al__victims_pop - the next eviction unit: its job in *job and its tasks in out (room for
 * the job's task count); returns how many, 0 when the queue is empty.
 * O(log jobs of the leaf + depth * children).
 */
int32_t al__victims_pop(struct al__victim_queue *vq, int32_t *job, int32_t *out);

/*
 * al__victims_commit - the session kept a search's evictions: jobs of tasks[0..n) are read
 * again from the session, and queue comparisons use the new allocations. Call after the
 * search's last fill/pop (it undoes the search first). Errors: -AL_ENOMEM.
 */
int al__victims_commit(struct al__victim_queue *vq, const int32_t *tasks, int32_t n);

/* al__victim_task - t is running, bound or pipelined from an earlier cycle (not placed in
 * this one), so evicting it frees what it holds. */
bool al__victim_task(const struct al__session *s, int32_t t);

#endif
