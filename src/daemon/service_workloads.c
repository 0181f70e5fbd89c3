/* service_workloads.c - the domain operations on workloads that requests make besides
 * submitting (submit.c): deleting a live one (its tasks stopped first) or one retired to the
 * store. Each writes its change durably (its own transaction), then applies it in memory. */
#include <stdio.h>
#include <string.h>

#include "daemon/mirror.h"
#include "daemon/persist.h"
#include "daemon/service.h"
#include "daemon/tasks.h"

int al__workload_delete(struct allotd *d, struct al__dworkload *w, struct al__failure *f) {
    bool active = al__workload_is_active(w);

    int mirrored = al__mirror_workload_delete(d, w, f);
    if (mirrored != 0)
        return mirrored < 0 ? -1 : 0; /* the cluster removes it; the mirror follows */
    if (al__store_begin(d->store) < 0)
        goto store_failed;
    if (!active) {
        if (al__persist_workload_delete(d, w) < 0 || al__store_commit(d->store) < 0)
            goto store_failed;
        al__task_forget(d, w);
        al__state_remove_workload(&d->state, w);
        al__daemon_poke(d);
        return 0;
    }
    w->state = AL__W_DELETING;
    al__state_add_to(&d->state, AL__WATCHED, w);
    al__workload_set_reason(w, NULL, NULL);
    for (int32_t k = 0; k < w->spec.workers; k++) {
        struct al__dtask *t = &w->tasks[k];
        if (t->state == AL__T_PIPELINED) { /* its place is given up */
            al__task_requeue(&d->state, t);
            al__persist_task_update(d, w, t);
        }
        al__task_stop(d, w, t);
    }
    if (al__persist_workload_update(d, w) < 0 ||
        al__persist_event(d, w, "deleting",
                          "stopping its tasks (at once after a grace period of %llds)",
                          (long long)d->grace_s) < 0 ||
        al__store_commit(d->store) < 0)
        goto store_failed;
    al__daemon_poke(d);
    return 1;
store_failed:
    al__store_rollback(d->store);
    return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
}

int al__workload_delete_retired(struct allotd *d, struct al__dworkload *w, struct al__failure *f) {
    int mirrored = al__mirror_workload_delete(d, w, f);
    if (mirrored != 0)
        return mirrored < 0 ? -1 : 0; /* the cluster removes it; the mirror follows */
    if (al__store_begin(d->store) < 0 || al__persist_workload_delete(d, w) < 0 ||
        al__store_commit(d->store) < 0) {
        al__store_rollback(d->store);
        return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
    }
    al__task_forget(d, w);
    al__state_forget_retired(&d->state, w->project, w->name);
    return 0;
}
