/* cycle.h - run one scheduling cycle over a cluster: decisions, explanations, fair shares. */
#ifndef ALLOT_CYCLE_H
#define ALLOT_CYCLE_H

#include "allot/model.h"

enum al_decision_kind {
    AL_DECISION_BIND,     /* task placed on idle resources: bind it now */
    AL_DECISION_PIPELINE, /* task placed on resources being released: bind in a later cycle */
    AL_DECISION_EVICT,    /* task must be terminated to free its resources */
};

/* Why a job is pending (or why a task was evicted). */
enum al_reason {
    AL_REASON_NONE,
    AL_REASON_OVER_LIMIT,                 /* a queue on the path would exceed its limit */
    AL_REASON_NON_PREEMPTIBLE_OVER_QUOTA, /* non-preemptible work beyond a deserved quota */
    AL_REASON_GANG_INCOMPLETE,            /* only some of the gang's minimum fits */
    AL_REASON_NO_NODE_FITS,               /* a task fits on no node */
    AL_REASON_NOT_REACHED,                /* the cycle ended before the job was tried */
    AL_REASON_STALE_GANG,   /* evicted: below its gang minimum past the grace period */
    AL_REASON_RECLAIMED,    /* evicted: its queue is over its fair share and another needs it */
    AL_REASON_PREEMPTED,    /* evicted: a higher-priority job of its queue needs the room */
    AL_REASON_CONSOLIDATED, /* evicted to be moved elsewhere, making room for another job */
    AL_REASON_TOPOLOGY,     /* no domain of the required topology level holds the tasks */
    AL_REASON_COUNT
};

struct al_decision {
    enum al_decision_kind kind;
    int32_t task;
    int32_t node;        /* where it goes (bind, pipeline) or the node it leaves (evict) */
    const int32_t *gpus; /* device indices on `node`, owned by the result */
    size_t gpu_count;
    enum al_reason reason; /* evictions only */
    /* Evictions by reclaim, preempt or consolidation: the job they make room for, else -1. */
    int32_t by_job;
    /* Reclaim: the victim's queue where its path and the reclaimer's diverge, and that
     * queue's fair share and allocation of `resource` when the victims were chosen. */
    int32_t queue;
    enum al_resource resource;
    int64_t queue_fair_share;
    int64_t queue_allocated;
};

/*
 * A structured explanation for a job that still has pending tasks after the
 * cycle. Which fields are meaningful depends on `reason`:
 *   OVER_LIMIT, NON_PREEMPTIBLE_OVER_QUOTA: queue, resource, allocated, requested,
 *       limit (the limit or the deserved quota that blocks)
 *   GANG_INCOMPLETE: placeable (tasks of the minimum that fit), needed (the minimum),
 *       plus task and the NO_NODE_FITS fields for the first task that did not fit
 *   NO_NODE_FITS: task, requested_task (its request), best_free (the most free on any
 *       node whose labels match and that no reservation keeps from the job, per resource),
 *       nodes_matching (nodes whose labels match);
 *       for a task asking MIG instances, mig_short (1 + the index in the task's migs of the
 *       first profile no matching node has enough of free, 0 when each has: something else
 *       is short), mig_free (the most instances of it free on one matching node, -1 when
 *       no matching node offers the profile) and mig_releasing (the most of it free or being
 *       released on one matching node, -1 likewise: above mig_free when evictions or endings
 *       are freeing some, and once it reaches the count asked, the task would be pipelined
 *       there were the rest of its job placed)
 *   TOPOLOGY: topology_level (the required level no domain of satisfied), topology_subgroup
 *       (the subgroup whose constraint it is, -1 for the job's; al_explanation_topology gives
 *       the constraint), requested_task (the tasks' summed request), needed (how many tasks),
 *       best_free (the free resources of the domain of that level with the most free of the
 *       request's main resource), placeable (tasks that domain could hold), nodes_matching
 *       (domains of that level considered), allocated (the job's or subgroup's tasks placed
 *       before: they hold it to their domain of that level, the one considered). GANG_INCOMPLETE
 * and NO_NODE_FITS also carry topology_level when the tasks fitted no domain of the required level
 * though some had room in sum. topology_level is 0 when no topology constraint is involved
 * (topology_subgroup is then meaningless). Amounts use the engine's units (milli-GPU, millicores,
 * bytes); a GPU-memory request is counted in milli-GPU converted with the largest device memory in
 * the cluster (the amount quotas are checked with), summed over its devices.
 */
