/* consumption_idle.c - idle-but-allocated GPU time of task runs: the GPUs running tasks hold,
 * sampled for how busy they are (NVML on the local backend), added to their consumption rows
 * (see consumption.h). Only backends that can tell cost anything: one machine's devices. */
#include "daemon/consumption.h"
#include "daemon/tasks.h"

static const char idle_add_sql[] =
    "UPDATE consumption SET idle_gpu_milli_s = coalesce(idle_gpu_milli_s, 0) + ?3"
    " WHERE workload_id = ?1 AND idx = ?2 AND end_s IS NULL";

/* How busy device i of t is, in percent; -1 when not known. */
static int device_busy(struct allotd *d, const struct al__dtask *t, size_t i) {
    int percent = -1;
    if (d->test_gpu_busy >= 0)
        return d->test_gpu_busy;
    if (!d->backend.type->gpu_busy ||
        d->backend.type->gpu_busy(&d->backend, (size_t)t->node, t->gpus[i], &percent) < 0)
        return -1;
    return percent;
}

/* t's idle milli-GPU-seconds over the `seconds` before now, or -1 when not known. */
static int64_t task_idle(struct allotd *d, const struct al__dworkload *w, const struct al__dtask *t,
                         int64_t seconds) {
    const struct al__node *node = al__task_node(d, t);
    struct al__task_request r = al__task_request_of(w, t->index);
    int64_t idle = 0;
    if (!node)
        return -1;
    for (size_t i = 0; i < t->gpu_count; i++) {
        int busy = device_busy(d, t, i);
        if (busy < 0 || t->gpus[i] < 0 || (size_t)t->gpus[i] >= node->gpu_count)
            return -1;
        int64_t held = al__consumption_device_milli(&r, node->gpus[t->gpus[i]].memory_mib);
        idle += held * (100 - busy) * seconds / 100;
    }
    return idle;
}

void al__consumption_sample_idle(struct allotd *d, int64_t now) {
    int64_t every = d->test_gpu_busy >= 0 ? 1 : AL__IDLE_SAMPLE_S;
    if (now < d->idle_sampled_s + every)
        return;
    struct al__wset_items *set = &d->state.sets[AL__HOLDING];
    for (size_t i = 0; (d->backend.type->gpu_busy || d->test_gpu_busy >= 0) && i < set->count;
         i++) {
        const struct al__dworkload *w = set->items[i];
        for (int32_t k = 0; k < w->spec.workers; k++) {
            const struct al__dtask *t = &w->tasks[k];
            int64_t since = t->started_s > d->idle_sampled_s ? t->started_s : d->idle_sampled_s;
            if (t->state != AL__T_RUNNING || !t->ref[0] || t->gpu_count == 0 || now <= since)
                continue;
            int64_t idle = task_idle(d, w, t, now - since);
            struct al__stmt *st = idle >= 0 ? al__stmt_prepare(d->store, idle_add_sql) : NULL;
            if (!st)
                continue;
            al__stmt_bind_int(st, 1, w->id);
            al__stmt_bind_int(st, 2, t->index);
            al__stmt_bind_int(st, 3, idle);
            al__stmt_run(st); /* a failure leaves the transaction's failure to its commit */
        }
    }
    d->idle_sampled_s = now;
}
