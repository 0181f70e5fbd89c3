/* topology_constraint.c - a workload's topology constraint as allot reads it from the cluster:
 * KAI's topology annotations of a group's top owner, and levels named by alias turned into
 * their node labels (see kube.h). */
#include <stdio.h>
#include <string.h>

#include "backends/kubernetes/kube.h"
#include "backends/kubernetes/owners.h"

void al__kube_level_label(struct al__kube *k, const char *name, char *level, size_t size) {
    json_t *o = name[0] && level[0]
                    ? al__kube_cache_get(k->watches[AL__KUBE_TOPOLOGIES].cache, name)
                    : NULL;
    json_t *levels = json_object_get(json_object_get(o, "spec"), "levels"), *l;
    size_t i;
    json_array_foreach(levels, i, l) {
        const char *alias = json_string_value(json_object_get(l, "alias"));
        const char *label = json_string_value(json_object_get(l, "nodeLabel"));
        if (alias && label && strcmp(alias, level) == 0) {
            snprintf(level, size, "%s", label);
            break;
        }
    }
    json_decref(o);
}

void al__kube_top_topology(struct al__kube *k, const struct al__kube_pod_entry *first,
                           struct al__kube_topology_constraint *t) {
    memset(t, 0, sizeof(*t));
    if (strcmp(first->top.kind, "Pod") == 0) {
        json_t *pod = al__kube_cache_get(k->watches[AL__KUBE_PODS].cache, first->key);
        al__kube_topology_annotations(json_object_get(pod, "metadata"), t);
        json_decref(pod);
    } else if (!k->owners || !al__kube_owners_topology(k->owners, first->top.uid, t)) {
        return;
    }
    if (!t->topology[0]) {
        memset(t, 0, sizeof(*t));
        return;
    }
    al__kube_level_label(k, t->topology, t->required, sizeof(t->required));
    al__kube_level_label(k, t->topology, t->preferred, sizeof(t->preferred));
}
