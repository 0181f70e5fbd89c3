/* parse_tasks.c - the snapshot's jobs[].tasks[]: state, node, GPU request, devices, affinity. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"
#include "snapshot/parse.h"

static const char *const task_keys[] = {
    "mig",
    "name",
    "state",
    "node",
    "gpus",
    "gpu_fraction",
    "gpu_memory_mib",
    "gpu_devices",
    "gpu_groups",
    "gpu_indices",
    "cpu_millis",
    "memory_bytes",
    "subgroup",
    "task_priority",
    "node_affinity",
    "gpu_fraction_limit",
    "gpu_memory_limit_mib",
    NULL,
};

size_t al__task_devices(const struct al_task *t) {
    if (t->gpus > 0)
        return (size_t)t->gpus;
    if (t->gpu_milli > 0 || t->gpu_memory_mib > 0)
        return (size_t)t->gpu_devices;
    return 0;
}

static int parse_state(struct al__parse *p, const struct al__json *obj, const char *path,
                       struct al_task *t) {
    const char *s;
    char spath[AL__PATH_SIZE];

    if (al__member_string(obj, path, "state", true, &s, p->err) < 0)
        return -AL_EINVAL;
    al__path_key(spath, path, "state");
    if (al_task_state_parse(s, &t->state) < 0)
        return al__fail(p->err, spath,
                        "unknown state \"%s\" (pending, running, bound, releasing, pipelined, "
                        "stuck_releasing, succeeded, failed)",
                        s);
    if (t->state == AL_TASK_ALLOCATED)
        return al__fail(p->err, spath, "\"allocated\" is an outcome, not an input state");
    return 0;
}

/* Active tasks need a node, pending ones must not have one; finished ones may. */
static int parse_node_ref(struct al__parse *p, const struct al__json *obj, const char *path,
                          struct al_task *t) {
    const char *name = NULL;
    char npath[AL__PATH_SIZE];
    int32_t node;

    if (al__member_string(obj, path, "node", false, &name, p->err) < 0)
        return -AL_EINVAL;
    al__path_key(npath, path, "node");
    if (!name) {
        if (al_task_is_active(t->state))
            return al__fail(p->err, npath, "required for a %s task", al_task_state_name(t->state));
        return 0;
    }
    if (t->state == AL_TASK_PENDING)
        return al__fail(p->err, npath, "a pending task has no node");
    node = al__names_find(&p->nodes, name);
    if (node < 0)
        return al__fail(p->err, npath, "unknown node \"%s\"", name);
    t->node = node; /* a finished task keeps the node it ran on, holding nothing there */
    return 0;
}

static int parse_fraction(struct al__parse *p, const struct al__json *obj, const char *path,
                          struct al_task *t) {
    const struct al__json *v = al__json_get(obj, "gpu_fraction");
    char fpath[AL__PATH_SIZE];
    double f = 0;

    if (!v)
        return 0;
    al__path_key(fpath, path, "gpu_fraction");
    if (al__read_number(v, fpath, &f, p->err) < 0)
        return -AL_EINVAL;
    if (!(f > 0.0 && f < 1.0))
        return al__fail(p->err, fpath, "must be between 0 and 1 (exclusive)");
    t->gpu_milli = (int32_t)lround(f * 1000.0);
    if (t->gpu_milli < 1 || t->gpu_milli > 999)
        return al__fail(p->err, fpath, "must round to 0.001 .. 0.999 of a GPU");
    return 0;
}

