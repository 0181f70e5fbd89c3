/* model_build.c - the engine's model of a cycle built whole from allotd's state (no JSON on the
 * cycle path): what GET /api/v1/snapshot shows, and the reference the kept model (model_kept.c)
 * is checked against; with the pieces both share and the way back from a model task to its
 * workload. A workload whose tasks break an invariant of the model is left out, with the
 * reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/api.h"
#include "daemon/model_parts.h"
#include "daemon/tasks.h"
#include "daemon/topology_spec.h"
#include "daemon/usage.h"
#include "util/xalloc.h"

static char *dup_or_null(const char *text) {
    return text[0] ? al__xstrdup(text) : NULL;
}

/* The inventory's nodes, in its order: a model node's index is its inventory index. */
static void build_nodes(const struct al__inventory *inv, struct al_cluster *c) {
    c->nodes = al__xcalloc(inv->node_count + 1, sizeof(*c->nodes));
    for (size_t i = 0; i < inv->node_count; i++) {
        const struct al__node *in = &inv->nodes[i];
        struct al_node *n = &c->nodes[i];
        n->name = al__xstrdup(in->name);
        n->pool = dup_or_null(in->pool);
        n->cpu_millis = in->cpu_millis;
        n->memory_bytes = in->memory_bytes;
        n->gpu_count = in->gpu_count;
        n->gpus = al__xcalloc(in->gpu_count + 1, sizeof(*n->gpus));
        for (size_t g = 0; g < in->gpu_count; g++) {
            n->gpus[g].memory_mib = in->gpus[g].memory_mib;
            n->gpus[g].model = dup_or_null(in->gpus[g].model);
        }
        n->labels = al__xcalloc(in->label_count + 1, sizeof(*n->labels));
        for (size_t l = 0; l < in->label_count; l++) {
            n->labels[l].key = al__xstrdup(in->labels[l].key);
            n->labels[l].value = al__xstrdup(in->labels[l].value);
        }
        n->label_count = in->label_count;
        n->unschedulable = in->unschedulable;
        n->migs = al__xcalloc(in->mig_count + 1, sizeof(*n->migs));
        for (size_t m = 0; m < in->mig_count; m++) {
            if (in->migs[m].count < 1) /* all held by other schedulers' pods */
                continue;
            n->migs[n->mig_count].profile = al__xstrdup(in->migs[m].profile);
            n->migs[n->mig_count++].count = in->migs[m].count;
        }
    }
    c->node_count = inv->node_count;
}

static void build_queues(const struct al__state *st, bool usage, struct al_cluster *c) {
    c->queues = al__xcalloc(st->queue_count + 1, sizeof(*c->queues));
    for (size_t i = 0; i < st->queue_count; i++) {
        const struct al__dqueue *dq = &st->queues[i];
        struct al_queue *q = &c->queues[i];
        q->name = al__xstrdup(dq->name);
        const struct al__dqueue *parent =
            dq->parent[0] ? al__state_queue((struct al__state *)st, dq->parent) : NULL;
        q->parent = parent ? (int32_t)(parent - st->queues) : -1;
        q->priority = dq->priority;
        memcpy(q->deserved, dq->deserved, sizeof(q->deserved));
        memcpy(q->limit, dq->limit, sizeof(q->limit));
        memcpy(q->weight, dq->weight, sizeof(q->weight));
        q->created = (int64_t)i; /* the state keeps queues in creation order */
        q->has_preempt_min_runtime = dq->has_preempt_min_runtime;
        q->preempt_min_runtime_s = dq->preempt_min_runtime_s;
        q->has_reclaim_min_runtime = dq->has_reclaim_min_runtime;
        q->reclaim_min_runtime_s = dq->reclaim_min_runtime_s;
        q->pools = al__xcalloc(dq->pool_count + 1, sizeof(*q->pools));
        for (size_t p = 0; p < dq->pool_count; p++) {
            q->pools[p].pool = al__xstrdup(dq->pools[p].pool);
            memcpy(q->pools[p].deserved, dq->pools[p].deserved, sizeof(q->pools[p].deserved));
            memcpy(q->pools[p].limit, dq->pools[p].limit, sizeof(q->pools[p].limit));
            memcpy(q->pools[p].weight, dq->pools[p].weight, sizeof(q->pools[p].weight));
        }
        q->pool_count = dq->pool_count;
        if (usage) /* only where it counts: the snapshot carries what the cycle used */
            memcpy(q->usage_ppm, dq->usage_ppm, sizeof(q->usage_ppm));
    }
    c->queue_count = st->queue_count;
}

