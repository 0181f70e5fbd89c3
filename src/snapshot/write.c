/* write.c - al_snapshot_write(): the model written back as a snapshot document. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "allot/snapshot.h"
#include "snapshot/json_util.h"
#include "snapshot/json_write.h"

static const char *placement_name(enum al_placement p, const char *binpack) {
    return p == AL_SPREAD ? "spread" : p == AL_ALLOT ? "allot" : binpack;
}

static json_t *config_json(const struct al_config *c) {
    json_t *o = json_object(), *actions = json_array();
    int rc = o && actions ? 0 : -1;

    for (size_t i = 0; rc == 0 && i < c->action_count; i++)
        rc |= al__push(actions, json_string(al_action_name(c->actions[i])));
    rc |= al__put(o, "actions", actions);
    rc |= al__put(o, "gpu_placement", json_string(placement_name(c->gpu_placement, "binpack")));
    rc |= al__put(o, "cpu_placement", json_string(placement_name(c->cpu_placement, "binpack")));
    rc |= al__put(o, "gpu_device_placement",
                  json_string(placement_name(c->gpu_device_placement, "pack")));
    rc |= al__put(o, "shared_gpu_node_preference", json_boolean(c->shared_gpu_node_preference));
    rc |= al__put(o, "staleness_grace_period_s", json_integer(c->staleness_grace_period_s));
    if (c->usage_k_milli > 0) {
        rc |= al__put(o, "usage_k", json_real((double)c->usage_k_milli / 1000.0));
        rc |= al__put(o, "usage_half_life_s", json_integer(c->usage_half_life_s));
        rc |= al__put(o, "usage_window_s", json_integer(c->usage_window_s));
    }
    if (c->usage_per_pool)
        rc |= al__put(o, "usage_per_pool", json_true());
    if (c->queue_priority_in_quota_reclaim)
        rc |= al__put(o, "queue_priority_in_quota_reclaim", json_true());
    if (c->reservation_min_gpus > 0) {
        rc |= al__put(o, "reservation_min_gpus", json_integer(c->reservation_min_gpus));
        rc |= al__put(o, "reservation_wait_s", json_integer(c->reservation_wait_s));
    }
    const struct al_victim_budget *b = &c->victim_budget;
    if (b->scenarios_per_job != AL_DEFAULT_SCENARIOS_PER_JOB ||
        b->scenarios_per_action != AL_DEFAULT_SCENARIOS_PER_ACTION ||
        b->victim_tasks != AL_DEFAULT_VICTIM_TASKS) {
        json_t *budget = json_object();
        int brc = budget ? 0 : -1;
        brc |= al__put(budget, "scenarios_per_job", json_integer(b->scenarios_per_job));
        brc |= al__put(budget, "scenarios_per_action", json_integer(b->scenarios_per_action));
        brc |= al__put(budget, "victim_tasks", json_integer(b->victim_tasks));
        rc |= al__put(o, "victim_search_budget", al__finish(budget, brc));
    }
    return al__finish(o, rc);
}

/* Whether one gpus/gpu_memory_mib/gpu_model triple describes every device of the node. */
static bool devices_alike(const struct al_node *n) {
    for (size_t d = 1; d < n->gpu_count; d++) {
        const char *a = n->gpus[0].model, *b = n->gpus[d].model;
        if (n->gpus[d].memory_mib != n->gpus[0].memory_mib || (!a) != (!b) ||
            (a && strcmp(a, b) != 0))
            return false;
    }
    return true;
}

static json_t *device_list_json(const struct al_node *n) {
    json_t *list = json_array();
    int rc = list ? 0 : -1;

    for (size_t d = 0; rc == 0 && d < n->gpu_count; d++) {
        json_t *dev = json_object();
        int drc = dev ? 0 : -1;
        drc |= al__put(dev, "memory_mib", json_integer(n->gpus[d].memory_mib));
        if (n->gpus[d].model)
            drc |= al__put(dev, "model", json_string(n->gpus[d].model));
        rc |= al__push(list, al__finish(dev, drc));
    }
    return al__finish(list, rc);
}

