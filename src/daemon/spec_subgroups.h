/* spec_subgroups.h - a workload's subgroups as JSON, read and written (spec_subgroups.c), for
 * the spec reader (specs.c), the mirror and the API's answers. */
#ifndef ALLOT_DAEMON_SPEC_SUBGROUPS_H
#define ALLOT_DAEMON_SPEC_SUBGROUPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/state.h"
#include "snapshot/json_read.h"

/* The most workers a workload (and so a subgroup) may have, as "workers" says. */
#define AL__SUBGROUP_WORKERS_MAX 1024

/*
 * al__subgroups_read - body's "subgroups" (absent, null or [] for none) into s->subgroups and
 * s->subgroup_count: 1-64 items of name (1-63 label-value characters, unique), workers (1-1024),
 * min_members (1..workers, default workers) and level keys. With subgroups, *workers (the
 * workload's; workers_given: the body had it) must be their workers' sum, or becomes it, and
 * *min_members (-1 = not given) must be their minimums' sum, or becomes it. Levels are checked
 * against a topology later (topology_spec.c). Errors: -AL_EINVAL with the field
 * ("subgroups[1].min_members") and a message; what s holds then is for al__wspec_release.
 */
int al__subgroups_read(const struct al__json *body, struct al__wspec *s, bool workers_given,
                       int64_t *workers, int64_t *min_members, char *field, size_t fsize, char *msg,
                       size_t msize);

/* al__subgroups_have_levels - some subgroup of s names a topology level. */
bool al__subgroups_have_levels(const struct al__wspec *s);

/* al__subgroups_json - list[0..count) as the API writes them (an array). */
json_t *al__subgroups_json(const struct al__wsubgroup *list, int32_t count);

/* al__subgroups_copy - a heap copy of list[0..count), NULL for none (aborts when out of
 * memory); freed with al__subgroups_free. */
struct al__wsubgroup *al__subgroups_copy(const struct al__wsubgroup *list, int32_t count);

/* al__subgroups_same - a[0..na) and b[0..nb) say the same. */
bool al__subgroups_same(const struct al__wsubgroup *a, int32_t na, const struct al__wsubgroup *b,
                        int32_t nb);

/* al__subgroups_free - frees list[0..count) and what it holds; accepts NULL. */
void al__subgroups_free(struct al__wsubgroup *list, int32_t count);

#endif
