/* backend.h - what allotd asks of the machines it schedules, whatever they are: an inventory of
 * nodes, and tasks started on a node with their devices, stopped, watched and re-adopted after
 * a restart. One ops table per kind of backend (redis's ConnectionType is the model): the local
 * backend today, Kubernetes and the simulator next. allotd's core speaks only this; the words of
 * a backend (processes, pods, environment variables) stay inside it. */
#ifndef ALLOT_BACKENDS_BACKEND_H
#define ALLOT_BACKENDS_BACKEND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "allot/model.h"

/* A started task as its backend knows it, as text ("" = none): opaque to allotd, which stores
 * it and hands it back. */
#define AL__TASK_REF_MAX  64
#define AL__NODE_NAME_MAX 128

struct al__node_gpu {
    int32_t memory_mib; /* > 0 */
    char model[64];     /* product name, "" when unknown */
};

struct al__node_label {
    char *key, *value;
};

#define AL__NODE_MIGS_MAX 8

/* MIG instances a task asks, of one profile ("1g.10gb": what al_mig_profile_gpus accepts, 11
 * characters at most), and how many; a task may ask up to AL__MIG_ASKS_MAX profiles (a pod's
 * several nvidia.com/mig-<profile> resources). */
#define AL__MIG_ASKS_MAX 8
struct al__mig_ask {
    char profile[16];
    int32_t count;
};

/* al__mig_asks_milli - milli-GPU that n asks of MIG instances count as: G whole GPUs per
 * instance of a <G>g.<M>gb profile (KAI's rule; docs/engine.md, "MIG instances"). */
static inline int64_t al__mig_asks_milli(const struct al__mig_ask *m, size_t n) {
    int64_t milli = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t g = al_mig_profile_gpus(m[i].profile);
        milli += (int64_t)(g > 0 ? g : 0) * 1000 * m[i].count;
    }
    return milli;
}

/* A node tasks can run on. */
struct al__node {
    char name[AL__NODE_NAME_MAX];
    char pool[64];        /* "" = the default pool */
    int64_t cpu_millis;   /* allocatable CPU */
    int64_t memory_bytes; /* allocatable memory */
    struct al__node_gpu *gpus;
    size_t gpu_count;
    struct al__node_label *labels;
    size_t label_count;
    bool unschedulable; /* takes no new task (cordoned, not ready); its tasks stay */
    /* MIG instances it offers by profile ("1g.10gb"; Kubernetes: nvidia.com/mig-<profile> in
     * its allocatable), at most AL__NODE_MIGS_MAX profiles. */
    struct al__node_mig {
        char profile[24];
        int32_t count;
    } migs[AL__NODE_MIGS_MAX];
    size_t mig_count;
};

/* What a backend offers: its nodes, in an order that holds until the backend says it changed (a
 * mirror's inventory_changed; a task names its node, and allotd keeps a task's node by name). */
struct al__inventory {
    struct al__node *nodes;
    size_t node_count;
    bool virtual_gpus; /* declared rather than discovered */
    /* Topologies its nodes' labels describe (KAI's Topology resources, the local backend's
     * --topology), by name; workloads name them in their topology constraints. */
    struct al_topology *topologies;
    size_t topology_count;
};

/* A task's place in allotd, stable across restarts: what a backend names its own things by. */
struct al__task_key {
    int64_t workload_id;
    int32_t index;
};

/* A task to start. Everything is the caller's and valid for the call only. A mirroring backend
 * finds its task by project, workload and index: the order it gave the tasks in. */
