/* model.h - the cluster model the engine schedules: nodes with GPUs, the queue tree, jobs, tasks.
 */
#ifndef ALLOT_MODEL_H
#define ALLOT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Units (DESIGN.md section 2): integers only.
 *   GPU amounts   milli-GPU (1000 = one whole device)
 *   GPU memory    MiB
 *   CPU           millicores
 *   host memory   bytes
 *   time          seconds; `now_s` and every timestamp share one origin
 *
 * A cluster is a set of flat arrays that refer to each other by index
 * (int32_t, -1 = none). Every string and array is owned by the cluster and
 * freed by al_cluster_release(). Names are unique per kind; the engine breaks
 * every remaining tie by name, so the order of the arrays never changes a
 * decision.
 */

enum al_resource { AL_GPU = 0, AL_CPU = 1, AL_MEMORY = 2, AL_RESOURCE_COUNT = 3 };

/* A deserved quota or limit of -1 means "unlimited" (deserved: all it requests). */
#define AL_UNLIMITED (-1)

enum al_action {
    AL_ACTION_ALLOCATE,
    AL_ACTION_CONSOLIDATION,
    AL_ACTION_RECLAIM,
    AL_ACTION_PREEMPT,
    AL_ACTION_STALE_GANG_EVICTION,
    AL_ACTION_COUNT
};

/* Node order (and device order for gpu_device_placement: pack, spread). AL_ALLOT: allot's own
 * policy, the least fragmentation of the workload's typical tasks (docs/simulation.md). */
enum al_placement { AL_BINPACK = 0, AL_SPREAD = 1, AL_ALLOT = 2 };

#define AL_MAX_ACTIONS 16

/*
 * Bounds of the victim searches of reclaim, preempt and consolidation (KAI's
 * scenarioSearchBudgets). A scenario is one set of victims tried by re-running allocation.
 * Counts keep replays deterministic; the time budget does not (it reads config.clock_ns)
 * and is meant for a live scheduler that must finish its cycle. A pending job whose search
 * a bound ended, or that an action did not search because its budget was spent, says so in
 * its explanation (al_explanation.victim_search_cut).
 */
struct al_victim_budget {
    int32_t scenarios_per_job;    /* scenarios tried for one pending job (default 256) */
    int32_t scenarios_per_action; /* by one action in one cycle, all jobs (default 8192) */
    int32_t victim_tasks;         /* tasks one scenario may evict (default 512) */
    int64_t time_per_action_ns;   /* one action's searches, 0 = no limit; needs clock_ns */
};

#define AL_DEFAULT_SCENARIOS_PER_JOB    256
#define AL_DEFAULT_SCENARIOS_PER_ACTION 8192
#define AL_DEFAULT_VICTIM_TASKS         512

struct al_config {
    enum al_action actions[AL_MAX_ACTIONS];
    size_t action_count;
    enum al_placement gpu_placement;        /* node order for tasks that request GPUs */
    enum al_placement cpu_placement;        /* node order for CPU-only tasks */
    enum al_placement gpu_device_placement; /* device order for shared-GPU tasks (pack/spread) */
    bool shared_gpu_node_preference;        /* prefer nodes with a partly used device that fits */
    /* Reclaim may also take in-quota resources from a queue of strictly lower priority than
     * the reclaimer's (where their paths diverge), while the reclaimer's queue stays within its
     * deserved quota with the step (KAI's queuePriorityInQuotaReclaim). Off by default: only
     * what a queue holds above its deserved quota (or fair share) is reclaimed. */
    bool queue_priority_in_quota_reclaim;
    int64_t staleness_grace_period_s;      /* default grace period for stale gangs */
    struct al_victim_budget victim_budget; /* bounds of the victim searches */
    /* Optional: a monotonic clock in nanoseconds, used to time victim searches for
     * al_result's figures and for victim_budget.time_per_action_ns (the engine reads no
     * clock itself). NULL: no timing, no time budget. */
    int64_t (*clock_ns)(void);
    /* Time-based fair share (docs/engine.md): how strongly each queue's recent usage
     * (al_queue.usage_ppm) shifts the over-quota division, KAI's kValue in thousandths
     * (1000 = 1.0); 0 = off, the division by over-quota weight alone. The half-life and
     * window the usage was measured with are carried for explanations only. */
    int64_t usage_k_milli;
    int64_t usage_half_life_s; /* 0 = no decay */
    int64_t usage_window_s;    /* 0 = not stated */
    /* Usage was measured per node pool (KAI: one scheduler shard, with its own usage, per
     * pool). When the cluster is scheduled by pool, a queue's usage in a named pool is then
     * its pool entry's usage_ppm (0 where it has no entry for the pool), and its own
     * usage_ppm only in the default pool. false: its own usage_ppm in every pool. */
    bool usage_per_pool;
    /* Reservation and backfill for large gangs (docs/engine.md, "Reservations"): a gang that
     * asks for at least reservation_min_gpus whole GPUs, created at least reservation_wait_s
     * ago, that does not fit, reserves the nodes where it fits earliest by the known ends of
     * the running tasks (start + time limit); other jobs use those nodes only when their own
     * time limit ends before the reservation starts. 0 = off. Recomputed every cycle. */
    int32_t reservation_min_gpus;
    int64_t reservation_wait_s;
};

