/* semi_preemptible.c - the core of a semi-preemptible job (see semi_preemptible.h). */
#include "engine/semi_preemptible.h"

#include "engine/order.h"

/* Adds the charge of group g's first `min` charging tasks of job j (all of them when min < 0);
 * g < 0: the job has no subgroups. */
static void add_group(const struct al__session *s, int32_t j, int32_t g, int32_t min,
                      int64_t out[AL_RESOURCE_COUNT]) {
    const struct al_job *job = &s->cluster->jobs[j];
    int32_t seen = 0;
    for (size_t i = 0; i < job->task_count && (min < 0 || seen < min); i++) {
        int32_t t = s->jobs[j].order[i];
        if (g >= 0 && s->cluster->tasks[t].subgroup != g)
            continue;
        if (!al__state_charges_queue(s->tasks[t].state))
            continue;
        seen++;
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            out[r] += s->tasks[t].charge[r];
    }
}

void al__job_core_charge(const struct al__session *s, int32_t j, int64_t out[AL_RESOURCE_COUNT]) {
    const struct al_job *job = &s->cluster->jobs[j];
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        out[r] = 0;
    if (job->preemptible)
        return;
    if (!job->semi_preemptible) {
        add_group(s, j, -1, -1, out);
        return;
    }
    if (job->subgroup_count == 0) {
        add_group(s, j, -1, job->min_members, out);
        return;
    }
    for (size_t g = 0; g < job->subgroup_count; g++)
        add_group(s, j, (int32_t)g, job->subgroups[g].min_members, out);
}

bool al__job_step_is_core(const struct al__session *s, int32_t j) {
    const struct al_job *job = &s->cluster->jobs[j];
    if (job->preemptible)
        return false;
    return !job->semi_preemptible || al__job_min_state(s, j) < 0;
}

bool al__job_may_be_victim(const struct al_job *job) {
    return job->preemptible || job->semi_preemptible;
}
