/* pools.c - node pools as partitions: split the cluster by pool, run a cycle on each, merge.
 *
 * Run:ai and KAI schedule each node pool apart (KAI runs one scheduler shard per pool; the
 * default shard takes the nodes without the pool label): a job of one pool never sees another
 * pool's nodes, and a project's quota is given per pool. Here one partition is one ordinary
 * cycle over a sub-cluster (its nodes, its jobs and their tasks, every queue with its quota for
 * that pool), so fair share, ordering and every action work per pool unchanged. */
#include "engine/pools.h"

#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"

/* Nodes' pools alone change nothing (they were labels before jobs could name one, and a
 * cluster whose workloads know no pool is one pool, as KAI with no partition label): the
 * partitions start once a job names a pool or a queue gives a quota per pool. */
bool al_cluster_scheduled_by_pool(const struct al_cluster *c) {
    for (size_t j = 0; j < c->job_count; j++)
        if (c->jobs[j].pool)
            return true;
    for (size_t q = 0; q < c->queue_count; q++)
        if (c->queues[q].pool_count > 0)
            return true;
    return false;
}

/* The default pool (NULL) before every named one, then by name. */
static int pool_cmp(const char *a, const char *b) {
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int pool_ptr_cmp(const void *a, const void *b) {
    return pool_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* Which partition every node and job belongs to. */
struct split {
    const struct al_cluster *c;
    const char **names; /* sorted, unique; names[i] is partition i */
    size_t count;
    int32_t *node_pool;
    int32_t *job_pool;
};

static int32_t pool_find(const struct split *sp, const char *name) {
    const char **hit = bsearch(&name, sp->names, sp->count, sizeof(*sp->names), pool_ptr_cmp);
    return hit ? (int32_t)(hit - sp->names) : -1;
}

static int collect_names(struct split *sp) {
    const struct al_cluster *c = sp->c;
    sp->names = malloc((c->node_count + c->job_count + 1) * sizeof(*sp->names));
    if (!sp->names)
        return -AL_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < c->node_count; i++)
        sp->names[n++] = c->nodes[i].pool;
    for (size_t i = 0; i < c->job_count; i++)
        sp->names[n++] = c->jobs[i].pool;
    if (n == 0)
        sp->names[n++] = NULL;
    qsort(sp->names, n, sizeof(*sp->names), pool_ptr_cmp);
    sp->count = 1;
    for (size_t i = 1; i < n; i++)
        if (pool_cmp(sp->names[i], sp->names[sp->count - 1]) != 0)
            sp->names[sp->count++] = sp->names[i];
    return 0;
}

/* A job runs in the pool of the nodes its active tasks hold, else in the pool it names. */
static int assign_job(struct split *sp, size_t j) {
    const struct al_cluster *c = sp->c;
    const struct al_job *job = &c->jobs[j];
    if (job->first_task > c->task_count || job->task_count > c->task_count - job->first_task)
        return -AL_EINVAL;
    int32_t pool = -1;
    for (size_t t = job->first_task; t < job->first_task + job->task_count; t++) {
        const struct al_task *task = &c->tasks[t];
        if (task->job != (int32_t)j || task->node < -1 || task->node >= (int32_t)c->node_count)
            return -AL_EINVAL;
        if (!al_task_is_active(task->state) || task->node < 0)
            continue;
        if (pool >= 0 && sp->node_pool[task->node] != pool)
            return -AL_EINVAL; /* one gang across two pools */
        pool = sp->node_pool[task->node];
    }
    sp->job_pool[j] = pool >= 0 ? pool : pool_find(sp, job->pool);
    return 0;
}

static int split_init(struct split *sp, const struct al_cluster *c) {
    memset(sp, 0, sizeof(*sp));
    sp->c = c;
    int rc = collect_names(sp);
    if (rc < 0)
        return rc;
    sp->node_pool = malloc((c->node_count + 1) * sizeof(int32_t));
    sp->job_pool = malloc((c->job_count + 1) * sizeof(int32_t));
    if (!sp->node_pool || !sp->job_pool)
        return -AL_ENOMEM;
    for (size_t n = 0; n < c->node_count; n++)
        sp->node_pool[n] = pool_find(sp, c->nodes[n].pool);
    for (size_t j = 0; j < c->job_count; j++)
        if ((rc = assign_job(sp, j)) < 0)
            return rc;
    for (size_t t = 0; t < c->task_count; t++) { /* every task inside its job's range */
        const struct al_task *task = &c->tasks[t];
        if (task->job < 0 || task->job >= (int32_t)c->job_count ||
            t < c->jobs[task->job].first_task ||
            t >= c->jobs[task->job].first_task + c->jobs[task->job].task_count)
            return -AL_EINVAL;
    }
    return 0;
}

static void split_release(struct split *sp) {
    free(sp->names);
    free(sp->node_pool);
    free(sp->job_pool);
}

/* One pool's sub-cluster and the way back to the cluster's indices. Arrays are shallow
 * copies: strings and device lists stay the cluster's. */
struct part {
    struct al_cluster sub;
    int32_t *node_old, *job_old, *task_old;
    int32_t *node_new; /* cluster node -> sub node, -1 when in another pool */
};

static void part_release(struct part *pt) {
    free(pt->sub.nodes);
    free(pt->sub.queues);
    free(pt->sub.jobs);
    free(pt->sub.tasks);
    free(pt->node_old);
    free(pt->job_old);
    free(pt->task_old);
    free(pt->node_new);
    memset(pt, 0, sizeof(*pt));
}

/* The queue's quota in pool `name` where it gives one; its own values otherwise. Usage measured
 * per pool is the entry's in a named pool (none without an entry), the queue's own in the
 * default pool. */
static void queue_for_pool(struct al_queue *q, const char *name, bool usage_per_pool) {
    bool usage_found = false;
    for (size_t i = 0; name && i < q->pool_count; i++) {
        const struct al_queue_pool *qp = &q->pools[i];
        if (strcmp(qp->pool, name) != 0)
            continue;
        memcpy(q->deserved, qp->deserved, sizeof(q->deserved));
        memcpy(q->limit, qp->limit, sizeof(q->limit));
        memcpy(q->weight, qp->weight, sizeof(q->weight));
        if (usage_per_pool)
            memcpy(q->usage_ppm, qp->usage_ppm, sizeof(q->usage_ppm));
        usage_found = true;
    }
    if (name && usage_per_pool && !usage_found)
        memset(q->usage_ppm, 0, sizeof(q->usage_ppm));
    q->pools = NULL;
    q->pool_count = 0;
}

static int part_alloc(struct part *pt, const struct al_cluster *c, size_t nodes, size_t jobs,
                      size_t tasks) {
    pt->sub.nodes = malloc((nodes + 1) * sizeof(*pt->sub.nodes));
    pt->sub.queues = malloc((c->queue_count + 1) * sizeof(*pt->sub.queues));
    pt->sub.jobs = malloc((jobs + 1) * sizeof(*pt->sub.jobs));
    pt->sub.tasks = malloc((tasks + 1) * sizeof(*pt->sub.tasks));
    pt->node_old = malloc((nodes + 1) * sizeof(int32_t));
    pt->job_old = malloc((jobs + 1) * sizeof(int32_t));
    pt->task_old = malloc((tasks + 1) * sizeof(int32_t));
    pt->node_new = malloc((c->node_count + 1) * sizeof(int32_t));
    if (!pt->sub.nodes || !pt->sub.queues || !pt->sub.jobs || !pt->sub.tasks || !pt->node_old ||
        !pt->job_old || !pt->task_old || !pt->node_new)
        return -AL_ENOMEM;
    return 0;
}

static void part_fill_jobs(struct part *pt, const struct split *sp, int32_t p) {
    const struct al_cluster *c = sp->c;
    for (size_t j = 0; j < c->job_count; j++) {
        if (sp->job_pool[j] != p)
            continue;
        struct al_job *job = &pt->sub.jobs[pt->sub.job_count];
        *job = c->jobs[j];
        job->pool = NULL;
        job->first_task = pt->sub.task_count;
        pt->job_old[pt->sub.job_count] = (int32_t)j;
        for (size_t t = c->jobs[j].first_task; t < c->jobs[j].first_task + c->jobs[j].task_count;
             t++) {
            struct al_task *task = &pt->sub.tasks[pt->sub.task_count];
            *task = c->tasks[t];
            task->job = (int32_t)pt->sub.job_count;
            task->node = task->node >= 0 ? pt->node_new[task->node] : -1;
            pt->task_old[pt->sub.task_count++] = (int32_t)t;
        }
        pt->sub.job_count++;
    }
}

static int part_build(struct part *pt, const struct split *sp, int32_t p) {
    const struct al_cluster *c = sp->c;
    size_t nodes = 0, jobs = 0, tasks = 0;
    memset(pt, 0, sizeof(*pt));
    for (size_t n = 0; n < c->node_count; n++)
        nodes += sp->node_pool[n] == p;
    for (size_t j = 0; j < c->job_count; j++)
        if (sp->job_pool[j] == p) {
            jobs++;
            tasks += c->jobs[j].task_count;
        }
    pt->sub = *c; /* config, now, seed; the arrays are the pool's own */
    pt->sub.nodes = NULL;
    pt->sub.queues = NULL;
    pt->sub.jobs = NULL;
    pt->sub.tasks = NULL;
    pt->sub.node_count = pt->sub.job_count = pt->sub.task_count = 0;
    int rc = part_alloc(pt, c, nodes, jobs, tasks);
    if (rc < 0)
        return rc;
    for (size_t n = 0; n < c->node_count; n++) {
        pt->node_new[n] = -1;
        if (sp->node_pool[n] != p)
            continue;
        pt->node_new[n] = (int32_t)pt->sub.node_count;
        pt->node_old[pt->sub.node_count] = (int32_t)n;
        pt->sub.nodes[pt->sub.node_count] = c->nodes[n];
        pt->sub.nodes[pt->sub.node_count++].pool = NULL;
    }
    for (size_t q = 0; q < c->queue_count; q++) {
        pt->sub.queues[q] = c->queues[q];
        queue_for_pool(&pt->sub.queues[q], sp->names[p], c->config.usage_per_pool);
    }
    part_fill_jobs(pt, sp, p);
    return 0;
}

static int32_t *ints_copy(struct al__arena *arena, const int32_t *from, size_t n) {
    int32_t *to = al__arena_array_raw(arena, n + 1, sizeof(int32_t));
    if (to && n > 0)
        memcpy(to, from, n * sizeof(int32_t));
    return to;
}

static void queues_add(struct al_queue_outcome *sum, const struct al_queue_outcome *q, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            sum[i].fair_share[r] += q[i].fair_share[r];
            sum[i].fair_share_without_usage[r] += q[i].fair_share_without_usage[r];
            sum[i].allocated[r] += q[i].allocated[r];
            sum[i].requested[r] += q[i].requested[r];
        }
}

