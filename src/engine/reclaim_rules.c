/* reclaim_rules.c - when one queue may take resources back from others (see reclaim_rules.h). */
#include "engine/reclaim_rules.h"

#include <string.h>

#include "engine/job_steps.h"
#include "engine/order.h"
#include "engine/quota.h"
#include "engine/semi_preemptible.h"
#include "util/wide.h"

bool al__reclaim_allowed(const struct al__session *s, int32_t j, const int64_t req[]) {
    const struct al_job *job = &s->cluster->jobs[j];
    const struct al__queue_state *qs = &s->queues[job->queue];
    int64_t with[AL_RESOURCE_COUNT], with_np[AL_RESOURCE_COUNT];
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        with[r] = qs->allocated[r] + req[r];
        with_np[r] = qs->allocated_np[r] + req[r];
    }
    if (!al__within(with, qs->fair_share))
        return false;
    return !al__job_step_is_core(s, j) ||
           al__within(with_np, s->cluster->queues[job->queue].deserved);
}

static unsigned resource_bits(const int64_t amount[]) {
    unsigned bits = 0;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        bits |= amount[r] > 0 ? 1u << r : 0;
    return bits;
}

struct reclaim_check {
    const struct al__session *s;
    const struct al__scenario *sc;
    int64_t (*remaining)[AL_RESOURCE_COUNT];
    unsigned char *touched;
    unsigned char *involved;
    int32_t *touched_list; /* the queues set in touched */
    int32_t touched_count;
    int64_t req[AL_RESOURCE_COUNT];
};

static int64_t *remaining_of(struct reclaim_check *k, int32_t q) {
    if (!k->touched[q]) {
        k->touched[q] = 1;
        k->touched_list[k->touched_count++] = q;
        memcpy(k->remaining[q], k->sc->base[q], sizeof(k->remaining[q]));
    }
    return k->remaining[q];
}

/* `theirs` holds more than it may keep, so the unit may be taken from it. */
static bool may_take(struct reclaim_check *k, int32_t mine, int32_t theirs) {
    const struct al__session *s = k->s;
    const int64_t *rem = remaining_of(k, theirs);
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        int64_t keep = al__allocatable_share(s, theirs, r);
        if (keep != AL_UNLIMITED && rem[r] > keep)
            return true; /* above its fair share */
    }
    int64_t with[AL_RESOURCE_COUNT];
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        with[r] = k->sc->base[mine][r] + k->req[r];
    if (!al__within(with, s->cluster->queues[mine].deserved))
        return false;
    if (s->cluster->config.queue_priority_in_quota_reclaim &&
        s->cluster->queues[mine].priority > s->cluster->queues[theirs].priority)
        return true; /* in-quota resources of a lower-priority queue */
    return !al__within(rem, s->cluster->queues[theirs].deserved); /* above its deserved quota */
}

