/* state.h - allotd's in-memory state: queues, workloads and their tasks, mirrored write-through
 * to the store. Every change goes to the store first (one durable transaction), then here.
 * Everything is guarded by the daemon's lock (daemon.h). */
#ifndef ALLOT_DAEMON_STATE_H
#define ALLOT_DAEMON_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "allot/cycle.h"
#include "allot/model.h"
#include "backends/backend.h"
#include "util/names.h"
#include "util/strmap.h"

#define AL__QUEUE_POOLS_MAX 16 /* per-pool quotas one queue may give */

struct al__dqueue {
    int64_t id;
    char name[AL__NAME_MAX];
    bool project;              /* a leaf queue that holds workloads */
    char parent[AL__NAME_MAX]; /* the department, "" for a top-level queue */
    int32_t priority;
    int64_t deserved[AL_RESOURCE_COUNT]; /* engine units, AL_UNLIMITED = -1 */
    int64_t limit[AL_RESOURCE_COUNT];
    int64_t weight[AL_RESOURCE_COUNT];
    int64_t created_s;
    /* Min-runtime protection (docs/snapshot.md); unset = inherited from the department. */
    bool has_preempt_min_runtime, has_reclaim_min_runtime;
    int64_t preempt_min_runtime_s, reclaim_min_runtime_s;
    /* A project deleted with force while some of its workloads still ran: they are stopping,
     * it takes no change and no submit, and goes once they are gone (tasks_life.c). */
    bool deleting;
    /* Its quota per node pool (Run:ai's per-pool project quota), by pool name; pools not listed
     * use the values above. A fixed array: queues are copied by value. */
    struct al__dqueue_pool {
        char pool[AL__NAME_MAX];
        int64_t deserved[AL_RESOURCE_COUNT];
        int64_t limit[AL_RESOURCE_COUNT];
        int64_t weight[AL_RESOURCE_COUNT];
    } pools[AL__QUEUE_POOLS_MAX];
    size_t pool_count;
    /* From the last cycle (zero before the first). */
    int64_t fair_share[AL_RESOURCE_COUNT];
    int64_t fair_share_without_usage[AL_RESOURCE_COUNT]; /* the same with no usage history */
    int64_t allocated[AL_RESOURCE_COUNT];
    int64_t requested[AL_RESOURCE_COUNT];
    /* Recent usage of the subtree, parts per million of the cluster's capacity (usage.h). */
    int64_t usage_ppm[AL_RESOURCE_COUNT];
};

enum al__wstate {
    AL__W_PENDING,
    AL__W_RUNNING,
    AL__W_SUCCEEDED,
    AL__W_FAILED,
    AL__W_DELETING,
    AL__W_SUSPENDED, /* not scheduled until resumed; its tasks stopped (docs/api.md) */
};

enum al__tstate {
    AL__T_PENDING,
    AL__T_RUNNING,
    AL__T_STOPPING, /* asked to stop; its resources are releasing */
    AL__T_SUCCEEDED,
    AL__T_FAILED,
    AL__T_PIPELINED, /* holds its node and devices, starts once evicted tasks there are gone */
};

#define AL__MAX_TASK_GPUS 64

struct al__dtask {
    int32_t index;
    enum al__tstate state;
    int32_t node;                    /* its node (al__state_node_name) while placed, -1 = none */
    size_t gpu_count;                /* read before gpus: kept beside the state */
    int32_t gpus[AL__MAX_TASK_GPUS]; /* device indices it holds on that node */
    char ref[AL__TASK_REF_MAX];      /* the backend's reference once started, "" = not started */
    int64_t started_s, finished_s;   /* -1 = not yet */
    int exit_code;                   /* valid once finished */
    int64_t stop_sent_s;             /* when it was asked to stop (stopping) */
    bool killed;                     /* stopped at once too (the grace period was over) */
    /* Stopping to be requeued (the engine evicted it, or its workload was suspended): pending
     * again once it exits. */
    bool evicting;
    int32_t runs;      /* how many times it was started (its log marks each run after the first) */
    char *stopped_why; /* why its last run was stopped to be requeued ("suspended"), or NULL */
    /* The MIG instances it holds on its node, "1g.10gb:0,1g.10gb:1" (tasks_mig.c), or NULL:
     * none, or its backend does not number them. */
    char *mig_instances;
};

/* What one task asks for (each of a workload's tasks alike: its spec's; a mirrored job's pods
 * may differ). */
