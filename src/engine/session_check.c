/* session_check.c - the session's sums recomputed from the tasks (al__session_check), asserted in
 * test builds after every rollback and action. */
#include <stdlib.h>
#include <string.h>

#include "engine/placement_scored.h"
#include "engine/semi_preemptible.h"
#include "engine/session.h"
#include "engine/topology.h"

/* What the session's sums should be, recomputed. */
struct expected {
    int64_t *node;       /* per node: used cpu, used memory, releasing cpu, releasing memory */
    int64_t *device;     /* per device (node order): used, releasing, shared, pipelined, units */
    size_t *first;       /* per node: its first device */
    int64_t *mig;        /* per MIG profile slot (node order): used, releasing, pipelined */
    size_t *first_mig;   /* per node: its first MIG profile slot */
    int64_t *queue;      /* per queue: allocated[3], allocated_np[3] */
    int32_t *job;        /* per job: active, pending */
    int32_t *sub_active; /* per task index (a job's subgroups at its first_task) */
};

/* Adds what task t holds in `state` at node/gpus (releasing: as releasing capacity). */
static void hold(const struct al__session *s, struct expected *x, int32_t t,
                 enum al_task_state state, int32_t node, const int32_t *gpus, int32_t count) {
    const struct al_task *task = &s->cluster->tasks[t];
    bool releasing = state == AL_TASK_RELEASING;
    int64_t *n = &x->node[4 * (size_t)node];
    n[0] += task->cpu_millis;
    n[1] += task->memory_bytes;
    if (releasing) {
        n[2] += task->cpu_millis;
        n[3] += task->memory_bytes;
    }
    for (size_t i = 0; i < task->mig_count; i++) {
        int32_t k = al__node_mig_slot(&s->cluster->nodes[node], task->migs[i].profile);
        if (k < 0)
            continue; /* as task_account: refused at build, never placed */
        int64_t *m = &x->mig[3 * (x->first_mig[node] + (size_t)k)];
        m[0] += task->migs[i].count;
        m[1] += releasing ? task->migs[i].count : 0;
        m[2] += state == AL_TASK_PIPELINED ? task->migs[i].count : 0;
    }
    for (int32_t i = 0; i < count; i++) {
        int64_t *d = &x->device[5 * (x->first[node] + (size_t)gpus[i])];
        int64_t units = al__task_units(task, s->cluster->nodes[node].gpus[gpus[i]].memory_mib);
        d[0] += units;
        if (releasing)
            d[1] += units;
        else if (al__task_is_shared(task))
            d[2]++;
        if (state == AL_TASK_PIPELINED) {
            d[3]++;
            d[4] += units;
        }
    }
}

static void count_task(const struct al__session *s, struct expected *x, int32_t t) {
    const struct al_cluster *c = s->cluster;
    const struct al__task_state *ts = &s->tasks[t];
    const struct al_task *task = &c->tasks[t];
    const struct al_job *job = &c->jobs[task->job];
    if (ts->state == AL_TASK_PENDING)
        x->job[2 * task->job + 1]++;
    if (al_task_is_active(ts->state))
        hold(s, x, t, ts->state, ts->node, ts->gpus, ts->gpu_count);
    if (!al__state_charges_queue(ts->state))
        return;
    x->job[2 * task->job]++;
    if (task->subgroup >= 0)
        x->sub_active[job->first_task + (size_t)task->subgroup]++;
    for (int32_t q = job->queue; q >= 0; q = c->queues[q].parent)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            x->queue[6 * (size_t)q + (size_t)r] += ts->charge[r];
            if (!job->preemptible && !job->semi_preemptible)
                x->queue[6 * (size_t)q + 3 + (size_t)r] += ts->charge[r];
        }
}

/* A semi-preemptible job's core counts as non-preemptible on its whole path. */
static void count_core(const struct al__session *s, struct expected *x, int32_t j) {
    const struct al_cluster *c = s->cluster;
    int64_t core[AL_RESOURCE_COUNT];
    al__job_core_charge(s, j, core);
    for (int32_t q = c->jobs[j].queue; q >= 0; q = c->queues[q].parent)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            x->queue[6 * (size_t)q + 3 + (size_t)r] += core[r];
}

