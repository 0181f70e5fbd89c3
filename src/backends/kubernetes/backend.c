/* backend.c - the Kubernetes backend behind allotd's backend interface: a cluster's Nodes,
 * Pods, PriorityClasses and KAI Scheduler's Queues and PodGroups watched into caches and
 * mirrored into allotd's state (mirror.c); a task is a pod, started by binding it to its node
 * (pods/binding, its devices in an annotation) and stopped through the Eviction API; one
 * active allotd among replicas by a Lease. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "allot/errors.h"
#include "backends/enforce.h"
#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/kube.h"
#include "backends/kubernetes/kubernetes.h"
#include "backends/kubernetes/owners.h"
#include "backends/kubernetes/share_patch.h"
#include "backends/kubernetes/watch.h"
#include "util/xalloc.h"

#define SYNC_WAIT_S 60 /* open waits this long for every kind's first list */

static const struct {
    const char *path, *kind;
} kinds[AL__KUBE_KINDS] = {
    [AL__KUBE_NODES] = {"/api/v1/nodes", "nodes"},
    [AL__KUBE_PODS] = {"/api/v1/pods", "pods"},
    [AL__KUBE_QUEUES] = {"/apis/scheduling.run.ai/v2/queues", "queues (scheduling.run.ai/v2)"},
    [AL__KUBE_GROUPS] = {"/apis/scheduling.run.ai/v2alpha2/podgroups",
                         "podgroups (scheduling.run.ai/v2alpha2)"},
    [AL__KUBE_CLASSES] = {"/apis/scheduling.k8s.io/v1/priorityclasses", "priorityclasses"},
    [AL__KUBE_TOPOLOGIES] = {"/apis/kai.scheduler/v1alpha1/topologies",
                             "topologies (kai.scheduler/v1alpha1)"},
};

/* Whether the cluster serves `path` (a kind whose CRD may not be installed): false on a 404,
 * true otherwise (an error other than a 404 is the watch's to report). */
static bool served(struct al__kube *k, const char *path) {
    struct al__kube_client *c;
    char err[512], probe[256];
    long status = 0;
    json_t *answer = NULL;
    if (al__kube_client_open(&k->creds, &c, err, sizeof(err)) < 0)
        return true;
    snprintf(probe, sizeof(probe), "%s?limit=1", path);
    int rc = al__kube_request(c, "GET", probe, NULL, NULL, &status, &answer, err, sizeof(err));
    json_decref(answer);
    al__kube_client_close(c);
    return rc < 0 || status != 404;
}

/* ---- watches ---- */

static struct al__kube_watch_ops cache_ops;

static void watch_reset(void *arg, json_t *items) {
    struct al__kube_watch *w = arg;
    cache_ops.reset(w->cache, items);
}

static void watch_event(void *arg, const char *type, json_t *object) {
    struct al__kube_watch *w = arg;
    cache_ops.event(w->cache, type, object);
}

static void watch_problem(void *arg, const char *what) {
    struct al__kube_watch *w = arg;
    fprintf(stderr, "allotd: kubernetes: watching %s: %s\n", w->kind, what);
}

static bool watch_stopping(void *arg) {
    struct al__kube_watch *w = arg;
    return atomic_load(&w->k->stopping);
}

