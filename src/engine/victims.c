/* victims.c - candidate victims in reverse scheduling order (see victims.h). */
#include "engine/victims.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/min_runtime.h"
#include "engine/order.h"
#include "engine/quota.h"
#include "engine/semi_preemptible.h"
#include "util/sort.h"

bool al__victim_task(const struct al__session *s, int32_t t) {
    enum al_task_state st = s->tasks[t].state;
    return st == AL_TASK_RUNNING || st == AL_TASK_BOUND ||
           (st == AL_TASK_PIPELINED && s->cluster->tasks[t].state == AL_TASK_PIPELINED);
}

/* ---- entries ---- */

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
static int entry_min_state(const struct al__victim_queue *vq, int32_t j) {
    const struct al__session *s = vq->session;
    const struct al_job *job = &s->cluster->jobs[j];
    if (job->subgroup_count == 0) { /* one group: the entry's count */
        int32_t n = vq->entries[j].count;
        return n < job->min_members ? -1 : n > job->min_members;
    }
    size_t groups = job->subgroup_count;
    group_counts(s, &vq->entries[j], vq->counts, groups);
    int state = 0;
    for (size_t g = 0; g < groups; g++) {
        if (vq->counts[g] < al__group_min(job, g))
            return -1;
        if (vq->counts[g] > al__group_min(job, g))
            state = 1;
    }
    return state;
}

static int32_t surplus_group(const struct al_job *job, const int32_t *counts, size_t groups);

/* Caches the entry's gang state and charge after its tasks changed. A semi-preemptible job
 * gives only tasks above its (sub)groups' minimums: with none left its entry is empty. */
