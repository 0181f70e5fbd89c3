/* decisions.c - allotd carries out the engine's decisions: binds start tasks, pipelined tasks
 * hold their place and start once the evicted tasks they wait for are gone, evictions stop
 * tasks that are then requeued (tasks_life.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "snapshot/report.h"

static void take_devices(struct al__dtask *t, const struct al_decision *dec) {
    t->gpu_count = dec->gpu_count < AL__MAX_TASK_GPUS ? dec->gpu_count : AL__MAX_TASK_GPUS;
    for (size_t g = 0; g < t->gpu_count; g++)
        t->gpus[g] = dec->gpus[g];
}

/* Places a task on the devices it was given, as a bind does; it starts after the commit. */
static void start_placed(struct allotd *d, struct al__dworkload *w, struct al__dtask *t) {
    al__task_place(d, w, t);
    al__workload_set_reason(w, NULL, NULL);
    al__workload_refresh_state(w);
    al__persist_workload_update(d, w);
}

static void bind_task(struct allotd *d, const struct al_decision *dec,
                      const struct al__cycle_model *m) {
    struct al__dworkload *w;
    struct al__dtask *t = al__model_task(m, dec->task, &w);

    if (!t || t->state != AL__T_PENDING || w->state == AL__W_DELETING)
        return;
    take_devices(t, dec);
    start_placed(d, w, t);
}

/*
 * A pending task placed on capacity that evicted tasks still hold: it keeps that place (the
 * snapshot shows it pipelined there) until al__tasks_start_pipelined() finds it free. A task
 * that is stopping (evicted to be moved) is left to be requeued and placed again.
 */
static void pipeline_task(struct allotd *d, const struct al_decision *dec,
                          const struct al__cycle_model *m) {
    const struct al_cluster *c = &m->cluster;
    struct al__dworkload *w;
    struct al__dtask *t = al__model_task(m, dec->task, &w);
    char devices[512], text[640];

    if (!t || t->state != AL__T_PENDING || w->state == AL__W_DELETING)
        return;
    take_devices(t, dec);
    t->state = AL__T_PIPELINED;
    al__task_devices_text(t, devices, sizeof(devices));
    snprintf(text, sizeof(text), "waiting on node %s%s%s for evicted tasks to exit",
             c->nodes[dec->node].name, t->gpu_count ? " GPUs " : "", t->gpu_count ? devices : "");
    al__persist_task_update(d, w, t);
    al__persist_event(d, w, "pipelined", "task %d %s", (int)t->index, text);
    al__workload_set_reason(w, "pipelined", text);
    al__persist_workload_update(d, w);
}

/*
 * An evicted task: a running one is stopped (SIGTERM, SIGKILL after the grace period) and
 * requeued once it has exited; a pipelined one gives its place up at once.
 */
static void evict_task(struct allotd *d, const struct al_decision *dec,
                       const struct al__cycle_model *m) {
    const struct al_cluster *c = &m->cluster;
    struct al__dworkload *w;
    struct al__dtask *t = al__model_task(m, dec->task, &w);
    char why[512];

    if (!t || w->state == AL__W_DELETING ||
        (t->state != AL__T_RUNNING && t->state != AL__T_PIPELINED))
        return;
    al_decision_text(c, dec, why, sizeof(why));
    al__persist_event(d, w, "evicted", "task %d: %s", (int)t->index, why);
    if (t->state == AL__T_RUNNING) {
        t->evicting = true;
        al__task_stop(d, w, t);
        return;
    }
    al__task_requeue(t);
    al__persist_task_update(d, w, t);
    al__persist_event(d, w, "requeued", "task %d gave up its pipelined place; pending again",
                      (int)t->index);
    al__workload_refresh_state(w);
    al__persist_workload_update(d, w);
}

void al__decisions_apply(struct allotd *d, const struct al__cycle_model *m,
                         const struct al_result *r) {
    for (size_t i = 0; i < r->decision_count; i++) {
        const struct al_decision *dec = &r->decisions[i];
        if (dec->kind == AL_DECISION_BIND)
            bind_task(d, dec, m);
        else if (dec->kind == AL_DECISION_PIPELINE)
            pipeline_task(d, dec, m);
        else if (dec->kind == AL_DECISION_EVICT)
            evict_task(d, dec, m);
    }
}

/* Whether a stopping task still holds a device that pipelined task p waits for. */
static bool shares_device(const struct al__dtask *t, const struct al__dtask *p) {
    for (size_t i = 0; i < t->gpu_count; i++)
        for (size_t k = 0; k < p->gpu_count; k++)
            if (t->gpus[i] == p->gpus[k])
                return true;
    return false;
}

/*
 * Whether every pipelined task of workload pw can start now: no stopping task holds one of
 * their devices, and the node's CPU and memory hold them beside every task that runs or stops.
 */
static bool room_is_free(const struct allotd *d, const struct al__dworkload *pw) {
    int64_t cpu = 0, memory = 0;

    for (int32_t k = 0; k < pw->spec.workers; k++) {
        if (pw->tasks[k].state != AL__T_PIPELINED)
            continue;
        cpu += pw->spec.cpu_millis;
        memory += pw->spec.memory_bytes;
        for (size_t i = 0; i < d->state.workload_count; i++) {
            const struct al__dworkload *w = d->state.workloads[i];
            for (int32_t j = 0; j < w->spec.workers; j++)
                if (w->tasks[j].state == AL__T_STOPPING &&
                    shares_device(&w->tasks[j], &pw->tasks[k]))
                    return false;
        }
    }
    if (cpu == 0 && memory == 0)
        return true;
    for (size_t i = 0; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        for (int32_t j = 0; j < w->spec.workers; j++) {
            if (w->tasks[j].state != AL__T_RUNNING && w->tasks[j].state != AL__T_STOPPING)
                continue;
            cpu += w->spec.cpu_millis;
            memory += w->spec.memory_bytes;
        }
    }
    return (pw->spec.cpu_millis == 0 || cpu <= d->inventory.cpu_millis) &&
           (pw->spec.memory_bytes == 0 || memory <= d->inventory.memory_bytes);
}

bool al__tasks_start_pipelined(struct allotd *d) {
    bool started = false;

    for (size_t i = 0; i < d->state.workload_count; i++) {
        struct al__dworkload *w = d->state.workloads[i];
        bool pipelined = false;
        for (int32_t k = 0; k < w->spec.workers; k++)
            pipelined |= w->tasks[k].state == AL__T_PIPELINED;
        if (!pipelined || w->state == AL__W_DELETING || !room_is_free(d, w))
            continue;
        /* A gang's pipelined tasks start together. */
        for (int32_t k = 0; k < w->spec.workers; k++)
            if (w->tasks[k].state == AL__T_PIPELINED)
                start_placed(d, w, &w->tasks[k]);
        started = true;
    }
    return started;
}
