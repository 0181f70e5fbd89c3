/* cycle.c - al_cycle_run: session, fair share, actions, then the result (see allot/cycle.h). */
#include "allot/cycle.h"

#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "engine/actions/actions.h"
#include "engine/fairshare.h"
#include "engine/order.h"
#include "engine/pools.h"
#include "engine/session.h"
#include "util/sort.h"

static const char *const reason_names[AL_REASON_COUNT] = {
    [AL_REASON_NONE] = "none",
    [AL_REASON_OVER_LIMIT] = "over_limit",
    [AL_REASON_NON_PREEMPTIBLE_OVER_QUOTA] = "non_preemptible_over_quota",
    [AL_REASON_GANG_INCOMPLETE] = "gang_incomplete",
    [AL_REASON_NO_NODE_FITS] = "no_node_fits",
    [AL_REASON_NOT_REACHED] = "not_reached",
    [AL_REASON_STALE_GANG] = "stale_gang",
    [AL_REASON_RECLAIMED] = "reclaimed",
    [AL_REASON_PREEMPTED] = "preempted",
    [AL_REASON_CONSOLIDATED] = "consolidated",
    [AL_REASON_TOPOLOGY] = "topology",
};

const char *al_reason_name(enum al_reason reason) {
    if ((unsigned)reason >= AL_REASON_COUNT)
        return "unknown";
    return reason_names[reason];
}

static int run_actions(struct al__session *s) {
    const struct al_config *config = &s->cluster->config;
    for (size_t i = 0; i < config->action_count; i++) {
        int rc = 0;
        int64_t began = config->clock_ns ? config->clock_ns() : 0;
        switch (config->actions[i]) {
        case AL_ACTION_ALLOCATE:
            rc = al__action_allocate(s);
            break;
        case AL_ACTION_STALE_GANG_EVICTION:
            rc = al__action_stale_gang(s);
            break;
        case AL_ACTION_CONSOLIDATION:
            rc = al__action_consolidation(s);
            break;
        case AL_ACTION_RECLAIM:
            rc = al__action_reclaim(s);
            break;
        case AL_ACTION_PREEMPT:
            rc = al__action_preempt(s);
            break;
        default:
            break;
        }
        if (rc < 0)
            return rc;
        if (config->clock_ns && (unsigned)config->actions[i] < AL_ACTION_COUNT)
            s->action_ns[config->actions[i]] += config->clock_ns() - began;
        AL__CHECK_INVARIANTS(s);
    }
    return 0;
}

static int result_tasks(const struct al__session *s, struct al__arena *arena, struct al_result *r) {
    size_t devices = 0;
    for (size_t t = 0; t < s->cluster->task_count; t++)
        devices += (size_t)s->tasks[t].gpu_count;
    r->tasks = al__arena_array_raw(arena, s->cluster->task_count + 1, sizeof(*r->tasks));
    int32_t *gpus = al__arena_array_raw(arena, devices + 1, sizeof(int32_t));
    if (!r->tasks || !gpus)
        return -AL_ENOMEM;
    for (size_t t = 0; t < s->cluster->task_count; t++) {
        const struct al__task_state *ts = &s->tasks[t];
        size_t n = (size_t)ts->gpu_count;
        if (n > 0)
            memcpy(gpus, ts->gpus, n * sizeof(int32_t));
        r->tasks[t] = (struct al_task_outcome){.state = ts->state,
                                               .evicted = ts->evicted,
                                               .node = ts->node,
                                               .gpus = gpus,
                                               .gpu_count = n};
        gpus += n;
    }
    return 0;
}

static int result_queues(const struct al__session *s, struct al__arena *arena,
                         struct al_result *r) {
    r->queues = al__arena_array(arena, s->cluster->queue_count + 1, sizeof(*r->queues));
    if (!r->queues)
        return -AL_ENOMEM;
    for (size_t q = 0; q < s->cluster->queue_count; q++) {
        memcpy(r->queues[q].fair_share, s->queues[q].fair_share, sizeof(r->queues[q].fair_share));
        memcpy(r->queues[q].fair_share_without_usage, s->queues[q].fair_share_without_usage,
               sizeof(r->queues[q].fair_share_without_usage));
        memcpy(r->queues[q].allocated, s->queues[q].allocated, sizeof(r->queues[q].allocated));
        memcpy(r->queues[q].requested, s->queues[q].requested, sizeof(r->queues[q].requested));
    }
    return 0;
}

