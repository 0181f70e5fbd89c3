/* solver.c - the victim search shared by reclaim, preempt and consolidation (see solver.h). */
#include "engine/solver.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/job_steps.h"
#include "engine/order.h"
#include "engine/placement.h"
#include "engine/quota.h"
#include "engine/statement.h"

/* Scratch of one action's searches, allocated once and reused for every job. */
struct solver {
    struct al__session *s;
    struct al__search *search;
    struct al__statement st; /* the search's work: kept when solved, else discarded */
    struct al__victim_queue vq;
    int32_t *steps; /* the job's next step; the first `pending` are being solved */
    int32_t step_count, pending;
    struct al__place_options sim; /* how simulations place: moved, pipelined, where */
    unsigned char *class_ok;      /* per label class: the preemptor's tasks may go there */
    unsigned char *node_ok;       /* per node: allowed as a victim's node (ok_nodes lists) */
    int32_t *ok_nodes, ok_count;
    unsigned char *recorded_in; /* per task: among the recorded victims */
    int32_t *recorded, recorded_count;
    int32_t *potential, potential_count; /* candidates popped so far, in order */
    int32_t latest_job;
    int32_t *victims, victim_count; /* the scenario being tried */
    int32_t *unit;
    int32_t *sim_jobs;
    unsigned char *job_in;                 /* per job: scratch marks */
    unsigned char *node_in;                /* per node: holds a task of the newest candidate job */
    int32_t *marked, marked_count;         /* the nodes set in node_in */
    int64_t (*sim_req)[AL_RESOURCE_COUNT]; /* per entry of sim_jobs: its step's request */
    int32_t *sub_need;
    int64_t (*base)[AL_RESOURCE_COUNT];
    int64_t (*base_np)[AL_RESOURCE_COUNT];
    int64_t job_scenarios;
};

/* The solver scratch of this search: the session's, made by the cycle's first search and
 * reused by every later action (its victim queue begins anew for each). */
static struct solver *solver_of(struct al__session *s, struct al__search *search) {
    const struct al_cluster *c = s->cluster;
    if (search->ctx_solver)
        return search->ctx_solver;
    struct solver *v = s->victim_solver;
    if (v) {
        al__victims_begin(&v->vq, search->action, search->scope);
        search->ctx_solver = v;
        return v;
    }
    v = al__arena_array(&s->arena, 1, sizeof(*v));
    if (!v)
        return NULL;
    memset(v, 0, sizeof(*v));
    size_t tasks = c->task_count + 1, groups = 1;
    for (size_t j = 0; j < c->job_count; j++)
        groups = c->jobs[j].subgroup_count > groups ? c->jobs[j].subgroup_count : groups;
    v->s = s;
    v->steps = al__arena_array_raw(&s->arena, tasks, sizeof(int32_t));
    v->class_ok = al__arena_array(&s->arena, (size_t)s->index.by_labels->class_count + 1, 1);
    v->node_ok = al__arena_array(&s->arena, c->node_count + 1, 1);
    v->ok_nodes = al__arena_array_raw(&s->arena, c->node_count + 1, sizeof(int32_t));
    v->node_in = al__arena_array(&s->arena, c->node_count + 1, 1);
    v->marked = al__arena_array(&s->arena, c->node_count + 1, sizeof(int32_t));
    v->sim_req = al__arena_array_raw(&s->arena, c->job_count + 1, sizeof(*v->sim_req));
    v->recorded_in = al__arena_array(&s->arena, tasks, 1);
    v->recorded = al__arena_array_raw(&s->arena, tasks, sizeof(int32_t));
    v->potential = al__arena_array_raw(&s->arena, tasks, sizeof(int32_t));
    v->victims = al__arena_array_raw(&s->arena, tasks, sizeof(int32_t));
    v->unit = al__arena_array_raw(&s->arena, tasks, sizeof(int32_t));
    v->sim_jobs = al__arena_array_raw(&s->arena, c->job_count + 1, sizeof(int32_t));
    v->job_in = al__arena_array(&s->arena, c->job_count + 1, 1);
    v->sub_need = al__arena_array(&s->arena, groups, sizeof(int32_t));
    v->base = al__arena_array(&s->arena, c->queue_count + 1, sizeof(*v->base));
    v->base_np = al__arena_array(&s->arena, c->queue_count + 1, sizeof(*v->base_np));
    if (!v->steps || !v->class_ok || !v->node_ok || !v->ok_nodes || !v->node_in || !v->marked ||
        !v->sim_req || !v->recorded_in || !v->recorded || !v->potential || !v->victims ||
        !v->unit || !v->sim_jobs || !v->job_in || !v->sub_need || !v->base || !v->base_np ||
        al__victims_init(s, &v->vq) < 0)
        return NULL;
    al__victims_begin(&v->vq, search->action, search->scope);
    search->ctx_solver = v;
    s->victim_solver = v;
    return v;
}

