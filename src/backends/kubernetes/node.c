/* node.c - a Kubernetes Node as an inventory node (see objects.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "allot/model.h"
#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/objects.h"
#include "backends/kubernetes/quantity.h"
#include "util/xalloc.h"

#define GPUS_MAX 1024 /* devices one node may declare */

static int read_labels(json_t *labels, struct al__node *n, const char *what, char *err,
                       size_t size) {
    const char *key;
    json_t *value;
    if (labels && !json_is_object(labels)) {
        snprintf(err, size, "%s: metadata.labels: must be an object", what);
        return -AL_EINVAL;
    }
    n->labels = al__xcalloc(json_object_size(labels) + 1, sizeof(*n->labels));
    json_object_foreach(labels, key, value) {
        if (!json_is_string(value)) {
            snprintf(err, size, "%s: metadata.labels[%s]: must be text", what, key);
            return -AL_EINVAL;
        }
        n->labels[n->label_count].key = al__xstrdup(key);
        n->labels[n->label_count++].value = al__xstrdup(json_string_value(value));
    }
    return 0;
}

/* Ready=True among status.conditions. */
static bool ready(json_t *status) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(status, "conditions"), i, c) {
        const char *type = json_string_value(json_object_get(c, "type"));
        const char *value = json_string_value(json_object_get(c, "status"));
        if (type && strcmp(type, "Ready") == 0)
            return value && strcmp(value, "True") == 0;
    }
    return false;
}

/* The MIG instances the node offers: its allocatable nvidia.com/mig-<profile> (the device
 * plugin's mixed strategy), profiles as the engine names them. */
static int read_migs(json_t *allocatable, struct al__node *out, const char *what, char *err,
                     size_t size) {
    const char *key;
    json_t *v;
    json_object_foreach(allocatable, key, v) {
        size_t prefix = strlen(AL__KUBE_MIG_PREFIX);
        if (strncmp(key, AL__KUBE_MIG_PREFIX, prefix) != 0)
            continue;
        const char *profile = key + prefix;
        int64_t count = 0;
        int rc =
            al__kube_amount(allocatable, key, 0, &count, what, "status.allocatable", err, size);
        if (rc < 0)
            return rc;
        if (count <= 0)
            continue;
        if (al_mig_profile_gpus(profile) < 0 || strlen(profile) >= sizeof(out->migs[0].profile) ||
            count > 4096 || out->mig_count == AL__NODE_MIGS_MAX) {
            snprintf(err, size,
                     "%s: status.allocatable[%s]: not a MIG profile allot takes (<G>g.<M>gb, at "
                     "most %d profiles, 4096 instances)",
                     what, key, AL__NODE_MIGS_MAX);
            return -AL_EINVAL;
        }
        struct al__node_mig *m = &out->migs[out->mig_count++];
        snprintf(m->profile, sizeof(m->profile), "%s", profile);
        m->count = (int32_t)count;
    }
    return 0;
}

static int read_node(json_t *o, const char *pool_label, struct al__node *out, bool *schedulable,
                     char *err, size_t size) {
    json_t *meta = json_object_get(o, "metadata"), *status = json_object_get(o, "status");
    json_t *labels = json_object_get(meta, "labels");
    json_t *allocatable = json_object_get(status, "allocatable");
    char what[AL__NODE_NAME_MAX + 16], product[64], memory[32];
    int64_t gpus = 0, memory_mib = 1;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = al__kube_identity(o, "node", false, NULL, 0, out->name, sizeof(out->name), what,
                                sizeof(what), err, size)) < 0)
        return rc;
    if (allocatable && !json_is_object(allocatable)) {
        snprintf(err, size, "%s: status.allocatable: must be an object", what);
        return -AL_EINVAL;
    }
    if ((rc = al__kube_amount(allocatable, "cpu", 3, &out->cpu_millis, what, "status.allocatable",
                              err, size)) < 0 ||
        (rc = al__kube_amount(allocatable, "memory", 0, &out->memory_bytes, what,
                              "status.allocatable", err, size)) < 0 ||
        (rc = al__kube_amount(allocatable, AL__KUBE_GPU_RESOURCE, 0, &gpus, what,
                              "status.allocatable", err, size)) < 0)
        return rc;
    if (gpus > GPUS_MAX) {
        snprintf(err, size, "%s: status.allocatable[%s]: %lld devices, more than %d", what,
                 AL__KUBE_GPU_RESOURCE, (long long)gpus, GPUS_MAX);
        return -AL_EINVAL;
    }
    if ((rc = read_labels(labels, out, what, err, size)) < 0 ||
        (rc = read_migs(allocatable, out, what, err, size)) < 0)
        return rc;
    if ((rc = al__kube_text(labels, AL__KUBE_GPU_PRODUCT_LABEL, product, sizeof(product), what,
                            "metadata.labels[" AL__KUBE_GPU_PRODUCT_LABEL "]", err, size)) < 0 ||
        (rc = al__kube_text(labels, AL__KUBE_GPU_MEMORY_LABEL, memory, sizeof(memory), what,
                            "metadata.labels[" AL__KUBE_GPU_MEMORY_LABEL "]", err, size)) < 0)
        return rc;
    if (memory[0]) {
        char why[128];
        if (al__kube_quantity(memory, 0, &memory_mib, why, sizeof(why)) < 0 || memory_mib < 1 ||
            memory_mib > INT32_MAX) {
            snprintf(err, size, "%s: metadata.labels[%s]: \"%s\" is not a device's memory in MiB",
                     what, AL__KUBE_GPU_MEMORY_LABEL, memory);
            return -AL_EINVAL;
        }
    }
    if (pool_label && (rc = al__kube_text(labels, pool_label, out->pool, sizeof(out->pool), what,
                                          "metadata.labels (pool)", err, size)) < 0)
        return rc;
    out->gpus = al__xcalloc((size_t)gpus + 1, sizeof(*out->gpus));
    for (int64_t g = 0; g < gpus; g++) {
        out->gpus[g].memory_mib = (int32_t)memory_mib;
        snprintf(out->gpus[g].model, sizeof(out->gpus[g].model), "%s", product);
    }
    out->gpu_count = (size_t)gpus;
    json_t *unschedulable = json_object_get(json_object_get(o, "spec"), "unschedulable");
    *schedulable = !json_is_true(unschedulable) && ready(status);
    return 0;
}

void al__kube_node_release(struct al__node *n) {
    for (size_t l = 0; l < n->label_count; l++) {
        free(n->labels[l].key);
        free(n->labels[l].value);
    }
    free(n->labels);
    free(n->gpus);
    memset(n, 0, sizeof(*n));
}

int al__kube_node_read(json_t *o, const char *pool_label, struct al__node *out, bool *schedulable,
                       char *err, size_t size) {
    int rc = read_node(o, pool_label, out, schedulable, err, size);
    if (rc < 0)
        al__kube_node_release(out);
    return rc;
}