/* Takes one unit (tasks[0..n) of one job) if allowed. */
static bool take_unit(struct reclaim_check *k, const int32_t *tasks, int32_t n) {
    const struct al__session *s = k->s;
    int32_t leaf = s->cluster->jobs[s->cluster->tasks[tasks[0]].job].queue;
    int32_t mine = s->cluster->jobs[k->sc->preemptor].queue, theirs = leaf;
    al__diverge(s, &mine, &theirs);
    if (!may_take(k, mine, theirs))
        return false;
    int64_t unit[AL_RESOURCE_COUNT] = {0};
    for (int32_t i = 0; i < n; i++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            unit[r] += s->tasks[tasks[i]].charge[r];
    unsigned bits = resource_bits(unit);
    for (int32_t q = leaf; q >= 0; q = s->cluster->queues[q].parent) {
        int64_t *rem = remaining_of(k, q);
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            rem[r] -= unit[r];
        k->involved[q] |= (unsigned char)bits;
    }
    return true;
}

/* Takes the victims of job j in units: each task above a (sub)group's minimum alone, then the
 * rest together. `victims` lists every scenario victim; only j's are used. */
static bool take_job(struct reclaim_check *k, int32_t j, int32_t *core) {
    const struct al__session *s = k->s;
    const struct al_job *job = &s->cluster->jobs[j];
    const struct al__scenario *sc = k->sc;
    size_t groups = job->subgroup_count ? job->subgroup_count : 1;
    int32_t ncore = 0;
    for (size_t g = 0; g < groups; g++) {
        /* a semi-preemptible job gives only tasks beyond its core: each is a unit alone */
        int32_t min = job->semi_preemptible ? 0 : al__group_min(job, g);
        int32_t seen = 0;
        for (int32_t i = 0; i < sc->victim_count; i++) {
            int32_t t = sc->victims[i], tg = s->cluster->tasks[t].subgroup;
            if (s->cluster->tasks[t].job != j || (size_t)(tg < 0 ? 0 : tg) != g)
                continue;
            if (s->tasks[t].state != AL_TASK_RELEASING)
                continue; /* moved, not taken: its queue keeps it */
            if (seen++ < min)
                core[ncore++] = t;
            else if (!take_unit(k, &t, 1))
                return false;
        }
    }
    return ncore == 0 || take_unit(k, core, ncore);
}

/* The reclaimer's queue q (with the step) is no more saturated than sibling sib, in the
 * resources involved: allocated / fair share above 1 must stay below the sibling's. */
static bool not_more_saturated(const struct reclaim_check *k, const int64_t mine[], int32_t q,
                               int32_t sib) {
    const struct al__session *s = k->s;
    unsigned bits = k->involved[sib] | resource_bits(k->req);
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        if (!(bits & (1u << r)))
            continue;
        int64_t fq = s->queues[q].fair_share[r], fs = s->queues[sib].fair_share[r];
        int64_t theirs = k->remaining[sib][r];
        bool over = fq == 0 ? mine[r] > 0 : mine[r] > fq;
        if (!over || fs <= 0)
            continue;
        /* mine / fq >= theirs / fs, with fq == 0 meaning infinitely saturated */
        if (fq == 0 || (al__i128)mine[r] * fs >= (al__i128)theirs * fq)
            return false;
    }
    return true;
}

static bool reclaimer_within_bounds(struct reclaim_check *k) {
    const struct al__session *s = k->s;
    const struct al_job *job = &s->cluster->jobs[k->sc->preemptor];
    bool core = al__job_step_is_core(s, k->sc->preemptor);
    for (int32_t q = job->queue; q >= 0; q = s->cluster->queues[q].parent) {
        int64_t mine[AL_RESOURCE_COUNT], np[AL_RESOURCE_COUNT];
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            mine[r] = (k->touched[q] ? k->remaining[q][r] : k->sc->base[q][r]) + k->req[r];
            np[r] = k->sc->base_np[q][r] + k->req[r];
        }
        int32_t parent = s->cluster->queues[q].parent;
        for (int32_t i = 0; i < k->touched_count; i++) {
            int32_t sib = k->touched_list[i];
            if (sib != q && s->cluster->queues[sib].parent == parent &&
                !not_more_saturated(k, mine, q, sib))
                return false;
        }
        if (core && !al__within(np, s->cluster->queues[q].deserved))
            return false;
    }
    return true;
}

bool al__reclaim_acceptable(const struct al__session *s, const struct al__scenario *sc,
                            int64_t (*scratch)[AL_RESOURCE_COUNT], unsigned char *touched,
                            unsigned char *involved, int32_t *touched_list) {
    struct reclaim_check k = {.s = s,
                              .sc = sc,
                              .remaining = scratch,
                              .touched = touched,
                              .involved = involved,
                              .touched_list = touched_list};
    al__tasks_request(s, sc->pending, sc->pending_count, k.req);
    bool ok = true;
    for (int32_t i = 0; i < sc->victim_count && ok; i++) {
        int32_t j = s->cluster->tasks[sc->victims[i]].job;
        if (sc->job_marks[j])
            continue;
        sc->job_marks[j] = 1;
        ok = take_job(&k, j, sc->task_scratch);
    }
    for (int32_t i = 0; i < sc->victim_count; i++)
        sc->job_marks[s->cluster->tasks[sc->victims[i]].job] = 0;
    ok = ok && reclaimer_within_bounds(&k);
    for (int32_t i = 0; i < k.touched_count; i++) /* scratch back to zero */
        touched[touched_list[i]] = involved[touched_list[i]] = 0;
    return ok;
}
