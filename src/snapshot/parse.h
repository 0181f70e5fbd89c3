/* parse.h - the snapshot parser's internal state and its stages (config, nodes, queues, jobs). */
#ifndef ALLOT_SNAPSHOT_PARSE_H
#define ALLOT_SNAPSHOT_PARSE_H

#include "snapshot/json_read.h"
#include <stdbool.h>
#include <stdint.h>

#include "allot/model.h"
#include "allot/snapshot.h"
#include "snapshot/json_util.h"
#include "snapshot/names.h"

/* Bounds that keep every sum the engine forms well inside int64. */
#define AL__MAX_GPUS           4096            /* devices on a node or in one request */
#define AL__MAX_GPU_MEMORY_MIB (1 << 24)       /* 16 TiB per device */
#define AL__MAX_QUEUE_GPUS     1000000000LL    /* a quota of 10^9 devices */
#define AL__MAX_CPU_MILLIS     1000000000000LL /* 10^9 cores */
#define AL__MAX_MEMORY_BYTES   (1LL << 50)     /* 1 PiB */
#define AL__MAX_WEIGHT         1000            /* over-quota weight */
#define AL__MAX_SECONDS        1000000000000LL /* +- about 31,700 years */
#define AL__MAX_PRIORITY       1000000000
#define AL__MAX_GANG_MINIMUM   1000000 /* a gang minimum, or a job's subgroup minimums summed */
#define AL__MAX_COUNT          ((size_t)INT32_MAX) /* objects of one kind (int32 indices) */

/* A gpu_groups label of the input: on `node`, `label` names device `device`. */
struct al_gpu_label {
    int32_t node;
    int32_t device;
    char *label;
};

/* What the parser learns beyond the cluster (kept for the scenario checker). */
struct al__parse_extra {
    struct al_gpu_label *labels; /* by node, then first appearance in the file */
    size_t label_count;
};

/* The parser's working state. Everything it points to is owned by the parse. */
struct al__parse {
    struct al_snapshot_error *err;
    struct al_cluster *cluster;
    struct al__names nodes;
    struct al__names queues;
    bool *queue_has_child;               /* per queue */
    struct al__names subgroups;          /* of the job being parsed */
    const struct al__json **task_groups; /* per task: its gpu_groups array, or NULL (borrowed) */
    struct al__parse_extra extra;        /* handed to the caller on success */
    size_t label_cap;
};

/* Stages, in the order al__snapshot_parse_root() runs them. Each returns 0 or -AL_E...
 * with p->err filled. The cluster arrays they fill may be partly set on failure; the
 * caller releases the whole cluster then. */
int al__parse_config(struct al__parse *p, const struct al__json *config);
int al__parse_nodes(struct al__parse *p, const struct al__json *nodes);
int al__parse_queues(struct al__parse *p, const struct al__json *queues);
int al__parse_jobs(struct al__parse *p, const struct al__json *jobs);
/* al__parse_topologies - the optional topologies[] of the document's root (before jobs). */
int al__parse_topologies(struct al__parse *p, const struct al__json *root);

/* al__parse_topology_constraint - a job's or subgroup's topology, required_topology_level and
 * preferred_topology_level members (obj at path) into *k (zeroed when absent); the topology
 * may be left out when the snapshot has exactly one. */
int al__parse_topology_constraint(struct al__parse *p, const struct al__json *obj, const char *path,
                                  struct al_topology_constraint *k);

/* Keys of the topology constraint, accepted in job and subgroup objects. */
#define AL__TOPOLOGY_CONSTRAINT_KEYS                                                               \
    "topology", "required_topology_level", "preferred_topology_level"

/*
 * al__parse_queue_settings - a queue object's priority, deserved, limit, over_quota_weight,
 * min runtimes and per-pool quotas (pools) into q; absent members leave q's values as they are,
 * a null min runtime unsets it (inherit), a pools entry sets or (null) removes that pool's entry
 * (q->pools is q's, reallocated with malloc; al_cluster_release frees it). The caller checks
 * the object's keys: its own and al__queue_setting_keys.
 * Shared with allotd, whose departments and projects carry the same settings.
 */
int al__parse_queue_settings(const struct al__json *obj, const char *path, struct al_queue *q,
                             struct al_snapshot_error *err);
extern const char *const al__queue_setting_keys[]; /* NULL-terminated */

/*
 * al__parse_migs - obj's optional "mig" member, {"<profile>": count >= 1, ...}, into *out (calloc,
 * sorted by profile; the caller frees it, also after a failure, with *count entries named) and
 * *count. Profiles must be MIG profile names (al_mig_profile_gpus). -AL_EINVAL, -AL_ENOMEM.
 */
int al__parse_migs(const struct al__json *obj, const char *path, struct al_mig **out, size_t *count,
                   struct al_snapshot_error *err);

/*
 * al__parse_task - reads jobs[job].tasks[pos] (obj) into cluster->tasks[index], whose job
 * and subgroups are already set. Device labels are kept in p->task_groups for
 * al__gpu_assign().
 */
int al__parse_task(struct al__parse *p, const struct al__json *obj, int32_t job, size_t pos,
                   size_t index);

/* al__task_devices - devices a task's GPU request occupies: gpus, or gpu_devices for a shared
 * request, or 0. */
size_t al__task_devices(const struct al_task *t);

/*
 * al__gpu_assign - gives every active GPU task without explicit gpu_indices its devices
 * (labels first, in order of first appearance per node, then the lowest free devices),
 * records the label map in p->extra and checks that no device is over-committed.
 */
int al__gpu_assign(struct al__parse *p);

/* al__task_path - "jobs[j].tasks[k]" of cluster task `task`, plus ".field" if not NULL. */
void al__task_path(const struct al__parse *p, size_t task, const char *field,
                   char out[AL__PATH_SIZE]);

/*
 * al__snapshot_parse_root - parses a document already read (json_read.h) into *cluster
 * (zeroed on failure). When extra is not NULL it receives the input's device label map
 * (release with al__parse_extra_release()). The `expect` member is allowed and ignored.
 */
int al__snapshot_parse_root(const struct al__json *root, struct al_cluster *cluster,
                            struct al__parse_extra *extra, struct al_snapshot_error *err);

/* al__parse_extra_release - frees what the parser stored in *extra; accepts a zeroed one. */
void al__parse_extra_release(struct al__parse_extra *extra);

/* al__snapshot_load_json - reads text into *doc (json_read.h; release it, also on failure);
 * syntax errors go to err with an empty path and the line. Errors: -AL_EINVAL, -AL_ENOMEM. */
int al__snapshot_load_json(const char *text, size_t len, struct al__json_doc *doc,
                           struct al_snapshot_error *err);

#endif
