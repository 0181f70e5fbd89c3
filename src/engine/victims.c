/* victims.c - candidate victims in reverse scheduling order (see victims.h). */
#include "engine/victims.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/order.h"
#include "engine/quota.h"
#include "util/sort.h"

bool al__victim_task(const struct al__session *s, int32_t t) {
    enum al_task_state st = s->tasks[t].state;
    return st == AL_TASK_RUNNING || st == AL_TASK_BOUND ||
           (st == AL_TASK_PIPELINED && s->cluster->tasks[t].state == AL_TASK_PIPELINED);
}

static int32_t depth_desc(int32_t a, int32_t b, const void *session) {
    const struct al__session *s = session;
    if (s->queues[a].depth != s->queues[b].depth)
        return s->queues[a].depth > s->queues[b].depth ? -1 : 1;
    return a < b ? -1 : a > b;
}

static int within_queue_cmp(int32_t a, int32_t b, const void *vq);

int al__victims_init(struct al__session *s, struct al__victim_queue *vq) {
    const struct al_cluster *c = s->cluster;
    size_t queues = c->queue_count + 1;
    memset(vq, 0, sizeof(*vq));
    vq->session = s;
    vq->entries = al__arena_array(&s->arena, c->job_count + 1, sizeof(*vq->entries));
    vq->taken = al__arena_array(&s->arena, queues, sizeof(*vq->taken));
    vq->task_storage = al__arena_array(&s->arena, c->task_count + 1, sizeof(int32_t));
    vq->heaps = al__arena_array(&s->arena, queues, sizeof(*vq->heaps));
    vq->first = al__arena_array(&s->arena, queues, sizeof(int32_t));
    vq->jobs_by_queue = al__arena_array(&s->arena, c->job_count + 1, sizeof(int32_t));
    vq->queue_jobs = al__arena_array(&s->arena, queues, sizeof(int32_t));
    vq->queue_job_count = al__arena_array(&s->arena, queues, sizeof(int32_t));
    vq->by_depth = al__arena_array(&s->arena, queues, sizeof(int32_t));
    int32_t *items = al__arena_array(&s->arena, c->job_count + 1, sizeof(int32_t));
    size_t max_groups = 1;
    for (size_t j = 0; j < c->job_count; j++)
        max_groups =
            c->jobs[j].subgroup_count > max_groups ? c->jobs[j].subgroup_count : max_groups;
    vq->counts = al__arena_array(&s->arena, max_groups, sizeof(int32_t));
    if (!vq->entries || !vq->taken || !vq->counts || !vq->task_storage || !vq->heaps ||
        !vq->first || !vq->jobs_by_queue || !vq->queue_jobs || !vq->queue_job_count ||
        !vq->by_depth || !items)
        return -AL_ENOMEM;
    for (size_t j = 0; j < c->job_count; j++)
        vq->queue_job_count[c->jobs[j].queue]++;
    int32_t offset = 0;
    for (size_t q = 0; q < c->queue_count; q++) {
        vq->queue_jobs[q] = offset;
        al__heap_init(&vq->heaps[q], items + offset, (size_t)vq->queue_job_count[q],
                      within_queue_cmp, vq);
        offset += vq->queue_job_count[q];
        vq->queue_job_count[q] = 0;
        vq->by_depth[q] = (int32_t)q;
    }
    for (size_t j = 0; j < c->job_count; j++) {
        int32_t q = c->jobs[j].queue;
        vq->jobs_by_queue[vq->queue_jobs[q] + vq->queue_job_count[q]++] = (int32_t)j;
    }
    return al__sort_ids(vq->by_depth, c->queue_count, depth_desc, s) < 0 ? -AL_ENOMEM : 0;
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

/* Caches the entry's gang state and charge after its tasks changed. */
static void entry_refresh(const struct al__victim_queue *vq, struct al__victim_entry *e) {
    const struct al__session *s = vq->session;
    e->min_state = entry_min_state(vq, e);
    memset(e->charge, 0, sizeof(e->charge));
    for (int32_t i = 0; i < e->count; i++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            e->charge[r] += s->tasks[e->tasks[i]].charge[r];
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
        left[r] = s->queues[lq].allocated[r] - vq->taken[leaf][r] - e->charge[r];
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

/* < 0 when entry a of a leaf queue is evicted before entry b of the same queue: the reverse of
 * job order (lower priority, above the gang minimum before at it before below, newer). */
static int within_queue_cmp(int32_t ia, int32_t ib, const void *queue) {
    const struct al__victim_queue *vq = queue;
    const struct al__victim_entry *a = &vq->entries[ia], *b = &vq->entries[ib];
    const struct al_job *ja = &vq->session->cluster->jobs[a->job];
    const struct al_job *jb = &vq->session->cluster->jobs[b->job];
    if (ja->priority != jb->priority)
        return ja->priority < jb->priority ? -1 : 1;
    if (a->min_state != b->min_state)
        return b->min_state - a->min_state;
    int r = cmp_i64(jb->created_s, ja->created_s);
    return r ? r : strcmp(jb->name, ja->name);
}

/* The first of two entries (-1 = none) of different subtrees. */
static int32_t first_of(const struct al__victim_queue *vq, int32_t a, int32_t b) {
    if (a < 0 || b < 0)
        return a < 0 ? b : a;
    return queue_victim_cmp(vq, &vq->entries[b], &vq->entries[a]) < 0 ? b : a;
}

/* Recomputes which entry queue q's subtree gives first. */
static void queue_refresh(struct al__victim_queue *vq, int32_t q) {
    const struct al__queue_state *qs = &vq->session->queues[q];
    if (qs->child_count == 0) {
        vq->first[q] = al__heap_peek(&vq->heaps[q]);
        return;
    }
    int32_t best = -1;
    for (int32_t i = 0; i < qs->child_count; i++)
        best = first_of(vq, best, vq->first[qs->children[i]]);
    vq->first[q] = best;
}

static void root_refresh(struct al__victim_queue *vq) {
    const struct al__session *s = vq->session;
    vq->root = -1;
    for (int32_t i = 0; i < s->top_count; i++)
        vq->root = first_of(vq, vq->root, vq->first[s->top_queues[i]]);
}

void al__victims_fill(struct al__victim_queue *vq, al__victim_filter filter, const void *ctx,
                      const unsigned char *skip, int32_t only_queue) {
    struct al__session *s = vq->session;
    const struct al_cluster *c = s->cluster;
    vq->count = 0;
    memset(vq->taken, 0, (c->queue_count + 1) * sizeof(*vq->taken));
    for (size_t q = 0; q < c->queue_count; q++) {
        vq->heaps[q].count = 0;
        vq->first[q] = -1;
        if (only_queue >= 0 && (int32_t)q != only_queue)
            continue;
        const int32_t *jobs = &vq->jobs_by_queue[vq->queue_jobs[q]];
        for (int32_t k = 0; k < vq->queue_job_count[q]; k++) {
            int32_t j = jobs[k];
            const struct al_job *job = &c->jobs[j];
            struct al__victim_entry *e = &vq->entries[vq->count];
            *e = (struct al__victim_entry){.job = j, .tasks = &vq->task_storage[job->first_task]};
            for (size_t i = 0; i < job->task_count; i++) {
                int32_t t = s->jobs[j].order[i];
                if (al__victim_task(s, t) && !(skip && skip[t]))
                    e->tasks[e->count++] = t;
            }
            if (e->count == 0 || !filter(s, j, ctx))
                continue;
            entry_refresh(vq, e);
            al__heap_push(&vq->heaps[q], (int32_t)vq->count++);
        }
    }
    for (size_t i = 0; i < c->queue_count; i++)
        queue_refresh(vq, vq->by_depth[i]);
    root_refresh(vq);
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
    if (vq->root < 0)
        return 0;
    struct al__victim_entry *e = &vq->entries[vq->root];
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
    int32_t popped = al__heap_pop(&vq->heaps[leaf]); /* the root entry heads its leaf */
    if (e->count > 0) {
        entry_refresh(vq, e);
        al__heap_push(&vq->heaps[leaf], popped);
    }
    for (int32_t q = leaf; q >= 0; q = s->cluster->queues[q].parent)
        queue_refresh(vq, q);
    root_refresh(vq);
    return n;
}
