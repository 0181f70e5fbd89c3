/* loop.c - allotd's scheduling loop: a cycle every second and right after a change. A cycle
 * notices ended tasks, runs the engine on the current snapshot, starts what it placed and
 * records why the rest waits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allot/cycle.h"
#include "allot/errors.h"
#include "allot/snapshot.h"
#include "daemon/api.h"
#include "daemon/consumption.h"
#include "daemon/cycle_model.h"
#include "daemon/failpoint.h"
#include "daemon/loop.h"
#include "daemon/mirror.h"
#include "daemon/persist.h"
#include "daemon/reason_short.h"
#include "daemon/reservations.h"
#include "daemon/tasks.h"
#include "daemon/time_limits.h"
#include "daemon/usage.h"
#include "snapshot/report.h"
#include "util/xalloc.h"

static double seconds(const struct timespec *t) {
    return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return seconds(&t) * 1000.0;
}

static void set_reason(struct allotd *d, struct al__dworkload *w, const char *code,
                       const char *text) {
    if (al__workload_reason_is(w, code, text))
        return;
    al__workload_reason(d, w, code, text);
    if (text)
        al__persist_event(d, w, "pending", "%s", text);
    al__persist_workload_update(d, w);
}

/* An explanation in terms that last from cycle to cycle: its task as the index among its
 * workload's tasks, its queue as the queue's id (model indices change between cycles). */
static struct al_explanation stable_why(const int64_t *queue_ids, const struct al__cycle_model *m,
                                        const struct al_explanation *x) {
    struct al_explanation why;
    memset(&why, 0, sizeof(why));
    why.reason = x->reason;
    why.queue = x->queue >= 0 ? (int32_t)queue_ids[x->queue] : -1;
    why.resource = x->resource;
    why.allocated = x->allocated;
    why.requested = x->requested;
    why.limit = x->limit;
    why.placeable = x->placeable;
    why.needed = x->needed;
    why.task = x->task >= 0 ? m->task_index[x->task] : -1;
    memcpy(why.requested_task, x->requested_task, sizeof(why.requested_task));
    memcpy(why.best_free, x->best_free, sizeof(why.best_free));
    why.nodes_matching = x->nodes_matching;
    why.nodes_reserved = x->nodes_reserved; /* not reserved_from_s: the text does not show it */
    why.victim_search = x->victim_search;
    why.victims_protected = x->victims_protected;
    why.victim_search_cut = x->victim_search_cut;
    why.topology_level = x->topology_level;
    why.topology_subgroup = x->topology_subgroup;
    why.mig_short = x->mig_short;
    why.mig_free = x->mig_free;
    why.mig_releasing = x->mig_releasing;
    return why;
}

/* Whether some of w's tasks wait to be placed (an elastic job partly running). */
static bool has_pending_task(const struct al__dworkload *w) {
    for (int32_t i = 0; i < w->spec.workers; i++)
        if (w->tasks[i].state == AL__T_PENDING)
            return true;
    return false;
}

static bool same_why(const struct al_explanation *a, const struct al_explanation *b) {
    return memcmp(a, b, sizeof(*a)) == 0; /* both made by stable_why: padding is zero */
}

/*
 * The cycle's outcome on the workloads: queues' shares, and each pending workload's reason -
 * not read again where its explanation is the one recorded last cycle on it (the kept model
 * knows, m->last_why): at 80,000 pending, reading each one cost more than the engine's pass.
 */
void al__pool_shares_free(struct allotd *d) {
    for (size_t p = 0; p < d->pool_share_count; p++)
        free(d->pool_shares[p].gpu_milli);
    free(d->pool_shares);
    d->pool_shares = NULL;
    d->pool_share_count = 0;
}

/* Each pool's GPU fair share per queue, from a cycle that scheduled by pool. */
static void record_pool_shares(struct allotd *d, const struct al_cluster *c,
                               const struct al_result *r) {
    al__pool_shares_free(d);
    if (r->pool_count == 0)
        return;
    d->pool_shares = al__xcalloc(r->pool_count, sizeof(*d->pool_shares));
    for (size_t p = 0; p < r->pool_count; p++) {
        struct al__pool_share *ps = &d->pool_shares[d->pool_share_count++];
        snprintf(ps->pool, sizeof(ps->pool), "%s", r->pools[p].name ? r->pools[p].name : "");
        ps->queue_count = d->state.queue_count;
        ps->gpu_milli = al__xcalloc(ps->queue_count + 1, sizeof(int64_t));
        for (size_t q = 0; q < c->queue_count; q++) {
            struct al__dqueue *dq = al__state_queue(&d->state, c->queues[q].name);
            if (dq)
                ps->gpu_milli[dq - d->state.queues] = r->pools[p].queues[q].fair_share[AL_GPU];
        }
    }
}

