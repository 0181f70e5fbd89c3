/* reference.c - the straightforward scans the engine's indexes replace (see reference.h). */
#include "support/reference.h"

#include <stdlib.h>
#include <string.h>

#include "engine/job_steps.h"
#include "engine/order.h"

bool ref_placement_find(struct al__session *s, int32_t t, const unsigned char *allowed,
                        struct al__choice *out) {
    const struct al_task *task = &s->cluster->tasks[t];
    struct al__placement_pick pick;
    al__placement_pick_init(&pick, t);
    for (size_t i = 0; i < s->cluster->node_count; i++) {
        int32_t n = s->node_order[i];
        if ((allowed && !allowed[n]) || !al__node_matches(&s->cluster->nodes[n], task))
            continue;
        al__placement_consider(s, &pick, n, false);
    }
    return al__placement_pick_done(s, &pick, out);
}

void ref_placement_shortfall(const struct al__session *s, int32_t t, struct al_explanation *e) {
    const struct al_task *task = &s->cluster->tasks[t];
    e->task = t;
    al__task_request(s, t, AL__REQUEST_ADMISSION, e->requested_task);
    e->nodes_matching = 0;
    memset(e->best_free, 0, sizeof(e->best_free));
    for (size_t n = 0; n < s->cluster->node_count; n++) {
        if (!al__node_matches(&s->cluster->nodes[n], task))
            continue;
        e->nodes_matching++;
        const struct al__node_state *ns = &s->nodes[n];
        int64_t gpu = 0;
        for (int32_t g = 0; g < ns->gpu_count; g++) {
            const struct al__gpu_state *d = &ns->gpus[g];
            int64_t room = d->capacity - d->used;
            if (task->gpus > 0)
                gpu += d->used == 0 ? 1000 : 0;
            else if (room * 1000 / d->capacity > gpu)
                gpu = room * 1000 / d->capacity;
        }
        int64_t now[AL_RESOURCE_COUNT] = {gpu, s->cluster->nodes[n].cpu_millis - ns->used[AL_CPU],
                                          s->cluster->nodes[n].memory_bytes - ns->used[AL_MEMORY]};
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            if (now[r] > e->best_free[r])
                e->best_free[r] = now[r];
    }
    /* MIG: the first profile short on every matching node that offers it */
    e->mig_short = e->mig_free = e->mig_releasing = 0;
    for (size_t i = 0; i < task->mig_count && e->mig_short == 0; i++) {
        bool offered = false;
        int32_t most = 0, later = 0;
        for (size_t n = 0; n < s->cluster->node_count; n++) {
            const struct al_node *node = &s->cluster->nodes[n];
            if (!al__node_matches(node, task))
                continue;
            for (size_t k = 0; k < node->mig_count; k++) {
                if (strcmp(node->migs[k].profile, task->migs[i].profile) != 0 ||
                    node->migs[k].count <= 0)
                    continue;
                int32_t room = node->migs[k].count - s->nodes[n].migs[k].used;
                offered = true;
                most = room > most ? room : most;
                room += s->nodes[n].migs[k].releasing;
                later = room > later ? room : later;
            }
        }
        if (!offered || most < task->migs[i].count) {
            e->mig_short = (int32_t)i + 1;
            e->mig_free = offered ? most : -1;
            e->mig_releasing = offered ? later : -1;
        }
    }
}

/* The first waiting job of leaf q, or -1. */
static int32_t leaf_first(const struct al__session *s, const unsigned char *waiting, int32_t q) {
    int32_t best = -1;
    for (size_t j = 0; j < s->cluster->job_count; j++)
        if (waiting[j] && s->cluster->jobs[j].queue == q &&
            (best < 0 || al__job_cmp((int32_t)j, best, s) < 0))
            best = (int32_t)j;
    return best;
}

/* The job queue q's subtree serves first, -1 when none. */
static int32_t subtree_first(const struct al__session *s, const unsigned char *waiting, int32_t q);

/* Of the queues qs[0..n) (siblings), the job the one whose key goes first serves; -1 when
 * none of them holds a waiting job. */
static int32_t first_among(const struct al__session *s, const unsigned char *waiting,
                           const int32_t *qs, int32_t n) {
    int32_t best_job = -1;
    struct al__queue_key best_key;
    for (int32_t i = 0; i < n; i++) {
        int32_t j = subtree_first(s, waiting, qs[i]);
        if (j < 0)
            continue;
        struct al__queue_key key;
        int32_t tasks[64], sub_need[64];
        int64_t req[AL_RESOURCE_COUNT];
        bool complete;
        int32_t k = al__job_next_tasks(s, j, NULL, tasks, sub_need, &complete);
        al__tasks_request(s, tasks, k, req);
        al__queue_key(s, qs[i], req, &key);
        if (best_job < 0 || al__queue_key_cmp(&key, &best_key) < 0) {
            best_job = j;
            best_key = key;
        }
    }
    return best_job;
}

static int32_t subtree_first(const struct al__session *s, const unsigned char *waiting, int32_t q) {
    const struct al__queue_state *qs = &s->queues[q];
    if (qs->child_count == 0)
        return leaf_first(s, waiting, q);
    return first_among(s, waiting, qs->children, qs->child_count);
}

int32_t ref_job_queue_pick(const struct al__session *s, const unsigned char *waiting) {
    return first_among(s, waiting, s->top_queues, s->top_count);
}
