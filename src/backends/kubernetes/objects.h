/* objects.h - the Kubernetes objects allot schedules with, read from their JSON into allot's
 * terms: a Node into an inventory node, a Pod into a task's request and identity (with KAI
 * Scheduler's labels and annotations for queues, pod groups and GPU fractions). Malformed
 * objects are refused naming the object, the field and the problem. */
#ifndef ALLOT_BACKENDS_KUBERNETES_OBJECTS_H
#define ALLOT_BACKENDS_KUBERNETES_OBJECTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"

#include "backends/backend.h"

/* The labels and annotations of KAI Scheduler that allot reads. */
#define AL__KUBE_QUEUE_LABEL        "kai.scheduler/queue"
#define AL__KUBE_POD_GROUP_ANNOT    "pod-group-name"
#define AL__KUBE_GPU_FRACTION       "gpu-fraction"
#define AL__KUBE_GPU_MEMORY         "gpu-memory"
#define AL__KUBE_GPU_FRACTION_DEVS  "gpu-fraction-num-devices"
#define AL__KUBE_GPU_FRACTION_LIMIT "gpu-fraction-limit" /* dynamic fractions (Run:ai) */
#define AL__KUBE_GPU_MEMORY_LIMIT   "gpu-memory-limit"
/* allot's per-pod opt-out of liballot-cuda.so: "false" (docs/cuda.md, "On Kubernetes") */
#define AL__KUBE_ENFORCE_ANNOT     "allot.run/enforce"
#define AL__KUBE_GPU_RESOURCE      "nvidia.com/gpu"
#define AL__KUBE_MIG_PREFIX        "nvidia.com/mig-" /* + a MIG profile: nvidia.com/mig-1g.10gb */
#define AL__KUBE_GPU_PRODUCT_LABEL "nvidia.com/gpu.product"
#define AL__KUBE_GPU_MEMORY_LABEL  "nvidia.com/gpu.memory"
#define AL__KUBE_GPU_GROUP_LABEL   "runai-gpu-group" /* the shared device a pod was given */
#define AL__KUBE_SUBGROUP_LABEL    "kai.scheduler/subgroup-name"
#define AL__KUBE_POOL_LABEL        "kai.scheduler/node-pool"
/* KAI's preemptibility label on a workload's pods (its pod grouper copies it to the PodGroup's
 * spec.preemptibility): preemptible, non-preemptible or semi-preemptible. */
#define AL__KUBE_PREEMPTIBILITY_LABEL "kai.scheduler/preemptibility"
#define AL__KUBE_GPU_GROUPS_MAX       16
/* allot's: a Queue made through allot says whether it is a department or a project (a
 * department with no project yet is a leaf too). */
#define AL__KUBE_QUEUE_KIND_LABEL "allot.run/queue-kind"

/*
 * al__kube_node_read - node o as an inventory node: allocatable CPU, memory and nvidia.com/gpu
 * devices (each with the product and memory that GPU feature discovery labels; a node without
 * the memory label gets devices of 1 MiB, which no GPU-memory request fits), its labels, its
 * pool from pool_label (NULL: none). *schedulable is false when it is cordoned or not Ready.
 * 0, or -AL_EINVAL with err (out then holds nothing); out's parts are the caller's
 * (al__kube_node_release, or al__inventory_release once it is in an inventory).
 */
int al__kube_node_read(json_t *o, const char *pool_label, struct al__node *out, bool *schedulable,
                       char *err, size_t size);
void al__kube_node_release(struct al__node *n);

enum al__kube_pod_phase {
    AL__POD_PENDING,
    AL__POD_RUNNING,
    AL__POD_SUCCEEDED,
    AL__POD_FAILED,
    AL__POD_UNKNOWN
};

