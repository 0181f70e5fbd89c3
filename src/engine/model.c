/* model.c - lifecycle of the cluster model and the names of its enumerations. */
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "allot/model.h"

static const char *const task_state_names[AL_TASK_STATE_COUNT] = {
    [AL_TASK_PENDING] = "pending",
    [AL_TASK_ALLOCATED] = "allocated",
    [AL_TASK_PIPELINED] = "pipelined",
    [AL_TASK_BOUND] = "bound",
    [AL_TASK_RUNNING] = "running",
    [AL_TASK_RELEASING] = "releasing",
    [AL_TASK_STUCK_RELEASING] = "stuck_releasing",
    [AL_TASK_SUCCEEDED] = "succeeded",
    [AL_TASK_FAILED] = "failed",
};

static const char *const action_names[AL_ACTION_COUNT] = {
    [AL_ACTION_ALLOCATE] = "allocate",
    [AL_ACTION_CONSOLIDATION] = "consolidation",
    [AL_ACTION_RECLAIM] = "reclaim",
    [AL_ACTION_PREEMPT] = "preempt",
    [AL_ACTION_STALE_GANG_EVICTION] = "stalegangeviction",
};

static const char *const resource_names[AL_RESOURCE_COUNT] = {
    [AL_GPU] = "gpu",
    [AL_CPU] = "cpu",
    [AL_MEMORY] = "memory",
};

int64_t al_gpu_memory_milli(int32_t memory_mib, int32_t device_memory_mib) {
    if (device_memory_mib <= 0)
        return 0;
    return ((int64_t)memory_mib * 1000 + device_memory_mib - 1) / device_memory_mib;
}

void al_config_init(struct al_config *config) {
    memset(config, 0, sizeof(*config));
    config->gpu_placement = AL_BINPACK;
    config->cpu_placement = AL_BINPACK;
    config->gpu_device_placement = AL_BINPACK;
    config->shared_gpu_node_preference = true;
    config->staleness_grace_period_s = 60;
    config->victim_budget.scenarios_per_job = AL_DEFAULT_SCENARIOS_PER_JOB;
    config->victim_budget.scenarios_per_action = AL_DEFAULT_SCENARIOS_PER_ACTION;
    config->victim_budget.victim_tasks = AL_DEFAULT_VICTIM_TASKS;
}

int32_t al_mig_profile_gpus(const char *profile) {
    /* "<1-7>g.<digits>gb", no sign, no leading zero in the memory */
    if (!profile || profile[0] < '1' || profile[0] > '7' || profile[1] != 'g' || profile[2] != '.')
        return -1;
    const char *m = profile + 3;
    size_t digits = 0;
    while (m[digits] >= '0' && m[digits] <= '9')
        digits++;
    if (digits == 0 || digits > 6 || m[0] == '0' || m[digits] != 'g' || m[digits + 1] != 'b' ||
        m[digits + 2] != '\0')
        return -1;
    return profile[0] - '0';
}

static void migs_release(struct al_mig *migs, size_t count) {
    for (size_t i = 0; i < count; i++)
        free(migs[i].profile);
    free(migs);
}

static void node_release(struct al_node *node) {
    free(node->name);
    migs_release(node->migs, node->mig_count);
    free(node->pool);
    for (size_t i = 0; i < node->gpu_count; i++)
        free(node->gpus[i].model);
    free(node->gpus);
    for (size_t i = 0; i < node->label_count; i++) {
        free(node->labels[i].key);
        free(node->labels[i].value);
    }
    free(node->labels);
}

static void job_release(struct al_job *job) {
    free(job->name);
    free(job->pool);
    for (size_t i = 0; i < job->subgroup_count; i++)
        free(job->subgroups[i].name);
    free(job->subgroups);
}

static void task_release(struct al_task *task) {
    free(task->name);
    migs_release(task->migs, task->mig_count);
    free(task->gpu_indices);
    for (size_t i = 0; i < task->affinity_count; i++) {
        free(task->affinity[i].key);
        for (size_t v = 0; v < task->affinity[i].value_count; v++)
            free(task->affinity[i].values[v]);
        free(task->affinity[i].values);
    }
    free(task->affinity);
}

void al_cluster_release(struct al_cluster *cluster) {
    if (!cluster)
        return;
    for (size_t i = 0; i < cluster->node_count; i++)
        node_release(&cluster->nodes[i]);
    for (size_t i = 0; i < cluster->queue_count; i++) {
        free(cluster->queues[i].name);
        for (size_t k = 0; k < cluster->queues[i].pool_count; k++)
            free(cluster->queues[i].pools[k].pool);
        free(cluster->queues[i].pools);
    }
    for (size_t i = 0; i < cluster->job_count; i++)
        job_release(&cluster->jobs[i]);
    for (size_t i = 0; i < cluster->task_count; i++)
        task_release(&cluster->tasks[i]);
    for (size_t i = 0; i < cluster->topology_count; i++) {
        struct al_topology *t = &cluster->topologies[i];
        for (size_t l = 0; l < t->level_count; l++)
            free(t->levels[l]);
        free(t->levels);
        free(t->name);
    }
    free(cluster->topologies);
    free(cluster->nodes);
    free(cluster->queues);
    free(cluster->jobs);
    free(cluster->tasks);
    free(cluster->name);
    memset(cluster, 0, sizeof(*cluster));
}

bool al_task_is_active(enum al_task_state state) {
    return state == AL_TASK_ALLOCATED || state == AL_TASK_PIPELINED || state == AL_TASK_BOUND ||
           state == AL_TASK_RUNNING || state == AL_TASK_RELEASING ||
           state == AL_TASK_STUCK_RELEASING;
}

const char *al_task_state_name(enum al_task_state state) {
    if ((unsigned)state >= AL_TASK_STATE_COUNT)
        return NULL;
    return task_state_names[state];
}

static int name_lookup(const char *const *names, int count, const char *name) {
    for (int i = 0; i < count; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return i;
    return -AL_EINVAL;
}

int al_task_state_parse(const char *name, enum al_task_state *out) {
    int i = name_lookup(task_state_names, AL_TASK_STATE_COUNT, name);
    if (i < 0)
        return i;
    *out = (enum al_task_state)i;
    return 0;
}

const char *al_action_name(enum al_action action) {
    if ((unsigned)action >= AL_ACTION_COUNT)
        return NULL;
    return action_names[action];
}

int al_action_parse(const char *name, enum al_action *out) {
    int i = name_lookup(action_names, AL_ACTION_COUNT, name);
    if (i < 0)
        return i;
    *out = (enum al_action)i;
    return 0;
}

const char *al_resource_name(enum al_resource resource) {
    if ((unsigned)resource >= AL_RESOURCE_COUNT)
        return "?";
    return resource_names[resource];
}
