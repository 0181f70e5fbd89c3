/* solver.h - the victim search shared by reclaim, preempt and consolidation. */
#ifndef ALLOT_ENGINE_SOLVER_H
#define ALLOT_ENGINE_SOLVER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"
#include "engine/victims.h"

/* A scenario that solved the job's next step: what the validator judges. */
struct al__scenario {
    int32_t preemptor;
    const int32_t *pending; /* the preemptor's tasks placed by the scenario */
    int32_t pending_count;
    const int32_t *victims; /* every task evicted (those placed again included) */
    int32_t victim_count;
    const int64_t (*base)[AL_RESOURCE_COUNT];    /* queue allocation before the search */
    const int64_t (*base_np)[AL_RESOURCE_COUNT]; /* ... of non-preemptible jobs */
    /* Scratch for validators: room for every task, and per-job marks (zero, left zero). */
    int32_t *task_scratch;
    unsigned char *job_marks;
};

struct al__search {
    enum al_action action;
    enum al_reason reason; /* why its victims are evicted */
    int32_t preemptor;     /* set by al__solve */
    /* Which running jobs may be victims: preemptible ones of this scope, min-runtime
     * protection of `action` applied (reclaim, preempt). */
    enum al__victim_scope scope;
    /* Whether a solved scenario is acceptable; NULL accepts all. */
    bool (*validate)(const struct al__session *s, const struct al__search *search,
                     const struct al__scenario *sc);
    void *ctx;
    void *ctx_solver; /* the solver's scratch, allocated by the first al__solve */
    /* Counters across the action. */
    int64_t scenarios;     /* simulated so far */
    int64_t started_ns;    /* when the action began (config.clock_ns), for the time budget */
    bool cut;              /* the current job's search ended at a bound of the budget */
    int64_t longest_ns;    /* slowest single job search */
    int32_t protected_now; /* jobs min runtime shielded from the current job's search */
};

/*
 * al__solve - searches victims for pending job j's next step (its gang minimum, or one more
 * elastic task): adds the step's tasks one at a time, each time trying scenarios that
 * evict the victims already chosen plus candidates popped from the victim queue (per
 * node of the newest candidate), re-running allocation for the evicted jobs and the
 * job's tasks with everything pipelined. On success the evictions and placements stay
 * in the session (uncommitted, after the current log position) and *solved is true;
 * otherwise the session is as it was, and search->cut tells whether a bound of
 * config.victim_budget ended the search. Errors: -AL_ENOMEM (session restored).
 */
int al__solve(struct al__session *s, struct al__search *search, int32_t j, bool *solved);

/* al__search_spent - the action's budget (scenarios or time) is used up. */
bool al__search_spent(const struct al__session *s, const struct al__search *search);

/* al__search_now_ns - config.clock_ns(), or 0 without a clock. */
int64_t al__search_now_ns(const struct al_cluster *c);

#endif
