/* service_queues.c - the domain operations on departments and projects: each writes its
 * change durably (its own transaction), then applies it in memory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/mirror.h"
#include "daemon/persist.h"
#include "daemon/service.h"
#include "daemon/tasks.h"
#include "util/xalloc.h"

int al__refuse(struct al__failure *f, const char *code, const char *field, const char *fmt, ...) {
    va_list ap;
    f->code = code;
    snprintf(f->field, sizeof(f->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* A failed transaction, rolled back. */
static int store_failed(struct allotd *d, struct al__failure *f) {
    al__store_rollback(d->store);
    return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
}

static bool has_children(struct al__state *st, const struct al__dqueue *q) {
    for (size_t i = 0; i < st->queue_count; i++)
        if (strcmp(st->queues[i].parent, q->name) == 0)
            return true;
    return false;
}

/* Writes one queue durably (a new one gets its id). */
static int store_queue(struct allotd *d, struct al__dqueue *q, struct al__failure *f) {
    if (al__store_begin(d->store) < 0 || al__persist_queue_put(d, q) < 0 ||
        al__store_commit(d->store) < 0)
        return store_failed(d, f);
    return 0;
}

struct al__dqueue *al__queue_add(struct allotd *d, struct al__dqueue *q, struct al__failure *f) {
    if (al__state_queue(&d->state, q->name)) {
        al__refuse(f, "already_exists", "name", "a department or project named \"%s\" exists",
                   q->name);
        return NULL;
    }
    q->created_s = al__daemon_now();
    if (al__mirror_queue_write(d, q, true, f) < 0 || store_queue(d, q, f) < 0)
        return NULL;
    al__daemon_poke(d);
    return al__state_add_queue(&d->state, q);
}

int al__queue_change(struct allotd *d, struct al__dqueue *q, struct al__dqueue *changed,
                     struct al__failure *f) {
    if (al__mirror_queue_write(d, changed, false, f) < 0 || store_queue(d, changed, f) < 0)
        return -1;
    *q = *changed;
    al__daemon_poke(d);
    return 0;
}

int al__queue_remove(struct allotd *d, struct al__dqueue *q, struct al__failure *f) {
    char name[AL__NAME_MAX];
    size_t i;

    if (has_children(&d->state, q)) {
        return al__refuse(f, "failed_precondition", NULL,
                          "department %s still has projects; move or delete them first", q->name);
    }
    for (i = 0; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        if (strcmp(w->project, q->name) == 0 &&
            (w->state == AL__W_PENDING || w->state == AL__W_RUNNING || w->state == AL__W_DELETING ||
             w->state == AL__W_SUSPENDED)) {
            return al__refuse(f, "failed_precondition", NULL,
                              "project %s still has active workloads (e.g. %s); delete them first",
                              q->name, w->name);
        }
    }
    if (al__mirror_queue_delete(d, q->name, f) < 0)
        return -1;
    /* Its finished workloads in the store only (retired) go too. */
    struct al__dworkload **retired = NULL;
    size_t retired_count = 0;
    for (i = 0; i < d->state.retired.capacity; i++) {
        const struct al__retired *r = d->state.retired.values[i];
        if (!d->state.retired.keys[i] || strcmp(r->project, q->name) != 0)
            continue;
        struct al__dworkload *w = al__persist_read_workload(d, r->id);
        if (w) {
            retired = al__xroom(retired, retired_count, sizeof(*retired));
            retired[retired_count++] = w;
        }
    }
    if (al__store_begin(d->store) < 0)
        goto store_failed;
    for (i = 0; i < d->state.workload_count; i++)
        if (strcmp(d->state.workloads[i]->project, q->name) == 0 &&
            al__persist_workload_delete(d, d->state.workloads[i]) < 0)
            goto store_failed;
    for (i = 0; i < retired_count; i++)
        if (al__persist_workload_delete(d, retired[i]) < 0)
            goto store_failed;
    if (al__persist_queue_delete(d, q->name) < 0 || al__store_commit(d->store) < 0)
        goto store_failed;
    for (i = 0; i < retired_count; i++) {
        al__task_forget(d, retired[i]);
        al__state_forget_retired(&d->state, retired[i]->project, retired[i]->name);
        al__workload_free(retired[i]);
    }
    free(retired);
    snprintf(name, sizeof(name), "%s", q->name);
    for (i = d->state.workload_count; i-- > 0;)
        if (strcmp(d->state.workloads[i]->project, name) == 0) {
            al__task_forget(d, d->state.workloads[i]); /* their logs go with them */
            al__state_remove_workload(&d->state, d->state.workloads[i]);
        }
    al__state_remove_queue(&d->state, name);
    al__daemon_poke(d);
    return 0;
store_failed:
    for (i = 0; i < retired_count; i++)
        al__workload_free(retired[i]);
    free(retired);
    return store_failed(d, f);
}
