/* decisions.c - allotd carries out the engine's decisions: binds start tasks, pipelined tasks
 * hold their place and start once the evicted tasks they wait for are gone, evictions stop
 * tasks that are then requeued (tasks_life.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/burst.h"
#include "daemon/cycle_model.h"
#include "daemon/persist.h"
#include "daemon/tasks.h"
#include "snapshot/report.h"
#include "util/wide.h"
#include "util/xalloc.h"

/* The node and devices a bind or pipeline gave the task (a model node is an inventory node). */
static void take_devices(struct al__dtask *t, const struct al_decision *dec) {
    t->node = dec->node;
    t->gpu_count = dec->gpu_count < AL__MAX_TASK_GPUS ? dec->gpu_count : AL__MAX_TASK_GPUS;
    for (size_t g = 0; g < t->gpu_count; g++)
        t->gpus[g] = dec->gpus[g];
}

/* Whether w may still be placed: not deleted or suspended while the engine ran. */
static bool schedulable(const struct al__dworkload *w) {
    return w->state != AL__W_DELETING && w->state != AL__W_SUSPENDED;
}

/* Why an eviction stopped a task, short, for the mark its next run leaves in its output:
 * "evicted by reclaim for team-b/train". */
static char *eviction_note(const struct al_cluster *c, const struct al_decision *dec) {
    static const struct {
        enum al_reason reason;
        const char *text;
    } kinds[] = {{AL_REASON_RECLAIMED, "evicted by reclaim"},
                 {AL_REASON_PREEMPTED, "evicted by preempt"},
                 {AL_REASON_CONSOLIDATED, "moved by consolidation"},
                 {AL_REASON_STALE_GANG, "evicted as a stale gang"}};
    const char *kind = "evicted";
    char text[256];
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].reason == dec->reason)
            kind = kinds[i].text;
    if (dec->by_job >= 0 && (size_t)dec->by_job < c->job_count) {
        const struct al_job *by = &c->jobs[dec->by_job];
        const char *queue =
            by->queue >= 0 && (size_t)by->queue < c->queue_count ? c->queues[by->queue].name : "?";
        snprintf(text, sizeof(text), "%s for %s/%s", kind, queue, by->name);
    } else {
        snprintf(text, sizeof(text), "%s", kind);
    }
    return al__xstrdup(text);
}

/* Places a task on the node and devices it was given, as a bind does; it starts after the commit.
 */
static void start_placed(struct allotd *d, struct al__dworkload *w, struct al__dtask *t) {
    al__task_place(d, w, t);
    al__workload_reason(d, w, NULL, NULL);
    al__workload_refresh_state(&d->state, w);
    al__persist_workload_update(d, w);
}

/* t keeps the place it was given until the stopping tasks on its devices have exited
 * (al__tasks_start_pipelined). */
static void hold_place(struct allotd *d, struct al__dworkload *w, struct al__dtask *t,
                       const char *node) {
    char devices[512], text[640];
    t->state = AL__T_PIPELINED;
    al__state_add_to(&d->state, AL__HOLDING, w);
    al__task_devices_text(t, devices, sizeof(devices));
    snprintf(text, sizeof(text), "waiting on node %s%s%s for evicted tasks to exit", node,
             t->gpu_count ? " GPUs " : "", t->gpu_count ? devices : "");
    al__persist_task_update(d, w, t);
    al__persist_event(d, w, "pipelined", "task %d %s", (int)t->index, text);
    al__workload_reason(d, w, "pipelined/Pipelined", text);
    al__persist_workload_update(d, w);
}

static void bind_task(struct allotd *d, const struct al_decision *dec,
                      const struct al__cycle_model *m) {
    struct al__dworkload *w;
    struct al__dtask *t = al__model_task(m, dec->task, &w);

    if (!t || t->state != AL__T_PENDING || !schedulable(w))
        return;
    take_devices(t, dec);
    al__metrics_decision(&d->metrics, dec->kind, AL_REASON_NONE);
    /* dynamic fractions: tasks using more than their request where t's request must fit */
    if (al__burst_make_room(d, w, t))
        hold_place(d, w, t, m->cluster.nodes[dec->node].name);
    else
        start_placed(d, w, t);
}