static void *watch_thread(void *arg) {
    struct al__kube_watch *w = arg;
    struct al__kube_client *c;
    char err[512];
    if (al__kube_client_open(&w->k->creds, &c, err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: kubernetes: %s\n", err);
        return NULL;
    }
    struct al__kube_watch_ops ops = {watch_reset, watch_event, watch_problem, watch_stopping};
    struct al__kube_watch_config config = {0};
    struct al__kube_watch_stats stats = {0};
    al__kube_watch_run(c, w->path, &config, &ops, w, &stats);
    al__kube_client_close(c);
    return NULL;
}

/* A cache changed: allotd runs a pass soon. */
static void cache_changed(void *arg) {
    struct al__kube *k = arg;
    if (k->b->wake)
        k->b->wake(k->b->wake_arg);
}

/* An owner was read: pods waiting on it are read again at the next sync. */
static void owner_read(void *arg) {
    struct al__kube *k = arg;
    atomic_store(&k->owners_read, true);
    cache_changed(k);
}

/* ---- leader election ---- */

static void *lease_thread(void *arg) {
    struct al__kube *k = arg;
    struct al__kube_client *c;
    char err[512];
    if (al__kube_client_open(&k->creds, &c, err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: kubernetes: lease: %s\n", err);
        return NULL;
    }
    int64_t every_ms = (int64_t)k->lease.duration_s * 1000 / 4;
    pthread_mutex_lock(&k->stop_lock);
    while (!atomic_load(&k->stopping)) {
        pthread_mutex_unlock(&k->stop_lock);
        bool leader = false, was = atomic_load(&k->leader);
        if (al__kube_lease_try(c, &k->lease, &leader, err, sizeof(err)) < 0)
            fprintf(stderr, "allotd: kubernetes: lease %s/%s: %s\n", k->lease.namespace_,
                    k->lease.name, err);
        atomic_store(&k->leader, leader);
        if (leader != was) {
            fprintf(stderr, "allotd: kubernetes: %s the active replica (lease %s/%s)\n",
                    leader ? "now" : "no longer", k->lease.namespace_, k->lease.name);
            cache_changed(k);
        }
        struct timespec until = al__kube_deadline(every_ms);
        pthread_mutex_lock(&k->stop_lock);
        if (!atomic_load(&k->stopping))
            pthread_cond_timedwait(&k->stop_cond, &k->stop_lock, &until);
    }
    pthread_mutex_unlock(&k->stop_lock);
    atomic_store(&k->leader, false);
    if (al__kube_lease_release(c, &k->lease, err, sizeof(err)) < 0)
        fprintf(stderr, "allotd: kubernetes: lease: not released: %s\n", err);
    al__kube_client_close(c);
    return NULL;
}

bool al__kube_acting(struct al__kube *k) {
    return !k->lease.name[0] || (atomic_load(&k->leader) && al__kube_lease_held(&k->lease));
}

/* Whether this replica may act: it holds the lease (or elects no leader). */
static bool kube_acting(struct al__backend *b) {
    return al__kube_acting(b->data);
}

/* ---- open and close ---- */

struct webhook_options {
    const char *listen, *cert, *key;
    const char *library; /* liballot-cuda.so on the nodes, or NULL */
};

static int options_read(struct al__kube *k, const struct al__backend_option *opts, size_t n,
                        const char **kubeconfig, struct webhook_options *wo, char *err,
                        size_t size) {
    const char *lease_ns = NULL, *lease_name = "allot";
    long duration = 15;
    bool elect = true;
    *kubeconfig = NULL;
    snprintf(k->scheduler, sizeof(k->scheduler), "allot");
    snprintf(k->pool_label, sizeof(k->pool_label), "%s", AL__KUBE_POOL_LABEL);
    snprintf(k->reservation_namespace, sizeof(k->reservation_namespace), "allot-reservations");
    snprintf(k->reservation_image, sizeof(k->reservation_image), "allot/allotd:latest");
    for (size_t i = 0; i < n; i++) {
        const char *name = opts[i].name, *v = opts[i].value ? opts[i].value : "";
        char *end;
        if (strcmp(name, "kubeconfig") == 0) {
            *kubeconfig = v;
        } else if (strcmp(name, "scheduler-name") == 0 && v[0] && strlen(v) < 254) {
            snprintf(k->scheduler, sizeof(k->scheduler), "%s", v);
        } else if (strcmp(name, "node-pool-label") == 0 && strlen(v) < 254) {
            snprintf(k->pool_label, sizeof(k->pool_label), "%s", v);
        } else if (strcmp(name, "leader-elect") == 0 &&
                   (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)) {
            elect = strcmp(v, "true") == 0;
        } else if (strcmp(name, "namespace-prefix") == 0 && strlen(v) < 32) {
            snprintf(k->namespace_prefix, sizeof(k->namespace_prefix), "%s", v);
        } else if (strcmp(name, "webhook-listen") == 0 && v[0]) {
            wo->listen = v;
        } else if (strcmp(name, "webhook-cert") == 0 && v[0]) {
            wo->cert = v;
        } else if (strcmp(name, "webhook-key") == 0 && v[0]) {
            wo->key = v;
        } else if (strcmp(name, "webhook-cuda-library") == 0) {
            if (al__kube_library_path_check(v, err, size) < 0)
                return -AL_EINVAL;
            wo->library = v;
        } else if (strcmp(name, "reservation-namespace") == 0 && v[0] && strlen(v) < 64) {
            snprintf(k->reservation_namespace, sizeof(k->reservation_namespace), "%s", v);
        } else if (strcmp(name, "reservation-image") == 0 && v[0] && strlen(v) < 254) {
            snprintf(k->reservation_image, sizeof(k->reservation_image), "%s", v);
        } else if (strcmp(name, "default-image") == 0 && strlen(v) < 254) {
            snprintf(k->default_image, sizeof(k->default_image), "%s", v);
        } else if (strcmp(name, "lease-namespace") == 0 && v[0] && strlen(v) < 64) {
            lease_ns = v;
        } else if (strcmp(name, "lease-name") == 0 && v[0] && strlen(v) < 254) {
            lease_name = v;
        } else if (strcmp(name, "lease-duration") == 0 && (duration = strtol(v, &end, 10)) >= 2 &&
                   duration <= 3600 && !*end && end != v) {
            continue;
        } else {
            snprintf(err, size,
                     "--%s: %s (the kubernetes backend's options: --kubeconfig FILE, "
                     "--scheduler-name NAME, --node-pool-label LABEL, --leader-elect true|false, "
                     "--lease-namespace NS, --lease-name NAME, --lease-duration SECONDS 2-3600)",
                     name,
                     strcmp(name, "kubeconfig") == 0 || strcmp(name, "scheduler-name") == 0 ||
                             strcmp(name, "node-pool-label") == 0 ||
                             strcmp(name, "leader-elect") == 0 || strncmp(name, "lease-", 6) == 0
                         ? "not a valid value"
                         : "unknown option");
            return -AL_EINVAL;
        }
    }
    if ((wo->listen || wo->cert || wo->key) && !(wo->listen && wo->cert && wo->key)) {
        snprintf(err, size, "--webhook-listen, --webhook-cert and --webhook-key go together");
        return -AL_EINVAL;
    }
    if (wo->library && !wo->listen) {
        snprintf(err, size,
                 "--webhook-cuda-library goes with --webhook-listen: the webhook hands the "
                 "library to pods");
        return -AL_EINVAL;
    }
    if (elect) {
        char host[128], identity[254];
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "allotd");
        host[sizeof(host) - 1] = '\0';
        snprintf(identity, sizeof(identity), "%s-%d", host, (int)getpid());
        al__kube_lease_init(&k->lease, lease_ns ? lease_ns : "allot-system", lease_name, identity,
                            (int32_t)duration);
    }
    return 0;
}

static void kube_close(struct al__backend *b) {
    struct al__kube *k = b->data;
    if (!k)
        return;
    pthread_mutex_lock(&k->stop_lock);
    atomic_store(&k->stopping, true);
    pthread_cond_broadcast(&k->stop_cond);
    pthread_mutex_unlock(&k->stop_lock);
    if (k->lease_started)
        pthread_join(k->lease_thread, NULL);
    for (int i = 0; i < AL__KUBE_KINDS; i++)
        if (k->watches[i].started)
            pthread_join(k->watches[i].thread, NULL);
    al__kube_writer_stop(k->writer);
    al__kube_writer_stop(k->notes);
    al__kube_owners_stop(k->owners);
    al__kube_webhook_stop(k->webhook);
    for (size_t i = 0; i < k->binder_count; i++)
        al__kube_client_close(k->binders[i]);
    free(k->binders);
    pthread_mutex_destroy(&k->binders_lock);
    for (int i = 0; i < AL__KUBE_KINDS; i++)
        al__kube_cache_free(k->watches[i].cache);
    al__kube_mirror_release(k);
    al__kube_credentials_release(&k->creds);
    pthread_mutex_destroy(&k->stop_lock);
    pthread_cond_destroy(&k->stop_cond);
    free(k);
    b->data = NULL;
}

/* Waits for every kind's first list; false (err: which kind) after SYNC_WAIT_S. */
static bool wait_synced(struct al__kube *k, char *err, size_t size) {
    for (int tenths = 0; tenths < SYNC_WAIT_S * 10; tenths++) {
        int missing = -1;
        for (int i = 0; i < AL__KUBE_KINDS && missing < 0; i++)
            if (!al__kube_cache_synced(k->watches[i].cache))
                missing = i;
        if (missing < 0)
            return true;
        if (tenths == SYNC_WAIT_S * 10 - 1) {
            snprintf(err, size,
                     "kubernetes: %s: could not list %s in %d s (see the messages above; are "
                     "deploy/crds applied and may allotd's account list them?)",
                     k->creds.server, kinds[missing].kind, SYNC_WAIT_S);
            return false;
        }
        struct timespec tenth = {0, 100 * 1000000L};
        nanosleep(&tenth, NULL);
    }
    return false;
}

/* What the workloads' "enforcement" says (docs/cuda.md), and once on stderr when it is off. */
static void enforcement_say(struct al__kube *k, const struct webhook_options *wo) {
    k->b->enforcement_opt_out = AL__KUBE_ENFORCE_ANNOT ": \"false\"";
    if (wo->library) {
        snprintf(k->cuda_library, sizeof(k->cuda_library), "%s", wo->library);
        k->b->cuda_library = k->cuda_library;
        return;
    }
    snprintf(k->enforcement_off, sizeof(k->enforcement_off), "no --webhook-%s",
             wo->listen ? "cuda-library" : "listen");
    k->b->enforcement_off = k->enforcement_off;
    fprintf(stderr,
            "allotd: GPU enforcement off: %s: pods holding a share of a GPU run without their "
            "limits enforced (serve the webhook with --webhook-cuda-library PATH, the path of "
            "liballot-cuda.so on every node; docs/cuda.md)\n",
            k->enforcement_off);
}

static int kube_open(struct al__backend *b, const char *dir, const struct al__backend_option *opts,
                     size_t opt_count, char *err, size_t size) {
    (void)dir;
    struct al__kube *k = al__xcalloc(1, sizeof(*k));
    const char *kubeconfig;
    struct webhook_options wo = {0};
    k->b = b;
    b->data = k;
    pthread_mutex_init(&k->stop_lock, NULL);
    pthread_cond_init(&k->stop_cond, NULL);
    pthread_mutex_init(&k->binders_lock, NULL);
    al__kube_mirror_init(k);
    int rc = options_read(k, opts, opt_count, &kubeconfig, &wo, err, size);
    if (rc == 0)
        rc = kubeconfig ? al__kube_config_load(kubeconfig, &k->creds, err, size)
                        : al__kube_config_in_cluster(NULL, &k->creds, err, size);
    if (rc == 0 &&
        (!(k->writer = al__kube_writer_start(&k->creds, &k->stopping, 4, err, size)) ||
         !(k->notes = al__kube_writer_start(&k->creds, &k->stopping, 1, err, size)) ||
         !(k->owners = al__kube_owners_start(&k->creds, &k->stopping, owner_read, k, err, size))))
        rc = -AL_EIO;
    if (rc == 0 && wo.listen &&
        !(k->webhook =
              al__kube_webhook_start(k, wo.listen, wo.cert, wo.key, wo.library, err, size)))
        rc = -AL_EINVAL;
    if (rc < 0) {
        kube_close(b);
        return rc;
    }
    al__kube_cache_watch_ops(&cache_ops);
    for (int i = 0; i < AL__KUBE_KINDS; i++) {
        struct al__kube_watch *w = &k->watches[i];
        *w = (struct al__kube_watch){.k = k, .path = kinds[i].path, .kind = kinds[i].kind};
        w->cache = al__kube_cache_new(cache_changed, k);
        if (i == AL__KUBE_TOPOLOGIES && !served(k, w->path)) {
            fprintf(stderr,
                    "allotd: kubernetes: no %s (KAI's Topology CRD is not installed): "
                    "workloads with a topology constraint stay pending\n",
                    w->kind);
            json_t *none = json_array();
            cache_ops.reset(w->cache, none); /* listed: none */
            json_decref(none);
            continue;
        }
        w->started = pthread_create(&w->thread, NULL, watch_thread, w) == 0;
    }
    if (!wait_synced(k, err, size)) {
        kube_close(b);
        return -AL_EIO;
    }
    pthread_mutex_lock(&k->lock);
    al__kube_inventory(k, &b->inventory);
    pthread_mutex_unlock(&k->lock);
    if (k->lease.name[0])
        k->lease_started = pthread_create(&k->lease_thread, NULL, lease_thread, k) == 0;
    enforcement_say(k, &wo);
    return 0;
}

/* ---- tasks: pods ---- */

static void kube_prepare(struct al__backend *b, struct al__task_key key) {
    (void)b, (void)key; /* a bind is made once: nothing an earlier run could leave */
}

static void event_write(struct al__kube *k, const char *ns, const char *name, const char *uid,
                        const char *reason, const char *type, const char *message) {
    char now[40], path[400], what[600];
    al__kube_time_format((int64_t)time(NULL), now, sizeof(now));
    json_t *event = json_pack(
        "{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:s, s:{s:s}, s:s, s:s, "
        "s:i, s:s, s:s}",
        "apiVersion", "v1", "kind", "Event", "metadata", "generateName", name, "namespace", ns,
        "involvedObject", "apiVersion", "v1", "kind", "Pod", "namespace", ns, "name", name, "uid",
        uid, "reason", reason, "type", type, "message", message, "source", "component", "allot",
        "firstTimestamp", now, "lastTimestamp", now, "count", 1, "reportingComponent", "allot",
        "reportingInstance", k->lease.identity[0] ? k->lease.identity : "allot");
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events", ns);
    snprintf(what, sizeof(what), "event %s for pod %s/%s", reason, ns, name);
    al__kube_write(k->notes, "POST", path, "application/json", event, what);
}

/* A client for one request: a free one, or a new one. NULL (err) when it cannot be made. */
struct al__kube_client *al__kube_binder_take(struct al__kube *k, char *err, size_t size) {
    struct al__kube_client *c = NULL;
    pthread_mutex_lock(&k->binders_lock);
    if (k->binder_count > 0)
        c = k->binders[--k->binder_count];
    pthread_mutex_unlock(&k->binders_lock);
    if (!c && al__kube_client_open(&k->creds, &c, err, size) < 0)
        return NULL;
    return c;
}

void al__kube_binder_give(struct al__kube *k, struct al__kube_client *c) {
    pthread_mutex_lock(&k->binders_lock);
    al__xgrow(&k->binders, &k->binder_cap, k->binder_count + 1, sizeof(*k->binders));
    k->binders[k->binder_count++] = c;
    pthread_mutex_unlock(&k->binders_lock);
}

static int kube_start(struct al__backend *b, const struct al__task_start *s,
                      char ref[AL__TASK_REF_MAX], char *err, size_t size) {
    struct al__kube *k = b->data;
    char ns[64], name[254], uid[64], path[600], devices[256] = "";
    if (!kube_acting(b)) {
        snprintf(err, size, "not bound: this allotd is not the active replica");
        return -AL_EIO;
    }
    if (!al__kube_task_pod(k, s->project, s->workload, s->key.index, ns, name, uid)) {
        snprintf(err, size, "its pod is gone");
        return -AL_ENOENT;
    }
    const char *node = b->inventory.nodes[s->node].name;
    size_t used = 0;
    for (size_t i = 0; i < s->gpu_count && used < sizeof(devices); i++)
        used += (size_t)snprintf(devices + used, sizeof(devices) - used, "%s%d", i ? "," : "",
                                 (int)s->gpus[i]);
    json_t *binding =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:{}}, s:{s:s, s:s, s:s}}", "apiVersion", "v1", "kind",
                  "Binding", "metadata", "name", name, "uid", uid, "annotations", "target",
                  "apiVersion", "v1", "kind", "Node", "name", node);
    json_t *notes = json_object_get(json_object_get(binding, "metadata"), "annotations");
    if (s->gpu_count > 0)
        json_object_set_new(notes, AL__KUBE_DEVICES_ANNOT, json_string(devices));
    if (al__enforce_shares(s)) {
        /* A share: the memory it may use on each device, for liballot-cuda.so in the pod
         * (ALLOT_GPU_MEMORY_LIMIT_MIB, from this annotation). Written by the binding itself, in
         * the update that gives the pod its node: the kubelet, which resolves the variable when
         * a container starts, never sees the pod bound without it. A dynamic fraction's pod
         * is capped at its request: pods have no device segment in common where bursts could
         * be settled (docs/cuda.md, "Dynamic fractions"), and a burst no one settles would eat
         * another pod's guaranteed memory. */
        struct al__enforce_env limits;
        char reservation[300];
        al__enforce_env_of(&b->inventory.nodes[s->node], s, NULL, &limits);
        json_object_set_new(notes, AL__KUBE_MEMORY_ANNOT,
                            json_string(limits.memory_request_mib[0] ? limits.memory_request_mib
                                                                     : limits.memory_limit_mib));
        size_t at =
            (size_t)snprintf(reservation, sizeof(reservation), "%s/", k->reservation_namespace);
        al__kube_reservation_name(node, s->gpus[0], reservation + at, sizeof(reservation) - at);
        json_object_set_new(notes, AL__KUBE_RESERVATION_LABEL, json_string(reservation));
    }
    char *body = json_dumps(binding, JSON_COMPACT);
    json_decref(binding);
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/binding", ns, name);
    long status = 0;
    json_t *answer = NULL;
    struct al__kube_client *client = al__kube_binder_take(k, err, size);
    int rc = client ? al__kube_request(client, "POST", path, "application/json", body, &status,
                                       &answer, err, size)
                    : -AL_EIO;
    if (client)
        al__kube_binder_give(k, client);
    free(body);
    if (rc == 0 && status >= 300 && status != 409) {
        snprintf(err, size, "binding pod %s/%s to %s: %ld %s", ns, name, node, status,
                 al__kube_status_message(answer));
        rc = status == 404 ? -AL_ENOENT : -AL_EIO;
    }
    json_decref(answer);
    if (rc < 0)
        return rc;
    /* Bound (or, on a 409, bound by someone else meanwhile: the watch says where). */
    snprintf(ref, AL__TASK_REF_MAX, "%s", uid);
    if (status < 300) {
        struct al__kube_assumed *a = al__xcalloc(1, sizeof(*a));
        snprintf(a->uid, sizeof(a->uid), "%s", uid);
        snprintf(a->node, sizeof(a->node), "%s", node);
        a->device_count = s->gpu_count < AL__KUBE_DEVICES_MAX ? s->gpu_count : AL__KUBE_DEVICES_MAX;
        memcpy(a->devices, s->gpus, a->device_count * sizeof(*a->devices));
        pthread_mutex_lock(&k->lock);
        struct al__kube_assumed *old = al__strmap_get(&k->assumed, uid);
        al__strmap_put(&k->assumed, a->uid, a);
        free(old);
        pthread_mutex_unlock(&k->lock);
        char message[1100];
        snprintf(message, sizeof(message), "Successfully assigned %s/%s to %s%s%s", ns, name, node,
                 s->gpu_count ? ", GPUs " : "", s->gpu_count ? devices : "");
        event_write(k, ns, name, uid, "Scheduled", "Normal", message);
    }
    return 0;
}

