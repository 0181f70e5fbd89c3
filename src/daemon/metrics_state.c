/* metrics_state.c - GET /metrics: the gauges read from allotd's state (queues, nodes and
 * devices, workloads by state), copied under the state lock and rendered after it, with the
 * counters of metrics.c; who may scrape. */
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/metrics.h"
#include "daemon/reservations.h"
#include "daemon/tasks.h"
#include "util/xalloc.h"

#define WSTATES 6 /* enum al__wstate */

struct queue_row {
    char name[AL__NAME_MAX], department[AL__NAME_MAX];
    bool project;
    int64_t deserved[AL_RESOURCE_COUNT], fair_share[AL_RESOURCE_COUNT];
    int64_t allocated[AL_RESOURCE_COUNT], requested[AL_RESOURCE_COUNT];
    int64_t usage_ppm[AL_RESOURCE_COUNT];
};

struct device_row {
    size_t node;
    int32_t index, memory_mib;
    char model[64];
    int64_t milli, memory_bytes; /* allocated */
    bool busy_known, used_known; /* the backend measured the two below (NVML) */
    double utilization;
    int64_t memory_used;
};

struct node_row {
    char name[AL__NODE_NAME_MAX];
    int64_t cpu_millis, memory_bytes;         /* allocatable */
    int64_t gpu_milli, used_cpu, used_memory; /* allocated */
    size_t gpu_count;
    /* MIG instances it offers by profile, and those held (same index) */
    struct al__node_mig migs[AL__NODE_MIGS_MAX];
    int64_t mig_used[AL__NODE_MIGS_MAX];
    size_t mig_count;
};

/* What a scrape reads of the state, copied under the lock. */
struct gathered {
    struct queue_row *queues;
    size_t queue_count;
    struct node_row *nodes;
    size_t node_count;
    struct device_row *devices;
    size_t device_count;
    uint64_t workloads[WSTATES];
    size_t retired;
    size_t reservations, reserved_nodes; /* of large gangs, made by the last cycle */
    uint64_t cycles;
    int64_t started_s;
};

static void gather_queues(const struct allotd *d, struct gathered *g) {
    g->queue_count = d->state.queue_count;
    g->queues = al__xcalloc(g->queue_count + 1, sizeof(*g->queues));
    for (size_t i = 0; i < g->queue_count; i++) {
        const struct al__dqueue *q = &d->state.queues[i];
        struct queue_row *r = &g->queues[i];
        memcpy(r->name, q->name, sizeof(r->name));
        memcpy(r->department, q->project ? q->parent : q->name, sizeof(r->department));
        r->project = q->project;
        memcpy(r->deserved, q->deserved, sizeof(r->deserved));
        memcpy(r->fair_share, q->fair_share, sizeof(r->fair_share));
        memcpy(r->allocated, q->allocated, sizeof(r->allocated));
        memcpy(r->requested, q->requested, sizeof(r->requested));
        memcpy(r->usage_ppm, q->usage_ppm, sizeof(r->usage_ppm));
    }
}

/* Milli-GPU and memory a task holds on one device of `mib` MiB. */
static void device_share(const struct al__task_request *r, int32_t mib, int64_t *milli,
                         int64_t *bytes) {
    int64_t total = (int64_t)mib << 20;
    *milli = al__task_device_milli(r, mib);
    if (r->gpus > 0)
        *bytes = total;
    else if (r->gpu_milli > 0)
        *bytes = total * r->gpu_milli / 1000;
    else
        *bytes = (int64_t)r->gpu_memory_mib << 20;
}

/* What running and stopping tasks hold (as GET /api/v1/nodes counts it), from the workloads
 * that may hold anything (AL__HOLDING) rather than every one. */
