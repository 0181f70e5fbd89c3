/* parse_nodes.c - the snapshot's nodes[]: capacity, GPU devices, labels, pool. */
#include <stdio.h>
#include <stdlib.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"
#include "snapshot/parse.h"

static const char *const node_keys[] = {
    "name", "gpus",      "gpu_memory_mib", "cpu_millis",    "memory_bytes", "labels",
    "pool", "gpu_model", "devices",        "unschedulable", "mig",          NULL,
};

static int parse_labels(struct al__parse *p, const struct al__json *obj, const char *path,
                        struct al_node *node) {
    const struct al__json *labels;
    const char *key;
    const struct al__json *v;
    char lpath[AL__PATH_SIZE], vpath[AL__PATH_SIZE];
    size_t i = 0;

    if (al__member_object(obj, path, "labels", false, &labels, p->err) < 0)
        return -AL_EINVAL;
    if (!labels || al__json_size(labels) == 0)
        return 0;
    node->labels = calloc(al__json_size(labels), sizeof(*node->labels));
    if (!node->labels)
        return al__fail_nomem(p->err, path);
    al__path_key(lpath, path, "labels");
    al__json_object_foreach(labels, key, v) {
        const char *value;
        al__path_key(vpath, lpath, key);
        if (al__read_string(v, vpath, false, &value, p->err) < 0)
            return -AL_EINVAL;
        node->label_count = i + 1;
        if (al__dup(&node->labels[i].key, key, vpath, p->err) < 0 ||
            al__dup(&node->labels[i].value, value, vpath, p->err) < 0)
            return -AL_ENOMEM;
        i++;
    }
    return 0;
}

static const char *const device_keys[] = {"memory_mib", "model", NULL};

/* allot's extension: `devices`, one object per device, for nodes whose devices differ. */
static int parse_device_list(struct al__parse *p, const struct al__json *obj, const char *path,
                             const struct al__json *devices, struct al_node *node) {
    char dpath[AL__PATH_SIZE], ipath[AL__PATH_SIZE];
    size_t count = al__json_size(devices);

    al__path_key(dpath, path, "devices");
    if (al__json_get(obj, "gpus") || al__json_get(obj, "gpu_memory_mib") ||
        al__json_get(obj, "gpu_model"))
        return al__fail(p->err, dpath, "cannot be combined with gpus, gpu_memory_mib or gpu_model");
    if (count > AL__MAX_GPUS)
        return al__fail(p->err, dpath, "too many devices");
    if (count == 0)
        return 0;
    node->gpus = calloc(count, sizeof(*node->gpus));
    if (!node->gpus)
        return al__fail_nomem(p->err, path);
    node->gpu_count = count;
    for (size_t d = 0; d < count; d++) {
        const struct al__json *dev = al__json_at(devices, d);
        const char *model = NULL;
        int64_t memory = 0;
        al__path_index(ipath, dpath, d);
        if (al__want_object(dev, ipath, p->err) < 0 ||
            al__check_keys(dev, ipath, device_keys, p->err) < 0 ||
            al__member_int(dev, ipath, "memory_mib", true, 1, AL__MAX_GPU_MEMORY_MIB, &memory,
                           p->err) < 0 ||
            al__member_string(dev, ipath, "model", false, &model, p->err) < 0)
            return -AL_EINVAL;
        node->gpus[d].memory_mib = (int32_t)memory;
        if (model && al__dup(&node->gpus[d].model, model, ipath, p->err) < 0)
            return -AL_ENOMEM;
    }
    return 0;
}