/* Which part of a semi-preemptible job did not fit (al_explanation.part). */
enum al_job_part {
    AL_PART_WHOLE = 0,   /* a job that is not semi-preemptible */
    AL_PART_CORE = 1,    /* its first min_members tasks: non-preemptible, within deserved quota */
    AL_PART_ELASTIC = 2, /* a task beyond its core: preemptible, may go over quota */
};

struct al_explanation {
    int32_t job;
    enum al_reason reason;
    enum al_job_part part; /* semi-preemptible jobs: the part whose step did not fit */
    int32_t queue;
    enum al_resource resource;
    int64_t allocated;
    int64_t requested;
    int64_t limit;
    int32_t placeable;
    int32_t needed;
    int32_t task;
    int16_t topology_level; /* (16-bit: they fill the padding before requested_task) */
    int16_t topology_subgroup;
    int64_t requested_task[AL_RESOURCE_COUNT];
    int64_t best_free[AL_RESOURCE_COUNT];
    int32_t nodes_matching;
    /* Victim searches that ran for the job and found no acceptable victims: one bit per
     * action (1u << AL_ACTION_RECLAIM, ...), and how many running jobs those searches
     * left alone because of min-runtime protection. */
    uint32_t victim_search;
    int32_t victims_protected;
    /* Actions whose victim search for the job a bound of config.victim_budget ended before
     * it found victims, or that did not search for it because the action's budget was
     * already spent (bits as victim_search). */
    uint32_t victim_search_cut;
    /* NO_NODE_FITS, GANG_INCOMPLETE: nodes matching the task that reservations of large gangs
     * keep from this job (it has no time limit, or one that ends after they start), and the
     * earliest of those reservations' starts (al_result.reservations). */
    int32_t nodes_reserved;
    int64_t reserved_from_s;
    int32_t mig_short, mig_free, mig_releasing; /* NO_NODE_FITS, GANG_INCOMPLETE, MIG (above) */
};

/* Where every task is at the end of the cycle. */
struct al_task_outcome {
    enum al_task_state state; /* a task evicted this cycle ends as AL_TASK_RELEASING */
    bool evicted;             /* evicted by this cycle */
    int32_t node;
    const int32_t *gpus;
    size_t gpu_count;
};

struct al_queue_outcome {
    int64_t fair_share[AL_RESOURCE_COUNT]; /* computed at the start of the cycle */
    /* The fair share the queue would have had with no usage history (config.usage_k_milli
     * 0); equal to fair_share when time-based fair share is off. */
    int64_t fair_share_without_usage[AL_RESOURCE_COUNT];
    int64_t allocated[AL_RESOURCE_COUNT]; /* at the end of the cycle */
    int64_t requested[AL_RESOURCE_COUNT]; /* at the start of the cycle, capped by limit */
};

/* A reservation the cycle made (config.reservation_min_gpus): a large gang that did not fit
 * holds `nodes` from start_s, the earliest time its gang fits there by the known ends of the
 * tasks running there; until then only jobs whose time limit ends by start_s are placed there. */
struct al_reservation {
    int32_t job;
    int64_t start_s;
    const int32_t *nodes; /* node indices in name order, owned by the result */
    size_t node_count;
};

/* One node pool's part of a cycle over a cluster with pools (al_result.pools). */
struct al_pool_outcome {
    const char *name;                /* owned by the result; NULL for the default pool */
    struct al_queue_outcome *queues; /* one per cluster queue: its share of this pool */
};

