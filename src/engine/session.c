/* session.c - builds a cycle's session from the cluster and keeps its accounting (see session.h).
 */
#include "engine/session.h"

#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "engine/order.h"
#include "engine/placement_scored.h"
#include "engine/reservation.h"
#include "engine/semi_preemptible.h"
#include "engine/topology.h"
#include "util/sort.h"
#include "util/wide.h"

#define GPU_MEMORY_PLACEHOLDER_MIB 100

bool al__task_is_shared(const struct al_task *task) {
    return task->gpu_milli > 0 || task->gpu_memory_mib > 0;
}

int64_t al__task_units(const struct al_task *task, int32_t memory_mib) {
    if (task->gpu_milli > 0)
        return (int64_t)task->gpu_milli * memory_mib;
    if (task->gpu_memory_mib > 0)
        return (int64_t)task->gpu_memory_mib * 1000;
    return (int64_t)memory_mib * 1000;
}

int32_t al__node_mig_slot(const struct al_node *node, const char *profile) {
    for (size_t k = 0; k < node->mig_count; k++)
        if (strcmp(node->migs[k].profile, profile) == 0)
            return (int32_t)k;
    return -1;
}

int64_t al__task_mig_milli(const struct al_task *task) {
    int64_t milli = 0;
    for (size_t i = 0; i < task->mig_count; i++)
        milli += (int64_t)al_mig_profile_gpus(task->migs[i].profile) * 1000 * task->migs[i].count;
    return milli;
}

bool al__state_charges_queue(enum al_task_state state) {
    return state == AL_TASK_ALLOCATED || state == AL_TASK_PIPELINED || state == AL_TASK_BOUND ||
           state == AL_TASK_RUNNING;
}

void al__task_request(const struct al__session *s, int32_t t, enum al__request_kind kind,
                      int64_t out[AL_RESOURCE_COUNT]) {
    const struct al_task *task = &s->cluster->tasks[t];
    int32_t mem = kind == AL__REQUEST_ADMISSION ? s->gpu_memory_max : s->gpu_memory_min;
    out[AL_GPU] = (int64_t)task->gpus * 1000 + (task->mig_count ? al__task_mig_milli(task) : 0);
    if (task->gpu_milli > 0)
        out[AL_GPU] = (int64_t)task->gpu_milli * task->gpu_devices;
    else if (task->gpu_memory_mib > 0)
        out[AL_GPU] = al_gpu_memory_milli(task->gpu_memory_mib, mem) * task->gpu_devices;
    out[AL_CPU] = task->cpu_millis;
    out[AL_MEMORY] = task->memory_bytes;
}

/* The charge of a task placed on `node` with `gpus`: shared memory uses the real devices. */
static void placed_charge(const struct al__session *s, int32_t t, int32_t node, const int32_t *gpus,
                          int32_t gpu_count, int64_t out[AL_RESOURCE_COUNT]) {
    const struct al_task *task = &s->cluster->tasks[t];
    al__task_request(s, t, AL__REQUEST_ADMISSION, out);
    if (task->gpu_memory_mib > 0) {
        out[AL_GPU] = 0;
        for (int32_t i = 0; i < gpu_count; i++) {
            int32_t mem = s->cluster->nodes[node].gpus[gpus[i]].memory_mib;
            out[AL_GPU] += al_gpu_memory_milli(task->gpu_memory_mib, mem);
        }
    }
}

static void queue_charge(struct al__session *s, int32_t t, const int64_t charge[], int64_t sign) {
    const struct al_job *job = &s->cluster->jobs[s->cluster->tasks[t].job];
    for (int32_t q = job->queue; q >= 0; q = s->cluster->queues[q].parent) {
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            s->queues[q].allocated[r] += sign * charge[r];
            if (!job->preemptible && !job->semi_preemptible)
                s->queues[q].allocated_np[r] += sign * charge[r];
        }
    }
}

/* A semi-preemptible job's tasks changed: its queues' non-preemptible allocation follows its
 * core (al__job_core_charge), recomputed from the task states so that any order of changes,
 * and their undo, leaves the same sums. */