/* ---- simulation: re-run allocation for the evicted jobs and the preemptor ---- */

static int sim_min_state(const struct solver *v, int32_t j) {
    return j == v->search->preemptor ? -1 : al__job_min_state(v->s, j);
}

/* The next step of a job in the simulation and its request. */
static int32_t sim_step(struct solver *v, int32_t j, int32_t *out, bool *complete,
                        int64_t req[AL_RESOURCE_COUNT]) {
    int32_t n;
    *complete = true;
    if (j == v->search->preemptor) {
        n = v->pending;
        memcpy(out, v->steps, (size_t)n * sizeof(int32_t));
    } else {
        n = al__job_next_tasks(v->s, j, &v->sim, out, v->sub_need, complete);
    }
    al__tasks_request(v->s, out, n, req);
    return n;
}

/* < 0 when entry a of sim_jobs allocates before entry b in the simulation: queue order, then
 * the job order with the preemptor counted below its minimum. */
static int sim_cmp(struct solver *v, int32_t a, int32_t b) {
    const struct al_cluster *c = v->s->cluster;
    int32_t x = v->sim_jobs[a], y = v->sim_jobs[b];
    if (c->jobs[x].queue != c->jobs[y].queue)
        return al__queue_cmp(v->s, c->jobs[x].queue, v->sim_req[a], c->jobs[y].queue,
                             v->sim_req[b]);
    struct al_job_order_key kx = al__job_key(v->s, x, sim_min_state(v, x));
    struct al_job_order_key ky = al__job_key(v->s, y, sim_min_state(v, y));
    return al_job_order_cmp(&kx, &ky);
}

/* Places the victims' jobs again and the preemptor's step, all pipelined, in allocation
 * order; *placed tells whether the preemptor's step was placed. */
static int simulate(struct solver *v, bool *placed) {
    struct al__session *s = v->s;
    int32_t n = 0, pre = v->search->preemptor;
    v->sim_jobs[n++] = pre;
    v->job_in[pre] = 1;
    for (int32_t i = 0; i < v->victim_count; i++) {
        int32_t j = s->cluster->tasks[v->victims[i]].job;
        if (!v->job_in[j]) {
            v->job_in[j] = 1;
            v->sim_jobs[n++] = j;
        }
    }
    *placed = false;
    for (int32_t i = 0; i < n; i++) { /* steps do not change while others are placed */
        bool complete;
        v->job_in[v->sim_jobs[i]] = 0;
        sim_step(v, v->sim_jobs[i], v->unit, &complete, v->sim_req[i]);
    }
    int rc = 0;
    for (int32_t left = n; left > 0; left--) {
        int32_t best = 0;
        for (int32_t i = 1; i < left; i++)
            if (sim_cmp(v, i, best) < 0)
                best = i;
        int32_t j = v->sim_jobs[best];
        v->sim_jobs[best] = v->sim_jobs[left - 1];
        memcpy(v->sim_req[best], v->sim_req[left - 1], sizeof(v->sim_req[best]));
        bool complete, all;
        int64_t req[AL_RESOURCE_COUNT];
        struct al_explanation why;
        int32_t k = sim_step(v, j, v->unit, &complete, req);
        bool go = k > 0 && complete && al__quota_admits(s, j, req, &why);
        if (go && (rc = al__place_tasks(s, j, v->unit, k, &v->sim, &all, NULL)) < 0)
            break;
        if (j == pre) {
            *placed = go && all;
            if (!*placed)
                break;
        }
    }
    return rc;
}

/* ---- scenarios ---- */

static int evict(struct solver *v, int32_t t) {
    if (v->s->tasks[t].state == AL_TASK_RELEASING)
        return 0;
    return al__statement_evict_for(&v->st, t, v->search->reason, v->search->preemptor);
}

/* Simulates the scenario in v->victims (already evicted) and validates it. */
static int run_scenario(struct solver *v, bool *ok) {
    bool placed;
    v->search->scenarios++;
    v->job_scenarios++;
    int rc = simulate(v, &placed);
    *ok = false;
    if (rc < 0 || !placed)
        return rc;
    struct al__scenario sc = {.preemptor = v->search->preemptor,
                              .pending = v->steps,
                              .pending_count = v->pending,
                              .victims = v->victims,
                              .victim_count = v->victim_count,
                              .base = (const int64_t(*)[AL_RESOURCE_COUNT])v->base,
                              .base_np = (const int64_t(*)[AL_RESOURCE_COUNT])v->base_np,
                              .task_scratch = v->unit,
                              .job_marks = v->job_in};
    *ok = !v->search->validate || v->search->validate(v->s, v->search, &sc);
    return 0;
}

