/* job_steps.c - next steps of jobs, placing them, pending jobs in allocation order (see
 * job_steps.h). */
#include "engine/job_steps.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/job_classes.h"
#include "engine/order.h"
#include "engine/placement.h"
#include "engine/quota.h"
#include "engine/statement.h"
#include "engine/topology.h"
#include "util/sort.h"
#include "util/wide.h"

/* A task the next step may place: pending, or evicted in this cycle (a victim being moved). */
static bool placeable(const struct al__session *s, const struct al__place_options *opt, int32_t t) {
    const struct al__task_state *ts = &s->tasks[t];
    return ts->state == AL_TASK_PENDING ||
           (opt && opt->move_evicted && ts->state == AL_TASK_RELEASING && ts->evicted);
}

int32_t al__job_next_tasks(const struct al__session *s, int32_t j,
                           const struct al__place_options *opt, int32_t *out, int32_t *sub_need,
                           bool *complete) {
    const struct al_job *job = &s->cluster->jobs[j];
    const struct al__job_state *js = &s->jobs[j];
    int32_t k = 0, lacking = 0;
    *complete = true;
    if (al__job_min_state(s, j) >= 0) {
        for (size_t i = 0; i < job->task_count; i++)
            if (placeable(s, opt, js->order[i])) {
                out[0] = js->order[i];
                return 1;
            }
        return 0;
    }
    int32_t need = job->min_members - js->active;
    for (size_t g = 0; g < job->subgroup_count; g++) {
        sub_need[g] = job->subgroups[g].min_members - js->sub_active[g];
        lacking += sub_need[g] > 0 ? sub_need[g] : 0;
    }
    for (size_t i = 0; i < job->task_count; i++) {
        int32_t t = js->order[i];
        if (!placeable(s, opt, t))
            continue;
        int32_t g = s->cluster->tasks[t].subgroup;
        int32_t *left = job->subgroup_count == 0 ? &need : g >= 0 ? &sub_need[g] : NULL;
        if (left && *left > 0) {
            out[k++] = t;
            (*left)--;
            lacking -= job->subgroup_count > 0 ? 1 : 0;
        }
    }
    *complete = job->subgroup_count > 0 ? lacking == 0 : need <= 0;
    return k;
}

void al__tasks_request(const struct al__session *s, const int32_t *tasks, int32_t n,
                       int64_t req[AL_RESOURCE_COUNT]) {
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        req[r] = 0;
    for (int32_t i = 0; i < n; i++) {
        int64_t one[AL_RESOURCE_COUNT];
        al__task_request(s, tasks[i], AL__REQUEST_ADMISSION, one);
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            req[r] = al__sat_add(req[r], one[r]);
    }
}

void al__job_record_why(struct al__session *s, int32_t j, const struct al_explanation *why) {
    uint32_t searched = s->why[j].victim_search, cut = s->why[j].victim_search_cut;
    int32_t protected_jobs = s->why[j].victims_protected;
    s->why[j] = *why;
    s->why[j].job = j;
    s->why[j].part = !s->cluster->jobs[j].semi_preemptible ? AL_PART_WHOLE
                     : al__job_min_state(s, j) < 0         ? AL_PART_CORE
                                                           : AL_PART_ELASTIC;
    s->why[j].victim_search = searched;
    s->why[j].victims_protected = protected_jobs;
    s->why[j].victim_search_cut = cut;
    s->jobs[j].has_why = true;
}

