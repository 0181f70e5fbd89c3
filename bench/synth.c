/* synth.c - synthetic clusters for the benchmarks (see synth.h). */
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const struct {
    const char *model;
    int32_t memory_mib;
} gpu_model_list[] = {{"H100-80GB", 81920}, {"A100-40GB", 40960}, {"L40S", 49152}, {"T4", 16384}};

static uint64_t next_random(uint64_t *state) { /* xorshift64* */
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717ULL;
}

static int32_t below(uint64_t *state, int32_t n) {
    return n <= 1 ? 0 : (int32_t)(next_random(state) % (uint64_t)n);
}

void synth_params_init(struct synth_params *p) {
    memset(p, 0, sizeof(*p));
    p->seed = 1;
    p->nodes = p->gpu_nodes = 64;
    p->gpus_per_node = 8;
    p->gpu_models = 1;
    p->node_cpu_millis = 128000;
    p->node_memory_bytes = 1024LL << 30;
    p->departments = 8;
    p->projects = 4;
    p->gpu_running_pct = 50;
    p->pending_tasks = 256;
    p->max_gang = 4;
    p->preemptible_pct = 80;
    p->multi_gpu_pct = -1;
}

static void add_label(struct al_node *n, const char *key, const char *value) {
    n->labels = al__xroom(n->labels, n->label_count, sizeof(*n->labels));
    n->labels[n->label_count].key = al__xstrdup(key);
    n->labels[n->label_count].value = al__xstrdup(value);
    n->label_count++;
}

int32_t synth_add_node(struct al_cluster *c, const char *name, int32_t gpus, int32_t memory_mib,
                       int64_t cpu, int64_t memory_bytes) {
    c->nodes = al__xroom(c->nodes, c->node_count, sizeof(*c->nodes));
    struct al_node *n = &c->nodes[c->node_count];
    n->name = al__xstrdup(name);
    n->cpu_millis = cpu;
    n->memory_bytes = memory_bytes;
    n->gpu_count = (size_t)gpus;
    n->gpus = al__xrealloc(NULL, ((size_t)gpus + 1) * sizeof(*n->gpus));
    memset(n->gpus, 0, ((size_t)gpus + 1) * sizeof(*n->gpus));
    for (int32_t g = 0; g < gpus; g++)
        n->gpus[g].memory_mib = memory_mib;
    return (int32_t)c->node_count++;
}

int32_t synth_add_queue(struct al_cluster *c, const char *name, int32_t parent,
                        int64_t deserved_gpu) {
    c->queues = al__xroom(c->queues, c->queue_count, sizeof(*c->queues));
    struct al_queue *q = &c->queues[c->queue_count];
    q->name = al__xstrdup(name);
    q->parent = parent;
    q->priority = 100;
    q->created = (int64_t)c->queue_count;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        q->deserved[r] = q->limit[r] = AL_UNLIMITED;
        q->weight[r] = 1;
    }
    q->deserved[AL_GPU] = deserved_gpu;
    return (int32_t)c->queue_count++;
}

int32_t synth_add_job(struct al_cluster *c, const char *name, int32_t queue, int32_t priority,
                      int32_t min_members, int64_t created_s) {
    c->jobs = al__xroom(c->jobs, c->job_count, sizeof(*c->jobs));
    struct al_job *j = &c->jobs[c->job_count];
    j->name = al__xstrdup(name);
    j->queue = queue;
    j->priority = priority;
    j->preemptible = priority < 100;
    j->min_members = min_members;
    j->created_s = created_s;
    j->first_task = c->task_count;
    return (int32_t)c->job_count++;
}

int32_t synth_add_task(struct al_cluster *c, int32_t node, int32_t gpus, int32_t gpu_milli,
                       const int32_t *devices, int64_t cpu_millis, int64_t memory_bytes) {
    struct al_job *j = &c->jobs[c->job_count - 1];
    char name[96];
    snprintf(name, sizeof(name), "%s-%03zu", j->name, j->task_count);
    c->tasks = al__xroom(c->tasks, c->task_count, sizeof(*c->tasks));
    struct al_task *t = &c->tasks[c->task_count];
    t->name = al__xstrdup(name);
    t->job = (int32_t)(c->job_count - 1);
    t->state = node >= 0 ? AL_TASK_RUNNING : AL_TASK_PENDING;
    t->node = node;
    t->gpus = gpus;
    t->gpu_milli = gpu_milli;
    t->gpu_devices = 1;
    t->cpu_millis = cpu_millis;
    t->memory_bytes = memory_bytes;
    t->subgroup = -1;
    size_t n = gpus > 0 ? (size_t)gpus : gpu_milli > 0 ? 1 : 0;
    if (node >= 0 && n > 0) {
        t->gpu_indices = al__xrealloc(NULL, n * sizeof(int32_t));
        memcpy(t->gpu_indices, devices, n * sizeof(int32_t));
        t->gpu_index_count = n;
    }
    j->task_count++;
    return (int32_t)c->task_count++;
}