/* Simulations may also place on node n (a node a victim leaves), until the next solve. */
static void allow_node(struct solver *v, int32_t n) {
    if (!v->node_ok[n]) {
        v->node_ok[n] = 1;
        v->ok_nodes[v->ok_count++] = n;
    }
}

/* Forgets the nodes allowed since the list held `count`. */
static void forget_nodes(struct solver *v, int32_t count) {
    while (v->ok_count > count)
        v->node_ok[v->ok_nodes[--v->ok_count]] = 0;
}

/* Tries the recorded victims plus the candidates of the jobs with a candidate on node n. */
static int try_node(struct solver *v, int32_t n, bool *ok) {
    struct al__session *s = v->s;
    const struct al_cluster *c = s->cluster;
    v->victim_count = v->recorded_count;
    memcpy(v->victims, v->recorded, (size_t)v->recorded_count * sizeof(int32_t));
    for (int32_t i = 0; i < v->potential_count; i++)
        if (s->tasks[v->potential[i]].node == n)
            v->job_in[c->tasks[v->potential[i]].job] = 1;
    int rc = 0, allowed_before = v->ok_count;
    for (int32_t i = 0; i < v->potential_count && rc == 0; i++) {
        int32_t t = v->potential[i];
        if (!v->job_in[c->tasks[t].job])
            continue;
        v->victims[v->victim_count++] = t;
        allow_node(v, s->tasks[t].node);
        rc = evict(v, t);
    }
    for (int32_t i = 0; i < v->potential_count; i++)
        v->job_in[c->tasks[v->potential[i]].job] = 0;
    if (rc == 0)
        rc = run_scenario(v, ok);
    if (!*ok || rc < 0)
        forget_nodes(v, allowed_before);
    return rc;
}

/* The current scenario: recorded victims, plus (per node of the newest candidate job) the
 * candidates there. On success the session keeps it. */
static int try_scenario(struct solver *v, bool *ok) {
    struct al__session *s = v->s;
    const struct al_cluster *c = s->cluster;
    size_t mark = al__statement_checkpoint(&v->st);
    int rc = 0;
    *ok = false;
    for (int32_t i = 0; i < v->recorded_count && rc == 0; i++)
        rc = evict(v, v->recorded[i]);
    if (rc == 0 && v->latest_job < 0 && v->recorded_count > 0) {
        v->victim_count = v->recorded_count;
        memcpy(v->victims, v->recorded, (size_t)v->recorded_count * sizeof(int32_t));
        rc = run_scenario(v, ok);
    } else if (rc == 0 && v->latest_job >= 0) {
        const struct al_job *job = &c->jobs[v->latest_job];
        for (size_t k = 0; k < job->task_count; k++) {
            int32_t t = (int32_t)(job->first_task + k);
            int32_t n = s->tasks[t].node;
            if (al_task_is_active(s->tasks[t].state) && !v->node_in[n]) {
                v->node_in[n] = 1;
                v->marked[v->marked_count++] = n;
            }
        }
        const int32_t *rank = s->index.rank; /* the marked nodes in name order */
        for (int32_t i = 1; i < v->marked_count; i++)
            for (int32_t k = i; k > 0 && rank[v->marked[k]] < rank[v->marked[k - 1]]; k--) {
                int32_t n = v->marked[k];
                v->marked[k] = v->marked[k - 1];
                v->marked[k - 1] = n;
            }
        for (int32_t i = 0; i < v->marked_count && rc == 0 && !*ok; i++) {
            int32_t n = v->marked[i];
            size_t node_mark = al__statement_checkpoint(&v->st);
            rc = try_node(v, n, ok);
            if (!*ok)
                al__statement_rollback(&v->st, node_mark);
        }
        for (int32_t i = 0; i < v->marked_count; i++)
            v->node_in[v->marked[i]] = 0;
        v->marked_count = 0;
    }
    if (!*ok || rc < 0)
        al__statement_rollback(&v->st, mark);
    return rc;
}