static void core_refresh(struct al__session *s, int32_t j) {
    int64_t core[AL_RESOURCE_COUNT];
    al__job_core_charge(s, j, core);
    int64_t *held = s->jobs[j].core;
    for (int32_t q = s->cluster->jobs[j].queue; q >= 0; q = s->cluster->queues[q].parent)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            s->queues[q].allocated_np[r] += core[r] - held[r];
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        held[r] = core[r];
}

static void job_count(struct al__session *s, int32_t t, enum al_task_state state, int32_t sign) {
    const struct al_task *task = &s->cluster->tasks[t];
    struct al__job_state *js = &s->jobs[task->job];
    s->job_version[task->job]++;
    if (!s->job_dirty[task->job]) {
        s->job_dirty[task->job] = 1;
        s->dirty_jobs[s->dirty_count++] = task->job;
    }
    if (state == AL_TASK_PENDING)
        js->pending += sign;
    if (al__state_charges_queue(state)) {
        js->active += sign;
        if (task->subgroup >= 0)
            js->sub_active[task->subgroup] += sign;
    }
}

/* Adds (sign 1) or removes (sign -1) what task t in its current state holds. */
static void task_account(struct al__session *s, int32_t t, int64_t sign) {
    struct al__task_state *ts = &s->tasks[t];
    const struct al_task *task = &s->cluster->tasks[t];
    job_count(s, t, ts->state, (int32_t)sign);
    if (!al_task_is_active(ts->state))
        return;
    bool releasing = ts->state == AL_TASK_RELEASING;
    struct al__node_state *ns = &s->nodes[ts->node];
    const int64_t amount[AL_RESOURCE_COUNT] = {0, task->cpu_millis, task->memory_bytes};
    for (int r = AL_CPU; r < AL_RESOURCE_COUNT; r++) {
        ns->used[r] += sign * amount[r];
        if (releasing)
            ns->releasing[r] += sign * amount[r];
    }
    for (size_t i = 0; i < task->mig_count; i++) {
        int32_t k = al__node_mig_slot(&s->cluster->nodes[ts->node], task->migs[i].profile);
        int32_t n = (int32_t)sign * task->migs[i].count;
        if (k < 0)
            continue; /* refused by check_indices, never chosen by placement */
        ns->migs[k].used += n;
        if (releasing)
            ns->migs[k].releasing += n;
        if (ts->state == AL_TASK_PIPELINED)
            ns->migs[k].pipelined += n;
    }
    for (int32_t i = 0; i < ts->gpu_count; i++) {
        struct al__gpu_state *g = &ns->gpus[ts->gpus[i]];
        int64_t units =
            al__task_units(task, s->cluster->nodes[ts->node].gpus[ts->gpus[i]].memory_mib);
        g->used += sign * units;
        if (releasing)
            g->releasing += sign * units;
        else if (al__task_is_shared(task))
            g->shared += (int32_t)sign;
        if (ts->state == AL_TASK_PIPELINED) {
            g->pipelined += (int32_t)sign;
            g->pipelined_units += sign * units;
        }
    }
    if (al__state_charges_queue(ts->state))
        queue_charge(s, t, ts->charge, sign);
    if (s->core_ready && s->cluster->jobs[task->job].semi_preemptible)
        core_refresh(s, task->job);
}

/* The node's holdings changed: file it again in the placement index (once it is built). */
static void node_changed(struct al__session *s, int32_t n) {
    if (n >= 0 && s->index.by_labels)
        al__node_index_update(s, n);
    if (n >= 0 && s->frag)
        al__frag_node_changed(s, n);
    if (n >= 0 && s->topo)
        al__topology_node_changed(s, n);
}

static int log_push(struct al__session *s, const struct al__op *op) {
    if (s->op_count == s->op_capacity) {
        size_t cap = s->op_capacity ? s->op_capacity * 2 : 256;
        struct al__op *ops = realloc(s->ops, cap * sizeof(*ops));
        if (!ops)
            return -AL_ENOMEM;
        s->ops = ops;
        s->op_capacity = cap;
    }
    s->ops[s->op_count++] = *op;
    return 0;
}

