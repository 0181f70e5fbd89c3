/* parse_topology.c - the snapshot's topologies[] (KAI's Topology resources) and the topology
 * constraints of jobs and subgroups (topology, required_topology_level,
 * preferred_topology_level). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"
#include "snapshot/parse.h"

static const char *const topology_keys[] = {"name", "levels", NULL};

static int parse_levels(struct al__parse *p, const struct al__json *obj, const char *path,
                        struct al_topology *t) {
    const struct al__json *levels, *v;
    char lpath[AL__PATH_SIZE], base[AL__PATH_SIZE];
    size_t i;

    if (al__member_array(obj, path, "levels", true, &levels, p->err) < 0)
        return -AL_EINVAL;
    al__path_key(base, path, "levels");
    if (al__json_size(levels) == 0 || al__json_size(levels) > AL_MAX_TOPOLOGY_LEVELS)
        return al__fail(p->err, base, "must name 1 to %d node labels", AL_MAX_TOPOLOGY_LEVELS);
    t->levels = calloc(al__json_size(levels), sizeof(*t->levels));
    if (!t->levels)
        return al__fail_nomem(p->err, base);
    al__json_array_foreach(levels, i, v) {
        const char *key;
        al__path_index(lpath, base, i);
        if (al__read_string(v, lpath, true, &key, p->err) < 0)
            return -AL_EINVAL;
        for (size_t k = 0; k < i; k++)
            if (strcmp(t->levels[k], key) == 0)
                return al__fail(p->err, lpath, "node label \"%s\" is already levels[%zu]", key, k);
        if (al__dup(&t->levels[i], key, lpath, p->err) < 0)
            return -AL_ENOMEM;
        t->level_count = i + 1;
    }
    return 0;
}

int al__parse_topologies(struct al__parse *p, const struct al__json *root) {
    const struct al__json *list, *v;
    char path[AL__PATH_SIZE];
    size_t i;

    if (al__member_array(root, "", "topologies", false, &list, p->err) < 0)
        return -AL_EINVAL;
    if (!list || al__json_size(list) == 0)
        return 0;
    if (al__json_size(list) > AL_MAX_TOPOLOGIES)
        return al__fail(p->err, "topologies", "at most %d topologies", AL_MAX_TOPOLOGIES);
    struct al_cluster *c = p->cluster;
    c->topologies = calloc(al__json_size(list), sizeof(*c->topologies));
    if (!c->topologies)
        return al__fail_nomem(p->err, "topologies");
    al__json_array_foreach(list, i, v) {
        const char *name;
        al__path_index(path, "topologies", i);
        c->topology_count = i + 1;
        if (al__want_object(v, path, p->err) < 0 ||
            al__check_keys(v, path, topology_keys, p->err) < 0 ||
            al__member_string(v, path, "name", true, &name, p->err) < 0)
            return -AL_EINVAL;
        for (size_t k = 0; k < i; k++)
            if (strcmp(c->topologies[k].name, name) == 0) {
                char npath[AL__PATH_SIZE];
                al__path_key(npath, path, "name");
                return al__fail(p->err, npath,
                                "duplicate topology name \"%s\" (also "
                                "topologies[%zu])",
                                name, k);
            }
        if (al__dup(&c->topologies[i].name, name, path, p->err) < 0)
            return -AL_ENOMEM;
        int rc = parse_levels(p, v, path, &c->topologies[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The level number of label `key` in topology t (1 = outermost), or an error naming field. */
static int level_number(struct al__parse *p, const struct al_topology *t, const char *key,
                        const char *field, int16_t *out) {
    char levels[160];
    size_t used = 0;

    for (size_t l = 0; l < t->level_count; l++) {
        if (strcmp(t->levels[l], key) == 0) {
            *out = (int16_t)(l + 1);
            return 0;
        }
        int w = snprintf(levels + used, sizeof(levels) - used, "%s%s", l ? ", " : "", t->levels[l]);
        used += w > 0 && (size_t)w < sizeof(levels) - used ? (size_t)w : 0;
    }
    return al__fail(p->err, field, "topology \"%s\" has no level \"%s\" (its levels: %s)", t->name,
                    key, levels);
}

/* Which topology a constraint names: "topology", or the only one the snapshot has. */
static int constraint_topology(struct al__parse *p, const struct al__json *obj, const char *path,
                               struct al_topology_constraint *k) {
    const struct al_cluster *c = p->cluster;
    const char *name = NULL;
    char tpath[AL__PATH_SIZE];

    if (al__member_string(obj, path, "topology", false, &name, p->err) < 0)
        return -AL_EINVAL;
    al__path_key(tpath, path, "topology");
    if (!name) {
        if (c->topology_count == 1) {
            k->topology = 0;
            return 0;
        }
        return al__fail(p->err, tpath,
                        "required with a topology level: the snapshot has %zu topologies",
                        c->topology_count);
    }
    for (size_t i = 0; i < c->topology_count; i++)
        if (strcmp(c->topologies[i].name, name) == 0) {
            k->topology = (int16_t)i;
            return 0;
        }
    return al__fail(p->err, tpath, "unknown topology \"%s\" (see topologies[])", name);
}

int al__parse_topology_constraint(struct al__parse *p, const struct al__json *obj, const char *path,
                                  struct al_topology_constraint *k) {
    const char *required = NULL, *preferred = NULL;
    char rpath[AL__PATH_SIZE], ppath[AL__PATH_SIZE];

    memset(k, 0, sizeof(*k));
    if (al__member_string(obj, path, "required_topology_level", false, &required, p->err) < 0 ||
        al__member_string(obj, path, "preferred_topology_level", false, &preferred, p->err) < 0)
        return -AL_EINVAL;
    if (!required && !preferred) {
        if (al__json_get(obj, "topology")) {
            al__path_key(rpath, path, "topology");
            return al__fail(p->err, rpath,
                            "needs required_topology_level or preferred_topology_level");
        }
        return 0;
    }
    if (constraint_topology(p, obj, path, k) < 0)
        return -AL_EINVAL;
    const struct al_topology *t = &p->cluster->topologies[k->topology];
    al__path_key(rpath, path, "required_topology_level");
    al__path_key(ppath, path, "preferred_topology_level");
    if ((required && level_number(p, t, required, rpath, &k->required_level) < 0) ||
        (preferred && level_number(p, t, preferred, ppath, &k->preferred_level) < 0))
        return -AL_EINVAL;
    if (k->preferred_level > 0 && k->preferred_level < k->required_level)
        return al__fail(p->err, ppath,
                        "level \"%s\" is wider than the required level \"%s\" (a preferred "
                        "level lies at or below the required one)",
                        preferred, required);
    return 0;
}
