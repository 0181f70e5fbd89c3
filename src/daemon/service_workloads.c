/* service_workloads.c - the domain operations on workloads that requests make besides
 * submitting (submit.c): deleting a live one (its tasks stopped first) or one retired to the
 * store, suspending and resuming one. Each writes its change durably (its own transaction),
 * then applies it in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/events_publish.h"
#include "daemon/mirror.h"
#include "daemon/persist.h"
#include "daemon/service.h"
#include "daemon/tasks.h"
#include "util/xalloc.h"

int al__workload_mark_deleting(struct allotd *d, struct al__dworkload *w) {
    int rc = 0;
    enum al__wstate before = w->state;
    w->state = AL__W_DELETING;
    al__state_add_to(&d->state, AL__WATCHED, w);
    al__workload_set_reason(w, NULL, NULL);
    al__publish_workload(&d->state, w, "workload.state", al__wstate_name(before));
    for (int32_t k = 0; k < w->spec.workers; k++) {
        struct al__dtask *t = &w->tasks[k];
        if (t->state == AL__T_PIPELINED) { /* its place is given up */
            al__task_requeue(&d->state, t);
            if (al__persist_task_update(d, w, t) < 0)
                rc = -AL_EIO;
        }
        al__task_stop(d, w, t);
    }
    if (al__persist_workload_update(d, w) < 0 ||
        al__persist_event(d, w, "deleting",
                          "stopping its tasks (at once after a grace period of %llds)",
                          (long long)d->grace_s) < 0)
        rc = -AL_EIO;
    return rc;
}

/* In the transaction: the audit row of a change to w, `before` as it was (taken, whatever
 * happens), w as it is now (or none when `gone`). */
static int audit_workload(struct allotd *d, const char *verb, const char *outcome,
                          const struct al__dworkload *w, json_t *before, bool gone) {
    return al__audit_change(d, verb, "workload", w->project, w->name, outcome, before,
                            gone ? NULL : al__workload_audit_json(w));
}

int al__workload_delete(struct allotd *d, struct al__dworkload *w, struct al__failure *f) {
    bool active = al__workload_is_active(w);

    int mirrored = al__mirror_workload_delete(d, w, f);
    if (mirrored != 0)
        return mirrored < 0 ? -1 : 0; /* the cluster removes it; the mirror follows */
    if (al__store_begin(d->store) < 0)
        goto store_failed;
    if (!active) {
        if (al__persist_workload_delete(d, w) < 0 ||
            audit_workload(d, "delete", "ok", w, al__workload_audit_json(w), true) < 0 ||
            al__store_commit(d->store) < 0)
            goto store_failed;
        al__task_forget(d, w);
        al__state_remove_workload(&d->state, w);
        al__daemon_poke(d);
        return 0;
    }
    json_t *before = al__workload_audit_json(w);
    int marked = al__workload_mark_deleting(d, w);
    if (audit_workload(d, "delete", "deleting", w, before, false) < 0 || marked < 0 ||
        al__store_commit(d->store) < 0)
        goto store_failed;
    al__daemon_poke(d);
    return 1;
store_failed:
    al__store_rollback(d->store);
    return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
}

/* The tasks of w stop to be requeued (suspend): running ones are asked to, pipelined ones give
 * their place up. How many were running. */
static int stop_to_requeue(struct allotd *d, struct al__dworkload *w) {
    int stopped = 0;
    for (int32_t k = 0; k < w->spec.workers; k++) {
        struct al__dtask *t = &w->tasks[k];
        if (t->state == AL__T_PIPELINED) {
            al__task_requeue(&d->state, t);
            al__persist_task_update(d, w, t);
        } else if (t->state == AL__T_RUNNING) { /* one being evicted is requeued already */
            t->evicting = true; /* pending again once it exits (one still starting: once
                                 * recorded, see tasks.c) */
            free(t->stopped_why);
            t->stopped_why = al__xstrdup("suspended");
            al__task_stop(d, w, t);
            al__persist_task_update(d, w, t);
            stopped++;
        }
    }
    return stopped;
}