static bool compare(const struct al__session *s, const struct expected *x) {
    const struct al_cluster *c = s->cluster;
    for (size_t n = 0; n < c->node_count; n++) {
        const struct al__node_state *ns = &s->nodes[n];
        const int64_t *e = &x->node[4 * n];
        if (ns->used[AL_CPU] != e[0] || ns->used[AL_MEMORY] != e[1] ||
            ns->releasing[AL_CPU] != e[2] || ns->releasing[AL_MEMORY] != e[3])
            return false;
        for (int32_t g = 0; g < ns->gpu_count; g++) {
            const struct al__gpu_state *d = &ns->gpus[g];
            const int64_t *v = &x->device[5 * (x->first[n] + (size_t)g)];
            if (d->used != v[0] || d->releasing != v[1] || d->shared != v[2] ||
                d->pipelined != v[3] || d->pipelined_units != v[4])
                return false;
        }
        for (size_t k = 0; k < c->nodes[n].mig_count; k++) {
            const struct al__mig_state *m = &ns->migs[k];
            const int64_t *v = &x->mig[3 * (x->first_mig[n] + k)];
            if (m->used != v[0] || m->releasing != v[1] || m->pipelined != v[2])
                return false;
        }
    }
    for (size_t q = 0; q < c->queue_count; q++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            if (s->queues[q].allocated[r] != x->queue[6 * q + (size_t)r] ||
                s->queues[q].allocated_np[r] != x->queue[6 * q + 3 + (size_t)r])
                return false;
    for (size_t j = 0; j < c->job_count; j++) {
        const struct al_job *job = &c->jobs[j];
        if (s->jobs[j].active != x->job[2 * j] || s->jobs[j].pending != x->job[2 * j + 1])
            return false;
        for (size_t g = 0; g < job->subgroup_count; g++)
            if (s->jobs[j].sub_active[g] != x->sub_active[job->first_task + g])
                return false;
    }
    return al__node_index_check(s) && (!s->frag || al__frag_check(s)) &&
           (!s->topo || al__topology_check(s));
}

bool al__session_check(const struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    size_t devices = 0, profiles = 0;
    for (size_t n = 0; n < c->node_count; n++) {
        devices += c->nodes[n].gpu_count;
        profiles += c->nodes[n].mig_count;
    }
    struct expected x = {
        .node = calloc(4 * c->node_count + 1, sizeof(int64_t)),
        .device = calloc(5 * devices + 1, sizeof(int64_t)),
        .first = calloc(c->node_count + 1, sizeof(size_t)),
        .mig = calloc(3 * profiles + 1, sizeof(int64_t)),
        .first_mig = calloc(c->node_count + 1, sizeof(size_t)),
        .queue = calloc(6 * c->queue_count + 1, sizeof(int64_t)),
        .job = calloc(2 * c->job_count + 1, sizeof(int32_t)),
        .sub_active = calloc(c->task_count + 1, sizeof(int32_t)),
    };
    bool ok = true;
    if (x.node && x.device && x.first && x.mig && x.first_mig && x.queue && x.job && x.sub_active) {
        for (size_t n = 1; n < c->node_count; n++) {
            x.first[n] = x.first[n - 1] + c->nodes[n - 1].gpu_count;
            x.first_mig[n] = x.first_mig[n - 1] + c->nodes[n - 1].mig_count;
        }
        for (size_t t = 0; t < c->task_count; t++)
            count_task(s, &x, (int32_t)t);
        for (size_t j = 0; j < c->job_count; j++)
            if (c->jobs[j].semi_preemptible)
                count_core(s, &x, (int32_t)j);
        /* A task moved by a victim search left its old holding behind, being released. */
        for (size_t i = 0; i < s->op_count; i++) {
            const struct al__op *op = &s->ops[i];
            if (op->kind == AL__OP_PLACE && al_task_is_active(op->prev_state))
                hold(s, &x, op->task, AL_TASK_RELEASING, op->prev_node, op->prev_gpus,
                     op->prev_gpu_count);
        }
        ok = compare(s, &x);
    } /* out of memory: nothing to say */
    free(x.node);
    free(x.device);
    free(x.first);
    free(x.mig);
    free(x.first_mig);
    free(x.queue);
    free(x.job);
    free(x.sub_active);
    return ok;
}