struct al__task_start {
    struct al__task_key key;
    const char *workload, *project;
    const char *subgroup; /* the name of its workload's subgroup it is in, NULL = none */
    int32_t workers;      /* tasks of the workload */
    size_t node;          /* index in the inventory */
    const int32_t *gpus;  /* device indices on that node */
    size_t gpu_count;
    int32_t gpu_milli;      /* the share of each device it may use, 0 = whole devices */
    int32_t gpu_memory_mib; /* or the memory of each device, 0 = none */
    /* Dynamic fractions: the limit it may grow to above that request while the device has
     * memory no other task's request needs (same kind as the request), 0 = the request. */
    int32_t gpu_milli_limit, gpu_memory_limit_mib;
    /* The MIG instances it holds on that node, "1g.10gb:0,1g.10gb:1", where the backend asks
     * allotd to number them (al__backend.mig_numbered); NULL: none. */
    const char *mig_instances;
    /* A task holding a share (gpu_milli or gpu_memory_mib) has its limits enforced where the
     * backend can (the local backend: liballot-cuda.so); false: its workload opted out. */
    bool enforce;
    const char *const *argv; /* the command, NULL-terminated */
    /* Its environment, "KEY=VALUE" strings, NULL-terminated: the submitter's variables its
     * client carried (exported_env), then those set for it (env, which win). The backend adds a
     * minimal base under them and its own variables over them; nothing of allotd's own. */
    const char *const *exported_env;
    const char *const *env;
    const char *workdir; /* absolute, or NULL */
    /* Which run of the task this is (1 = its first start), and for a later one why the one
     * before was stopped ("evicted by reclaim for team-b/x"; NULL when unknown): a backend
     * that keeps the output of every run together marks where each begins. */
    int32_t run;
    const char *after;
    bool terminal; /* runs under a terminal that attach connects to (a workspace); a backend
                      that offers no streams ignores it */
    /* The Unix account its processes run as (allotd's al__task_account, resolved at every
     * start), NULL = the backend's own user. A backend whose tasks run elsewhere (a cluster's
     * pods) ignores it; the local backend refuses to start a task whose account does not
     * exist here, is root, or is not its own while it cannot switch users. */
    const char *account;
};

/* The streams allotd's API opens to a running task (docs/api.md, "Streams"). */
enum al__stream_kind {
    AL__STREAM_ATTACH, /* the terminal the task runs under (stream/frames.h) */
    AL__STREAM_EXEC,   /* a command run in the task's environment (stream/frames.h) */
    AL__STREAM_PORT,   /* a TCP connection to a port the task listens on (raw bytes) */
};

/* A stream to open. Everything is the caller's and valid for the call only. */
struct al__stream_request {
    enum al__stream_kind kind;
    struct al__task_key key;
    const char *ref;         /* the task's reference */
    const char *const *argv; /* EXEC: the command, NULL-terminated */
    const char *const *env;  /* EXEC: "KEY=VALUE" added to the task's (TERM), NULL-terminated */
    bool tty;                /* EXEC: under a terminal of its own */
    int port;                /* PORT: 1..65535 */
};

enum al__task_status {
    AL__TASK_RUNNING,
    AL__TASK_EXITED, /* finished; the exit code is set */
    AL__TASK_LOST,   /* gone without an exit code */
};

enum al__stop_mode {
    AL__STOP_GRACEFUL, /* ask it to end (the grace period starts) */
    AL__STOP_NOW,      /* end it (the grace period is over) */
};

/*
 * The mirror (a backend that owns the objects: Kubernetes). Where the cluster's API server is the
 * truth, the backend tells allotd at the start of each pass what changed there - queues put or
 * removed, workloads (a job with its tasks) put or removed, the inventory replaced - and allotd
 * applies it to its state as it applies its own changes. Everything is the backend's and valid
 * for the call only.
 */
struct al__mirror_queue {
    const char *name, *parent; /* parent "" for a top-level queue */
    bool project;              /* a leaf: holds workloads */
    int32_t priority;
    int64_t deserved[3], limit[3], weight[3]; /* engine units, by enum al_resource */
    int64_t created_s;
    bool has_preempt_min_runtime, has_reclaim_min_runtime;
    int64_t preempt_min_runtime_s, reclaim_min_runtime_s;
};

