/* cluster_diff.c - deep comparison of two clusters (see cluster_diff.h). */
#include "support/cluster_diff.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Each check returns false after writing "<what>: <a> != <b>" into the diff buffer. */
struct diff {
    char *buf;
    size_t size;
};

static bool int_eq(struct diff *d, const char *what, size_t index, const char *field, int64_t a,
                   int64_t b) {
    if (a == b)
        return true;
    snprintf(d->buf, d->size, "%s[%zu].%s: %" PRId64 " != %" PRId64, what, index, field, a, b);
    return false;
}

static bool str_eq(struct diff *d, const char *what, size_t index, const char *field, const char *a,
                   const char *b) {
    if ((!a && !b) || (a && b && strcmp(a, b) == 0))
        return true;
    snprintf(d->buf, d->size, "%s[%zu].%s: \"%s\" != \"%s\"", what, index, field, a ? a : "(null)",
             b ? b : "(null)");
    return false;
}

#define INT(what, i, x, y, f) int_eq(d, what, i, #f, (int64_t)(x)->f, (int64_t)(y)->f)
#define STR(what, i, x, y, f) str_eq(d, what, i, #f, (x)->f, (y)->f)

static bool config_eq(struct diff *d, const struct al_config *x, const struct al_config *y) {
    bool ok = INT("config", 0, x, y, action_count) && INT("config", 0, x, y, gpu_placement) &&
              INT("config", 0, x, y, cpu_placement) &&
              INT("config", 0, x, y, gpu_device_placement) &&
              INT("config", 0, x, y, shared_gpu_node_preference) &&
              INT("config", 0, x, y, staleness_grace_period_s) &&
              INT("config", 0, x, y, victim_budget.scenarios_per_job) &&
              INT("config", 0, x, y, victim_budget.scenarios_per_action) &&
              INT("config", 0, x, y, victim_budget.victim_tasks) &&
              INT("config", 0, x, y, usage_k_milli) && INT("config", 0, x, y, usage_half_life_s) &&
              INT("config", 0, x, y, usage_window_s) && INT("config", 0, x, y, usage_per_pool);
    for (size_t i = 0; ok && i < x->action_count; i++)
        ok = int_eq(d, "config.actions", i, "", x->actions[i], y->actions[i]);
    return ok;
}

static bool node_eq(struct diff *d, size_t i, const struct al_node *x, const struct al_node *y) {
    bool ok = STR("nodes", i, x, y, name) && STR("nodes", i, x, y, pool) &&
              INT("nodes", i, x, y, cpu_millis) && INT("nodes", i, x, y, memory_bytes) &&
              INT("nodes", i, x, y, gpu_count) && INT("nodes", i, x, y, label_count);
    for (size_t g = 0; ok && g < x->gpu_count; g++)
        ok = INT("nodes", i, &x->gpus[g], &y->gpus[g], memory_mib) &&
             STR("nodes", i, &x->gpus[g], &y->gpus[g], model);
    for (size_t l = 0; ok && l < x->label_count; l++)
        ok = STR("nodes", i, &x->labels[l], &y->labels[l], key) &&
             STR("nodes", i, &x->labels[l], &y->labels[l], value);
    return ok;
}

static bool queue_eq(struct diff *d, size_t i, const struct al_queue *x, const struct al_queue *y) {
    bool ok = STR("queues", i, x, y, name) && INT("queues", i, x, y, parent) &&
              INT("queues", i, x, y, priority) && INT("queues", i, x, y, created) &&
              INT("queues", i, x, y, has_preempt_min_runtime) &&
              INT("queues", i, x, y, preempt_min_runtime_s) &&
              INT("queues", i, x, y, has_reclaim_min_runtime) &&
              INT("queues", i, x, y, reclaim_min_runtime_s);
    for (int r = 0; ok && r < AL_RESOURCE_COUNT; r++)
        ok = INT("queues", i, x, y, deserved[r]) && INT("queues", i, x, y, limit[r]) &&
             INT("queues", i, x, y, weight[r]) && INT("queues", i, x, y, usage_ppm[r]);
    ok = ok && INT("queues", i, x, y, pool_count);
    for (size_t p = 0; ok && p < x->pool_count; p++) {
        const struct al_queue_pool *a = &x->pools[p], *b = &y->pools[p];
        ok = str_eq(d, "queues.pools", i, "pool", a->pool, b->pool);
        for (int r = 0; ok && r < AL_RESOURCE_COUNT; r++)
            ok = INT("queues.pools", i, a, b, deserved[r]) &&
                 INT("queues.pools", i, a, b, limit[r]) &&
                 INT("queues.pools", i, a, b, weight[r]) &&
                 INT("queues.pools", i, a, b, usage_ppm[r]);
    }
    return ok;
}

static bool constraint_eq(struct diff *d, size_t i, const struct al_topology_constraint *x,
                          const struct al_topology_constraint *y) {
    return INT("topology", i, x, y, required_level) && INT("topology", i, x, y, preferred_level) &&
           (x->required_level == 0 && x->preferred_level == 0 ? true
                                                              : INT("topology", i, x, y, topology));
}

