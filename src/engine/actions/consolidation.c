/* consolidation.c - the consolidation action: running preemptible tasks are moved so that a
 * pending job's preemptible step (a semi-preemptible job's tasks beyond its core) fits; nothing is
 * evicted for good (see actions.h). */
#include "engine/actions/actions.h"

#include "engine/actions/victim_action.h"
#include "engine/semi_preemptible.h"

/* Every victim was placed again. */
static bool all_moved(const struct al__session *s, const struct al__search *search,
                      const struct al__scenario *sc) {
    (void)search;
    for (int32_t i = 0; i < sc->victim_count; i++)
        if (s->tasks[sc->victims[i]].state == AL_TASK_RELEASING)
            return false;
    return true;
}

/* Idle and releasing GPUs of the cluster cover the step's GPU request. */
static bool enough_gpus(const struct al__session *s, const int64_t req[]) {
    return s->index.gpu_future_total >= req[AL_GPU];
}

static bool eligible(const struct al__session *s, int32_t j, const int64_t req[],
                     const struct al__search *search) {
    (void)search;
    return !al__job_step_is_core(s, j) && enough_gpus(s, req);
}

int al__action_consolidation(struct al__session *s) {
    const struct al_config *config = &s->cluster->config;
    if (config->gpu_placement == AL_SPREAD || config->cpu_placement == AL_SPREAD)
        return 0; /* moving work to pack it would undo spreading */
    struct al__search search = {.action = AL_ACTION_CONSOLIDATION,
                                .reason = AL_REASON_CONSOLIDATED,
                                .scope = AL__SCOPE_ALL,
                                .validate = all_moved};
    int rc = al__victim_action_run(s, &search, eligible);
    al__note_search(s, &search);
    return rc;
}
