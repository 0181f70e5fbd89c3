/* topology_spec.h - a workload's topology constraint (its topology's and levels' names) resolved
 * against the topologies of the backend's inventory, for submit and for each cycle's model. */
#ifndef ALLOT_DAEMON_TOPOLOGY_SPEC_H
#define ALLOT_DAEMON_TOPOLOGY_SPEC_H

#include <stddef.h>

#include "allot/model.h"
#include "backends/backend.h"
#include "daemon/state.h"

/*
 * al__topology_resolve - the engine's constraint for spec s: the topology it names (or the
 * inventory's only one when it names none) and the level numbers of its levels. A spec without
 * levels resolves to a zeroed constraint. Its subgroups' constraints are checked too (the same
 * rules, the same topology), so that a spec that resolves has every subgroup's resolve.
 * Errors: -AL_EINVAL with the field ("topology", "required_topology_level",
 * "subgroups[1].preferred_topology_level") and a message (an unknown topology or level, a
 * preferred level wider than the required one, no topology to choose from); *out is then
 * zeroed.
 */
int al__topology_resolve(const struct al__inventory *inv, const struct al__wspec *s,
                         struct al_topology_constraint *out, char *field, size_t fsize, char *msg,
                         size_t msize);

/* al__topology_resolve_subgroup - the same for subgroup g of s (g < s->subgroup_count): its
 * levels, of the topology the workload names. */
int al__topology_resolve_subgroup(const struct al__inventory *inv, const struct al__wspec *s,
                                  int32_t g, struct al_topology_constraint *out, char *field,
                                  size_t fsize, char *msg, size_t msize);

/* al__topologies_copy - a heap copy of topologies[0..count) (NULL for none). Aborts when out of
 * memory (allotd's wrappers). */
struct al_topology *al__topologies_copy(const struct al_topology *topologies, size_t count);

#endif