static void gather_usage(const struct allotd *d, struct gathered *g, const size_t *first) {
    const struct al__wset_items *holding = &d->state.sets[AL__HOLDING];
    for (size_t i = 0; i < holding->count; i++) {
        const struct al__dworkload *w = holding->items[i];
        for (int32_t k = 0; k < w->spec.workers; k++) {
            const struct al__dtask *t = &w->tasks[k];
            const struct al__node *node = al__task_node(d, t);
            if (!node || (t->state != AL__T_RUNNING && t->state != AL__T_STOPPING))
                continue;
            struct al__task_request r = al__task_request_of(w, t->index);
            g->nodes[t->node].used_cpu += r.cpu_millis;
            g->nodes[t->node].used_memory += r.memory_bytes;
            g->nodes[t->node].gpu_milli += r.mig_milli; /* its MIG instances: on no device */
            struct node_row *nr = &g->nodes[t->node];
            for (int32_t m = 0; m < w->spec.mig_profiles; m++)
                for (size_t s = 0; s < nr->mig_count; s++)
                    if (strcmp(nr->migs[s].profile, w->spec.migs[m].profile) == 0)
                        nr->mig_used[s] += w->spec.migs[m].count;
            for (size_t k2 = 0; k2 < t->gpu_count; k2++) {
                int32_t dev = t->gpus[k2];
                if (dev < 0 || (size_t)dev >= node->gpu_count)
                    continue;
                struct device_row *row = &g->devices[first[t->node] + (size_t)dev];
                int64_t milli, bytes;
                device_share(&r, node->gpus[dev].memory_mib, &milli, &bytes);
                row->milli += milli;
                row->memory_bytes += bytes;
                g->nodes[t->node].gpu_milli += milli;
            }
        }
    }
}

static void gather_nodes(const struct allotd *d, struct gathered *g) {
    const struct al__inventory *inv = &d->backend.inventory;
    size_t *first = NULL;
    g->device_count = al__inventory_devices(inv, &first);
    g->devices = al__xcalloc(g->device_count + 1, sizeof(*g->devices));
    g->node_count = inv->node_count;
    g->nodes = al__xcalloc(g->node_count + 1, sizeof(*g->nodes));
    for (size_t i = 0; i < inv->node_count; i++) {
        const struct al__node *n = &inv->nodes[i];
        struct node_row *r = &g->nodes[i];
        snprintf(r->name, sizeof(r->name), "%s", n->name);
        r->cpu_millis = n->cpu_millis;
        r->memory_bytes = n->memory_bytes;
        r->gpu_count = n->gpu_count;
        r->mig_count = n->mig_count;
        memcpy(r->migs, n->migs, n->mig_count * sizeof(n->migs[0]));
        for (size_t k = 0; k < n->gpu_count; k++) {
            struct device_row *dev = &g->devices[first[i] + k];
            dev->node = i;
            dev->index = (int32_t)k;
            dev->memory_mib = n->gpus[k].memory_mib;
            memcpy(dev->model, n->gpus[k].model, sizeof(dev->model));
        }
    }
    gather_usage(d, g, first);
    free(first);
}

/* Copies what the gauges show; the state lock is held. O(queues + devices + workloads in
 * memory): the pass counting workloads by state reads one word of each. */
static void gather(const struct allotd *d, struct gathered *g) {
    memset(g, 0, sizeof(*g));
    gather_queues(d, g);
    gather_nodes(d, g);
    for (size_t i = 0; i < d->state.workload_count; i++) {
        unsigned s = (unsigned)d->state.workloads[i]->state;
        if (s < WSTATES)
            g->workloads[s]++;
    }
    g->retired = d->state.retired.count;
    g->reservations = d->reservation_count;
    g->reserved_nodes = 0;
    for (size_t i = 0; i < d->reservation_count; i++)
        g->reserved_nodes += d->reservations[i].node_count;
    g->cycles = d->cycles;
    g->started_s = d->started_s;
}

static void gathered_release(struct gathered *g) {
    free(g->queues);
    free(g->nodes);
    free(g->devices);
}

/* A queue measure in the units the metrics use: GPUs, cores, bytes. */
static double in_units(int r, int64_t v) {
    return r == AL_MEMORY ? (double)v : (double)v / 1000.0;
}

