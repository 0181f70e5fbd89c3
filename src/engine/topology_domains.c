/* topology_domains.c - the domains of each topology, built once per session from the nodes'
 * labels, and the checks of the jobs' topology constraints (see topology.h). */
#include "engine/topology.h"

#include <string.h>

#include "allot/errors.h"
#include "util/sort.h"

/* The value of label `key` on node, NULL when it has none. */
static const char *label_of(const struct al_node *node, const char *key) {
    for (size_t i = 0; i < node->label_count; i++)
        if (strcmp(node->labels[i].key, key) == 0)
            return node->labels[i].value;
    return NULL;
}

/* Sorting the nodes of one depth: by their parent domain, then by this level's label value,
 * then by name (equal values share a domain; names only make the order total). */
struct depth_sort {
    const struct al_cluster *c;
    const int32_t *parent_of; /* per node: its domain one level up (0 at depth 1) */
    const char *key;
};

static int by_parent_value(int32_t a, int32_t b, const void *ctx) {
    const struct depth_sort *d = ctx;
    if (d->parent_of[a] != d->parent_of[b])
        return d->parent_of[a] < d->parent_of[b] ? -1 : 1;
    int v = strcmp(label_of(&d->c->nodes[a], d->key), label_of(&d->c->nodes[b], d->key));
    if (v != 0)
        return v;
    return strcmp(d->c->nodes[a].name, d->c->nodes[b].name);
}

/* Domains of depth d, from those of depth d - 1 (parent_of, NULL at depth 1). */
static int build_depth(struct al__session *s, const struct al_topology *topo,
                       struct al__topo_tree *tree, int32_t d, int32_t *ids) {
    const struct al_cluster *c = s->cluster;
    const int32_t *up = d > 1 ? tree->domain_of[d - 1] : NULL;
    int32_t *of = al__arena_array_raw(&s->arena, c->node_count + 1, sizeof(int32_t));
    int32_t *zero = al__arena_array(&s->arena, c->node_count + 1, sizeof(int32_t));
    if (!of || !zero)
        return -AL_ENOMEM;
    struct depth_sort ds = {.c = c, .parent_of = up ? up : zero, .key = topo->levels[d - 1]};
    size_t k = 0;
    for (size_t n = 0; n < c->node_count; n++) {
        of[n] = -1;
        if ((!up || up[n] >= 0) && label_of(&c->nodes[n], ds.key))
            ids[k++] = (int32_t)n;
    }
    if (al__sort_ids(ids, k, by_parent_value, &ds) < 0)
        return -AL_ENOMEM;
    int32_t *parent = al__arena_array_raw(&s->arena, k + 1, sizeof(int32_t));
    int32_t *first = al__arena_array_raw(&s->arena, k + 1, sizeof(int32_t));
    int32_t *members = al__arena_array_raw(&s->arena, k + 1, sizeof(int32_t));
    int32_t *start = al__arena_array_raw(&s->arena, k + 2, sizeof(int32_t));
    if (!parent || !first || !members || !start)
        return -AL_ENOMEM;
    memcpy(members, ids, k * sizeof(int32_t));
    int32_t count = 0;
    for (size_t i = 0; i < k; i++) {
        int32_t n = ids[i];
        bool same =
            i > 0 && ds.parent_of[n] == ds.parent_of[ids[i - 1]] &&
            strcmp(label_of(&c->nodes[n], ds.key), label_of(&c->nodes[ids[i - 1]], ds.key)) == 0;
        if (!same) {
            parent[count] = ds.parent_of[n];
            start[count] = (int32_t)i;
            first[count++] = n;
        }
        of[n] = count - 1;
    }
    start[count] = (int32_t)k;
    tree->domain_of[d] = of;
    tree->domain_count[d] = count;
    tree->parent[d] = parent;
    tree->first_node[d] = first;
    tree->members[d] = members;
    tree->member_start[d] = start;
    return 0;
}