/*
 * A pending task placed on capacity that evicted tasks still hold: it keeps that place (the
 * snapshot shows it pipelined there) until al__tasks_start_pipelined() finds it free. A task
 * that is stopping (evicted to be moved) is left to be requeued and placed again.
 */
static void pipeline_task(struct allotd *d, const struct al_decision *dec,
                          const struct al__cycle_model *m) {
    struct al__dworkload *w;
    struct al__dtask *t = al__model_task(m, dec->task, &w);

    if (!t || t->state != AL__T_PENDING || !schedulable(w))
        return;
    take_devices(t, dec);
    al__metrics_decision(&d->metrics, dec->kind, AL_REASON_NONE);
    hold_place(d, w, t, m->cluster.nodes[dec->node].name);
}

/*
 * An evicted task: a running one is stopped (at once after the grace period) and
 * requeued once it has exited; a pipelined one gives its place up at once.
 */
static void evict_task(struct allotd *d, const struct al_decision *dec,
                       const struct al__cycle_model *m) {
    const struct al_cluster *c = &m->cluster;
    struct al__dworkload *w;
    struct al__dtask *t = al__model_task(m, dec->task, &w);
    char why[512];

    if (!t || !schedulable(w) || (t->state != AL__T_RUNNING && t->state != AL__T_PIPELINED))
        return;
    al__metrics_decision(&d->metrics, dec->kind, dec->reason);
    al_decision_text(c, dec, why, sizeof(why));
    al__persist_event(d, w, "evicted", "task %d: %s", (int)t->index, why);
    if (t->state == AL__T_RUNNING) {
        t->evicting = true;
        free(t->stopped_why);
        t->stopped_why = eviction_note(c, dec);
        al__task_stop(d, w, t);
        return;
    }
    al__task_requeue(&d->state, t);
    al__persist_task_update(d, w, t);
    al__persist_event(d, w, "requeued", "task %d gave up its pipelined place; pending again",
                      (int)t->index);
    al__workload_refresh_state(&d->state, w);
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

/* What running and stopping tasks hold now on each node: one pass over the state per call of
 * al__tasks_start_pipelined, so that checking each pipelined workload is O(its tasks). */
struct held {
    size_t node_count;
    size_t *first;                      /* per node: where its devices start in stopping */
    bool *stopping;                     /* per device: a stopping task still holds it */
    int64_t *cpu_millis, *memory_bytes; /* per node */
};

static bool device_of(const struct held *h, const struct allotd *d, const struct al__dtask *t,
                      size_t g, size_t *at) {
    const struct al__node *node = al__task_node(d, t);
    if (!node || t->gpus[g] < 0 || (size_t)t->gpus[g] >= node->gpu_count)
        return false;
    *at = h->first[t->node] + (size_t)t->gpus[g];
    return true;
}

static void held_now(const struct allotd *d, struct held *h) {
    const struct al__inventory *inv = &d->backend.inventory;
    size_t devices = al__inventory_devices(inv, &h->first);
    h->node_count = inv->node_count;
    h->stopping = al__xcalloc(devices + 1, sizeof(*h->stopping));
    h->cpu_millis = al__xcalloc(inv->node_count + 1, sizeof(*h->cpu_millis));
    h->memory_bytes = al__xcalloc(inv->node_count + 1, sizeof(*h->memory_bytes));
    for (size_t i = 0; i < d->state.sets[AL__HOLDING].count; i++) {
        const struct al__dworkload *w = d->state.sets[AL__HOLDING].items[i];
        for (int32_t j = 0; j < w->spec.workers; j++) {
            const struct al__dtask *t = &w->tasks[j];
            size_t at;
            if ((t->state != AL__T_RUNNING && t->state != AL__T_STOPPING) || !al__task_node(d, t))
                continue;
            struct al__task_request r = al__task_request_of(w, j);
            h->cpu_millis[t->node] = al__sat_add(h->cpu_millis[t->node], r.cpu_millis);
            h->memory_bytes[t->node] = al__sat_add(h->memory_bytes[t->node], r.memory_bytes);
            for (size_t g = 0; t->state == AL__T_STOPPING && g < t->gpu_count; g++)
                if (device_of(h, d, t, g, &at))
                    h->stopping[at] = true;
        }
    }
}

static void held_release(struct held *h) {
    free(h->first);
    free(h->stopping);
    free(h->cpu_millis);
    free(h->memory_bytes);
}

/*
 * Whether every pipelined task of workload pw can start now: no stopping task holds one of
 * their devices, and each node's CPU and memory hold them beside every task that runs or stops
 * there.
 */
static bool room_is_free(const struct allotd *d, struct held *h, const struct al__dworkload *pw) {
    int32_t workers = pw->spec.workers;
    bool fits = true;

    /* Added per node as if started, checked, then taken back (pw's tasks may share a node). */
    for (int32_t k = 0; k < workers; k++) {
        const struct al__dtask *p = &pw->tasks[k];
        struct al__task_request r = al__task_request_of(pw, k);
        size_t at;
        if (p->state != AL__T_PIPELINED || !al__task_node(d, p))
            continue;
        h->cpu_millis[p->node] = al__sat_add(h->cpu_millis[p->node], r.cpu_millis);
        h->memory_bytes[p->node] = al__sat_add(h->memory_bytes[p->node], r.memory_bytes);
        for (size_t g = 0; g < p->gpu_count; g++)
            if (device_of(h, d, p, g, &at) && h->stopping[at])
                fits = false;
    }
    for (int32_t k = 0; k < workers; k++) {
        const struct al__dtask *p = &pw->tasks[k];
        const struct al__node *node = al__task_node(d, p);
        struct al__task_request r = al__task_request_of(pw, k);
        if (p->state != AL__T_PIPELINED || !node)
            continue;
        if ((r.cpu_millis > 0 && h->cpu_millis[p->node] > node->cpu_millis) ||
            (r.memory_bytes > 0 && h->memory_bytes[p->node] > node->memory_bytes))
            fits = false;
    }
    for (int32_t k = 0; k < workers; k++) {
        const struct al__dtask *p = &pw->tasks[k];
        struct al__task_request r = al__task_request_of(pw, k);
        if (p->state != AL__T_PIPELINED || !al__task_node(d, p))
            continue;
        h->cpu_millis[p->node] -= r.cpu_millis;
        h->memory_bytes[p->node] -= r.memory_bytes;
    }
    return fits;
}

bool al__tasks_start_pipelined(struct allotd *d) {
    struct held h;
    bool started = false;

    held_now(d, &h);
    for (size_t i = 0; i < d->state.sets[AL__HOLDING].count; i++) {
        struct al__dworkload *w = d->state.sets[AL__HOLDING].items[i];
        bool pipelined = false;
        for (int32_t k = 0; k < w->spec.workers; k++)
            pipelined |= w->tasks[k].state == AL__T_PIPELINED;
        if (!pipelined || !schedulable(w) || !room_is_free(d, &h, w) ||
            (w->spec.mig_profiles > 0 && !al__task_mig_room(d, w)))
            continue;
        /* A gang's pipelined tasks start together. */
        for (int32_t k = 0; k < w->spec.workers; k++) {
            struct al__dtask *t = &w->tasks[k];
            if (t->state != AL__T_PIPELINED)
                continue;
            start_placed(d, w, t);
            if (al__task_node(d, t)) { /* it runs now */
                struct al__task_request r = al__task_request_of(w, k);
                h.cpu_millis[t->node] = al__sat_add(h.cpu_millis[t->node], r.cpu_millis);
                h.memory_bytes[t->node] = al__sat_add(h.memory_bytes[t->node], r.memory_bytes);
            }
        }
        started = true;
    }
    held_release(&h);
    return started;
}
