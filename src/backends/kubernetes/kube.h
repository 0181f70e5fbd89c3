/* kube.h - the Kubernetes backend's own state, shared by its parts: backend.c (the ops, the
 * watch and lease threads), mirror.c (the cluster in allotd's terms, for its sync op), writer.c
 * (requests made off allotd's loop: evictions, pod conditions, events). */
#ifndef ALLOT_BACKENDS_KUBERNETES_KUBE_H
#define ALLOT_BACKENDS_KUBERNETES_KUBE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "backends/backend.h"
#include "backends/kubernetes/cache.h"
#include "backends/kubernetes/client.h"
#include "backends/kubernetes/grouping.h"
#include "backends/kubernetes/lease.h"
#include "backends/kubernetes/objects.h"
#include "util/strmap.h"

/* The annotation allot binds a pod with: the devices it was given on its node ("0,1"). */
#define AL__KUBE_DEVICES_ANNOT "allot.run/gpus"
#define AL__KUBE_DEVICES_MAX   16
/* A GPU reservation pod (reservations.c): its label, and the node it holds a device of. */
#define AL__KUBE_RESERVATION_LABEL "allot.run/gpu-reservation"
#define AL__KUBE_RESERVATION_NODE  "allot.run/node"
/* The GPU the device plugin gave a reservation (its pod writes it), and on each pod sharing
 * devices, those of its devices (comma-separated, for NVIDIA_VISIBLE_DEVICES). */
#define AL__KUBE_UUID_ANNOT  "allot.run/gpu-uuid"
#define AL__KUBE_UUIDS_ANNOT "allot.run/gpu-uuids"
/* And, for a share of devices, the GPU memory it may use on each, in MiB. */
#define AL__KUBE_MEMORY_ANNOT "allot.run/gpu-memory-limit-mib"

/* A pod as the mirror keeps it. */
struct al__kube_pod_entry {
    char key[320]; /* "ns/name" */
    struct al__kube_pod pod;
    bool ours;          /* one of allot's schedulers' */
    char group[320];    /* its group's key ("ns/podgroup"), "" for none */
    bool group_named;   /* the pod names its PodGroup (which must exist) */
    bool owner_pending; /* its owners are not read yet: in no group */
    bool reservation;   /* a GPU reservation pod: neither a task nor another's */
    char reservation_node[254];
    int32_t reservation_device;
    char gpu_uuid[128];                    /* a reservation's GPU, once its pod reported it */
    char gpu_uuids[512];                   /* a share's devices' GPUs as last written on it */
    struct al__kube_owner top;             /* its top owner (a group allot makes) */
    int32_t gang;                          /* that group's minimum, from the top owner */
    int32_t devices[AL__KUBE_DEVICES_MAX]; /* what it holds on its node, once bound */
    size_t device_count;
    bool devices_known;
    int64_t created_s, started_s, finished_s; /* -1 = unknown */
    int exit_code;
};

/* A job: the pods of one PodGroup (named by them, or allot's grouping of an owner's pods). */
struct al__kube_group {
    char key[320];
    struct al__kube_pod_entry **pods;
    size_t count, cap;
    bool dirty;
    /* As last put (project "" = not put): its tasks' pods in order, by uid. */
    char project[64], name[64];
    char wkey[200];    /* "project/name": its key in al__kube.workloads */
    char status[96];   /* the PodGroup status last written ("" = none) */
    bool create_asked; /* allot asked for its PodGroup to be created */
    char refused[700]; /* why allot refuses it, as last said ("" = none): gang_pool.c */
    char pool[64];     /* the node pool it was put in, "" = the default pool */
    char (*uids)[64];
    size_t uid_count;
};

/* A bind allotd made that the watch has not shown yet. */
struct al__kube_assumed {
    char uid[64]; /* its key */
    char node[254];
    int32_t devices[AL__KUBE_DEVICES_MAX];
    size_t device_count;
};

struct al__kube_writer;

struct al__kube_watch {
    struct al__kube *k;
    struct al__kube_cache *cache;
    const char *path, *kind;
    pthread_t thread;
    bool started;
};