/* Dynamic fractions: a limit of the request's own kind, at least the request (docs/cuda.md). */
static int parse_gpu_limit(struct al__parse *p, const struct al__json *obj, const char *path,
                           struct al_task *t) {
    const struct al__json *fraction = al__json_get(obj, "gpu_fraction_limit");
    char lpath[AL__PATH_SIZE];
    double f = 0;

    if (al__member_int32(obj, path, "gpu_memory_limit_mib", false, 1, AL__MAX_GPU_MEMORY_MIB,
                         &t->gpu_memory_limit_mib, p->err) < 0)
        return -AL_EINVAL;
    if (fraction) {
        al__path_key(lpath, path, "gpu_fraction_limit");
        if (al__read_number(fraction, lpath, &f, p->err) < 0)
            return -AL_EINVAL;
        if (!(f > 0.0 && f <= 1.0))
            return al__fail(p->err, lpath, "must be above 0 and at most 1 (one device)");
        t->gpu_milli_limit = (int32_t)lround(f * 1000.0);
        if (t->gpu_milli == 0)
            return al__fail(p->err, lpath, "only for a task with gpu_fraction");
        if (t->gpu_milli_limit < t->gpu_milli)
            return al__fail(p->err, lpath, "must be at least gpu_fraction (%g)",
                            t->gpu_milli / 1000.0);
    }
    if (t->gpu_memory_limit_mib > 0) {
        al__path_key(lpath, path, "gpu_memory_limit_mib");
        if (t->gpu_memory_mib == 0)
            return al__fail(p->err, lpath, "only for a task with gpu_memory_mib");
        if (t->gpu_memory_limit_mib < t->gpu_memory_mib)
            return al__fail(p->err, lpath, "must be at least gpu_memory_mib (%d)",
                            (int)t->gpu_memory_mib);
    }
    return 0;
}

static int parse_gpu_request(struct al__parse *p, const struct al__json *obj, const char *path,
                             struct al_task *t) {
    char gpath[AL__PATH_SIZE];

    t->gpu_devices = 1;
    if (al__member_int32(obj, path, "gpus", false, 0, AL__MAX_GPUS, &t->gpus, p->err) < 0 ||
        parse_fraction(p, obj, path, t) < 0 ||
        al__member_int32(obj, path, "gpu_memory_mib", false, 0, AL__MAX_GPU_MEMORY_MIB,
                         &t->gpu_memory_mib, p->err) < 0 ||
        al__member_int32(obj, path, "gpu_devices", false, 1, AL__MAX_GPUS, &t->gpu_devices,
                         p->err) < 0)
        return -AL_EINVAL;
    if ((t->gpus > 0) + (t->gpu_milli > 0) + (t->gpu_memory_mib > 0) > 1) {
        al__path_key(gpath, path, t->gpu_memory_mib > 0 ? "gpu_memory_mib" : "gpu_fraction");
        return al__fail(p->err, gpath, "give only one of gpus, gpu_fraction and gpu_memory_mib");
    }
    return parse_gpu_limit(p, obj, path, t);
}

static int parse_gpu_groups(struct al__parse *p, const struct al__json *obj, const char *path,
                            const struct al_task *t, size_t index) {
    const struct al__json *groups, *v;
    char gpath[AL__PATH_SIZE], epath[AL__PATH_SIZE];
    size_t i;

    if (al__member_array(obj, path, "gpu_groups", false, &groups, p->err) < 0)
        return -AL_EINVAL;
    if (!groups)
        return 0;
    al__path_key(gpath, path, "gpu_groups");
    if (t->gpu_milli == 0 && t->gpu_memory_mib == 0)
        return al__fail(p->err, gpath, "only for tasks with gpu_fraction or gpu_memory_mib");
    if (!al_task_is_active(t->state))
        return al__fail(p->err, gpath, "only for tasks that hold devices (not %s)",
                        al_task_state_name(t->state));
    if (al__json_size(groups) != (size_t)t->gpu_devices)
        return al__fail(p->err, gpath, "must have %d labels (gpu_devices)", (int)t->gpu_devices);
    al__json_array_foreach(groups, i, v) {
        const char *label;
        al__path_index(epath, gpath, i);
        if (al__read_string(v, epath, false, &label, p->err) < 0)
            return -AL_EINVAL;
        for (size_t j = 0; j < i; j++)
            if (strcmp(al__json_string(al__json_at(groups, j)), label) == 0)
                return al__fail(p->err, epath, "label \"%s\" given twice", label);
    }
    p->task_groups[index] = groups;
    return 0;
}