static void record_outcome(struct allotd *d, const struct al__cycle_model *m,
                           const struct al_result *r) {
    const struct al_cluster *c = &m->cluster;
    struct al__dworkload *const *owners = m->job_owner;
    int64_t *queue_ids = al__xcalloc(c->queue_count + 1, sizeof(*queue_ids));
    char text[700];

    for (size_t q = 0; q < c->queue_count; q++) {
        struct al__dqueue *dq = al__state_queue(&d->state, c->queues[q].name);
        queue_ids[q] = dq ? dq->id : -1;
        if (!dq)
            continue;
        memcpy(dq->fair_share, r->queues[q].fair_share, sizeof(dq->fair_share));
        memcpy(dq->fair_share_without_usage, r->queues[q].fair_share_without_usage,
               sizeof(dq->fair_share_without_usage));
        memcpy(dq->allocated, r->queues[q].allocated, sizeof(dq->allocated));
        memcpy(dq->requested, r->queues[q].requested, sizeof(dq->requested));
    }
    record_pool_shares(d, c, r);
    /* A workload leaves `pending` by having a task placed (a task change): it holds it then. */
    struct al__wset_items *holding = &d->state.sets[AL__HOLDING];
    for (size_t i = 0; d->cleared_at_changes != d->state.task_changes && i < holding->count; i++) {
        struct al__dworkload *w = holding->items[i];
        /* Reasons of its own stay: suspended, over its time limit. */
        if ((w->state == AL__W_RUNNING || w->state == AL__W_DELETING) && !w->over_time &&
            w->reason && !has_pending_task(w))
            set_reason(d, w, NULL, NULL);
    }
    d->cleared_at_changes = d->state.task_changes;
    for (size_t e = 0; e < r->explanation_count; e++) {
        const struct al_explanation *x = &r->explanations[e];
        struct al_explanation why = stable_why(queue_ids, m, x);
        bool *known = m->last_why ? &m->last_why_known[x->job] : NULL;
        if (known && *known && same_why(&why, &m->last_why[x->job]))
            continue; /* recorded on its workload, which has not changed since */
        struct al__dworkload *w = owners[x->job];
        if (w->state != AL__W_PENDING && !(w->state == AL__W_RUNNING && has_pending_task(w)))
            continue;
        if (!w->why_known || !same_why(&why, &w->why)) { /* not the same text as last time */
            char cause[256], engine[384], code[64];
            const char *brief = al__reason_short(d, w, x, cause, sizeof(cause));
            al_explanation_text(c, x, engine, sizeof(engine));
            snprintf(text, sizeof(text), "%s%s%s%s", cause, cause[0] ? " (" : "", engine,
                     cause[0] ? ")" : "");
            snprintf(code, sizeof(code), "%s/%s", al_reason_name(x->reason), brief);
            set_reason(d, w, code, text);
            memcpy(&w->why, &why, sizeof(why));
            w->why_known = true;
        }
        if (known) {
            m->last_why[x->job] = why;
            *known = true;
        }
    }
    free(queue_ids);
    for (size_t i = 0; i < m->left_out_count; i++) /* not scheduled: why, on the workload */
        set_reason(d, m->left_out[i], "invalid/Invalid", m->left_out_why[i]);
}

/*
 * The cycle placed tasks: its transaction is committed first, so that every process allotd
 * starts has a durable placement (a crash can then neither lose a running task nor start it
 * twice), then the tasks start and a new transaction records their processes. False when the
 * commit failed: the placements are undone and nothing starts.
 */
static bool placements_commit(struct allotd *d) {
    const char *failed = al__store_write_failed(d->store);
    if (failed || al__store_commit(d->store) < 0) {
        snprintf(d->cycle_error, sizeof(d->cycle_error), "store: placements not recorded: %s",
                 failed ? failed : al__store_error(d->store));
        fprintf(stderr, "allotd: %s; their tasks stay pending\n", d->cycle_error);
        al__store_rollback(d->store);
        al__tasks_unplace(d);
        d->resync = true; /* the rest of what the cycle did is in memory only */
        return false;
    }
    al__tasks_start_placed(d); /* lets both locks go while it starts them; begins the next */
    return true;
}

