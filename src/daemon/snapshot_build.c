/* snapshot_build.c - allotd's state as a snapshot document (docs/snapshot.md): what the next
 * cycle sees, and what GET /api/v1/snapshot returns for offline replay. */
#include <stdio.h>
#include <string.h>

#include "daemon/api.h"
#include "util/xalloc.h"

static json_t *node_json(const struct al__inventory *inv) {
    json_t *devices = json_array();
    for (size_t i = 0; i < inv->gpu_count; i++) {
        json_t *dev = json_pack("{s:i}", "memory_mib", inv->gpus[i].memory_mib);
        if (inv->gpus[i].model[0])
            json_object_set_new(dev, "model", json_string(inv->gpus[i].model));
        json_array_append_new(devices, dev);
    }
    return json_pack("{s:s, s:I, s:I, s:o}", "name", inv->node_name, "cpu_millis",
                     (json_int_t)inv->cpu_millis, "memory_bytes", (json_int_t)inv->memory_bytes,
                     "devices", devices);
}

static json_t *queue_json(const struct al__dqueue *q) {
    json_t *o = al__queue_spec_json(q);
    json_object_del(o, "kind");
    json_object_del(o, "created_s");
    json_object_del(o, "department");
    json_object_set_new(o, "parent", q->parent[0] ? json_string(q->parent) : json_null());
    if (!q->has_preempt_min_runtime)
        json_object_del(o, "preempt_min_runtime_s"); /* inherited */
    if (!q->has_reclaim_min_runtime)
        json_object_del(o, "reclaim_min_runtime_s");
    return o;
}

/* The engine's task state for a task of a workload that is still live. */
static const char *task_state(const struct al__dworkload *w, const struct al__dtask *t) {
    switch (t->state) {
    case AL__T_PENDING:
        return w->state == AL__W_DELETING ? NULL : "pending";
    case AL__T_RUNNING:
        return "running";
    case AL__T_STOPPING:
        return "releasing";
    case AL__T_SUCCEEDED:
        return "succeeded";
    case AL__T_FAILED:
        return "failed";
    case AL__T_PIPELINED:
        return "pipelined";
    }
    return NULL;
}

static json_t *task_json(const struct allotd *d, const struct al__dworkload *w,
                         const struct al__dtask *t, const char *state) {
    const struct al__wspec *s = &w->spec;
    char name[AL__NAME_MAX + 16];
    json_t *o;

    snprintf(name, sizeof(name), "%s-%d", w->name, (int)t->index);
    o = json_pack("{s:s, s:s, s:I, s:I}", "name", name, "state", state, "cpu_millis",
                  (json_int_t)s->cpu_millis, "memory_bytes", (json_int_t)s->memory_bytes);
    if (s->gpus > 0)
        json_object_set_new(o, "gpus", json_integer(s->gpus));
    if (s->gpu_milli > 0)
        json_object_set_new(o, "gpu_fraction", json_real(s->gpu_milli / 1000.0));
    if (s->gpu_memory_mib > 0)
        json_object_set_new(o, "gpu_memory_mib", json_integer(s->gpu_memory_mib));
    if (s->gpu_milli > 0 || s->gpu_memory_mib > 0)
        json_object_set_new(o, "gpu_devices", json_integer(s->gpu_device_count));
    if (t->started_s >= 0 || t->state == AL__T_PIPELINED)
        json_object_set_new(o, "node", json_string(d->inventory.node_name));
    if ((t->state == AL__T_RUNNING || t->state == AL__T_STOPPING || t->state == AL__T_PIPELINED) &&
        t->gpu_count > 0) {
        json_t *indices = json_array();
        for (size_t i = 0; i < t->gpu_count; i++)
            json_array_append_new(indices, json_integer(t->gpus[i]));
        json_object_set_new(o, "gpu_indices", indices);
    }
    return o;
}

static json_t *job_json(const struct allotd *d, const struct al__dworkload *w, int64_t now) {
    json_t *tasks = json_array(), *job;
    for (int32_t i = 0; i < w->spec.workers; i++) {
        const char *state = task_state(w, &w->tasks[i]);
        if (state)
            json_array_append_new(tasks, task_json(d, w, &w->tasks[i], state));
    }
    if (json_array_size(tasks) == 0) {
        json_decref(tasks);
        return NULL;
    }
    job = json_pack("{s:s, s:s, s:i, s:b, s:i, s:I, s:o}", "name", w->name, "queue", w->project,
                    "priority", w->spec.priority, "preemptible", w->spec.preemptible, "min_members",
                    w->spec.min_members, "created_s", (json_int_t)w->created_s, "tasks", tasks);
    /* For min-runtime protection: when the job, running now, last started. */
    if (w->started_s >= 0 && al__workload_is_active(w))
        json_object_set_new(job, "started_s", json_integer(w->started_s));
    if (w->stale_since_s >= 0)
        json_object_set_new(job, "stale_for_s", json_integer(now - w->stale_since_s));
    return job;
}

/* The actions of every cycle, in order (DESIGN.md section 3). */
static json_t *actions_json(void) {
    return json_pack("[s, s, s, s, s]", "allocate", "consolidation", "reclaim", "preempt",
                     "stalegangeviction");
}

json_t *al__snapshot_build(struct allotd *d, struct al__dworkload ***owners) {
    json_t *queues = json_array(), *jobs = json_array();
    size_t count = 0;
    int64_t now = al__daemon_now();

    if (owners)
        *owners = al__xcalloc(d->state.workload_count + 1, sizeof(**owners));

    for (size_t i = 0; i < d->state.queue_count; i++)
        json_array_append_new(queues, queue_json(&d->state.queues[i]));
    for (size_t i = 0; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        json_t *job;
        if (w->state == AL__W_SUCCEEDED || w->state == AL__W_FAILED)
            continue;
        job = job_json(d, w, now);
        if (!job)
            continue;
        json_array_append_new(jobs, job);
        if (owners)
            (*owners)[count++] = d->state.workloads[i];
    }
    return json_pack("{s:s, s:I, s:{s:o}, s:[o], s:o, s:o}", "name", "allotd", "now_s",
                     (json_int_t)now, "config", "actions", actions_json(), "nodes",
                     node_json(&d->inventory), "queues", queues, "jobs", jobs);
}

void al__route_snapshot(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    if (strcmp(req->method, "GET") != 0) {
        al__reply_error(rep, "method_not_allowed", NULL, "use GET");
        return;
    }
    al__reply_json(rep, 200, al__snapshot_build(d, NULL));
}