enum al__mirror_task_state {
    AL__MIRROR_PENDING,   /* not placed */
    AL__MIRROR_RUNNING,   /* placed on its node (started or about to) */
    AL__MIRROR_STOPPING,  /* going away; still holds its place */
    AL__MIRROR_SUCCEEDED, /* ended */
    AL__MIRROR_FAILED,
};

/* What one task asks for. */
struct al__mirror_request {
    int32_t gpus, gpu_milli, gpu_memory_mib, gpu_device_count;
    int64_t cpu_millis, memory_bytes;
    int32_t gpu_milli_limit, gpu_memory_limit_mib; /* dynamic fractions, 0 = the request */
};

struct al__mirror_task {
    enum al__mirror_task_state state;
    bool own_request; /* it asks for `request`, not the workload's */
    struct al__mirror_request request;
    const char *ref;  /* the backend's reference once placed (AL__TASK_REF_MAX) */
    const char *node; /* while placed */
    const int32_t *gpus;
    size_t gpu_count;
    int64_t started_s, finished_s; /* -1 = unknown */
    int exit_code;
    int32_t subgroup; /* its subgroup's index in the workload's subgroups; read only when it
                       * has some */
};

/* A part of a mirrored workload's tasks with a gang minimum and a topology constraint of its
 * own (a PodGroup's sub-group). */
struct al__mirror_subgroup {
    const char *name;
    int32_t min_members;
    /* Level keys of the workload's topology, NULL = not given. */
    const char *required_topology_level, *preferred_topology_level;
};

struct al__mirror_workload {
    const char *project, *name;
    /* "training", "workspace" or "inference" (docs/api.md); NULL = training. */
    const char *kind;
    int32_t priority;
    bool preemptible;
    bool semi_preemptible; /* its first min_members tasks are not (preemptible is false) */
    bool preemption_never; /* its priority class's preemptionPolicy is Never: it evicts nothing */
    int32_t min_members;
    /* Its topology constraint (a PodGroup's topologyConstraint): names, NULL = not given. */
    const char *topology, *required_topology_level, *preferred_topology_level;
    bool no_enforce; /* its tasks opted out of the enforcement library (the platform's way) */
    /* Each task's request (the largest of its tasks' where they differ). */
    int32_t gpus, gpu_milli, gpu_memory_mib, gpu_device_count;
    int64_t cpu_millis, memory_bytes;
    int32_t gpu_milli_limit, gpu_memory_limit_mib; /* dynamic fractions, 0 = the request */
    const char *node_pool; /* the node pool it runs in, NULL = the default pool */
    /* MIG instances each task asks, by profile (mig_profiles of them, 0: none). */
    const struct al__mig_ask *migs;
    size_t mig_profiles;
    int64_t created_s;    /* its oldest task's creation: later than the workload's = made again */
    int64_t time_limit_s; /* 0 = none said (a workload's own stays) */
    const struct al__mirror_task *tasks;
    size_t task_count; /* >= 1 */
    /* Its subgroups (each task names its own), NULL and 0 for none: then the gang minimum is
     * theirs and min_members is not read. */
    const struct al__mirror_subgroup *subgroups;
    size_t subgroup_count;
};

/* A workload allotd's API asks a mirroring backend to create in its cluster (submit). */
struct al__mirror_submit {
    const struct al__mirror_workload *w; /* its request (task_count tasks; no states) */
    const char *const *argv;             /* the command, NULL-terminated */
    const char *const *env;              /* "KEY=VALUE", NULL-terminated */
    /* The submitter's variables its client carried, "KEY=VALUE", NULL-terminated (under env);
     * export_all: it carried the whole environment of the submitter's machine. */
    const char *const *exported_env;
    bool export_all;
    const char *workdir;  /* or NULL */
    const char *image;    /* the container image, or NULL */
    int64_t time_limit_s; /* 0 = none */
    bool labelled;        /* it carries labels (allotd's, to select workloads by) */
};