/* The largest usage_k_milli (kValue 1000). */
#define AL_MAX_USAGE_K_MILLI 1000000
/* Usage is a share of the cluster's capacity in parts per million. */
#define AL_USAGE_PPM 1000000

struct al_gpu {
    int32_t memory_mib; /* device memory, > 0 */
    char *model;        /* product name, may be NULL */
};

struct al_label {
    char *key;
    char *value;
};

/*
 * MIG: a number of Multi-Instance GPU instances of one profile, "<G>g.<M>gb" (G compute slices of
 * 7, M GB of memory: "1g.10gb", "3g.40gb"), as Kubernetes' nvidia.com/mig-<profile> resources
 * (the device plugin's mixed strategy). An instance is a whole resource, never shared; a node
 * offers so many of each profile, a task asks so many. Quota counts an instance of a profile as
 * G whole GPUs, as KAI Scheduler does (GetGpusQuota: the profile's "g" number times the count).
 */
struct al_mig {
    char *profile;
    int32_t count; /* >= 1 */
};

struct al_node {
    char *name;
    char *pool;           /* node pool, may be NULL */
    int64_t cpu_millis;   /* allocatable CPU */
    int64_t memory_bytes; /* allocatable host memory */
    struct al_gpu *gpus;  /* devices; a device's index is its position */
    size_t gpu_count;
    struct al_label *labels;
    size_t label_count;
    bool unschedulable;  /* takes no new task (cordoned, not ready); its tasks stay */
    struct al_mig *migs; /* MIG instances it offers, profiles unique; may be NULL */
    size_t mig_count;
};

/* A queue's quota in one node pool (Run:ai: a project's quota per node pool). Values the
 * snapshot or allotd does not set are the queue's own (global) ones. */
struct al_queue_pool {
    char *pool; /* the node pool's name */
    int64_t deserved[AL_RESOURCE_COUNT];
    int64_t limit[AL_RESOURCE_COUNT];
    int64_t weight[AL_RESOURCE_COUNT];
    /* The subtree's recent usage in this pool as a share of the pool's capacity (as
     * al_queue.usage_ppm); read only with config.usage_per_pool and usage_k_milli > 0. */
    int64_t usage_ppm[AL_RESOURCE_COUNT];
};

struct al_queue {
    char *name;
    int32_t parent;   /* index of the parent queue, -1 for a top-level queue */
    int32_t priority; /* higher is served first when over-quota capacity is divided */
    int64_t deserved[AL_RESOURCE_COUNT]; /* guaranteed quota, AL_UNLIMITED = all it requests */
    int64_t limit[AL_RESOURCE_COUNT];    /* hard cap, AL_UNLIMITED = none */
    int64_t weight[AL_RESOURCE_COUNT];   /* over-quota weight, >= 0 */
    int64_t created; /* creation order: smaller is older (served first among equals) */
    /* Recent usage of the subtree, per resource: what it held over the usage window, decayed
     * by age, as a share of the cluster's capacity over the same decayed time, in parts per
     * million (0..AL_USAGE_PPM). Read only when config.usage_k_milli > 0. */
    int64_t usage_ppm[AL_RESOURCE_COUNT];
    /* Min-runtime protection: a job of this subtree that has run for less is not a victim
     * of preempt (or of reclaim). Unset values are inherited from the nearest ancestor
     * that sets them; none set means no protection. */
    bool has_preempt_min_runtime;
    int64_t preempt_min_runtime_s;
    bool has_reclaim_min_runtime;
    int64_t reclaim_min_runtime_s;
    /* Per-pool quotas, sorted by pool name, names unique; a pool not listed uses deserved,
     * limit and weight above. May be NULL. */
    struct al_queue_pool *pools;
    size_t pool_count;
};

