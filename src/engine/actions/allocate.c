/* allocate.c - the allocate action: gangs all-or-nothing, elastic growth, pipelining (see
 * actions.h). */
#include "engine/actions/actions.h"

#include "allot/errors.h"
#include "engine/order.h"
#include "engine/placement.h"
#include "engine/quota.h"
#include "engine/statement.h"
#include "util/heap.h"

struct allocate_state {
    struct al__heap *heaps; /* one per queue: its jobs with pending tasks */
    int32_t *tasks;         /* the current step's tasks */
    int32_t *head_tasks;    /* scratch for a queue's head job while ordering queues */
    int32_t *sub_need;      /* scratch: tasks each subgroup still lacks */
};

/*
 * The tasks the job's next step places, in task order: what its gang minimum (every
 * subgroup's) still lacks, or else one elastic task. *complete is false when pending
 * tasks cannot make up the minimum.
 */
static int32_t next_tasks(const struct al__session *s, const struct allocate_state *st, int32_t j,
                          int32_t *out, bool *complete) {
    const struct al_job *job = &s->cluster->jobs[j];
    const struct al__job_state *js = &s->jobs[j];
    int32_t k = 0, lacking = 0;
    int32_t *sub_need = st->sub_need;
    *complete = true;
    if (al__job_min_state(s, j) >= 0) {
        for (size_t i = 0; i < job->task_count; i++)
            if (s->tasks[js->order[i]].state == AL_TASK_PENDING) {
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
        if (s->tasks[t].state != AL_TASK_PENDING)
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

static void step_request(const struct al__session *s, const int32_t *tasks, int32_t n,
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

static void record(struct al__session *s, int32_t j, const struct al_explanation *why) {
    s->jobs[j].why = *why;
    s->jobs[j].why.job = j;
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

/* Places what the step needs; on a task that fits nowhere, explains and rolls back. */
static int place_step(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                      bool *placed_all) {
    struct al__statement st;
    al__statement_begin(&st, s);
    int32_t active_before = s->jobs[j].active, placed = 0, failed = -1;
    bool pipelined = false;
    struct al_explanation why = {.job = j};
    for (int32_t i = 0; i < n; i++) {
        struct al__choice choice;
        if (!al__placement_find(s, tasks[i], &choice)) {
            if (failed < 0) {
                failed = tasks[i];
                al__placement_shortfall(s, failed, &why);
            }
            continue; /* keep placing the others to count what fits */
        }
        int rc = al__statement_allocate(&st, tasks[i], choice.node, choice.gpus, choice.gpu_count,
                                        choice.pipelined);
        if (rc < 0) {
            al__statement_discard(&st);
            return rc;
        }
        placed++;
        pipelined |= choice.pipelined;
    }
    *placed_all = failed < 0;
    if (failed >= 0) {
        why.reason = n > 1 ? AL_REASON_GANG_INCOMPLETE : AL_REASON_NO_NODE_FITS;
        why.placeable = active_before + placed;
        why.needed = active_before + n;
        al__statement_discard(&st);
        record(s, j, &why);
        return 0;
    }
    int rc = pipelined ? pipeline_job(s, &st, j) : 0;
    if (rc < 0)
        al__statement_discard(&st);
    else
        al__statement_commit(&st);
    return rc;
}

/* One step of job j; *again when it should go back in line. */
static int job_step(struct al__session *s, struct allocate_state *st, int32_t j, bool *again) {
    bool complete, placed_all;
    *again = false;
    int32_t n = next_tasks(s, st, j, st->tasks, &complete);
    if (n == 0)
        return 0;
    struct al_explanation why = {.job = j};
    if (!complete) { /* too few tasks left to ever reach the gang minimum */
        why.reason = AL_REASON_GANG_INCOMPLETE;
        why.placeable = s->jobs[j].active + n;
        why.needed = s->jobs[j].active + n + 1;
        why.task = -1;
        record(s, j, &why);
        return 0;
    }
    int64_t req[AL_RESOURCE_COUNT];
    step_request(s, st->tasks, n, req);
    if (!al__quota_admits(s, j, req, &why)) {
        why.task = -1;
        record(s, j, &why);
        return 0;
    }
    int rc = place_step(s, j, st->tasks, n, &placed_all);
    if (rc < 0 || !placed_all)
        return rc;
    s->jobs[j].has_why = false;
    *again = s->jobs[j].pending > 0;
    return 0;
}

/* The leaf queue whose head job allocates next, or -1. */
static int32_t next_queue(const struct al__session *s, struct allocate_state *st) {
    int32_t best = -1;
    int64_t best_req[AL_RESOURCE_COUNT] = {0};
    for (size_t i = 0; i < s->cluster->queue_count; i++) {
        int32_t q = s->queue_order[i];
        int32_t j = al__heap_peek(&st->heaps[q]);
        if (j < 0)
            continue;
        bool complete;
        int64_t req[AL_RESOURCE_COUNT];
        int32_t n = next_tasks(s, st, j, st->head_tasks, &complete);
        step_request(s, st->head_tasks, n, req);
        if (best < 0 || al__queue_cmp(s, q, req, best, best_req) < 0) {
            best = q;
            for (int r = 0; r < AL_RESOURCE_COUNT; r++)
                best_req[r] = req[r];
        }
    }
    return best;
}

static int state_init(struct al__session *s, struct allocate_state *st) {
    const struct al_cluster *c = s->cluster;
    size_t max_tasks = 1, max_subgroups = 1;
    int32_t *per_queue = al__arena_array(&s->arena, c->queue_count + 1, sizeof(int32_t));
    st->heaps = al__arena_array(&s->arena, c->queue_count + 1, sizeof(*st->heaps));
    if (!per_queue || !st->heaps)
        return -AL_ENOMEM;
    for (size_t j = 0; j < c->job_count; j++) {
        per_queue[c->jobs[j].queue]++;
        max_tasks = c->jobs[j].task_count > max_tasks ? c->jobs[j].task_count : max_tasks;
        if (c->jobs[j].subgroup_count > max_subgroups)
            max_subgroups = c->jobs[j].subgroup_count;
    }
    st->tasks = al__arena_array(&s->arena, max_tasks, sizeof(int32_t));
    st->head_tasks = al__arena_array(&s->arena, max_tasks, sizeof(int32_t));
    st->sub_need = al__arena_array(&s->arena, max_subgroups, sizeof(int32_t));
    if (!st->tasks || !st->head_tasks || !st->sub_need)
        return -AL_ENOMEM;
    for (size_t q = 0; q < c->queue_count; q++) {
        int32_t *items = al__arena_array(&s->arena, (size_t)per_queue[q] + 1, sizeof(int32_t));
        if (!items)
            return -AL_ENOMEM;
        al__heap_init(&st->heaps[q], items, (size_t)per_queue[q], al__job_cmp, s);
    }
    for (size_t j = 0; j < c->job_count; j++)
        if (s->jobs[j].pending > 0)
            al__heap_push(&st->heaps[c->jobs[j].queue], (int32_t)j);
    return 0;
}

int al__action_allocate(struct al__session *s) {
    struct allocate_state st;
    int rc = state_init(s, &st);
    if (rc < 0)
        return rc;
    for (int32_t q; (q = next_queue(s, &st)) >= 0;) {
        int32_t j = al__heap_pop(&st.heaps[q]);
        bool again;
        rc = job_step(s, &st, j, &again);
        if (rc < 0)
            return rc;
        if (again)
            al__heap_push(&st.heaps[q], j);
    }
    return 0;
}