/* One pool's tasks, decisions and explanations in the cluster's indices, appended to *r. */
static int merge_part(struct al_result *r, struct al__arena *arena, const struct part *pt,
                      const struct al_result *pr) {
    for (size_t t = 0; t < pt->sub.task_count; t++) {
        struct al_task_outcome o = pr->tasks[t];
        o.node = o.node >= 0 ? pt->node_old[o.node] : -1;
        if (!(o.gpus = ints_copy(arena, o.gpus, o.gpu_count)))
            return -AL_ENOMEM;
        r->tasks[pt->task_old[t]] = o;
    }
    for (size_t i = 0; i < pr->decision_count; i++) {
        struct al_decision d = pr->decisions[i];
        d.task = pt->task_old[d.task];
        d.node = d.node >= 0 ? pt->node_old[d.node] : -1;
        d.by_job = d.by_job >= 0 ? pt->job_old[d.by_job] : -1;
        if (!(d.gpus = ints_copy(arena, d.gpus, d.gpu_count)))
            return -AL_ENOMEM;
        r->decisions[r->decision_count++] = d;
    }
    for (size_t i = 0; i < pr->explanation_count; i++) {
        struct al_explanation e = pr->explanations[i];
        e.job = pt->job_old[e.job];
        e.task = e.task >= 0 ? pt->task_old[e.task] : -1;
        r->explanations[r->explanation_count++] = e;
    }
    r->victim_scenarios += pr->victim_scenarios;
    if (pr->longest_victim_search_ns > r->longest_victim_search_ns)
        r->longest_victim_search_ns = pr->longest_victim_search_ns;
    for (int a = 0; a < AL_ACTION_COUNT; a++)
        r->action_ns[a] += pr->action_ns[a];
    return 0;
}

