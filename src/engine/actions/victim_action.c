/* victim_action.c - the loop shared by the victim actions (see victim_action.h). */
#include "engine/actions/victim_action.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/job_steps.h"
#include "engine/node_index.h"
#include "engine/placement.h"

/* A job that failed: its queue, priority and next-step request. */
struct failure {
    int32_t queue, priority, tasks;
    int64_t req[AL_RESOURCE_COUNT];
};

/* Job j asks at least as much as a failed job of its queue with the same priority and
 * step size, and neither has node affinity: it would fail the same way. */
static bool no_easier(const struct al__session *s, const struct failure *failed, size_t count,
                      int32_t j, int32_t n, const int64_t req[], bool affinity) {
    const struct al_job *job = &s->cluster->jobs[j];
    for (size_t i = 0; i < count && !affinity; i++) {
        const struct failure *f = &failed[i];
        if (f->queue != job->queue || f->priority != job->priority || f->tasks != n)
            continue;
        bool more = true;
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            more &= req[r] >= f->req[r];
        if (more)
            return true;
    }
    return false;
}

static bool step_has_affinity(const struct al__session *s, const int32_t *tasks, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        if (s->cluster->tasks[tasks[i]].affinity_count > 0)
            return true;
    return false;
}

static void note_failure(struct al__session *s, const struct al__search *search, int32_t j) {
    s->why[j].victim_search |= 1u << search->action;
    s->why[j].victims_protected += search->protected_now;
    if (search->cut)
        s->why[j].victim_search_cut |= 1u << search->action;
}

/* How a job of a class failed: skipped (no search), or searched in vain. */
enum { SKIPPED, SEARCHED };

/* Job j fails as a job of its class did: what the loop below does for a job that no_easier
 * rules out, or for a skipped one, nothing. */
static void settle(struct al__session *s, void *ctx, int32_t failed, int32_t how, int32_t j) {
    const struct al__search *search = ctx;
    (void)failed;
    if (how == SEARCHED)
        s->why[j].victim_search |= 1u << search->action;
}

int al__victim_action_run(struct al__session *s, struct al__search *search,
                          bool (*eligible)(const struct al__session *s, int32_t j,
                                           const int64_t req[], const struct al__search *search)) {
    const struct al_cluster *c = s->cluster;
    struct al__job_queue jq;
    int rc = al__job_queue_init(s, &jq);
    struct failure *failed = al__arena_array(&s->arena, c->job_count + 1, sizeof(*failed));
    if (rc < 0 || !failed)
        return -AL_ENOMEM;
    jq.settle = settle;
    jq.settle_ctx = search;
    size_t failed_count = 0;
    search->started_ns = al__search_now_ns(c);
    for (int32_t j; (j = al__job_queue_pop(s, &jq)) >= 0;) {
        const struct al_job *job = &c->jobs[j];
        if (job->preemption_never ||
            (job->has_preemption_delay && c->now_s < job->created_s + job->preemption_delay_s))
            continue;
        bool complete, fits = true;
        int32_t n = al__job_next_tasks(s, j, NULL, jq.tasks, jq.sub_need, &complete);
        int64_t req[AL_RESOURCE_COUNT];
        al__tasks_request(s, jq.tasks, n, req);
        if (n == 0 || !complete || !eligible(s, j, req, search)) {
            al__job_queue_fail(s, &jq, j, SKIPPED);
            continue;
        }
        for (int32_t i = 0; i < n && fits; i++)
            fits = al__node_index_fits_empty(s, &c->tasks[jq.tasks[i]]);
        if (!fits) {
            al__job_queue_fail(s, &jq, j, SKIPPED);
            continue;
        }
        if (al__search_spent(s, search)) { /* the budget is spent: no search, and it says so */
            s->why[j].victim_search_cut |= 1u << search->action;
            continue;
        }
        search->protected_now = 0;
        search->cut = false;
        if (no_easier(s, failed, failed_count, j, n, req, step_has_affinity(s, jq.tasks, n))) {
            note_failure(s, search, j);
            al__job_queue_fail(s, &jq, j, SEARCHED);
            continue;
        }
        bool solved;
        if ((rc = al__solve(s, search, j, &solved)) < 0)
            return rc;
        if (solved)
            continue; /* the solution stays in the session's log */
        note_failure(s, search, j);
        if (!search->cut) /* a search cut short proves nothing for the others */
            al__job_queue_fail(s, &jq, j, SEARCHED);
        failed[failed_count++] =
            (struct failure){.queue = job->queue, .priority = job->priority, .tasks = n};
        memcpy(failed[failed_count - 1].req, req, sizeof(req));
    }
    return 0;
}

void al__note_search(struct al__session *s, const struct al__search *search) {
    s->victim_scenarios += search->scenarios;
    if (search->longest_ns > s->longest_search_ns)
        s->longest_search_ns = search->longest_ns;
}