enum {
    AL__KUBE_NODES,
    AL__KUBE_PODS,
    AL__KUBE_QUEUES,
    AL__KUBE_GROUPS,
    AL__KUBE_CLASSES,
    AL__KUBE_TOPOLOGIES, /* KAI's Topology (kai.scheduler/v1alpha1): not watched without its CRD */
    AL__KUBE_KINDS
};

struct al__kube {
    struct al__backend *b;
    struct al__kube_credentials creds;
    char scheduler[254]; /* allot's schedulerName; "kai-scheduler" is taken too */
    char pool_label[254];
    char namespace_prefix[32]; /* a project's namespace is PREFIX + its name */
    char default_image[254];   /* for submits that name none, "" = none */
    char reservation_namespace[64];
    char reservation_image[254];
    /* liballot-cuda.so's path on the nodes (--webhook-cuda-library), or why pods run without
     * it: b->cuda_library and b->enforcement_off point here */
    char cuda_library[4096], enforcement_off[64];
    atomic_bool stopping;

    struct al__kube_watch watches[AL__KUBE_KINDS];

    /* Leader election (none when lease.name is ""). */
    struct al__kube_lease lease;
    pthread_t lease_thread;
    bool lease_started;
    atomic_bool leader;
    pthread_mutex_t stop_lock; /* with stop_cond: wakes the lease thread to stop */
    pthread_cond_t stop_cond;

    /* Clients for binds, each used by one start at a time (allotd runs several at once). */
    pthread_mutex_t binders_lock;
    struct al__kube_client **binders;
    size_t binder_count, binder_cap;
    struct al__kube_writer *writer;   /* evictions, PodGroups made: what scheduling waits on */
    struct al__kube_owners *owners;   /* owners read for grouping (owners.c) */
    struct al__kube_webhook *webhook; /* NULL: none served */
    atomic_bool owners_read;          /* an owner was read: waiting pods are read again */
    struct al__kube_writer *notes;    /* events, conditions, PodGroup status: what people read */

    /* The mirror (mirror.c), under `lock`. */
    pthread_mutex_t lock;
    struct al__strmap pods;      /* key -> struct al__kube_pod_entry */
    struct al__strmap by_uid;    /* uid -> struct al__kube_pod_entry */
    struct al__strmap groups;    /* key -> struct al__kube_group */
    struct al__strmap workloads; /* "project/name" -> struct al__kube_group */
    struct al__strmap assumed;   /* uid -> struct al__kube_assumed (owned, key inside) */
    struct al__strmap evicting;  /* uid -> its own key copy */
    struct al__strmap waiting;   /* pod keys waiting on their owners -> own key copy */
    json_t *classes;             /* PriorityClass name -> value */
    json_t *never_classes;       /* PriorityClass name -> true: its preemptionPolicy is Never */
    json_t *reserving;           /* "node/device" -> true: reservations asked for, not seen yet */
    bool reservations_acting;    /* whether this replica acted when reservations were last kept */
    json_t *projects;            /* leaf Queue names -> true */
    char **queues_put;           /* the Queues last put */
    size_t queues_put_count;
};

/* mirror.c */
void al__kube_mirror_init(struct al__kube *k);
void al__kube_mirror_release(struct al__kube *k);
/* al__kube_sync - the backend's sync op. */
void al__kube_sync(struct al__backend *b, bool all, const struct al__mirror *m);
/* inventory.c */
/* al__kube_inventory - the schedulable picture of the nodes: their allocatable capacity less
 * what pods of other schedulers hold, in name order. k->lock held. */
void al__kube_inventory(struct al__kube *k, struct al__inventory *out);
/* al__kube_inventory_node - the node of that name in an inventory whose nodes are sorted by
 * name (al__kube_inventory's), or NULL. */
struct al__node *al__kube_inventory_node(struct al__inventory *inv, const char *name);
/* mirror.c, continued */
/* al__kube_task_pod - the pod of task `index` of workload project/name as last put: its
 * namespace, name and uid; false when there is none. */
