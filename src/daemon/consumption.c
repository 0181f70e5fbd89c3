/* consumption.c - one store row per task run: what it held (milli-GPUs, their model, CPU,
 * memory), for which workload, project and department, from when to when (see consumption.h).
 * Rows are written in the transactions that place and end tasks, so a crash loses none that
 * was acknowledged, and a run still open counts up to now. */
#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/consumption.h"
#include "daemon/tasks.h"

static const char open_sql[] =
    "INSERT OR IGNORE INTO consumption (workload_id, idx, workload, project, department, node,"
    " gpu_model, gpu_devices, gpu_milli, gpu_memory_mib, cpu_millis, memory_bytes, start_s)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char close_sql[] = "UPDATE consumption SET end_s = max(start_s, ?3)"
                                " WHERE workload_id = ?1 AND idx = ?2 AND end_s IS NULL";
static const char drop_open_sql[] = "DELETE FROM consumption WHERE end_s IS NULL";
static const char prune_sql[] =
    "DELETE FROM consumption WHERE id IN"
    " (SELECT id FROM consumption WHERE end_s < ?1 ORDER BY end_s LIMIT 10000)";
static const char window_sql[] =
    "SELECT project, department, workload, gpu_model, start_s, end_s, gpu_milli, cpu_millis,"
    " memory_bytes, idle_gpu_milli_s FROM consumption"
    " WHERE start_s < ?2 AND (end_s IS NULL OR end_s >= ?1)";

static bool holds_place(const struct al__dtask *t) {
    return t->state == AL__T_RUNNING || t->state == AL__T_STOPPING;
}

int64_t al__consumption_device_milli(const struct al__task_request *r, int32_t memory_mib) {
    if (r->gpus > 0)
        return 1000;
    if (r->gpu_milli > 0)
        return r->gpu_milli;
    if (r->gpu_memory_mib > 0 && memory_mib > 0) {
        int64_t m = (int64_t)r->gpu_memory_mib * 1000 / memory_mib;
        return m > 1000 ? 1000 : m;
    }
    return r->gpu_memory_mib > 0 ? 0 : 1000;
}

static int open_run(struct allotd *d, const struct al__dworkload *w, const struct al__dtask *t) {
    struct al__stmt *st = al__stmt_prepare(d->store, open_sql);
    const struct al__node *node = al__task_node(d, t);
    const struct al__dqueue *q = al__state_queue(&d->state, w->project);
    struct al__task_request r = al__task_request_of(w, t->index);
    const char *model = "";
    int64_t milli = 0;
    if (!st)
        return -AL_EIO;
    for (size_t i = 0; i < t->gpu_count; i++) {
        int32_t mib = 0;
        if (node && t->gpus[i] >= 0 && (size_t)t->gpus[i] < node->gpu_count) {
            mib = node->gpus[t->gpus[i]].memory_mib;
            if (!model[0])
                model = node->gpus[t->gpus[i]].model;
        }
        milli += al__consumption_device_milli(&r, mib);
    }
    milli += r.mig_milli; /* its MIG instances, on no device: G GPUs each, priced as "MIG" */
    if (!model[0] && r.mig_milli > 0)
        model = "MIG";
    al__stmt_bind_int(st, 1, w->id);
    al__stmt_bind_int(st, 2, t->index);
    al__stmt_bind_text(st, 3, w->name);
    al__stmt_bind_text(st, 4, w->project);
    al__stmt_bind_text(st, 5, q ? q->parent : "");
    al__stmt_bind_text(st, 6, t->node >= 0 ? al__state_node_name(&d->state, t->node) : NULL);
    al__stmt_bind_text(st, 7, model);
    al__stmt_bind_int(st, 8, (int64_t)t->gpu_count);
    al__stmt_bind_int(st, 9, milli);
    al__stmt_bind_int(st, 10, (int64_t)r.gpu_memory_mib * (int64_t)t->gpu_count);
    al__stmt_bind_int(st, 11, r.cpu_millis);
    al__stmt_bind_int(st, 12, r.memory_bytes);
    al__stmt_bind_int(st, 13, t->started_s >= 0 ? t->started_s : al__daemon_now());
    return al__stmt_run(st);
}

int al__consumption_track(struct allotd *d, const struct al__dworkload *w,
                          const struct al__dtask *t) {
    if (holds_place(t))
        return open_run(d, w, t);
    struct al__stmt *st = al__stmt_prepare(d->store, close_sql);
    if (!st)
        return -AL_EIO;
    al__stmt_bind_int(st, 1, w->id);
    al__stmt_bind_int(st, 2, t->index);
    al__stmt_bind_int(st, 3, t->finished_s >= 0 ? t->finished_s : al__daemon_now());
    return al__stmt_run(st);
}

int al__consumption_drop_open(struct allotd *d) {
    struct al__stmt *st = al__stmt_prepare(d->store, drop_open_sql);
    return st ? al__stmt_run(st) : -AL_EIO;
}

int al__consumption_prune(struct allotd *d, int64_t before_s) {
    struct al__stmt *st = al__stmt_prepare(d->store, prune_sql);
    if (!st)
        return -AL_EIO;
    al__stmt_bind_int(st, 1, before_s);
    return al__stmt_run(st);
}

static const char *text_or_empty(struct al__stmt *st, int column) {
    const char *s = al__stmt_text(st, column);
    return s ? s : "";
}

int al__consumption_sum(struct allotd *d, struct al__usage_sum *s,
                        bool (*visible)(void *ctx, const struct al__usage_run *r), void *ctx) {
    struct al__stmt *st = al__stmt_prepare(d->reader, window_sql);
    int rc;
    if (!st)
        return -AL_EIO;
    al__stmt_bind_int(st, 1, s->from);
    al__stmt_bind_int(st, 2, s->to);
    while ((rc = al__stmt_step(st)) == 1) {
        struct al__usage_run r = {
            .project = text_or_empty(st, 0),
            .department = text_or_empty(st, 1),
            .workload = text_or_empty(st, 2),
            .gpu_model = text_or_empty(st, 3),
            .start_s = al__stmt_int(st, 4),
            .end_s = al__stmt_is_null(st, 5) ? -1 : al__stmt_int(st, 5),
            .gpu_milli = al__stmt_int(st, 6),
            .cpu_millis = al__stmt_int(st, 7),
            .memory_bytes = al__stmt_int(st, 8),
            .idle_gpu_milli_s = al__stmt_is_null(st, 9) ? -1 : al__stmt_int(st, 9),
        };
        if (!visible || visible(ctx, &r))
            al__usage_sum_add(s, &r);
    }
    return rc;
}