static struct al__op op_of(const struct al__session *s, enum al__op_kind kind, int32_t t) {
    const struct al__task_state *ts = &s->tasks[t];
    struct al__op op = {.kind = kind,
                        .by_job = -1,
                        .note_queue = -1,
                        .task = t,
                        .prev_state = ts->state,
                        .prev_node = ts->node,
                        .prev_gpus = ts->gpus,
                        .prev_gpu_count = ts->gpu_count,
                        .prev_evicted = ts->evicted};
    memcpy(op.prev_charge, ts->charge, sizeof(op.prev_charge));
    return op;
}

int al__session_place(struct al__session *s, int32_t t, int32_t node, const int32_t *gpus,
                      int32_t gpu_count, enum al_task_state state) {
    struct al__op op = op_of(s, AL__OP_PLACE, t);
    int32_t *copy = NULL;
    if (gpu_count > 0) {
        copy = al__arena_array(&s->arena, (size_t)gpu_count, sizeof(*copy));
        if (!copy)
            return -AL_ENOMEM;
        memcpy(copy, gpus, (size_t)gpu_count * sizeof(*copy));
    }
    if (log_push(s, &op) < 0)
        return -AL_ENOMEM;
    struct al__task_state *ts = &s->tasks[t];
    /* Only the job counts of the old state go: a task being relocated leaves its old
     * holding on its old node as anonymous releasing usage; a pending one holds nothing. */
    job_count(s, t, ts->state, -1);
    ts->state = state;
    ts->node = node;
    ts->gpus = copy;
    ts->gpu_count = gpu_count;
    ts->evicted = op.prev_evicted;
    placed_charge(s, t, node, copy, gpu_count, ts->charge);
    task_account(s, t, 1);
    node_changed(s, node);
    return 0;
}

int al__session_pipeline(struct al__session *s, int32_t t) {
    struct al__op op = op_of(s, AL__OP_PIPELINE, t);
    if (log_push(s, &op) < 0)
        return -AL_ENOMEM;
    task_account(s, t, -1);
    s->tasks[t].state = AL_TASK_PIPELINED;
    task_account(s, t, 1);
    node_changed(s, s->tasks[t].node);
    return 0;
}

int al__session_evict(struct al__session *s, int32_t t, enum al_reason reason) {
    return al__session_evict_for(s, t, reason, -1);
}

int al__session_evict_for(struct al__session *s, int32_t t, enum al_reason reason, int32_t by_job) {
    struct al__op op = op_of(s, AL__OP_EVICT, t);
    op.reason = reason;
    op.by_job = by_job;
    op.note_queue = -1;
    if (reason == AL_REASON_RECLAIMED && by_job >= 0) {
        int32_t mine = s->cluster->jobs[by_job].queue;
        int32_t theirs = s->cluster->jobs[s->cluster->tasks[t].job].queue;
        al__diverge(s, &mine, &theirs);
        const int64_t *charge = s->tasks[t].charge;
        op.note_resource = charge[AL_GPU] > 0 ? AL_GPU : charge[AL_CPU] > 0 ? AL_CPU : AL_MEMORY;
        op.note_queue = theirs;
        op.note_allocated = s->queues[theirs].allocated[op.note_resource];
    }
    if (log_push(s, &op) < 0)
        return -AL_ENOMEM;
    task_account(s, t, -1);
    s->tasks[t].state = AL_TASK_RELEASING;
    s->tasks[t].evicted = true;
    task_account(s, t, 1);
    node_changed(s, s->tasks[t].node);
    return 0;
}

int al__session_unevict(struct al__session *s, int32_t t) {
    struct al__op op = op_of(s, AL__OP_UNEVICT, t);
    if (log_push(s, &op) < 0)
        return -AL_ENOMEM;
    task_account(s, t, -1);
    s->tasks[t].state = s->cluster->tasks[t].state;
    s->tasks[t].evicted = false;
    task_account(s, t, 1);
    node_changed(s, s->tasks[t].node);
    return 0;
}

size_t al__session_checkpoint(const struct al__session *s) {
    return s->op_count;
}

