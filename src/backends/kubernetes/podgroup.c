/* podgroup.c - a KAI PodGroup (scheduling.run.ai/v2alpha2), the job a set of pods forms, and the
 * PriorityClasses pod groups name (see objects.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/objects.h"
#include "util/xalloc.h"

#define SUBGROUPS_MAX 1024
#define MEMBERS_MAX   100000

/* A gang minimum: an integer in [least, MEMBERS_MAX], `fallback` when absent. */
static int members(json_t *parent, const char *key, int32_t least, int32_t fallback, int32_t *out,
                   const char *what, const char *field, char *err, size_t size) {
    json_t *v = json_object_get(parent, key);
    *out = fallback;
    if (!v || json_is_null(v))
        return 0;
    json_int_t n = json_integer_value(v);
    if (!json_is_integer(v) || n < least || n > MEMBERS_MAX) {
        snprintf(err, size, "%s: %s: must be an integer from %d to %d", what, field, (int)least,
                 MEMBERS_MAX);
        return -AL_EINVAL;
    }
    *out = (int32_t)n;
    return 0;
}

/* A topologyConstraint (KAI's field names) of spec or a sub-group (field: its path). */
static int read_topology(json_t *spec, const char *path, struct al__kube_topology_constraint *t,
                         const char *what, char *err, size_t size) {
    json_t *c = json_object_get(spec, "topologyConstraint");
    char f[3][160];
    int rc;
    if (!c || json_is_null(c))
        return 0;
    if (!json_is_object(c)) {
        snprintf(err, size, "%s: %s.topologyConstraint: must be an object", what, path);
        return -AL_EINVAL;
    }
    snprintf(f[0], sizeof(f[0]), "%s.topologyConstraint.topology", path);
    snprintf(f[1], sizeof(f[1]), "%s.topologyConstraint.requiredTopologyLevel", path);
    snprintf(f[2], sizeof(f[2]), "%s.topologyConstraint.preferredTopologyLevel", path);
    if ((rc = al__kube_text(c, "topology", t->topology, sizeof(t->topology), what, f[0], err,
                            size)) < 0 ||
        (rc = al__kube_text(c, "requiredTopologyLevel", t->required, sizeof(t->required), what,
                            f[1], err, size)) < 0 ||
        (rc = al__kube_text(c, "preferredTopologyLevel", t->preferred, sizeof(t->preferred), what,
                            f[2], err, size)) < 0)
        return rc;
    return 0;
}

static int read_subgroups(json_t *spec, struct al__kube_pod_group *g, const char *what, char *err,
                          size_t size) {
    json_t *list = json_object_get(spec, "subGroups"), *item;
    char field[96];
    size_t i;
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list) || json_array_size(list) > SUBGROUPS_MAX) {
        snprintf(err, size, "%s: spec.subGroups: must be a list of at most %d", what,
                 SUBGROUPS_MAX);
        return -AL_EINVAL;
    }
    g->subgroups = al__xcalloc(json_array_size(list) + 1, sizeof(*g->subgroups));
    json_array_foreach(list, i, item) {
        struct al__kube_subgroup *s = &g->subgroups[g->subgroup_count];
        int rc;
        snprintf(field, sizeof(field), "spec.subGroups[%zu].name", i);
        if ((rc = al__kube_text(item, "name", s->name, sizeof(s->name), what, field, err, size)) <
            0)
            return rc;
        if (!s->name[0]) {
            snprintf(err, size, "%s: %s: missing", what, field);
            return -AL_EINVAL;
        }
        for (size_t k = 0; k < g->subgroup_count; k++)
            if (strcmp(g->subgroups[k].name, s->name) == 0) {
                snprintf(err, size, "%s: %s: \"%s\" twice", what, field, s->name);
                return -AL_EINVAL;
            }
        snprintf(field, sizeof(field), "spec.subGroups[%zu].parent", i);
        if ((rc = al__kube_text(item, "parent", s->parent, sizeof(s->parent), what, field, err,
                                size)) < 0)
            return rc;
        snprintf(field, sizeof(field), "spec.subGroups[%zu].minMember", i);
        if ((rc = members(item, "minMember", 0, 0, &s->min_members, what, field, err, size)) < 0)
            return rc;
        snprintf(field, sizeof(field), "spec.subGroups[%zu]", i);
        if ((rc = read_topology(item, field, &s->topology, what, err, size)) < 0)
            return rc;
        g->subgroup_count++;
    }
    for (size_t k = 0; k < g->subgroup_count; k++) { /* parents name sub-groups of this group */
        const char *parent = g->subgroups[k].parent;
        bool found = !parent[0];
        for (size_t m = 0; m < g->subgroup_count && !found; m++)
            found = m != k && strcmp(g->subgroups[m].name, parent) == 0;
        if (!found) {
            snprintf(err, size, "%s: spec.subGroups[%zu].parent: no sub-group named \"%s\"", what,
                     k, parent);
            return -AL_EINVAL;
        }
    }
    return 0;
}