/* Explicit devices (an allot extension): checked against the node's device count. */
static int read_gpu_indices(struct al__parse *p, const struct al__json *list, const char *gpath,
                            struct al_task *t) {
    int64_t max = (int64_t)p->cluster->nodes[t->node].gpu_count - 1;
    const struct al__json *v;
    char epath[AL__PATH_SIZE];
    size_t i;

    t->gpu_indices = calloc(al__json_size(list), sizeof(*t->gpu_indices));
    if (!t->gpu_indices)
        return al__fail_nomem(p->err, gpath);
    al__json_array_foreach(list, i, v) {
        int64_t d;
        al__path_index(epath, gpath, i);
        if (max < 0)
            return al__fail(p->err, epath, "node %s has no GPUs", p->cluster->nodes[t->node].name);
        if (al__read_int(v, epath, 0, max, &d, p->err) < 0)
            return -AL_EINVAL;
        for (size_t j = 0; j < i; j++)
            if (t->gpu_indices[j] == (int32_t)d)
                return al__fail(p->err, epath, "device %d given twice", (int)d);
        t->gpu_indices[i] = (int32_t)d;
        t->gpu_index_count = i + 1;
    }
    return 0;
}

static int parse_gpu_indices(struct al__parse *p, const struct al__json *obj, const char *path,
                             struct al_task *t, size_t index) {
    const struct al__json *list;
    char gpath[AL__PATH_SIZE];

    if (al__member_array(obj, path, "gpu_indices", false, &list, p->err) < 0)
        return -AL_EINVAL;
    if (!list)
        return 0;
    al__path_key(gpath, path, "gpu_indices");
    if (p->task_groups[index])
        return al__fail(p->err, gpath, "give either gpu_groups or gpu_indices");
    if (al__task_devices(t) == 0)
        return al__fail(p->err, gpath, "the task requests no GPU");
    if (!al_task_is_active(t->state))
        return al__fail(p->err, gpath, "only for tasks that hold devices (not %s)",
                        al_task_state_name(t->state));
    if (al__json_size(list) != al__task_devices(t))
        return al__fail(p->err, gpath, "must list %zu devices", al__task_devices(t));
    return read_gpu_indices(p, list, gpath, t);
}

static int parse_affinity_values(struct al__parse *p, const struct al__json *list,
                                 const char *apath, struct al_affinity *a) {
    const struct al__json *v;
    char epath[AL__PATH_SIZE];
    size_t i;

    if (al__want_array(list, apath, p->err) < 0)
        return -AL_EINVAL;
    if (al__json_size(list) == 0)
        return al__fail(p->err, apath, "must list at least one value");
    a->values = calloc(al__json_size(list), sizeof(*a->values));
    if (!a->values)
        return al__fail_nomem(p->err, apath);
    al__json_array_foreach(list, i, v) {
        const char *s;
        al__path_index(epath, apath, i);
        if (al__read_string(v, epath, false, &s, p->err) < 0)
            return -AL_EINVAL;
        a->value_count = i + 1;
        if (al__dup(&a->values[i], s, epath, p->err) < 0)
            return -AL_ENOMEM;
    }
    return 0;
}

static int parse_affinity(struct al__parse *p, const struct al__json *obj, const char *path,
                          struct al_task *t) {
    const struct al__json *aff;
    const char *key;
    const struct al__json *list;
    char base[AL__PATH_SIZE], apath[AL__PATH_SIZE];
    int rc;

    if (al__member_object(obj, path, "node_affinity", false, &aff, p->err) < 0)
        return -AL_EINVAL;
    if (!aff || al__json_size(aff) == 0)
        return 0;
    al__path_key(base, path, "node_affinity");
    t->affinity = calloc(al__json_size(aff), sizeof(*t->affinity));
    if (!t->affinity)
        return al__fail_nomem(p->err, base);
    al__json_object_foreach(aff, key, list) {
        struct al_affinity *a = &t->affinity[t->affinity_count++];
        al__path_key(apath, base, key);
        if ((rc = al__dup(&a->key, key, apath, p->err)) < 0 ||
            (rc = parse_affinity_values(p, list, apath, a)) < 0)
            return rc;
    }
    return 0;
}