/* Decisions in the order the log made them: one eviction and one placement per task at most. */
static int result_decisions(const struct al__session *s, struct al__arena *arena,
                            struct al_result *r) {
    size_t task_count = s->cluster->task_count;
    r->decisions = al__arena_array_raw(arena, 2 * task_count + 1, sizeof(*r->decisions));
    unsigned char *done = al__arena_array(arena, task_count + 1, 1); /* bit 1 evict, 2 place */
    if (!r->decisions || !done)
        return -AL_ENOMEM;
    for (size_t i = 0; i < s->op_count; i++) {
        const struct al__op *op = &s->ops[i];
        const struct al_task_outcome *o = &r->tasks[op->task];
        struct al_decision *d = &r->decisions[r->decision_count];
        if (op->kind == AL__OP_EVICT && o->evicted && !(done[op->task] & 1)) {
            done[op->task] |= 1;
            *d = (struct al_decision){.kind = AL_DECISION_EVICT,
                                      .task = op->task,
                                      .node = op->prev_node,
                                      .reason = op->reason,
                                      .by_job = op->by_job,
                                      .queue = op->note_queue};
            if (op->note_queue >= 0) {
                d->resource = op->note_resource;
                d->queue_allocated = op->note_allocated;
                d->queue_fair_share = s->queues[op->note_queue].fair_share[op->note_resource];
            }
            r->decision_count++;
        } else if (op->kind != AL__OP_EVICT && !(done[op->task] & 2) &&
                   (o->state == AL_TASK_ALLOCATED ||
                    (o->state == AL_TASK_PIPELINED && op->kind == AL__OP_PLACE))) {
            done[op->task] |= 2;
            *d = (struct al_decision){.kind = o->state == AL_TASK_ALLOCATED ? AL_DECISION_BIND
                                                                            : AL_DECISION_PIPELINE,
                                      .task = op->task,
                                      .node = o->node,
                                      .gpus = o->gpus,
                                      .gpu_count = o->gpu_count,
                                      .by_job = -1,
                                      .queue = -1};
            r->decision_count++;
        }
    }
    return 0;
}

/* One explanation per job that still has pending tasks, in job order (sorting them by name
 * cost a tenth of a 100,000-workload cycle; readers that show them sort them:
 * al__explanations_by_name). */
static int result_explanations(const struct al__session *s, struct al__arena *arena,
                               struct al_result *r) {
    size_t job_count = s->cluster->job_count;
    int32_t *jobs = al__arena_array_raw(arena, job_count + 1, sizeof(int32_t));
    r->explanations = al__arena_array_raw(arena, job_count + 1, sizeof(*r->explanations));
    if (!jobs || !r->explanations)
        return -AL_ENOMEM;
    size_t count = 0;
    for (size_t j = 0; j < job_count; j++)
        if (s->jobs[j].pending > 0)
            jobs[count++] = (int32_t)j;
    for (size_t i = 0; i < count; i++) {
        const struct al__job_state *js = &s->jobs[jobs[i]];
        struct al_explanation *e = &r->explanations[r->explanation_count++];
        if (js->has_why) {
            *e = s->why[jobs[i]];
        } else {
            *e = (struct al_explanation){.reason = AL_REASON_NOT_REACHED,
                                         .task = -1,
                                         .queue = -1,
                                         .victim_search = s->why[jobs[i]].victim_search,
                                         .victims_protected = s->why[jobs[i]].victims_protected,
                                         .victim_search_cut = s->why[jobs[i]].victim_search_cut};
        }
        e->job = jobs[i];
    }
    return 0;
}

/* The cycle's reservations, each with its nodes in name order. */
static int result_reservations(const struct al__session *s, struct al__arena *arena,
                               struct al_result *r) {
    const struct al_cluster *c = s->cluster;
    r->reservations =
        al__arena_array(arena, (size_t)s->reserving_count + 1, sizeof(*r->reservations));
    if (!r->reservations)
        return -AL_ENOMEM;
    for (int32_t i = 0; i < s->reserving_count; i++) {
        struct al_reservation *v = &r->reservations[r->reservation_count++];
        int32_t j = s->reserving_jobs[i];
        size_t count = 0;
        for (size_t k = 0; k < c->node_count; k++)
            count += s->reserved_by[k] == j;
        int32_t *nodes = al__arena_array(arena, count + 1, sizeof(int32_t));
        if (!nodes)
            return -AL_ENOMEM;
        for (size_t k = 0; k < c->node_count; k++) /* node_order: by name */
            if (s->reserved_by[s->node_order[k]] == j)
                nodes[v->node_count++] = s->node_order[k];
        v->job = j;
        v->start_s = s->reserving_start[i];
        v->nodes = nodes;
    }
    return 0;
}

