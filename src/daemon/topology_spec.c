/* topology_spec.c - workloads' topology constraints resolved against the inventory's topologies
 * (see topology_spec.h). */
#include "daemon/topology_spec.h"

#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "util/xalloc.h"

/* The field a level of a constraint is in: the workload's ("required_topology_level") or a
 * subgroup's ("subgroups[1].required_topology_level"; g < 0: the workload's). */
static int fail(char *field, size_t fsize, int32_t g, const char *f,
                struct al_topology_constraint *out) {
    if (g >= 0)
        snprintf(field, fsize, "subgroups[%d].%s", (int)g, f);
    else
        snprintf(field, fsize, "%s", f);
    memset(out, 0, sizeof(*out));
    return -AL_EINVAL;
}

/* The level number of `key` in t, 0 when it has none. */
static int16_t level_of(const struct al_topology *t, const char *key) {
    for (size_t l = 0; l < t->level_count; l++)
        if (strcmp(t->levels[l], key) == 0)
            return (int16_t)(l + 1);
    return 0;
}

/* "zone, rack, kubernetes.io/hostname" */
static void levels_text(const struct al_topology *t, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t l = 0; l < t->level_count && used < size; l++) {
        int n = snprintf(buf + used, size - used, "%s%s", l ? ", " : "", t->levels[l]);
        used += n > 0 ? (size_t)n : 0;
    }
}

/* One constraint - the workload's (g = -1) or subgroup g's levels, of the topology the
 * workload names - resolved; one piece for both, so that they follow the same rules. */
static int resolve(const struct al__inventory *inv, const char *topology, const char *required,
                   const char *preferred, int32_t g, struct al_topology_constraint *out,
                   char *field, size_t fsize, char *msg, size_t msize) {
    char levels[256];
    memset(out, 0, sizeof(*out));
    if (!required && !preferred)
        return 0;
    const struct al_topology *t = NULL;
    for (size_t i = 0; topology && i < inv->topology_count; i++)
        if (strcmp(inv->topologies[i].name, topology) == 0)
            t = &inv->topologies[i];
    if (!topology && inv->topology_count == 1)
        t = &inv->topologies[0];
    if (!t) {
        if (topology)
            snprintf(msg, msize, "no topology named \"%s\" (%zu known)", topology,
                     inv->topology_count);
        else
            snprintf(msg, msize,
                     "name the topology: the backend knows %zu (a constraint without one needs "
                     "exactly one)",
                     inv->topology_count);
        return fail(field, fsize, -1, "topology", out);
    }
    out->topology = (int16_t)(t - inv->topologies); /* < AL_MAX_TOPOLOGIES (the backends') */
    levels_text(t, levels, sizeof(levels));
    if (required && !(out->required_level = level_of(t, required))) {
        snprintf(msg, msize, "topology %s has no level \"%s\" (its levels: %s)", t->name, required,
                 levels);
        return fail(field, fsize, g, "required_topology_level", out);
    }
    if (preferred && !(out->preferred_level = level_of(t, preferred))) {
        snprintf(msg, msize, "topology %s has no level \"%s\" (its levels: %s)", t->name, preferred,
                 levels);
        return fail(field, fsize, g, "preferred_topology_level", out);
    }
    if (out->preferred_level > 0 && out->preferred_level < out->required_level) {
        snprintf(msg, msize,
                 "level \"%s\" is wider than the required level \"%s\" (a preferred level lies "
                 "at or below the required one; levels of %s, outermost first: %s)",
                 preferred, required, t->name, levels);
        return fail(field, fsize, g, "preferred_topology_level", out);
    }
    return 0;
}

int al__topology_resolve(const struct al__inventory *inv, const struct al__wspec *s,
                         struct al_topology_constraint *out, char *field, size_t fsize, char *msg,
                         size_t msize) {
    struct al_topology_constraint sub;
    int rc = resolve(inv, s->topology, s->required_topology_level, s->preferred_topology_level, -1,
                     out, field, fsize, msg, msize);
    for (int32_t g = 0; rc == 0 && g < s->subgroup_count; g++)
        if ((rc = al__topology_resolve_subgroup(inv, s, g, &sub, field, fsize, msg, msize)) < 0)
            memset(out, 0, sizeof(*out));
    return rc;
}

int al__topology_resolve_subgroup(const struct al__inventory *inv, const struct al__wspec *s,
                                  int32_t g, struct al_topology_constraint *out, char *field,
                                  size_t fsize, char *msg, size_t msize) {
    const struct al__wsubgroup *sg = &s->subgroups[g];
    return resolve(inv, s->topology, sg->required_topology_level, sg->preferred_topology_level, g,
                   out, field, fsize, msg, msize);
}

struct al_topology *al__topologies_copy(const struct al_topology *topologies, size_t count) {
    if (count == 0)
        return NULL;
    struct al_topology *copy = al__xcalloc(count, sizeof(*copy));
    for (size_t i = 0; i < count; i++) {
        copy[i].name = al__xstrdup(topologies[i].name);
        copy[i].level_count = topologies[i].level_count;
        copy[i].levels = al__xcalloc(topologies[i].level_count + 1, sizeof(char *));
        for (size_t l = 0; l < topologies[i].level_count; l++)
            copy[i].levels[l] = al__xstrdup(topologies[i].levels[l]);
    }
    return copy;
}