/* A pod as allot sees it. Text fields are "" when absent. */
struct al__kube_pod {
    char namespace_[64];
    char name[254];
    char uid[64];
    char scheduler[254]; /* spec.schedulerName */
    char node[254];      /* spec.nodeName: bound there */
    enum al__kube_pod_phase phase;
    bool terminating;         /* metadata.deletionTimestamp is set */
    char queue[254];          /* the kai.scheduler/queue label */
    char pod_group[254];      /* the pod-group-name annotation */
    char priority_class[254]; /* spec.priorityClassName */
    bool has_priority;
    int32_t priority;            /* spec.priority, set by the API server from the class */
    char owner_api_version[128]; /* its controller owner, if any */
    char owner_kind[64];
    char owner_name[254];
    char owner_uid[64];
    /* What it requests (its containers, as Kubernetes counts them: the regular ones and the
     * sidecars together, or the largest init container if more, plus the pod's overhead). */
    int64_t cpu_millis;
    int64_t memory_bytes;
    int32_t gpus;           /* whole devices (nvidia.com/gpu) */
    int32_t gpu_milli;      /* or a portion of each shared device (gpu-fraction) */
    int32_t gpu_memory_mib; /* or memory on each (gpu-memory) */
    int32_t gpu_devices;    /* shared devices (gpu-fraction-num-devices), 1 by default */
    /* MIG instances by profile (nvidia.com/mig-<profile>, each summed over its containers),
     * sorted by profile; mig_profiles 0 for none. A pod asking more than AL__MIG_ASKS_MAX
     * profiles is refused. */
    struct al__mig_ask migs[AL__MIG_ASKS_MAX];
    size_t mig_profiles;
    char pool[64]; /* its node pool (the pool label), "" for the default pool */
    /* spec.activeDeadlineSeconds: the kubelet ends it this long after it started; 0 = none. */
    int64_t active_deadline_s;
    bool no_enforce; /* its share runs without liballot-cuda.so (allot.run/enforce) */
    /* Dynamic fractions: the limit above a share (gpu-fraction-limit, gpu-memory-limit; same
     * kind as the request), 0 = the request. */
    int32_t gpu_milli_limit, gpu_memory_limit_mib;
    /* The shared devices KAI gave it, as GPU groups (the runai-gpu-group label, or one
     * runai-gpu-group/... label per device): pods with the same group share a device. */
    char gpu_groups[AL__KUBE_GPU_GROUPS_MAX][64];
    size_t gpu_group_count;
    char subgroup[254]; /* the kai.scheduler/subgroup-name label: its part of its pod group */
    int preemptibility; /* the kai.scheduler/preemptibility label (enum al__kube_preemptibility) */
};

/* al__kube_pod_read - pod o; pool_label (or NULL) the label naming its node pool, as on nodes
 * (KAI puts the pool's label on a pool's pods). 0, or -AL_EINVAL with err naming the pod and
 * the field. */
int al__kube_pod_read(json_t *o, const char *pool_label, struct al__kube_pod *out, char *err,
                      size_t size);

/* A Queue (scheduling.run.ai/v2) in allot's units: GPU in milli-GPUs, CPU in millicores,
 * memory in bytes (KAI writes devices, millicores and megabytes); AL_UNLIMITED (-1) where KAI
 * writes -1; over-quota weights in thousandths (KAI's may have fractions; only their ratios
 * count). A resource it does not give: deserved 0, no limit, weight 1 (1000). */
struct al__kube_queue {
    char name[254];
    char parent[254]; /* spec.parentQueue, "" for a top-level queue */
    char display_name[254];
    /* What it is: as its allot.run/queue-kind label says, or by its place (a leaf is a
     * project, as in KAI). */
    enum { AL__QUEUE_KIND_BY_PLACE, AL__QUEUE_DEPARTMENT, AL__QUEUE_PROJECT } kind;
    int32_t priority;                         /* spec.priority, 100 when not given (as KAI) */
    int64_t deserved[3], limit[3], weight[3]; /* by enum al_resource: gpu, cpu, memory */
    bool has_preempt_min_runtime, has_reclaim_min_runtime;
    int64_t preempt_min_runtime_s, reclaim_min_runtime_s;
};

/* al__kube_queue_read - queue o. 0, or -AL_EINVAL with err naming the queue and the field. */
int al__kube_queue_read(json_t *o, struct al__kube_queue *out, char *err, size_t size);

/* al__kube_queue_weights - over-quota weights are thousandths here and whole numbers up to
 * 1000 in allot (only ratios count): the common divisor of every weight of qs[0..n), and the
 * largest weight divided by it. al__kube_queue_weight - one weight so scaled (a weight that is
 * not 0 stays at least 1). */
void al__kube_queue_weights(const struct al__kube_queue *qs, size_t n, int64_t *divisor,
                            int64_t *largest);
