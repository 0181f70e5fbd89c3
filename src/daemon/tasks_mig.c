/* tasks_mig.c - which MIG instances a task holds on its node, numbered by allotd where its
 * backend asks for it (the local backend: al__backend.mig_numbered), so that the task learns
 * them at its start (ALLOT_MIG_INSTANCES). */
#include <stdlib.h>
#include <string.h>

#include "daemon/tasks.h"
#include "util/xalloc.h"

#define MIG_INDEX_MAX 4096 /* a count of one profile is at most 4096 (specs.c, node.c) */

/* Marks in `used` the instances of `profile` that the text "P:I,P:I" holds. */
static void mark_held(const char *text, const char *profile, bool *used) {
    size_t plen = strlen(profile);
    for (const char *at = text; at && *at;) {
        const char *comma = strchr(at, ',');
        size_t len = comma ? (size_t)(comma - at) : strlen(at);
        if (len > plen + 1 && strncmp(at, profile, plen) == 0 && at[plen] == ':') {
            char *end;
            long i = strtol(at + plen + 1, &end, 10);
            if (end == at + len && i >= 0 && i < MIG_INDEX_MAX)
                used[i] = true;
        }
        at = comma ? comma + 1 : NULL;
    }
}

/* Instances of `profile` the other tasks placed on node `node` hold. */
static void mark_node(const struct allotd *d, const struct al__dtask *self, const char *profile,
                      bool *used) {
    const struct al__wset_items *holding = &d->state.sets[AL__HOLDING];
    for (size_t i = 0; i < holding->count; i++) {
        const struct al__dworkload *w = holding->items[i];
        for (int32_t k = 0; k < w->spec.workers; k++) {
            const struct al__dtask *t = &w->tasks[k];
            if (t != self && t->node == self->node && t->mig_instances &&
                (t->state == AL__T_RUNNING || t->state == AL__T_STOPPING))
                mark_held(t->mig_instances, profile, used);
        }
    }
}

void al__task_mig_assign(struct allotd *d, const struct al__dworkload *w, struct al__dtask *t) {
    free(t->mig_instances);
    t->mig_instances = NULL;
    if (!d->backend.mig_numbered || w->spec.mig_profiles == 0 || t->node < 0)
        return;
    char text[1024] = "";
    size_t len = 0;
    bool *used = al__xcalloc(MIG_INDEX_MAX, sizeof(*used));
    for (int32_t m = 0; m < w->spec.mig_profiles; m++) {
        const struct al__mig_ask *a = &w->spec.migs[m];
        memset(used, 0, MIG_INDEX_MAX * sizeof(*used));
        mark_node(d, t, a->profile, used);
        /* the lowest free ones (beyond what the node offers only where its layout changed
         * under tasks that hold more: the engine placed it, so it runs) */
        for (int32_t i = 0, got = 0; i < MIG_INDEX_MAX && got < a->count; i++) {
            if (used[i])
                continue;
            int n = snprintf(text + len, sizeof(text) - len, "%s%s:%d", len ? "," : "", a->profile,
                             (int)i);
            if (n < 0 || (size_t)n >= sizeof(text) - len)
                break; /* more than the environment line holds: the ones that fit */
            len += (size_t)n;
            got++;
        }
    }
    free(used);
    t->mig_instances = len ? al__xstrdup(text) : NULL;
}

/* Instances of `profile` that tasks of workloads other than `self` running or stopping on node
 * `node` hold (by what they ask: a backend may number none). */
static int64_t held_on(const struct allotd *d, const struct al__dworkload *self, int32_t node,
                       const char *profile) {
    const struct al__wset_items *holding = &d->state.sets[AL__HOLDING];
    int64_t held = 0;
    for (size_t i = 0; i < holding->count; i++) {
        const struct al__dworkload *w = holding->items[i];
        for (int32_t m = 0; w != self && m < w->spec.mig_profiles; m++) {
            if (strcmp(w->spec.migs[m].profile, profile) != 0)
                continue;
            for (int32_t k = 0; k < w->spec.workers; k++)
                held += w->tasks[k].node == node && (w->tasks[k].state == AL__T_RUNNING ||
                                                     w->tasks[k].state == AL__T_STOPPING)
                            ? w->spec.migs[m].count
                            : 0;
        }
    }
    return held;
}

bool al__task_mig_room(const struct allotd *d, const struct al__dworkload *pw) {
    for (int32_t k = 0; k < pw->spec.workers; k++) {
        const struct al__dtask *p = &pw->tasks[k];
        const struct al__node *node = al__task_node(d, p);
        if (p->state != AL__T_PIPELINED || !node)
            continue;
        int32_t here = 0; /* pw's pipelined tasks on p's node */
        for (int32_t q = 0; q < pw->spec.workers; q++)
            here += pw->tasks[q].state == AL__T_PIPELINED && pw->tasks[q].node == p->node;
        for (int32_t m = 0; m < pw->spec.mig_profiles; m++) {
            const struct al__mig_ask *a = &pw->spec.migs[m];
            int64_t offered = 0;
            for (size_t n = 0; n < node->mig_count; n++)
                if (strcmp(node->migs[n].profile, a->profile) == 0)
                    offered = node->migs[n].count;
            if (held_on(d, pw, p->node, a->profile) + (int64_t)a->count * here > offered)
                return false;
        }
    }
    return true;
}