bool al__kube_task_pod(struct al__kube *k, const char *project, const char *workload, int32_t index,
                       char *ns, char *name, char *uid);
/* al__kube_group_object - the PodGroup object of workload project/name (its namespace and
 * name) and, where pool is not NULL, the node pool its gang runs in (char[64], "" = the default
 * pool): false when it has none (a group allot made of an owner's pods). */
bool al__kube_group_object(struct al__kube *k, const char *project, const char *workload, char *ns,
                           char *name, char *pool);
/* al__kube_acting - this replica may act (backend.c). */
bool al__kube_acting(struct al__kube *k);
/* al__kube_pending_pods - the pods of workload project/name not bound, each as "ns/name/uid"
 * (a new array of strings); NULL when none. */
json_t *al__kube_pending_pods(struct al__kube *k, const char *project, const char *workload);

/* al__kube_level_label - a level of topology `name` given by its alias (KAI lets a constraint
 * name either) as its node label, in place; unchanged when it is a node label already or names
 * nothing known (topology_constraint.c). */
void al__kube_level_label(struct al__kube *k, const char *name, char *level, size_t size);

/* al__kube_top_topology - the KAI topology annotations of the top owner of a group allot makes
 * (a bare pod's own), as KAI's pod grouper writes them on the PodGroup; none without a topology
 * named (KAI ignores a constraint without one), levels given by alias as node labels. */
void al__kube_top_topology(struct al__kube *k, const struct al__kube_pod_entry *first,
                           struct al__kube_topology_constraint *t);

/* subgroups.c: a PodGroup's sub-groups as the mirrored workload's subgroups. Sub-group trees
 * are flattened to their leaves (those no other names as parent), in spec order. */
struct al__kube_leaves {
    struct al__kube_subgroup *items; /* levels as node labels, of the workload's topology */
    size_t count;
};
/* al__kube_leaves_read - g's leaf sub-groups into *out (the caller's: al__kube_leaves_release).
 * A leaf's constraint is of the workload's topology: the pod group's (job->topology), or, when
 * it names none, the one leaves name (job->topology is then set to it); a constraint where no
 * topology is named at all is dropped, as KAI drops such a constraint. -AL_EINVAL with err (out
 * empty) for a constraint on a sub-group that has sub-groups, or leaves naming another
 * topology. */
int al__kube_leaves_read(struct al__kube *k, const struct al__kube_pod_group *g,
                         struct al__kube_topology_constraint *job, struct al__kube_leaves *out,
                         char *err, size_t size);
/* al__kube_leaves_apply - each task's subgroup from its pod's kai.scheduler/subgroup-name label
 * (tasks[i] is pods[i]'s, w->task_count of them), and w's subgroups pointing into l and into
 * *subs (malloc'd, the caller frees it; NULL when l has none). -AL_EINVAL with err when a pod
 * names no leaf. */
int al__kube_leaves_apply(const struct al__kube_leaves *l, struct al__kube_pod_entry *const *pods,
                          struct al__mirror_task *tasks, struct al__mirror_workload *w,
                          struct al__mirror_subgroup **subs, char *err, size_t size);
void al__kube_leaves_release(struct al__kube_leaves *l);

/* webhook.c: the mutating admission webhook for pods that share a GPU (HTTPS on listen, with a
 * PEM certificate and key; `library`: liballot-cuda.so's path on the nodes, checked by
 * al__kube_library_path_check, NULL: pods run without it). NULL with err when it cannot
 * serve. */
struct al__kube_webhook;
struct al__kube_webhook *al__kube_webhook_start(const struct al__kube *k, const char *listen,
                                                const char *cert, const char *key,
                                                const char *library, char *err, size_t size);
void al__kube_webhook_stop(struct al__kube_webhook *wh);

/* reservations.c: a GPU reservation pod per shared device. */
void al__kube_reservation_name(const char *node, int32_t device, char *out, size_t size);
/* al__kube_reservation_read - whether pod o is a reservation, and of which device. */
bool al__kube_reservation_read(json_t *o, char node[254], int32_t *device);
/* al__kube_reservations_sync - creates and deletes them (k->lock held; acting only). */
void al__kube_reservations_sync(struct al__kube *k);