bool al__kube_pod_of(struct al__kube *k, const char *ref, char ns[64], char name[254]) {
    pthread_mutex_lock(&k->lock);
    const struct al__kube_pod_entry *e = al__strmap_get(&k->by_uid, ref);
    if (e) {
        snprintf(ns, 64, "%s", e->pod.namespace_);
        snprintf(name, 254, "%s", e->pod.name);
    }
    pthread_mutex_unlock(&k->lock);
    return e != NULL;
}

static int kube_stop(struct al__backend *b, const char *ref, enum al__stop_mode mode) {
    struct al__kube *k = b->data;
    char ns[64], name[254], path[600], what[400];
    if (!al__kube_pod_of(k, ref, ns, name))
        return -AL_ENOENT;
    if (mode == AL__STOP_NOW) /* the pod's own grace period rules on its node */
        return 0;
    pthread_mutex_lock(&k->lock);
    if (!al__strmap_get(&k->evicting, ref)) {
        char *copy = al__xstrdup(ref);
        al__strmap_put(&k->evicting, copy, copy);
    }
    pthread_mutex_unlock(&k->lock);
    json_t *eviction = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "policy/v1", "kind",
                                 "Eviction", "metadata", "name", name, "namespace", ns);
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/eviction", ns, name);
    snprintf(what, sizeof(what), "evicting pod %s/%s", ns, name);
    al__kube_write(k->writer, "POST", path, "application/json", eviction, what);
    event_write(
        k, ns, name, ref, "Evicted", "Normal",
        "Evicted by allot: its resources go to a workload the scheduling policy puts first");
    return 0;
}