static int64_t monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void al__model_frame(const struct allotd *d, struct al_cluster *c) {
    static const enum al_action actions[] = {AL_ACTION_ALLOCATE, AL_ACTION_CONSOLIDATION,
                                             AL_ACTION_RECLAIM, AL_ACTION_PREEMPT,
                                             AL_ACTION_STALE_GANG_EVICTION};
    memset(c, 0, sizeof(*c));
    al_config_init(&c->config);
    memcpy(c->config.actions, actions, sizeof(actions));
    c->config.action_count = sizeof(actions) / sizeof(actions[0]);
    c->config.clock_ns = monotonic_ns; /* the actions' times (metrics); no budget is set */
    c->config.gpu_placement = c->config.cpu_placement = d->placement;
    if (d->usage_k_milli > 0 && d->usage.window_s > 0) {
        c->config.usage_k_milli = d->usage_k_milli;
        c->config.usage_half_life_s = d->usage.half_life_s;
        c->config.usage_window_s = d->usage.window_s;
    }
    c->config.queue_priority_in_quota_reclaim = d->in_quota_reclaim;
    c->config.reservation_min_gpus = d->reservation_min_gpus;
    c->config.reservation_wait_s = d->reservation_wait_s;
    c->name = al__xstrdup("allotd");
    c->now_s = al__daemon_now();
    build_nodes(&d->backend.inventory, c);
    build_queues(&d->state, c->config.usage_k_milli > 0, c);
    c->topologies =
        al__topologies_copy(d->backend.inventory.topologies, d->backend.inventory.topology_count);
    c->topology_count = d->backend.inventory.topology_count;
}

/* The engine's state of a task of a live workload; false when the cycle leaves it out. */
static bool task_state(const struct al__dworkload *w, const struct al__dtask *t,
                       enum al_task_state *out) {
    switch (t->state) {
    case AL__T_PENDING:
        *out = AL_TASK_PENDING;
        return w->state != AL__W_DELETING && w->state != AL__W_SUSPENDED;
    case AL__T_RUNNING:
        *out = AL_TASK_RUNNING;
        return true;
    case AL__T_STOPPING:
        *out = AL_TASK_RELEASING;
        return true;
    case AL__T_SUCCEEDED:
        *out = AL_TASK_SUCCEEDED;
        return true;
    case AL__T_FAILED:
        *out = AL_TASK_FAILED;
        return true;
    case AL__T_PIPELINED:
        *out = AL_TASK_PIPELINED;
        return true;
    }
    return false;
}

size_t al__model_task_count(const struct al__dworkload *w) {
    size_t n = 0;
    enum al_task_state state;
    if (w->state == AL__W_SUCCEEDED || w->state == AL__W_FAILED)
        return 0;
    for (int32_t i = 0; i < w->spec.workers; i++)
        n += task_state(w, &w->tasks[i], &state);
    return n;
}

/* A copy of text in names, or from malloc when names is NULL. */
static char *name_copy(struct al__arena *names, const char *text, size_t len) {
    char *out = names ? al__arena_array_raw(names, len + 1, 1) : malloc(len + 1);
    if (!out)
        al__xalloc_failed();
    memcpy(out, text, len);
    out[len] = '\0';
    return out;
}

/* "NAME-INDEX", without printf (one per task). */
static char *task_name(struct al__arena *names, const char *workload, int32_t index) {
    char text[AL__NAME_MAX + 16], digits[12];
    size_t n = 0, len = strlen(workload);
    uint32_t v = (uint32_t)index;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(text, workload, len);
    text[len] = '-';
    for (size_t i = 0; i < n; i++)
        text[len + 1 + i] = digits[n - 1 - i];
    return name_copy(names, text, len + 1 + n);
}

static bool node_offers(const struct al__node *node, const char *profile) {
    for (size_t m = 0; m < node->mig_count; m++)
        if (node->migs[m].count > 0 && strcmp(node->migs[m].profile, profile) == 0)
            return true;
    return false;
}

