/* job_steps.c - next steps of jobs, placing them, pending jobs in allocation order (see
 * job_steps.h). */
#include "engine/job_steps.h"

#include "allot/errors.h"
#include "engine/order.h"
#include "engine/placement.h"
#include "engine/statement.h"

/* A task the next step may place: pending, or evicted in this cycle (a victim being moved). */
static bool placeable(const struct al__session *s, int32_t t) {
    const struct al__task_state *ts = &s->tasks[t];
    return ts->state == AL_TASK_PENDING ||
           (s->move_evicted && ts->state == AL_TASK_RELEASING && ts->evicted);
}

int32_t al__job_next_tasks(const struct al__session *s, int32_t j, int32_t *out, int32_t *sub_need,
                           bool *complete) {
    const struct al_job *job = &s->cluster->jobs[j];
    const struct al__job_state *js = &s->jobs[j];
    int32_t k = 0, lacking = 0;
    *complete = true;
    if (al__job_min_state(s, j) >= 0) {
        for (size_t i = 0; i < job->task_count; i++)
            if (placeable(s, js->order[i])) {
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
        if (!placeable(s, t))
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
            req[r] += one[r];
    }
}

void al__job_record_why(struct al__session *s, int32_t j, const struct al_explanation *why) {
    uint32_t searched = s->jobs[j].why.victim_search;
    int32_t protected_jobs = s->jobs[j].why.victims_protected;
    s->jobs[j].why = *why;
    s->jobs[j].why.job = j;
    s->jobs[j].why.victim_search = searched;
    s->jobs[j].why.victims_protected = protected_jobs;
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
                    bool pipeline_only, bool *placed_all, struct al_explanation *why) {
    struct al__statement st;
    al__statement_begin(&st, s);
    int32_t active_before = s->jobs[j].active, placed = 0, failed = -1;
    bool pipelined = pipeline_only;
    for (int32_t i = 0; i < n; i++) {
        struct al__choice choice;
        if (!al__placement_find(s, tasks[i], &choice)) {
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
                     ? al__session_unevict(s, tasks[i])
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

int al__job_queue_init(struct al__session *s, struct al__job_queue *jq,
                       bool (*want)(const struct al__session *s, int32_t j, const void *ctx),
                       const void *ctx) {
    const struct al_cluster *c = s->cluster;
    size_t max_tasks = 1, max_subgroups = 1;
    int32_t *per_queue = al__arena_array(&s->arena, c->queue_count + 1, sizeof(int32_t));
    jq->heaps = al__arena_array(&s->arena, c->queue_count + 1, sizeof(*jq->heaps));
    if (!per_queue || !jq->heaps)
        return -AL_ENOMEM;
    for (size_t j = 0; j < c->job_count; j++) {
        per_queue[c->jobs[j].queue]++;
        max_tasks = c->jobs[j].task_count > max_tasks ? c->jobs[j].task_count : max_tasks;
        if (c->jobs[j].subgroup_count > max_subgroups)
            max_subgroups = c->jobs[j].subgroup_count;
    }
    jq->tasks = al__arena_array(&s->arena, max_tasks, sizeof(int32_t));
    jq->sub_need = al__arena_array(&s->arena, max_subgroups, sizeof(int32_t));
    if (!jq->tasks || !jq->sub_need)
        return -AL_ENOMEM;
    for (size_t q = 0; q < c->queue_count; q++) {
        int32_t *items = al__arena_array(&s->arena, (size_t)per_queue[q] + 1, sizeof(int32_t));
        if (!items)
            return -AL_ENOMEM;
        al__heap_init(&jq->heaps[q], items, (size_t)per_queue[q], al__job_cmp, s);
    }
    for (size_t j = 0; j < c->job_count; j++)
        if (s->jobs[j].pending > 0 && (!want || want(s, (int32_t)j, ctx)))
            al__heap_push(&jq->heaps[c->jobs[j].queue], (int32_t)j);
    return 0;
}

int32_t al__job_queue_pop(const struct al__session *s, struct al__job_queue *jq) {
    int32_t best = -1;
    int64_t best_req[AL_RESOURCE_COUNT] = {0};
    for (size_t i = 0; i < s->cluster->queue_count; i++) {
        int32_t q = s->queue_order[i];
        int32_t j = al__heap_peek(&jq->heaps[q]);
        if (j < 0)
            continue;
        bool complete;
        int64_t req[AL_RESOURCE_COUNT];
        int32_t n = al__job_next_tasks(s, j, jq->tasks, jq->sub_need, &complete);
        al__tasks_request(s, jq->tasks, n, req);
        if (best < 0 || al__queue_cmp(s, q, req, best, best_req) < 0) {
            best = q;
            for (int r = 0; r < AL_RESOURCE_COUNT; r++)
                best_req[r] = req[r];
        }
    }
    return best < 0 ? -1 : al__heap_pop(&jq->heaps[best]);
}

void al__job_queue_push(const struct al__session *s, struct al__job_queue *jq, int32_t j) {
    al__heap_push(&jq->heaps[s->cluster->jobs[j].queue], j);
}