static void op_undo(struct al__session *s, const struct al__op *op) {
    struct al__task_state *ts = &s->tasks[op->task];
    int32_t node = ts->node;
    task_account(s, op->task, -1);
    ts->state = op->prev_state;
    ts->node = op->prev_node;
    ts->gpus = op->prev_gpus;
    ts->gpu_count = op->prev_gpu_count;
    ts->evicted = op->prev_evicted;
    memcpy(ts->charge, op->prev_charge, sizeof(ts->charge));
    if (op->kind == AL__OP_PLACE) {
        job_count(s, op->task, ts->state, 1); /* mirrors al__session_place */
        int32_t j = s->cluster->tasks[op->task].job;
        if (s->cluster->jobs[j].semi_preemptible)
            core_refresh(s, j);
    } else
        task_account(s, op->task, 1);
    node_changed(s, node);
    if (op->prev_node != node)
        node_changed(s, op->prev_node);
}

void al__session_rollback(struct al__session *s, size_t mark) {
    while (s->op_count > mark)
        op_undo(s, &s->ops[--s->op_count]);
}

/* ---- building the session ---- */

int al__cluster_check_holdings(const struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    for (size_t j = 0; j < c->job_count; j++)
        if (s->queues[c->jobs[j].queue].child_count > 0)
            return -AL_EINVAL; /* jobs belong to leaf queues */
    for (size_t n = 0; n < c->node_count; n++) {
        for (int32_t g = 0; g < s->nodes[n].gpu_count; g++) {
            const struct al__gpu_state *d = &s->nodes[n].gpus[g];
            if (d->used - d->pipelined_units > d->capacity || d->used - d->releasing > d->capacity)
                return -AL_EINVAL; /* a device held twice, now or once released */
        }
        /* MIG instances held beyond what the node offers (its layout changed, or another
         * scheduler took some) are tolerated: nothing more is placed there until they go. */
    }
    return 0;
}

/* A task's request stays within the bounds that keep the engine's sums in int64 (wide.h). */
static bool request_bounded(const struct al_task *t) {
    return t->cpu_millis >= 0 && t->cpu_millis <= AL__AMOUNT_MAX && t->memory_bytes >= 0 &&
           t->memory_bytes <= AL__AMOUNT_MAX && t->gpus >= 0 && t->gpus <= 4096 &&
           t->gpu_milli >= 0 && t->gpu_milli < 1000 && t->gpu_memory_mib >= 0 &&
           t->gpu_memory_mib <= (1 << 24) && t->gpu_devices >= 0 && t->gpu_devices <= 4096;
}

/* Nodes' capacity and active tasks' holdings, summed, stay within AL__SUM_MAX. */
static bool totals_bounded(const struct al_cluster *c) {
    al__i128 node_sum[2] = {0, 0}, held[2] = {0, 0};
    for (size_t n = 0; n < c->node_count; n++) {
        const struct al_node *node = &c->nodes[n];
        if (node->cpu_millis < 0 || node->cpu_millis > AL__AMOUNT_MAX || node->memory_bytes < 0 ||
            node->memory_bytes > AL__AMOUNT_MAX || node->gpu_count > 4096)
            return false;
        node_sum[0] += node->cpu_millis;
        node_sum[1] += node->memory_bytes;
    }
    for (size_t t = 0; t < c->task_count; t++)
        if (al_task_is_active(c->tasks[t].state)) {
            held[0] += c->tasks[t].cpu_millis;
            held[1] += c->tasks[t].memory_bytes;
        }
    return node_sum[0] <= AL__SUM_MAX && node_sum[1] <= AL__SUM_MAX && held[0] <= AL__SUM_MAX &&
           held[1] <= AL__SUM_MAX && (al__i128)c->node_count * 4096 * 1000 <= AL__SUM_MAX;
}

