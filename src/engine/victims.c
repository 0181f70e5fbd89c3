/* victims.c - candidate victims in reverse scheduling order (see victims.h). */
#include "engine/victims.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/order.h"
#include "engine/quota.h"

bool al__victim_task(const struct al__session *s, int32_t t) {
    enum al_task_state st = s->tasks[t].state;
    return st == AL_TASK_RUNNING || st == AL_TASK_BOUND ||
           (st == AL_TASK_PIPELINED && s->cluster->tasks[t].state == AL_TASK_PIPELINED);
}

int al__victims_init(struct al__session *s, struct al__victim_queue *vq) {
    const struct al_cluster *c = s->cluster;
    memset(vq, 0, sizeof(*vq));
    vq->session = s;
    vq->entries = al__arena_array(&s->arena, c->job_count + 1, sizeof(*vq->entries));
    vq->taken = al__arena_array(&s->arena, c->queue_count + 1, sizeof(*vq->taken));
    vq->task_storage = al__arena_array(&s->arena, c->task_count + 1, sizeof(int32_t));
    size_t max_groups = 1;
    for (size_t j = 0; j < c->job_count; j++)
        max_groups =
            c->jobs[j].subgroup_count > max_groups ? c->jobs[j].subgroup_count : max_groups;
    vq->counts = al__arena_array(&s->arena, max_groups, sizeof(int32_t));
    if (!vq->entries || !vq->taken || !vq->counts || !vq->task_storage)
        return -AL_ENOMEM;
    return 0;
}

void al__victims_fill(struct al__victim_queue *vq, al__victim_filter filter, const void *ctx,
                      const unsigned char *skip) {
    struct al__session *s = vq->session;
    const struct al_cluster *c = s->cluster;
    vq->count = 0;
    memset(vq->taken, 0, (c->queue_count + 1) * sizeof(*vq->taken));
    for (size_t j = 0; j < c->job_count; j++) {
        const struct al_job *job = &c->jobs[j];
        struct al__victim_entry e = {.job = (int32_t)j,
                                     .tasks = &vq->task_storage[job->first_task]};
        for (size_t i = 0; i < job->task_count; i++) {
            int32_t t = s->jobs[j].order[i];
            if (al__victim_task(s, t) && !(skip && skip[t]))
                e.tasks[e.count++] = t;
        }
        if (e.count > 0 && filter(s, (int32_t)j, ctx))
            vq->entries[vq->count++] = e;
    }
}

/* Tasks of the entry per (sub)group: counts[g] (index 0 when the job has no subgroups). */
static void group_counts(const struct al__session *s, const struct al__victim_entry *e,
                         int32_t *counts, size_t groups) {
    for (size_t g = 0; g < groups; g++)
        counts[g] = 0;
    for (int32_t i = 0; i < e->count; i++) {
        int32_t g = s->cluster->tasks[e->tasks[i]].subgroup;
        counts[g < 0 ? 0 : g]++;
    }
}

/* -1 below the gang minimum (any group), 0 at it, 1 above it, counting the entry's tasks. */
static int entry_min_state(const struct al__victim_queue *vq, const struct al__victim_entry *e) {
    const struct al__session *s = vq->session;
    const struct al_job *job = &s->cluster->jobs[e->job];
    size_t groups = job->subgroup_count ? job->subgroup_count : 1;
    int32_t *counts = vq->counts;
    group_counts(s, e, counts, groups);
    int state = 0;
    for (size_t g = 0; g < groups; g++) {
        if (counts[g] < al__group_min(job, g))
            return -1;
        if (counts[g] > al__group_min(job, g))
            state = 1;
    }
    return state;
}

static int cmp_i64(int64_t a, int64_t b) {
    return (a > b) - (a < b);
}

static bool over_fair_share(const struct al__queue_state *qs) {
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        if (qs->fair_share[r] >= qs->allocated[r])
            return false;
    return true;
}

/* Holds some resource it has no share of. */
static bool zero_share_violation(const struct al__session *s, int32_t q) {
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        if (al__allocatable_share(s, q, r) == 0 && s->queues[q].allocated[r] > 0)
            return true;
    return false;
}

