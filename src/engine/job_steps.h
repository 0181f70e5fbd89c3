/* job_steps.h - a job's next step (the tasks it places next), placing a step, and pending jobs in
 * allocation order: shared by allocate and the actions that search for victims. */
#ifndef ALLOT_ENGINE_JOB_STEPS_H
#define ALLOT_ENGINE_JOB_STEPS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/order.h"
#include "engine/placement.h"
#include "engine/session.h"
#include "util/heap.h"

/*
 * al__job_next_tasks - the pending tasks job j places next, in task order: what its gang
 * minimum (every subgroup's) still lacks, or else one elastic task. Writes at most the
 * job's task count to out and returns how many. *complete is false when the pending tasks
 * cannot make up the minimum. sub_need is scratch of at least the job's subgroup count.
 */
int32_t al__job_next_tasks(const struct al__session *s, int32_t j,
                           const struct al__place_options *opt, int32_t *out, int32_t *sub_need,
                           bool *complete);

/* al__tasks_request - the summed admission request of tasks[0..n). */
void al__tasks_request(const struct al__session *s, const int32_t *tasks, int32_t n,
                       int64_t req[AL_RESOURCE_COUNT]);

/* al__job_record_why - keeps why job j still has pending tasks. */
void al__job_record_why(struct al__session *s, int32_t j, const struct al_explanation *why);

/*
 * al__place_tasks - places tasks[0..n) of job j (pending, or evicted this cycle) all or
 * none (within the job's topology constraints: al__topology_place), each on the best node
 * (al__placement_find with opt, which may be NULL). When any lands on releasing capacity, or always
 * with opt->pipeline_only, every task the job placed this cycle is pipelined. On a task that fits
 * nowhere nothing changes, *placed_all is false and *why (may be NULL) says which task and how many
 * fitted. Errors: -AL_ENOMEM (nothing changed).
 */
int al__place_tasks(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                    const struct al__place_options *opt, bool *placed_all,
                    struct al_explanation *why);

/* al__place_plain - al__place_tasks without the job's topology constraints (opt->topology, when
 * set, holds every task to its domains); what al__topology_place calls per domain. */
int al__place_plain(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                    const struct al__place_options *opt, bool *placed_all,
                    struct al_explanation *why);

/*
 * Pending jobs in allocation order: one heap per leaf queue in job order, and a tournament
 * down the queue tree: every queue caches the leaf whose head it serves first (its
 * children's keys compared, al__queue_key) and its own key given that head's next step.
 * The session lists the jobs whose tasks changed; before each pop only their leaves and the
 * queues above them are compared again: O(changed leaves * depth * children) per pop.
 */
struct al__job_queue {
    struct al__heap *heaps;                 /* per leaf queue */
    int32_t *first;                         /* per queue: the leaf it serves first, -1 */
    struct al__queue_key *keys;             /* per queue: its key for that leaf's head */
    int64_t (*head_req)[AL_RESOURCE_COUNT]; /* per leaf: its head's next-step request */
    int32_t *by_depth;                      /* queues, deepest first */
    unsigned char *marked;                  /* per queue: to compare again (2: and re-heap) */
    int32_t *marked_queues, marked_count;
    unsigned char *in_heap; /* per job */
    int32_t *tasks;         /* scratch of the largest job's task count */
    int32_t *sub_need;      /* scratch of the most subgroups */
    /* Interchangeable jobs (job_classes.h) settled together once one of them failed: */
    int32_t *in_class;     /* per job: its class when it was queued (untouched), -1 */
    int32_t *class_left;   /* per class: its jobs in the heaps */
    int32_t *class_failed; /* per class: the job whose failure settles the others, -1 */
    int32_t *class_how;    /* per class: how it failed (the action's own code) */
    int32_t *alive;        /* per leaf: jobs in its heap not known to fail */
    /* settle - job j fails the way `failed` (of its class) did, `how`; NULL: nothing is settled
     * in bulk (every job is popped). */
    void (*settle)(struct al__session *s, void *ctx, int32_t failed, int32_t how, int32_t j);
    void *settle_ctx;
};

/* al__job_queue_init - heaps for every queue holding the jobs with pending tasks. Arena
 * storage. Errors: -AL_ENOMEM. */
int al__job_queue_init(struct al__session *s, struct al__job_queue *jq);

/* al__job_queue_pop - removes and returns the next job, -1 when none is left. */
int32_t al__job_queue_pop(struct al__session *s, struct al__job_queue *jq);

/*
 * al__job_queue_fail - job j, just popped, failed in a way every job of its class (job_classes.h)
 * still in line would fail too, for the rest of this action: the action's state only gets harder
 * for them (allocate takes capacity and quota and gives none back; a victim search that found
 * nothing for one finds nothing for another, as al__victim_action_run's failure memo assumes).
 * Once every job left in a leaf is known to fail, the leaf is settled in bulk: jq->settle is
 * called for each of them instead of popping it, in no particular order (their outcomes do not
 * depend on it). A job without a class, or touched since it was queued, is not affected.
 */
void al__job_queue_fail(struct al__session *s, struct al__job_queue *jq, int32_t j, int32_t how);

/* al__job_queue_push - puts job j back in line. */
void al__job_queue_push(struct al__session *s, struct al__job_queue *jq, int32_t j);

/* al__job_queue_refresh_queue - recomputes queue q's first leaf and key from its children's
 * (or, for a leaf, from its heap). */
void al__job_queue_refresh_queue(const struct al__session *s, struct al__job_queue *jq, int32_t q);

#endif
