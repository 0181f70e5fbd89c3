/* reservation.c - reservations for large gangs and the backfill rule (see reservation.h). */
#include "engine/reservation.h"

#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "engine/job_steps.h"
#include "engine/node_index.h"
#include "engine/quota.h"
#include "util/sort.h"

#define NEVER INT64_MAX

/* from + limit (limit > 0), NEVER when it does not fit in 64 bits. */
static int64_t end_of(int64_t from, int64_t limit) {
    return from > 0 && limit > NEVER - from ? NEVER : from + limit;
}

int64_t al__job_known_end(const struct al__session *s, int32_t j) {
    const struct al_job *job = &s->cluster->jobs[j];
    if (!job->has_time_limit)
        return NEVER;
    return end_of(s->cluster->now_s, job->time_limit_s);
}

int al__reservation_check(const struct al_cluster *c) {
    if (c->config.reservation_min_gpus < 0 || c->config.reservation_wait_s < 0)
        return -AL_EINVAL;
    for (size_t j = 0; j < c->job_count; j++)
        if ((c->jobs[j].has_time_limit && c->jobs[j].time_limit_s <= 0) ||
            (c->jobs[j].has_pending_since && c->jobs[j].pending_since_s < c->jobs[j].created_s))
            return -AL_EINVAL;
    return 0;
}

bool al__reservation_candidate(const struct al__session *s, int32_t j) {
    const struct al_cluster *c = s->cluster;
    const struct al_job *job = &c->jobs[j];
    /* a gang evicted and requeued waits again: from when it last became pending */
    int64_t since = job->has_pending_since ? job->pending_since_s : job->created_s;
    if (c->config.reservation_min_gpus <= 0 || c->now_s - since < c->config.reservation_wait_s)
        return false;
    int64_t milli = 0;
    for (size_t i = 0; i < job->task_count; i++) {
        int32_t t = (int32_t)(job->first_task + i);
        if (s->tasks[t].state != AL_TASK_PENDING)
            continue;
        const struct al_task *task = &c->tasks[t];
        if (task->mig_count > 0 || (task->gpus <= 0 && !al__task_is_shared(task)))
            return false; /* planned in devices and their units only */
        int64_t req[AL_RESOURCE_COUNT];
        al__task_request(s, t, AL__REQUEST_ADMISSION, req); /* GPU milli, as quotas count */
        milli += req[AL_GPU];
    }
    return milli >= (int64_t)c->config.reservation_min_gpus * 1000;
}

/* When active task t frees what it holds, as far as the engine knows. */
static int64_t task_end(const struct al__session *s, int32_t t) {
    const struct al_cluster *c = s->cluster;
    const struct al__task_state *ts = &s->tasks[t];
    const struct al_job *job = &c->jobs[c->tasks[t].job];
    if (ts->state == AL_TASK_RELEASING)
        return c->now_s;
    if (ts->state == AL_TASK_STUCK_RELEASING || !job->has_time_limit)
        return NEVER;
    bool placed_now = ts->state == AL_TASK_ALLOCATED || ts->state == AL_TASK_PIPELINED ||
                      ts->state == AL_TASK_BOUND || !job->has_started;
    int64_t from = placed_now ? c->now_s : job->started_s;
    int64_t end = end_of(from, job->time_limit_s);
    return end < c->now_s ? c->now_s : end; /* over its limit: ends any moment */
}

/* Something that becomes free at `at`: `units` of device `device` of `node` (device >= 0), or
 * the CPU and memory of a task (device -1). `task` (-1 for a device's room free now) makes
 * every event unique and their order total. */
struct event {
    int64_t at;
    int32_t node, device, task;
    int64_t units, cpu, memory;
};

static int event_cmp(const void *a, const void *b) {
    const struct event *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->device != y->device)
        return x->device < y->device ? -1 : 1;
    return x->task < y->task ? -1 : x->task > y->task;
}

/* The plan's working memory: per node and per device what is free at the time swept to, and
 * the plan's use. Devices are counted in the session's units (session.h: a whole device is
 * all of them; a shared task takes al__task_units). free_devices counts a node's devices with
 * all their units free; use_devices those of them the plan takes (whole, or opened by a shared
 * task). */
struct plan {
    int32_t *free_devices, *use_devices, *use_shared, *offset, *pick;
    int64_t *free_cpu, *free_memory, *use_cpu, *use_memory, *device_free, *device_use;
    bool *usable;
    struct event *events;
    size_t event_count, devices;
    bool shared; /* some task of the step is a shared one */
};

