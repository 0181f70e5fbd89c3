/* reference.c - the straightforward scans the engine's indexes replace (see reference.h). */
#include "support/reference.h"

#include <string.h>

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
}
