/* stale_gang.c - stale-gang eviction: gangs stuck below their minimum are evicted whole. */
#include "engine/actions/actions.h"

#include "engine/statement.h"

static bool holds(enum al_task_state state) {
    return state == AL_TASK_ALLOCATED || state == AL_TASK_PIPELINED || state == AL_TASK_BOUND ||
           state == AL_TASK_RUNNING || state == AL_TASK_RELEASING;
}

/* Active tasks, none succeeded, and some (sub)group below its minimum. */
static bool is_stale(const struct al__session *s, int32_t j) {
    const struct al_job *job = &s->cluster->jobs[j];
    int32_t active = 0, *per_group = s->jobs[j].sub_active; /* reused as scratch below */
    for (size_t g = 0; g < job->subgroup_count; g++)
        per_group[g] = 0;
    for (size_t i = 0; i < job->task_count; i++) {
        const struct al_task *task = &s->cluster->tasks[job->first_task + i];
        enum al_task_state state = s->tasks[job->first_task + i].state;
        if (state == AL_TASK_SUCCEEDED)
            return false;
        if (!holds(state))
            continue;
        active++;
        if (task->subgroup >= 0)
            per_group[task->subgroup]++;
    }
    bool below = job->subgroup_count == 0 && active < job->min_members;
    for (size_t g = 0; g < job->subgroup_count; g++)
        below |= per_group[g] < job->subgroups[g].min_members;
    return active > 0 && below;
}

/* Puts back the subgroup counts that is_stale() borrowed. */
static void recount(struct al__session *s, int32_t j) {
    const struct al_job *job = &s->cluster->jobs[j];
    for (size_t g = 0; g < job->subgroup_count; g++)
        s->jobs[j].sub_active[g] = 0;
    for (size_t i = 0; i < job->task_count; i++) {
        const struct al_task *task = &s->cluster->tasks[job->first_task + i];
        if (task->subgroup >= 0 && al__state_charges_queue(s->tasks[job->first_task + i].state))
            s->jobs[j].sub_active[task->subgroup]++;
    }
}

static bool past_grace(const struct al_config *config, const struct al_job *job) {
    int64_t grace = job->has_staleness_grace_period ? job->staleness_grace_period_s
                                                    : config->staleness_grace_period_s;
    int64_t stale_for = job->has_stale_for ? job->stale_for_s : 0;
    return grace >= 0 && stale_for >= grace;
}

int al__action_stale_gang(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    struct al__statement st;
    al__statement_begin(&st, s);
    for (size_t j = 0; j < c->job_count; j++) {
        bool stale = is_stale(s, (int32_t)j);
        recount(s, (int32_t)j);
        if (!stale || !past_grace(&c->config, &c->jobs[j]))
            continue;
        for (size_t i = 0; i < c->jobs[j].task_count; i++) {
            int32_t t = (int32_t)(c->jobs[j].first_task + i);
            enum al_task_state state = s->tasks[t].state;
            if (state != AL_TASK_RUNNING && state != AL_TASK_BOUND && state != AL_TASK_PIPELINED)
                continue;
            int rc = al__statement_evict(&st, t, AL_REASON_STALE_GANG);
            if (rc < 0) {
                al__statement_discard(&st);
                return rc;
            }
        }
    }
    al__statement_commit(&st);
    return 0;
}