/* mig: {"<profile>": count} */
static json_t *migs_json(const struct al_mig *migs, size_t count) {
    json_t *o = json_object();
    int rc = o ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc |= al__put(o, migs[i].profile, json_integer(migs[i].count));
    return al__finish(o, rc);
}

static json_t *node_json(const struct al_node *n) {
    json_t *o = json_object(), *labels = json_object();
    int rc = o && labels ? 0 : -1;

    rc |= al__put(o, "name", json_string(n->name));
    if (n->pool)
        rc |= al__put(o, "pool", json_string(n->pool));
    if (n->unschedulable)
        rc |= al__put(o, "unschedulable", json_true());
    if (devices_alike(n)) {
        rc |= al__put(o, "gpus", json_integer((json_int_t)n->gpu_count));
        if (n->gpu_count > 0) {
            rc |= al__put(o, "gpu_memory_mib", json_integer(n->gpus[0].memory_mib));
            if (n->gpus[0].model)
                rc |= al__put(o, "gpu_model", json_string(n->gpus[0].model));
        }
    } else {
        rc |= al__put(o, "devices", device_list_json(n));
    }
    if (n->mig_count > 0)
        rc |= al__put(o, "mig", migs_json(n->migs, n->mig_count));
    rc |= al__put(o, "cpu_millis", json_integer(n->cpu_millis));
    rc |= al__put(o, "memory_bytes", json_integer(n->memory_bytes));
    for (size_t i = 0; rc == 0 && i < n->label_count; i++)
        rc |= al__put(labels, n->labels[i].key, json_string(n->labels[i].value));
    if (n->label_count > 0)
        rc |= al__put(o, "labels", labels);
    else
        json_decref(labels);
    return al__finish(o, rc);
}

static json_t *weights_json(const int64_t weight[AL_RESOURCE_COUNT]) {
    json_t *w = json_object();
    int rc = w ? 0 : -1;
    rc |= al__put(w, "gpu", json_integer(weight[AL_GPU]));
    rc |= al__put(w, "cpu", json_integer(weight[AL_CPU]));
    rc |= al__put(w, "memory", json_integer(weight[AL_MEMORY]));
    return al__finish(w, rc);
}

/* usage: {gpu, cpu, memory} as shares (0..1) from parts per million; NULL when all are 0. */
static json_t *usage_json(const int64_t ppm[AL_RESOURCE_COUNT]) {
    if (!ppm[AL_GPU] && !ppm[AL_CPU] && !ppm[AL_MEMORY])
        return NULL;
    json_t *u = json_object();
    int urc = u ? 0 : -1;
    urc |= al__put(u, "gpu", json_real((double)ppm[AL_GPU] / AL_USAGE_PPM));
    urc |= al__put(u, "cpu", json_real((double)ppm[AL_CPU] / AL_USAGE_PPM));
    urc |= al__put(u, "memory", json_real((double)ppm[AL_MEMORY] / AL_USAGE_PPM));
    return al__finish(u, urc);
}

/* pools: {name: {deserved, limit, over_quota_weight[, usage]}}, every value written out. */
static json_t *queue_pools_json(const struct al_queue *q) {
    json_t *o = json_object();
    int rc = o ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < q->pool_count; i++) {
        const struct al_queue_pool *qp = &q->pools[i];
        json_t *po = json_object();
        int prc = po ? 0 : -1;
        prc |= al__put(po, "deserved", al__amounts_json(qp->deserved));
        prc |= al__put(po, "limit", al__amounts_json(qp->limit));
        prc |= al__put(po, "over_quota_weight", weights_json(qp->weight));
        if (qp->usage_ppm[AL_GPU] || qp->usage_ppm[AL_CPU] || qp->usage_ppm[AL_MEMORY])
            prc |= al__put(po, "usage", usage_json(qp->usage_ppm));
        rc |= al__put(o, qp->pool, al__finish(po, prc));
    }
    return al__finish(o, rc);
}