struct al__task_request {
    int32_t gpus, gpu_milli, gpu_memory_mib, gpu_device_count;
    int64_t cpu_millis, memory_bytes;
    /* Dynamic fractions: the limit above a shared request (same kind), 0 = the request. */
    int32_t gpu_milli_limit, gpu_memory_limit_mib;
    int64_t mig_milli; /* its MIG instances as milli-GPU (al__mig_asks_milli), 0 = none */
};

/* Kinds of workload, as Run:ai has them (docs/api.md): what a workload defaults to and what it
 * offers. One list gives the enum and the names the API writes. */
#define AL__WKINDS(X)                                                                              \
    X(TRAINING, "training")   /* batch: train priority, preemptible */                             \
    X(WORKSPACE, "workspace") /* interactive, under a terminal: build priority, not preemptible */ \
    X(INFERENCE, "inference") /* a service: inference priority, never preemptible */

enum al__wkind {
#define AL__WKIND_ENUM(id, name) AL__K_##id,
    AL__WKINDS(AL__WKIND_ENUM)
#undef AL__WKIND_ENUM
        AL__WKIND_COUNT
};

/* Most subgroups one workload may have (docs/api.md, "Subgroups"). */
#define AL__SUBGROUPS_MAX 64

/* One subgroup of a workload: a part of its tasks with a gang minimum and a topology
 * constraint of its own (the engine's al_subgroup). A submitted workload's subgroups take its
 * tasks in order (the first `workers` tasks are the first subgroup's, and so on); a mirrored
 * one's tasks name theirs (al__dworkload.task_subgroups). */
struct al__wsubgroup {
    char name[AL__NAME_MAX];
    int32_t workers, min_members;
    /* Level keys of the workload's topology, NULL when not given (topology_spec.c). */
    char *required_topology_level, *preferred_topology_level;
};

/* A workload's request, as submitted (validated) - see docs/api.md. */
struct al__wspec {
    int32_t priority;
    bool preemptible;
    uint8_t kind; /* enum al__wkind (a byte: it sits in the padding after preemptible) */
    /* Its tasks holding a share of a device run with their limits enforced (liballot-cuda.so
     * on the local backend) unless it opted out ("enforce": false; also in the padding). */
    bool enforce;
    /* Semi-preemptible ("preemptibility": "semi-preemptible"; preemptible is then false): its
     * first min_members tasks are non-preemptible, the workers beyond are preemptible. */
    bool semi_preemptible;
    /* "preemption_policy": "Never" (Kubernetes' PriorityClass field): it evicts nothing, it
     * waits for free capacity. */
    bool preemption_never;
    int32_t workers, min_members;
    int32_t gpus, gpu_milli, gpu_memory_mib, gpu_device_count;
    /* Dynamic fractions (docs/cuda.md): how far each task may grow above its shared request,
     * of the request's kind ("gpu_fraction_limit", "gpu_memory_limit_mib"); 0 = the request. */
    int32_t gpu_milli_limit, gpu_memory_limit_mib;
    /* MIG instances each task asks, by profile (docs/engine.md, "MIG instances"; the
     * Kubernetes backend's pods asking nvidia.com/mig-<profile>): mig_profiles of migs (below,
     * after what every cycle reads: rare), sorted by profile, 0 for none. */
    int32_t mig_profiles;
    int64_t cpu_millis, memory_bytes;
    int64_t time_limit_s; /* its tasks are stopped this long after it started running, 0 = never */
    struct al__mig_ask migs[AL__MIG_ASKS_MAX];
    /* How to run it: read when its tasks start, not by the cycle (so last). */
    json_t *command; /* array of strings */
    json_t *env;     /* object of strings: set over the exported ones */
    /* What the submitter's environment carried: "all", "none" or an array of names (as asked),
     * and the variables that brought (an object of strings). NULL: "none" and {}. */
    json_t *export_mode;
    json_t *exported_env;
    char *workdir;  /* absolute, or NULL */
    json_t *labels; /* object of strings the user tags it with ({}), or NULL: none */
    /* Its topology constraint (KAI's topologyConstraint): a topology of the inventory and level
     * keys of it; NULL when not given (topology_spec.c resolves them). */
    char *topology, *required_topology_level, *preferred_topology_level;
    /* The node pool it runs in (docs/engine.md, "Node pools"), or NULL: the default pool, the
     * nodes that belong to none. Read by the cycle, so it would sit above, but it is rare. */
    char *node_pool;
    /* Its subgroups (malloc'd, subgroup_count of them; NULL and 0 for none): then min_members
     * is the sum of theirs and workers the sum of theirs. */
    struct al__wsubgroup *subgroups;
    int32_t subgroup_count;
};