static bool topology_eq(struct diff *d, size_t i, const struct al_topology *x,
                        const struct al_topology *y) {
    bool ok = STR("topologies", i, x, y, name) && INT("topologies", i, x, y, level_count);
    for (size_t l = 0; ok && l < x->level_count; l++)
        ok = str_eq(d, "topologies", i, "levels", x->levels[l], y->levels[l]);
    return ok;
}

static bool job_eq(struct diff *d, size_t i, const struct al_job *x, const struct al_job *y) {
    bool ok = STR("jobs", i, x, y, name) && INT("jobs", i, x, y, queue) &&
              INT("jobs", i, x, y, priority) && INT("jobs", i, x, y, preemptible) &&
              INT("jobs", i, x, y, min_members) && INT("jobs", i, x, y, subgroup_count) &&
              INT("jobs", i, x, y, created_s) && INT("jobs", i, x, y, has_started) &&
              INT("jobs", i, x, y, started_s) && INT("jobs", i, x, y, has_preemption_delay) &&
              INT("jobs", i, x, y, preemption_delay_s) && INT("jobs", i, x, y, has_stale_for) &&
              INT("jobs", i, x, y, stale_for_s) &&
              INT("jobs", i, x, y, has_staleness_grace_period) &&
              INT("jobs", i, x, y, staleness_grace_period_s) && INT("jobs", i, x, y, first_task) &&
              INT("jobs", i, x, y, task_count) && constraint_eq(d, i, &x->topology, &y->topology);
    for (size_t s = 0; ok && s < x->subgroup_count; s++)
        ok = STR("jobs", i, &x->subgroups[s], &y->subgroups[s], name) &&
             INT("jobs", i, &x->subgroups[s], &y->subgroups[s], min_members) &&
             constraint_eq(d, i, &x->subgroups[s].topology, &y->subgroups[s].topology);
    return ok;
}

static bool affinity_eq(struct diff *d, size_t i, const struct al_affinity *x,
                        const struct al_affinity *y) {
    bool ok = STR("tasks", i, x, y, key) && INT("tasks", i, x, y, value_count);
    for (size_t v = 0; ok && v < x->value_count; v++)
        ok = str_eq(d, "tasks", i, "affinity value", x->values[v], y->values[v]);
    return ok;
}

static bool task_eq(struct diff *d, size_t i, const struct al_task *x, const struct al_task *y) {
    bool ok = STR("tasks", i, x, y, name) && INT("tasks", i, x, y, job) &&
              INT("tasks", i, x, y, state) && INT("tasks", i, x, y, node) &&
              INT("tasks", i, x, y, gpus) && INT("tasks", i, x, y, gpu_milli) &&
              INT("tasks", i, x, y, gpu_memory_mib) && INT("tasks", i, x, y, gpu_devices) &&
              INT("tasks", i, x, y, gpu_index_count) && INT("tasks", i, x, y, cpu_millis) &&
              INT("tasks", i, x, y, memory_bytes) && INT("tasks", i, x, y, subgroup) &&
              INT("tasks", i, x, y, has_task_priority) && INT("tasks", i, x, y, task_priority) &&
              INT("tasks", i, x, y, affinity_count);
    for (size_t g = 0; ok && g < x->gpu_index_count; g++)
        ok = int_eq(d, "tasks", i, "gpu_indices[]", x->gpu_indices[g], y->gpu_indices[g]);
    for (size_t a = 0; ok && a < x->affinity_count; a++)
        ok = affinity_eq(d, i, &x->affinity[a], &y->affinity[a]);
    return ok;
}

bool tb_cluster_equal(const struct al_cluster *a, const struct al_cluster *b, char *buf,
                      size_t size) {
    struct diff dd = {buf, size}, *d = &dd;
    bool ok = str_eq(d, "cluster", 0, "name", a->name, b->name) && INT("cluster", 0, a, b, now_s) &&
              INT("cluster", 0, a, b, seed) && config_eq(d, &a->config, &b->config) &&
              INT("cluster", 0, a, b, node_count) && INT("cluster", 0, a, b, queue_count) &&
              INT("cluster", 0, a, b, job_count) && INT("cluster", 0, a, b, task_count) &&
              INT("cluster", 0, a, b, topology_count);
    for (size_t i = 0; ok && i < a->topology_count; i++)
        ok = topology_eq(d, i, &a->topologies[i], &b->topologies[i]);
    for (size_t i = 0; ok && i < a->node_count; i++)
        ok = node_eq(d, i, &a->nodes[i], &b->nodes[i]);
    for (size_t i = 0; ok && i < a->queue_count; i++)
        ok = queue_eq(d, i, &a->queues[i], &b->queues[i]);
    for (size_t i = 0; ok && i < a->job_count; i++)
        ok = job_eq(d, i, &a->jobs[i], &b->jobs[i]);
    for (size_t i = 0; ok && i < a->task_count; i++)
        ok = task_eq(d, i, &a->tasks[i], &b->tasks[i]);
    return ok;
}