/* A result's memory: an arena whose blocks go back to the workspace that made it (if any). */
struct result_storage {
    struct al__arena arena;
    struct al__workspace *home;
};

static int build_result(const struct al__session *s, struct al__workspace *home,
                        struct al_result *out) {
    struct result_storage *storage = malloc(sizeof(*storage));
    if (!storage)
        return -AL_ENOMEM;
    al__arena_init(&storage->arena, 0);
    storage->home = home;
    if (home) { /* the blocks of results released before */
        storage->arena = home->results;
        al__arena_init(&home->results, 0);
        home->live_results++;
    }
    struct al__arena *arena = &storage->arena;
    struct al_result r = {.storage_ = storage,
                          .victim_scenarios = s->victim_scenarios,
                          .longest_victim_search_ns = s->longest_search_ns};
    memcpy(r.action_ns, s->action_ns, sizeof(r.action_ns));
    int rc = result_tasks(s, arena, &r);
    if (rc == 0)
        rc = result_queues(s, arena, &r);
    if (rc == 0)
        rc = result_decisions(s, arena, &r);
    if (rc == 0)
        rc = result_explanations(s, arena, &r);
    if (rc == 0)
        rc = result_reservations(s, arena, &r);
    if (rc < 0) {
        al_result_release(&r);
        return rc;
    }
    *out = r;
    return 0;
}

int al__result_storage_new(struct al_result *r, struct al__arena **arena) {
    struct result_storage *storage = malloc(sizeof(*storage));
    if (!storage)
        return -AL_ENOMEM;
    al__arena_init(&storage->arena, 0);
    storage->home = NULL;
    memset(r, 0, sizeof(*r));
    r->storage_ = storage;
    *arena = &storage->arena;
    return 0;
}

void al_workspace_init(struct al_workspace *ws) {
    ws->storage_ = NULL;
}

void al_workspace_release(struct al_workspace *ws) {
    struct al__workspace *w = ws ? ws->storage_ : NULL;
    if (!w)
        return;
    al__arena_release(&w->arena);
    free(w->ops);
    w->ops = NULL;
    al__arena_release(&w->results);
    ws->storage_ = NULL;
    if (w->live_results > 0)
        w->released = true; /* the last result released frees it */
    else
        free(w);
}

int al_cycle_run_in(struct al_workspace *ws, const struct al_cluster *cluster,
                    struct al_result *result) {
    if (al_cluster_scheduled_by_pool(cluster))
        return al__cycle_run_pools(ws, cluster, result);
    struct al__workspace *w = ws->storage_;
    if (!w) {
        w = calloc(1, sizeof(*w));
        if (!w)
            return -AL_ENOMEM;
        al__arena_init(&w->arena, 0);
        al__arena_init(&w->results, 0);
        ws->storage_ = w;
    }
    struct al__session s;
    int rc = al__session_init(&s, cluster, w);
    if (rc == 0) {
        al__fair_share_compute(&s);
        rc = run_actions(&s);
    }
    if (rc == 0)
        rc = build_result(&s, w, result);
    al__session_release(&s, w);
    return rc;
}

int al_cycle_run(const struct al_cluster *cluster, struct al_result *result) {
    struct al_workspace ws;
    al_workspace_init(&ws);
    int rc = al_cycle_run_in(&ws, cluster, result);
    al_workspace_release(&ws);
    return rc;
}

void al_result_release(struct al_result *result) {
    if (!result)
        return;
    struct result_storage *storage = result->storage_;
    if (storage) {
        struct al__workspace *home = storage->home;
        if (home && !home->released && !home->results.head && !home->results.spare) {
            al__arena_reset(&storage->arena); /* its blocks serve the next result */
            home->results = storage->arena;
        } else {
            al__arena_release(&storage->arena);
        }
        if (home && --home->live_results == 0 && home->released)
            free(home);
        free(storage);
    }
    memset(result, 0, sizeof(*result));
}

const struct al_topology_constraint *al_explanation_topology(const struct al_cluster *cluster,
                                                             const struct al_explanation *e) {
    if (e->topology_level <= 0 || e->job < 0 || (size_t)e->job >= cluster->job_count)
        return NULL;
    const struct al_job *job = &cluster->jobs[e->job];
    if (e->topology_subgroup < 0)
        return &job->topology;
    return (size_t)e->topology_subgroup < job->subgroup_count
               ? &job->subgroups[e->topology_subgroup].topology
               : NULL;
}
