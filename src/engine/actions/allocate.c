/* allocate.c - the allocate action: gangs all-or-nothing, elastic growth, pipelining (see
 * actions.h). */
#include "engine/actions/actions.h"

#include "engine/job_steps.h"
#include "engine/quota.h"
#include "engine/reservation.h"

/* Job j fails as `failed`, a job of its class, did: the same explanation, naming its own task. */
static void settle(struct al__session *s, void *ctx, int32_t failed, int32_t how, int32_t j) {
    struct al_explanation why = s->why[failed];
    (void)ctx;
    (void)how;
    if (why.task >= 0) {
        const struct al_job *job = &s->cluster->jobs[failed];
        for (size_t i = 0; i < job->task_count; i++)
            if (s->jobs[failed].order[i] == why.task) {
                why.task = s->jobs[j].order[i];
                break;
            }
    }
    al__job_record_why(s, j, &why);
}

/* One step of job j; *again when it should go back in line. A step that fails fails for every
 * job of its class (allocate only takes capacity and quota). */
static int job_step(struct al__session *s, struct al__job_queue *jq, int32_t j, bool *again) {
    bool complete, placed_all;
    *again = false;
    int32_t n = al__job_next_tasks(s, j, NULL, jq->tasks, jq->sub_need, &complete);
    if (n == 0)
        return 0;
    struct al_explanation why = {.job = j};
    if (!complete) { /* too few tasks left to ever reach the gang minimum */
        why.reason = AL_REASON_GANG_INCOMPLETE;
        why.placeable = s->jobs[j].active + n;
        why.needed = s->jobs[j].active + n + 1;
        why.task = -1;
        al__job_record_why(s, j, &why);
        al__job_queue_fail(s, jq, j, 0);
        return 0;
    }
    int64_t req[AL_RESOURCE_COUNT];
    al__tasks_request(s, jq->tasks, n, req);
    if (!al__quota_admits(s, j, req, &why)) {
        why.task = -1;
        al__job_record_why(s, j, &why);
        al__job_queue_fail(s, jq, j, 0);
        return 0;
    }
    int rc = al__place_tasks(s, j, jq->tasks, n, NULL, &placed_all, &why);
    if (rc < 0)
        return rc;
    if (!placed_all) {
        al__job_record_why(s, j, &why);
        al__job_queue_fail(s, jq, j, 0);
        /* A large gang that does not fit holds the nodes that free first (reservation.h). */
        if (!al__reservation_candidate(s, j) || al__reservation_held(s, j))
            return 0;
        return al__reservation_make(s, j, jq->tasks, n, false);
    }
    s->jobs[j].has_why = false;
    *again = s->jobs[j].pending > 0;
    return 0;
}

int al__action_allocate(struct al__session *s) {
    struct al__job_queue jq;
    int rc = al__reservations_prepare(s); /* large gangs that wait reserve first */
    if (rc == 0)
        rc = al__job_queue_init(s, &jq);
    if (rc < 0)
        return rc;
    jq.settle = settle;
    for (int32_t j; (j = al__job_queue_pop(s, &jq)) >= 0;) {
        bool again;
        rc = job_step(s, &jq, j, &again);
        if (rc < 0)
            return rc;
        if (again)
            al__job_queue_push(s, &jq, j);
    }
    return 0;
}