int64_t al__kube_queue_weight(int64_t weight, int64_t divisor, int64_t largest);

/* A PodGroup's spec.preemptibility (or a pod's kai.scheduler/preemptibility label). */
enum al__kube_preemptibility {
    AL__PREEMPTIBILITY_BY_PRIORITY, /* not given: a priority below 100 is preemptible */
    AL__PREEMPTIBLE,
    AL__NON_PREEMPTIBLE,
    AL__SEMI_PREEMPTIBLE /* its first minMember pods are not, the pods beyond are */
};

/* al__kube_preemptibility_parse - "" (by priority), "preemptible", "non-preemptible" or
 * "semi-preemptible" into *out; -AL_EINVAL for anything else (out untouched). */
int al__kube_preemptibility_parse(const char *text, int *out);

/* A PodGroup (scheduling.run.ai/v2alpha2): one job of pods. */
/* KAI's topologyConstraint of a PodGroup (its names; "" = not given). */
struct al__kube_topology_constraint {
    char topology[254];
    char required[320], preferred[320]; /* node label keys (or a level's alias) */
};

struct al__kube_subgroup {
    char name[254];
    char parent[254];
    int32_t min_members;
    struct al__kube_topology_constraint topology; /* its topologyConstraint */
};

struct al__kube_pod_group {
    char namespace_[64];
    char name[254];
    char uid[64];
    char queue[254];
    char priority_class[254];
    int32_t min_members;                 /* 1 when not given */
    int preemptibility;                  /* enum al__kube_preemptibility */
    struct al__kube_subgroup *subgroups; /* malloc'd, subgroup_count of them */
    size_t subgroup_count;
    struct al__kube_topology_constraint topology; /* spec.topologyConstraint */
    char pool[64]; /* its node pool (the pool label on the PodGroup, as KAI's), "" for none */
};

/* al__kube_topology_annotations - KAI's topology annotations of a workload (its top owner, or
 * a bare pod): kai.scheduler/topology, -required-placement, -preferred-placement, as KAI's pod
 * grouper copies them onto the PodGroup it makes; empty strings for those absent. */
void al__kube_topology_annotations(json_t *meta, struct al__kube_topology_constraint *t);

/* al__kube_pod_group_read - pod group o; pool_label (or NULL) the label naming its node pool,
 * as on nodes and pods. 0, or -AL_EINVAL with err; out's subgroups are the caller's
 * (al__kube_pod_group_release). */
int al__kube_pod_group_read(json_t *o, const char *pool_label, struct al__kube_pod_group *out,
                            char *err, size_t size);
void al__kube_pod_group_release(struct al__kube_pod_group *g);

/*
 * al__kube_topology_read - a KAI Topology (kai.scheduler/v1alpha1) o: its name and its levels'
 * node labels, outermost first (an alias a level has is kept in aliases[l], NULL for none).
 * 0, or -AL_EINVAL with err (no name, no level, a level without nodeLabel, a label twice); out's
 * strings are the caller's (al__kube_topology_release).
 */
int al__kube_topology_read(json_t *o, struct al_topology *out, char ***aliases, char *err,
                           size_t size);
void al__kube_topology_release(struct al_topology *t, char **aliases);

/* KAI's priority of a job without a priority class (its train class). */
#define AL__KUBE_DEFAULT_PRIORITY 50

/* al__kube_priority - a job's priority: its class's value from classes (name -> value), the
 * pod's own (spec.priority, set by the API server) when the class is unknown here, and KAI's
 * default when it names no class. */
int32_t al__kube_priority(json_t *classes, const char *cls, bool has_priority, int32_t priority);

/* al__kube_preemptible - as KAI decides: a PodGroup's preemptibility, or else a priority below
 * 100 (build) makes a job preemptible. */
bool al__kube_preemptible(int preemptibility, int32_t priority);

/* al__kube_priority_class_never - the PriorityClass's preemptionPolicy is Never: its pods
 * evict nothing, they wait (Kubernetes' meaning, and KAI's design for it). */
bool al__kube_priority_class_never(json_t *o);

/* al__kube_priority_class_read - a PriorityClass's name and value. */
int al__kube_priority_class_read(json_t *o, char *name, size_t name_size, int32_t *value, char *err,
                                 size_t size);

#endif
