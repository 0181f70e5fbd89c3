/* subgroups.c - a PodGroup's sub-groups as a mirrored workload's subgroups (kube.h): KAI's
 * sub-group trees flattened to their leaves, their topology constraints' levels as node labels,
 * and each pod's kai.scheduler/subgroup-name label as its task's subgroup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/kubernetes/kube.h"
#include "util/xalloc.h"

/* Whether sub-group i of g is some other sub-group's parent. */
static bool is_parent(const struct al__kube_pod_group *g, size_t i) {
    for (size_t k = 0; k < g->subgroup_count; k++)
        if (strcmp(g->subgroups[k].parent, g->subgroups[i].name) == 0)
            return true;
    return false;
}

static bool constrained(const struct al__kube_topology_constraint *t) {
    return t->required[0] || t->preferred[0];
}

/* The topology of the workload's constraints: the pod group's, or (when it names none) the one
 * its leaves' constraints name; they may name no other. */
static int leaves_topology(const struct al__kube_pod_group *g,
                           struct al__kube_topology_constraint *job, char *err, size_t size) {
    for (size_t i = 0; i < g->subgroup_count; i++) {
        const struct al__kube_topology_constraint *t = &g->subgroups[i].topology;
        if (is_parent(g, i) || !constrained(t) || !t->topology[0])
            continue;
        if (job->topology[0] && strcmp(t->topology, job->topology) != 0) {
            snprintf(err, size,
                     "spec.subGroups[%zu].topologyConstraint.topology: \"%s\" is not the topology "
                     "\"%s\" of the pod group or of its other sub-groups (allot places a job's "
                     "sub-groups in one topology)",
                     i, t->topology, job->topology);
            return -AL_EINVAL;
        }
        snprintf(job->topology, sizeof(job->topology), "%s", t->topology);
    }
    return 0;
}

/* A leaf's constraint of the workload's topology, levels as node labels; none where no
 * topology is named (KAI ignores a constraint that names none). */
static void leaf_levels(struct al__kube *k, const struct al__kube_topology_constraint *job,
                        struct al__kube_subgroup *leaf) {
    if (!job->topology[0]) {
        leaf->topology.required[0] = leaf->topology.preferred[0] = '\0';
        return;
    }
    snprintf(leaf->topology.topology, sizeof(leaf->topology.topology), "%s", job->topology);
    al__kube_level_label(k, job->topology, leaf->topology.required,
                         sizeof(leaf->topology.required));
    al__kube_level_label(k, job->topology, leaf->topology.preferred,
                         sizeof(leaf->topology.preferred));
}

int al__kube_leaves_read(struct al__kube *k, const struct al__kube_pod_group *g,
                         struct al__kube_topology_constraint *job, struct al__kube_leaves *out,
                         char *err, size_t size) {
    memset(out, 0, sizeof(*out));
    if (g->subgroup_count == 0)
        return 0;
    for (size_t i = 0; i < g->subgroup_count; i++)
        if (is_parent(g, i) && constrained(&g->subgroups[i].topology)) {
            snprintf(err, size,
                     "spec.subGroups[%zu].topologyConstraint: a constraint of a sub-group that has "
                     "sub-groups is not taken (allot flattens sub-group trees to their leaves): "
                     "put it on its leaves or on the pod group",
                     i);
            return -AL_EINVAL;
        }
    if (leaves_topology(g, job, err, size) < 0)
        return -AL_EINVAL;
    out->items = al__xcalloc(g->subgroup_count, sizeof(*out->items));
    for (size_t i = 0; i < g->subgroup_count; i++) {
        if (is_parent(g, i))
            continue;
        struct al__kube_subgroup *leaf = &out->items[out->count++];
        *leaf = g->subgroups[i];
        if (constrained(&leaf->topology))
            leaf_levels(k, job, leaf);
    }
    return 0;
}

int al__kube_leaves_apply(const struct al__kube_leaves *l, struct al__kube_pod_entry *const *pods,
                          struct al__mirror_task *tasks, struct al__mirror_workload *w,
                          struct al__mirror_subgroup **subs, char *err, size_t size) {
    *subs = NULL;
    if (l->count == 0)
        return 0;
    for (size_t i = 0; i < w->task_count; i++) {
        const struct al__kube_pod *p = &pods[i]->pod;
        tasks[i].subgroup = -1;
        for (size_t s = 0; s < l->count && tasks[i].subgroup < 0; s++)
            if (strcmp(l->items[s].name, p->subgroup) == 0)
                tasks[i].subgroup = (int32_t)s;
        if (tasks[i].subgroup < 0) {
            snprintf(err, size,
                     "pod %s/%s: its label " AL__KUBE_SUBGROUP_LABEL " \"%s\" names no sub-group "
                     "of its pod group without sub-groups of its own",
                     p->namespace_, p->name, p->subgroup);
            return -AL_EINVAL;
        }
    }
    *subs = al__xcalloc(l->count, sizeof(**subs));
    for (size_t s = 0; s < l->count; s++) {
        const struct al__kube_subgroup *leaf = &l->items[s];
        (*subs)[s] = (struct al__mirror_subgroup){
            leaf->name, leaf->min_members,
            leaf->topology.required[0] ? leaf->topology.required : NULL,
            leaf->topology.preferred[0] ? leaf->topology.preferred : NULL};
    }
    w->subgroups = *subs;
    w->subgroup_count = l->count;
    return 0;
}

void al__kube_leaves_release(struct al__kube_leaves *l) {
    free(l->items);
    l->items = NULL;
    l->count = 0;
}