struct al__mirror {
    void *arg;
    void (*queue_put)(void *arg, const struct al__mirror_queue *q);
    void (*queue_remove)(void *arg, const char *name);
    void (*workload_put)(void *arg, const struct al__mirror_workload *w);
    void (*workload_remove)(void *arg, const char *project, const char *name);
    /* inventory_changed - the backend replaced b->inventory (nodes came, went or changed). */
    void (*inventory_changed)(void *arg);
};

/* What one task claims of a device's memory (gpu_claims). */
struct al__gpu_claim {
    struct al__task_key key;
    int64_t request_mib; /* what it registered as guaranteed */
    int64_t claim_mib;   /* max(request, what it used when it last allocated or freed above it) */
};

/* An option given to a backend on allotd's command line ("--gpus 4x80GiB"). */
struct al__backend_option {
    const char *name; /* "gpus" */
    const char *value;
};

struct al__backend;
struct allotd;

/*
 * The operations of a kind of backend. Every operation but `open` and `close` may be called
 * from any of allotd's threads, several at once; `start` is called without allotd's locks (it
 * may take long: a fork, a request to a server). Errors fill err with a message for a person.
 */
struct al__backend_type {
    const char *name;  /* what --backend chooses */
    const char *usage; /* its options, for --help */
    /* How many starts allotd may run at once (threads): 1 where a start is quick and local. */
    unsigned start_threads;
    /* Workloads' time limits are the platform's to enforce (Kubernetes: the kubelet ends a pod
     * at its activeDeadlineSeconds): allotd plans with them (reservations) but never stops a
     * task for running over one. false: allotd stops it (time_limits.c). */
    bool platform_time_limits;
    /* open - reads its options (unknown ones are an error naming them), discovers the
     * inventory into b->inventory; `dir` is a private directory it may keep files in. */
    int (*open)(struct al__backend *b, const char *dir, const struct al__backend_option *opts,
                size_t opt_count, char *err, size_t size);
    void (*close)(struct al__backend *b);
    /* prepare - a task is about to be placed: forget what an earlier run of it left, so that
     * a crash before its start is recorded is not mistaken for a start (see find). */
    void (*prepare)(struct al__backend *b, struct al__task_key key);
    /* start - starts a task; fills ref. */
    int (*start)(struct al__backend *b, const struct al__task_start *s, char ref[AL__TASK_REF_MAX],
                 char *err, size_t size);
    /* stop - asks (or forces) a running task to end. -AL_ENOENT when it is gone already. */
    int (*stop)(struct al__backend *b, const char *ref, enum al__stop_mode mode);
    /* refresh - before a pass that polls every running task: a backend that learns in bulk what
     * ended (reaping its children, reading a watch) does it here. False when no task can have
     * ended since the last refresh: allotd then polls only the tasks it is stopping. A backend
     * that has it learns of ends only through it (poll reports what the last refresh saw). NULL:
     * every pass polls every task. */
    bool (*refresh)(struct al__backend *b);
    /* poll - whether the task still runs; *exit_code when it exited. */
    enum al__task_status (*poll)(struct al__backend *b, struct al__task_key key, const char *ref,
                                 int *exit_code);
    /* find - re-adoption of a task placed before a crash whose start was never recorded: 0 and
     * its ref when it was started and still runs; -AL_ENOENT when it never started or is gone
     * (then poll with ref "" tells whether it ran and exited). */
    int (*find)(struct al__backend *b, struct al__task_key key, char ref[AL__TASK_REF_MAX]);
    /* forget - the task is gone for good (its workload deleted): remove what the backend kept
     * of it (its output too: a later task with the same key never shows another's). */
    void (*forget)(struct al__backend *b, struct al__task_key key);
    /* log_read - up to max bytes of the task's output from offset; 0 at the end (or none).
     * ref is the task's reference ("" when it never started). -1 with err when the output
     * cannot be read now (a cluster's node unreachable). */
    ssize_t (*log_read)(struct al__backend *b, struct al__task_key key, const char *ref,
                        int64_t offset, char *buf, size_t max, char *err, size_t size);
    /* log_from - where in the task's output (the offsets of log_read) to start for its last
     * `tail` lines (-1: all of them) of what it wrote at or after `since_s` (-1: any time):
     * the later of the two starts, into *offset. 0, or -1 with err when it cannot tell now.
     * NULL: not offered (allotd refuses tail and since). */
    int (*log_from)(struct al__backend *b, struct al__task_key key, const char *ref,
                    int64_t since_s, int64_t tail, int64_t *offset, char *err, size_t size);
    /* workdir_check - whether a task could start in directory `dir` (a submit names it): 0, or
     * -1 with why in err ("no directory /x on this machine"). NULL: not checked. */
    int (*workdir_check)(struct al__backend *b, const char *dir, char *err, size_t size);
    /* describe - the ref in words for events ("process group 1234"). */
    void (*describe)(struct al__backend *b, const char *ref, char *out, size_t size);
    /* task_json - adds the backend's own fields about a started task to its API object (the
     * local backend: "pid"). */
    void (*task_json)(struct al__backend *b, const char *ref, json_t *task);
    /* stream - opens a stream to a running task: a connected socket in *fd that the caller
     * closes, which speaks frames (stream/frames.h: the backend has sent the attach or exec
     * request) or, for a port, the connection's bytes. -AL_ENOENT with err when there is
     * nothing to connect to (the task ended, no terminal, no process of it listens on the
     * port); -AL_EIO when it could not connect. Called without allotd's locks. NULL: streams
     * are not offered. */
    int (*stream)(struct al__backend *b, const struct al__stream_request *r, int *fd, char *err,
                  size_t size);
    /* sync - a backend that owns the objects tells what changed since the last call through m;
     * with `all`, everything there is (what it does not name is gone). Called under allotd's
     * locks at the start of a pass. NULL: allotd owns them (the local backend). */
    void (*sync)(struct al__backend *b, bool all, const struct al__mirror *m);
    /* reason - why a mirrored workload waits (code and text NULL: it no longer does), for the
     * cluster to show (Kubernetes: its pending pods' PodScheduled condition). Called under
     * allotd's locks: it must not block. NULL: none. */
    void (*reason)(struct al__backend *b, const char *project, const char *workload,
                   const char *code, const char *text);
    /* acting - false while another replica carries decisions out (leader election): this one
     * mirrors and answers, but places and stops nothing. NULL: always acting. */
    bool (*acting)(struct al__backend *b);
    /*
     * Writes through allotd's API to a backend that owns the objects: the change is made in
     * the cluster (and comes back through sync). Each returns 0, or fills err for a person:
     * -AL_EINVAL (refused as asked: a 400; a submit's err starts with the field at fault and
     * ": ", e.g. "image: required ..."), -AL_EEXIST (a 409), -AL_ENOENT (a 404) or -AL_EIO
     * (the cluster could not be reached or failed: a 502). Called without allotd's locks.
     * NULL: not offered (allotd refuses such writes).
     */
    int (*queue_write)(struct al__backend *b, const struct al__mirror_queue *q, bool create,
                       char *err, size_t size);
    int (*queue_delete)(struct al__backend *b, const char *name, char *err, size_t size);
    int (*submit)(struct al__backend *b, const struct al__mirror_submit *s, char *err, size_t size);
    int (*workload_delete)(struct al__backend *b, const char *project, const char *name, char *err,
                           size_t size);
    /* gpu_busy - how busy device `device` of inventory node `node` is, in percent (the local
     * backend: NVML's utilisation, the share of its last sample period a kernel ran), into
     * *percent: 0, or -1 when it cannot tell (virtual devices, no NVML). Called under allotd's
     * locks: it must not block. NULL: never known (consumption reports' idle time is null). */
    int (*gpu_busy)(struct al__backend *b, size_t node, int32_t device, int *percent);
    /* gpu_memory_used - the memory in use on that device in bytes (the local backend: NVML's)
     * into *bytes: 0, or -1 when it cannot tell. Must not block; any thread (GET /metrics reads
     * it, and gpu_busy, without allotd's locks). NULL: never known. */
    int (*gpu_memory_used)(struct al__backend *b, size_t node, int32_t device, int64_t *bytes);
    /* gpu_claims - dynamic fractions: what each task running on that device claims of its
     * memory, in MiB: its request, or what it uses where that is more (the local backend: the
     * device's segment, which liballot-cuda.so keeps), up to max tasks into out and *n: 0, or -1
     * when it cannot tell. Called under allotd's locks: it must not block. NULL: never known
     * (no task is evicted for using more than its request). */
    int (*gpu_claims)(struct al__backend *b, size_t node, int32_t device, struct al__gpu_claim *out,
                      size_t max, size_t *n);
    /* drive - a backend that drives allotd's loop itself (the simulator, on its virtual clock:
     * b->clock): allotd opens its state (not durable: nothing outlives the run), serves
     * nothing and calls drive instead, then stops; drive returns 0, or -1 after saying why on
     * stderr. NULL: allotd serves and runs its loop on the wall clock. */
    int (*drive)(struct al__backend *b, struct allotd *d);
};

