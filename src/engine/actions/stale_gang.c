/* stale_gang.c - stale-gang eviction: gangs stuck below their minimum are evicted whole. */
#include "engine/actions/actions.h"

#include "allot/errors.h"
#include "engine/order.h"
#include "engine/statement.h"
#include "util/sort.h"

static bool holds(enum al_task_state state) {
    return state == AL_TASK_ALLOCATED || state == AL_TASK_PIPELINED || state == AL_TASK_BOUND ||
           state == AL_TASK_RUNNING || state == AL_TASK_RELEASING;
}

/* Active tasks, none succeeded, and some (sub)group below its minimum. Releasing tasks count
 * as active here (unlike in the session's counts), so the groups are counted afresh into
 * per_group, a scratch array of at least the job's subgroup count. */
static bool is_stale(const struct al__session *s, int32_t j, int32_t *per_group) {
    const struct al_job *job = &s->cluster->jobs[j];
    int32_t active = 0;
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

static bool past_grace(const struct al_config *config, const struct al_job *job) {
    int64_t grace = job->has_staleness_grace_period ? job->staleness_grace_period_s
                                                    : config->staleness_grace_period_s;
    int64_t stale_for = job->has_stale_for ? job->stale_for_s : 0;
    return grace >= 0 && stale_for >= grace;
}

/* Evicts the job's running, bound and pipelined tasks, in task order. */
static int evict_job(struct al__session *s, struct al__statement *st, int32_t j) {
    const struct al_job *job = &s->cluster->jobs[j];
    for (size_t i = 0; i < job->task_count; i++) {
        int32_t t = s->jobs[j].order[i];
        enum al_task_state state = s->tasks[t].state;
        if (state != AL_TASK_RUNNING && state != AL_TASK_BOUND && state != AL_TASK_PIPELINED)
            continue;
        int rc = al__statement_evict(st, t, AL_REASON_STALE_GANG);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int al__action_stale_gang(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    size_t max_groups = 1;
    for (size_t j = 0; j < c->job_count; j++)
        if (c->jobs[j].subgroup_count > max_groups)
            max_groups = c->jobs[j].subgroup_count;
    int32_t *jobs = al__arena_array(&s->arena, c->job_count + 1, sizeof(int32_t));
    int32_t *per_group = al__arena_array(&s->arena, max_groups, sizeof(int32_t));
    if (!jobs || !per_group)
        return -AL_ENOMEM;
    size_t count = 0; /* the stale gangs past their grace period, evicted by name */
    for (size_t j = 0; j < c->job_count; j++)
        if (past_grace(&c->config, &c->jobs[j]) && is_stale(s, (int32_t)j, per_group))
            jobs[count++] = (int32_t)j;
    if (al__sort_ids(jobs, count, al__job_name_cmp, c) < 0)
        return -AL_ENOMEM;
    struct al__statement st;
    al__statement_begin(&st, s);
    for (size_t i = 0; i < count; i++) {
        int rc = evict_job(s, &st, jobs[i]);
        if (rc < 0) {
            al__statement_discard(&st);
            return rc;
        }
    }
    al__statement_commit(&st);
    return 0;
}