/* A gang that was placed partly on releasing capacity is pipelined as a whole. */
static int pipeline_job(struct al__session *s, struct al__statement *st, int32_t j) {
    const struct al_job *job = &s->cluster->jobs[j];
    for (size_t i = 0; i < job->task_count; i++) {
        int32_t t = (int32_t)(job->first_task + i);
        if (s->tasks[t].state == AL_TASK_ALLOCATED) {
            int rc = al__statement_pipeline(st, t);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* A victim placed again on the node it is leaving simply stays, when nothing placed since
 * took its devices (and, for a shared-GPU task, the choice is its own devices). */
static bool back_in_place(const struct al__session *s, int32_t t, const struct al__choice *c) {
    const struct al__task_state *ts = &s->tasks[t];
    const struct al_task *task = &s->cluster->tasks[t];
    if (ts->state != AL_TASK_RELEASING || !ts->evicted || c->node != ts->node)
        return false;
    bool same = c->gpu_count == ts->gpu_count;
    for (int32_t i = 0; i < ts->gpu_count; i++) {
        const struct al__gpu_state *g = &s->nodes[ts->node].gpus[ts->gpus[i]];
        int64_t units =
            al__task_units(task, s->cluster->nodes[ts->node].gpus[ts->gpus[i]].memory_mib);
        if (g->used - g->releasing + units > g->capacity)
            return false;
        same &= i < c->gpu_count && c->gpus[i] == ts->gpus[i];
    }
    return same || !al__task_is_shared(task);
}

int al__place_tasks(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                    const struct al__place_options *opt, bool *placed_all,
                    struct al_explanation *why) {
    if (s->topo && al__topology_constrained(s->cluster, j))
        return al__topology_place(s, j, tasks, n, opt, placed_all, why);
    return al__place_plain(s, j, tasks, n, opt, placed_all, why);
}

int al__place_plain(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                    const struct al__place_options *opt, bool *placed_all,
                    struct al_explanation *why) {
    bool pipeline_only = opt && opt->pipeline_only;
    struct al__statement st;
    al__statement_begin(&st, s);
    int32_t active_before = s->jobs[j].active, placed = 0, failed = -1;
    bool pipelined = pipeline_only;
    for (int32_t i = 0; i < n; i++) {
        struct al__choice choice;
        bool found = opt && opt->topology ? al__topology_find(s, tasks[i], opt, &choice)
                                          : al__placement_find(s, tasks[i], opt, &choice);
        if (!found) {
            if (failed < 0) {
                failed = tasks[i];
                if (why)
                    al__placement_shortfall(s, failed, why);
            }
            if (!why)
                break;
            continue; /* keep placing the others to count what fits */
        }
        int rc = back_in_place(s, tasks[i], &choice)
                     ? al__statement_unevict(&st, tasks[i])
                     : al__statement_allocate(&st, tasks[i], choice.node, choice.gpus,
                                              choice.gpu_count, choice.pipelined || pipeline_only);
        if (rc < 0) {
            al__statement_discard(&st);
            return rc;
        }
        placed++;
        pipelined |= choice.pipelined;
    }
    *placed_all = failed < 0;
    if (failed >= 0) {
        if (why) {
            why->reason = n > 1 ? AL_REASON_GANG_INCOMPLETE : AL_REASON_NO_NODE_FITS;
            why->placeable = active_before + placed;
            why->needed = active_before + n;
            if (n == 1)
                al__quota_explain_on_nodes(s, failed, why);
        }
        al__statement_discard(&st);
        return 0;
    }
    int rc = pipelined ? pipeline_job(s, &st, j) : 0;
    if (rc < 0)
        al__statement_discard(&st);
    else
        al__statement_commit(&st);
    return rc;
}

/* ---- pending jobs in allocation order ---- */

static int32_t depth_desc(int32_t a, int32_t b, const void *session) {
    const struct al__session *s = session;
    if (s->queues[a].depth != s->queues[b].depth)
        return s->queues[a].depth > s->queues[b].depth ? -1 : 1;
    return (a > b) - (a < b);
}

/* Job j into its leaf's heap, counted in its class (if untouched) and among the leaf's jobs not
 * known to fail. */
static void enqueue(struct al__session *s, struct al__job_queue *jq, int32_t j) {
    int32_t q = s->cluster->jobs[j].queue, c = al__job_class_now(s, j);
    al__heap_push(&jq->heaps[q], j);
    jq->in_heap[j] = 1;
    jq->in_class[j] = c;
    if (c >= 0)
        jq->class_left[c]++;
    if (c < 0 || jq->class_failed[c] < 0)
        jq->alive[q]++;
}

int al__job_queue_init(struct al__session *s, struct al__job_queue *jq) {
    const struct al_cluster *c = s->cluster;
    size_t queues = c->queue_count + 1;
    int32_t *items = al__arena_array_raw(&s->arena, c->job_count + 1, sizeof(int32_t));
    jq->heaps = al__arena_array(&s->arena, queues, sizeof(*jq->heaps));
    jq->first = al__arena_array(&s->arena, queues, sizeof(int32_t));
    jq->keys = al__arena_array(&s->arena, queues, sizeof(*jq->keys));
    jq->head_req = al__arena_array(&s->arena, queues, sizeof(*jq->head_req));
    jq->by_depth = al__arena_array(&s->arena, queues, sizeof(int32_t));
    jq->marked = al__arena_array(&s->arena, queues, 1);
    jq->marked_queues = al__arena_array(&s->arena, queues, sizeof(int32_t));
    jq->in_heap = al__arena_array(&s->arena, c->job_count + 1, 1);
    jq->tasks = al__arena_array(&s->arena, s->max_job_tasks, sizeof(int32_t));
    jq->sub_need = al__arena_array(&s->arena, s->max_subgroups, sizeof(int32_t));
    if (!items || !jq->heaps || !jq->first || !jq->keys || !jq->head_req || !jq->by_depth ||
        !jq->marked || !jq->marked_queues || !jq->in_heap || !jq->tasks || !jq->sub_need ||
        al__job_classes(s) < 0)
        return -AL_ENOMEM;
    size_t classes = (size_t)s->class_count + 1;
    jq->in_class = al__arena_array_raw(&s->arena, c->job_count + 1, sizeof(int32_t));
    jq->class_left = al__arena_array(&s->arena, classes, sizeof(int32_t));
    jq->class_failed = al__arena_array_raw(&s->arena, classes, sizeof(int32_t));
    jq->class_how = al__arena_array(&s->arena, classes, sizeof(int32_t));
    jq->alive = al__arena_array(&s->arena, queues, sizeof(int32_t));
    if (!jq->in_class || !jq->class_left || !jq->class_failed || !jq->class_how || !jq->alive)
        return -AL_ENOMEM;
    memset(jq->class_failed, 0xff, classes * sizeof(int32_t));
    jq->settle = NULL;
    jq->settle_ctx = NULL;
    for (size_t q = 0; q < c->queue_count; q++) {
        al__heap_init(&jq->heaps[q], items, (size_t)s->queue_jobs[q], al__job_cmp, s);
        items += s->queue_jobs[q];
        jq->by_depth[q] = (int32_t)q;
    }
    if (al__sort_ids(jq->by_depth, c->queue_count, depth_desc, s) < 0)
        return -AL_ENOMEM;
    for (size_t j = 0; j < c->job_count; j++) {
        jq->in_class[j] = -1;
        if (s->jobs[j].pending > 0)
            enqueue(s, jq, (int32_t)j);
    }
    for (int32_t i = 0; i < s->dirty_count; i++) /* everything is computed below */
        s->job_dirty[s->dirty_jobs[i]] = 0;
    s->dirty_count = 0;
    jq->marked_count = 0;
    for (size_t i = 0; i < c->queue_count; i++)
        al__job_queue_refresh_queue(s, jq, jq->by_depth[i]);
    return 0;
}

/* The next step's request of leaf q's head job. */
static void head_request(const struct al__session *s, struct al__job_queue *jq, int32_t q) {
    int32_t j = al__heap_peek(&jq->heaps[q]);
    bool complete;
    if (j < 0)
        return;
    int32_t n = al__job_next_tasks(s, j, NULL, jq->tasks, jq->sub_need, &complete);
    al__tasks_request(s, jq->tasks, n, jq->head_req[q]);
}

void al__job_queue_refresh_queue(const struct al__session *s, struct al__job_queue *jq, int32_t q) {
    const struct al__queue_state *qs = &s->queues[q];
    int32_t best = -1;
    if (qs->child_count == 0) {
        if (al__heap_peek(&jq->heaps[q]) >= 0) {
            head_request(s, jq, q);
            best = q;
        }
    } else {
        for (int32_t i = 0; i < qs->child_count; i++) {
            int32_t c = qs->children[i];
            if (jq->first[c] >= 0 &&
                (best < 0 || al__queue_key_cmp(&jq->keys[c], &jq->keys[best]) < 0))
                best = c;
        }
        best = best < 0 ? -1 : jq->first[best];
    }
    jq->first[q] = best;
    if (best >= 0)
        al__queue_key(s, q, jq->head_req[best], &jq->keys[q]);
}

/* Brings the tournament up to date with the jobs that changed since it last looked: their
 * leaves' heaps (a job's gang state orders its heap), head requests, and every queue above. */
static void catch_up(struct al__session *s, struct al__job_queue *jq) {
    const struct al_cluster *c = s->cluster;
    for (int32_t i = 0; i < s->dirty_count; i++) {
        int32_t j = s->dirty_jobs[i], q = c->jobs[j].queue;
        s->job_dirty[j] = 0;
        if (jq->marked[q] == 0)
            jq->marked_queues[jq->marked_count++] = q;
        if (jq->in_heap[j])
            jq->marked[q] = 2; /* a job in the heap changed: restore the heap order */
        else if (jq->marked[q] == 0)
            jq->marked[q] = 1;
    }
    s->dirty_count = 0;
    for (int32_t i = 0; i < jq->marked_count; i++) {
        int32_t q = jq->marked_queues[i];
        if (jq->marked[q] == 2)
            al__heap_restore(&jq->heaps[q]);
        jq->marked[q] = 0;
        for (int32_t a = q; a >= 0; a = c->queues[a].parent)
            al__job_queue_refresh_queue(s, jq, a);
    }
    jq->marked_count = 0;
}

/* Leaf q has jobs known to fail only: each is settled, and the heap emptied. */
static void settle_leaf(struct al__session *s, struct al__job_queue *jq, int32_t q) {
    struct al__heap *h = &jq->heaps[q];
    for (size_t i = 0; i < h->count; i++) {
        int32_t j = h->items[i], c = jq->in_class[j];
        jq->in_heap[j] = 0;
        jq->class_left[c]--;
        jq->settle(s, jq->settle_ctx, jq->class_failed[c], jq->class_how[c], j);
    }
    h->count = 0;
    if (jq->marked[q] == 0) { /* its first leaf and key change */
        jq->marked_queues[jq->marked_count++] = q;
        jq->marked[q] = 1;
    }
}

/* Leaf q's jobs not known to fail went down by n: when none is left, it is settled now. */
static void alive_drop(struct al__session *s, struct al__job_queue *jq, int32_t q, int32_t n) {
    jq->alive[q] -= n;
    if (jq->alive[q] == 0 && jq->heaps[q].count > 0 && jq->settle)
        settle_leaf(s, jq, q);
}

int32_t al__job_queue_pop(struct al__session *s, struct al__job_queue *jq) {
    catch_up(s, jq);
    int32_t best = -1;
    for (int32_t i = 0; i < s->top_count; i++) {
        int32_t q = s->top_queues[i];
        if (jq->first[q] >= 0 && (best < 0 || al__queue_key_cmp(&jq->keys[q], &jq->keys[best]) < 0))
            best = q;
    }
    if (best < 0)
        return -1;
    int32_t leaf = jq->first[best], j = al__heap_pop(&jq->heaps[leaf]), c = jq->in_class[j];
    jq->in_heap[j] = 0;
    if (c >= 0)
        jq->class_left[c]--;
    if (c < 0 || jq->class_failed[c] < 0)
        alive_drop(s, jq, leaf, 1);
    if (!s->job_dirty[j]) { /* its leaf's head changed */
        s->job_dirty[j] = 1;
        s->dirty_jobs[s->dirty_count++] = j;
    }
    return j;
}

void al__job_queue_fail(struct al__session *s, struct al__job_queue *jq, int32_t j, int32_t how) {
    int32_t c = jq->in_class[j];
    if (c < 0 || jq->class_failed[c] >= 0)
        return;
    jq->class_failed[c] = j;
    jq->class_how[c] = how;
    alive_drop(s, jq, s->cluster->jobs[j].queue, jq->class_left[c]);
}

void al__job_queue_push(struct al__session *s, struct al__job_queue *jq, int32_t j) {
    enqueue(s, jq, j);
    if (!s->job_dirty[j]) {
        s->job_dirty[j] = 1;
        s->dirty_jobs[s->dirty_count++] = j;
    }
}