static void build_nodes(const struct synth_params *p, struct al_cluster *c) {
    char name[32], value[32];
    int32_t models = p->gpu_models < 1 ? 1 : p->gpu_models > 4 ? 4 : p->gpu_models;
    for (int32_t i = 0; i < p->nodes; i++) {
        snprintf(name, sizeof(name), "n%06d", i);
        bool gpu = i < p->gpu_nodes;
        int32_t m = i % models;
        int32_t id =
            synth_add_node(c, name, gpu ? p->gpus_per_node : 0, gpu_model_list[m].memory_mib,
                           p->node_cpu_millis, p->node_memory_bytes);
        struct al_node *n = &c->nodes[id];
        for (size_t g = 0; g < n->gpu_count; g++)
            n->gpus[g].model = al__xstrdup(gpu_model_list[m].model);
        if (p->pools > 0) {
            snprintf(value, sizeof(value), "pool-%d", i % p->pools);
            n->pool = al__xstrdup(value);
            add_label(n, "pool", value);
        }
        if (p->zones > 0) {
            snprintf(value, sizeof(value), "zone-%d", (i / 7) % p->zones);
            add_label(n, "zone", value);
        }
    }
}

/* Departments, optional teams, projects; returns the leaf queues in leaves[]. */
static int32_t build_queues(const struct synth_params *p, struct al_cluster *c, int32_t *leaves) {
    char name[48];
    int64_t total = 0;
    int32_t count = 0, teams = p->teams > 0 ? p->teams : 1;
    for (int32_t i = 0; i < p->gpu_nodes; i++)
        total += (int64_t)p->gpus_per_node * 1000;
    int64_t per_dept = total / (p->departments > 0 ? p->departments : 1);
    for (int32_t d = 0; d < p->departments; d++) {
        snprintf(name, sizeof(name), "d%03d", d);
        int32_t dept = synth_add_queue(c, name, -1, per_dept);
        for (int32_t t = 0; t < teams; t++) {
            int32_t parent = dept;
            if (p->teams > 0) {
                snprintf(name, sizeof(name), "d%03d-t%02d", d, t);
                parent = synth_add_queue(c, name, dept, per_dept / teams);
            }
            for (int32_t q = 0; q < p->projects; q++) {
                snprintf(name, sizeof(name), "d%03d-t%02d-p%03d", d, t, q);
                leaves[count++] = synth_add_queue(c, name, parent, per_dept / teams / p->projects);
            }
        }
    }
    return count;
}

/* A running one-task job. */
static void running_job(struct al_cluster *c, uint64_t *rng, const struct synth_params *p,
                        const int32_t *leaves, int32_t leaf_count, int32_t node, int32_t gpus,
                        int32_t milli, const int32_t *devices, int64_t cpu) {
    char name[32];
    snprintf(name, sizeof(name), "r%07zu", c->job_count);
    int32_t prio = below(rng, 100) < p->preemptible_pct ? 50 : 100;
    synth_add_job(c, name, leaves[below(rng, leaf_count)], prio, 1,
                  -100000 + (int64_t)c->job_count);
    synth_add_task(c, node, gpus, milli, devices, cpu, 1LL << 30);
}

/* Fills GPU node n to about gpu_running_pct of its devices with whole and shared tasks. */
static void fill_gpu_node(struct al_cluster *c, uint64_t *rng, const struct synth_params *p,
                          const int32_t *leaves, int32_t leaf_count, int32_t n) {
    int32_t devices = p->gpus_per_node, target = devices * p->gpu_running_pct / 100;
    int32_t used[64] = {0}, next = 0, partial = -1;
    if (below(rng, 100) < devices * p->gpu_running_pct % 100)
        target++;
    while (next < target && next < 64) {
        if (below(rng, 100) < p->fraction_pct) {
            int32_t milli = below(rng, 2) ? 250 : 500;
            if (partial < 0 || used[partial] + milli > 1000)
                partial = next++;
            used[partial] += milli;
            running_job(c, rng, p, leaves, leaf_count, n, 0, milli, &partial, 2000);
            continue;
        }
        int32_t size = 1 << below(rng, 3), dev[64];
        if (size > target - next)
            size = target - next;
        for (int32_t g = 0; g < size; g++)
            dev[g] = next++;
        running_job(c, rng, p, leaves, leaf_count, n, size, 0, dev, 4000LL * size);
    }
}

/* One pending task's request, by the parameters' mix. */
static void pending_task(struct al_cluster *c, uint64_t *rng, const struct synth_params *p,
                         int32_t shape) {
    int64_t cpu = 2000;
    if (shape < p->pending_cpu_pct) {
        synth_add_task(c, -1, 0, 0, NULL, 500 + 500 * below(rng, 4), 2LL << 30);
        return;
    }
    shape -= p->pending_cpu_pct;
    struct al_task *t;
    if (shape < p->fraction_pct) {
        synth_add_task(c, -1, 0, 250 * (1 + below(rng, 3)), NULL, cpu, 4LL << 30);
        t = &c->tasks[c->task_count - 1];
    } else if (shape < p->fraction_pct + p->memory_pct) {
        synth_add_task(c, -1, 0, 0, NULL, cpu, 4LL << 30);
        t = &c->tasks[c->task_count - 1];
        t->gpu_memory_mib = 4096 << below(rng, 3);
    } else {
        int32_t gpus = p->multi_gpu_pct < 0                 ? 1 << below(rng, 4)
                       : below(rng, 100) < p->multi_gpu_pct ? 2 << below(rng, 3)
                                                            : 1;
        gpus = gpus > p->gpus_per_node ? p->gpus_per_node : gpus;
        synth_add_task(c, -1, gpus, 0, NULL, cpu * gpus, 8LL << 30);
        return;
    }
    if (below(rng, 100) < p->multi_device_pct)
        t->gpu_devices = 2;
}