static int check_indices(const struct al_cluster *c) {
    for (size_t q = 0; q < c->queue_count; q++)
        if (c->queues[q].parent < -1 || c->queues[q].parent >= (int32_t)c->queue_count)
            return -AL_EINVAL;
    for (size_t j = 0; j < c->job_count; j++) {
        const struct al_job *job = &c->jobs[j];
        if (job->queue < 0 || job->queue >= (int32_t)c->queue_count ||
            job->first_task > c->task_count || job->task_count > c->task_count - job->first_task ||
            !al__topology_constraint_ok(c, &job->topology))
            return -AL_EINVAL;
        for (size_t g = 0; g < job->subgroup_count; g++) /* explanations name it in 16 bits */
            if (!al__topology_constraint_ok(c, &job->subgroups[g].topology) ||
                (g > INT16_MAX && (job->subgroups[g].topology.required_level > 0 ||
                                   job->subgroups[g].topology.preferred_level > 0)))
                return -AL_EINVAL;
        for (size_t t = job->first_task; t < job->first_task + job->task_count; t++)
            if (c->tasks[t].job != (int32_t)j)
                return -AL_EINVAL;
    }
    for (size_t t = 0; t < c->task_count; t++) {
        const struct al_task *task = &c->tasks[t];
        if (task->job < 0 || task->job >= (int32_t)c->job_count ||
            task->subgroup >= (int32_t)c->jobs[task->job].subgroup_count)
            return -AL_EINVAL;
        if (task->node >= (int32_t)c->node_count || (task->node < 0 && task->node != -1) ||
            !request_bounded(task))
            return -AL_EINVAL;
        for (size_t i = 0; i < task->mig_count; i++)
            if (!task->migs[i].profile || al_mig_profile_gpus(task->migs[i].profile) < 0 ||
                task->migs[i].count < 1 || task->migs[i].count > 4096 ||
                (task->mig_count > 0 && (task->gpus > 0 || al__task_is_shared(task))))
                return -AL_EINVAL;
        if (!al_task_is_active(task->state))
            continue;
        if (task->node < 0)
            return -AL_EINVAL;
        for (size_t i = 0; i < task->mig_count; i++)
            if (al__node_mig_slot(&c->nodes[task->node], task->migs[i].profile) < 0)
                return -AL_EINVAL;
        for (size_t i = 0; i < task->gpu_index_count; i++)
            if (task->gpu_indices[i] < 0 ||
                (size_t)task->gpu_indices[i] >= c->nodes[task->node].gpu_count)
                return -AL_EINVAL;
    }
    return totals_bounded(c) ? 0 : -AL_EINVAL;
}

static int build_nodes(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    int32_t lo = 0, hi = 0;
    for (size_t n = 0; n < c->node_count; n++) {
        const struct al_node *node = &c->nodes[n];
        struct al__node_state *ns = &s->nodes[n];
        ns->gpu_count = (int32_t)node->gpu_count;
        ns->gpus = al__arena_array(&s->arena, node->gpu_count, sizeof(*ns->gpus));
        if (!ns->gpus && node->gpu_count)
            return -AL_ENOMEM;
        for (size_t g = 0; g < node->gpu_count; g++) {
            int32_t mem = node->gpus[g].memory_mib;
            if (mem <= 0)
                return -AL_EINVAL;
            ns->gpus[g].capacity = (int64_t)mem * 1000;
            if (mem > GPU_MEMORY_PLACEHOLDER_MIB) {
                lo = lo == 0 || mem < lo ? mem : lo;
                hi = mem > hi ? mem : hi;
            }
        }
        if ((int32_t)node->gpu_count > s->max_node_gpus)
            s->max_node_gpus = (int32_t)node->gpu_count;
        s->total[AL_GPU] += (int64_t)node->gpu_count * 1000;
        ns->migs = al__arena_array(&s->arena, node->mig_count + 1, sizeof(*ns->migs));
        if (!ns->migs)
            return -AL_ENOMEM;
        for (size_t k = 0; k < node->mig_count; k++) {
            int32_t g = al_mig_profile_gpus(node->migs[k].profile);
            if (g < 0 || node->migs[k].count < 1 || node->migs[k].count > 4096)
                return -AL_EINVAL;
            s->total[AL_GPU] += (int64_t)g * 1000 * node->migs[k].count;
        }
        s->total[AL_CPU] += node->cpu_millis;
        s->total[AL_MEMORY] += node->memory_bytes;
        s->node_order[n] = (int32_t)n;
    }
    s->gpu_memory_min = lo ? lo : GPU_MEMORY_PLACEHOLDER_MIB;
    s->gpu_memory_max = hi ? hi : GPU_MEMORY_PLACEHOLDER_MIB;
    s->scratch_gpus = al__arena_array(&s->arena, (size_t)s->max_node_gpus + 1, sizeof(int32_t));
    s->best_gpus = al__arena_array(&s->arena, (size_t)s->max_node_gpus + 1, sizeof(int32_t));
    if (!s->scratch_gpus || !s->best_gpus)
        return -AL_ENOMEM;
    return al__sort_ids(s->node_order, c->node_count, al__node_cmp, c) < 0 ? -AL_ENOMEM : 0;
}