static bool kube_refresh(struct al__backend *b) {
    (void)b;
    return false; /* ends come through sync */
}

static enum al__task_status kube_poll(struct al__backend *b, struct al__task_key key,
                                      const char *ref, int *exit_code) {
    struct al__kube *k = b->data;
    (void)key;
    char ns[64], name[254];
    *exit_code = -1;
    return ref[0] && al__kube_pod_of(k, ref, ns, name) ? AL__TASK_RUNNING : AL__TASK_LOST;
}

static int kube_find(struct al__backend *b, struct al__task_key key, char ref[AL__TASK_REF_MAX]) {
    (void)b, (void)key, (void)ref;
    return -AL_ENOENT; /* the next sync says where its pod is */
}

static void kube_forget(struct al__backend *b, struct al__task_key key) {
    (void)b, (void)key; /* the cluster keeps nothing of allotd's */
}

static void kube_describe(struct al__backend *b, const char *ref, char *out, size_t size) {
    char ns[64], name[254];
    if (al__kube_pod_of(b->data, ref, ns, name))
        snprintf(out, size, "pod %s/%s", ns, name);
    else
        snprintf(out, size, "pod %s (gone)", ref);
}

static void kube_task_json(struct al__backend *b, const char *ref, json_t *task) {
    char ns[64], name[254];
    if (al__kube_pod_of(b->data, ref, ns, name))
        json_object_set_new(
            task, "pod", json_pack("{s:s, s:s, s:s}", "namespace", ns, "name", name, "uid", ref));
}