/* Solves the first v->pending tasks of the step, starting from the recorded victims. */
static int solve_partial(struct solver *v, bool *ok) {
    struct al__search *search = v->search;
    const struct al_victim_budget *budget = &v->s->cluster->config.victim_budget;
    *ok = false;
    search->protected_now +=
        al__victims_fill(&v->vq, search->preemptor, v->recorded, v->recorded_count);
    v->potential_count = 0;
    v->latest_job = -1;
    for (bool first = true;; first = false) {
        if (!first) {
            int32_t job, k = al__victims_pop(&v->vq, &job, v->unit);
            if (k == 0)
                return 0;
            if (v->recorded_count + v->potential_count + k > budget->victim_tasks) {
                search->cut = true;
                return 0;
            }
            memcpy(&v->potential[v->potential_count], v->unit, (size_t)k * sizeof(int32_t));
            v->potential_count += k;
            v->latest_job = job;
        }
        int rc = try_scenario(v, ok);
        if (rc < 0 || *ok)
            return rc;
        if (v->job_scenarios >= budget->scenarios_per_job || al__search_spent(v->s, search)) {
            search->cut = true;
            return 0;
        }
    }
}

/* Where simulations for job j may place: nodes some task of j matches (every node when no
 * task has affinity), plus the nodes victims leave. */
static void feasible_nodes(struct solver *v, int32_t j) {
    const struct al__session *s = v->s;
    const struct al_job *job = &s->cluster->jobs[j];
    const struct al__node_partition *p = s->index.by_labels;
    forget_nodes(v, 0);
    v->sim = (struct al__place_options){.move_evicted = true, .pipeline_only = true};
    bool any_affinity = false;
    for (size_t i = 0; i < job->task_count; i++)
        any_affinity |= s->cluster->tasks[job->first_task + i].affinity_count > 0;
    if (!any_affinity)
        return;
    for (int32_t c = 0; c < p->class_count; c++) {
        v->class_ok[c] = 0;
        for (size_t i = 0; i < job->task_count && !v->class_ok[c]; i++)
            v->class_ok[c] =
                al__node_class_matches(s, p, c, &s->cluster->tasks[job->first_task + i]);
    }
    v->sim.class_ok = v->class_ok;
    v->sim.node_ok = v->node_ok;
}

static void clear_recorded(struct solver *v) {
    for (int32_t i = 0; i < v->recorded_count; i++)
        v->recorded_in[v->recorded[i]] = 0;
    v->recorded_count = 0;
}

/* The scenario's victims become the recorded victims of the next, larger step. */
static void record_victims(struct solver *v) {
    clear_recorded(v);
    for (int32_t i = 0; i < v->victim_count; i++) {
        int32_t t = v->victims[i];
        v->recorded[v->recorded_count++] = t;
        v->recorded_in[t] = 1;
        allow_node(v, v->s->tasks[t].node);
    }
}

int64_t al__search_now_ns(const struct al_cluster *c) {
    return c->config.clock_ns ? c->config.clock_ns() : 0;
}

bool al__search_spent(const struct al__session *s, const struct al__search *search) {
    const struct al_config *config = &s->cluster->config;
    const struct al_victim_budget *budget = &config->victim_budget;
    if (search->scenarios >= budget->scenarios_per_action)
        return true;
    return budget->time_per_action_ns > 0 && config->clock_ns &&
           config->clock_ns() - search->started_ns >= budget->time_per_action_ns;
}

int al__solve(struct al__session *s, struct al__search *search, int32_t j, bool *solved) {
    const struct al_cluster *c = s->cluster;
    struct solver *v = solver_of(s, search);
    *solved = false;
    search->cut = false;
    if (!v)
        return -AL_ENOMEM;
    v->search = search;
    search->preemptor = j;
    bool complete;
    v->step_count = al__job_next_tasks(s, j, NULL, v->steps, v->sub_need, &complete);
    if (v->step_count == 0 || !complete)
        return 0;
    int64_t started = al__search_now_ns(c);
    for (size_t q = 0; q < c->queue_count; q++) {
        memcpy(v->base[q], s->queues[q].allocated, sizeof(v->base[q]));
        memcpy(v->base_np[q], s->queues[q].allocated_np, sizeof(v->base_np[q]));
    }
    feasible_nodes(v, j);
    clear_recorded(v);
    v->job_scenarios = 0;
    al__statement_begin(&v->st, s);
    int rc = 0;
    bool ok = false;
    for (v->pending = 1; v->pending <= v->step_count; v->pending++) {
        rc = solve_partial(v, &ok);
        if (rc < 0 || !ok)
            break;
        record_victims(v);
        if (v->pending < v->step_count)
            al__statement_discard(&v->st); /* the next step starts over, with these victims */
    }
    *solved = rc == 0 && ok;
    if (*solved)
        al__statement_commit(&v->st);
    else
        al__statement_discard(&v->st);
    if (*solved)
        rc = al__victims_commit(&v->vq, v->recorded, v->recorded_count);
    clear_recorded(v);
    int64_t took = al__search_now_ns(c) - started;
    if (took > search->longest_ns)
        search->longest_ns = took;
    return rc;
}