/* Time-based fair share: each queue's recent usage, a share of the cluster's capacity. */
static void render_usage(const struct gathered *g, struct al__expo *e) {
    static const char *const name = "allot_queue_usage_share";
    al__expo_family(e, name, "gauge",
                    "Recent usage per project and department (queue) and resource: what it held "
                    "over the usage window, decayed by age, as a share of the cluster's capacity "
                    "(time-based fair share).");
    for (size_t i = 0; i < g->queue_count; i++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            const struct queue_row *q = &g->queues[i];
            struct al__labels l = {.len = 0};
            al__labels_add(&l, "queue", q->name);
            al__labels_add(&l, "kind", q->project ? "project" : "department");
            al__labels_add(&l, "department", q->department);
            al__labels_add(&l, "resource", al_resource_name((enum al_resource)r));
            al__expo_sample(e, name, &l, (double)q->usage_ppm[r] / AL_USAGE_PPM);
        }
}

static void render_queues(const struct gathered *g, struct al__expo *e) {
    static const char *const measures[] = {"deserved", "fair_share", "allocated", "requested",
                                           "pending"};
    static const char *const helps[] = {
        "Deserved quota (no sample where it is unlimited)",
        "Fair share from the last cycle: deserved plus its share of what others leave",
        "Allocated by its running workloads, as of the last cycle",
        "Requested by its workloads, running and pending, as of the last cycle",
        "Requested and not allocated, as of the last cycle"};
    static const char *const units[AL_RESOURCE_COUNT] = {"gpus", "cpu_cores", "memory_bytes"};
    static const char *const unit_help[AL_RESOURCE_COUNT] = {"GPUs", "CPU cores",
                                                             "bytes of memory"};
    for (int m = 0; m < 5; m++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            char name[96], help[256];
            snprintf(name, sizeof(name), "allot_queue_%s_%s", measures[m], units[r]);
            snprintf(help, sizeof(help), "%s, in %s, per project and department (queue).", helps[m],
                     unit_help[r]);
            al__expo_family(e, name, "gauge", help);
            for (size_t i = 0; i < g->queue_count; i++) {
                const struct queue_row *q = &g->queues[i];
                int64_t v = m == 0   ? q->deserved[r]
                            : m == 1 ? q->fair_share[r]
                            : m == 2 ? q->allocated[r]
                            : m == 3 ? q->requested[r]
                                     : q->requested[r] - q->allocated[r];
                if (m == 0 && v < 0)
                    continue; /* unlimited */
                struct al__labels l = {.len = 0};
                al__labels_add(&l, "queue", q->name);
                al__labels_add(&l, "kind", q->project ? "project" : "department");
                al__labels_add(&l, "department", q->department);
                al__expo_sample(e, name, &l, in_units(r, v < 0 ? 0 : v));
            }
        }
}

static void node_family(struct al__expo *e, const struct gathered *g, const char *name,
                        const char *help, int which) {
    al__expo_family(e, name, "gauge", help);
    for (size_t i = 0; i < g->node_count; i++) {
        const struct node_row *n = &g->nodes[i];
        double v = which == 0   ? (double)n->gpu_count
                   : which == 1 ? (double)n->cpu_millis / 1000.0
                   : which == 2 ? (double)n->memory_bytes
                   : which == 3 ? (double)n->gpu_milli / 1000.0
                   : which == 4 ? (double)n->used_cpu / 1000.0
                                : (double)n->used_memory;
        struct al__labels l = {.len = 0};
        al__expo_sample(e, name, al__labels_add(&l, "node", n->name), v);
    }
}

/* MIG instances per node and profile, offered or held; no family where no node offers any. */
static void mig_family(struct al__expo *e, const struct gathered *g, const char *name,
                       const char *help, bool held) {
    bool any = false;
    for (size_t i = 0; i < g->node_count && !any; i++)
        any = g->nodes[i].mig_count > 0;
    if (!any)
        return;
    al__expo_family(e, name, "gauge", help);
    for (size_t i = 0; i < g->node_count; i++) {
        const struct node_row *n = &g->nodes[i];
        for (size_t m = 0; m < n->mig_count; m++) {
            struct al__labels l = {.len = 0};
            al__labels_add(&l, "node", n->name);
            al__labels_add(&l, "profile", n->migs[m].profile);
            al__expo_sample(e, name, &l, held ? (double)n->mig_used[m] : (double)n->migs[m].count);
        }
    }
}