static int parse_subgroup_ref(struct al__parse *p, const struct al__json *obj, const char *path,
                              struct al_task *t) {
    const struct al_job *job = &p->cluster->jobs[t->job];
    const char *name = NULL;
    char spath[AL__PATH_SIZE];

    if (al__member_string(obj, path, "subgroup", false, &name, p->err) < 0)
        return -AL_EINVAL;
    al__path_key(spath, path, "subgroup");
    if (job->subgroup_count == 0) {
        if (name)
            return al__fail(p->err, spath, "the job has no subgroups");
        return 0;
    }
    if (!name)
        return al__fail(p->err, spath, "required when the job has subgroups");
    t->subgroup = al__names_find(&p->subgroups, name);
    if (t->subgroup < 0)
        return al__fail(p->err, spath, "unknown subgroup \"%s\"", name);
    return 0;
}

/* mig: MIG instances by profile, alone (no other GPU request) and, on an active task, offered by
 * its node. */
static int parse_mig_request(struct al__parse *p, const struct al__json *obj, const char *path,
                             struct al_task *t) {
    char mpath[AL__PATH_SIZE];
    int rc = al__parse_migs(obj, path, &t->migs, &t->mig_count, p->err);
    if (rc < 0 || t->mig_count == 0)
        return rc;
    al__path_key(mpath, path, "mig");
    if (t->gpus > 0 || t->gpu_milli > 0 || t->gpu_memory_mib > 0)
        return al__fail(p->err, mpath, "a task asks MIG instances or GPUs, not both");
    if (!al_task_is_active(t->state) || t->node < 0)
        return 0;
    const struct al_node *node = &p->cluster->nodes[t->node];
    for (size_t i = 0; i < t->mig_count; i++) {
        size_t k = 0;
        while (k < node->mig_count && strcmp(node->migs[k].profile, t->migs[i].profile) != 0)
            k++;
        if (k == node->mig_count)
            return al__fail(p->err, mpath, "node \"%s\" offers no MIG instance of %s", node->name,
                            t->migs[i].profile);
    }
    return 0;
}

static int parse_fields(struct al__parse *p, const struct al__json *obj, const char *path,
                        struct al_task *t, size_t index) {
    const char *name;
    int rc;

    if (al__want_object(obj, path, p->err) < 0 ||
        al__check_keys(obj, path, task_keys, p->err) < 0 ||
        al__member_string(obj, path, "name", true, &name, p->err) < 0)
        return -AL_EINVAL;
    if (al__dup(&t->name, name, path, p->err) < 0)
        return -AL_ENOMEM;
    if (parse_state(p, obj, path, t) < 0 || parse_node_ref(p, obj, path, t) < 0 ||
        parse_gpu_request(p, obj, path, t) < 0 || parse_gpu_groups(p, obj, path, t, index) < 0)
        return -AL_EINVAL;
    if ((rc = parse_gpu_indices(p, obj, path, t, index)) < 0)
        return rc;
    if (al__member_int(obj, path, "cpu_millis", false, 0, AL__MAX_CPU_MILLIS, &t->cpu_millis,
                       p->err) < 0 ||
        al__member_int(obj, path, "memory_bytes", false, 0, AL__MAX_MEMORY_BYTES, &t->memory_bytes,
                       p->err) < 0 ||
        parse_subgroup_ref(p, obj, path, t) < 0)
        return -AL_EINVAL;
    return parse_mig_request(p, obj, path, t);
}

int al__parse_task(struct al__parse *p, const struct al__json *obj, int32_t job, size_t pos,
                   size_t index) {
    struct al_task *t = &p->cluster->tasks[index];
    char path[AL__PATH_SIZE];
    int rc;

    snprintf(path, sizeof(path), "jobs[%d].tasks[%zu]", (int)job, pos);
    if ((rc = parse_fields(p, obj, path, t, index)) < 0)
        return rc;
    if (al__json_get(obj, "task_priority")) {
        t->has_task_priority = true;
        if (al__member_int32(obj, path, "task_priority", false, -AL__MAX_PRIORITY, AL__MAX_PRIORITY,
                             &t->task_priority, p->err) < 0)
            return -AL_EINVAL;
    }
    return parse_affinity(p, obj, path, t);
}
