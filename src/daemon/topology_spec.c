/* topology_spec.c - workloads' topology constraints resolved against the inventory's topologies
 * (see topology_spec.h). */
#include "daemon/topology_spec.h"

#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "util/xalloc.h"

static int fail(char *field, size_t fsize, const char *f, char *msg, size_t msize,
                struct al_topology_constraint *out) {
    snprintf(field, fsize, "%s", f);
    memset(out, 0, sizeof(*out));
    (void)msg;
    (void)msize;
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

int al__topology_resolve(const struct al__inventory *inv, const struct al__wspec *s,
                         struct al_topology_constraint *out, char *field, size_t fsize, char *msg,
                         size_t msize) {
    char levels[256];
    memset(out, 0, sizeof(*out));
    if (!s->required_topology_level && !s->preferred_topology_level)
        return 0;
    const struct al_topology *t = NULL;
    for (size_t i = 0; s->topology && i < inv->topology_count; i++)
        if (strcmp(inv->topologies[i].name, s->topology) == 0)
            t = &inv->topologies[i];
    if (!s->topology && inv->topology_count == 1)
        t = &inv->topologies[0];
    if (!t) {
        if (s->topology)
            snprintf(msg, msize, "no topology named \"%s\" (%zu known)", s->topology,
                     inv->topology_count);
        else
            snprintf(msg, msize,
                     "name the topology: the backend knows %zu (a constraint without one needs "
                     "exactly one)",
                     inv->topology_count);
        return fail(field, fsize, "topology", msg, msize, out);
    }
    out->topology = (int16_t)(t - inv->topologies); /* < AL_MAX_TOPOLOGIES (the backends') */
    levels_text(t, levels, sizeof(levels));
    if (s->required_topology_level &&
        !(out->required_level = level_of(t, s->required_topology_level))) {
        snprintf(msg, msize, "topology %s has no level \"%s\" (its levels: %s)", t->name,
                 s->required_topology_level, levels);
        return fail(field, fsize, "required_topology_level", msg, msize, out);
    }
    if (s->preferred_topology_level &&
        !(out->preferred_level = level_of(t, s->preferred_topology_level))) {
        snprintf(msg, msize, "topology %s has no level \"%s\" (its levels: %s)", t->name,
                 s->preferred_topology_level, levels);
        return fail(field, fsize, "preferred_topology_level", msg, msize, out);
    }
    if (out->preferred_level > 0 && out->preferred_level < out->required_level) {
        snprintf(msg, msize,
                 "level \"%s\" is wider than the required level \"%s\" (a preferred level lies "
                 "at or below the required one; levels of %s, outermost first: %s)",
                 s->preferred_topology_level, s->required_topology_level, t->name, levels);
        return fail(field, fsize, "preferred_topology_level", msg, msize, out);
    }
    return 0;
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