int al__workload_suspend(struct allotd *d, struct al__dworkload *w, struct al__failure *f) {
    if (al__mirror_refuse(d, "suspending a workload", f) < 0)
        return -1;
    if (w->state == AL__W_SUSPENDED)
        return 0;
    if (w->state != AL__W_PENDING && w->state != AL__W_RUNNING)
        return al__refuse(f, "failed_precondition", NULL,
                          "workload %s is %s: only a pending or running workload can be suspended",
                          w->name, al__wstate_name(w->state));
    if (w->over_time)
        return al__refuse(f, "failed_precondition", NULL,
                          "workload %s ran over its time limit and is being stopped", w->name);
    if (al__store_begin(d->store) < 0)
        goto store_failed;
    json_t *before = al__workload_audit_json(w);
    const char *was = al__wstate_name(w->state);
    w->state = AL__W_SUSPENDED;
    al__state_changed(&d->state, w);
    al__workload_set_reason(w, "suspended/Suspended", "suspended: not scheduled until resumed");
    al__workload_reason(d, w, "suspended/Suspended", "suspended: not scheduled until resumed");
    al__publish_workload(&d->state, w, "workload.state", was);
    int stopped = stop_to_requeue(d, w);
    char what[128] = "suspended";
    if (stopped > 0)
        snprintf(what, sizeof(what), "suspended: stopping %d running task%s to requeue %s", stopped,
                 stopped == 1 ? "" : "s", stopped == 1 ? "it" : "them");
    if (audit_workload(d, "suspend", "ok", w, before, false) < 0 ||
        al__persist_workload_update(d, w) < 0 ||
        al__persist_event(d, w, "suspended", "%s", what) < 0 || al__store_commit(d->store) < 0)
        goto store_failed;
    al__daemon_poke(d);
    return 0;
store_failed:
    al__store_rollback(d->store);
    d->resync = true; /* memory changed before the store refused: rewrite it next cycle */
    return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
}

int al__workload_resume(struct allotd *d, struct al__dworkload *w, struct al__failure *f) {
    if (al__mirror_refuse(d, "resuming a workload", f) < 0)
        return -1;
    if (w->state != AL__W_SUSPENDED)
        return al__refuse(f, "failed_precondition", NULL,
                          "workload %s is %s, not suspended: there is nothing to resume", w->name,
                          al__wstate_name(w->state));
    if (al__store_begin(d->store) < 0)
        goto store_failed;
    json_t *before = al__workload_audit_json(w);
    w->state = AL__W_PENDING;              /* then from its tasks: running while some still stop */
    w->pending_since_s = al__daemon_now(); /* reservations wait from the resume */
    al__workload_set_reason(w, NULL, NULL);
    al__workload_reason(d, w, NULL, NULL);
    al__workload_refresh_state(&d->state, w);
    if (w->state == AL__W_PENDING) /* else published as it left pending */
        al__publish_workload(&d->state, w, "workload.state", "suspended");
    if (audit_workload(d, "resume", "ok", w, before, false) < 0 ||
        al__persist_workload_update(d, w) < 0 ||
        al__persist_event(d, w, "resumed", "resumed: %s again", al__wstate_name(w->state)) < 0 ||
        al__store_commit(d->store) < 0)
        goto store_failed;
    al__daemon_poke(d);
    return 0;
store_failed:
    al__store_rollback(d->store);
    d->resync = true;
    return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
}

int al__workload_delete_retired(struct allotd *d, struct al__dworkload *w, struct al__failure *f) {
    int mirrored = al__mirror_workload_delete(d, w, f);
    if (mirrored != 0)
        return mirrored < 0 ? -1 : 0; /* the cluster removes it; the mirror follows */
    if (al__store_begin(d->store) < 0 || al__persist_workload_delete(d, w) < 0 ||
        audit_workload(d, "delete", "ok", w, al__workload_audit_json(w), true) < 0 ||
        al__store_commit(d->store) < 0) {
        al__store_rollback(d->store);
        return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
    }
    al__task_forget(d, w);
    al__state_forget_retired(&d->state, w->project, w->name);
    return 0;
}