/* Sets of workloads that the cycle's passes go through instead of every workload in memory
 * (two cache and TLB misses each: at 90,000 in memory a pass took tens of milliseconds). Each
 * is a superset, pruned by its pass. */
enum al__wset {
    AL__HOLDING, /* may hold resources: a task running, stopping or pipelined; or deleting */
    AL__WATCHED, /* a task stopping (its grace period runs), or deleting */
    AL__CHANGED, /* changed since the cycle's kept model last read it (model_kept.c empties it) */
    AL__TIMED,   /* has a time limit and may be running (a task running or stopping) */
    AL__WSETS
};

struct al__wset_items {
    struct al__dworkload **items; /* in no order */
    size_t count, cap;
};

struct al__dworkload {
    /* What every cycle reads, first and together: a cycle's passes over every workload wait on
     * memory, and these fit in two cache lines (the name in a third). */
    enum al__wstate state;
    bool why_known;          /* `why` below holds the engine's last explanation */
    struct al__dtask *tasks; /* spec.workers of them */
    int64_t project_id;      /* its project's id (al__dqueue.id): compared where names would be */
    int64_t created_s, finished_s; /* finished_s -1 = not yet */
    int64_t started_s;             /* when it last started running, -1 = never */
    int64_t stale_since_s; /* running below its gang minimum since (in memory only), -1 = not */
    struct al__wspec spec; /* its numbers first: what a cycle reads ends with time_limit_s */
    char name[AL__NAME_MAX];
    /* The rest. */
    int64_t id;
    char project[AL__NAME_MAX];
    char key[2 * AL__NAME_MAX]; /* "PROJECT/NAME": names are unique per project */
    const char *owner;          /* who submitted it (interned: al__state_owner), "" when unknown */
    int exit_code;
    int32_t restarts; /* times its running tasks were stopped and requeued (evicted, suspended) */
    /* When it last became pending again (a task requeued, or resumed), -1 = since created:
     * reservations count their wait from it (the engine's pending_since_s). */
    int64_t pending_since_s;
    bool over_time;        /* its tasks are stopped because it ran over its time limit: it fails */
    char reason_code[40];  /* the engine's or allotd's code ("no_node_fits"), "" when none */
    char reason_short[16]; /* the same in Slurm's style ("FairShare"), "" when none */
    char *reason;          /* NULL when none */
    /* The engine's explanation behind `reason` (its job, task and queue as workload task index
     * and queue id), so that an unchanged one is not formatted again; valid when why_known. */
    struct al_explanation why;
    int64_t at[AL__WSETS]; /* its place in each of al__state.sets, -1 = not there */
    int32_t model_ticket;  /* its handle in the cycle's kept model (model_kept.c), -1 = none */
    /* Per task where its tasks ask for different things (spec.workers of them; malloc'd), NULL
     * where each asks for what the spec says (al__task_request_of). */
    struct al__task_request *requests;
    /* Per task its subgroup's index in spec.subgroups where the tasks do not take them in
     * order (a mirrored job's pods name theirs; spec.workers of them; malloc'd), NULL where
     * they do or there are none (al__task_subgroup). */
    int16_t *task_subgroups;
};

struct al__state {
    struct al__dqueue *queues; /* in creation order */
    size_t queue_count, queue_cap;
    struct al__strmap queue_by_name;  /* name -> index + 1 (al__state_index_queues) */
    struct al__dworkload **workloads; /* in creation order */
    size_t workload_count, workload_cap;
    struct al__strmap workload_by_name; /* keys are the workloads' own names */
    /* Finished workloads past the retention period: in the store only (name -> struct
     * al__retired). Their names stay taken. */
    struct al__strmap retired;
    /* Names of the nodes tasks are placed on, interned: a task keeps a number. The first ones
     * are the inventory's nodes, in its order (so a number below its node count is an index
     * in it); after them come nodes the store names that the inventory lacks. */
    char **node_names;
    size_t node_count, node_cap;
    struct al__strmap node_by_name;
    /* Who submitted workloads ("user:NAME"), interned: a workload points at its owner's. */
    struct al__strmap owners;
    uint64_t removals;       /* workloads and queues removed so far (the cycle checks it) */
    uint64_t renumbered;     /* times the nodes were renumbered (the inventory changed) */
    uint64_t queue_removals; /* queues removed so far (queue indices moved) */
    /* Kept-model tickets of workloads removed from memory since the model last read them. */
    int32_t *gone_tickets;
    size_t gone_count, gone_cap;
    struct al__wset_items sets[AL__WSETS];
    uint64_t task_changes; /* counts changes of task states (al__state_add_to, ends, failures) */
    uint64_t pruned_at[AL__WSETS]; /* task_changes when each set was last pruned */
    /* Where changes are published (events.h; events_publish.h says which), NULL for nowhere:
     * set once the store is loaded. Not owned. */
    struct al__events *events;
};