struct al_result {
    struct al_decision *decisions; /* in the order they were made */
    size_t decision_count;
    struct al_explanation *explanations; /* one per job left with pending tasks, in job order
                                          * (the cluster's, not by name) */
    size_t explanation_count;
    struct al_task_outcome *tasks;       /* one per cluster task, same index */
    struct al_queue_outcome *queues;     /* one per cluster queue, same index */
    struct al_reservation *reservations; /* in the order they were made (job order) */
    size_t reservation_count;
    /* Figures of the victim searches (reclaim, preempt, consolidation): scenarios simulated
     * and the time of the slowest search for one job (0 unless config.clock_ns is set).
     * Not part of the decisions. */
    int64_t victim_scenarios;
    int64_t longest_victim_search_ns;
    /* How long each action of config.actions took, by action (0 for one not run, and for all
     * unless config.clock_ns is set). Not part of the decisions. */
    int64_t action_ns[AL_ACTION_COUNT];
    /* Clusters scheduled by node pool (a job names a pool or a queue gives a quota per pool):
     * every pool scheduled as its own partition, the default pool first, then by name; `queues`
     * above are their sums. NULL and 0 otherwise. */
    struct al_pool_outcome *pools;
    size_t pool_count;
    void *storage_; /* private */
};

/*
 * A workspace keeps the engine's working memory from one cycle to the next, so that a
 * scheduler running cycle after cycle does not ask the system for it (and fault it in)
 * every time: the session's, and the memory of each released result for the next one.
 * Caller-allocated; al_workspace_init allocates nothing; one cycle at a time. Results may
 * outlive their workspace (the last one released frees what is left of it).
 */
struct al_workspace {
    void *storage_; /* private */
};

void al_workspace_init(struct al_workspace *ws);

/* al_workspace_release - frees what the workspace kept. Accepts an initialised, unused one. */
void al_workspace_release(struct al_workspace *ws);

/* al_cycle_run_in - al_cycle_run with the working memory of ws (see al_cycle_run). */
int al_cycle_run_in(struct al_workspace *ws, const struct al_cluster *cluster,
                    struct al_result *result);

/*
 * al_cycle_run - runs one scheduling cycle: fair shares, then cluster->config.actions
 * in order. The cluster is borrowed and not modified. On success fills *result,
 * which the caller releases with al_result_release(). Deterministic: the same
 * cluster (in any array order) gives the same decisions.
 * Errors: -AL_ENOMEM; -AL_EINVAL for a cluster that breaks the model's invariants: an index
 * out of range, a cycle in the queue tree, a job in an inner queue, a device over-committed
 * (now, or once releasing tasks are gone), a device memory <= 0. Names must be unique per
 * kind; the engine does not check it (they only break ties; the snapshot parser and allotd
 * guarantee it).
 */
int al_cycle_run(const struct al_cluster *cluster, struct al_result *result);

/* al_cluster_scheduled_by_pool - whether a cycle schedules the cluster pool by pool: a job names a
 * node pool or a queue gives a quota per pool (nodes' pools alone do not count). */
bool al_cluster_scheduled_by_pool(const struct al_cluster *c);

/* al_result_release - frees what al_cycle_run() stored in *result. Accepts a zeroed result. */
void al_result_release(struct al_result *result);

/*
 * The engine's order of the jobs of one queue, for callers that show a job's place in line
 * (allotd's queue position) and for the engine itself: higher priority first, then a gang
 * below its minimum before one at it before one above it, then older, then by name.
 * gang_state: -1 below the gang minimum (any subgroup), 0 at it, 1 above it.
 */
struct al_job_order_key {
    int32_t priority;
    int gang_state;
    int64_t created_s;
    const char *name;
};

/* al_job_order_cmp - < 0 when job a goes before job b; 0 only for equal keys. */
int al_job_order_cmp(const struct al_job_order_key *a, const struct al_job_order_key *b);

/* al_explanation_topology - the topology constraint an explanation's topology_level is of (the
 * job's, or its subgroup topology_subgroup's), NULL when it names none (topology_level 0, or an
 * index out of range). */
const struct al_topology_constraint *al_explanation_topology(const struct al_cluster *cluster,
                                                             const struct al_explanation *e);

/* al_reason_name - "over_limit", "non_preemptible_over_quota", ... */
const char *al_reason_name(enum al_reason reason);

#endif
