/* reason_short.c - why a workload waits, as a short code and the cause in the user's terms. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/reason_short.h"
#include "daemon/state.h"

/* A queue's min runtime for `reclaim` or preempt: its own, else its department's, else 0. */
static int64_t min_runtime(const struct al__state *st, const struct al__dqueue *q, bool reclaim) {
    for (int depth = 0; q && depth < 2; depth++) {
        if (reclaim ? q->has_reclaim_min_runtime : q->has_preempt_min_runtime)
            return reclaim ? q->reclaim_min_runtime_s : q->preempt_min_runtime_s;
        q = q->parent[0] ? al__state_queue((struct al__state *)st, q->parent) : NULL;
    }
    return 0;
}

/* When the first protection of a running preemptible workload w could take from ends: the
 * earliest end after `now`, or -1 when none is protected. Preempt protection for its own
 * project's, reclaim protection for others'. */
static int64_t first_protection_end(const struct allotd *d, const struct al__dworkload *w,
                                    int64_t now) {
    const struct al__wset_items *holding = &d->state.sets[AL__HOLDING];
    int64_t first = -1;

    for (size_t i = 0; i < holding->count; i++) {
        const struct al__dworkload *v = holding->items[i];
        if (v->state != AL__W_RUNNING || !v->spec.preemptible || v->started_s < 0)
            continue;
        bool same = strcmp(v->project, w->project) == 0;
        const struct al__dqueue *q = al__state_queue((struct al__state *)&d->state, v->project);
        int64_t end = v->started_s + min_runtime(&d->state, q, !same);
        if (end > now && (first < 0 || end < first))
            first = end;
    }
    return first;
}

/* NO_NODE_FITS: nothing free fits; which of the reasons a user can act on is it? */
static const char *no_room(const struct allotd *d, const struct al__dworkload *w,
                           const struct al_explanation *x, char *cause, size_t size) {
    const struct al__dqueue *q = al__state_queue((struct al__state *)&d->state, w->project);
    int64_t gpu = x->requested_task[AL_GPU];

    if (x->nodes_matching == 0) {
        snprintf(cause, size, "no node matches what its tasks ask for.");
        return "NoFit";
    }
    if (x->mig_short > 0 && x->mig_free < 0) { /* nothing to wait for but a new layout */
        snprintf(cause, size, "no node offers a MIG profile it asks.");
        return "NoFit";
    }
    if (x->victims_protected > 0) {
        int64_t now = (int64_t)time(NULL), end = first_protection_end(d, w, now);
        char when[32] = "";
        struct tm tm;
        time_t t = (time_t)end;
        if (end > 0 && gmtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(cause, size,
                 "%d running job%s it could take room from %s within a minimum runtime%s%s.",
                 x->victims_protected, x->victims_protected == 1 ? "" : "s",
                 x->victims_protected == 1 ? "is" : "are", when[0] ? "; the first ends at " : "",
                 when);
        return "MinRuntime";
    }
    if (q && gpu > 0 && q->allocated[AL_GPU] + gpu > q->fair_share[AL_GPU]) {
        snprintf(cause, size,
                 "project %s is at its fair share of GPUs (%g allocated, fair share %g); it "
                 "runs when GPUs free up or its share grows.",
                 w->project, (double)q->allocated[AL_GPU] / 1000.0,
                 (double)q->fair_share[AL_GPU] / 1000.0);
        return "FairShare";
    }
    if (x->victim_search & (1u << AL_ACTION_PREEMPT)) {
        snprintf(cause, size,
                 "the room it needs is held by jobs of its project that are not "
                 "lower in priority or not preemptible.");
        return "Priority";
    }
    return "Resources";
}

const char *al__reason_short(const struct allotd *d, const struct al__dworkload *w,
                             const struct al_explanation *x, char *cause, size_t size) {
    cause[0] = '\0';
    switch (x->reason) {
    case AL_REASON_OVER_LIMIT:
        return "QuotaLimit";
    case AL_REASON_NON_PREEMPTIBLE_OVER_QUOTA:
        return "OverQuota";
    case AL_REASON_GANG_INCOMPLETE:
        return "Gang";
    case AL_REASON_NO_NODE_FITS:
        return no_room(d, w, x, cause, size);
    case AL_REASON_NOT_REACHED:
        return "Queued";
    default:
        return "Waiting";
    }
}