static void device_family(struct al__expo *e, const struct gathered *g, const char *name,
                          const char *help, int which) {
    al__expo_family(e, name, "gauge", help);
    for (size_t i = 0; i < g->device_count; i++) {
        const struct device_row *dev = &g->devices[i];
        char index[16];
        double v = which == 0   ? (double)((int64_t)dev->memory_mib << 20)
                   : which == 1 ? (double)dev->milli / 1000.0
                                : (double)dev->memory_bytes;
        snprintf(index, sizeof(index), "%d", (int)dev->index);
        struct al__labels l = {.len = 0};
        al__labels_add(&l, "node", g->nodes[dev->node].name);
        al__labels_add(&l, "gpu", index);
        al__labels_add(&l, "model", dev->model);
        al__expo_sample(e, name, &l, v);
    }
}

/* What the backend measures of the devices (NVML), read after the state lock is let go: a
 * device it does not measure gets no sample rather than a made-up 0. */
static void measure_devices(struct allotd *d, struct gathered *g) {
    const struct al__backend_type *t = d->backend.type;
    for (size_t i = 0; i < g->device_count; i++) {
        struct device_row *dev = &g->devices[i];
        int percent = 0;
        dev->busy_known =
            t->gpu_busy && t->gpu_busy(&d->backend, dev->node, dev->index, &percent) == 0;
        dev->utilization = percent / 100.0;
        dev->used_known =
            t->gpu_memory_used &&
            t->gpu_memory_used(&d->backend, dev->node, dev->index, &dev->memory_used) == 0;
    }
}

static void measured_family(struct al__expo *e, const struct gathered *g, const char *name,
                            const char *help, bool utilization) {
    size_t measured = 0;
    for (size_t i = 0; i < g->device_count; i++)
        measured += utilization ? g->devices[i].busy_known : g->devices[i].used_known;
    if (!measured)
        return;
    al__expo_family(e, name, "gauge", help);
    for (size_t i = 0; i < g->device_count; i++) {
        const struct device_row *dev = &g->devices[i];
        char index[16];
        if (!(utilization ? dev->busy_known : dev->used_known))
            continue;
        snprintf(index, sizeof(index), "%d", (int)dev->index);
        struct al__labels l = {.len = 0};
        al__labels_add(&l, "node", g->nodes[dev->node].name);
        al__labels_add(&l, "gpu", index);
        al__labels_add(&l, "model", dev->model);
        al__expo_sample(e, name, &l, utilization ? dev->utilization : (double)dev->memory_used);
    }
}

static void render_nodes(const struct gathered *g, struct al__expo *e) {
    node_family(e, g, "allot_node_gpus", "GPU devices of the node.", 0);
    node_family(e, g, "allot_node_cpu_cores", "Allocatable CPU cores of the node.", 1);
    node_family(e, g, "allot_node_memory_bytes", "Allocatable memory of the node, bytes.", 2);
    node_family(e, g, "allot_node_allocated_gpus",
                "GPUs allocated on the node to running and stopping tasks (fractions summed; a "
                "MIG instance of profile <G>g.<M>gb as G GPUs).",
                3);
    mig_family(e, g, "allot_node_mig_instances", "MIG instances the node offers, by profile.",
               false);
    mig_family(e, g, "allot_node_allocated_mig_instances",
               "MIG instances held on the node by running and stopping tasks, by profile.", true);
    node_family(e, g, "allot_node_allocated_cpu_cores",
                "CPU cores allocated on the node to running and stopping tasks.", 4);
    node_family(e, g, "allot_node_allocated_memory_bytes",
                "Memory allocated on the node to running and stopping tasks, bytes.", 5);
    device_family(e, g, "allot_gpu_memory_bytes", "Memory of the GPU device, bytes.", 0);
    device_family(e, g, "allot_gpu_allocated_ratio",
                  "Portion of the GPU device allocated (1 = whole; fractions summed).", 1);
    device_family(e, g, "allot_gpu_allocated_memory_bytes",
                  "Memory of the GPU device allocated to tasks, bytes (a whole device's all, a "
                  "fraction's share, a memory request's amount).",
                  2);
    measured_family(e, g, "allot_gpu_utilization_ratio",
                    "Utilisation of the GPU device as NVML measures it (the share of its last "
                    "sample period a kernel ran); only devices NVML measures.",
                    true);
    measured_family(e, g, "allot_gpu_memory_used_bytes",
                    "Memory of the GPU device in use as NVML measures it, bytes; only devices "
                    "NVML measures.",
                    false);
}