/* Why a workload waits, on its PodGroup's status (KAI's schedulingConditions; none once it no
 * longer waits). */
static void group_reason(struct al__kube *k, const char *project, const char *workload,
                         const char *code, const char *text, const char *now) {
    char ns[64], name[254], pool[64], path[800], what[600];
    if (!al__kube_group_object(k, project, workload, ns, name, pool))
        return;
    json_t *conditions = json_array();
    if (text)
        json_array_append_new(conditions, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type",
                                                    "UnschedulableOnNodePool", "nodePool",
                                                    pool[0] ? pool : "default", "status", "True",
                                                    "reason", code ? code : "Unschedulable",
                                                    "message", text, "lastTransitionTime", now));
    json_t *patch = json_pack("{s:{s:o}}", "status", "schedulingConditions", conditions);
    if (text) /* it waits: pending, whatever its pods' counts were last written as */
        json_object_set_new(json_object_get(patch, "status"), "phase", json_string("Pending"));
    snprintf(path, sizeof(path),
             "/apis/scheduling.run.ai/v2alpha2/namespaces/%s/podgroups/%s/status", ns, name);
    snprintf(what, sizeof(what), "status of pod group %s/%s", ns, name);
    char latest[900];
    snprintf(latest, sizeof(latest), "conditions %s", path);
    al__kube_write_latest(k->notes, latest, "PATCH", path, "application/merge-patch+json", patch,
                          what);
}

