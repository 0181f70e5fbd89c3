/* grouping.c - a pod's job: its annotated PodGroup, or its top owner's (see grouping.h). */
#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/kubernetes/grouping.h"

#define DEPTH_MAX 16

int al__kube_group_of(const struct al__kube_pod *p, al__kube_owner_lookup lookup, void *arg,
                      struct al__kube_group_choice *out, char *err, size_t size) {
    memset(out, 0, sizeof(*out));
    if (p->pod_group[0]) {
        snprintf(out->pod_group, sizeof(out->pod_group), "%s", p->pod_group);
        return 0;
    }
    struct al__kube_owner cur = {0};
    if (p->owner_kind[0]) {
        snprintf(cur.api_version, sizeof(cur.api_version), "%s", p->owner_api_version);
        snprintf(cur.kind, sizeof(cur.kind), "%s", p->owner_kind);
        snprintf(cur.name, sizeof(cur.name), "%s", p->owner_name);
        snprintf(cur.uid, sizeof(cur.uid), "%s", p->owner_uid);
        for (int depth = 0;; depth++) {
            struct al__kube_owner up;
            if (!lookup(arg, p->namespace_, &cur, &up))
                break;
            if (depth == DEPTH_MAX || strcmp(up.uid, p->owner_uid) == 0) {
                snprintf(err, size, "pod %s/%s: its owners loop or nest deeper than %d",
                         p->namespace_, p->name, DEPTH_MAX);
                return -AL_EINVAL;
            }
            cur = up;
        }
    } else { /* a bare pod is a group of its own */
        snprintf(cur.api_version, sizeof(cur.api_version), "v1");
        snprintf(cur.kind, sizeof(cur.kind), "Pod");
        snprintf(cur.name, sizeof(cur.name), "%s", p->name);
        snprintf(cur.uid, sizeof(cur.uid), "%s", p->uid);
    }
    /* "pg-" NAME "-" UID within 253 characters: the name gives way. */
    size_t room = 253 - 4 - strlen(cur.uid), len = strlen(cur.name);
    snprintf(out->pod_group, sizeof(out->pod_group), "pg-%.*s-%s", (int)(len < room ? len : room),
             cur.name, cur.uid);
    out->create = true;
    out->top = cur;
    return 0;
}

/* The replicas of every role in a {ROLE: {"replicas": N}} map (missing counts 1). */
static int64_t replicas_of(json_t *roles) {
    const char *role;
    json_t *spec;
    int64_t n = 0;
    json_object_foreach(roles, role, spec) {
        json_t *r = json_object_get(spec, "replicas");
        n += json_is_integer(r) && json_integer_value(r) >= 0 ? json_integer_value(r) : 1;
    }
    return n;
}

int32_t al__kube_gang_size(const char *kind, json_t *owner) {
    json_t *spec = json_object_get(owner, "spec");
    int64_t n = 1;
    if (strcmp(kind, "PyTorchJob") == 0)
        n = replicas_of(json_object_get(spec, "pytorchReplicaSpecs"));
    else if (strcmp(kind, "MPIJob") == 0)
        n = replicas_of(json_object_get(spec, "mpiReplicaSpecs"));
    else if (strcmp(kind, "RayCluster") == 0) {
        size_t i;
        json_t *group;
        n = 1; /* the head */
        json_array_foreach(json_object_get(spec, "workerGroupSpecs"), i, group) {
            json_t *min = json_object_get(group, "minReplicas");
            n += json_is_integer(min) && json_integer_value(min) > 0 ? json_integer_value(min) : 0;
        }
    }
    return n < 1 ? 1 : n > 100000 ? 100000 : (int32_t)n;
}