void al__model_fill_tasks(const struct allotd *d, const struct al__dworkload *w, int32_t job,
                          struct al_task *out, int32_t *index, struct al__arena *names) {
    const struct al__wspec *s = &w->spec;
    size_t node_count = d->backend.inventory.node_count, n = 0;
    for (int32_t i = 0; i < s->workers; i++) {
        const struct al__dtask *t = &w->tasks[i];
        enum al_task_state state;
        if (!task_state(w, t, &state))
            continue;
        struct al_task *ct = &out[n];
        memset(ct, 0, sizeof(*ct));
        ct->name = task_name(names, w->name, t->index);
        ct->job = job;
        ct->state = state;
        ct->node = t->node >= 0 && (size_t)t->node < node_count ? t->node : -1;
        struct al__task_request r = al__task_request_of(w, i);
        ct->gpus = r.gpus;
        ct->gpu_milli = r.gpu_milli;
        ct->gpu_memory_mib = r.gpu_memory_mib;
        ct->gpu_devices = r.gpu_milli > 0 || r.gpu_memory_mib > 0 ? r.gpu_device_count : 1;
        ct->gpu_milli_limit = r.gpu_milli_limit;
        ct->gpu_memory_limit_mib = r.gpu_memory_limit_mib;
        ct->cpu_millis = r.cpu_millis;
        ct->memory_bytes = r.memory_bytes;
        ct->subgroup = al__task_subgroup(w, i);
        /* Its MIG instances (freed with the task: al_cluster_release, model_kept.c); a task
         * running on a node that no longer offers one of its profiles (the node's MIG layout
         * changed under it) holds none of that profile there, rather than make the cycle
         * refuse the cluster. */
        if (s->mig_profiles > 0)
            ct->migs = al__xcalloc((size_t)s->mig_profiles, sizeof(*ct->migs));
        for (int32_t m = 0; m < s->mig_profiles; m++)
            if (!al_task_is_active(state) || ct->node < 0 ||
                node_offers(&d->backend.inventory.nodes[ct->node], s->migs[m].profile)) {
                ct->migs[ct->mig_count].profile = al__xstrdup(s->migs[m].profile);
                ct->migs[ct->mig_count++].count = s->migs[m].count;
            }
        if (al_task_is_active(state) && t->gpu_count > 0) {
            ct->gpu_indices = al__xcalloc(t->gpu_count, sizeof(int32_t));
            for (size_t g = 0; g < t->gpu_count; g++)
                ct->gpu_indices[g] = t->gpus[g];
            ct->gpu_index_count = t->gpu_count;
        }
        index[n++] = t->index;
    }
}

void al__model_fill_job(const struct al__inventory *inv, const struct al__dworkload *w,
                        int32_t queue, int64_t now, size_t first, size_t count, struct al_job *out,
                        struct al__arena *names) {
    char field[64], msg[256];
    memset(out, 0, sizeof(*out));
    out->name = name_copy(names, w->name, strlen(w->name));
    out->pool =
        w->spec.node_pool ? name_copy(names, w->spec.node_pool, strlen(w->spec.node_pool)) : NULL;
    out->queue = queue;
    out->priority = w->spec.priority;
    out->preemptible = w->spec.preemptible;
    out->semi_preemptible = w->spec.semi_preemptible;
    out->preemption_never = w->spec.preemption_never;
    out->min_members = w->spec.min_members;
    out->created_s = w->created_s;
    /* a requeued or resumed workload waits again for reservations (never before created) */
    out->has_pending_since = w->pending_since_s > w->created_s;
    out->pending_since_s = out->has_pending_since ? w->pending_since_s : 0;
    out->has_started = w->started_s >= 0 && al__workload_is_active(w); /* min runtime */
    out->started_s = w->started_s;
    out->has_time_limit = w->spec.time_limit_s > 0; /* reservations plan with it */
    out->time_limit_s = w->spec.time_limit_s;
    out->has_stale_for = w->stale_since_s >= 0;
    out->stale_for_s = now - w->stale_since_s;
    out->first_task = first;
    out->task_count = count;
    /* admitted (al__holdings_admit): it resolves */
    al__topology_resolve(inv, &w->spec, &out->topology, field, sizeof(field), msg, sizeof(msg));
    if (w->spec.subgroup_count > 0) { /* the engine's gang minimums are then the subgroups' */
        out->min_members = 0;
        out->subgroups = al__xcalloc((size_t)w->spec.subgroup_count, sizeof(*out->subgroups));
        for (int32_t g = 0; g < w->spec.subgroup_count; g++) {
            out->subgroups[g].name = al__xstrdup(w->spec.subgroups[g].name);
            out->subgroups[g].min_members = w->spec.subgroups[g].min_members;
            al__topology_resolve_subgroup(inv, &w->spec, g, &out->subgroups[g].topology, field,
                                          sizeof(field), msg, sizeof(msg));
        }
        out->subgroup_count = (size_t)w->spec.subgroup_count;
    }
}