/*
 * Ends a step of the cycle that holds both locks and a transaction: placed tasks start (after
 * their commit), the state lock goes, the record is committed, the store lock goes. A record
 * that failed is not committed half: the next cycle rewrites the state from memory first
 * (resync), and /healthz says so meanwhile. False when the step's record did not land.
 */
static bool step_finish(struct allotd *d) {
    bool placed = d->placed_count == 0 || placements_commit(d);
    if (!placed) {
        pthread_mutex_unlock(&d->lock);
        pthread_mutex_unlock(&d->store_lock);
        return false;
    }
    pthread_mutex_unlock(&d->lock);
    /* What the step did is in memory already; its record becomes durable without holding up
     * readers. */
    const char *failed = al__store_write_failed(d->store);
    bool recorded = !failed && al__store_commit(d->store) == 0;
    if (!recorded) {
        char why[300];
        snprintf(why, sizeof(why), "%s", failed ? failed : al__store_error(d->store));
        al__store_rollback(d->store);
        fprintf(stderr, "allotd: cycle not recorded: store: %s; rewriting the state next cycle\n",
                why);
        pthread_mutex_lock(&d->lock);
        snprintf(d->cycle_error, sizeof(d->cycle_error), "store: cycle not recorded: %s", why);
        d->resync = true;
        pthread_mutex_unlock(&d->lock);
    }
    pthread_mutex_unlock(&d->store_lock);
    return recorded;
}

/* Takes both locks and opens the step's transaction; false (no lock held) when it cannot. */
static bool step_begin(struct allotd *d) {
    pthread_mutex_lock(&d->store_lock);
    pthread_mutex_lock(&d->lock);
    if (al__store_begin(d->store) == 0)
        return true;
    fprintf(stderr, "allotd: cycle skipped: store: %s\n", al__store_error(d->store));
    pthread_mutex_unlock(&d->lock);
    pthread_mutex_unlock(&d->store_lock);
    return false;
}

/* ALLOTD_CHECK_MODEL (tests): the kept model must say what a model built whole says. */
static void check_model(struct allotd *d, const struct al__cycle_model *kept) {
    struct al__cycle_model whole;
    char why[512];
    al__model_build(d, &whole);
    if (!al__model_same(kept, &whole, why, sizeof(why))) {
        fprintf(stderr, "allotd: the kept model differs from the state: %s\n", why);
        abort();
    }
    al__model_release(&whole);
}

/*
 * A cycle in three steps, so that the engine runs without the store lock (submits keep being
 * made durable meanwhile):
 * 1. both locks, one transaction: rewrite the state if a record failed before, notice ended
 *    tasks, start pipelined tasks whose place is free, track stale gangs;
 * 2. the state lock only: build the model and run the engine;
 * 3. both locks, one transaction: carry the decisions out and record why the rest waits -
 *    unless a workload or queue was removed meanwhile (the decisions could name it): then the
 *    result is dropped and another cycle runs at once. Workloads submitted meanwhile are simply
 *    not in this cycle.
 */