static void entry_refresh(struct al__victim_queue *vq, int32_t j) {
    const struct al__session *s = vq->session;
    struct al__victim_entry *e = &vq->entries[j];
    const struct al_job *job = &s->cluster->jobs[j];
    if (job->semi_preemptible) {
        size_t groups = job->subgroup_count ? job->subgroup_count : 1;
        group_counts(s, e, vq->counts, groups);
        if (surplus_group(job, vq->counts, groups) < 0)
            e->count = 0;
    }
    e->min_state = entry_min_state(vq, j);
    memset(e->charge, 0, sizeof(e->charge));
    for (int32_t i = 0; i < e->count; i++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            e->charge[r] += s->tasks[e->tasks[i]].charge[r];
}

/* Reads job j's victim tasks from the session. */
static void entry_read(struct al__victim_queue *vq, int32_t j) {
    const struct al__session *s = vq->session;
    vq->entry_version[j] = s->job_version[j];
    const struct al_job *job = &s->cluster->jobs[j];
    struct al__victim_entry *e = &vq->entries[j];
    e->priority = job->priority;
    e->created_s = job->created_s;
    e->tasks = &vq->task_storage[job->first_task];
    e->count = 0;
    for (size_t i = 0; i < job->task_count; i++) {
        int32_t t = s->jobs[j].order[i];
        if (al__victim_task(s, t))
            e->tasks[e->count++] = t;
    }
    entry_refresh(vq, j);
}

/* Before the search changes entry j: keep it for the undo. */
static void entry_save(struct al__victim_queue *vq, int32_t j) {
    if (vq->entry_saved[j])
        return;
    const struct al__victim_entry *e = &vq->entries[j];
    vq->entry_saved[j] = 1;
    vq->saved_jobs[vq->saved_count++] = j;
    vq->saved_entries[j] = *e;
    memcpy(&vq->saved_tasks[e->tasks - vq->task_storage], e->tasks,
           (size_t)e->count * sizeof(int32_t));
}

/* ---- order ---- */

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

/* < 0 when the queue of job a gives victims before the queue of job b (different leaves). */
static int queue_victim_cmp(const struct al__victim_queue *vq, int32_t ja, int32_t jb) {
    const struct al__session *s = vq->session;
    const struct al__victim_entry *a = &vq->entries[ja], *b = &vq->entries[jb];
    int32_t leaf_a = s->cluster->jobs[ja].queue, leaf_b = s->cluster->jobs[jb].queue;
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

/* < 0 when job a's entry is evicted before job b's, both of one leaf queue: the reverse of
 * the job order (al_job_order_cmp), with the gang state the entry's tasks give. */
static int within_queue_cmp(const struct al__victim_queue *vq, int32_t a, int32_t b) {
    const struct al__victim_entry *ea = &vq->entries[a], *eb = &vq->entries[b];
    if (ea->priority != eb->priority) /* the common answers, without building keys */
        return ea->priority < eb->priority ? -1 : 1;
    const struct al_cluster *c = vq->session->cluster;
    struct al_job_order_key ka = {ea->priority, ea->min_state, ea->created_s, c->jobs[a].name};
    struct al_job_order_key kb = {eb->priority, eb->min_state, eb->created_s, c->jobs[b].name};
    return al_job_order_cmp(&kb, &ka);
}

/* ---- per-leaf heaps of jobs, with each job's slot ---- */

static int32_t *heap_of(struct al__victim_queue *vq, int32_t q) {
    return &vq->heap[vq->queue_jobs[q]];
}

static void heap_set(struct al__victim_queue *vq, int32_t *h, int32_t i, int32_t j) {
    h[i] = j;
    vq->slot[j] = i;
}

static void sift_up(struct al__victim_queue *vq, int32_t *h, int32_t i) {
    int32_t j = h[i];
    while (i > 0 && within_queue_cmp(vq, j, h[(i - 1) / 2]) < 0) {
        heap_set(vq, h, i, h[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(vq, h, i, j);
}

static void sift_down(struct al__victim_queue *vq, int32_t *h, int32_t n, int32_t i) {
    int32_t j = h[i];
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, best = l;
        if (l >= n)
            break;
        if (r < n && within_queue_cmp(vq, h[r], h[l]) < 0)
            best = r;
        if (within_queue_cmp(vq, h[best], j) >= 0)
            break;
        heap_set(vq, h, i, h[best]);
        i = best;
    }
    heap_set(vq, h, i, j);
}

/* Job j (in its queue's heap) changed: restore the heap order, or remove it when empty. */
static void heap_update(struct al__victim_queue *vq, int32_t j) {
    int32_t q = vq->session->cluster->jobs[j].queue, *h = heap_of(vq, q), i = vq->slot[j];
    if (vq->entries[j].count == 0) {
        int32_t last = h[--vq->heap_count[q]];
        vq->slot[j] = -1;
        if (last == j)
            return;
        heap_set(vq, h, i, last);
        j = last;
    }
    sift_up(vq, h, i);
    sift_down(vq, h, vq->heap_count[q], vq->slot[j]);
}

static void heap_insert(struct al__victim_queue *vq, int32_t j) {
    int32_t q = vq->session->cluster->jobs[j].queue, *h = heap_of(vq, q);
    int32_t i = vq->heap_count[q]++;
    heap_set(vq, h, i, j);
    sift_up(vq, h, i);
}

/* ---- the tournament ---- */

/* Whether leaf q takes part in the current search. */
static bool in_scope(const struct al__victim_queue *vq, int32_t q) {
    int32_t own = vq->preemptor >= 0 ? vq->session->cluster->jobs[vq->preemptor].queue : -1;
    return vq->scope != AL__SCOPE_OTHER_QUEUES || q != own;
}

/* The first of two jobs (-1 = none) of different subtrees. */
static int32_t first_of(const struct al__victim_queue *vq, int32_t a, int32_t b) {
    if (a < 0 || b < 0)
        return a < 0 ? b : a;
    return queue_victim_cmp(vq, b, a) < 0 ? b : a;
}

/* Recomputes which job queue q's subtree gives first. */
static void queue_refresh(struct al__victim_queue *vq, int32_t q) {
    const struct al__queue_state *qs = &vq->session->queues[q];
    if (qs->child_count == 0) {
        vq->first[q] = vq->heap_count[q] > 0 && in_scope(vq, q) ? heap_of(vq, q)[0] : -1;
        return;
    }
    int32_t best = -1;
    for (int32_t i = 0; i < qs->child_count; i++)
        best = first_of(vq, best, vq->first[qs->children[i]]);
    vq->first[q] = best;
}

static void path_refresh(struct al__victim_queue *vq, int32_t leaf) {
    for (int32_t q = leaf; q >= 0; q = vq->session->cluster->queues[q].parent)
        queue_refresh(vq, q);
}

static void root_refresh(struct al__victim_queue *vq) {
    const struct al__session *s = vq->session;
    vq->root = -1;
    if (vq->scope == AL__SCOPE_OWN_LOWER) { /* one leaf: its head, if lower than the preemptor */
        if (vq->preemptor < 0)
            return;
        int32_t q = s->cluster->jobs[vq->preemptor].queue;
        int32_t j = vq->heap_count[q] > 0 ? heap_of(vq, q)[0] : -1;
        if (j >= 0 && s->cluster->jobs[j].priority < s->cluster->jobs[vq->preemptor].priority)
            vq->root = j;
        return;
    }
    for (int32_t i = 0; i < s->top_count; i++)
        vq->root = first_of(vq, vq->root, vq->first[s->top_queues[i]]);
}

static void queue_touch(struct al__victim_queue *vq, int32_t q) {
    if (!vq->queue_touched[q]) {
        vq->queue_touched[q] = 1;
        vq->touched_queues[vq->touched_count++] = q;
    }
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

/* ---- the base and its undo ---- */

static int32_t depth_desc(int32_t a, int32_t b, const void *session) {
    const struct al__session *s = session;
    if (s->queues[a].depth != s->queues[b].depth)
        return s->queues[a].depth > s->queues[b].depth ? -1 : 1;
    return (a > b) - (a < b);
}

static void undo_search(struct al__victim_queue *vq);
static void refresh_all(struct al__victim_queue *vq);
static void reread(struct al__victim_queue *vq, int32_t j);
static void keep_touched(struct al__victim_queue *vq);

void al__victims_begin(struct al__victim_queue *vq, enum al_action action,
                       enum al__victim_scope scope) {
    const struct al_cluster *c = vq->session->cluster;
    /* Without min runtimes every action's base holds the same jobs: keep it, with the jobs
     * whose tasks changed since read again. */
    bool keep = vq->built && !vq->any_min_runtime;
    if (vq->built)
        undo_search(vq); /* the entries hold what the last search popped */
    vq->action = action;
    vq->scope = scope;
    vq->preemptor = -1;
    vq->root = -1;
    vq->built = keep;
    if (!keep)
        return;
    for (size_t j = 0; j < c->job_count; j++)
        if (vq->preemptible[j] && vq->entry_version[j] != vq->session->job_version[j])
            reread(vq, (int32_t)j);
    keep_touched(vq);
    refresh_all(vq);
}

int al__victims_init(struct al__session *s, struct al__victim_queue *vq) {
    const struct al_cluster *c = s->cluster;
    size_t queues = c->queue_count + 1, jobs = c->job_count + 1, tasks = c->task_count + 1;
    memset(vq, 0, sizeof(*vq));
    vq->session = s;
    struct al__arena *a = &s->arena;
    vq->entries = al__arena_array_raw(a, jobs, sizeof(*vq->entries));
    vq->entry_version = al__arena_array_raw(a, jobs, sizeof(uint32_t));
    vq->saved_entries = al__arena_array_raw(a, jobs, sizeof(*vq->saved_entries));
    vq->task_storage = al__arena_array_raw(a, tasks, sizeof(int32_t));
    vq->saved_tasks = al__arena_array_raw(a, tasks, sizeof(int32_t));
    vq->heap = al__arena_array_raw(a, jobs, sizeof(int32_t));
    vq->base_heap = al__arena_array_raw(a, jobs, sizeof(int32_t));
    vq->slot = al__arena_array_raw(a, jobs, sizeof(int32_t));
    vq->jobs_by_queue = al__arena_array_raw(a, jobs, sizeof(int32_t));
    vq->protected_jobs = al__arena_array_raw(a, jobs, sizeof(int32_t));
    vq->saved_jobs = al__arena_array_raw(a, jobs, sizeof(int32_t));
    vq->entry_saved = al__arena_array(a, jobs, 1);
    vq->heap_count = al__arena_array(a, queues, sizeof(int32_t));
    vq->base_count = al__arena_array(a, queues, sizeof(int32_t));
    vq->queue_jobs = al__arena_array(a, queues, sizeof(int32_t));
    vq->queue_job_count = al__arena_array(a, queues, sizeof(int32_t));
    vq->protected_count = al__arena_array(a, queues, sizeof(int32_t));
    vq->first = al__arena_array(a, queues, sizeof(int32_t));
    vq->by_depth = al__arena_array(a, queues, sizeof(int32_t));
    vq->touched_queues = al__arena_array(a, queues, sizeof(int32_t));
    vq->queue_touched = al__arena_array(a, queues, 1);
    vq->taken = al__arena_array(a, queues, sizeof(*vq->taken));
    size_t max_groups = 1;
    for (size_t j = 0; j < c->job_count; j++)
        max_groups =
            c->jobs[j].subgroup_count > max_groups ? c->jobs[j].subgroup_count : max_groups;
    vq->counts = al__arena_array(a, max_groups, sizeof(int32_t));
    if (!vq->entries || !vq->entry_version || !vq->saved_entries || !vq->task_storage ||
        !vq->saved_tasks || !vq->heap || !vq->base_heap || !vq->slot || !vq->jobs_by_queue ||
        !vq->protected_jobs || !vq->saved_jobs || !vq->entry_saved || !vq->heap_count ||
        !vq->base_count || !vq->queue_jobs || !vq->queue_job_count || !vq->protected_count ||
        !vq->first || !vq->by_depth || !vq->touched_queues || !vq->queue_touched || !vq->taken ||
        !vq->counts)
        return -AL_ENOMEM;
    memset(vq->entry_version, 0xff, jobs * sizeof(uint32_t)); /* nothing read yet */
    vq->preemptible = al__arena_array_raw(a, jobs, 1);
    if (!vq->preemptible)
        return -AL_ENOMEM;
    for (size_t j = 0; j < c->job_count; j++)
        vq->preemptible[j] = al__job_may_be_victim(&c->jobs[j]);
    for (size_t q = 0; q < c->queue_count; q++)
        vq->any_min_runtime |=
            c->queues[q].has_preempt_min_runtime || c->queues[q].has_reclaim_min_runtime;
    for (size_t j = 0; j < c->job_count; j++)
        vq->queue_job_count[c->jobs[j].queue]++;
    int32_t offset = 0;
    for (size_t q = 0; q < c->queue_count; q++) {
        vq->queue_jobs[q] = offset;
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

/* Min-runtime protection shields job j from this action's victim searches. */
static bool shielded(const struct al__victim_queue *vq, int32_t j) {
    if (vq->action != AL_ACTION_RECLAIM && vq->action != AL_ACTION_PREEMPT)
        return false;
    return !al__job_elastic(vq->session, j) &&
           al__min_runtime_protected(vq->session, j, vq->action);
}

static void refresh_all(struct al__victim_queue *vq) {
    for (size_t i = 0; i < vq->session->cluster->queue_count; i++)
        queue_refresh(vq, vq->by_depth[i]);
    root_refresh(vq);
}

static void base_keep(struct al__victim_queue *vq, int32_t q) {
    int32_t n = vq->heap_count[q];
    memcpy(&vq->base_heap[vq->queue_jobs[q]], heap_of(vq, q), (size_t)n * sizeof(int32_t));
    vq->base_count[q] = n;
}

/* Every preemptible job with victim tasks, in its leaf's heap (or among the shielded). */
static void base_build(struct al__victim_queue *vq) {
    const struct al_cluster *c = vq->session->cluster;
    memset(vq->slot, 0xff, (c->job_count + 1) * sizeof(int32_t));
    for (size_t j = 0; j < c->job_count; j++) /* in index order: the memory in order */
        if (vq->preemptible[j] && vq->entry_version[j] != vq->session->job_version[j])
            entry_read(vq, (int32_t)j);
    for (size_t q = 0; q < c->queue_count; q++) {
        const int32_t *jobs = &vq->jobs_by_queue[vq->queue_jobs[q]];
        int32_t *shield = &vq->protected_jobs[vq->queue_jobs[q]], *h = heap_of(vq, (int32_t)q);
        int32_t n = 0;
        vq->protected_count[q] = 0;
        for (int32_t k = 0; k < vq->queue_job_count[q]; k++) {
            int32_t j = jobs[k];
            if (!vq->preemptible[j] || vq->entries[j].count == 0)
                continue;
            if (shielded(vq, j))
                shield[vq->protected_count[q]++] = j;
            else
                heap_set(vq, h, n++, j);
        }
        vq->heap_count[q] = n;
        for (int32_t i = n / 2 - 1; i >= 0; i--)
            sift_down(vq, h, n, i);
        base_keep(vq, (int32_t)q);
    }
    vq->built = true;
    refresh_all(vq);
}

/* Undoes the current search: entries, heaps and taken amounts back to the base. */
static void undo_search(struct al__victim_queue *vq) {
    for (size_t i = 0; i < vq->saved_count; i++) {
        int32_t j = vq->saved_jobs[i];
        struct al__victim_entry *e = &vq->entries[j];
        *e = vq->saved_entries[j];
        memcpy(e->tasks, &vq->saved_tasks[e->tasks - vq->task_storage],
               (size_t)e->count * sizeof(int32_t));
        vq->entry_saved[j] = 0;
    }
    vq->saved_count = 0;
    for (int32_t i = 0; i < vq->touched_count; i++) {
        int32_t q = vq->touched_queues[i], *h = heap_of(vq, q);
        for (int32_t k = 0; k < vq->heap_count[q]; k++)
            vq->slot[h[k]] = -1;
        vq->heap_count[q] = vq->base_count[q];
        for (int32_t k = 0; k < vq->heap_count[q]; k++)
            heap_set(vq, h, k, vq->base_heap[vq->queue_jobs[q] + k]);
        memset(vq->taken[q], 0, sizeof(vq->taken[q]));
        vq->queue_touched[q] = 0;
    }
    int32_t own = vq->preemptor >= 0 ? vq->session->cluster->jobs[vq->preemptor].queue : -1;
    vq->preemptor = -1;
    if (own >= 0 && vq->scope == AL__SCOPE_OTHER_QUEUES)
        path_refresh(vq, own);
    for (int32_t i = 0; i < vq->touched_count; i++)
        path_refresh(vq, vq->touched_queues[i]);
    vq->touched_count = 0;
}

/* Removes task t (a victim chosen by an earlier step) from its job's entry for this search;
 * it counts as handed out by its queue, as KAI's queue counts a recorded victim it pops. */
static void leave_out(struct al__victim_queue *vq, int32_t t) {
    const struct al__session *s = vq->session;
    int32_t j = s->cluster->tasks[t].job, leaf = s->cluster->jobs[j].queue;
    struct al__victim_entry *e = &vq->entries[j];
    if (vq->slot[j] < 0)
        return;
    for (int32_t i = 0; i < e->count; i++) {
        if (e->tasks[i] != t)
            continue;
        entry_save(vq, j);
        queue_touch(vq, leaf);
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            vq->taken[leaf][r] += s->tasks[t].charge[r];
        memmove(&e->tasks[i], &e->tasks[i + 1], (size_t)(e->count - i - 1) * sizeof(int32_t));
        e->count--;
        entry_refresh(vq, j);
        heap_update(vq, j);
        return;
    }
}

/* Jobs of the scope that min-runtime protection shields (the preemptor aside). */
static int32_t shielded_in_scope(const struct al__victim_queue *vq) {
    const struct al_cluster *c = vq->session->cluster;
    int32_t own = c->jobs[vq->preemptor].queue, n = 0;
    for (size_t q = 0; q < c->queue_count; q++) {
        if (vq->scope == AL__SCOPE_OWN_LOWER ? (int32_t)q != own : !in_scope(vq, (int32_t)q))
            continue;
        const int32_t *shield = &vq->protected_jobs[vq->queue_jobs[q]];
        for (int32_t k = 0; k < vq->protected_count[q]; k++) {
            int32_t j = shield[k];
            n += j != vq->preemptor && (vq->scope != AL__SCOPE_OWN_LOWER ||
                                        c->jobs[j].priority < c->jobs[vq->preemptor].priority);
        }
    }
    return n;
}

int al__victims_fill(struct al__victim_queue *vq, int32_t preemptor, const int32_t *skip,
                     int32_t skip_count) {
    if (!vq->built)
        base_build(vq);
    undo_search(vq);
    vq->preemptor = preemptor;
    const struct al_cluster *c = vq->session->cluster;
    int32_t own = c->jobs[preemptor].queue;
    if (vq->scope == AL__SCOPE_OTHER_QUEUES)
        path_refresh(vq, own);
    if (vq->slot[preemptor] >= 0) { /* a job is never its own victim */
        entry_save(vq, preemptor);
        queue_touch(vq, own);
        vq->entries[preemptor].count = 0;
        heap_update(vq, preemptor);
    }
    for (int32_t i = 0; i < skip_count; i++)
        leave_out(vq, skip[i]);
    for (int32_t i = 0; i < vq->touched_count; i++)
        path_refresh(vq, vq->touched_queues[i]);
    root_refresh(vq);
    return shielded_in_scope(vq);
}

int32_t al__victims_pop(struct al__victim_queue *vq, int32_t *job, int32_t *out) {
    const struct al__session *s = vq->session;
    if (vq->root < 0)
        return 0;
    int32_t j = vq->root;
    struct al__victim_entry *e = &vq->entries[j];
    const struct al_job *jb = &s->cluster->jobs[j];
    size_t groups = jb->subgroup_count ? jb->subgroup_count : 1;
    entry_save(vq, j);
    queue_touch(vq, jb->queue);
    group_counts(s, e, vq->counts, groups);
    int32_t g = surplus_group(jb, vq->counts, groups), n = 0;
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
    *job = j;
    int32_t leaf = jb->queue;
    for (int32_t i = 0; i < n; i++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            vq->taken[leaf][r] += s->tasks[out[i]].charge[r];
    entry_refresh(vq, j);
    heap_update(vq, j);
    path_refresh(vq, leaf);
    root_refresh(vq);
    return n;
}

/* Reads preemptible job j again and files it in its leaf's heap (or out of it). */
static void reread(struct al__victim_queue *vq, int32_t j) {
    const struct al_cluster *c = vq->session->cluster;
    bool in_heap = vq->slot[j] >= 0;
    if (!in_heap && shielded(vq, j))
        return;
    entry_read(vq, j);
    queue_touch(vq, c->jobs[j].queue);
    if (in_heap)
        heap_update(vq, j);
    else if (vq->entries[j].count > 0)
        heap_insert(vq, j);
}

/* The touched leaves' heaps become the base. */
static void keep_touched(struct al__victim_queue *vq) {
    for (int32_t i = 0; i < vq->touched_count; i++) {
        base_keep(vq, vq->touched_queues[i]);
        vq->queue_touched[vq->touched_queues[i]] = 0;
    }
    vq->touched_count = 0;
}

int al__victims_commit(struct al__victim_queue *vq, const int32_t *tasks, int32_t n) {
    const struct al_cluster *c = vq->session->cluster;
    if (!vq->built)
        return 0;
    undo_search(vq);
    for (int32_t i = 0; i < n; i++) {
        int32_t j = c->tasks[tasks[i]].job;
        if (vq->preemptible[j] && vq->entry_version[j] != vq->session->job_version[j])
            reread(vq, j);
    }
    keep_touched(vq);
    refresh_all(vq); /* the queues' allocations changed */
    return 0;
}
