/* topology.c - a KAI Topology (kai.scheduler/v1alpha1): the levels of node labels a cluster's
 * nodes are grouped by, outermost first (see objects.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/objects.h"
#include "util/xalloc.h"

#define LEVELS_MAX AL_MAX_TOPOLOGY_LEVELS /* as KAI's CRD allows */

static int read_levels(json_t *levels, struct al_topology *out, char **aliases, const char *what,
                       char *err, size_t size) {
    json_t *level;
    size_t i;
    json_array_foreach(levels, i, level) {
        char label[320], alias[320], field[64];
        int rc;
        snprintf(field, sizeof(field), "spec.levels[%zu].nodeLabel", i);
        if ((rc = al__kube_text(level, "nodeLabel", label, sizeof(label), what, field, err, size)) <
            0)
            return rc;
        if (!label[0]) {
            snprintf(err, size, "%s: %s: missing", what, field);
            return -AL_EINVAL;
        }
        for (size_t k = 0; k < out->level_count; k++)
            if (strcmp(out->levels[k], label) == 0) {
                snprintf(err, size, "%s: %s: \"%s\" is also level %zu", what, field, label, k);
                return -AL_EINVAL;
            }
        snprintf(field, sizeof(field), "spec.levels[%zu].alias", i);
        if ((rc = al__kube_text(level, "alias", alias, sizeof(alias), what, field, err, size)) < 0)
            return rc;
        out->levels[out->level_count] = al__xstrdup(label);
        aliases[out->level_count++] = alias[0] ? al__xstrdup(alias) : NULL;
    }
    return 0;
}

int al__kube_topology_read(json_t *o, struct al_topology *out, char ***aliases, char *err,
                           size_t size) {
    char name[254], what[300];
    json_t *levels = json_object_get(json_object_get(o, "spec"), "levels");
    memset(out, 0, sizeof(*out));
    *aliases = NULL;
    int rc = al__kube_identity(o, "topology", false, NULL, 0, name, sizeof(name), what,
                               sizeof(what), err, size);
    if (rc < 0)
        return rc;
    if (!json_is_array(levels) || json_array_size(levels) == 0 ||
        json_array_size(levels) > LEVELS_MAX) {
        snprintf(err, size, "%s: spec.levels: must be a list of 1 to %d levels", what, LEVELS_MAX);
        return -AL_EINVAL;
    }
    out->name = al__xstrdup(name);
    out->levels = al__xcalloc(json_array_size(levels) + 1, sizeof(char *));
    *aliases = al__xcalloc(json_array_size(levels) + 1, sizeof(char *));
    if ((rc = read_levels(levels, out, *aliases, what, err, size)) < 0) {
        al__kube_topology_release(out, *aliases);
        *aliases = NULL;
    }
    return rc;
}

void al__kube_topology_release(struct al_topology *t, char **aliases) {
    for (size_t l = 0; l < t->level_count; l++) {
        free(t->levels[l]);
        if (aliases)
            free(aliases[l]);
    }
    free(aliases);
    free(t->levels);
    free(t->name);
    memset(t, 0, sizeof(*t));
}
