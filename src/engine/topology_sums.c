/* topology_sums.c - the free resources of every topology domain, kept with the session's
 * accounting so that choosing a domain does not pass over every node (see topology.h). */
#include "engine/topology.h"

#include <string.h>

#include "allot/errors.h"
#include "util/wide.h"

/* Node n's free resources for the estimates (capacity being released counts, as KAI's
 * idle-or-releasing does) and its devices free whole; nothing for an unschedulable node. */
static void node_free(const struct al__session *s, int32_t n, int64_t free[AL_RESOURCE_COUNT],
                      int32_t *idle) {
    const struct al__node_state *ns = &s->nodes[n];
    const struct al_node *node = &s->cluster->nodes[n];
    memset(free, 0, AL_RESOURCE_COUNT * sizeof(int64_t));
    *idle = 0;
    if (node->unschedulable)
        return;
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        const struct al__gpu_state *d = &ns->gpus[g];
        int64_t room = d->capacity - d->used + d->releasing;
        free[AL_GPU] += room > 0 ? room * 1000 / d->capacity : 0;
        *idle += room == d->capacity;
    }
    free[AL_CPU] = node->cpu_millis - ns->used[AL_CPU] + ns->releasing[AL_CPU];
    free[AL_MEMORY] = node->memory_bytes - ns->used[AL_MEMORY] + ns->releasing[AL_MEMORY];
}

/* Adds sign x node n's cached free resources to its domains of tree t. */
static void add_node(struct al__topology_state *ts, const struct al__topo_tree *t,
                     int64_t (*sum)[AL_RESOURCE_COUNT], int32_t n, int sign) {
    int64_t at = 0;
    for (int32_t d = 1; d <= t->levels; at += t->domain_count[d], d++) {
        int32_t id = t->domain_of[d][n];
        if (id < 0)
            break; /* no label at this level: none below either */
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            sum[at + id][r] += sign * ts->node_free[n][r];
    }
}

int al__topology_sums_init(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    struct al__topology_state *ts = s->topo;
    ts->node_free = al__arena_array(&s->arena, c->node_count + 1, sizeof(*ts->node_free));
    ts->node_idle = al__arena_array(&s->arena, c->node_count + 1, sizeof(int32_t));
    ts->sums = al__arena_array(&s->arena, c->topology_count, sizeof(*ts->sums));
    if (!ts->node_free || !ts->node_idle || !ts->sums)
        return -AL_ENOMEM;
    for (size_t n = 0; n < c->node_count; n++)
        node_free(s, (int32_t)n, ts->node_free[n], &ts->node_idle[n]);
    for (size_t i = 0; i < c->topology_count; i++) {
        const struct al__topo_tree *t = &ts->trees[i];
        size_t all = 1;
        for (int32_t d = 1; d <= t->levels; d++)
            all += (size_t)t->domain_count[d];
        ts->sums[i] = al__arena_array(&s->arena, all, sizeof(*ts->sums[i]));
        if (!ts->sums[i])
            return -AL_ENOMEM;
        for (size_t n = 0; n < c->node_count; n++)
            add_node(ts, t, ts->sums[i], (int32_t)n, 1);
    }
    return 0;
}

void al__topology_node_changed(struct al__session *s, int32_t n) {
    struct al__topology_state *ts = s->topo;
    for (size_t i = 0; i < s->cluster->topology_count; i++)
        add_node(ts, &ts->trees[i], ts->sums[i], n, -1);
    node_free(s, n, ts->node_free[n], &ts->node_idle[n]);
    for (size_t i = 0; i < s->cluster->topology_count; i++)
        add_node(ts, &ts->trees[i], ts->sums[i], n, 1);
}

const int64_t (*al__topology_sums(struct al__session *s, const struct al__topo_tree *tree,
                                  int32_t deepest, const struct al__topo_limit *outer,
                                  int64_t (*scratch)[AL_RESOURCE_COUNT]))[AL_RESOURCE_COUNT] {
    struct al__topology_state *ts = s->topo;
    if (outer->depth == 0)
        return (const int64_t(*)[AL_RESOURCE_COUNT])ts->sums[tree - ts->trees];
    int64_t count = 0;
    for (int32_t d = 1; d <= deepest; d++)
        count += tree->domain_count[d];
    memset(scratch, 0, (size_t)count * sizeof(*scratch));
    const int32_t *start = outer->tree->member_start[outer->depth];
    for (int32_t i = start[outer->domain]; i < start[outer->domain + 1]; i++) {
        int32_t n = outer->tree->members[outer->depth][i];
        int64_t at = 0;
        for (int32_t d = 1; d <= deepest; at += tree->domain_count[d], d++) {
            int32_t id = tree->domain_of[d][n];
            if (id < 0)
                break;
            for (int r = 0; r < AL_RESOURCE_COUNT; r++)
                scratch[at + id][r] += ts->node_free[n][r];
        }
    }
    return (const int64_t(*)[AL_RESOURCE_COUNT])scratch;
}

int64_t al__topology_holds(const struct al__session *s, const struct al__topo_limit *domain,
                           const struct al__topo_limit *outer, const struct al_task *like,
                           const int64_t one[AL_RESOURCE_COUNT], int64_t enough) {
    const struct al__topology_state *ts = s->topo;
    const int32_t *start = domain->tree->member_start[domain->depth];
    int64_t holds = 0;
    for (int32_t i = start[domain->domain]; i < start[domain->domain + 1] && holds < enough; i++) {
        int32_t n = domain->tree->members[domain->depth][i];
        if (outer->depth > 0 && outer->tree->domain_of[outer->depth][n] != outer->domain)
            continue;
        int64_t fits = INT64_MAX;
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            bool whole = r == AL_GPU && like->gpus > 0;
            int64_t have = whole ? (int64_t)ts->node_idle[n] * 1000 : ts->node_free[n][r];
            int64_t need = whole ? (int64_t)like->gpus * 1000 : one[r];
            if (need > 0 && (have > 0 ? have / need : 0) < fits)
                fits = have > 0 ? have / need : 0;
        }
        holds = al__sat_add(holds, fits);
    }
    return holds;
}

bool al__topology_check(const struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    const struct al__topology_state *ts = s->topo;
    for (size_t n = 0; n < c->node_count; n++) {
        int64_t free[AL_RESOURCE_COUNT];
        int32_t idle;
        node_free(s, (int32_t)n, free, &idle);
        if (idle != ts->node_idle[n] || memcmp(free, ts->node_free[n], sizeof(free)) != 0)
            return false;
    }
    for (size_t i = 0; i < c->topology_count; i++) {
        const struct al__topo_tree *t = &ts->trees[i];
        int64_t at = 0;
        for (int32_t d = 1; d <= t->levels; at += t->domain_count[d], d++)
            for (int32_t id = 0; id < t->domain_count[d]; id++) {
                int64_t want[AL_RESOURCE_COUNT] = {0, 0, 0};
                const int32_t *start = t->member_start[d];
                for (int32_t m = start[id]; m < start[id + 1]; m++)
                    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
                        want[r] += ts->node_free[t->members[d][m]][r];
                if (memcmp(want, ts->sums[i][at + id], sizeof(want)) != 0)
                    return false;
            }
    }
    return true;
}
