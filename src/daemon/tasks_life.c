/* tasks_life.c - what happens to running tasks between cycles: exits noticed and recorded,
 * stops made immediate after the grace period, deleted workloads removed once stopped (and a
 * project deleted with them once they all are), re-adoption at startup. */
#include <stdio.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/consumption.h"
#include "daemon/persist.h"
#include "daemon/tasks.h"
#include "daemon/time_limits.h"

static bool is_active(const struct al__dtask *t) {
    return t->state == AL__T_RUNNING || t->state == AL__T_STOPPING;
}

void al__workload_settle(struct allotd *d, struct al__dworkload *w, enum al__wstate before) {
    al__workload_refresh_state(&d->state, w);
    if (w->state != before && (w->state == AL__W_SUCCEEDED || w->state == AL__W_FAILED)) {
        w->finished_s = al__daemon_now();
        if (w->over_time) { /* failed, whatever its tasks' exit codes: it ran too long */
            char why[128];
            al__time_limit_reason(w, why, sizeof(why));
            al__workload_reason(d, w, "time_limit/TimeLimit", why);
            al__persist_event(d, w, "failed", "workload failed (exit code %d): %s", w->exit_code,
                              why);
        } else {
            al__persist_event(d, w, w->state == AL__W_SUCCEEDED ? "finished" : "failed",
                              "workload %s (exit code %d)", al__wstate_name(w->state),
                              w->exit_code);
        }
    }
    al__persist_workload_update(d, w);
}

/* Whether a task of w other than t is still stopping to be requeued. */
static bool others_requeueing(const struct al__dworkload *w, const struct al__dtask *t) {
    for (int32_t i = 0; i < w->spec.workers; i++)
        if (&w->tasks[i] != t && w->tasks[i].state == AL__T_STOPPING && w->tasks[i].evicting)
            return true;
    return false;
}

/*
 * Records a task's end, and the workload's when it was the last one. A task that was evicted
 * is pending again, however it ended: its exit is not a failure.
 */
static void task_ended(struct allotd *d, struct al__dworkload *w, struct al__dtask *t,
                       enum al__task_status how, int code) {
    enum al__wstate before = w->state;

    d->state.task_changes++;
    if (w->over_time) { /* stopped for its workload's time limit: failed, whatever its code */
        t->state = AL__T_FAILED;
        t->exit_code = how == AL__TASK_LOST ? -1 : code;
        t->finished_s = al__daemon_now();
        t->evicting = false;
        al__persist_event(d, w, how == AL__TASK_LOST ? "lost" : "failed",
                          "task %d stopped: its workload ran over its time limit (exit code %d)",
                          (int)t->index, t->exit_code);
    } else if (t->evicting && w->state != AL__W_DELETING) {
        const char *why = t->stopped_why ? t->stopped_why : "evicted";
        if (how == AL__TASK_LOST)
            al__persist_event(d, w, "requeued", "task %d %s, left no exit status; pending again",
                              (int)t->index, why);
        else
            al__persist_event(d, w, "requeued", "task %d %s, exited with code %d; pending again",
                              (int)t->index, why, code);
        al__task_requeue(&d->state, t);
        w->pending_since_s = al__daemon_now(); /* reservations wait again (the last one's) */
        if (!others_requeueing(w, t))          /* the tasks stopped together count once */
            w->restarts++;
    } else {
        t->state = code == 0 ? AL__T_SUCCEEDED : AL__T_FAILED;
        t->exit_code = code;
        t->finished_s = al__daemon_now();
        if (how == AL__TASK_LOST)
            al__persist_event(d, w, "lost", "task %d is gone and left no exit status",
                              (int)t->index);
        else
            al__persist_event(d, w, code == 0 ? "finished" : "failed",
                              "task %d exited with code %d", (int)t->index, code);
    }
    al__persist_task_update(d, w, t);
    al__workload_settle(d, w, before);
}

/* Polls one active task; true when it ended. */
static bool poll_task(struct allotd *d, struct al__dworkload *w, struct al__dtask *t, int64_t now) {
    int code = -1;
    enum al__task_status st = d->backend.type->poll(&d->backend, al__task_key(w, t), t->ref, &code);

    if (st != AL__TASK_RUNNING) {
        task_ended(d, w, t, st, code);
        return true;
    }
    if (t->state == AL__T_STOPPING && !t->killed && now - t->stop_sent_s >= d->grace_s) {
        d->backend.type->stop(&d->backend, t->ref, AL__STOP_NOW);
        t->killed = true;
    }
    return false;
}