/* backend.c: clients for one request at a time (binds, the API's writes), and a pod by uid. */
struct al__kube_client *al__kube_binder_take(struct al__kube *k, char *err, size_t size);
void al__kube_binder_give(struct al__kube *k, struct al__kube_client *c);
bool al__kube_pod_of(struct al__kube *k, const char *uid, char ns[64], char name[254]);

/* writes.c: the backend's write ops and log_read (backend.h). */
int al__kube_queue_write(struct al__backend *b, const struct al__mirror_queue *q, bool create,
                         char *err, size_t size);
int al__kube_queue_delete(struct al__backend *b, const char *name, char *err, size_t size);
int al__kube_submit(struct al__backend *b, const struct al__mirror_submit *s, char *err,
                    size_t size);
int al__kube_workload_delete(struct al__backend *b, const char *project, const char *name,
                             char *err, size_t size);
ssize_t al__kube_log_read(struct al__backend *b, struct al__task_key key, const char *ref,
                          int64_t offset, char *buf, size_t max, char *err, size_t size);

/* writer.c: requests made by threads of their own (one: in the order queued). */
/*
 * al__kube_gang_pool - the node pool gang g runs in (*pool borrowed, NULL = the default pool):
 * its PodGroup's pool label (group_pool, "" = none) wins over its pods'; else the pool its pods
 * name (a pod without the pool label names none). false when pods name different pools and the
 * PodGroup none: the gang is not scheduled, and stderr, its PodGroup's schedulingConditions
 * (reason NodePoolConflict) and a Warning Event on its first pod say which pods name which
 * pools, once per change (al__kube_gang_refuse); the caller clears it once the gang is put
 * (al__kube_gang_refusal_over).
 */
bool al__kube_gang_pool(struct al__kube *k, struct al__kube_group *g, const char *group_pool,
                        struct al__kube_pod_entry *const *pods, size_t n, const char **pool);

/*
 * al__kube_gang_refuse - says once per change why gang g is not scheduled: stderr, a condition
 * on its PodGroup's status.schedulingConditions (type UnschedulableOnNodePool, `reason`,
 * `message`; where the PodGroup exists) and a Warning Event with `reason` on its first pod
 * (while acting). Remembered in g->refused until al__kube_gang_refusal_over.
 */
void al__kube_gang_refuse(struct al__kube *k, struct al__kube_group *g,
                          const struct al__kube_pod_entry *first, const char *reason,
                          const char *message);

/* al__kube_gang_refusal_over - a refusal said before is over (the gang is put): its condition
 * leaves the PodGroup (where it exists). Nothing when none was said. */
void al__kube_gang_refusal_over(struct al__kube *k, struct al__kube_group *g);

/* al__kube_gang_deadline - a gang's known time limit: the longest of its pods'
 * activeDeadlineSeconds when every pod has one (the kubelet ends each), else 0 (not known). */
int64_t al__kube_gang_deadline(struct al__kube_pod_entry *const *pods, size_t n);

struct al__kube_writer *al__kube_writer_start(const struct al__kube_credentials *creds,
                                              atomic_bool *stopping, size_t threads, char *err,
                                              size_t size);
void al__kube_writer_stop(struct al__kube_writer *w);
/* al__kube_write - queues METHOD path with body (a JSON object, taken) and content type;
 * `what` says what it is for the log. A 429 is tried again a little later. */
void al__kube_write(struct al__kube_writer *w, const char *method, const char *path,
                    const char *content_type, json_t *body, const char *what);
/* al__kube_write_latest - the same for a write of which only the latest counts (a status): one
 * of the same key still queued takes this body instead (under load, a pod's condition or a
 * group's status is written once, as it is when sent, not once per change). */
void al__kube_write_latest(struct al__kube_writer *w, const char *latest, const char *method,
                           const char *path, const char *content_type, json_t *body,
                           const char *what);

#endif