/* An open backend. */
struct al__backend {
    const struct al__backend_type *type;
    struct al__inventory inventory;
    void *data; /* the backend's own */
    /* Set by open, NULL for nothing to say: how tasks are kept from allotd's state and
     * processes, a phrase for allotd's start line - after "tasks run as ACCOUNT" where allotd
     * runs them as another account ("in namespaces of their own (mount, PID)"), alone where it
     * does not ("tasks in namespaces of their own (user, mount, PID): the state dir hidden from
     * them"). */
    const char *isolation;
    /* Set by open: the library tasks holding a share of a device run under (liballot-cuda.so,
     * absolute path; docs/cuda.md), NULL where they run without it; then enforcement_off says
     * why ("allotd --no-enforce", "no liballot-cuda.so at PATH: ..."), NULL where the backend
     * enforces nothing of its own. */
    const char *cuda_library;
    const char *enforcement_off;
    /* Set by open: how a workload that opted out (its spec's enforce false) did so, for its
     * "enforcement"; NULL: "--no-enforce". */
    const char *enforcement_opt_out;
    /* Set by open: allotd numbers the MIG instances each task holds on its node and passes
     * them to start (the local backend, whose layout is declared); false where the platform
     * picks them (Kubernetes' device plugin). */
    bool mig_numbered;
    /* Set by allotd after open (NULL: none): the backend calls it, from any thread and holding
     * none of its own locks, when it learned that a task may have ended (a child reaped, a
     * watch event), so that allotd runs a pass soon instead of at its next tick. */
    void (*wake)(void *arg);
    void *wake_arg;
    /* Set by open where the backend has a clock of its own (the simulator's virtual one, in
     * seconds since the epoch), NULL otherwise: allotd's clock reads it from then on. */
    const int64_t *clock;
};

/* The kinds of backend allotd knows, NULL-terminated (registry.c): a new one is added there. */
extern const struct al__backend_type *const al__backend_types[];

/* al__backend_find - the kind named `name`, or NULL. */
const struct al__backend_type *al__backend_find(const char *name);

/* al__backend_open - opens a backend of kind `type`. */
int al__backend_open(struct al__backend *b, const struct al__backend_type *type, const char *dir,
                     const struct al__backend_option *opts, size_t opt_count, char *err,
                     size_t size);
void al__backend_close(struct al__backend *b);

/* al__inventory_devices - numbers every device of every node in one range: *first (allocated,
 * the caller frees it) gets where each node's devices start; returns how many there are. */
size_t al__inventory_devices(const struct al__inventory *inv, size_t **first);

/* al__inventory_release - frees the nodes (for backends filling b->inventory). */
void al__inventory_release(struct al__inventory *inv);

#endif