/* The devices: `gpus` of them, each with gpu_memory_mib and gpu_model, or a `devices` list. */
static int parse_gpus(struct al__parse *p, const struct al__json *obj, const char *path,
                      struct al_node *node) {
    int64_t count = 0, memory = 100;
    const char *model = NULL;
    const struct al__json *devices;

    if (al__member_array(obj, path, "devices", false, &devices, p->err) < 0)
        return -AL_EINVAL;
    if (devices)
        return parse_device_list(p, obj, path, devices, node);
    if (al__member_int(obj, path, "gpus", false, 0, AL__MAX_GPUS, &count, p->err) < 0 ||
        al__member_int(obj, path, "gpu_memory_mib", false, 1, AL__MAX_GPU_MEMORY_MIB, &memory,
                       p->err) < 0 ||
        al__member_string(obj, path, "gpu_model", false, &model, p->err) < 0)
        return -AL_EINVAL;
    if (count == 0)
        return 0;
    node->gpus = calloc((size_t)count, sizeof(*node->gpus));
    if (!node->gpus)
        return al__fail_nomem(p->err, path);
    node->gpu_count = (size_t)count;
    for (size_t d = 0; d < node->gpu_count; d++) {
        node->gpus[d].memory_mib = (int32_t)memory;
        if (model && al__dup(&node->gpus[d].model, model, path, p->err) < 0)
            return -AL_ENOMEM;
    }
    return 0;
}

static int parse_node(struct al__parse *p, const struct al__json *obj, const char *path,
                      struct al_node *node) {
    const char *name, *pool = NULL;
    int rc;

    if (al__want_object(obj, path, p->err) < 0 ||
        al__check_keys(obj, path, node_keys, p->err) < 0 ||
        al__member_string(obj, path, "name", true, &name, p->err) < 0)
        return -AL_EINVAL;
    if (al__dup(&node->name, name, path, p->err) < 0)
        return -AL_ENOMEM;
    if (al__member_string(obj, path, "pool", false, &pool, p->err) < 0)
        return -AL_EINVAL;
    if (pool && al__dup(&node->pool, pool, path, p->err) < 0)
        return -AL_ENOMEM;
    if (al__member_bool(obj, path, "unschedulable", false, &node->unschedulable, p->err) < 0)
        return -AL_EINVAL;
    if (al__member_int(obj, path, "cpu_millis", false, 0, AL__MAX_CPU_MILLIS, &node->cpu_millis,
                       p->err) < 0 ||
        al__member_int(obj, path, "memory_bytes", false, 0, AL__MAX_MEMORY_BYTES,
                       &node->memory_bytes, p->err) < 0)
        return -AL_EINVAL;
    if ((rc = parse_gpus(p, obj, path, node)) < 0 ||
        (rc = al__parse_migs(obj, path, &node->migs, &node->mig_count, p->err)) < 0)
        return rc;
    return parse_labels(p, obj, path, node);
}

static int index_names(struct al__parse *p) {
    struct al_cluster *c = p->cluster;
    int32_t a, b;
    char path[AL__PATH_SIZE];
    int rc = al__names_init(&p->nodes, c->node_count);

    if (rc < 0)
        return al__fail_nomem(p->err, "nodes");
    for (size_t i = 0; i < c->node_count; i++)
        al__names_set(&p->nodes, i, c->nodes[i].name);
    if (al__names_sort(&p->nodes, &a, &b) < 0) {
        snprintf(path, sizeof(path), "nodes[%d].name", (int)b);
        return al__fail(p->err, path, "duplicate node name \"%s\" (also nodes[%d])",
                        c->nodes[b].name, (int)a);
    }
    return 0;
}

int al__parse_nodes(struct al__parse *p, const struct al__json *nodes) {
    struct al_cluster *c = p->cluster;
    const struct al__json *v;
    char path[AL__PATH_SIZE];
    size_t i;
    int rc;

    if (al__json_size(nodes) > AL__MAX_COUNT)
        return al__fail(p->err, "nodes", "too many nodes");
    if (al__json_size(nodes) > 0) {
        c->nodes = calloc(al__json_size(nodes), sizeof(*c->nodes));
        if (!c->nodes)
            return al__fail_nomem(p->err, "nodes");
        c->node_count = al__json_size(nodes);
    }
    al__json_array_foreach(nodes, i, v) {
        al__path_index(path, "nodes", i);
        if ((rc = parse_node(p, v, path, &c->nodes[i])) < 0)
            return rc;
    }
    return index_names(p);
}
