/* service_queues.c - the domain operations on departments and projects: each writes its
 * change durably (its own transaction), then applies it in memory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/events_publish.h"
#include "daemon/mirror.h"
#include "daemon/persist.h"
#include "daemon/quota_rules.h"
#include "daemon/service.h"
#include "daemon/specs.h"
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

/* The projects of department q: how many, and the first few names ("a, b, c, ..."). */
static size_t children_of(const struct al__state *st, const struct al__dqueue *q, char *names,
                          size_t size) {
    size_t count = 0, used = 0;
    names[0] = '\0';
    for (size_t i = 0; i < st->queue_count; i++) {
        if (strcmp(st->queues[i].parent, q->name) != 0)
            continue;
        if (count++ < 3)
            used += (size_t)snprintf(names + used, used < size ? size - used : 0, "%s%s",
                                     count > 1 ? ", " : "", st->queues[i].name);
        else if (count == 4)
            used += (size_t)snprintf(names + used, used < size ? size - used : 0, ", ...");
    }
    return count;
}

/* The live workloads of project q (pending, running, suspended, or stopping to be deleted): how
 * many, and one of them. */
static size_t live_of(const struct al__state *st, const struct al__dqueue *q,
                      const char **example) {
    size_t count = 0;
    for (size_t i = 0; i < st->workload_count; i++) {
        const struct al__dworkload *w = st->workloads[i];
        if (strcmp(w->project, q->name) == 0 &&
            (w->state == AL__W_PENDING || w->state == AL__W_RUNNING || w->state == AL__W_DELETING ||
             w->state == AL__W_SUSPENDED) &&
            count++ == 0)
            *example = w->name;
    }
    return count;
}

static const char *kind_of(const struct al__dqueue *q) {
    return q->project ? "project" : "department";
}

/* Writes one queue durably (a new one gets its id) with its audit row: `before` is what it was
 * (NULL for a new one). */