static int build_queues(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    if (c->config.usage_k_milli < 0 || c->config.usage_k_milli > AL_MAX_USAGE_K_MILLI)
        return -AL_EINVAL; /* bounds keep the usage-adjusted weights in 128 bits */
    for (size_t q = 0; q < c->queue_count; q++) {
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            if (c->queues[q].usage_ppm[r] < 0 || c->queues[q].usage_ppm[r] > AL_USAGE_PPM)
                return -AL_EINVAL;
        int32_t depth = 0;
        for (int32_t p = c->queues[q].parent; p >= 0; p = c->queues[p].parent)
            if (++depth > (int32_t)c->queue_count)
                return -AL_EINVAL; /* a cycle */
        s->queues[q].depth = depth;
        s->queue_order[q] = (int32_t)q;
        int32_t p = c->queues[q].parent;
        if (p >= 0)
            s->queues[p].child_count++;
        else
            s->top_count++;
    }
    if (al__sort_ids(s->queue_order, c->queue_count, al__sibling_cmp, c) < 0)
        return -AL_ENOMEM;
    for (size_t i = 0; i < c->queue_count; i++)
        s->queue_rank[s->queue_order[i]] = (int32_t)i;
    s->top_queues = al__arena_array(&s->arena, (size_t)s->top_count + 1, sizeof(int32_t));
    if (!s->top_queues)
        return -AL_ENOMEM;
    for (size_t q = 0; q < c->queue_count; q++) {
        struct al__queue_state *qs = &s->queues[q];
        qs->children = al__arena_array(&s->arena, (size_t)qs->child_count + 1, sizeof(int32_t));
        if (!qs->children)
            return -AL_ENOMEM;
        qs->child_count = 0;
    }
    int32_t top = 0;
    for (size_t i = 0; i < c->queue_count; i++) { /* queue_order keeps siblings in order */
        int32_t q = s->queue_order[i], p = c->queues[q].parent;
        if (p >= 0)
            s->queues[p].children[s->queues[p].child_count++] = q;
        else
            s->top_queues[top++] = q;
    }
    return 0;
}

static int build_jobs(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    size_t subgroups = 0;
    s->max_job_tasks = s->max_subgroups = 1;
    for (size_t j = 0; j < c->job_count; j++)
        subgroups += c->jobs[j].subgroup_count;
    /* every job's task order and subgroup counts, in two arrays */
    int32_t *orders = al__arena_array_raw(&s->arena, c->task_count + 1, sizeof(int32_t));
    int32_t *counts = al__arena_array(&s->arena, subgroups + 1, sizeof(int32_t));
    if (!orders || !counts)
        return -AL_ENOMEM;
    for (size_t j = 0; j < c->job_count; j++) {
        const struct al_job *job = &c->jobs[j];
        s->queue_jobs[job->queue]++;
        s->max_job_tasks = job->task_count > s->max_job_tasks ? job->task_count : s->max_job_tasks;
        if (job->subgroup_count > s->max_subgroups)
            s->max_subgroups = job->subgroup_count;
        struct al__job_state *js = &s->jobs[j];
        js->active = js->pending = 0;
        js->has_why = false;
        memset(js->core, 0, sizeof(js->core));
        s->why[j].victim_search = 0;
        s->why[j].victims_protected = 0;
        s->why[j].victim_search_cut = 0;
        js->sub_active = counts;
        counts += job->subgroup_count;
        js->order = orders + job->first_task; /* tasks[first_task..] belong to the job */
        for (size_t i = 0; i < job->task_count; i++)
            js->order[i] = (int32_t)(job->first_task + i);
        if (al__sort_ids(js->order, job->task_count, al__task_cmp, c) < 0)
            return -AL_ENOMEM;
    }
    return 0;
}

