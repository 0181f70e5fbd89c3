/* session.h - the mutable state of one scheduling cycle: node, GPU, queue, job and task accounting.
 */
#ifndef ALLOT_ENGINE_SESSION_H
#define ALLOT_ENGINE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "allot/cycle.h"
#include "allot/model.h"
#include "engine/node_index.h"
#include "util/arena.h"
#include "util/wide.h"

/*
 * GPU devices are accounted in "units" of 1/1000 MiB so that both kinds of shared
 * request are exact: a portion of p milli-GPU takes p * memory_mib units, a memory
 * request of m MiB takes m * 1000 units, a whole device takes all of them.
 */
struct al__gpu_state {
    int64_t capacity;        /* memory_mib * 1000 */
    int64_t used;            /* units held, including units being released */
    int64_t releasing;       /* part of used that evictions or endings are freeing */
    int32_t shared;          /* shared-GPU tasks holding the device (not releasing) */
    int32_t pipelined;       /* pipelined tasks holding the device */
    int64_t pipelined_units; /* part of used that pipelined tasks hold */
};

/* One MIG profile a node offers (al_node.migs, same index): instances held, as GPU devices. */
struct al__mig_state {
    int32_t used;      /* instances held, including those being released */
    int32_t releasing; /* part of used that evictions or endings are freeing */
    int32_t pipelined; /* part of used that pipelined tasks hold */
};

struct al__node_state {
    int64_t used[AL_RESOURCE_COUNT]; /* cpu and memory; [AL_GPU] unused */
    int64_t releasing[AL_RESOURCE_COUNT];
    struct al__gpu_state *gpus;
    int32_t gpu_count;
    struct al__mig_state *migs; /* per al_node.migs */
};

struct al__queue_state {
    int64_t allocated[AL_RESOURCE_COUNT];    /* active tasks below this queue */
    int64_t allocated_np[AL_RESOURCE_COUNT]; /* ... of non-preemptible jobs */
    int64_t requested[AL_RESOURCE_COUNT];    /* active + pending, capped by limit */
    int64_t fair_share[AL_RESOURCE_COUNT];
    int64_t fair_share_without_usage[AL_RESOURCE_COUNT]; /* the same with usage_k_milli 0 */
    al__i128 round_weight; /* this round's over-quota weight, adjusted by usage (fairshare.c) */
    int32_t *children;     /* child queues in sibling order (older first, then name) */
    int32_t child_count;
    int32_t depth; /* 0 for a top-level queue */
};

struct al__job_state {
    int32_t active;      /* tasks allocated, pipelined, bound or running */
    int32_t *sub_active; /* the same per subgroup */
    int32_t pending;     /* tasks pending */
    int32_t *order;      /* the job's task indices in task order */
    bool has_why;        /* s->why[job] says why the job still has pending tasks */
    /* semi-preemptible jobs: the core charge its queues' allocated_np holds for it now */
    int64_t core[AL_RESOURCE_COUNT];
};

struct al__task_state {
    enum al_task_state state;
    int32_t node;
    int32_t *gpus; /* device indices on node */
    int32_t gpu_count;
    int64_t charge[AL_RESOURCE_COUNT]; /* what the task counts against its queues */
    bool evicted;
};

enum al__op_kind { AL__OP_PLACE, AL__OP_EVICT, AL__OP_PIPELINE, AL__OP_UNEVICT };

/* One entry of the operation log; enough to undo the operation exactly. */
struct al__op {
    enum al__op_kind kind;
    int32_t task;
    enum al_task_state prev_state;
    int32_t prev_node;
    int32_t *prev_gpus;
    int32_t prev_gpu_count;
    int64_t prev_charge[AL_RESOURCE_COUNT];
    bool prev_evicted;
    enum al_reason reason; /* evictions: why */
    int32_t by_job;        /* evictions: the job they make room for, -1 */
    int32_t note_queue;    /* reclaim: the victim's queue where the paths diverge */
    enum al_resource note_resource;
    int64_t note_allocated; /* ... its allocation of note_resource before the eviction */
};

