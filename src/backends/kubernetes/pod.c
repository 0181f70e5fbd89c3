/* pod.c - a Kubernetes Pod as allot sees it: who it is, where it is bound, its queue and pod
 * group (KAI's label and annotation), and what it requests as Kubernetes counts it, with KAI's
 * GPU-sharing annotations (see objects.h). */
#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/objects.h"
#include "backends/kubernetes/quantity.h"

#define GPUS_MAX 1024

enum { CPU, MEMORY, GPU, RESOURCES };

static const struct {
    const char *name;
    int scale;
} resources[RESOURCES] = {{"cpu", 3}, {"memory", 0}, {AL__KUBE_GPU_RESOURCE, 0}};

/* What one container requests (its limits where it gives no request, as the API server
 * defaults them). */
static int container_request(json_t *c, const char *what, const char *field, int64_t out[RESOURCES],
                             char *err, size_t size) {
    json_t *res = json_object_get(c, "resources");
    json_t *requests = json_object_get(res, "requests"), *limits = json_object_get(res, "limits");
    char path[96];
    for (int r = 0; r < RESOURCES; r++) {
        bool requested = json_object_get(requests, resources[r].name) != NULL;
        snprintf(path, sizeof(path), "%s.resources.%s", field, requested ? "requests" : "limits");
        int rc = al__kube_amount(requested ? requests : limits, resources[r].name,
                                 resources[r].scale, &out[r], what, path, err, size);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Adds n instances of `profile` to the pod's asks, kept sorted by profile; -1 when the name is
 * too long, the pod asks too many profiles, or too many of one. */
static int pod_mig_add(struct al__kube_pod *out, const char *profile, int64_t n) {
    size_t at = 0;
    if (strlen(profile) >= sizeof(out->migs[0].profile))
        return -1;
    while (at < out->mig_profiles && strcmp(out->migs[at].profile, profile) < 0)
        at++;
    if (at < out->mig_profiles && strcmp(out->migs[at].profile, profile) == 0) {
        if (n + out->migs[at].count > 4096)
            return -1;
        out->migs[at].count += (int32_t)n;
        return 0;
    }
    if (out->mig_profiles == AL__MIG_ASKS_MAX || n > 4096)
        return -1;
    memmove(&out->migs[at + 1], &out->migs[at], (out->mig_profiles - at) * sizeof(out->migs[0]));
    memset(&out->migs[at], 0, sizeof(out->migs[at]));
    snprintf(out->migs[at].profile, sizeof(out->migs[at].profile), "%s", profile);
    out->migs[at].count = (int32_t)n;
    out->mig_profiles++;
    return 0;
}

/* The MIG instances its containers ask (requests, else limits: extended resources have equal
 * ones), by profile. */
static int pod_migs(json_t *spec, struct al__kube_pod *out, const char *what, char *err,
                    size_t size) {
    size_t i, prefix = strlen(AL__KUBE_MIG_PREFIX);
    json_t *c;
    json_array_foreach(json_object_get(spec, "containers"), i, c) {
        json_t *res = json_object_get(c, "resources");
        json_t *list = json_object_get(res, "requests");
        const char *key;
        json_t *v;
        if (!json_object_size(list))
            list = json_object_get(res, "limits");
        json_object_foreach(list, key, v) {
            int64_t n = 0;
            if (strncmp(key, AL__KUBE_MIG_PREFIX, prefix) != 0)
                continue;
            int rc =
                al__kube_amount(list, key, 0, &n, what, "spec.containers.resources", err, size);
            if (rc < 0)
                return rc;
            if (n <= 0)
                continue;
            if (pod_mig_add(out, key + prefix, n) < 0) {
                snprintf(err, size,
                         "%s: %s: allot takes MIG instances of at most %d profiles per pod, "
                         "4096 of each",
                         what, key, AL__MIG_ASKS_MAX);
                return -AL_EINVAL;
            }
        }
    }
    return 0;
}

/* The pod's request: regular containers and sidecars together, or the largest init container
 * with the sidecars started before it if more; then the pod's overhead. */
static int pod_request(json_t *spec, const char *what, int64_t total[RESOURCES], char *err,
                       size_t size) {
    int64_t sidecars[RESOURCES] = {0}, peak[RESOURCES] = {0}, one[RESOURCES];
    char field[64];
    size_t i;
    json_t *c;
    memset(total, 0, sizeof(int64_t) * RESOURCES);
    json_array_foreach(json_object_get(spec, "initContainers"), i, c) {
        snprintf(field, sizeof(field), "spec.initContainers[%zu]", i);
        int rc = container_request(c, what, field, one, err, size);
        if (rc < 0)
            return rc;
        const char *restart = json_string_value(json_object_get(c, "restartPolicy"));
        bool sidecar = restart && strcmp(restart, "Always") == 0;
        for (int r = 0; r < RESOURCES; r++) {
            if (sidecar)
                sidecars[r] += one[r];
            else if (one[r] + sidecars[r] > peak[r])
                peak[r] = one[r] + sidecars[r];
        }
    }
    json_array_foreach(json_object_get(spec, "containers"), i, c) {
        snprintf(field, sizeof(field), "spec.containers[%zu]", i);
        int rc = container_request(c, what, field, one, err, size);
        if (rc < 0)
            return rc;
        for (int r = 0; r < RESOURCES; r++)
            total[r] += one[r];
    }
    for (int r = 0; r < RESOURCES; r++) {
        total[r] += sidecars[r];
        if (peak[r] > total[r])
            total[r] = peak[r];
        int64_t overhead;
        int rc = al__kube_amount(json_object_get(spec, "overhead"), resources[r].name,
                                 resources[r].scale, &overhead, what, "spec.overhead", err, size);
        if (rc < 0)
            return rc;
        total[r] += overhead;
    }
    return 0;
}

/* An annotation holding a positive quantity (times 10^scale) below `below` (0: no bound). */
static int annotation(json_t *annotations, const char *key, int scale, int64_t below, int64_t *out,
                      const char *what, const char *meaning, char *err, size_t size) {
    char text[64], why[128];
    *out = 0;
    int rc = al__kube_text(annotations, key, text, sizeof(text), what, "metadata.annotations", err,
                           size);
    if (rc < 0 || !text[0])
        return rc;
    if (al__kube_quantity(text, scale, out, why, sizeof(why)) < 0 || *out <= 0 ||
        (below > 0 && *out >= below)) {
        snprintf(err, size, "%s: metadata.annotations[%s]: \"%s\" is not %s", what, key, text,
                 meaning);
        return -AL_EINVAL;
    }
    return 0;
}

/* Dynamic fractions (Run:ai's): gpu-fraction-limit beside gpu-fraction (at most 1), or
 * gpu-memory-limit beside gpu-memory (MiB), at least the request. */
static int gpu_sharing_limit(json_t *annotations, struct al__kube_pod *p, const char *what,
                             char *err, size_t size) {
    int64_t fraction, memory;
    int rc;
    if ((rc = annotation(annotations, AL__KUBE_GPU_FRACTION_LIMIT, 3, 1001, &fraction, what,
                         "a fraction of a GPU above 0, at most 1", err, size)) < 0 ||
        (rc = annotation(annotations, AL__KUBE_GPU_MEMORY_LIMIT, 0, (int64_t)1 << 31, &memory, what,
                         "a GPU memory amount in MiB", err, size)) < 0)
        return rc;
    const char *key = fraction ? AL__KUBE_GPU_FRACTION_LIMIT : AL__KUBE_GPU_MEMORY_LIMIT;
    const char *needs = fraction ? AL__KUBE_GPU_FRACTION : AL__KUBE_GPU_MEMORY;
    int64_t request = fraction ? p->gpu_milli : p->gpu_memory_mib;
    if (!fraction && !memory)
        return 0;
    if (fraction && memory) {
        snprintf(err, size, "%s: metadata.annotations: %s and %s together (one or the other)", what,
                 AL__KUBE_GPU_FRACTION_LIMIT, AL__KUBE_GPU_MEMORY_LIMIT);
        return -AL_EINVAL;
    }
    if (request == 0) {
        snprintf(err, size, "%s: metadata.annotations[%s]: without %s", what, key, needs);
        return -AL_EINVAL;
    }
    if ((fraction ? fraction : memory) < request) {
        snprintf(err, size, "%s: metadata.annotations[%s]: below %s", what, key, needs);
        return -AL_EINVAL;
    }
    p->gpu_milli_limit = (int32_t)fraction;
    p->gpu_memory_limit_mib = (int32_t)memory;
    return 0;
}

static int gpu_sharing(json_t *meta, struct al__kube_pod *p, const char *what, char *err,
                       size_t size) {
    json_t *annotations = json_object_get(meta, "annotations");
    int64_t fraction, memory, devices;
    int rc;
    if ((rc = annotation(annotations, AL__KUBE_GPU_FRACTION, 3, 1000, &fraction, what,
                         "a fraction of a GPU between 0 and 1", err, size)) < 0 ||
        (rc = annotation(annotations, AL__KUBE_GPU_MEMORY, 0, (int64_t)1 << 31, &memory, what,
                         "a GPU memory amount in MiB", err, size)) < 0 ||
        (rc = annotation(annotations, AL__KUBE_GPU_FRACTION_DEVS, 0, GPUS_MAX + 1, &devices, what,
                         "a number of devices", err, size)) < 0)
        return rc;
    if (fraction && memory) {
        snprintf(err, size, "%s: metadata.annotations: %s and %s together (one or the other)", what,
                 AL__KUBE_GPU_FRACTION, AL__KUBE_GPU_MEMORY);
        return -AL_EINVAL;
    }
    if ((fraction || memory) && p->gpus) {
        snprintf(err, size, "%s: a GPU share (%s) and whole GPUs (%s) together", what,
                 fraction ? AL__KUBE_GPU_FRACTION : AL__KUBE_GPU_MEMORY, AL__KUBE_GPU_RESOURCE);
        return -AL_EINVAL;
    }
    if (devices && !fraction && !memory) {
        snprintf(err, size, "%s: metadata.annotations[%s]: without %s or %s", what,
                 AL__KUBE_GPU_FRACTION_DEVS, AL__KUBE_GPU_FRACTION, AL__KUBE_GPU_MEMORY);
        return -AL_EINVAL;
    }
    p->gpu_milli = (int32_t)fraction;
    p->gpu_memory_mib = (int32_t)memory;
    p->gpu_devices = devices ? (int32_t)devices : 1;
    /* any other value: the webhook refused the pod */
    const char *enforce = json_string_value(json_object_get(annotations, AL__KUBE_ENFORCE_ANNOT));
    p->no_enforce = (fraction || memory) && enforce && strcmp(enforce, "false") == 0;
    return gpu_sharing_limit(annotations, p, what, err, size);
}

/* The GPU groups of a shared pod: the runai-gpu-group label, or one runai-gpu-group/... label
 * per device (their values, in label order). */
/* The kai.scheduler/preemptibility label, when there. */
static int preemptibility_label(json_t *labels, struct al__kube_pod *p, const char *what, char *err,
                                size_t size) {
    char text[32];
    int rc = al__kube_text(labels, AL__KUBE_PREEMPTIBILITY_LABEL, text, sizeof(text), what,
                           "metadata.labels[" AL__KUBE_PREEMPTIBILITY_LABEL "]", err, size);
    if (rc < 0)
        return rc;
    if (al__kube_preemptibility_parse(text, &p->preemptibility) < 0) {
        snprintf(err, size,
                 "%s: metadata.labels[" AL__KUBE_PREEMPTIBILITY_LABEL
                 "]: \"%s\" is not preemptible, non-preemptible or semi-preemptible",
                 what, text);
        return -AL_EINVAL;
    }
    return 0;
}

static int gpu_groups(json_t *labels, struct al__kube_pod *p, const char *what, char *err,
                      size_t size) {
    const char *key;
    json_t *value;
    size_t prefix = strlen(AL__KUBE_GPU_GROUP_LABEL);
    json_object_foreach(labels, key, value) {
        if (strncmp(key, AL__KUBE_GPU_GROUP_LABEL, prefix) != 0 ||
            (key[prefix] != '\0' && key[prefix] != '/'))
            continue;
        if (p->gpu_group_count == AL__KUBE_GPU_GROUPS_MAX) {
            snprintf(err, size, "%s: metadata.labels: more than %d GPU groups", what,
                     AL__KUBE_GPU_GROUPS_MAX);
            return -AL_EINVAL;
        }
        int rc =
            al__kube_text(labels, key, p->gpu_groups[p->gpu_group_count], sizeof(p->gpu_groups[0]),
                          what, "metadata.labels (GPU group)", err, size);
        if (rc < 0)
            return rc;
        if (p->gpu_groups[p->gpu_group_count][0])
            p->gpu_group_count++;
    }
    return 0;
}

static enum al__kube_pod_phase phase_of(const char *phase) {
    static const char *const names[] = {"Pending", "Running", "Succeeded", "Failed"};
    for (int i = 0; i < 4; i++)
        if (phase && strcmp(phase, names[i]) == 0)
            return (enum al__kube_pod_phase)i;
    return AL__POD_UNKNOWN;
}

/* The owner reference marked controller. */
static int controller_of(json_t *meta, struct al__kube_pod *p, const char *what, char *err,
                         size_t size) {
    size_t i;
    json_t *ref, *refs = json_object_get(meta, "ownerReferences");
    if (refs && !json_is_array(refs)) {
        snprintf(err, size, "%s: metadata.ownerReferences: must be a list", what);
        return -AL_EINVAL;
    }
    json_array_foreach(refs, i, ref) {
        if (!json_is_true(json_object_get(ref, "controller")))
            continue;
        int rc;
        if ((rc = al__kube_text(ref, "apiVersion", p->owner_api_version,
                                sizeof(p->owner_api_version), what,
                                "metadata.ownerReferences[].apiVersion", err, size)) < 0 ||
            (rc = al__kube_text(ref, "kind", p->owner_kind, sizeof(p->owner_kind), what,
                                "metadata.ownerReferences[].kind", err, size)) < 0 ||
            (rc = al__kube_text(ref, "name", p->owner_name, sizeof(p->owner_name), what,
                                "metadata.ownerReferences[].name", err, size)) < 0 ||
            (rc = al__kube_text(ref, "uid", p->owner_uid, sizeof(p->owner_uid), what,
                                "metadata.ownerReferences[].uid", err, size)) < 0)
            return rc;
        break;
    }
    return 0;
}

int al__kube_pod_read(json_t *o, const char *pool_label, struct al__kube_pod *out, char *err,
                      size_t size) {
    json_t *meta = json_object_get(o, "metadata"), *spec = json_object_get(o, "spec");
    char what[400], phase[32];
    int64_t request[RESOURCES];
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = al__kube_identity(o, "pod", true, out->namespace_, sizeof(out->namespace_), out->name,
                                sizeof(out->name), what, sizeof(what), err, size)) < 0)
        return rc;
    json_t *labels = json_object_get(meta, "labels");
    if ((rc = al__kube_text(meta, "uid", out->uid, sizeof(out->uid), what, "metadata.uid", err,
                            size)) < 0 ||
        (rc = al__kube_text(spec, "schedulerName", out->scheduler, sizeof(out->scheduler), what,
                            "spec.schedulerName", err, size)) < 0 ||
        (rc = al__kube_text(spec, "nodeName", out->node, sizeof(out->node), what, "spec.nodeName",
                            err, size)) < 0 ||
        (rc = al__kube_text(spec, "priorityClassName", out->priority_class,
                            sizeof(out->priority_class), what, "spec.priorityClassName", err,
                            size)) < 0 ||
        (pool_label && (rc = al__kube_text(labels, pool_label, out->pool, sizeof(out->pool), what,
                                           "metadata.labels (pool)", err, size)) < 0) ||
        (rc = al__kube_text(labels, AL__KUBE_QUEUE_LABEL, out->queue, sizeof(out->queue), what,
                            "metadata.labels[" AL__KUBE_QUEUE_LABEL "]", err, size)) < 0 ||
        (rc = al__kube_text(labels, AL__KUBE_SUBGROUP_LABEL, out->subgroup, sizeof(out->subgroup),
                            what, "metadata.labels[" AL__KUBE_SUBGROUP_LABEL "]", err, size)) < 0 ||
        (rc = gpu_groups(labels, out, what, err, size)) < 0 ||
        (rc = preemptibility_label(labels, out, what, err, size)) < 0 ||
        (rc = al__kube_text(json_object_get(meta, "annotations"), AL__KUBE_POD_GROUP_ANNOT,
                            out->pod_group, sizeof(out->pod_group), what,
                            "metadata.annotations[" AL__KUBE_POD_GROUP_ANNOT "]", err, size)) < 0 ||
        (rc = al__kube_text(json_object_get(o, "status"), "phase", phase, sizeof(phase), what,
                            "status.phase", err, size)) < 0 ||
        (rc = controller_of(meta, out, what, err, size)) < 0)
        return rc;
    out->phase = phase[0] ? phase_of(phase) : AL__POD_PENDING;
    out->terminating = json_object_get(meta, "deletionTimestamp") &&
                       !json_is_null(json_object_get(meta, "deletionTimestamp"));
    json_t *priority = json_object_get(spec, "priority");
    if (priority && !json_is_null(priority)) {
        json_int_t v = json_integer_value(priority);
        if (!json_is_integer(priority) || v < INT32_MIN || v > INT32_MAX) {
            snprintf(err, size, "%s: spec.priority: must be a 32-bit integer", what);
            return -AL_EINVAL;
        }
        out->has_priority = true;
        out->priority = (int32_t)v;
    }
    json_t *deadline = json_object_get(spec, "activeDeadlineSeconds");
    if (deadline && !json_is_null(deadline)) {
        if (!json_is_integer(deadline) || json_integer_value(deadline) < 1) {
            snprintf(err, size, "%s: spec.activeDeadlineSeconds: must be an integer >= 1", what);
            return -AL_EINVAL;
        }
        out->active_deadline_s = (int64_t)json_integer_value(deadline);
    }
    if ((rc = pod_request(spec, what, request, err, size)) < 0)
        return rc;
    if (request[GPU] > GPUS_MAX) {
        snprintf(err, size, "%s: %lld %s, more than %d", what, (long long)request[GPU],
                 AL__KUBE_GPU_RESOURCE, GPUS_MAX);
        return -AL_EINVAL;
    }
    out->cpu_millis = request[CPU];
    out->memory_bytes = request[MEMORY];
    out->gpus = (int32_t)request[GPU];
    if ((rc = pod_migs(spec, out, what, err, size)) < 0)
        return rc;
    return gpu_sharing(meta, out, what, err, size);
}