void al__loop_cycle(struct allotd *d) {
    double ms[AL__CYCLE_PARTS], began = now_ms(), built;
    if (!step_begin(d))
        return;
    if (d->resync && al__persist_resync(d) < 0) {
        snprintf(d->cycle_error, sizeof(d->cycle_error), "store: cannot rewrite the state: %s",
                 al__store_error(d->store));
        fprintf(stderr, "allotd: cycle skipped: %s\n", d->cycle_error);
        al__store_rollback(d->store);
        pthread_mutex_unlock(&d->lock);
        pthread_mutex_unlock(&d->store_lock);
        return;
    }
    bool resynced = d->resync;
    if (d->backend.type->sync) /* the cluster's changes first: what the rest reads */
        al__mirror_sync(d);
    al__tasks_poll(d);
    al__time_limits_enforce(d);
    if (al__daemon_now() >= d->retire_next_s) { /* the store keeps them */
        int64_t every = d->retention_s / 10 < 30 ? d->retention_s / 10 : 30;
        al__state_retire(&d->state, al__daemon_now() - d->retention_s);
        d->retire_next_s = al__daemon_now() + every;
    }
    if (al__daemon_now() >= d->consumption_prune_next_s) { /* rows past their retention */
        int64_t r = d->consumption_retention_s, every = r / 10 < 3600 ? r / 10 : 3600;
        al__consumption_prune(d, al__daemon_now() - r);
        d->consumption_prune_next_s = al__daemon_now() + every;
    }
    al__consumption_sample_idle(d, al__daemon_now());
    if (d->started_at_changes != d->state.task_changes) {
        al__tasks_start_pipelined(d);
        struct al__wset_items *holding = &d->state.sets[AL__HOLDING];
        for (size_t i = 0; i < holding->count; i++) /* the others hold nothing: not stale */
            al__workload_track_stale(&d->state, holding->items[i], al__daemon_now());
        d->started_at_changes = d->state.task_changes;
    }
    if (!step_finish(d))
        return;
    ms[AL__CYCLE_POLL] = now_ms() - began;
    if (resynced) {
        pthread_mutex_lock(&d->lock);
        d->resync = false;
        pthread_mutex_unlock(&d->lock);
    }

    struct al__cycle_model m;
    struct al_result result = {0};
    pthread_mutex_lock(&d->lock);
    uint64_t removals = d->state.removals;
    built = now_ms();
    al__kept_build(d, d->kept_model, &m);
    if (d->check_model)
        check_model(d, &m);
    /* The engine reads the model only: requests go on meanwhile. What they change is seen by
     * the decisions (a workload deleting is not started; removals drop the decisions). */
    pthread_mutex_unlock(&d->lock);
    ms[AL__CYCLE_MODEL] = now_ms() - built;
    int rc = al_cycle_run_in(&d->engine_ws, &m.cluster, &result);
    ms[AL__CYCLE_ENGINE] = now_ms() - built - ms[AL__CYCLE_MODEL];
    al__failpoint_pause("between-steps"); /* tests: a delete lands here */

    double recording = now_ms();
    bool ran = false;
    if (step_begin(d)) {
        if (rc < 0) {
            snprintf(d->cycle_error, sizeof(d->cycle_error), "engine: %s", al_strerror(rc));
            fprintf(stderr, "allotd: cycle skipped: %s\n", d->cycle_error);
        } else if (d->state.removals != removals) {
            al__daemon_poke(d); /* the state lost what the decisions may name: again */
        } else {
            d->cycle_error[0] = '\0';
            if (!d->backend.type->acting || d->backend.type->acting(&d->backend))
                al__decisions_apply(d, &m, &result);  /* else another replica acts */
            al__usage_sample(d, &m.cluster, &result); /* what queues held since the last */
            record_outcome(d, &m, &result);
            al__reservations_record(d, &m, &result);
            d->cycles++;
            ran = true;
        }
        step_finish(d);
        if (ran) {
            double end = now_ms(); /* tasks it placed are started now too */
            ms[AL__CYCLE_RECORD] = end - recording;
            ms[AL__CYCLE_TOTAL] = end - began;
            pthread_mutex_lock(&d->lock);
            al__cycle_stats_add(&d->cycle_stats, ms);
            pthread_mutex_unlock(&d->lock);
            al__metrics_cycle(&d->metrics, ms);
            al__metrics_actions(&d->metrics, result.action_ns);
        }
    }
    al_result_release(&result);
    al__model_release(&m);
}

static struct timespec at(double s) {
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    return t;
}

/*
 * Cycles run every second and after changes, but a change-triggered cycle waits after the
 * previous one for as long as that one took (at most a second: starting tasks holds no lock):
 * under a stream of requests the cycle takes at most half of the time, and requests the other
 * half. An idle allotd reacts at once.
 */
void al__loop_run(struct allotd *d) {
    double last_end = 0, last_took = 0;

    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        struct timespec now, deadline;
        clock_gettime(CLOCK_MONOTONIC, &now);
        deadline = at(seconds(&now) + 1.0);
        while (!d->changed && !d->stopping) {
            if (pthread_cond_timedwait(&d->wake, &d->lock, &deadline) == ETIMEDOUT)
                break;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (d->changed && seconds(&now) < last_end + last_took) {
            deadline = at(last_end + last_took);
            while (!d->stopping &&
                   pthread_cond_timedwait(&d->wake, &d->lock, &deadline) != ETIMEDOUT)
                ;
        }
        if (d->stopping)
            break;
        d->changed = false;
        pthread_mutex_unlock(&d->lock);
        clock_gettime(CLOCK_MONOTONIC, &now);
        al__loop_cycle(d);
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        last_end = seconds(&deadline);
        last_took = last_end - seconds(&now);
        if (last_took > 1.0) /* a cycle that started many tasks: it held no lock meanwhile */
            last_took = 1.0;
        pthread_mutex_lock(&d->lock);
    }
    pthread_mutex_unlock(&d->lock);
}