static void plan_free(struct plan *p) {
    free(p->free_devices);
    free(p->use_devices);
    free(p->use_shared);
    free(p->offset);
    free(p->pick);
    free(p->free_cpu);
    free(p->free_memory);
    free(p->use_cpu);
    free(p->use_memory);
    free(p->device_free);
    free(p->device_use);
    free(p->usable);
    free(p->events);
}

static int plan_alloc(struct plan *p, size_t nodes, size_t devices, size_t events) {
    memset(p, 0, sizeof(*p));
    p->devices = devices;
    p->free_devices = calloc(nodes + 1, sizeof(int32_t));
    p->use_devices = calloc(nodes + 1, sizeof(int32_t));
    p->use_shared = calloc(nodes + 1, sizeof(int32_t));
    p->offset = calloc(nodes + 1, sizeof(int32_t));
    p->pick = calloc(devices + 1, sizeof(int32_t));
    p->free_cpu = calloc(nodes + 1, sizeof(int64_t));
    p->free_memory = calloc(nodes + 1, sizeof(int64_t));
    p->use_cpu = calloc(nodes + 1, sizeof(int64_t));
    p->use_memory = calloc(nodes + 1, sizeof(int64_t));
    p->device_free = calloc(devices + 1, sizeof(int64_t));
    p->device_use = calloc(devices + 1, sizeof(int64_t));
    p->usable = calloc(nodes + 1, sizeof(bool));
    p->events = calloc(events + 1, sizeof(struct event));
    if (!p->free_devices || !p->use_devices || !p->use_shared || !p->offset || !p->pick ||
        !p->free_cpu || !p->free_memory || !p->use_cpu || !p->use_memory || !p->device_free ||
        !p->device_use || !p->usable || !p->events) {
        plan_free(p);
        return -AL_ENOMEM;
    }
    return 0;
}

/* The nodes job j's tasks may use by labels, not reserved by another job and schedulable. */
static void usable_nodes(const struct al__session *s, struct plan *p, int32_t j,
                         const int32_t *tasks, int32_t n) {
    const struct al_cluster *c = s->cluster;
    for (size_t k = 0; k < c->node_count; k++) {
        bool ok = !c->nodes[k].unschedulable &&
                  !(s->reserved_by && s->reserved_by[k] >= 0 && s->reserved_by[k] != j);
        for (int32_t i = 0; i < n && ok; i++)
            ok = al__node_matches(&c->nodes[k], &c->tasks[tasks[i]]);
        p->usable[k] = ok;
    }
}

/* Fills the events: each device's room free now, what each holder of a device gives back at
 * its known end, tasks' CPU and memory; and what is free now on each node. */
static void plan_events(const struct al__session *s, struct plan *p) {
    const struct al_cluster *c = s->cluster;
    size_t devices = 0;
    for (size_t k = 0; k < c->node_count; k++) {
        p->offset[k] = (int32_t)devices;
        devices += c->nodes[k].gpu_count;
        p->free_cpu[k] = c->nodes[k].cpu_millis - s->nodes[k].used[AL_CPU];
        p->free_memory[k] = c->nodes[k].memory_bytes - s->nodes[k].used[AL_MEMORY];
        for (int32_t g = 0; g < s->nodes[k].gpu_count; g++) {
            const struct al__gpu_state *d = &s->nodes[k].gpus[g];
            if (d->capacity > d->used)
                p->events[p->event_count++] =
                    (struct event){c->now_s, (int32_t)k, g, -1, d->capacity - d->used, 0, 0};
        }
    }
    for (size_t t = 0; t < c->task_count; t++) {
        const struct al__task_state *ts = &s->tasks[t];
        if (!al_task_is_active(ts->state) || ts->node < 0)
            continue;
        int64_t end = task_end(s, (int32_t)t);
        if (end == NEVER)
            continue;
        for (int32_t i = 0; i < ts->gpu_count; i++)
            p->events[p->event_count++] = (struct event){
                end,
                ts->node,
                ts->gpus[i],
                (int32_t)t,
                al__task_units(&c->tasks[t], c->nodes[ts->node].gpus[ts->gpus[i]].memory_mib),
                0,
                0};
        if (c->tasks[t].cpu_millis > 0 || c->tasks[t].memory_bytes > 0)
            p->events[p->event_count++] = (struct event){
                end, ts->node, -1, (int32_t)t, 0, c->tasks[t].cpu_millis, c->tasks[t].memory_bytes};
    }
    qsort(p->events, p->event_count, sizeof(*p->events), event_cmp);
}