/* Why a workload waits, as its pending pods' PodScheduled=False condition and its PodGroup's
 * status. */
static void kube_reason(struct al__backend *b, const char *project, const char *workload,
                        const char *code, const char *text) {
    struct al__kube *k = b->data;
    if (!kube_acting(b))
        return;
    char now[40], path[800], what[600];
    al__kube_time_format((int64_t)time(NULL), now, sizeof(now));
    group_reason(k, project, workload, code, text, now);
    json_t *pods = text ? al__kube_pending_pods(k, project, workload) : NULL, *ref;
    size_t i;
    json_array_foreach(pods, i, ref) {
        char ns[64], name[254];
        if (sscanf(json_string_value(ref), "%63[^/]/%253[^/]", ns, name) != 2)
            continue;
        json_t *patch = json_pack("{s:{s:[{s:s, s:s, s:s, s:s, s:s}]}}", "status", "conditions",
                                  "type", "PodScheduled", "status", "False", "reason",
                                  "Unschedulable", "message", text, "lastTransitionTime", now);
        snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/status", ns, name);
        snprintf(what, sizeof(what), "condition PodScheduled of pod %s/%s", ns, name);
        al__kube_write_latest(k->notes, path, "PATCH", path,
                              "application/strategic-merge-patch+json", patch, what);
    }
    json_decref(pods);
}