static int explanation_job_cmp(const void *a, const void *b) {
    int32_t x = ((const struct al_explanation *)a)->job,
            y = ((const struct al_explanation *)b)->job;
    return (x > y) - (x < y);
}

static int merge_alloc(struct al_result *r, struct al__arena *arena, const struct split *sp,
                       const struct al_result *parts) {
    const struct al_cluster *c = sp->c;
    size_t decisions = 0, explanations = 0;
    for (size_t p = 0; p < sp->count; p++) {
        decisions += parts[p].decision_count;
        explanations += parts[p].explanation_count;
    }
    r->tasks = al__arena_array(arena, c->task_count + 1, sizeof(*r->tasks));
    r->queues = al__arena_array(arena, c->queue_count + 1, sizeof(*r->queues));
    r->decisions = al__arena_array(arena, decisions + 1, sizeof(*r->decisions));
    r->explanations = al__arena_array(arena, explanations + 1, sizeof(*r->explanations));
    r->pools = al__arena_array(arena, sp->count + 1, sizeof(*r->pools));
    if (!r->tasks || !r->queues || !r->decisions || !r->explanations || !r->pools)
        return -AL_ENOMEM;
    return 0;
}

static int merge(const struct split *sp, const struct part *pts, const struct al_result *parts,
                 struct al_result *out) {
    const struct al_cluster *c = sp->c;
    struct al_result r;
    struct al__arena *arena;
    int rc = al__result_storage_new(&r, &arena);
    if (rc < 0)
        return rc;
    if ((rc = merge_alloc(&r, arena, sp, parts)) < 0)
        goto fail;
    for (size_t p = 0; p < sp->count; p++) {
        struct al_pool_outcome *po = &r.pools[r.pool_count++];
        size_t bytes = c->queue_count * sizeof(*po->queues);
        po->queues = al__arena_array_raw(arena, c->queue_count + 1, sizeof(*po->queues));
        if (sp->names[p]) {
            size_t len = strlen(sp->names[p]) + 1;
            char *name = al__arena_alloc(arena, len);
            if (name)
                memcpy(name, sp->names[p], len);
            po->name = name;
        }
        rc = -AL_ENOMEM;
        if (!po->queues || (sp->names[p] && !po->name))
            goto fail;
        if (bytes > 0)
            memcpy(po->queues, parts[p].queues, bytes);
        queues_add(r.queues, parts[p].queues, c->queue_count);
        if ((rc = merge_part(&r, arena, &pts[p], &parts[p])) < 0)
            goto fail;
    }
    qsort(r.explanations, r.explanation_count, sizeof(*r.explanations), explanation_job_cmp);
    *out = r;
    return 0;
fail:
    al_result_release(&r);
    return rc;
}

int al__cycle_run_pools(struct al_workspace *ws, const struct al_cluster *c,
                        struct al_result *out) {
    struct split sp;
    struct part *pts = NULL;
    struct al_result *parts = NULL;
    int rc = split_init(&sp, c);
    if (rc == 0) {
        pts = calloc(sp.count, sizeof(*pts));
        parts = calloc(sp.count, sizeof(*parts));
        if (!pts || !parts)
            rc = -AL_ENOMEM;
    }
    for (size_t p = 0; rc == 0 && p < sp.count; p++) {
        rc = part_build(&pts[p], &sp, (int32_t)p);
        if (rc == 0)
            rc = al_cycle_run_in(ws, &pts[p].sub, &parts[p]);
    }
    if (rc == 0)
        rc = merge(&sp, pts, parts, out);
    for (size_t p = 0; (pts || parts) && p < sp.count; p++) {
        if (pts)
            part_release(&pts[p]);
        if (parts)
            al_result_release(&parts[p]);
    }
    free(pts);
    free(parts);
    split_release(&sp);
    return rc;
}