static int by_id(const void *a, const void *b) {
    const struct al__project_id *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

void al__project_ids_build(const struct al__state *st, struct al__project_ids *p) {
    p->ids = al__xcalloc(st->queue_count + 1, sizeof(*p->ids));
    p->count = 0;
    for (size_t i = 0; i < st->queue_count; i++)
        if (st->queues[i].project)
            p->ids[p->count++] = (struct al__project_id){st->queues[i].id, (int32_t)i};
    qsort(p->ids, p->count, sizeof(*p->ids), by_id);
}

void al__project_ids_release(struct al__project_ids *p) {
    free(p->ids);
    p->ids = NULL;
    p->count = 0;
}

int32_t al__project_ids_find(const struct al__project_ids *p, const struct al__dworkload *w) {
    struct al__project_id key = {w->project_id, 0};
    const struct al__project_id *found = bsearch(&key, p->ids, p->count, sizeof(key), by_id);
    return found ? found->index : -1;
}

/* Adds workload w as a job (it has tasks the cycle sees). */
static void add_job(const struct allotd *d, struct al__cycle_model *m, struct al__dworkload *w,
                    int32_t queue, size_t tasks) {
    struct al_cluster *c = &m->cluster;
    if (c->task_count + tasks > m->task_cap) {
        while (c->task_count + tasks > m->task_cap)
            m->task_cap *= 2;
        c->tasks = al__xrealloc(c->tasks, m->task_cap * sizeof(*c->tasks));
        m->task_index = al__xrealloc(m->task_index, m->task_cap * sizeof(*m->task_index));
    }
    int32_t job = (int32_t)c->job_count;
    al__model_fill_tasks(d, w, job, &c->tasks[c->task_count], &m->task_index[c->task_count],
                         &m->names);
    al__model_fill_job(&d->backend.inventory, w, queue, c->now_s, c->task_count, tasks,
                       &c->jobs[job], &m->names);
    c->task_count += tasks;
    m->job_owner[c->job_count++] = w;
}

void al__model_left_out(struct al__cycle_model *m, struct al__dworkload *w, const char *why) {
    m->left_out = al__xroom(m->left_out, m->left_out_count, sizeof(*m->left_out));
    m->left_out_why = al__xroom(m->left_out_why, m->left_out_count, sizeof(*m->left_out_why));
    m->left_out[m->left_out_count] = w;
    m->left_out_why[m->left_out_count++] = al__xstrdup(why);
}

void al__model_build(struct allotd *d, struct al__cycle_model *m) {
    const struct al__state *st = &d->state;
    struct al__holdings held;
    struct al__project_ids projects;
    char why[256];

    memset(m, 0, sizeof(*m));
    al__arena_init(&m->names, 1 << 20);
    al__model_frame(d, &m->cluster);
    al__holdings_init(&held, &d->backend.inventory);
    al__project_ids_build(st, &projects);
    /* Room for a job per workload and a task each (tasks grow when there are more). */
    m->cluster.jobs = al__xcalloc(st->workload_count + 1, sizeof(*m->cluster.jobs));
    m->job_owner = al__xcalloc(st->workload_count + 1, sizeof(*m->job_owner));
    m->task_cap = st->workload_count + 1;
    m->cluster.tasks = al__xcalloc(m->task_cap, sizeof(*m->cluster.tasks));
    m->task_index = al__xcalloc(m->task_cap, sizeof(*m->task_index));
    for (size_t i = 0; i < st->workload_count; i++) {
        struct al__dworkload *w = st->workloads[i];
        size_t tasks = al__model_task_count(w);
        if (tasks == 0)
            continue;
        int32_t queue = al__project_ids_find(&projects, w);
        if (queue < 0) {
            snprintf(why, sizeof(why), "invalid: project %s is gone", w->project);
        } else if (!al__holdings_admit(d, w, &held, why, sizeof(why))) {
            /* why says it */
        } else {
            add_job(d, m, w, queue, tasks);
            continue;
        }
        al__model_left_out(m, w, why);
    }
    al__holdings_release(&held);
    al__project_ids_release(&projects);
    al__usage_model(d, &m->cluster); /* needs the jobs: whether they name pools */
}

void al__model_release(struct al__cycle_model *m) {
    if (m->kept) { /* the kept model's jobs and tasks: not this cycle's to free */
        m->cluster.jobs = NULL;
        m->cluster.job_count = 0;
        m->cluster.tasks = NULL;
        m->cluster.task_count = 0;
    } else {
        for (size_t j = 0; j < m->cluster.job_count; j++) { /* in m->names */
            m->cluster.jobs[j].name = NULL;
            m->cluster.jobs[j].pool = NULL;
        }
        for (size_t t = 0; t < m->cluster.task_count; t++)
            m->cluster.tasks[t].name = NULL;
        free(m->job_owner);
        free(m->task_index);
    }
    al__arena_release(&m->names);
    al_cluster_release(&m->cluster);
    for (size_t i = 0; i < m->left_out_count; i++)
        free(m->left_out_why[i]);
    free(m->left_out);
    free(m->left_out_why);
    memset(m, 0, sizeof(*m));
}

struct al__dtask *al__model_task(const struct al__cycle_model *m, int32_t t,
                                 struct al__dworkload **w) {
    *w = m->job_owner[m->cluster.tasks[t].job];
    return &(*w)->tasks[m->task_index[t]];
}
