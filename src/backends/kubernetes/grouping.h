/* grouping.h - which job a pod belongs to: the PodGroup its pod-group-name annotation names, or
 * else the one of its top owner (following controller references up), which allot creates as
 * KAI Scheduler's pod grouper does; and the gang minimum such a group gets from its owner. */
#ifndef ALLOT_BACKENDS_KUBERNETES_GROUPING_H
#define ALLOT_BACKENDS_KUBERNETES_GROUPING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/kubernetes/objects.h"

struct al__kube_owner {
    char api_version[128]; /* "apps/v1" ("" where not known) */
    char kind[64];
    char name[254];
    char uid[64];
};

/* The controller of owner `of` (in namespace ns), as the caller knows it (its caches, or the
 * API server): true with *controller set, false when `of` has none (it is the top). */
typedef bool (*al__kube_owner_lookup)(void *arg, const char *ns, const struct al__kube_owner *of,
                                      struct al__kube_owner *controller);

struct al__kube_group_choice {
    char pod_group[254];       /* the PodGroup's name, in the pod's namespace */
    bool create;               /* no annotation named one: allot makes it, after `top` */
    struct al__kube_owner top; /* the top owner (the pod itself for a bare pod) */
};

/*
 * al__kube_group_of - the group of pod p. The name of a group allot creates is
 * "pg-NAME-UID" of the top owner (NAME cut so that the whole fits 253 characters), as KAI
 * names them. -AL_EINVAL with err when owners loop or nest deeper than 16.
 */
int al__kube_group_of(const struct al__kube_pod *p, al__kube_owner_lookup lookup, void *arg,
                      struct al__kube_group_choice *out, char *err, size_t size);

/*
 * al__kube_gang_size - the gang minimum of a group allot creates for top owner `owner` (its
 * object): every replica of a PyTorchJob or an MPIJob (they start together or not at all), the
 * head and the minimum of each worker group of a RayCluster, and 1 for the rest (a Job, a
 * Deployment's or StatefulSet's pods, a bare pod: each pod can run alone). At least 1.
 */
int32_t al__kube_gang_size(const char *kind, json_t *owner);

#endif