static void render_state(const struct gathered *g, struct al__expo *e) {
    render_queues(g, e);
    render_usage(g, e);
    render_nodes(g, e);
    al__expo_family(e, "allot_workloads", "gauge",
                    "Workloads in memory by state (finished ones leave memory after the "
                    "retention period: allot_workloads_retired).");
    for (int s = 0; s < WSTATES; s++) {
        struct al__labels l = {.len = 0};
        al__expo_sample(e, "allot_workloads",
                        al__labels_add(&l, "state", al__wstate_name((enum al__wstate)s)),
                        (double)g->workloads[s]);
    }
    al__expo_family(e, "allot_workloads_retired", "gauge",
                    "Finished workloads past the retention period, kept in the store only.");
    al__expo_sample(e, "allot_workloads_retired", NULL, (double)g->retired);
    al__expo_family(e, "allot_reservations", "gauge",
                    "Reservations of large gangs the last cycle made (--reservation-min-gpus).");
    al__expo_sample(e, "allot_reservations", NULL, (double)g->reservations);
    al__expo_family(e, "allot_reserved_nodes", "gauge",
                    "Nodes those reservations hold for their gangs.");
    al__expo_sample(e, "allot_reserved_nodes", NULL, (double)g->reserved_nodes);
    al__expo_family(e, "allot_cycles_total", "counter",
                    "Scheduling cycles that ran the engine since allotd started.");
    al__expo_sample(e, "allot_cycles_total", NULL, (double)g->cycles);
    al__expo_family(e, "allot_start_time_seconds", "gauge",
                    "When allotd started, seconds since the Unix epoch.");
    al__expo_sample(e, "allot_start_time_seconds", NULL, (double)g->started_s);
}

char *al__metrics_text(struct allotd *d, size_t *len, uint64_t *locked_ns) {
    struct gathered g;
    struct al__expo e = {NULL, 0, 0};
    pthread_mutex_lock(&d->lock);
    uint64_t began = al__monotonic_ns();
    gather(d, &g);
    *locked_ns = al__monotonic_ns() - began;
    pthread_mutex_unlock(&d->lock);
    measure_devices(d, &g);
    render_state(&g, &e);
    al__expo_family(&e, "allot_scrape_lock_seconds", "gauge",
                    "How long this scrape held the state lock, copying what its gauges show.");
    al__expo_sample(&e, "allot_scrape_lock_seconds", NULL, (double)*locked_ns / 1e9);
    gathered_release(&g);
    al__metrics_render_counters(&d->metrics, &e);
    *len = e.len;
    return e.text ? e.text : al__xstrdup("");
}

void al__metrics_reply(struct allotd *d, const struct al__principal *who, const char *method,
                       struct al__reply *rep) {
    size_t len;
    uint64_t locked_ns;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        al__reply_error(rep, "method_not_allowed", NULL, "/metrics answers GET");
        return;
    }
    if (strcmp(who->subject, AL__METRICS_SUBJECT) != 0 &&
        !al__may_somewhere(who, AL__RES_METRICS, AL__VERB_READ)) {
        al__reply_error(rep, "permission_denied", NULL, "%s holds no role that may read metrics",
                        who->subject);
        return;
    }
    rep->text = al__metrics_text(d, &len, &locked_ns);
    rep->text_len = len;
    rep->status = 200;
    rep->content_type = AL__EXPO_CONTENT_TYPE;
}