struct al__session {
    const struct al_cluster *cluster;
    struct al__arena arena;
    struct al__node_state *nodes;
    struct al__queue_state *queues;
    struct al__job_state *jobs;
    struct al_explanation *why; /* per job, apart: scans of the job states stay small */
    struct al__task_state *tasks;
    int32_t *node_order;  /* node indices by name */
    int32_t *queue_order; /* queue indices by creation order, then name */
    int32_t *queue_rank;  /* per queue: its place in queue_order */
    int32_t *queue_jobs;  /* per queue: how many jobs it holds */
    size_t max_job_tasks; /* the most tasks of one job (at least 1) */
    size_t max_subgroups; /* the most subgroups of one job (at least 1) */
    int32_t *top_queues;  /* top-level queues in sibling order */
    int32_t top_count;
    int64_t total[AL_RESOURCE_COUNT]; /* allocatable in the whole cluster */
    int64_t usage_k_milli;            /* the kValue the fair share divides with now */
    int32_t gpu_memory_min;           /* smallest device memory (rule 5 of SCHEMA.md) */
    int32_t gpu_memory_max;           /* largest device memory */
    int32_t max_node_gpus;            /* most devices on one node */
    struct al__node_index index;      /* nodes by free capacity, kept with the accounting */
    struct al__frag *frag;            /* the allot placement policy's state; NULL unless used */
    struct al__topology_state *topo;  /* the topologies' domains (topology.h); NULL if none */
    int32_t *scratch_gpus;            /* placement buffers of max_node_gpus entries */
    int32_t *best_gpus;
    int64_t victim_scenarios;           /* scenarios the victim searches simulated */
    int64_t longest_search_ns;          /* the slowest search for one job */
    int64_t action_ns[AL_ACTION_COUNT]; /* each action's time (config.clock_ns), 0 without */
    void *victim_solver;   /* the victim searches' scratch, shared by the cycle's actions */
    uint32_t *job_version; /* per job: changes whenever one of its tasks changes state */
    int32_t *job_class;    /* per job: its class of interchangeable jobs (job_classes.h) */
    int32_t class_count;
    /* Jobs whose tasks changed state since the job queue last looked (job_steps.h). */
    unsigned char *job_dirty;
    int32_t *dirty_jobs;
    int32_t dirty_count;
    /* Reservations (reservation.h), made by allocate: per node the job that reserved it (-1) and
     * from when; NULL until the cycle's first reservation. The jobs in the order they reserved. */
    int32_t *reserved_by;
    int64_t *reserved_from;
    int32_t *reserving_jobs;
    int64_t *reserving_start;
    int32_t reserving_count;
    int32_t reservation_plans; /* plans made this cycle (AL__MAX_RESERVATION_PLANS) */
    struct al__op *ops;        /* operation log (heap, grows) */
    size_t op_count;
    size_t op_capacity;
    bool core_ready; /* every task state is built: semi-preemptible cores are kept */
};

/* Memory kept between sessions (al_workspace): arena blocks and the operation log. */
struct al__workspace {
    struct al__arena arena;
    struct al__op *ops;
    size_t op_capacity;
    struct al__arena results; /* blocks of released results, for the next result */
    int32_t live_results;     /* results made here and not yet released */
    bool released;            /* al_workspace_release ran while results were alive */
};

/*
 * al__session_init - builds the session state of a cluster (borrowed for the
 * session's life): orders, accounting of every active task, queue requests, the node
 * index. Takes its memory from ws when it is not NULL.
 * Errors: -AL_ENOMEM, -AL_EINVAL when the cluster breaks the model's invariants
 * (an index out of range, a device held twice by whole-GPU tasks, ...).
 * The session must be released with al__session_release() even on failure.
 */
int al__session_init(struct al__session *s, const struct al_cluster *cluster,
                     struct al__workspace *ws);