/* Names of states as the API writes them. */
const char *al__wstate_name(enum al__wstate s);
int al__wstate_parse(const char *name, enum al__wstate *out); /* -AL_EINVAL if unknown */
const char *al__tstate_name(enum al__tstate s);
int al__tstate_parse(const char *name, enum al__tstate *out);
const char *al__wkind_name(enum al__wkind k);
int al__wkind_parse(const char *name, enum al__wkind *out); /* -AL_EINVAL if unknown */

/* al__state_owner - the interned copy of a subject ("" for NULL): valid until the state is
 * released. */
const char *al__state_owner(struct al__state *st, const char *subject);

/* Lookups by name, hashed: NULL when absent. */
struct al__dqueue *al__state_queue(struct al__state *st, const char *name);
/* al__state_workload - workload `name` of `project` (names are unique per project). */
struct al__dworkload *al__state_workload(struct al__state *st, const char *project,
                                         const char *name);

/* al__workload_key - "PROJECT/NAME" into out (2 * AL__NAME_MAX bytes). */
void al__workload_key(const char *project, const char *name, char *out);
/* al__workload_name_set - sets a workload's name, project and key. */
void al__workload_name_set(struct al__dworkload *w, const char *project, const char *name);

/* al__state_node - the number of node `name`, added when new. */
int32_t al__state_node(struct al__state *st, const char *name);
/* al__state_node_name - the name of node number `node` (>= 0). */
const char *al__state_node_name(const struct al__state *st, int32_t node);

/* al__state_renumber_nodes - the inventory changed: its nodes become the first numbers again,
 * in its order, the other names known follow, and every task in memory keeps its node by name.
 * Counted in `renumbered`. */
void al__state_renumber_nodes(struct al__state *st, const struct al__inventory *inv);

/* al__state_index_queues - rebuilds the queue index after the array was reordered (adding
 * and removing queues keep it themselves). */
void al__state_index_queues(struct al__state *st);

/* al__state_add_queue - appends a copy; aborts on out-of-memory (allotd's policy). */
struct al__dqueue *al__state_add_queue(struct al__state *st, const struct al__dqueue *q);
void al__state_remove_queue(struct al__state *st, const char *name);

/* A finished workload kept in the store only. */
struct al__retired {
    int64_t id;
    char name[AL__NAME_MAX];
    char project[AL__NAME_MAX];
    char key[2 * AL__NAME_MAX]; /* "PROJECT/NAME" */
};

/* al__state_retire - moves finished workloads that finished before `before_s` out of memory
 * (into `retired`); how many. O(workloads). */
size_t al__state_retire(struct al__state *st, int64_t before_s);
/* al__state_add_retired - notes one (loading the store). */
void al__state_add_retired(struct al__state *st, int64_t id, const char *name, const char *project);
/* al__state_retired - the retired workload `name` of `project`, or NULL. */
const struct al__retired *al__state_retired(const struct al__state *st, const char *project,
                                            const char *name);
/* al__state_forget_retired - it was deleted from the store. */
void al__state_forget_retired(struct al__state *st, const char *project, const char *name);

/* al__state_add_workload - takes ownership of w (heap-allocated, tasks included). */
void al__state_add_workload(struct al__state *st, struct al__dworkload *w);
/* al__state_remove_workload - unlinks and frees it. */
void al__state_remove_workload(struct al__state *st, struct al__dworkload *w);

/* al__task_request_of - what task i of w asks for. */
struct al__task_request al__task_request_of(const struct al__dworkload *w, int32_t i);
/* al__task_request_of_spec - what each task of a workload with spec s asks for by default. */
struct al__task_request al__task_request_of_spec(const struct al__wspec *s);
/*
 * al__task_request_milli - milli-GPU one task asking r counts as, wherever allotd counts GPUs
 * (quotas, queue figures, reports, metrics): whole GPUs, MIG instances as G GPUs each (KAI's
 * rule), a share on each of its devices; a GPU-memory share as a part of a device of
 * `device_mib` (0: unknown, it counts nothing).
 */