void al__kube_topology_annotations(json_t *meta, struct al__kube_topology_constraint *t) {
    json_t *notes = json_object_get(meta, "annotations");
    const char *v[3] = {
        json_string_value(json_object_get(notes, "kai.scheduler/topology")),
        json_string_value(json_object_get(notes, "kai.scheduler/topology-required-placement")),
        json_string_value(json_object_get(notes, "kai.scheduler/topology-preferred-placement"))};
    snprintf(t->topology, sizeof(t->topology), "%s", v[0] ? v[0] : "");
    snprintf(t->required, sizeof(t->required), "%s", v[1] ? v[1] : "");
    snprintf(t->preferred, sizeof(t->preferred), "%s", v[2] ? v[2] : "");
}

static int read_group(json_t *o, const char *pool_label, struct al__kube_pod_group *g, char *err,
                      size_t size) {
    json_t *meta = json_object_get(o, "metadata"), *spec = json_object_get(o, "spec");
    char what[400], preemptibility[32];
    int rc;
    if ((rc = al__kube_identity(o, "pod group", true, g->namespace_, sizeof(g->namespace_), g->name,
                                sizeof(g->name), what, sizeof(what), err, size)) < 0)
        return rc;
    if ((rc = al__kube_text(meta, "uid", g->uid, sizeof(g->uid), what, "metadata.uid", err, size)) <
            0 ||
        (rc = al__kube_text(spec, "queue", g->queue, sizeof(g->queue), what, "spec.queue", err,
                            size)) < 0 ||
        (rc = al__kube_text(spec, "priorityClassName", g->priority_class, sizeof(g->priority_class),
                            what, "spec.priorityClassName", err, size)) < 0 ||
        (rc = al__kube_text(spec, "preemptibility", preemptibility, sizeof(preemptibility), what,
                            "spec.preemptibility", err, size)) < 0 ||
        (rc = members(spec, "minMember", 1, 1, &g->min_members, what, "spec.minMember", err,
                      size)) < 0 ||
        (pool_label &&
         (rc = al__kube_text(json_object_get(meta, "labels"), pool_label, g->pool, sizeof(g->pool),
                             what, "metadata.labels (pool)", err, size)) < 0))
        return rc;
    if (al__kube_preemptibility_parse(preemptibility, &g->preemptibility) < 0) {
        snprintf(err, size,
                 "%s: spec.preemptibility: \"%s\" is not preemptible, non-preemptible or "
                 "semi-preemptible",
                 what, preemptibility);
        return -AL_EINVAL;
    }
    if ((rc = read_topology(spec, "spec", &g->topology, what, err, size)) < 0)
        return rc;
    return read_subgroups(spec, g, what, err, size);
}

int al__kube_pod_group_read(json_t *o, const char *pool_label, struct al__kube_pod_group *out,
                            char *err, size_t size) {
    memset(out, 0, sizeof(*out));
    int rc = read_group(o, pool_label, out, err, size);
    if (rc < 0)
        al__kube_pod_group_release(out);
    return rc;
}

void al__kube_pod_group_release(struct al__kube_pod_group *g) {
    free(g->subgroups);
    g->subgroups = NULL;
    g->subgroup_count = 0;
}

int al__kube_priority_class_read(json_t *o, char *name, size_t name_size, int32_t *value, char *err,
                                 size_t size) {
    json_t *v = json_object_get(o, "value");
    int rc = al__kube_text(json_object_get(o, "metadata"), "name", name, name_size,
                           "priority class", "metadata.name", err, size);
    if (rc < 0)
        return rc;
    json_int_t n = json_integer_value(v);
    if (!name[0] || !json_is_integer(v) || n < INT32_MIN || n > INT32_MAX) {
        snprintf(err, size, "priority class %s: metadata.name and a 32-bit value: both needed",
                 name);
        return -AL_EINVAL;
    }
    *value = (int32_t)n;
    return 0;
}

bool al__kube_priority_class_never(json_t *o) {
    const char *policy = json_string_value(json_object_get(o, "preemptionPolicy"));
    return policy && strcmp(policy, "Never") == 0;
}

int32_t al__kube_priority(json_t *classes, const char *cls, bool has_priority, int32_t priority) {
    if (!cls[0])
        return AL__KUBE_DEFAULT_PRIORITY;
    json_t *value = json_object_get(classes, cls);
    return value          ? (int32_t)json_integer_value(value)
           : has_priority ? priority
                          : AL__KUBE_DEFAULT_PRIORITY;
}

int al__kube_preemptibility_parse(const char *text, int *out) {
    static const char *const names[] = {"", "preemptible", "non-preemptible", "semi-preemptible"};
    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
        if (strcmp(text, names[i]) == 0) {
            *out = i; /* the enum's order */
            return 0;
        }
    return -AL_EINVAL;
}

bool al__kube_preemptible(int preemptibility, int32_t priority) {
    return preemptibility == AL__PREEMPTIBILITY_BY_PRIORITY ? priority < 100
                                                            : preemptibility == AL__PREEMPTIBLE;
}
