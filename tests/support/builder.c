/* builder.c - clusters built in code for engine tests (see builder.h). */
#include "support/builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *grow(void *p, size_t count, size_t size) {
    void *q = realloc(p, (count + 1) * size);
    if (!q) {
        fprintf(stderr, "builder: out of memory\n");
        abort();
    }
    memset((char *)q + count * size, 0, size);
    return q;
}

static char *dup(const char *s) {
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

void tb_init(struct al_cluster *c) {
    memset(c, 0, sizeof(*c));
    al_config_init(&c->config);
    c->config.actions[0] = AL_ACTION_ALLOCATE;
    c->config.action_count = 1;
}

int32_t tb_node(struct al_cluster *c, const char *name, int gpus, int64_t cpu, int64_t mem) {
    c->nodes = grow(c->nodes, c->node_count, sizeof(*c->nodes));
    struct al_node *n = &c->nodes[c->node_count];
    n->name = dup(name);
    n->cpu_millis = cpu;
    n->memory_bytes = mem;
    n->gpu_count = (size_t)gpus;
    n->gpus = calloc((size_t)gpus + 1, sizeof(*n->gpus));
    if (!n->gpus)
        abort();
    for (int g = 0; g < gpus; g++)
        n->gpus[g].memory_mib = 100;
    return (int32_t)c->node_count++;
}

void tb_gpu_memory(struct al_cluster *c, int32_t node, int32_t memory_mib) {
    for (size_t g = 0; g < c->nodes[node].gpu_count; g++)
        c->nodes[node].gpus[g].memory_mib = memory_mib;
}

void tb_label(struct al_cluster *c, int32_t node, const char *key, const char *value) {
    struct al_node *n = &c->nodes[node];
    n->labels = grow(n->labels, n->label_count, sizeof(*n->labels));
    n->labels[n->label_count].key = dup(key);
    n->labels[n->label_count].value = dup(value);
    n->label_count++;
}

int32_t tb_find_queue(const struct al_cluster *c, const char *name) {
    for (size_t i = 0; i < c->queue_count; i++)
        if (strcmp(c->queues[i].name, name) == 0)
            return (int32_t)i;
    return -1;
}

int32_t tb_find_node(const struct al_cluster *c, const char *name) {
    for (size_t i = 0; i < c->node_count; i++)
        if (strcmp(c->nodes[i].name, name) == 0)
            return (int32_t)i;
    return -1;
}

int32_t tb_find_task(const struct al_cluster *c, const char *name) {
    for (size_t i = 0; i < c->task_count; i++)
        if (strcmp(c->tasks[i].name, name) == 0)
            return (int32_t)i;
    return -1;
}

int32_t tb_queue(struct al_cluster *c, const char *name, const char *parent, int64_t deserved_gpu,
                 int64_t limit_gpu, int64_t weight_gpu, int32_t priority) {
    c->queues = grow(c->queues, c->queue_count, sizeof(*c->queues));
    struct al_queue *q = &c->queues[c->queue_count];
    q->name = dup(name);
    q->parent = parent ? tb_find_queue(c, parent) : -1;
    q->priority = priority;
    q->created = (int64_t)c->queue_count;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        q->deserved[r] = AL_UNLIMITED;
        q->limit[r] = AL_UNLIMITED;
        q->weight[r] = 1;
    }
    q->deserved[AL_GPU] = deserved_gpu;
    q->limit[AL_GPU] = limit_gpu;
    q->weight[AL_GPU] = weight_gpu;
    return (int32_t)c->queue_count++;
}

int32_t tb_job(struct al_cluster *c, const char *name, const char *queue, int32_t priority,
               int32_t min_members) {
    c->jobs = grow(c->jobs, c->job_count, sizeof(*c->jobs));
    struct al_job *j = &c->jobs[c->job_count];
    j->name = dup(name);
    j->queue = tb_find_queue(c, queue);
    j->priority = priority;
    j->preemptible = priority < 100;
    j->min_members = min_members;
    j->first_task = c->task_count;
    j->created_s = -(int64_t)(1000 - c->job_count);
    return (int32_t)c->job_count++;
}

int32_t tb_task(struct al_cluster *c, const char *name, enum al_task_state state, const char *node,
                int32_t gpus, int32_t gpu_milli, const int32_t *devices) {
    struct al_job *j = &c->jobs[c->job_count - 1];
    c->tasks = grow(c->tasks, c->task_count, sizeof(*c->tasks));
    struct al_task *t = &c->tasks[c->task_count];
    t->name = dup(name);
    t->job = (int32_t)(c->job_count - 1);
    t->state = state;
    t->node = node ? tb_find_node(c, node) : -1;
    t->gpus = gpus;
    t->gpu_milli = gpu_milli;
    t->gpu_devices = 1;
    t->cpu_millis = 1000;
    t->memory_bytes = 1000000000;
    t->subgroup = -1;
    size_t n = gpus > 0 ? (size_t)gpus : gpu_milli > 0 ? 1 : 0;
    if (devices && n > 0) {
        t->gpu_indices = calloc(n, sizeof(int32_t));
        if (!t->gpu_indices)
            abort();
        memcpy(t->gpu_indices, devices, n * sizeof(int32_t));
        t->gpu_index_count = n;
    }
    j->task_count++;
    return (int32_t)c->task_count++;
}
