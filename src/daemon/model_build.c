/* model_build.c - the engine's model of a cycle built directly from allotd's state (no JSON on
 * the cycle path), with the way back from its jobs and tasks to workloads and their tasks. A
 * workload whose tasks break an invariant of the model is left out, with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/cycle_model.h"
#include "daemon/tasks.h"
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
    }
    c->node_count = inv->node_count;
}

static void build_queues(const struct al__state *st, struct al_cluster *c) {
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
    }
    c->queue_count = st->queue_count;
}

/* The engine's state of a task of a live workload; false when the cycle leaves it out. */
static bool task_state(const struct al__dworkload *w, const struct al__dtask *t,
                       enum al_task_state *out) {
    switch (t->state) {
    case AL__T_PENDING:
        *out = AL_TASK_PENDING;
        return w->state != AL__W_DELETING;
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

/* Device capacity in the engine's units (1/1000 MiB) held now (pipelined tasks aside) and once
 * releasing tasks are gone, per device of every node: what the jobs admitted so far hold. */
struct holdings {
    size_t *first; /* per node: where its devices start in now/later */
    int64_t *now, *later;
    struct undo {
        size_t at;
        int64_t now, later;
    } * undo; /* what the workload being admitted added */
    size_t undo_count;
};

static void holdings_init(struct holdings *h, const struct al__inventory *inv) {
    size_t devices = al__inventory_devices(inv, &h->first);
    h->now = al__xcalloc(devices + 1, sizeof(*h->now));
    h->later = al__xcalloc(devices + 1, sizeof(*h->later));
    h->undo = NULL;
    h->undo_count = 0;
}

static void holdings_release(struct holdings *h) {
    free(h->first);
    free(h->now);
    free(h->later);
    free(h->undo);
}

static int64_t task_units(const struct al__wspec *s, int32_t memory_mib) {
    if (s->gpu_milli > 0)
        return (int64_t)s->gpu_milli * memory_mib;
    if (s->gpu_memory_mib > 0)
        return (int64_t)s->gpu_memory_mib * 1000;
    return (int64_t)memory_mib * 1000;
}

/* Adds what task t holds on its devices; false with the reason when that breaks an invariant. */
static bool holdings_add(const struct allotd *d, const struct al__dworkload *w,
                         const struct al__dtask *t, struct holdings *h, char *why, size_t size) {
    const struct al__node *node = al__task_node(d, t);
    bool pipelined = t->state == AL__T_PIPELINED, releasing = t->state == AL__T_STOPPING;
    bool wants = w->spec.gpus > 0 || w->spec.gpu_milli > 0 || w->spec.gpu_memory_mib > 0;

    if (!node) {
        snprintf(why, size, "invalid: task %d is on node %s, which the inventory does not have",
                 (int)t->index, t->node >= 0 ? al__state_node_name(&d->state, t->node) : "(none)");
        return false;
    }
    if (wants && t->gpu_count == 0) {
        snprintf(why, size, "invalid: task %d holds no GPU device", (int)t->index);
        return false;
    }
    for (size_t g = 0; g < t->gpu_count; g++) {
        int32_t dev = t->gpus[g];
        if (dev < 0 || (size_t)dev >= node->gpu_count) {
            snprintf(why, size, "invalid: task %d holds GPU %d, which node %s does not have",
                     (int)t->index, (int)dev, node->name);
            return false;
        }
        size_t at = h->first[t->node] + (size_t)dev;
        int64_t units = task_units(&w->spec, node->gpus[dev].memory_mib);
        int64_t capacity = (int64_t)node->gpus[dev].memory_mib * 1000;
        int64_t add_now = pipelined ? 0 : units, add_later = releasing ? 0 : units;
        h->undo = al__xroom(h->undo, h->undo_count, sizeof(*h->undo));
        h->undo[h->undo_count++] = (struct undo){at, add_now, add_later};
        h->now[at] += add_now;
        h->later[at] += add_later;
        if (h->now[at] > capacity || h->later[at] > capacity) {
            snprintf(why, size, "invalid: task %d shares GPU %d of node %s beyond its capacity",
                     (int)t->index, (int)dev, node->name);
            return false;
        }
    }
    return true;
}

/*
 * Whether workload w's placed tasks fit their nodes beside what the admitted jobs hold (then
 * they are added to h), else why not in `why`. What the snapshot parser would reject whole — a
 * node or device the inventory lacks, a device held beyond its capacity — leaves this workload
 * out instead.
 */
static bool holdings_admit(const struct allotd *d, const struct al__dworkload *w,
                           struct holdings *h, char *why, size_t size) {
    h->undo_count = 0;
    for (int32_t i = 0; i < w->spec.workers; i++) {
        const struct al__dtask *t = &w->tasks[i];
        if (t->state != AL__T_RUNNING && t->state != AL__T_PIPELINED && t->state != AL__T_STOPPING)
            continue;
        if (!holdings_add(d, w, t, h, why, size)) {
            for (size_t u = 0; u < h->undo_count; u++) {
                h->now[h->undo[u].at] -= h->undo[u].now;
                h->later[h->undo[u].at] -= h->undo[u].later;
            }
            return false;
        }
    }
    return true;
}

/* A copy of text in the model's names. */
static char *name_copy(struct al__cycle_model *m, const char *text) {
    size_t len = strlen(text);
    char *out = al__arena_array_raw(&m->names, len + 1, 1);
    if (!out)
        al__xalloc_failed();
    memcpy(out, text, len + 1);
    return out;
}

/* "NAME-INDEX", without printf (one per task per cycle). */
static char *task_name(struct al__cycle_model *m, const char *workload, int32_t index) {
    char digits[12];
    size_t n = 0, len = strlen(workload);
    uint32_t v = (uint32_t)index;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char *out = al__arena_array_raw(&m->names, len + 1 + n + 1, 1);
    if (!out)
        al__xalloc_failed();
    memcpy(out, workload, len);
    out[len] = '-';
    for (size_t i = 0; i < n; i++)
        out[len + 1 + i] = digits[n - 1 - i];
    out[len + 1 + n] = '\0';
    return out;
}

static void add_task(struct al__cycle_model *m, size_t node_count, const struct al__dworkload *w,
                     const struct al__dtask *t, enum al_task_state state) {
    struct al_cluster *c = &m->cluster;
    const struct al__wspec *s = &w->spec;
    c->tasks = al__xroom(c->tasks, c->task_count, sizeof(*c->tasks));
    m->task_index = al__xroom(m->task_index, c->task_count, sizeof(*m->task_index));
    struct al_task *ct = &c->tasks[c->task_count];
    ct->name = task_name(m, w->name, t->index);
    ct->job = (int32_t)c->job_count;
    ct->state = state;
    ct->node = t->node >= 0 && (size_t)t->node < node_count ? t->node : -1;
    ct->gpus = s->gpus;
    ct->gpu_milli = s->gpu_milli;
    ct->gpu_memory_mib = s->gpu_memory_mib;
    ct->gpu_devices = s->gpu_milli > 0 || s->gpu_memory_mib > 0 ? s->gpu_device_count : 1;
    ct->cpu_millis = s->cpu_millis;
    ct->memory_bytes = s->memory_bytes;
    ct->subgroup = -1;
    if (al_task_is_active(state) && t->gpu_count > 0) {
        ct->gpu_indices = al__xcalloc(t->gpu_count, sizeof(int32_t));
        for (size_t g = 0; g < t->gpu_count; g++)
            ct->gpu_indices[g] = t->gpus[g];
        ct->gpu_index_count = t->gpu_count;
    }
    m->task_index[c->task_count++] = t->index;
}

/* The projects' queue indices by id, for a workload's project without a lookup by name. */
struct project_ids {
    struct id_index {
        int64_t id;
        int32_t index;
    } * ids;
    size_t count;
};

static int by_id(const void *a, const void *b) {
    const struct id_index *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static void projects_by_id(const struct al__state *st, struct project_ids *p) {
    p->ids = al__xcalloc(st->queue_count + 1, sizeof(*p->ids));
    p->count = 0;
    for (size_t i = 0; i < st->queue_count; i++)
        if (st->queues[i].project)
            p->ids[p->count++] = (struct id_index){st->queues[i].id, (int32_t)i};
    qsort(p->ids, p->count, sizeof(*p->ids), by_id);
}

/* Workload w's project, NULL when it is gone. */
static const struct al__dqueue *project_of(const struct al__state *st, const struct project_ids *p,
                                           const struct al__dworkload *w) {
    struct id_index key = {w->project_id, 0};
    const struct id_index *found = bsearch(&key, p->ids, p->count, sizeof(key), by_id);
    return found ? &st->queues[found->index] : NULL;
}

/* Adds workload w as a job, if it has tasks the cycle sees. */
static void add_job(struct al__cycle_model *m, const struct al__state *st, struct al__dworkload *w,
                    const struct al__dqueue *q, size_t node_count, int64_t now) {
    struct al_cluster *c = &m->cluster;
    size_t first = c->task_count;
    for (int32_t i = 0; i < w->spec.workers; i++) {
        enum al_task_state state;
        if (task_state(w, &w->tasks[i], &state))
            add_task(m, node_count, w, &w->tasks[i], state);
    }
    if (c->task_count == first)
        return;
    c->jobs = al__xroom(c->jobs, c->job_count, sizeof(*c->jobs));
    m->job_owner = al__xroom(m->job_owner, c->job_count, sizeof(*m->job_owner));
    struct al_job *j = &c->jobs[c->job_count];
    j->name = name_copy(m, w->name);
    j->queue = (int32_t)(q - st->queues);
    j->priority = w->spec.priority;
    j->preemptible = w->spec.preemptible;
    j->min_members = w->spec.min_members;
    j->created_s = w->created_s;
    j->has_started = w->started_s >= 0 && al__workload_is_active(w); /* min runtime */
    j->started_s = w->started_s;
    j->has_stale_for = w->stale_since_s >= 0;
    j->stale_for_s = now - w->stale_since_s;
    j->first_task = first;
    j->task_count = c->task_count - first;
    m->job_owner[c->job_count++] = w;
}

void al__model_build(struct allotd *d, struct al__cycle_model *m) {
    const struct al__state *st = &d->state;
    struct holdings held;
    int64_t now = al__daemon_now();
    char why[256];

    memset(m, 0, sizeof(*m));
    al__arena_init(&m->names, 1 << 20);
    holdings_init(&held, &d->backend.inventory);
    al_config_init(&m->cluster.config);
    const enum al_action actions[] = {AL_ACTION_ALLOCATE, AL_ACTION_CONSOLIDATION,
                                      AL_ACTION_RECLAIM, AL_ACTION_PREEMPT,
                                      AL_ACTION_STALE_GANG_EVICTION};
    memcpy(m->cluster.config.actions, actions, sizeof(actions));
    m->cluster.config.action_count = sizeof(actions) / sizeof(actions[0]);
    m->cluster.name = al__xstrdup("allotd");
    m->cluster.now_s = now;
    build_nodes(&d->backend.inventory, &m->cluster);
    build_queues(st, &m->cluster);
    m->left_out = al__xcalloc(st->workload_count + 1, sizeof(*m->left_out));
    m->left_out_why = al__xcalloc(st->workload_count + 1, sizeof(*m->left_out_why));
    struct project_ids projects;
    projects_by_id(st, &projects);
    for (size_t i = 0; i < st->workload_count; i++) {
        struct al__dworkload *w = st->workloads[i];
        if (w->state == AL__W_SUCCEEDED || w->state == AL__W_FAILED)
            continue;
        const struct al__dqueue *q = project_of(st, &projects, w);
        if (!q || !q->project) {
            snprintf(why, sizeof(why), "invalid: project %s is gone", w->project);
        } else if (!holdings_admit(d, w, &held, why, sizeof(why))) {
            /* why says it */
        } else {
            add_job(m, st, w, q, d->backend.inventory.node_count, now);
            continue;
        }
        m->left_out[m->left_out_count] = w;
        m->left_out_why[m->left_out_count++] = al__xstrdup(why);
    }
    holdings_release(&held);
    free(projects.ids);
}

void al__model_release(struct al__cycle_model *m) {
    for (size_t j = 0; j < m->cluster.job_count; j++) /* in m->names */
        m->cluster.jobs[j].name = NULL;
    for (size_t t = 0; t < m->cluster.task_count; t++)
        m->cluster.tasks[t].name = NULL;
    al__arena_release(&m->names);
    al_cluster_release(&m->cluster);
    free(m->job_owner);
    free(m->task_index);
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