/* al__session_release - frees the session's memory, or gives it back to ws (not NULL). */
void al__session_release(struct al__session *s, struct al__workspace *ws);

/* Which request of a task that is not placed: GPU memory requests converted with the
 * largest device memory (admission against quotas) or the smallest (queue requests). */
enum al__request_kind { AL__REQUEST_ADMISSION, AL__REQUEST_FAIR_SHARE };

/* al__task_request - the resources task t asks for, in queue units, before placement. */
void al__task_request(const struct al__session *s, int32_t t, enum al__request_kind kind,
                      int64_t out[AL_RESOURCE_COUNT]);

/* al__task_is_shared - t requests a portion or memory of shared devices. */
bool al__task_is_shared(const struct al_task *task);

/* al__node_mig_slot - the index of `profile` among the node's MIG profiles, -1 if it offers none.
 */
int32_t al__node_mig_slot(const struct al_node *node, const char *profile);

/* al__task_mig_milli - what a task's MIG instances count for in quota: milli-GPU, G whole GPUs
 * per instance of a "<G>g.<M>gb" profile (KAI Scheduler's GetGpusQuota). */
int64_t al__task_mig_milli(const struct al_task *task);

/* al__task_units - the device units task t needs on a device of `memory_mib`. */
int64_t al__task_units(const struct al_task *task, int32_t memory_mib);

/* Whether a state holds node resources / counts against its queues. */
bool al__state_charges_queue(enum al_task_state state);

/*
 * al__session_place - places task t on `node` using `gpus` (copied) in state
 * ALLOCATED or PIPELINED, and logs the operation. Errors: -AL_ENOMEM (nothing changed).
 */
int al__session_place(struct al__session *s, int32_t t, int32_t node, const int32_t *gpus,
                      int32_t gpu_count, enum al_task_state state);

/* al__session_pipeline - turns an ALLOCATED task into a PIPELINED one (logged). */
int al__session_pipeline(struct al__session *s, int32_t t);

/* al__session_evict - starts releasing an active task's resources, for `reason` (logged). */
int al__session_evict(struct al__session *s, int32_t t, enum al_reason reason);

/* al__session_evict_for - al__session_evict on behalf of job by_job (reclaim, preempt,
 * consolidation); a reclaim also notes the victim's queue where the two paths diverge and
 * its allocation before the eviction. */
int al__session_evict_for(struct al__session *s, int32_t t, enum al_reason reason, int32_t by_job);

/* al__session_unevict - a task evicted in this cycle keeps its place after all: back to the
 * state it had at the start of the cycle, on its devices (logged). */
int al__session_unevict(struct al__session *s, int32_t t);

/*
 * al__cluster_check_holdings - the invariants of the cluster that al__session_init checks
 * once every active task is accounted: jobs only in leaf queues, and no device over-committed,
 * counted twice (what is held now, pipelined tasks aside, and what will be held once
 * releasing tasks are gone). -AL_EINVAL when one is broken. O(queues + jobs + devices).
 */
int al__cluster_check_holdings(const struct al__session *s);

/*
 * al__session_check - recomputes every sum the session keeps (node, device, queue and job
 * accounting, the node index) from the tasks and compares: true when all agree. For tests and
 * assertions (AL__CHECK_INVARIANTS below); O(everything).
 */
bool al__session_check(const struct al__session *s);

/* In builds with AL_DEBUG_INVARIANTS defined (the test builds), the session is checked after
 * every rollback and every action. */
#ifdef AL_DEBUG_INVARIANTS
#include <assert.h>
#define AL__CHECK_INVARIANTS(s) assert(al__session_check(s))
#else
#define AL__CHECK_INVARIANTS(s) ((void)0)
#endif

/* al__session_checkpoint - a mark in the operation log to roll back to. */
size_t al__session_checkpoint(const struct al__session *s);

/* al__session_rollback - undoes every operation after `mark`, newest first, restoring
 * node, GPU, queue, job and task accounting exactly. */
void al__session_rollback(struct al__session *s, size_t mark);

#endif