/*
 * A topology (KAI's Topology resource): levels of node labels, outermost first (zone, block,
 * rack, host). A node's domain at level number d (1 = levels[0]) is the values of its labels
 * levels[0 .. d); a node that lacks one of them is in no domain at that level or below. Level
 * number 0 is the whole cluster.
 */
struct al_topology {
    char *name;
    char **levels; /* node label keys, distinct, 1 <= level_count <= AL_MAX_TOPOLOGY_LEVELS */
    size_t level_count;
};

/* Bounds of topologies (KAI's Topology allows 16 levels): a constraint's numbers are 16-bit. */
#define AL_MAX_TOPOLOGY_LEVELS 16
#define AL_MAX_TOPOLOGIES      1000

/*
 * Where a job's (or a subgroup's) tasks must or should lie together (KAI's topologyConstraint).
 * Levels are level numbers of the topology (1 = its outermost level); 0 = none, so a zeroed
 * constraint constrains nothing. required_level: every active task of the job (or subgroup)
 * lies in one domain of that level. preferred_level (deeper than or equal to required_level):
 * tried first, widening level by level up to required_level (or the whole cluster).
 */
struct al_topology_constraint {
    int16_t topology; /* index into the cluster's topologies; read only when a level is set */
    int16_t required_level;
    int16_t preferred_level;
};

struct al_subgroup {
    char *name;
    int32_t min_members;
    struct al_topology_constraint topology; /* this subgroup's tasks, within the job's */
};

/* Default priorities of the KAI-compatible priority classes. */
#define AL_PRIORITY_TRAIN             50
#define AL_PRIORITY_BUILD_PREEMPTIBLE 75
#define AL_PRIORITY_BUILD             100
#define AL_PRIORITY_INFERENCE         125

struct al_job {
    char *name;
    int32_t queue; /* index of a leaf queue */
    /* The node pool the job runs in, NULL = the default pool (nodes with no pool), as KAI's
     * default shard. Each pool is scheduled as its own partition (docs/engine.md). */
    char *pool;
    int32_t priority;
    bool preemptible;
    /* Semi-preemptible (preemptible is then false): the job's core, its first min_members
     * active tasks in task order (each subgroup's first min_members), is non-preemptible and
     * admitted within deserved quota only; the tasks beyond are preemptible, may go over quota
     * and are the only ones reclaim, preempt and consolidation may take. */
    bool semi_preemptible;
    int32_t min_members;           /* gang minimum; 0 when the job has subgroups */
    struct al_subgroup *subgroups; /* each with its own minimum; may be NULL */
    size_t subgroup_count;
    int64_t created_s;
    /* When it last became pending (evicted and requeued, resumed): reservation_wait_s counts
     * from here. Unset = created_s. Allocation order keeps created_s, as KAI. >= created_s. */
    bool has_pending_since;
    int64_t pending_since_s;
    bool has_started; /* when the job last started running (min-runtime protection) */
    /* all the job's tasks (here: it fills the padding after has_started) */
    struct al_topology_constraint topology;
    int64_t started_s;
    bool has_preemption_delay;
    int64_t preemption_delay_s;
    /* Its priority class's preemptionPolicy is Never: it never causes evictions (reclaim,
     * preempt, consolidation); it waits for free capacity. It may still be a victim. */
    bool preemption_never;
    bool has_stale_for;
    int64_t stale_for_s;
    bool has_staleness_grace_period;
    int64_t staleness_grace_period_s; /* negative = never evict */
    /* A time limit the user gave: the job's tasks end at the latest this long after it started
     * (started_s; now_s for tasks placed this cycle). Reservations plan with it; > 0. */
    bool has_time_limit;
    int64_t time_limit_s;
    size_t first_task; /* this job's tasks are tasks[first_task .. first_task + task_count) */
    size_t task_count;
};

enum al_task_state {
    AL_TASK_PENDING,
    AL_TASK_ALLOCATED, /* placed on free capacity this cycle */
    AL_TASK_PIPELINED, /* placed on capacity that is being released */
    AL_TASK_BOUND,     /* bound to its node, not yet running */
    AL_TASK_RUNNING,
    AL_TASK_RELEASING,       /* being evicted or ending; its resources are freeing up */
    AL_TASK_STUCK_RELEASING, /* releasing for too long: its resources count as used */
    AL_TASK_SUCCEEDED,
    AL_TASK_FAILED,
    AL_TASK_STATE_COUNT
};