static void build_tasks(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    for (size_t t = 0; t < c->task_count; t++) {
        const struct al_task *task = &c->tasks[t];
        struct al__task_state *ts = &s->tasks[t];
        *ts = (struct al__task_state){.state = task->state,
                                      /* finished tasks keep the node they ran on */
                                      .node = task->node};
        if (al_task_is_active(task->state)) {
            ts->gpus = task->gpu_indices;
            ts->gpu_count = (int32_t)task->gpu_index_count;
            placed_charge(s, (int32_t)t, ts->node, ts->gpus, ts->gpu_count, ts->charge);
        }
        task_account(s, (int32_t)t, 1);
    }
    s->core_ready = true;
    for (size_t j = 0; j < c->job_count; j++)
        if (c->jobs[j].semi_preemptible)
            core_refresh(s, (int32_t)j);
}

int al__session_init(struct al__session *s, const struct al_cluster *c, struct al__workspace *ws) {
    memset(s, 0, sizeof(*s));
    s->cluster = c;
    al__arena_init(&s->arena, 0);
    if (ws) { /* its blocks and log, taken until al__session_release */
        s->arena = ws->arena;
        s->ops = ws->ops;
        s->op_capacity = ws->op_capacity;
        al__arena_init(&ws->arena, 0);
        ws->ops = NULL;
        ws->op_capacity = 0;
    }
    int rc = check_indices(c);
    if (rc == 0)
        rc = al__reservation_check(c);
    if (rc < 0)
        return rc;
    s->nodes = al__arena_array(&s->arena, c->node_count + 1, sizeof(*s->nodes));
    s->queues = al__arena_array(&s->arena, c->queue_count + 1, sizeof(*s->queues));
    /* written in full by build_jobs and build_tasks */
    s->jobs = al__arena_array_raw(&s->arena, c->job_count + 1, sizeof(*s->jobs));
    s->why = al__arena_array_raw(&s->arena, c->job_count + 1, sizeof(*s->why));
    s->tasks = al__arena_array_raw(&s->arena, c->task_count + 1, sizeof(*s->tasks));
    s->node_order = al__arena_array_raw(&s->arena, c->node_count + 1, sizeof(int32_t));
    s->queue_order = al__arena_array_raw(&s->arena, c->queue_count + 1, sizeof(int32_t));
    s->queue_rank = al__arena_array_raw(&s->arena, c->queue_count + 1, sizeof(int32_t));
    s->queue_jobs = al__arena_array(&s->arena, c->queue_count + 1, sizeof(int32_t));
    s->job_dirty = al__arena_array(&s->arena, c->job_count + 1, 1);
    s->dirty_jobs = al__arena_array_raw(&s->arena, c->job_count + 1, sizeof(int32_t));
    s->job_version = al__arena_array(&s->arena, c->job_count + 1, sizeof(uint32_t));
    if (!s->nodes || !s->queues || !s->jobs || !s->why || !s->tasks || !s->node_order ||
        !s->queue_order || !s->queue_rank || !s->queue_jobs || !s->job_dirty || !s->dirty_jobs ||
        !s->job_version)
        return -AL_ENOMEM;
    if ((rc = build_nodes(s)) < 0 || (rc = build_queues(s)) < 0 || (rc = build_jobs(s)) < 0)
        return rc;
    build_tasks(s);
    if ((rc = al__cluster_check_holdings(s)) < 0)
        return rc;
    if ((rc = al__node_index_build(s)) < 0 || (rc = al__topology_build(s)) < 0)
        return rc;
    const struct al_config *config = &c->config;
    if (config->gpu_placement == AL_ALLOT || config->cpu_placement == AL_ALLOT)
        return al__frag_build(s);
    return 0;
}

void al__session_release(struct al__session *s, struct al__workspace *ws) {
    if (ws) {
        al__arena_reset(&s->arena);
        ws->arena = s->arena;
        ws->ops = s->ops;
        ws->op_capacity = s->op_capacity;
        al__arena_init(&s->arena, 0);
        s->ops = NULL;
        s->op_count = s->op_capacity = 0;
        return;
    }
    al__arena_release(&s->arena);
    free(s->ops);
    s->ops = NULL;
    s->op_count = s->op_capacity = 0;
}