/* Node k's room for shared task `task` in the sweep: how many devices could take it (devices
 * the plan has not opened, all free, counted only as far as whole tasks leave them). */
static int32_t shared_room(const struct al__session *s, const struct plan *p, int32_t k,
                           const struct al_task *task) {
    const struct al_node *node = &s->cluster->nodes[k];
    int32_t partly = 0, whole = 0;
    for (size_t g = 0; g < node->gpu_count; g++) {
        int32_t d = p->offset[k] + (int32_t)g;
        int64_t units = al__task_units(task, node->gpus[g].memory_mib);
        int64_t capacity = s->nodes[k].gpus[g].capacity;
        if (p->device_use[d] == 0 && p->device_free[d] == capacity)
            whole += capacity >= units;
        else
            partly += p->device_free[d] - p->device_use[d] >= units;
    }
    int32_t unopened = p->free_devices[k] - p->use_devices[k];
    return partly + (whole < unopened ? whole : unopened);
}

/* Takes task's devices on node k (shared_room said there are enough): the partly used device
 * with the least room that fits first (best fit), then unopened ones, by index. */
static void shared_take(const struct al__session *s, struct plan *p, int32_t k,
                        const struct al_task *task) {
    const struct al_node *node = &s->cluster->nodes[k];
    int32_t n = 0;
    for (int32_t taken = 0; taken < task->gpu_devices; taken++) {
        int32_t best = -1;
        int64_t best_room = 0;
        bool best_opened = false;
        for (size_t g = 0; g < node->gpu_count; g++) {
            int32_t d = p->offset[k] + (int32_t)g;
            bool opened = p->device_use[d] > 0 || p->device_free[d] < s->nodes[k].gpus[g].capacity;
            int64_t room = p->device_free[d] - p->device_use[d];
            bool picked = false;
            for (int32_t i = 0; i < n && !picked; i++)
                picked = p->pick[i] == d;
            if (picked || room < al__task_units(task, node->gpus[g].memory_mib) ||
                (!opened && p->use_devices[k] >= p->free_devices[k]))
                continue;
            if (best < 0 || (opened && !best_opened) ||
                (opened == best_opened && opened && room < best_room)) {
                best = d;
                best_room = room;
                best_opened = opened;
            }
        }
        p->pick[n++] = best;
        if (!best_opened)
            p->use_devices[k]++; /* an all-free device the plan opens */
        p->device_use[best] += al__task_units(task, node->gpus[best - p->offset[k]].memory_mib);
    }
    p->use_shared[k]++;
}

/* Places tasks[0..n) (by s->node_order ids, whole-GPU tasks largest first, then shared ones) on
 * the free capacity of the sweep: a whole-GPU task on the usable node with the fewest all-free
 * devices left that fits, a shared one on a node the plan already uses, else the one with the
 * most room for it; then by name. */
static bool plan_fits(const struct al__session *s, struct plan *p, const int32_t *tasks,
                      int32_t n) {
    const struct al_cluster *c = s->cluster;
    size_t nodes = c->node_count;
    memset(p->use_devices, 0, nodes * sizeof(int32_t));
    memset(p->use_shared, 0, nodes * sizeof(int32_t));
    memset(p->use_cpu, 0, nodes * sizeof(int64_t));
    memset(p->use_memory, 0, nodes * sizeof(int64_t));
    if (p->shared)
        memset(p->device_use, 0, p->devices * sizeof(int64_t));
    for (int32_t i = 0; i < n; i++) {
        const struct al_task *task = &c->tasks[tasks[i]];
        bool shared = al__task_is_shared(task);
        int32_t best = -1, best_free = 0;
        bool best_touched = false;
        for (size_t r = 0; r < nodes; r++) {
            int32_t k = s->node_order[r];
            int32_t room =
                shared ? shared_room(s, p, k, task) : p->free_devices[k] - p->use_devices[k];
            bool touched = p->use_devices[k] > 0 || p->use_shared[k] > 0;
            if (!p->usable[k] || room < (shared ? task->gpu_devices : task->gpus) ||
                p->free_cpu[k] - p->use_cpu[k] < task->cpu_millis ||
                p->free_memory[k] - p->use_memory[k] < task->memory_bytes)
                continue;
            /* whole tasks: best fit; shared ones: the nodes the plan holds, then the most room,
             * so that a gang of small shares holds as few nodes as it can */
            if (best < 0 ||
                (shared ? touched > best_touched || (touched == best_touched && room > best_free)
                        : room < best_free)) {
                best = k;
                best_free = room;
                best_touched = touched;
            }
        }
        if (best < 0)
            return false;
        if (shared)
            shared_take(s, p, best, task);
        else
            p->use_devices[best] += task->gpus;
        p->use_cpu[best] += task->cpu_millis;
        p->use_memory[best] += task->memory_bytes;
    }
    return true;
}

