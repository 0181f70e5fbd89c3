/* quota.c - capacity checks walking up the queue tree (see quota.h). */
#include "engine/quota.h"

#include "engine/semi_preemptible.h"

static bool blocked(struct al_explanation *why, enum al_reason reason, int32_t q, int r,
                    int64_t allocated, int64_t req, int64_t bound) {
    why->reason = reason;
    why->queue = q;
    why->resource = (enum al_resource)r;
    why->allocated = allocated;
    why->requested = req;
    why->limit = bound;
    return false;
}

/* Non-preemptible work of queue q would go beyond its deserved quota of resource r. */
static bool np_over_deserved(const struct al__session *s, int32_t q, int r, int64_t req) {
    int64_t deserved = s->cluster->queues[q].deserved[r];
    return deserved != AL_UNLIMITED && s->queues[q].allocated_np[r] + req > deserved;
}

bool al__quota_np_within_deserved(const struct al__session *s, int32_t job, const int64_t req[]) {
    if (!al__job_step_is_core(s, job))
        return true;
    for (int32_t q = s->cluster->jobs[job].queue; q >= 0; q = s->cluster->queues[q].parent)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            if (req[r] > 0 && np_over_deserved(s, q, r, req[r]))
                return false;
    return true;
}

bool al__quota_admits(const struct al__session *s, int32_t job, const int64_t req[],
                      struct al_explanation *why) {
    const struct al_job *j = &s->cluster->jobs[job];
    bool core = al__job_step_is_core(s, job);
    for (int32_t q = j->queue; q >= 0; q = s->cluster->queues[q].parent) {
        const struct al_queue *queue = &s->cluster->queues[q];
        const struct al__queue_state *qs = &s->queues[q];
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            if (req[r] == 0)
                continue;
            if (queue->limit[r] != AL_UNLIMITED && qs->allocated[r] + req[r] > queue->limit[r])
                return blocked(why, AL_REASON_OVER_LIMIT, q, r, qs->allocated[r], req[r],
                               queue->limit[r]);
            if (core && np_over_deserved(s, q, r, req[r]))
                return blocked(why, AL_REASON_NON_PREEMPTIBLE_OVER_QUOTA, q, r, qs->allocated_np[r],
                               req[r], queue->deserved[r]);
        }
    }
    return true;
}

bool al__quota_admits_on_node(const struct al__session *s, int32_t t, int32_t n,
                              const int32_t *gpus, int32_t gpu_count) {
    const struct al_task *task = &s->cluster->tasks[t];
    if (task->gpu_memory_mib <= 0)
        return true;
    int64_t req[AL_RESOURCE_COUNT] = {0};
    for (int32_t i = 0; i < gpu_count; i++)
        req[AL_GPU] += al_gpu_memory_milli(task->gpu_memory_mib,
                                           s->cluster->nodes[n].gpus[gpus[i]].memory_mib);
    struct al_explanation why;
    return al__quota_admits(s, task->job, req, &why);
}

bool al__quota_explain_on_nodes(const struct al__session *s, int32_t t,
                                struct al_explanation *why) {
    const struct al_task *task = &s->cluster->tasks[t];
    if (task->gpu_memory_mib <= 0)
        return false;
    int64_t req[AL_RESOURCE_COUNT] = {0};
    req[AL_GPU] = al_gpu_memory_milli(task->gpu_memory_mib, s->gpu_memory_min) * task->gpu_devices;
    struct al_explanation e = *why;
    if (al__quota_admits(s, task->job, req, &e))
        return false;
    *why = e;
    return true;
}

int64_t al__allocatable_share(const struct al__session *s, int32_t q, int r) {
    const struct al_queue *queue = &s->cluster->queues[q];
    if (queue->deserved[r] == AL_UNLIMITED)
        return queue->limit[r];
    int64_t fair = s->queues[q].fair_share[r];
    int64_t v = queue->deserved[r] > fair ? queue->deserved[r] : fair;
    return queue->limit[r] != AL_UNLIMITED && queue->limit[r] < v ? queue->limit[r] : v;
}

bool al__within(const int64_t a[], const int64_t bound[]) {
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        if (bound[r] != AL_UNLIMITED && a[r] > bound[r])
            return false;
    return true;
}
