/* submit.c - POST /api/v1/workloads with group commit: submits that arrive while a transaction
 * is being made durable are written together in the next one, so one fsync serves many. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/admission.h"
#include "daemon/api.h"
#include "daemon/mirror.h"
#include "daemon/persist.h"
#include "daemon/route_access.h"
#include "daemon/specs.h"
#include "daemon/tasks.h"
#include "daemon/topology_spec.h"
#include "util/xalloc.h"

/* In the state (live, or finished and retired to the store), queued, or being written by the
 * leader (not yet in the state). Lock held. */
static bool name_taken(struct allotd *d, const char *project, const char *name) {
    char key[2 * AL__NAME_MAX];
    if (al__state_workload(&d->state, project, name) || al__state_retired(&d->state, project, name))
        return true;
    al__workload_key(project, name, key);
    for (size_t i = 0; i < d->batch_count; i++)
        if (strcmp(d->batch[i]->w->key, key) == 0)
            return true;
    for (size_t i = 0; i < d->writing_count; i++)
        if (strcmp(d->writing[i]->w->key, key) == 0)
            return true;
    return false;
}

static struct al__dworkload *new_workload(const char *name, const struct al__dqueue *project,
                                          const struct al__wspec *spec, const char *owner) {
    struct al__dworkload *w = al__xcalloc(1, sizeof(*w));
    w->owner = owner;
    al__workload_sets_init(w);
    al__workload_name_set(w, project->name, name);
    w->project_id = project->id;
    w->spec = *spec;
    w->state = AL__W_PENDING;
    w->created_s = al__daemon_now();
    w->finished_s = -1;
    al__workload_alloc_tasks(w);
    return w;
}

/* Whether the caller may `verb` workloads in project q. */
static bool may_submit(const struct al__request *req, const struct al__dqueue *q,
                       enum al__verb verb) {
    struct al__place place = al__queue_place(q);
    return al__request_may_verb(req, AL__RES_WORKLOAD, verb, &place);
}

/* Validates the body; on success the new workload (named, not yet stored). Lock held. */
static struct al__dworkload *accept(struct allotd *d, const struct al__request *req,
                                    const json_t *body, struct al__reply *rep) {
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *project = json_string_value(json_object_get(body, "project"));
    const struct al__dqueue *q;
    struct al__wspec spec;
    char field[128], msg[512];

    if (!name || !al__name_valid(name)) {
        al__reply_error(rep, "invalid_argument", "name",
                        "must be 1-63 characters of a-z, 0-9 and '-', not starting with '-'");
    } else if (!project) {
        al__reply_error(rep, "invalid_argument", "project", "must be the name of a project");
    } else if (!(q = al__state_queue(&d->state, project)) || !q->project ||
               !may_submit(req, q, AL__VERB_READ)) {
        al__reply_error(rep, "invalid_argument", "project", "no project named \"%s\"", project);
    } else if (!may_submit(req, q, AL__VERB_CREATE)) {
        al__reply_forbidden(req, rep, "workloads in that project");
    } else if (q->deleting) {
        al__reply_error(rep, "failed_precondition", "project", "project %s is being deleted",
                        project);
    } else if (name_taken(d, project, name)) {
        al__reply_error(rep, "already_exists", "name", "project %s already has a workload named %s",
                        project, name);
    } else if (al__wspec_read(body, &spec, field, sizeof(field), msg, sizeof(msg)) < 0) {
        al__reply_error(rep, "invalid_argument", field, "%s", msg);
    } else if (spec.workdir && d->backend.type->workdir_check &&
               d->backend.type->workdir_check(&d->backend, spec.workdir, msg, sizeof(msg)) < 0) {
        al__reply_error(rep, "invalid_argument", "workdir", "%s", msg);
        al__wspec_release(&spec);
    } else if (al__admission_check(&d->backend.inventory, body, &spec, field, sizeof(field), msg,
                                   sizeof(msg)) < 0 ||
               al__topology_resolve(&d->backend.inventory, &spec,
                                    &(struct al_topology_constraint){0}, field, sizeof(field), msg,
                                    sizeof(msg)) < 0) {
        al__reply_error(rep, "invalid_argument", field[0] ? field : NULL, "%s", msg);
        al__wspec_release(&spec);
    } else {
        return new_workload(name, q, &spec,
                            al__state_owner(&d->state, req->who ? req->who->subject : NULL));
    }
    return NULL;
}

/* Writes every queued submit in one transaction; on failure why is in `why`. Store lock held,
 * not the state lock. */
static int write_batch(struct allotd *d, struct al__submit_ticket **batch, size_t count, char *why,
                       size_t why_size) {
    struct al__audit_tail tail;
    if (al__store_begin(d->store) < 0 || al__audit_tail_read(d->store, &tail) < 0) {
        snprintf(why, why_size, "%s", al__store_error(d->store));
        al__store_rollback(d->store);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        struct al__dworkload *w = batch[i]->w;
        if (al__persist_workload_insert(d, w) < 0 ||
            al__persist_event(d, w, "submitted", "submitted to project %s", w->project) < 0 ||
            al__audit_append_text(d->store, &tail, &batch[i]->by, "submit", "workload", w->project,
                                  w->name, "ok", NULL, batch[i]->audit_after) < 0) {
            snprintf(why, why_size, "%s", al__store_error(d->store)); /* before the rollback */
            al__store_rollback(d->store);
            return -1;
        }
    }
    if (al__store_commit(d->store) < 0) {
        snprintf(why, why_size, "%s", al__store_error(d->store));
        return -1;
    }
    return 0;
}