int64_t al__task_request_milli(const struct al__task_request *r, int32_t device_mib);
/* al__task_device_milli - milli-GPU one task asking r holds on one of its devices of
 * `device_mib` MiB (its MIG instances are on none: al__task_request_milli counts them). */
int64_t al__task_device_milli(const struct al__task_request *r, int32_t device_mib);

/* al__task_subgroup - the index in w->spec.subgroups of task i's subgroup, -1 when w has
 * none. O(subgroups). */
int32_t al__task_subgroup(const struct al__dworkload *w, int32_t i);

/* al__workload_below_minimum - whether a gang of w (the workload; with subgroups, one of them)
 * has fewer tasks for which counts() holds than its minimum. O(tasks + subgroups). */
bool al__workload_below_minimum(const struct al__dworkload *w,
                                bool (*counts)(const struct al__dtask *t));

/* al__workload_alloc_tasks - spec.workers pending tasks for w (aborts on out-of-memory). */
void al__workload_alloc_tasks(struct al__dworkload *w);

/* al__workload_free - frees a workload and everything it owns; accepts NULL. */
void al__workload_free(struct al__dworkload *w);

/* al__workload_set_reason - replaces the pending reason (NULL code/text clear it). The code
 * may carry the short code after a '/' ("no_node_fits/FairShare"), as the store keeps it. */
void al__workload_set_reason(struct al__dworkload *w, const char *code, const char *text);

/* al__workload_reason_is - whether w's reason is code ("CODE[/SHORT]" or NULL) and text. */
bool al__workload_reason_is(const struct al__dworkload *w, const char *code, const char *text);

/* al__workload_reason_stored - w's codes as the store keeps them, "CODE[/SHORT]", in buf;
 * NULL when it has none. */
const char *al__workload_reason_stored(const struct al__dworkload *w, char *buf, size_t size);

/*
 * al__workload_refresh_state - running/pending/succeeded/failed from its tasks (not for
 * deleting or suspended, which stay so): running while a task runs or stops; done once every
 * task has finished (failed if one failed); failed too when failed tasks leave fewer than its
 * gang minimum (or a subgroup's) to run; else pending. A task of w changed: so did w
 * (al__state_changed).
 */
void al__workload_refresh_state(struct al__state *st, struct al__dworkload *w);

/* al__workload_sets_init - w is in no set yet (al__dworkload.at) and not in the kept model. */
void al__workload_sets_init(struct al__dworkload *w);

/* al__state_add_to - puts w in set `set` (a task of it changed so: placed or pipelined for
 * AL__HOLDING, stopping or deleting for AL__WATCHED), and counts a task change; w changed. */
void al__state_add_to(struct al__state *st, enum al__wset set, struct al__dworkload *w);

/* al__state_changed - w changed in what the cycle's model reads of it (its state, its tasks'
 * states and places, its stale-gang clock): the next cycle reads it again. Every change of
 * those goes through here, al__state_add_to or al__workload_refresh_state. */
void al__state_changed(struct al__state *st, struct al__dworkload *w);

/* al__state_prune - drops from a set the workloads that no longer belong there (for
 * AL__HOLDING: holding nothing and not deleting; their stale-gang clock is stopped). Nothing
 * to do, and no pass, when no task changed since the last prune. */
void al__state_prune(struct al__state *st, enum al__wset set);

/* al__workload_is_active - some task of w runs or is stopping. */
bool al__workload_is_active(const struct al__dworkload *w);

/*
 * al__task_requeue - a task back to pending: no process, node, devices, times or exit code (its
 * runs and why its last one stopped stay); counted in st->task_changes. The caller persists it.
 */
void al__task_requeue(struct al__state *st, struct al__dtask *t);

/*
 * al__workload_track_stale - keeps w->stale_since_s: set to now when w is first seen running
 * below its gang minimum (or a subgroup below its own) with no task succeeded (as stale-gang
 * eviction counts it: running, stopping and pipelined tasks), cleared when it is not (or deleting,
 * or suspended).
 */
void al__workload_track_stale(struct al__state *st, struct al__dworkload *w, int64_t now);

/* al__state_release - frees everything. */
void al__state_release(struct al__state *st);

#endif