const struct al__backend_type al__kubernetes_backend = {
    .name = "kubernetes",
    .start_threads = 8,           /* binds wait on the API server: eight at once */
    .platform_time_limits = true, /* activeDeadlineSeconds: the kubelet's */
    .usage =
        "kubernetes backend: a cluster's nodes and pods, KAI Scheduler's Queues and PodGroups\n"
        "  --kubeconfig FILE       the cluster and credentials (default: the pod's service\n"
        "                          account, in-cluster)\n"
        "  --scheduler-name NAME   pods with this schedulerName are allot's (default allot;\n"
        "                          kai-scheduler's are taken too)\n"
        "  --node-pool-label LABEL the node label naming its pool (default\n"
        "                          kai.scheduler/node-pool)\n"
        "  --namespace-prefix P    a project's namespace is P + its name (default none)\n"
        "  --default-image IMAGE   the image of submitted workloads that name none\n"
        "  --reservation-namespace NS  where GPU reservation pods of shared devices are\n"
        "                          (default allot-reservations)\n"
        "  --reservation-image IMAGE   their image, with allot in it (default\n"
        "                          allot/allotd:latest)\n"
        "  --webhook-listen HOST:PORT, --webhook-cert FILE, --webhook-key FILE\n"
        "                          serve the admission webhook that gives pods sharing a GPU\n"
        "                          what allot gave them (HTTPS; docs/kubernetes.md)\n"
        "  --webhook-cuda-library PATH  liballot-cuda.so's absolute path on every node: the\n"
        "                          webhook runs pods sharing a GPU under it, with their limits\n"
        "                          (none: they run without; docs/cuda.md)\n"
        "  --leader-elect BOOL     one active replica by a Lease (default true)\n"
        "  --lease-namespace NS    where the Lease is (default allot-system)\n"
        "  --lease-name NAME       (default allot)\n"
        "  --lease-duration S      a leader that has not renewed for this long is replaced\n"
        "                          (default 15)\n",
    .open = kube_open,
    .close = kube_close,
    .prepare = kube_prepare,
    .start = kube_start,
    .stop = kube_stop,
    .refresh = kube_refresh,
    .poll = kube_poll,
    .find = kube_find,
    .forget = kube_forget,
    .log_read = al__kube_log_read,
    .describe = kube_describe,
    .task_json = kube_task_json,
    .sync = al__kube_sync,
    .reason = kube_reason,
    .acting = kube_acting,
    .queue_write = al__kube_queue_write,
    .queue_delete = al__kube_queue_delete,
    .submit = al__kube_submit,
    .workload_delete = al__kube_workload_delete,
};
