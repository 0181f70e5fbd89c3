/* reclaim.c - the reclaim action: a queue below its fair share takes back what queues above
 * theirs borrowed (see actions.h and reclaim_rules.h). */
#include "engine/actions/actions.h"

#include "allot/errors.h"
#include "engine/actions/victim_action.h"
#include "engine/min_runtime.h"
#include "engine/reclaim_rules.h"

struct reclaim_scratch {
    int64_t (*remaining)[AL_RESOURCE_COUNT];
    unsigned char *touched;
    unsigned char *involved;
    int32_t *touched_list;
};

static bool acceptable(const struct al__session *s, const struct al__search *search,
                       const struct al__scenario *sc) {
    const struct reclaim_scratch *k = search->ctx;
    return al__min_runtime_valid(s, search, sc) &&
           al__reclaim_acceptable(s, sc, k->remaining, k->touched, k->involved, k->touched_list);
}

static bool eligible(const struct al__session *s, int32_t j, const int64_t req[],
                     const struct al__search *search) {
    (void)search;
    return al__reclaim_allowed(s, j, req);
}

int al__action_reclaim(struct al__session *s) {
    size_t queues = s->cluster->queue_count + 1;
    struct reclaim_scratch k = {
        .remaining = al__arena_array(&s->arena, queues, sizeof(*k.remaining)),
        .touched = al__arena_array(&s->arena, queues, 1),
        .involved = al__arena_array(&s->arena, queues, 1),
        .touched_list = al__arena_array_raw(&s->arena, queues, sizeof(int32_t)),
    };
    if (!k.remaining || !k.touched || !k.involved || !k.touched_list)
        return -AL_ENOMEM;
    struct al__search search = {.action = AL_ACTION_RECLAIM,
                                .reason = AL_REASON_RECLAIMED,
                                .scope = AL__SCOPE_OTHER_QUEUES,
                                .validate = acceptable,
                                .ctx = &k};
    int rc = al__victim_action_run(s, &search, eligible);
    al__note_search(s, &search);
    return rc;
}