/* Takes the queued submits whose project still exists (and is not being deleted); the others
 * are answered at once. */
static struct al__submit_ticket **take_queue(struct allotd *d, size_t *count) {
    struct al__submit_ticket **batch = d->batch;
    size_t kept = 0;

    for (size_t i = 0; i < d->batch_count; i++) {
        const struct al__dqueue *q = al__state_queue(&d->state, batch[i]->w->project);
        if (q && !q->deleting) {
            batch[kept++] = batch[i];
        } else {
            snprintf(batch[i]->error, sizeof(batch[i]->error), "project %s was deleted meanwhile",
                     batch[i]->w->project);
            batch[i]->project_gone = true;
            batch[i]->done = true;
        }
    }
    d->batch = NULL;
    d->batch_count = d->batch_cap = 0;
    d->writing = batch; /* their names stay taken until they are in the state */
    d->writing_count = kept;
    *count = kept;
    return batch;
}

/* Becomes the leader for whatever is queued: commits it and hands the outcome to each ticket.
 * Store lock held; the state lock is taken around the queue and the outcome only. */
static void commit_queued(struct allotd *d) {
    struct al__submit_ticket **batch;
    size_t count;
    int rc;

    pthread_mutex_lock(&d->lock);
    batch = take_queue(d, &count);
    pthread_mutex_unlock(&d->lock);
    char why[256] = "";
    rc = count > 0 ? write_batch(d, batch, count, why, sizeof(why)) : 0;
    pthread_mutex_lock(&d->lock);
    const struct al__dworkload **added = al__xcalloc(count ? count : 1, sizeof(*added));
    json_t **replies = al__xcalloc(count ? count : 1, sizeof(*replies));
    for (size_t i = 0; i < count; i++) {
        struct al__submit_ticket *t = batch[i];
        if (rc == 0) {
            al__task_forget(d, t->w); /* what an earlier workload with its id left */
            al__state_add_workload(&d->state, t->w);
            al__positions_added(d->positions, &d->state, t->w);
            added[i] = t->w;
        } else {
            snprintf(t->error, sizeof(t->error), "store: %.200s", why);
        }
    }
    if (rc == 0) /* the answers see the whole batch: one pass for their queue positions */
        al__workloads_json(d, added, count, replies);
    for (size_t i = 0; i < count; i++) {
        batch[i]->reply = replies[i];
        batch[i]->done = true;
    }
    free(added);
    free(replies);
    d->writing = NULL;
    d->writing_count = 0;
    if (rc == 0 && count > 0)
        al__daemon_poke(d);
    pthread_mutex_unlock(&d->lock);
    free(batch);
}

void al__submit(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__submit_ticket ticket = {0};
    json_t *body = al__request_json(req, rep);
    bool done;

    if (!body)
        return;
    if (al__mirror_owned(d)) { /* the cluster's object: made there */
        const char *project = json_string_value(json_object_get(body, "project"));
        pthread_mutex_lock(&d->lock);
        const struct al__dqueue *q = project ? al__state_queue(&d->state, project) : NULL;
        bool allowed = !q || may_submit(req, q, AL__VERB_CREATE);
        pthread_mutex_unlock(&d->lock);
        if (allowed)
            al__mirror_submit(d, body, rep);
        else
            al__reply_forbidden(req, rep, "workloads in that project");
        json_decref(body);
        return;
    }
    static const struct al__actor in_process = {"system", "local"}; /* no HTTP layer (tests) */
    ticket.by = req->actor ? *req->actor : in_process;
    pthread_mutex_lock(&d->lock);
    ticket.w = accept(d, req, body, rep);
    if (ticket.w) {
        /* what its audit row keeps, made here rather than in the leader's transaction */
        ticket.audit_after = al__audit_text(al__workload_audit_json(ticket.w));
        al__xgrow(&d->batch, &d->batch_cap, d->batch_count + 1, sizeof(*d->batch));
        d->batch[d->batch_count++] = &ticket;
    }
    pthread_mutex_unlock(&d->lock);
    json_decref(body);
    if (!ticket.w)
        return;
    /* Whoever holds the store lock next commits everything queued, this submit included. */
    pthread_mutex_lock(&d->store_lock);
    pthread_mutex_lock(&d->lock);
    done = ticket.done;
    pthread_mutex_unlock(&d->lock);
    if (!done)
        commit_queued(d);
    pthread_mutex_unlock(&d->store_lock);
    free(ticket.audit_after);
    if (ticket.reply) {
        al__reply_json(rep, 201, ticket.reply); /* the state owns the workload now */
    } else {
        if (ticket.project_gone)
            al__reply_error(rep, "failed_precondition", "project", "%s", ticket.error);
        else
            al__reply_error(rep, "internal", NULL, "%s", ticket.error);
        al__workload_free(ticket.w);
    }
}
