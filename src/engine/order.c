/* order.c - the engine's total orders (see order.h). */
#include "engine/order.h"
#include "util/wide.h"

#include <string.h>

static int cmp_i64(int64_t a, int64_t b) {
    return (a > b) - (a < b);
}

int al__node_cmp(int32_t a, int32_t b, const void *cluster) {
    const struct al_cluster *c = cluster;
    return strcmp(c->nodes[a].name, c->nodes[b].name);
}

int al__job_name_cmp(int32_t a, int32_t b, const void *cluster) {
    const struct al_cluster *c = cluster;
    return strcmp(c->jobs[a].name, c->jobs[b].name);
}

int al__sibling_cmp(int32_t a, int32_t b, const void *cluster) {
    const struct al_cluster *c = cluster;
    int r = cmp_i64(c->queues[a].created, c->queues[b].created);
    return r ? r : strcmp(c->queues[a].name, c->queues[b].name);
}

int al__task_cmp(int32_t a, int32_t b, const void *cluster) {
    const struct al_task *ta = &((const struct al_cluster *)cluster)->tasks[a];
    const struct al_task *tb = &((const struct al_cluster *)cluster)->tasks[b];
    if (ta->has_task_priority != tb->has_task_priority)
        return ta->has_task_priority ? -1 : 1;
    if (ta->has_task_priority && ta->task_priority != tb->task_priority)
        return ta->task_priority > tb->task_priority ? -1 : 1;
    return strcmp(ta->name, tb->name);
}

int32_t al__group_min(const struct al_job *job, size_t g) {
    return job->subgroup_count ? job->subgroups[g].min_members : job->min_members;
}

int al__job_min_state(const struct al__session *s, int32_t job) {
    const struct al_job *j = &s->cluster->jobs[job];
    const struct al__job_state *js = &s->jobs[job];
    int32_t min_total = j->min_members;
    if (j->subgroup_count > 0) {
        min_total = 0;
        for (size_t g = 0; g < j->subgroup_count; g++) {
            if (js->sub_active[g] < j->subgroups[g].min_members)
                return -1;
            min_total += j->subgroups[g].min_members;
        }
    } else if (js->active < j->min_members) {
        return -1;
    }
    return js->active > min_total ? 1 : 0;
}

int al_job_order_cmp(const struct al_job_order_key *a, const struct al_job_order_key *b) {
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->gang_state != b->gang_state)
        return a->gang_state < b->gang_state ? -1 : 1;
    int r = cmp_i64(a->created_s, b->created_s);
    return r ? r : strcmp(a->name, b->name);
}

struct al_job_order_key al__job_key(const struct al__session *s, int32_t j, int gang_state) {
    const struct al_job *job = &s->cluster->jobs[j];
    return (struct al_job_order_key){job->priority, gang_state, job->created_s, job->name};
}

int al__job_cmp(int32_t a, int32_t b, const void *session) {
    const struct al__session *s = session;
    struct al_job_order_key ka = al__job_key(s, a, al__job_min_state(s, a));
    struct al_job_order_key kb = al__job_key(s, b, al__job_min_state(s, b));
    return al_job_order_cmp(&ka, &kb);
}

/* The queue is below its fair share in every resource the job asks for. */
static bool under_fair_share(const struct al__queue_state *q, const int64_t req[]) {
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        if (req[r] > 0 && q->allocated[r] >= q->fair_share[r])
            return false;
    return true;
}

/* With the job allocated, the queue would still be within its deserved quota. */
static bool within_deserved(const struct al_queue *q, const struct al__queue_state *qs,
                            const int64_t req[]) {
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        if (req[r] > 0 && q->deserved[r] != AL_UNLIMITED &&
            qs->allocated[r] + req[r] > q->deserved[r])
            return false;
    return true;
}

/* Dominant-resource share in parts per billion of the cluster. */
int64_t al__dominant_share(const struct al__session *s, const int64_t allocated[]) {
    int64_t best = 0;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        if (s->total[r] <= 0)
            continue;
        al__i128 v = (al__i128)allocated[r] * 1000000000 / s->total[r];
        if (v > best)
            best = (int64_t)v;
    }
    return best;
}

void al__diverge(const struct al__session *s, int32_t *a, int32_t *b) {
    const struct al_queue *qs = s->cluster->queues;
    while (s->queues[*a].depth > s->queues[*b].depth)
        *a = qs[*a].parent;
    while (s->queues[*b].depth > s->queues[*a].depth)
        *b = qs[*b].parent;
    while (*a != *b && qs[*a].parent != qs[*b].parent) {
        *a = qs[*a].parent;
        *b = qs[*b].parent;
    }
}

void al__queue_key(const struct al__session *s, int32_t q, const int64_t req[],
                   struct al__queue_key *out) {
    const struct al_queue *queue = &s->cluster->queues[q];
    const struct al__queue_state *qs = &s->queues[q];
    int64_t with[AL_RESOURCE_COUNT];
    for (int k = 0; k < AL_RESOURCE_COUNT; k++)
        with[k] = qs->allocated[k] + req[k];
    out->over_fair_share = !under_fair_share(qs, req);
    out->beyond_deserved = !within_deserved(queue, qs, req);
    out->priority = queue->priority;
    out->share_with = al__dominant_share(s, with);
    out->share = al__dominant_share(s, qs->allocated);
    out->sibling_rank = s->queue_rank[q];
}

int al__queue_key_cmp(const struct al__queue_key *a, const struct al__queue_key *b) {
    if (a->over_fair_share != b->over_fair_share)
        return a->over_fair_share ? 1 : -1;
    if (a->beyond_deserved != b->beyond_deserved)
        return a->beyond_deserved ? 1 : -1;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    int r = cmp_i64(a->share_with, b->share_with);
    if (r)
        return r;
    r = cmp_i64(a->share, b->share);
    return r ? r : cmp_i64(a->sibling_rank, b->sibling_rank);
}

int al__queue_cmp(const struct al__session *s, int32_t qa, const int64_t req_a[], int32_t qb,
                  const int64_t req_b[]) {
    if (qa == qb)
        return 0;
    al__diverge(s, &qa, &qb);
    struct al__queue_key a, b;
    al__queue_key(s, qa, req_a, &a);
    al__queue_key(s, qb, req_b, &b);
    return al__queue_key_cmp(&a, &b);
}
