/* shuffle.c - seeded permutation of a cluster's arrays with index remapping (see shuffle.h). */
#include "support/shuffle.h"

#include <stdlib.h>
#include <string.h>

static size_t *permutation(size_t n, unsigned *seed) {
    size_t *p = malloc((n + 1) * sizeof(*p));
    if (!p)
        abort();
    for (size_t i = 0; i < n; i++)
        p[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rand_r(seed) % i;
        size_t t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    return p; /* p[new] = old */
}

static size_t *inverse(const size_t *p, size_t n) {
    size_t *inv = malloc((n + 1) * sizeof(*inv));
    if (!inv)
        abort();
    for (size_t i = 0; i < n; i++)
        inv[p[i]] = i;
    return inv;
}

static void *apply(const void *items, const size_t *p, size_t n, size_t size) {
    char *out = malloc((n + 1) * size);
    if (!out)
        abort();
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * size, (const char *)items + p[i] * size, size);
    return out;
}

static void shuffle_nodes_and_queues(struct al_cluster *c, unsigned *seed) {
    size_t *pn = permutation(c->node_count, seed), *in = inverse(pn, c->node_count);
    struct al_node *nodes = apply(c->nodes, pn, c->node_count, sizeof(*nodes));
    free(c->nodes);
    c->nodes = nodes;
    for (size_t t = 0; t < c->task_count; t++)
        if (c->tasks[t].node >= 0)
            c->tasks[t].node = (int32_t)in[c->tasks[t].node];
    free(pn);
    free(in);

    size_t *pq = permutation(c->queue_count, seed), *iq = inverse(pq, c->queue_count);
    struct al_queue *queues = apply(c->queues, pq, c->queue_count, sizeof(*queues));
    free(c->queues);
    c->queues = queues;
    for (size_t q = 0; q < c->queue_count; q++)
        if (c->queues[q].parent >= 0)
            c->queues[q].parent = (int32_t)iq[c->queues[q].parent];
    for (size_t j = 0; j < c->job_count; j++)
        c->jobs[j].queue = (int32_t)iq[c->jobs[j].queue];
    free(pq);
    free(iq);
}

void tb_shuffle(struct al_cluster *c, unsigned seed) {
    shuffle_nodes_and_queues(c, &seed);
    size_t *pj = permutation(c->job_count, &seed);
    struct al_job *jobs = apply(c->jobs, pj, c->job_count, sizeof(*jobs));
    struct al_task *tasks = malloc((c->task_count + 1) * sizeof(*tasks));
    if (!tasks)
        abort();
    size_t k = 0;
    for (size_t j = 0; j < c->job_count; j++) { /* tasks follow their job, shuffled inside it */
        struct al_job *job = &jobs[j];
        size_t *pt = permutation(job->task_count, &seed);
        for (size_t i = 0; i < job->task_count; i++) {
            tasks[k + i] = c->tasks[job->first_task + pt[i]];
            tasks[k + i].job = (int32_t)j;
        }
        free(pt);
        job->first_task = k;
        k += job->task_count;
    }
    free(pj);
    free(c->jobs);
    free(c->tasks);
    c->jobs = jobs;
    c->tasks = tasks;
}
