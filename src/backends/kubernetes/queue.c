/* queue.c - a KAI Queue (scheduling.run.ai/v2) in allot's terms (see objects.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "allot/model.h"
#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/objects.h"

#define QUEUE_AMOUNT_MAX 1e15 /* in KAI's units: beyond any cluster */

/* KAI's units per resource: devices -> milli-GPU, millicores, megabytes -> bytes. */
static const struct {
    const char *name;
    double scale;
} units[AL_RESOURCE_COUNT] = {{"gpu", 1000}, {"cpu", 1}, {"memory", 1e6}};

/* One of quota / limit / overQuotaWeight of a resource: a number, -1 meaning unlimited (not for
 * weights). */
static int amount(json_t *share, const char *key, double scale, bool weight, int64_t fallback,
                  int64_t *out, const char *what, const char *resource, char *err, size_t size) {
    json_t *v = json_object_get(share, key);
    *out = fallback;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v)) {
        snprintf(err, size, "%s: spec.resources.%s.%s: must be a number", what, resource, key);
        return -AL_EINVAL;
    }
    double x = json_number_value(v);
    if (!weight && x == -1) {
        *out = AL_UNLIMITED;
        return 0;
    }
    if (!isfinite(x) || x < 0 || x > QUEUE_AMOUNT_MAX) {
        snprintf(err, size, "%s: spec.resources.%s.%s: %g is not %s", what, resource, key, x,
                 weight ? "a weight of 0 or more" : "-1 (unlimited) or an amount of 0 or more");
        return -AL_EINVAL;
    }
    *out = (int64_t)ceil(x * scale - 1e-9); /* 0.1 GPU is 100 milli-GPUs */
    return 0;
}

static int runtime(json_t *spec, const char *key, bool *has, int64_t *seconds, const char *what,
                   char *err, size_t size) {
    char text[64], field[64];
    snprintf(field, sizeof(field), "spec.%s", key);
    int rc = al__kube_text(spec, key, text, sizeof(text), what, field, err, size);
    *has = rc == 0 && text[0];
    if (rc < 0 || !*has)
        return rc;
    return al__kube_duration(text, seconds, what, field, err, size);
}

int al__kube_queue_read(json_t *o, struct al__kube_queue *out, char *err, size_t size) {
    json_t *spec = json_object_get(o, "spec");
    char what[300];
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = al__kube_identity(o, "queue", false, NULL, 0, out->name, sizeof(out->name), what,
                                sizeof(what), err, size)) < 0)
        return rc;
    if (spec && !json_is_object(spec)) {
        snprintf(err, size, "%s: spec: must be an object", what);
        return -AL_EINVAL;
    }
    if ((rc = al__kube_text(spec, "parentQueue", out->parent, sizeof(out->parent), what,
                            "spec.parentQueue", err, size)) < 0 ||
        (rc = al__kube_text(spec, "displayName", out->display_name, sizeof(out->display_name), what,
                            "spec.displayName", err, size)) < 0)
        return rc;
    if (strcmp(out->parent, out->name) == 0) {
        snprintf(err, size, "%s: spec.parentQueue: the queue itself", what);
        return -AL_EINVAL;
    }
    const char *kind = json_string_value(json_object_get(
        json_object_get(json_object_get(o, "metadata"), "labels"), AL__KUBE_QUEUE_KIND_LABEL));
    out->kind = !kind                             ? AL__QUEUE_KIND_BY_PLACE
                : strcmp(kind, "department") == 0 ? AL__QUEUE_DEPARTMENT
                : strcmp(kind, "project") == 0    ? AL__QUEUE_PROJECT
                                                  : AL__QUEUE_KIND_BY_PLACE;
    json_t *priority = json_object_get(spec, "priority");
    out->priority = 100;
    if (priority && !json_is_null(priority)) {
        json_int_t p = json_integer_value(priority);
        if (!json_is_integer(priority) || p < -1000000 || p > 1000000) {
            snprintf(err, size, "%s: spec.priority: must be an integer of at most a million", what);
            return -AL_EINVAL;
        }
        out->priority = (int32_t)p;
    }
    json_t *resources = json_object_get(spec, "resources");
    if (resources && !json_is_object(resources)) {
        snprintf(err, size, "%s: spec.resources: must be an object", what);
        return -AL_EINVAL;
    }
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        json_t *share = json_object_get(resources, units[r].name);
        if (share && !json_is_object(share)) {
            snprintf(err, size, "%s: spec.resources.%s: must be an object", what, units[r].name);
            return -AL_EINVAL;
        }
        if ((rc = amount(share, "quota", units[r].scale, false, 0, &out->deserved[r], what,
                         units[r].name, err, size)) < 0 ||
            (rc = amount(share, "limit", units[r].scale, false, AL_UNLIMITED, &out->limit[r], what,
                         units[r].name, err, size)) < 0 ||
            (rc = amount(share, "overQuotaWeight", 1000, true, 1000, &out->weight[r], what,
                         units[r].name, err, size)) < 0)
            return rc;
        if (out->limit[r] != AL_UNLIMITED && out->deserved[r] != AL_UNLIMITED &&
            out->deserved[r] > out->limit[r]) {
            snprintf(err, size, "%s: spec.resources.%s: quota above limit", what, units[r].name);
            return -AL_EINVAL;
        }
    }
    if ((rc = runtime(spec, "preemptMinRuntime", &out->has_preempt_min_runtime,
                      &out->preempt_min_runtime_s, what, err, size)) < 0 ||
        (rc = runtime(spec, "reclaimMinRuntime", &out->has_reclaim_min_runtime,
                      &out->reclaim_min_runtime_s, what, err, size)) < 0)
        return rc;
    return 0;
}

static int64_t gcd(int64_t a, int64_t x) {
    while (x) {
        int64_t t = a % x;
        a = x;
        x = t;
    }
    return a;
}

void al__kube_queue_weights(const struct al__kube_queue *qs, size_t n, int64_t *divisor,
                            int64_t *largest) {
    *divisor = 0;
    *largest = 0;
    for (size_t i = 0; i < n; i++)
        for (int r = 0; r < 3; r++)
            *divisor = gcd(*divisor, qs[i].weight[r]);
    for (size_t i = 0; i < n; i++)
        for (int r = 0; r < 3; r++)
            if (*divisor && qs[i].weight[r] / *divisor > *largest)
                *largest = qs[i].weight[r] / *divisor;
}

int64_t al__kube_queue_weight(int64_t weight, int64_t divisor, int64_t largest) {
    int64_t w = divisor ? weight / divisor : 0;
    if (largest > 1000 && w)
        w = w * 1000 / largest > 0 ? w * 1000 / largest : 1;
    return w;
}
