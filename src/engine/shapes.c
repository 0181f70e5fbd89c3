/* shapes.c - the workload's shapes and the typical ones (see shapes.h). */
#include "engine/shapes.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/node_index.h"
#include "engine/session.h"
#include "util/sort.h"

static uint64_t request_hash(const struct al_task *t) {
    uint64_t h = al__affinity_hash(t);
    const int64_t parts[] = {t->gpus,        t->gpu_milli,  t->gpu_memory_mib,
                             t->gpu_devices, t->cpu_millis, t->memory_bytes};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        h = (h ^ (uint64_t)parts[i]) * 1099511628211ULL;
    for (size_t i = 0; i < t->mig_count; i++) { /* MIG asks tell shapes apart (al__task_alike) */
        h = (h ^ (uint64_t)t->migs[i].count) * 1099511628211ULL;
        for (const char *p = t->migs[i].profile; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

static bool counted(enum al_task_state state) {
    return state == AL_TASK_PENDING || al_task_is_active(state);
}

/* Heaviest first, then the shape met first (ids are in order of first task). */
static int heavier(int32_t a, int32_t b, const void *ctx) {
    const struct al__shape *all = ctx;
    if (all[a].weight != all[b].weight)
        return all[a].weight > all[b].weight ? -1 : 1;
    return (a > b) - (a < b);
}

int al__shapes_build(struct al__session *s, struct al__shapes *out) {
    const struct al_cluster *c = s->cluster;
    size_t slots = 64;
    while (slots < c->task_count * 2)
        slots *= 2;
    int32_t *slot = al__arena_array_raw(&s->arena, slots, sizeof(int32_t)); /* shape ids */
    struct al__shape *all = al__arena_array_raw(&s->arena, c->task_count + 1, sizeof(*all));
    memset(out, 0, sizeof(*out));
    out->shape_of = al__arena_array_raw(&s->arena, c->task_count + 1, sizeof(int32_t));
    if (!slot || !all || !out->shape_of)
        return -AL_ENOMEM;
    memset(slot, 0xff, slots * sizeof(int32_t));
    int64_t total = 0;
    for (size_t t = 0; t < c->task_count; t++) {
        const struct al_task *task = &c->tasks[t];
        out->shape_of[t] = -1;
        if (!counted(s->tasks[t].state))
            continue;
        size_t i = request_hash(task) & (slots - 1);
        while (slot[i] >= 0 && !al__task_alike(&c->tasks[all[slot[i]].task], task))
            i = (i + 1) & (slots - 1);
        if (slot[i] < 0) {
            slot[i] = out->shape_count++;
            all[slot[i]] = (struct al__shape){.task = (int32_t)t};
        }
        all[slot[i]].weight++;
        out->shape_of[t] = slot[i];
        total++;
    }
    int32_t *order = al__arena_array_raw(&s->arena, (size_t)out->shape_count + 1, sizeof(int32_t));
    out->typical = al__arena_array_raw(&s->arena, (size_t)out->shape_count + 1, sizeof(*all));
    if (!order || !out->typical)
        return -AL_ENOMEM;
    for (int32_t i = 0; i < out->shape_count; i++)
        order[i] = i;
    if (al__sort_ids(order, (size_t)out->shape_count, heavier, all) < 0)
        return -AL_ENOMEM;
    for (int32_t i = 0; i < out->shape_count; i++)
        out->typical[i] = all[order[i]];
    int64_t covered = 0;
    /* Shapes as heavy as the last one taken are taken too: which tasks come first in the
     * model never changes the typical set. */
    while (out->typical_count < out->shape_count && out->typical_count < AL__SHAPES_MAX &&
           (covered * 100 < total * AL__SHAPES_COVER_PERCENT ||
            out->typical[out->typical_count].weight == out->typical[out->typical_count - 1].weight))
        covered += out->typical[out->typical_count++].weight;
    return 0;
}
