/* openb_engine.c - the openb replay through allot's own engine (see openb_engine.h). */
#include "sim/openb_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/cycle.h"
#include "allot/errors.h"
#include "util/xalloc.h"

#define MIB (1024LL * 1024)

static char *name_of(const char *prefix, size_t i) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%s%zu", prefix, i);
    return al__xstrdup(buf);
}

static void add_nodes(struct al_cluster *c, const struct al__openb_trace *t) {
    c->nodes = al__xcalloc(t->node_count, sizeof(*c->nodes));
    for (size_t i = 0; i < t->node_count; i++) {
        const struct al__openb_node *src = &t->nodes[i];
        struct al_node *n = &c->nodes[c->node_count++];
        n->name = al__xstrdup(src->name);
        n->cpu_millis = src->cpu;
        n->memory_bytes = src->mem * MIB;
        n->gpus = al__xcalloc((size_t)src->gpus + 1, sizeof(*n->gpus));
        for (int32_t g = 0; g < src->gpus; g++)
            n->gpus[g].memory_mib = 1000; /* portions are what the trace knows */
        n->gpu_count = (size_t)src->gpus;
        if (src->model[0]) {
            n->labels = al__xcalloc(1, sizeof(*n->labels));
            n->labels[0] = (struct al_label){al__xstrdup("model"), al__xstrdup(src->model)};
            n->label_count = 1;
        }
    }
}

/* A department with one project, neither with a quota or a limit. */
static void add_queues(struct al_cluster *c) {
    c->queues = al__xcalloc(2, sizeof(*c->queues));
    for (int32_t q = 0; q < 2; q++) {
        struct al_queue *queue = &c->queues[c->queue_count++];
        queue->name = al__xstrdup(q == 0 ? "openb" : "pods");
        queue->parent = q - 1;
        queue->priority = 100;
        queue->created = q;
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            queue->deserved[r] = queue->limit[r] = AL_UNLIMITED;
            queue->weight[r] = 1;
        }
    }
}

/* The models a pod's gpu_spec allows, as the node affinity model in {...}. */
static void add_affinity(struct al_task *task, const char *spec) {
    size_t count = 1;
    for (const char *p = spec; *p; p++)
        count += *p == '|';
    task->affinity = al__xcalloc(1, sizeof(*task->affinity));
    task->affinity_count = 1;
    task->affinity->key = al__xstrdup("model");
    task->affinity->values = al__xcalloc(count, sizeof(char *));
    for (const char *p = spec; *p;) {
        size_t len = strcspn(p, "|");
        char *value = al__xmalloc(len + 1);
        memcpy(value, p, len);
        value[len] = '\0';
        task->affinity->values[task->affinity->value_count++] = value;
        p += len + (p[len] == '|');
    }
}

/* The arrivals as pending one-task jobs, created in arrival order. */
static void add_pods(struct al_cluster *c, const struct al__openb_trace *t, const int32_t *order,
                     size_t count) {
    c->jobs = al__xcalloc(count + 1, sizeof(*c->jobs));
    c->tasks = al__xcalloc(count + 1, sizeof(*c->tasks));
    for (size_t i = 0; i < count; i++) {
        const struct al__openb_pod *pod = &t->pods[order[i]];
        struct al_job *job = &c->jobs[c->job_count];
        struct al_task *task = &c->tasks[c->task_count];
        *job = (struct al_job){.name = name_of("p", i),
                               .queue = 1,
                               .priority = 100,
                               .min_members = 1,
                               .created_s = (int64_t)i,
                               .first_task = c->task_count,
                               .task_count = 1};
        *task = (struct al_task){.name = name_of("p", i),
                                 .job = (int32_t)c->job_count,
                                 .state = AL_TASK_PENDING,
                                 .node = -1,
                                 .gpu_devices = 1,
                                 .cpu_millis = pod->cpu,
                                 .memory_bytes = pod->mem * MIB,
                                 .subgroup = -1};
        if (pod->gpu_count > 1 || (pod->gpu_count == 1 && pod->gpu_milli >= 1000))
            task->gpus = pod->gpu_count;
        else if (pod->gpu_count == 1)
            task->gpu_milli = pod->gpu_milli;
        if (pod->spec[0])
            add_affinity(task, pod->spec);
        c->job_count++;
        c->task_count++;
    }
}

int al__openb_engine_place(const struct al__openb_trace *t, const int32_t *order, size_t count,
                           enum al_placement placement, int32_t *node, uint32_t *gpu_mask,
                           char *err, size_t err_size) {
    struct al_cluster c;
    struct al_result res;
    memset(&c, 0, sizeof(c));
    al_config_init(&c.config);
    c.config.actions[0] = AL_ACTION_ALLOCATE;
    c.config.action_count = 1;
    c.config.gpu_placement = c.config.cpu_placement = placement;
    c.name = al__xstrdup("openb");
    add_nodes(&c, t);
    add_queues(&c);
    add_pods(&c, t, order, count);
    int rc = al_cycle_run(&c, &res);
    if (rc < 0) {
        snprintf(err, err_size, "the engine refused the trace: %s", al_strerror(rc));
        al_cluster_release(&c);
        return rc;
    }
    for (size_t i = 0; i < count; i++) {
        const struct al_task_outcome *o = &res.tasks[i];
        bool placed = o->state == AL_TASK_ALLOCATED;
        node[i] = placed ? o->node : -1;
        gpu_mask[i] = 0;
        for (size_t g = 0; placed && g < o->gpu_count; g++)
            gpu_mask[i] |= 1u << o->gpus[g];
    }
    al_result_release(&res);
    al_cluster_release(&c);
    return 0;
}
