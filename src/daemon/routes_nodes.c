/* routes_nodes.c - /api/v1/nodes: this machine's GPUs, CPU and memory, and what is allocated. */
#include <string.h>

#include "daemon/api.h"

/* Milli-GPU a task holds on each of its devices. */
static int64_t per_device(const struct allotd *d, const struct al__dworkload *w,
                          const struct al__dtask *t, size_t i) {
    const struct al__wspec *s = &w->spec;
    int32_t mib = d->inventory.gpus[t->gpus[i]].memory_mib;
    if (s->gpus > 0)
        return 1000;
    if (s->gpu_milli > 0)
        return s->gpu_milli;
    return al_gpu_memory_milli(s->gpu_memory_mib, mib);
}

static json_t *node_json(const struct allotd *d) {
    const struct al__inventory *inv = &d->inventory;
    int64_t device[AL__LOCAL_MAX_GPUS] = {0}, total[AL_RESOURCE_COUNT] = {0};
    json_t *names[AL__LOCAL_MAX_GPUS], *gpus = json_array();

    for (size_t g = 0; g < inv->gpu_count; g++)
        names[g] = json_array();
    for (size_t i = 0; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        bool listed[AL__LOCAL_MAX_GPUS] = {false};
        for (int32_t k = 0; k < w->spec.workers; k++) {
            const struct al__dtask *t = &w->tasks[k];
            if (t->state != AL__T_RUNNING && t->state != AL__T_STOPPING)
                continue;
            total[AL_CPU] += w->spec.cpu_millis;
            total[AL_MEMORY] += w->spec.memory_bytes;
            for (size_t g = 0; g < t->gpu_count; g++) {
                int32_t dev = t->gpus[g];
                if (dev < 0 || (size_t)dev >= inv->gpu_count)
                    continue;
                device[dev] += per_device(d, w, t, g);
                if (!listed[dev])
                    json_array_append_new(names[dev], json_string(w->name));
                listed[dev] = true;
            }
        }
    }
    for (size_t g = 0; g < inv->gpu_count; g++) {
        total[AL_GPU] += device[g];
        json_array_append_new(
            gpus, json_pack("{s:I, s:s, s:i, s:o, s:o}", "index", (json_int_t)g, "model",
                            inv->gpus[g].model, "memory_mib", inv->gpus[g].memory_mib, "allocated",
                            json_real((double)device[g] / 1000.0), "workloads", names[g]));
    }
    return json_pack("{s:s, s:n, s:I, s:I, s:{s:o, s:I, s:I}, s:o, s:b}", "name", inv->node_name,
                     "pool", "cpu_millis", (json_int_t)inv->cpu_millis, "memory_bytes",
                     (json_int_t)inv->memory_bytes, "allocated", "gpu",
                     al__gpus_json(total[AL_GPU]), "cpu_millis", (json_int_t)total[AL_CPU],
                     "memory_bytes", (json_int_t)total[AL_MEMORY], "gpus", gpus, "virtual_gpus",
                     !inv->from_nvml);
}

void al__route_nodes(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    int64_t limit, offset;

    if (strcmp(req->method, "GET") != 0) {
        al__reply_error(rep, "method_not_allowed", NULL, "nodes are read-only: use GET");
        return;
    }
    if (req->segment_count == 2) {
        if (strcmp(req->segments[1], d->inventory.node_name) == 0)
            al__reply_json(rep, 200, node_json(d));
        else
            al__reply_error(rep, "not_found", NULL, "no node named \"%s\"", req->segments[1]);
        return;
    }
    if (req->segment_count != 1 || al__paging(req, rep, &limit, &offset) < 0) {
        if (req->segment_count != 1)
            al__reply_error(rep, "not_found", NULL, "no such path");
        return;
    }
    json_t *items = json_array();
    if (offset == 0)
        json_array_append_new(items, node_json(d));
    al__list_reply(rep, items, 1, limit, offset);
}