/* Larger whole-GPU requests first (they are the hard ones), then shared tasks on more devices,
 * then task order. */
static int bigger_first(int32_t a, int32_t b, const void *ctx) {
    const struct al_cluster *c = ctx;
    if (c->tasks[a].gpus != c->tasks[b].gpus)
        return c->tasks[a].gpus > c->tasks[b].gpus ? -1 : 1;
    if (c->tasks[a].gpu_devices != c->tasks[b].gpu_devices)
        return c->tasks[a].gpu_devices > c->tasks[b].gpu_devices ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* Records the reservation of job j from `at` on the nodes the plan uses. */
static int reserve(struct al__session *s, const struct plan *p, int32_t j, int64_t at) {
    const struct al_cluster *c = s->cluster;
    if (!s->reserved_by) {
        s->reserved_by = al__arena_array(&s->arena, c->node_count + 1, sizeof(int32_t));
        s->reserved_from = al__arena_array(&s->arena, c->node_count + 1, sizeof(int64_t));
        s->reserving_jobs = al__arena_array(&s->arena, c->job_count + 1, sizeof(int32_t));
        s->reserving_start = al__arena_array(&s->arena, c->job_count + 1, sizeof(int64_t));
        if (!s->reserved_by || !s->reserved_from || !s->reserving_jobs || !s->reserving_start) {
            s->reserved_by = NULL;
            return -AL_ENOMEM;
        }
        for (size_t k = 0; k < c->node_count; k++)
            s->reserved_by[k] = -1;
    }
    for (size_t k = 0; k < c->node_count; k++)
        if (p->use_devices[k] > 0 || p->use_shared[k] > 0 || p->use_cpu[k] > 0 ||
            p->use_memory[k] > 0) {
            s->reserved_by[k] = j;
            s->reserved_from[k] = at;
        }
    s->reserving_jobs[s->reserving_count] = j;
    s->reserving_start[s->reserving_count++] = at;
    return 0;
}

bool al__reservation_held(const struct al__session *s, int32_t j) {
    for (int32_t i = 0; i < s->reserving_count; i++)
        if (s->reserving_jobs[i] == j)
            return true;
    return false;
}

/* ceil(a / b) for a >= 0, b > 0. */
static int64_t up(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

/* What the step needs at least, against what the sweep has freed on usable nodes: all-free
 * devices (and slots of `most` of them per node for the largest whole tasks), GPU milli (each
 * device's free part rounded up) and, for memory requests, MiB. Necessary, not sufficient:
 * plan_fits decides. */
struct bound {
    int64_t need, slots_need, need_milli, need_mib;
    int64_t free_total, slots, free_milli, free_mib;
    int32_t most;
};

static void bound_init(const struct al_cluster *c, const int32_t *order, int32_t n, struct bound *b,
                       bool *shared) {
    memset(b, 0, sizeof(*b));
    b->most = c->tasks[order[0]].gpus;
    *shared = false;
    for (int32_t i = 0; i < n; i++) {
        const struct al_task *task = &c->tasks[order[i]];
        b->need += task->gpus;
        b->slots_need += b->most > 0 && task->gpus == b->most;
        b->need_milli += (int64_t)task->gpus * 1000 + (int64_t)task->gpu_milli * task->gpu_devices;
        b->need_mib += (int64_t)task->gpu_memory_mib * task->gpu_devices;
        *shared = *shared || al__task_is_shared(task);
    }
}

/* Applies one event to the sweep's free capacity and the bound. */
static void plan_apply(const struct al__session *s, struct plan *p, struct bound *b,
                       const struct event *ev) {
    if (ev->device < 0) {
        p->free_cpu[ev->node] += ev->cpu;
        p->free_memory[ev->node] += ev->memory;
        return;
    }
    int32_t d = p->offset[ev->node] + ev->device;
    int64_t capacity = s->nodes[ev->node].gpus[ev->device].capacity;
    int64_t before = p->device_free[d], after = before + ev->units;
    p->device_free[d] = after;
    if (!p->usable[ev->node]) {
        p->free_devices[ev->node] += after == capacity;
        return;
    }
    b->free_milli += up(after * 1000, capacity) - up(before * 1000, capacity);
    b->free_mib += up(after, 1000) - up(before, 1000);
    if (after == capacity) {
        int32_t f = p->free_devices[ev->node]++;
        b->free_total++;
        if (b->most > 0)
            b->slots += (f + 1) / b->most - f / b->most;
    }
}

int al__reservation_make(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                         bool only_later) {
    const struct al_cluster *c = s->cluster;
    if (s->reservation_plans >= AL__MAX_RESERVATION_PLANS)
        return 0;
    s->reservation_plans++;
    size_t devices = 0, events = 0;
    for (size_t k = 0; k < c->node_count; k++)
        devices += c->nodes[k].gpu_count;
    for (size_t t = 0; t < c->task_count; t++)
        if (al_task_is_active(s->tasks[t].state) && s->tasks[t].node >= 0)
            events += (size_t)s->tasks[t].gpu_count + 1;
    struct plan p;
    int32_t *order = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (!order || plan_alloc(&p, c->node_count, devices, devices + events) < 0) {
        free(order);
        return -AL_ENOMEM;
    }
    memcpy(order, tasks, (size_t)n * sizeof(int32_t));
    int rc = al__sort_ids(order, (size_t)n, bigger_first, c) < 0 ? -AL_ENOMEM : 0;
    struct bound b;
    bound_init(c, order, n, &b, &p.shared);
    usable_nodes(s, &p, j, tasks, n);
    plan_events(s, &p);
    for (size_t e = 0; e < p.event_count && rc == 0;) {
        int64_t at = p.events[e].at;
        for (; e < p.event_count && p.events[e].at == at; e++) /* everything freed by `at` */
            plan_apply(s, &p, &b, &p.events[e]);
        if (b.free_total >= b.need && b.slots >= b.slots_need && b.free_milli >= b.need_milli &&
            b.free_mib >= b.need_mib && plan_fits(s, &p, order, n)) {
            if (!only_later || at > c->now_s)
                rc = reserve(s, &p, j, at);
            break;
        }
    }
    plan_free(&p);
    free(order);
    return rc;
}

/* Reserving jobs first by priority (higher), then age (older), then name: across queues, so that
 * a large gang's turn does not depend on where its queue stands in this cycle's queue order. */
static int reserving_first(int32_t a, int32_t b, const void *ctx) {
    const struct al_cluster *c = ctx;
    const struct al_job *x = &c->jobs[a], *y = &c->jobs[b];
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    if (x->created_s != y->created_s)
        return x->created_s < y->created_s ? -1 : 1;
    int r = strcmp(x->name, y->name);
    return r ? r : (a > b) - (a < b);
}

int al__reservations_prepare(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    if (c->config.reservation_min_gpus <= 0)
        return 0;
    size_t count = 0;
    int32_t *jobs = malloc((c->job_count + 1) * sizeof(int32_t));
    int32_t *tasks = malloc((s->max_job_tasks + 1) * sizeof(int32_t));
    int32_t *sub_need = malloc((s->max_subgroups + 1) * sizeof(int32_t));
    int rc = jobs && tasks && sub_need ? 0 : -AL_ENOMEM;
    for (size_t j = 0; rc == 0 && j < c->job_count; j++)
        if (s->jobs[j].pending > 0 && al__reservation_candidate(s, (int32_t)j))
            jobs[count++] = (int32_t)j;
    if (rc == 0 && al__sort_ids(jobs, count, reserving_first, c) < 0)
        rc = -AL_ENOMEM;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        bool complete;
        int32_t n = al__job_next_tasks(s, jobs[i], NULL, tasks, sub_need, &complete);
        int64_t req[AL_RESOURCE_COUNT];
        struct al_explanation why = {.job = jobs[i]};
        if (n == 0 || !complete)
            continue;
        al__tasks_request(s, tasks, n, req);
        if (al__quota_admits(s, jobs[i], req, &why)) /* a quota that blocks it: no use */
            rc = al__reservation_make(s, jobs[i], tasks, n, true);
    }
    free(jobs);
    free(tasks);
    free(sub_need);
    return rc;
}