static void add_selector(struct al_task *t, const char *key, const char *value) {
    t->affinity = al__xrealloc(NULL, sizeof(*t->affinity));
    t->affinity->key = al__xstrdup(key);
    t->affinity->values = al__xrealloc(NULL, sizeof(char *));
    t->affinity->values[0] = al__xstrdup(value);
    t->affinity->value_count = 1;
    t->affinity_count = 1;
}

static void build_pending(struct al_cluster *c, uint64_t *rng, const struct synth_params *p,
                          const int32_t *leaves, int32_t leaf_count) {
    char name[32], value[32];
    for (int32_t made = 0; made < p->pending_tasks;) {
        int32_t size = 1 + below(rng, p->max_gang > 0 ? p->max_gang : 1);
        int32_t shape = below(rng, 100), prio = below(rng, 100) < p->preemptible_pct ? 50 : 100;
        snprintf(name, sizeof(name), "q%07zu", c->job_count);
        synth_add_job(c, name, leaves[below(rng, leaf_count)], prio, size,
                      -1000 + (int64_t)(c->job_count % 1000));
        bool selector = below(rng, 100) < p->selector_pct && (p->pools > 0 || p->zones > 0);
        bool by_pool = p->pools > 0 && (p->zones == 0 || below(rng, 2));
        int32_t which = below(rng, by_pool ? p->pools : p->zones);
        snprintf(value, sizeof(value), by_pool ? "pool-%d" : "zone-%d", which);
        for (int32_t i = 0; i < size; i++, made++) {
            pending_task(c, rng, p, shape);
            if (selector)
                add_selector(&c->tasks[c->task_count - 1], by_pool ? "pool" : "zone", value);
        }
    }
}

void synth_build(const struct synth_params *p, struct al_cluster *c) {
    uint64_t rng = p->seed * 0x9E3779B97F4A7C15ULL + 1;
    memset(c, 0, sizeof(*c));
    al_config_init(&c->config);
    const enum al_action all[] = {AL_ACTION_ALLOCATE, AL_ACTION_CONSOLIDATION, AL_ACTION_RECLAIM,
                                  AL_ACTION_PREEMPT, AL_ACTION_STALE_GANG_EVICTION};
    memcpy(c->config.actions, all, sizeof(all));
    c->config.action_count = sizeof(all) / sizeof(all[0]);
    c->seed = p->seed;
    build_nodes(p, c);
    int32_t *leaves = al__xrealloc(
        NULL, ((size_t)p->departments * (p->teams > 0 ? p->teams : 1) * (size_t)p->projects + 1) *
                  sizeof(int32_t));
    int32_t leaf_count = build_queues(p, c, leaves);
    for (int32_t n = 0; n < p->gpu_nodes && leaf_count > 0; n++)
        fill_gpu_node(c, &rng, p, leaves, leaf_count, n);
    for (int32_t n = p->gpu_nodes; n < p->nodes && leaf_count > 0; n++)
        for (int32_t k = 0; k < p->cpu_pods_per_node; k++)
            running_job(c, &rng, p, leaves, leaf_count, n, 0, 0, NULL, 1000);
    if (leaf_count > 0)
        build_pending(c, &rng, p, leaves, leaf_count);
    free(leaves);
}

void synth_add_topology(struct al_cluster *c, const char *const *levels, const int32_t *fan,
                        size_t count) {
    struct al_topology *t = al__xroom(c->topologies, c->topology_count, sizeof(*t));
    c->topologies = t;
    t = &c->topologies[c->topology_count++];
    memset(t, 0, sizeof(*t));
    t->name = al__xstrdup("dc");
    t->levels = al__xrealloc(NULL, (count + 1) * sizeof(char *));
    for (size_t k = 0; k < count; k++)
        t->levels[k] = al__xstrdup(levels[k]);
    t->levels[count] = al__xstrdup("kubernetes.io/hostname");
    t->level_count = count + 1;
    for (size_t i = 0; i < c->node_count; i++) {
        int64_t groups = 1;
        char value[64];
        for (size_t k = 0; k < count; k++) {
            groups *= fan[k];
            snprintf(value, sizeof(value), "%s-%lld", levels[k],
                     (long long)((int64_t)i * groups / (int64_t)c->node_count));
            add_label(&c->nodes[i], levels[k], value);
        }
        add_label(&c->nodes[i], "kubernetes.io/hostname", c->nodes[i].name);
    }
}
