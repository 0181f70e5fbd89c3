/* enforcement.c - a workload's "enforcement" object (see enforcement.h). */
#include <stdint.h>
#include <stdio.h>

#include "daemon/daemon.h"
#include "daemon/enforcement.h"
#include "daemon/state.h"

/* The cap per device in MiB (the request's, or with `limit` a dynamic fraction's limit), or -1
 * while unknown (a portion of a task not placed). */
static int64_t memory_cap(const struct allotd *d, const struct al__dworkload *w, bool limit) {
    const struct al__inventory *inv = &d->backend.inventory;
    int32_t milli =
        limit && w->spec.gpu_milli_limit > 0 ? w->spec.gpu_milli_limit : w->spec.gpu_milli;
    if (limit && w->spec.gpu_memory_limit_mib > 0)
        return w->spec.gpu_memory_limit_mib;
    if (w->spec.gpu_memory_mib > 0)
        return w->spec.gpu_memory_mib;
    for (int32_t i = 0; i < w->spec.workers; i++) {
        const struct al__dtask *t = &w->tasks[i];
        if (t->node < 0 || (size_t)t->node >= inv->node_count || t->gpu_count == 0)
            continue;
        const struct al__node *node = &inv->nodes[t->node];
        if (t->gpus[0] >= 0 && (size_t)t->gpus[0] < node->gpu_count)
            return (int64_t)node->gpus[t->gpus[0]].memory_mib * milli / 1000;
    }
    return -1;
}

json_t *al__enforcement_json(const struct allotd *d, const struct al__dworkload *w) {
    const struct al__wspec *s = &w->spec;
    const char *library = d->backend.cuda_library, *reason = NULL;
    char other[128];
    if (s->mig_profiles > 0) /* MIG isolates its instances in hardware */
        reason = "MIG instances";
    else if (s->gpus == 0 && s->gpu_milli == 0 && s->gpu_memory_mib == 0)
        reason = "no GPUs";
    else if (s->gpu_milli == 0 && s->gpu_memory_mib == 0)
        reason = "whole GPUs";
    else if (!library && !d->backend.enforcement_off) {
        snprintf(other, sizeof(other), "not offered by the %s backend", d->backend.type->name);
        reason = other;
    } else if (!s->enforce)
        reason = d->backend.enforcement_opt_out ? d->backend.enforcement_opt_out : "--no-enforce";
    else if (!library)
        reason = d->backend.enforcement_off;
    int64_t limit = reason ? -1 : memory_cap(d, w, true);
    json_t *o = json_pack("{s:b, s:o, s:o, s:o}", "active", reason == NULL, "reason",
                          reason ? json_string(reason) : json_null(), "library",
                          reason ? json_null() : json_string(library), "memory_limit_mib",
                          limit >= 0 ? json_integer(limit) : json_null());
    /* dynamic fractions: the guaranteed part beside the limit */
    if (o && !reason && (s->gpu_milli_limit > 0 || s->gpu_memory_limit_mib > 0)) {
        int64_t request = memory_cap(d, w, false);
        json_object_set_new(o, "memory_request_mib",
                            request >= 0 ? json_integer(request) : json_null());
    }
    return o;
}