/* Dominant share of level queue lq once the victims taken from `leaf` and entry e are gone. */
static int64_t share_without(const struct al__victim_queue *vq, int32_t lq, int32_t leaf,
                             const struct al__victim_entry *e) {
    const struct al__session *s = vq->session;
    int64_t left[AL_RESOURCE_COUNT];
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        left[r] = s->queues[lq].allocated[r] - vq->taken[leaf][r];
    for (int32_t i = 0; i < e->count; i++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            left[r] -= s->tasks[e->tasks[i]].charge[r];
    return al__dominant_share(s, left);
}

/* < 0 when the queue of a gives victims before the queue of b. */
static int queue_victim_cmp(const struct al__victim_queue *vq, const struct al__victim_entry *a,
                            const struct al__victim_entry *b) {
    const struct al__session *s = vq->session;
    int32_t leaf_a = s->cluster->jobs[a->job].queue, leaf_b = s->cluster->jobs[b->job].queue;
    int32_t la = leaf_a, lb = leaf_b;
    al__diverge(s, &la, &lb);
    const struct al_queue *qa = &s->cluster->queues[la], *qb = &s->cluster->queues[lb];
    const struct al__queue_state *sa = &s->queues[la], *sb = &s->queues[lb];
    int r = (int)over_fair_share(sb) - (int)over_fair_share(sa);
    if (r)
        return r;
    r = (int)al__within(sa->allocated, qa->deserved) - (int)al__within(sb->allocated, qb->deserved);
    if (r)
        return r;
    if (qa->priority != qb->priority)
        return qa->priority < qb->priority ? -1 : 1;
    r = (int)zero_share_violation(s, lb) - (int)zero_share_violation(s, la);
    if (r)
        return r;
    r = cmp_i64(share_without(vq, lb, leaf_b, b), share_without(vq, la, leaf_a, a));
    if (r)
        return r;
    r = cmp_i64(al__dominant_share(s, sb->allocated), al__dominant_share(s, sa->allocated));
    return r ? r : -al__sibling_cmp(la, lb, s->cluster);
}

/* < 0 when entry a is evicted before entry b. */
static int victim_cmp(const struct al__victim_queue *vq, const struct al__victim_entry *a,
                      const struct al__victim_entry *b) {
    const struct al__session *s = vq->session;
    const struct al_job *ja = &s->cluster->jobs[a->job], *jb = &s->cluster->jobs[b->job];
    if (ja->queue != jb->queue)
        return queue_victim_cmp(vq, a, b);
    if (ja->priority != jb->priority)
        return ja->priority < jb->priority ? -1 : 1;
    int r = entry_min_state(vq, b) - entry_min_state(vq, a);
    if (r)
        return r;
    r = cmp_i64(jb->created_s, ja->created_s);
    return r ? r : strcmp(jb->name, ja->name);
}

/* The group an eviction unit comes from while some group is above its minimum: the one with
 * the most tasks per minimum; -1 when none is above. */
static int32_t surplus_group(const struct al_job *job, const int32_t *counts, size_t groups) {
    int32_t best = -1;
    for (size_t g = 0; g < groups; g++) {
        int64_t min = al__group_min(job, g);
        if (counts[g] <= min)
            continue;
        if (best < 0) {
            best = (int32_t)g;
            continue;
        }
        int64_t best_min = al__group_min(job, (size_t)best);
        bool fuller =
            min == 0 ? best_min != 0 : best_min != 0 && counts[g] * best_min > counts[best] * min;
        if (fuller)
            best = (int32_t)g;
    }
    return best;
}

int32_t al__victims_pop(struct al__victim_queue *vq, int32_t *job, int32_t *out) {
    const struct al__session *s = vq->session;
    if (vq->count == 0)
        return 0;
    size_t best = 0;
    for (size_t i = 1; i < vq->count; i++)
        if (victim_cmp(vq, &vq->entries[i], &vq->entries[best]) < 0)
            best = i;
    struct al__victim_entry *e = &vq->entries[best];
    const struct al_job *jb = &s->cluster->jobs[e->job];
    size_t groups = jb->subgroup_count ? jb->subgroup_count : 1;
    int32_t *counts = vq->counts;
    group_counts(s, e, counts, groups);
    int32_t g = surplus_group(jb, counts, groups), n = 0;
    if (g >= 0) { /* one surplus task: the last of its group in task order */
        for (int32_t i = e->count - 1; i >= 0 && n == 0; i--) {
            int32_t tg = s->cluster->tasks[e->tasks[i]].subgroup;
            if ((tg < 0 ? 0 : tg) == g) {
                out[n++] = e->tasks[i];
                memmove(&e->tasks[i], &e->tasks[i + 1],
                        (size_t)(e->count - i - 1) * sizeof(int32_t));
                e->count--;
            }
        }
    } else {
        for (int32_t i = e->count - 1; i >= 0; i--) /* reverse task order */
            out[n++] = e->tasks[i];
        e->count = 0;
    }
    *job = e->job;
    int32_t leaf = jb->queue;
    for (int32_t i = 0; i < n; i++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            vq->taken[leaf][r] += s->tasks[out[i]].charge[r];
    if (e->count == 0)
        vq->entries[best] = vq->entries[--vq->count];
    return n;
}
