/* routes_nodes.c - /api/v1/nodes: the backend's nodes with their GPUs, CPU and memory, and what
 * is allocated on them; /api/v1/topologies: the topologies their labels describe. */
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/tasks.h"
#include "util/xalloc.h"

/* What the running and stopping tasks hold, per node and per device (one pass over the state). */
struct usage {
    size_t *first;                      /* per node: where its devices start */
    int64_t *device_milli;              /* per device */
    json_t **device_names;              /* per device: the workloads on it */
    int64_t *cpu_millis, *memory_bytes; /* per node */
    int64_t *mig_milli;                 /* per node: its MIG instances held, as GPUs */
    json_t **mig_used;                  /* per node: {profile: instances held} */
};

static void usage_add(struct usage *u, const struct allotd *d, const struct al__dworkload *w,
                      const struct al__dtask *t) {
    const struct al__node *node = al__task_node(d, t);
    if (!node || (t->state != AL__T_RUNNING && t->state != AL__T_STOPPING))
        return;
    struct al__task_request r = al__task_request_of(w, t->index);
    u->cpu_millis[t->node] += r.cpu_millis;
    u->memory_bytes[t->node] += r.memory_bytes;
    u->mig_milli[t->node] += r.mig_milli;
    for (int32_t m = 0; m < w->spec.mig_profiles; m++) {
        const struct al__mig_ask *a = &w->spec.migs[m];
        json_t *was = json_object_get(u->mig_used[t->node], a->profile);
        json_object_set_new(u->mig_used[t->node], a->profile,
                            json_integer(json_integer_value(was) + a->count));
    }
    for (size_t g = 0; g < t->gpu_count; g++) {
        int32_t dev = t->gpus[g];
        if (dev < 0 || (size_t)dev >= node->gpu_count)
            continue;
        size_t at = u->first[t->node] + (size_t)dev;
        u->device_milli[at] += al__task_device_milli(&r, node->gpus[dev].memory_mib);
        json_t *names = u->device_names[at];
        size_t n = json_array_size(names);
        if (n == 0 || strcmp(json_string_value(json_array_get(names, n - 1)), w->name) != 0)
            json_array_append_new(names, json_string(w->name));
    }
}

/* Returns how many devices there are. */
static size_t usage_init(struct usage *u, const struct allotd *d) {
    const struct al__inventory *inv = &d->backend.inventory;
    size_t devices = al__inventory_devices(inv, &u->first);
    u->device_milli = al__xcalloc(devices + 1, sizeof(*u->device_milli));
    u->device_names = al__xcalloc(devices + 1, sizeof(*u->device_names));
    for (size_t g = 0; g < devices; g++)
        u->device_names[g] = json_array();
    u->cpu_millis = al__xcalloc(inv->node_count + 1, sizeof(*u->cpu_millis));
    u->memory_bytes = al__xcalloc(inv->node_count + 1, sizeof(*u->memory_bytes));
    u->mig_milli = al__xcalloc(inv->node_count + 1, sizeof(*u->mig_milli));
    u->mig_used = al__xcalloc(inv->node_count + 1, sizeof(*u->mig_used));
    for (size_t n = 0; n < inv->node_count; n++)
        u->mig_used[n] = json_object();
    for (size_t i = 0; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        for (int32_t k = 0; k < w->spec.workers; k++)
            usage_add(u, d, w, &w->tasks[k]);
    }
    return devices;
}

static void usage_release(struct usage *u, size_t devices, size_t nodes) {
    for (size_t n = 0; n < nodes; n++)
        json_decref(u->mig_used[n]);
    free(u->mig_used);
    free(u->mig_milli);
    for (size_t g = 0; g < devices; g++)
        json_decref(u->device_names[g]);
    free(u->first);
    free(u->device_milli);
    free(u->device_names);
    free(u->cpu_millis);
    free(u->memory_bytes);
}

static json_t *node_json(const struct allotd *d, struct usage *u, size_t i) {
    const struct al__node *node = &d->backend.inventory.nodes[i];
    json_t *gpus = json_array(), *labels = json_object(), *migs = json_object();
    for (size_t m = 0; m < node->mig_count; m++)
        json_object_set_new(migs, node->migs[m].profile, json_integer(node->migs[m].count));
    int64_t total = u->mig_milli[i];

    for (size_t g = 0; g < node->gpu_count; g++) {
        size_t at = u->first[i] + g;
        total += u->device_milli[at];
        json_array_append_new(gpus, json_pack("{s:I, s:s, s:i, s:o, s:O}", "index", (json_int_t)g,
                                              "model", node->gpus[g].model, "memory_mib",
                                              node->gpus[g].memory_mib, "allocated",
                                              json_real((double)u->device_milli[at] / 1000.0),
                                              "workloads", u->device_names[at]));
    }
    for (size_t l = 0; l < node->label_count; l++)
        json_object_set_new(labels, node->labels[l].key, json_string(node->labels[l].value));
    return json_pack(
        "{s:s, s:o, s:I, s:I, s:{s:o, s:I, s:I, s:O}, s:o, s:o, s:b, s:b, s:o}", "name", node->name,
        "pool", node->pool[0] ? json_string(node->pool) : json_null(), "cpu_millis",
        (json_int_t)node->cpu_millis, "memory_bytes", (json_int_t)node->memory_bytes, "allocated",
        "gpu", al__gpus_json(total), "cpu_millis", (json_int_t)u->cpu_millis[i], "memory_bytes",
        (json_int_t)u->memory_bytes[i], "mig", u->mig_used[i], "gpus", gpus, "labels", labels,
        "virtual_gpus", d->backend.inventory.virtual_gpus, "unschedulable", node->unschedulable,
        "mig", migs);
}

void al__nodes_list(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    const struct al__inventory *inv = &d->backend.inventory;
    int64_t limit, offset;
    struct usage u;

    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    size_t devices = usage_init(&u, d);
    json_t *items = json_array();
    for (size_t i = (size_t)offset; i < inv->node_count && i < (size_t)(offset + limit); i++)
        json_array_append_new(items, node_json(d, &u, i));
    al__list_reply(rep, items, inv->node_count, limit, offset);
    usage_release(&u, devices, inv->node_count);
}

void al__node_get(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    const struct al__inventory *inv = &d->backend.inventory;
    struct usage u;
    for (size_t i = 0; i < inv->node_count; i++) {
        if (strcmp(inv->nodes[i].name, req->segments[1]) != 0)
            continue;
        size_t devices = usage_init(&u, d);
        al__reply_json(rep, 200, node_json(d, &u, i));
        usage_release(&u, devices, inv->node_count);
        return;
    }
    al__reply_error(rep, "not_found", NULL, "no node named \"%s\"", req->segments[1]);
}

void al__topologies_list(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    const struct al__inventory *inv = &d->backend.inventory;
    int64_t limit, offset;

    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    json_t *items = json_array();
    for (size_t i = (size_t)offset; i < inv->topology_count && i < (size_t)(offset + limit); i++) {
        json_t *levels = json_array();
        for (size_t l = 0; l < inv->topologies[i].level_count; l++)
            json_array_append_new(levels, json_string(inv->topologies[i].levels[l]));
        json_array_append_new(
            items, json_pack("{s:s, s:o}", "name", inv->topologies[i].name, "levels", levels));
    }
    al__list_reply(rep, items, inv->topology_count, limit, offset);
}
