/* min_runtime.c - min-runtime protection (see min_runtime.h). */
#include "engine/min_runtime.h"

#include "engine/order.h"

bool al__min_runtime_protected(const struct al__session *s, int32_t j, enum al_action action) {
    const struct al_cluster *c = s->cluster;
    const struct al_job *job = &c->jobs[j];
    if (!job->has_started)
        return false;
    for (int32_t q = job->queue; q >= 0; q = c->queues[q].parent) {
        const struct al_queue *queue = &c->queues[q];
        bool set = action == AL_ACTION_PREEMPT ? queue->has_preempt_min_runtime
                                               : queue->has_reclaim_min_runtime;
        if (!set)
            continue;
        int64_t min = action == AL_ACTION_PREEMPT ? queue->preempt_min_runtime_s
                                                  : queue->reclaim_min_runtime_s;
        return c->now_s - job->started_s < min;
    }
    return false;
}

/* Tasks of group g of job j (all tasks when it has no subgroups) that ran before this
 * cycle, and the group's minimum. */
static int32_t group_running(const struct al__session *s, int32_t j, int32_t g, int32_t *min) {
    const struct al_job *job = &s->cluster->jobs[j];
    int32_t n = 0;
    *min = al__group_min(job, (size_t)g);
    for (size_t i = 0; i < job->task_count; i++) {
        const struct al_task *t = &s->cluster->tasks[job->first_task + i];
        bool ran = t->state == AL_TASK_RUNNING || t->state == AL_TASK_BOUND ||
                   t->state == AL_TASK_PIPELINED;
        n += ran && (job->subgroup_count == 0 || t->subgroup == g);
    }
    return n;
}

bool al__job_elastic(const struct al__session *s, int32_t j) {
    const struct al_job *job = &s->cluster->jobs[j];
    if (job->subgroup_count == 0)
        return (size_t)job->min_members < job->task_count;
    for (size_t g = 0; g < job->subgroup_count; g++) {
        int32_t n = 0;
        for (size_t i = 0; i < job->task_count; i++)
            n += s->cluster->tasks[job->first_task + i].subgroup == (int32_t)g;
        if (n > job->subgroups[g].min_members)
            return true;
    }
    return false;
}

bool al__min_runtime_valid(const struct al__session *s, const struct al__search *search,
                           const struct al__scenario *sc) {
    const struct al_cluster *c = s->cluster;
    for (int32_t i = 0; i < sc->victim_count; i++) {
        int32_t t = sc->victims[i], j = c->tasks[t].job;
        if (!al__job_elastic(s, j) || !al__min_runtime_protected(s, j, search->action))
            continue;
        int32_t g = c->jobs[j].subgroup_count ? c->tasks[t].subgroup : 0, min, taken = 0;
        int32_t running = group_running(s, j, g, &min);
        for (int32_t m = 0; m < sc->victim_count; m++) {
            const struct al_task *other = &c->tasks[sc->victims[m]];
            taken += other->job == j && (c->jobs[j].subgroup_count == 0 || other->subgroup == g);
        }
        if (running - taken < min)
            return false;
    }
    return true;
}