static void finish_delete(struct allotd *d, struct al__dworkload *w) {
    if (al__persist_workload_delete(d, w) < 0)
        return;
    al__task_forget(d, w);
    al__state_remove_workload(&d->state, w);
}

/* Projects being deleted with force whose workloads are all gone go too (their retired ones
 * went when the delete began). True if one went. */
static bool finish_project_deletes(struct allotd *d) {
    struct al__state *st = &d->state;
    bool removed = false;
    for (size_t i = st->queue_count; i-- > 0;) {
        bool left = false;
        for (size_t k = 0; st->queues[i].deleting && k < st->workload_count && !left; k++)
            left = strcmp(st->workloads[k]->project, st->queues[i].name) == 0;
        if (!st->queues[i].deleting || left)
            continue;
        char name[AL__NAME_MAX];
        snprintf(name, sizeof(name), "%s", st->queues[i].name);
        if (al__persist_queue_delete(d, name) == 0) {
            al__state_remove_queue(st, name);
            removed = true;
        }
    }
    return removed;
}

bool al__tasks_poll(struct allotd *d) {
    int64_t now = al__daemon_now();
    bool changed = false;
    /* Running tasks need a poll only when the backend says some may have ended; stopping ones
     * always (their grace period runs out). */
    bool all = !d->backend.type->refresh || d->backend.type->refresh(&d->backend);

    /* Backwards: finishing a delete moves the set's last workload (seen already) into i. */
    struct al__wset_items *set = &d->state.sets[all ? AL__HOLDING : AL__WATCHED];
    for (size_t i = set->count; i-- > 0;) {
        struct al__dworkload *w = set->items[i];
        bool active = false;
        for (int32_t k = 0; k < w->spec.workers; k++) {
            struct al__dtask *t = &w->tasks[k];
            if (is_active(t) && (all || t->state == AL__T_STOPPING) && poll_task(d, w, t, now))
                changed = true;
            active |= is_active(t);
        }
        if (w->state == AL__W_DELETING && !active) {
            finish_delete(d, w);
            changed = true;
        }
    }
    al__state_prune(&d->state, AL__HOLDING);
    al__state_prune(&d->state, AL__WATCHED);
    return finish_project_deletes(d) || changed;
}

/* A task placed before a crash whose start was not recorded: found by the backend if it was
 * started, else pending again (it never ran; the next cycle places it anew). True if running. */
static bool readopt_unrecorded(struct allotd *d, struct al__dworkload *w, struct al__dtask *t) {
    struct al__task_key key = al__task_key(w, t);
    int code = -1;

    if (d->backend.type->find(&d->backend, key, t->ref) == 0) {
        al__task_started(t);
        al__persist_task_update(d, w, t);
        return true;
    }
    t->ref[0] = '\0';
    enum al__task_status st = d->backend.type->poll(&d->backend, key, "", &code);
    if (st == AL__TASK_EXITED) { /* it ran and ended */
        task_ended(d, w, t, st, code);
        return false;
    }
    al__task_requeue(&d->state, t);
    al__persist_task_update(d, w, t);
    al__persist_event(d, w, "requeued",
                      "task %d was placed but allotd stopped before starting it; pending again",
                      (int)t->index);
    al__workload_refresh_state(&d->state, w);
    al__persist_workload_update(d, w);
    return false;
}

void al__tasks_readopt(struct allotd *d) {
    for (size_t i = 0; i < d->state.workload_count; i++) {
        struct al__dworkload *w = d->state.workloads[i];
        for (int32_t k = 0; k < w->spec.workers; k++) {
            struct al__dtask *t = &w->tasks[k];
            char what[128];
            int code = -1;
            if (!is_active(t))
                continue;
            if (!t->ref[0] && !readopt_unrecorded(d, w, t))
                continue;
            enum al__task_status st =
                d->backend.type->poll(&d->backend, al__task_key(w, t), t->ref, &code);
            if (st == AL__TASK_RUNNING) {
                if (t->state == AL__T_STOPPING)
                    t->stop_sent_s = al__daemon_now(); /* a fresh grace period */
                d->backend.type->describe(&d->backend, t->ref, what, sizeof(what));
                al__persist_event(d, w, "readopted", "task %d still running as %s after a restart",
                                  (int)t->index, what);
                al__consumption_track(d, w, t); /* its run goes on (opened if a store before
                                                   consumption rows had none) */
            } else {
                task_ended(d, w, t, st, code);
            }
        }
    }
}