struct al_affinity {
    char *key;     /* node label that must be present */
    char **values; /* ... and equal one of these */
    size_t value_count;
};

struct al_task {
    char *name;
    int32_t job; /* index of the owning job */
    enum al_task_state state;
    int32_t node; /* node index: active tasks hold resources there; finished tasks may keep
                   * the node they ran on (holding nothing); -1 for none */
    /* GPU request: at most one of gpus, gpu_milli, gpu_memory_mib is non-zero. */
    int32_t gpus;           /* whole devices */
    int32_t gpu_milli;      /* portion of one shared device, 1..999 */
    int32_t gpu_memory_mib; /* memory on one shared device */
    int32_t gpu_devices;    /* devices a shared request needs (each gets the amount), >= 1 */
    /* Dynamic fractions: how far a shared task may grow above its request while the device has
     * memory no other task's request needs, in the request's kind (gpu_milli_limit with
     * gpu_milli, up to 1000; gpu_memory_limit_mib with gpu_memory_mib); 0 = the request is its
     * limit. The engine places and accounts the request only; the limit travels with the task. */
    int32_t gpu_milli_limit;
    int32_t gpu_memory_limit_mib;
    /* Devices an active GPU task holds on its node (gpus or gpu_devices entries). */
    int32_t *gpu_indices;
    size_t gpu_index_count;
    int64_t cpu_millis;
    int64_t memory_bytes;
    int32_t subgroup; /* index into the job's subgroups, -1 if none */
    bool has_task_priority;
    int32_t task_priority; /* higher is placed first, evicted last */
    struct al_affinity *affinity;
    size_t affinity_count;
    /* MIG instances it requests, profiles unique (then gpus, gpu_milli and gpu_memory_mib are
     * 0); may be NULL. Placed on a node that offers them free, charged as al_mig says. */
    struct al_mig *migs;
    size_t mig_count;
};

struct al_cluster {
    char *name; /* scenario or cluster name, may be NULL */
    struct al_config config;
    int64_t now_s;
    uint64_t seed;
    struct al_node *nodes;
    size_t node_count;
    struct al_queue *queues;
    size_t queue_count;
    struct al_job *jobs;
    size_t job_count;
    struct al_task *tasks;
    size_t task_count;
    struct al_topology *topologies; /* may be NULL */
    size_t topology_count;
};

/* al_config_init - the default configuration: no actions, binpack, pack, preference on, 60 s,
 * the default victim-search budget. */
void al_config_init(struct al_config *config);

/*
 * al_cluster_release - frees every string and array the cluster owns (with free())
 * and zeroes it. Accepts a zeroed cluster.
 */
void al_cluster_release(struct al_cluster *cluster);

/*
 * al_gpu_memory_milli - the share of one device of `device_memory_mib` that a request of
 * `memory_mib` takes, in milli-GPU, rounded up (a request never counts for less than it
 * holds). The one conversion the engine's accounting, allotd and the CLI use. 0 when
 * device_memory_mib <= 0.
 */
int64_t al_gpu_memory_milli(int32_t memory_mib, int32_t device_memory_mib);

/* al_mig_profile_gpus - the compute slices G of a MIG profile "<G>g.<M>gb" (1..7, M >= 1), what
 * quota counts one instance as (in whole GPUs); -1 when `profile` is not such a name. */
int32_t al_mig_profile_gpus(const char *profile);

/* al_task_is_active - the task holds resources on its node (allocated..stuck_releasing). */
bool al_task_is_active(enum al_task_state state);

/* al_task_state_name - "pending", "running", ... ; NULL for an invalid value. */
const char *al_task_state_name(enum al_task_state state);

/* al_task_state_parse - inverse of al_task_state_name; -AL_EINVAL for an unknown name. */
int al_task_state_parse(const char *name, enum al_task_state *out);

/* al_action_name / al_action_parse - "allocate", "consolidation", "reclaim", "preempt",
 * "stalegangeviction". */
const char *al_action_name(enum al_action action);
int al_action_parse(const char *name, enum al_action *out);

/* al_resource_name - "gpu", "cpu", "memory". */
const char *al_resource_name(enum al_resource resource);

#endif
