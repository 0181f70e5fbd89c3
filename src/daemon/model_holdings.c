/* model_holdings.c - what the jobs of the cycle's model hold on each GPU device, so that a
 * workload whose placed tasks break an invariant of the model (a node or device the inventory
 * lacks, a device held beyond its capacity) is left out of the model, with the reason, instead
 * of stopping every cycle. */
#include <stdio.h>
#include <stdlib.h>

#include "daemon/model_parts.h"
#include "daemon/tasks.h"
#include "daemon/topology_spec.h"
#include "util/xalloc.h"

void al__holdings_init(struct al__holdings *h, const struct al__inventory *inv) {
    h->device_count = al__inventory_devices(inv, &h->first);
    h->now = al__xcalloc(h->device_count + 1, sizeof(*h->now));
    h->later = al__xcalloc(h->device_count + 1, sizeof(*h->later));
    h->undo = NULL;
    h->undo_count = h->undo_cap = 0;
}

void al__holdings_release(struct al__holdings *h) {
    free(h->first);
    free(h->now);
    free(h->later);
    free(h->undo);
}

/* What a task holds on one device of `memory_mib`, in 1/1000 MiB. */
static int64_t units(int32_t gpu_milli, int32_t gpu_memory_mib, int32_t memory_mib) {
    if (gpu_milli > 0)
        return (int64_t)gpu_milli * memory_mib;
    if (gpu_memory_mib > 0)
        return (int64_t)gpu_memory_mib * 1000;
    return (int64_t)memory_mib * 1000;
}

/* Adds what task t holds on its devices; false with the reason when that breaks an invariant. */
static bool add_task(const struct allotd *d, const struct al__dworkload *w,
                     const struct al__dtask *t, struct al__holdings *h, char *why, size_t size) {
    const struct al__node *node = al__task_node(d, t);
    bool pipelined = t->state == AL__T_PIPELINED, releasing = t->state == AL__T_STOPPING;
    const struct al__task_request r = al__task_request_of(w, t->index), *s = &r;
    bool wants = s->gpus > 0 || s->gpu_milli > 0 || s->gpu_memory_mib > 0;

    if (!node) {
        snprintf(why, size, "invalid: task %d is on node %s, which the inventory does not have",
                 (int)t->index, t->node >= 0 ? al__state_node_name(&d->state, t->node) : "(none)");
        return false;
    }
    if (wants && t->gpu_count == 0) {
        snprintf(why, size, "invalid: task %d holds no GPU device", (int)t->index);
        return false;
    }
    for (size_t g = 0; g < t->gpu_count; g++) {
        int32_t dev = t->gpus[g];
        if (dev < 0 || (size_t)dev >= node->gpu_count) {
            snprintf(why, size, "invalid: task %d holds GPU %d, which node %s does not have",
                     (int)t->index, (int)dev, node->name);
            return false;
        }
        size_t at = h->first[t->node] + (size_t)dev;
        int64_t held = units(s->gpu_milli, s->gpu_memory_mib, node->gpus[dev].memory_mib);
        int64_t capacity = (int64_t)node->gpus[dev].memory_mib * 1000;
        int64_t add_now = pipelined ? 0 : held, add_later = releasing ? 0 : held;
        al__xgrow(&h->undo, &h->undo_cap, h->undo_count + 1, sizeof(*h->undo));
        h->undo[h->undo_count++] = (struct al__holding_undo){at, add_now, add_later};
        h->now[at] += add_now;
        h->later[at] += add_later;
        if (h->now[at] > capacity || h->later[at] > capacity) {
            snprintf(why, size, "invalid: task %d shares GPU %d of node %s beyond its capacity",
                     (int)t->index, (int)dev, node->name);
            return false;
        }
    }
    return true;
}

bool al__holdings_admit(const struct allotd *d, const struct al__dworkload *w,
                        struct al__holdings *h, char *why, size_t size) {
    struct al_topology_constraint k;
    char field[64], msg[200];
    h->undo_count = 0;
    if (al__topology_resolve(&d->backend.inventory, &w->spec, &k, field, sizeof(field), msg,
                             sizeof(msg)) < 0) {
        snprintf(why, size, "invalid: %s: %s", field, msg);
        return false;
    }
    for (int32_t i = 0; i < w->spec.workers; i++) {
        const struct al__dtask *t = &w->tasks[i];
        if (t->state != AL__T_RUNNING && t->state != AL__T_PIPELINED && t->state != AL__T_STOPPING)
            continue;
        if (!add_task(d, w, t, h, why, size)) {
            for (size_t u = 0; u < h->undo_count; u++) {
                h->now[h->undo[u].at] -= h->undo[u].now;
                h->later[h->undo[u].at] -= h->undo[u].later;
            }
            return false;
        }
    }
    return true;
}

void al__holdings_remove(struct al__holdings *h, const struct al__inventory *inv,
                         const struct al_task *tasks, size_t count) {
    for (size_t i = 0; i < count; i++) {
        const struct al_task *t = &tasks[i];
        bool pipelined = t->state == AL_TASK_PIPELINED, releasing = t->state == AL_TASK_RELEASING;
        if (t->state != AL_TASK_RUNNING && !pipelined && !releasing)
            continue;
        const struct al__node *node = &inv->nodes[t->node]; /* admitted: it is there */
        for (size_t g = 0; g < t->gpu_index_count; g++) {
            int32_t dev = t->gpu_indices[g];
            size_t at = h->first[t->node] + (size_t)dev;
            int64_t held = units(t->gpu_milli, t->gpu_memory_mib, node->gpus[dev].memory_mib);
            h->now[at] -= pipelined ? 0 : held;
            h->later[at] -= releasing ? 0 : held;
        }
    }
}