static int build_tree(struct al__session *s, const struct al_topology *topo,
                      struct al__topo_tree *tree, int32_t *ids) {
    int32_t levels = (int32_t)topo->level_count;
    tree->levels = levels;
    tree->domain_of = al__arena_array(&s->arena, (size_t)levels + 1, sizeof(int32_t *));
    tree->domain_count = al__arena_array(&s->arena, (size_t)levels + 1, sizeof(int32_t));
    tree->parent = al__arena_array(&s->arena, (size_t)levels + 1, sizeof(int32_t *));
    tree->first_node = al__arena_array(&s->arena, (size_t)levels + 1, sizeof(int32_t *));
    tree->members = al__arena_array(&s->arena, (size_t)levels + 1, sizeof(int32_t *));
    tree->member_start = al__arena_array(&s->arena, (size_t)levels + 1, sizeof(int32_t *));
    if (!tree->domain_of || !tree->domain_count || !tree->parent || !tree->first_node ||
        !tree->members || !tree->member_start)
        return -AL_ENOMEM;
    tree->domain_count[0] = 1;
    for (int32_t d = 1; d <= levels; d++) {
        int rc = build_depth(s, topo, tree, d, ids);
        if (rc < 0)
            return rc;
    }
    return 0;
}

bool al__topology_constraint_valid(const struct al_cluster *c,
                                   const struct al_topology_constraint *k) {
    if (k->topology < 0 || (size_t)k->topology >= c->topology_count)
        return false;
    int32_t levels = (int32_t)c->topologies[k->topology].level_count;
    return k->required_level >= 0 && k->required_level <= levels && k->preferred_level >= 0 &&
           k->preferred_level <= levels &&
           (k->preferred_level == 0 || k->preferred_level >= k->required_level);
}

bool al__topology_constrained(const struct al_cluster *c, int32_t j) {
    const struct al_job *job = &c->jobs[j];
    if (job->topology.required_level > 0 || job->topology.preferred_level > 0)
        return true;
    for (size_t g = 0; g < job->subgroup_count; g++)
        if (job->subgroups[g].topology.required_level > 0 ||
            job->subgroups[g].topology.preferred_level > 0)
            return true;
    return false;
}

/* Scratch for the candidates of one group: per-domain sums of one depth (the most domains of
 * any depth) and candidates of every depth. */
static int slot_init(struct al__session *s, struct al__topo_slot *sl, size_t widest, size_t all) {
    sl->free = al__arena_array(&s->arena, all + 1, sizeof(*sl->free));
    sl->bound = al__arena_array(&s->arena, widest + 1, 1);
    sl->candidates = al__arena_array(&s->arena, all + 1, sizeof(*sl->candidates));
    sl->order = al__arena_array(&s->arena, all + 1, sizeof(int32_t));
    sl->fullness = al__arena_array(&s->arena, all + 1, sizeof(int64_t));
    return sl->free && sl->bound && sl->candidates && sl->order && sl->fullness ? 0 : -AL_ENOMEM;
}

int al__topology_build(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    if (c->topology_count == 0)
        return 0;
    struct al__topology_state *ts = al__arena_alloc(&s->arena, sizeof(*ts));
    int32_t *ids = al__arena_array_raw(&s->arena, c->node_count + 1, sizeof(int32_t));
    if (!ts || !ids)
        return -AL_ENOMEM;
    ts->trees = al__arena_array(&s->arena, c->topology_count, sizeof(*ts->trees));
    ts->group_tasks = al__arena_array(&s->arena, s->max_job_tasks + 1, sizeof(int32_t));
    ts->rest_tasks = al__arena_array(&s->arena, s->max_job_tasks + 1, sizeof(int32_t));
    if (!ts->trees || !ts->group_tasks || !ts->rest_tasks)
        return -AL_ENOMEM;
    size_t widest = 1, all = 1;
    for (size_t i = 0; i < c->topology_count; i++) {
        if (c->topologies[i].level_count == 0)
            return -AL_EINVAL;
        int rc = build_tree(s, &c->topologies[i], &ts->trees[i], ids);
        if (rc < 0)
            return rc;
        size_t sum = 1;
        for (int32_t d = 1; d <= ts->trees[i].levels; d++) {
            size_t count = (size_t)ts->trees[i].domain_count[d];
            widest = count > widest ? count : widest;
            sum += count;
        }
        all = sum > all ? sum : all;
    }
    for (int i = 0; i < 2; i++) {
        int rc = slot_init(s, &ts->slots[i], widest, all);
        if (rc < 0)
            return rc;
    }
    s->topo = ts;
    return al__topology_sums_init(s);
}