static int store_queue(struct allotd *d, struct al__dqueue *q, const struct al__dqueue *before,
                       struct al__failure *f) {
    if (al__store_begin(d->store) < 0 || al__persist_queue_put(d, q) < 0 ||
        al__audit_change(d, before ? "update" : "create", kind_of(q), q->project ? q->name : NULL,
                         q->name, "ok", before ? al__queue_spec_json(before) : NULL,
                         al__queue_spec_json(q)) < 0 ||
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
    if (al__quota_check(&d->state, NULL, q, f) < 0 || al__mirror_queue_write(d, q, true, f) < 0 ||
        store_queue(d, q, NULL, f) < 0)
        return NULL;
    al__daemon_poke(d);
    return al__state_add_queue(&d->state, q);
}

int al__queue_change(struct allotd *d, struct al__dqueue *q, struct al__dqueue *changed,
                     struct al__failure *f) {
    if (q->deleting)
        return al__refuse(f, "failed_precondition", NULL,
                          "project %s is being deleted (its workloads are stopping)", q->name);
    if (al__quota_check(&d->state, q, changed, f) < 0 ||
        al__mirror_queue_write(d, changed, false, f) < 0 || store_queue(d, changed, q, f) < 0)
        return -1;
    *q = *changed;
    al__publish_queue(&d->state, q, "queue.updated");
    al__daemon_poke(d);
    return 0;
}

/* With a backend that owns the workloads (a cluster): each live one of project q deleted there
 * (the mirror drops them; what the cluster no longer has is no failure). */
static int mirror_delete_live(struct allotd *d, const struct al__dqueue *q, struct al__failure *f) {
    for (size_t i = 0; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        if (strcmp(w->project, q->name) == 0 && w->state != AL__W_SUCCEEDED &&
            w->state != AL__W_FAILED && al__mirror_workload_delete(d, w, f) < 0 &&
            strcmp(f->code, "not_found") != 0)
            return -1;
    }
    return 0;
}

/* The finished workloads of project `name` kept in the store only, read back. */
static struct al__dworkload **retired_of(struct allotd *d, const char *name, size_t *count) {
    struct al__dworkload **retired = NULL;
    *count = 0;
    for (size_t i = 0; i < d->state.retired.capacity; i++) {
        const struct al__retired *r = d->state.retired.values[i];
        if (!d->state.retired.keys[i] || strcmp(r->project, name) != 0)
            continue;
        struct al__dworkload *w = al__persist_read_workload(d, r->id);
        if (w) {
            retired = al__xroom(retired, *count, sizeof(*retired));
            retired[(*count)++] = w;
        }
    }
    return retired;
}

/*
 * In the caller's transaction: every workload of project `name` goes - the retired ones, those
 * in memory where no task is active, and with `all` the others too (a cluster deletes them);
 * else those are marked deleting (their tasks asked to stop). How many are stopping, or -1 on a
 * store error.
 */
static int delete_workloads(struct allotd *d, const char *name, bool all,
                            struct al__dworkload **retired, size_t retired_count) {
    int stopping = 0;
    for (size_t i = 0; i < retired_count; i++)
        if (al__persist_workload_delete(d, retired[i]) < 0)
            return -1;
    for (size_t i = 0; i < d->state.workload_count; i++) {
        struct al__dworkload *w = d->state.workloads[i];
        if (strcmp(w->project, name) != 0)
            continue;
        if (all || !al__workload_is_active(w)) {
            if (al__persist_workload_delete(d, w) < 0)
                return -1;
            continue;
        }
        stopping++;
        if (w->state != AL__W_DELETING && al__workload_mark_deleting(d, w) < 0)
            return -1;
    }
    return stopping;
}

/* In memory, once committed: the workloads delete_workloads removed from the store. */
static void forget_workloads(struct allotd *d, const char *name, bool all,
                             struct al__dworkload **retired, size_t retired_count) {
    for (size_t i = 0; i < retired_count; i++) {
        al__task_forget(d, retired[i]);
        al__state_forget_retired(&d->state, retired[i]->project, retired[i]->name);
    }
    for (size_t i = d->state.workload_count; i-- > 0;) {
        struct al__dworkload *w = d->state.workloads[i];
        if (strcmp(w->project, name) == 0 && (all || !al__workload_is_active(w))) {
            if (al__workload_is_active(w))
                d->state.task_changes++; /* what it held is free: pipelined tasks may start */
            al__task_forget(d, w);       /* their logs go with them */
            al__state_remove_workload(&d->state, w);
        }
    }
}

static void free_all(struct al__dworkload **workloads, size_t count) {
    for (size_t i = 0; i < count; i++)
        al__workload_free(workloads[i]);
    free(workloads);
}

/* Why q cannot go (without force): its projects, or its live workloads. -1, or 0 if none. */
static int refuse_remove(struct allotd *d, const struct al__dqueue *q, bool force,
                         struct al__failure *f) {
    char names[256];
    const char *example = NULL;
    size_t n = children_of(&d->state, q, names, sizeof(names));
    if (n > 0)
        return al__refuse(f, "failed_precondition", NULL,
                          "department %s still has %zu project%s (%s): move or delete %s first "
                          "(force deletes a project's workloads, never projects)",
                          q->name, n, n == 1 ? "" : "s", names, n == 1 ? "it" : "them");
    n = force ? 0 : live_of(&d->state, q, &example);
    if (n > 0)
        return al__refuse(
            f, "failed_precondition", NULL,
            "project %s has %zu live workload%s (pending, running, suspended or stopping; "
            "e.g. %s): delete them first, or delete the project with force "
            "(allot project delete %s --force), which stops and deletes them",
            q->name, n, n == 1 ? "" : "s", example, q->name);
    return 0;
}

int al__queue_remove(struct allotd *d, struct al__dqueue *q, bool force, struct al__failure *f) {
    bool cluster = al__mirror_owned(d); /* the cluster deletes; the mirror follows */
    char name[AL__NAME_MAX];
    size_t retired_count;
    int stopping = 0;

    if (q->deleting)
        return 1; /* already on its way */
    if (refuse_remove(d, q, force, f) < 0 ||
        (force && cluster && mirror_delete_live(d, q, f) < 0) ||
        al__mirror_queue_delete(d, q->name, f) < 0)
        return -1;
    snprintf(name, sizeof(name), "%s", q->name);
    struct al__dworkload **retired = retired_of(d, name, &retired_count);
    if (al__store_begin(d->store) < 0 ||
        (stopping = delete_workloads(d, name, cluster, retired, retired_count)) < 0 ||
        (stopping == 0 ? al__persist_queue_delete(d, name) : al__persist_queue_deleting(d, name)) <
            0 ||
        al__audit_change(d, "delete", kind_of(q), q->project ? name : NULL, name,
                         stopping ? "deleting" : "ok", al__queue_spec_json(q),
                         stopping ? json_pack("{s:b, s:i}", "deleting", 1, "stopping", stopping)
                                  : NULL) < 0 ||
        al__store_commit(d->store) < 0) {
        d->resync = true; /* workloads marked deleting in memory: the next cycle writes them */
        free_all(retired, retired_count);
        return store_failed(d, f);
    }
    forget_workloads(d, name, cluster, retired, retired_count);
    free_all(retired, retired_count);
    if (stopping > 0) {
        q->deleting = true;
        al__publish_queue(&d->state, q, "queue.updated");
    } else
        al__state_remove_queue(&d->state, name);
    al__daemon_poke(d);
    return stopping > 0;
}