static json_t *queue_json(const struct al_cluster *c, const struct al_queue *q) {
    json_t *o = json_object(), *w = json_object();
    int rc = o && w ? 0 : -1;

    rc |= al__put(o, "name", json_string(q->name));
    rc |=
        al__put(o, "parent", q->parent >= 0 ? json_string(c->queues[q->parent].name) : json_null());
    rc |= al__put(o, "priority", json_integer(q->priority));
    rc |= al__put(o, "deserved", al__amounts_json(q->deserved));
    rc |= al__put(o, "limit", al__amounts_json(q->limit));
    rc |= al__put(w, "gpu", json_integer(q->weight[AL_GPU]));
    rc |= al__put(w, "cpu", json_integer(q->weight[AL_CPU]));
    rc |= al__put(w, "memory", json_integer(q->weight[AL_MEMORY]));
    rc |= al__put(o, "over_quota_weight", w);
    if (q->usage_ppm[AL_GPU] || q->usage_ppm[AL_CPU] || q->usage_ppm[AL_MEMORY])
        rc |= al__put(o, "usage", usage_json(q->usage_ppm));
    if (q->has_preempt_min_runtime)
        rc |= al__put(o, "preempt_min_runtime_s", json_integer(q->preempt_min_runtime_s));
    if (q->has_reclaim_min_runtime)
        rc |= al__put(o, "reclaim_min_runtime_s", json_integer(q->reclaim_min_runtime_s));
    if (q->pool_count > 0)
        rc |= al__put(o, "pools", queue_pools_json(q));
    return al__finish(o, rc);
}

static int cmp_created(const void *a, const void *b, const struct al_cluster *c) {
    const struct al_queue *x = &c->queues[*(const int32_t *)a];
    const struct al_queue *y = &c->queues[*(const int32_t *)b];

    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return *(const int32_t *)a - *(const int32_t *)b;
}

/* Queues by `created` (insertion sort: stable, and queue trees are small). */
static json_t *queues_json(const struct al_cluster *c) {
    json_t *a = json_array();
    int32_t *order = malloc((c->queue_count ? c->queue_count : 1) * sizeof(*order));
    int rc = a && order ? 0 : -1;

    for (size_t i = 0; rc == 0 && i < c->queue_count; i++) {
        size_t j = i;
        order[i] = (int32_t)i;
        for (; j > 0 && cmp_created(&order[j - 1], &order[j], c) > 0; j--) {
            int32_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    }
    for (size_t i = 0; rc == 0 && i < c->queue_count; i++)
        rc |= al__push(a, queue_json(c, &c->queues[order[i]]));
    free(order);
    return al__finish(a, rc);
}

static json_t *affinity_json(const struct al_task *t) {
    json_t *o = json_object();
    int rc = o ? 0 : -1;

    for (size_t i = 0; rc == 0 && i < t->affinity_count; i++) {
        json_t *values = json_array();
        rc |= values ? 0 : -1;
        for (size_t v = 0; rc == 0 && v < t->affinity[i].value_count; v++)
            rc |= al__push(values, json_string(t->affinity[i].values[v]));
        rc |= al__put(o, t->affinity[i].key, values);
    }
    return al__finish(o, rc);
}

static json_t *indices_json(const struct al_task *t) {
    json_t *a = json_array();
    int rc = a ? 0 : -1;

    for (size_t i = 0; rc == 0 && i < t->gpu_index_count; i++)
        rc |= al__push(a, json_integer(t->gpu_indices[i]));
    return al__finish(a, rc);
}

static int task_gpus(json_t *o, const struct al_task *t) {
    int rc = 0;

    if (t->gpus > 0)
        rc |= al__put(o, "gpus", json_integer(t->gpus));
    if (t->gpu_milli > 0)
        rc |= al__put(o, "gpu_fraction", json_real(t->gpu_milli / 1000.0));
    if (t->gpu_memory_mib > 0)
        rc |= al__put(o, "gpu_memory_mib", json_integer(t->gpu_memory_mib));
    if (t->gpu_milli_limit > 0)
        rc |= al__put(o, "gpu_fraction_limit", json_real(t->gpu_milli_limit / 1000.0));
    if (t->gpu_memory_limit_mib > 0)
        rc |= al__put(o, "gpu_memory_limit_mib", json_integer(t->gpu_memory_limit_mib));
    if (t->mig_count > 0)
        rc |= al__put(o, "mig", migs_json(t->migs, t->mig_count));
    if (t->gpu_devices != 1)
        rc |= al__put(o, "gpu_devices", json_integer(t->gpu_devices));
    if (t->gpu_index_count > 0)
        rc |= al__put(o, "gpu_indices", indices_json(t));
    return rc;
}

static json_t *task_json(const struct al_cluster *c, const struct al_task *t) {
    const struct al_job *job = &c->jobs[t->job];
    json_t *o = json_object();
    int rc = o ? 0 : -1;

    rc |= al__put(o, "name", json_string(t->name));
    rc |= al__put(o, "state", json_string(al_task_state_name(t->state)));
    if (t->node >= 0)
        rc |= al__put(o, "node", json_string(c->nodes[t->node].name));
    rc |= task_gpus(o, t);
    rc |= al__put(o, "cpu_millis", json_integer(t->cpu_millis));
    rc |= al__put(o, "memory_bytes", json_integer(t->memory_bytes));
    if (t->subgroup >= 0)
        rc |= al__put(o, "subgroup", json_string(job->subgroups[t->subgroup].name));
    if (t->has_task_priority)
        rc |= al__put(o, "task_priority", json_integer(t->task_priority));
    if (t->affinity_count > 0)
        rc |= al__put(o, "node_affinity", affinity_json(t));
    return al__finish(o, rc);
}

/* A job's or subgroup's topology constraint into o (nothing when it has none). */
static int constraint_put(json_t *o, const struct al_cluster *c,
                          const struct al_topology_constraint *k) {
    if (k->required_level == 0 && k->preferred_level == 0)
        return 0;
    const struct al_topology *t = &c->topologies[k->topology];
    int rc = al__put(o, "topology", json_string(t->name));
    if (k->required_level > 0)
        rc |= al__put(o, "required_topology_level", json_string(t->levels[k->required_level - 1]));
    if (k->preferred_level > 0)
        rc |=
            al__put(o, "preferred_topology_level", json_string(t->levels[k->preferred_level - 1]));
    return rc;
}

static json_t *topologies_json(const struct al_cluster *c) {
    json_t *a = json_array();
    int rc = a ? 0 : -1;

    for (size_t i = 0; rc == 0 && i < c->topology_count; i++) {
        json_t *t = json_object(), *levels = json_array();
        int trc = t && levels ? 0 : -1;
        trc |= al__put(t, "name", json_string(c->topologies[i].name));
        for (size_t l = 0; trc == 0 && l < c->topologies[i].level_count; l++)
            trc |= al__push(levels, json_string(c->topologies[i].levels[l]));
        trc |= al__put(t, "levels", levels);
        rc |= al__push(a, al__finish(t, trc));
    }
    return al__finish(a, rc);
}

static json_t *subgroups_json(const struct al_cluster *c, const struct al_job *job) {
    json_t *a = json_array();
    int rc = a ? 0 : -1;

    for (size_t i = 0; rc == 0 && i < job->subgroup_count; i++) {
        json_t *s = json_object();
        rc |= s ? 0 : -1;
        rc |= al__put(s, "name", json_string(job->subgroups[i].name));
        rc |= al__put(s, "min_members", json_integer(job->subgroups[i].min_members));
        rc |= constraint_put(s, c, &job->subgroups[i].topology);
        rc |= al__push(a, s);
    }
    return al__finish(a, rc);
}

static int job_times(json_t *o, const struct al_job *job) {
    int rc = al__put(o, "created_s", json_integer(job->created_s));

    if (job->has_pending_since)
        rc |= al__put(o, "pending_since_s", json_integer(job->pending_since_s));
    if (job->has_started)
        rc |= al__put(o, "started_s", json_integer(job->started_s));
    if (job->has_preemption_delay)
        rc |= al__put(o, "preemption_delay_s", json_integer(job->preemption_delay_s));
    if (job->has_stale_for)
        rc |= al__put(o, "stale_for_s", json_integer(job->stale_for_s));
    if (job->has_staleness_grace_period)
        rc |= al__put(o, "staleness_grace_period_s", json_integer(job->staleness_grace_period_s));
    if (job->has_time_limit)
        rc |= al__put(o, "time_limit_s", json_integer(job->time_limit_s));
    return rc;
}

static json_t *job_json(const struct al_cluster *c, const struct al_job *job) {
    json_t *o = json_object(), *tasks = json_array();
    int rc = o && tasks ? 0 : -1;

    rc |= al__put(o, "name", json_string(job->name));
    rc |= al__put(o, "queue", json_string(c->queues[job->queue].name));
    if (job->pool)
        rc |= al__put(o, "pool", json_string(job->pool));
    rc |= al__put(o, "priority", json_integer(job->priority));
    rc |= al__put(o, "preemptible", json_boolean(job->preemptible));
    if (job->semi_preemptible)
        rc |= al__put(o, "preemptibility", json_string("semi-preemptible"));
    if (job->preemption_never)
        rc |= al__put(o, "preemption_policy", json_string("Never"));
    if (job->subgroup_count > 0)
        rc |= al__put(o, "subgroups", subgroups_json(c, job));
    else
        rc |= al__put(o, "min_members", json_integer(job->min_members));
    rc |= constraint_put(o, c, &job->topology);
    rc |= job_times(o, job);
    for (size_t i = 0; rc == 0 && i < job->task_count; i++)
        rc |= al__push(tasks, task_json(c, &c->tasks[job->first_task + i]));
    rc |= al__put(o, "tasks", tasks);
    return al__finish(o, rc);
}

static json_t *list_json(const struct al_cluster *c, size_t count,
                         json_t *(*item)(const struct al_cluster *, size_t)) {
    json_t *a = json_array();
    int rc = a ? 0 : -1;

    for (size_t i = 0; rc == 0 && i < count; i++)
        rc |= al__push(a, item(c, i));
    return al__finish(a, rc);
}

static json_t *node_item(const struct al_cluster *c, size_t i) {
    return node_json(&c->nodes[i]);
}

static json_t *job_item(const struct al_cluster *c, size_t i) {
    return job_json(c, &c->jobs[i]);
}

static json_t *cluster_json(const struct al_cluster *c) {
    json_t *o = json_object();
    int rc = o ? 0 : -1;

    if (c->name)
        rc |= al__put(o, "name", json_string(c->name));
    rc |= al__put(o, "now_s", json_integer(c->now_s));
    rc |= al__put(o, "seed", json_integer((json_int_t)c->seed));
    rc |= al__put(o, "config", config_json(&c->config));
    rc |= al__put(o, "nodes", list_json(c, c->node_count, node_item));
    if (c->topology_count > 0)
        rc |= al__put(o, "topologies", topologies_json(c));
    rc |= al__put(o, "queues", queues_json(c));
    rc |= al__put(o, "jobs", list_json(c, c->job_count, job_item));
    return al__finish(o, rc);
}

char *al_snapshot_write(const struct al_cluster *cluster) {
    json_t *root = cluster_json(cluster);
    char *text;

    if (!root)
        return NULL;
    text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    json_decref(root);
    return text;
}
