/* routes_queues.c - /api/v1/departments and /api/v1/projects: the queue tree with its quotas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/persist.h"
#include "daemon/specs.h"
#include "daemon/tasks.h"
#include "util/xalloc.h"

/* Whether project p is q or lies under department q. */
static bool within(struct al__state *st, const struct al__dqueue *p, const struct al__dqueue *q) {
    for (int depth = 0; p && depth < 64; depth++) {
        if (p == q)
            return true;
        p = p->parent[0] ? al__state_queue(st, p->parent) : NULL;
    }
    return false;
}

static json_t *status_json(struct allotd *d, const struct al__dqueue *q) {
    int64_t pending[AL_RESOURCE_COUNT] = {0};
    json_int_t waiting = 0, running = 0;

    for (size_t i = 0; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        const struct al__wspec *s = &w->spec;
        if (!within(&d->state, al__state_queue(&d->state, w->project), q))
            continue;
        waiting += w->state == AL__W_PENDING;
        running += w->state == AL__W_RUNNING;
        for (int32_t t = 0; t < s->workers; t++) {
            if (w->tasks[t].state != AL__T_PENDING || w->state == AL__W_DELETING)
                continue;
            pending[AL_GPU] +=
                (int64_t)s->gpus * 1000 + (int64_t)s->gpu_milli * s->gpu_device_count;
            pending[AL_CPU] += s->cpu_millis;
            pending[AL_MEMORY] += s->memory_bytes;
        }
    }
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:{s:I, s:I}}", "fair_share", al__amounts_json(q->fair_share),
        "allocated", al__amounts_json(q->allocated), "requested", al__amounts_json(q->requested),
        "pending", al__amounts_json(pending), "workloads", "pending", waiting, "running", running);
}

static json_t *queue_json(struct allotd *d, const struct al__dqueue *q) {
    json_t *o = al__queue_spec_json(q);
    json_object_set_new(o, "status", status_json(d, q));
    return o;
}

static bool has_children(struct al__state *st, const struct al__dqueue *q) {
    for (size_t i = 0; i < st->queue_count; i++)
        if (strcmp(st->queues[i].parent, q->name) == 0)
            return true;
    return false;
}

/* Writes one queue change durably, then applies it in memory. */
static int store_queue(struct allotd *d, struct al__reply *rep, struct al__dqueue *q) {
    if (al__store_begin(d->store) < 0 || al__persist_queue_put(d, q) < 0 ||
        al__store_commit(d->store) < 0) {
        al__store_rollback(d->store);
        al__reply_error(rep, "internal", NULL, "store: %s", al__store_error(d->store));
        return -1;
    }
    return 0;
}

static void create_queue(struct allotd *d, const struct al__request *req, struct al__reply *rep,
                         bool project) {
    struct al__dqueue q = {.priority = 100};
    char field[128], msg[256];
    json_t *body = al__request_json(req, rep);

    if (!body)
        return;
    q.deserved[AL_CPU] = q.deserved[AL_MEMORY] = AL_UNLIMITED;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        q.limit[r] = AL_UNLIMITED;
        q.weight[r] = 1;
    }
    if (al__queue_read(&d->state, body, true, project, &q, field, sizeof(field), msg, sizeof(msg)) <
        0) {
        al__reply_error(rep, "invalid_argument", field, "%s", msg);
    } else if (al__state_queue(&d->state, q.name)) {
        al__reply_error(rep, "already_exists", "name",
                        "a department or project named \"%s\" exists", q.name);
    } else {
        q.created_s = al__daemon_now();
        if (store_queue(d, rep, &q) == 0) {
            al__reply_json(rep, 201, queue_json(d, al__state_add_queue(&d->state, &q)));
            al__daemon_poke(d);
        }
    }
    json_decref(body);
}

static void update_queue(struct allotd *d, const struct al__request *req, struct al__reply *rep,
                         struct al__dqueue *q) {
    struct al__dqueue changed = *q;
    char field[128], msg[256];
    json_t *body = al__request_json(req, rep);

    if (!body)
        return;
    if (al__queue_read(&d->state, body, false, q->project, &changed, field, sizeof(field), msg,
                       sizeof(msg)) < 0) {
        al__reply_error(rep, "invalid_argument", field, "%s", msg);
    } else if (store_queue(d, rep, &changed) == 0) {
        *q = changed;
        al__reply_json(rep, 200, queue_json(d, q));
        al__daemon_poke(d);
    }
    json_decref(body);
}

static void delete_queue(struct allotd *d, struct al__reply *rep, struct al__dqueue *q) {
    char name[AL__NAME_MAX];
    size_t i;

    if (has_children(&d->state, q)) {
        al__reply_error(rep, "failed_precondition", NULL,
                        "department %s still has projects; move or delete them first", q->name);
        return;
    }
    for (i = 0; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        if (strcmp(w->project, q->name) == 0 &&
            (w->state == AL__W_PENDING || w->state == AL__W_RUNNING ||
             w->state == AL__W_DELETING)) {
            al__reply_error(rep, "failed_precondition", NULL,
                            "project %s still has active workloads (e.g. %s); delete them first",
                            q->name, w->name);
            return;
        }
    }
    /* Its finished workloads in the store only (retired) go too. */
    struct al__dworkload **retired = NULL;
    size_t retired_count = 0;
    for (i = 0; i < d->state.retired.capacity; i++) {
        const struct al__retired *r = d->state.retired.values[i];
        if (!d->state.retired.keys[i] || strcmp(r->project, q->name) != 0)
            continue;
        pthread_mutex_lock(&d->reader_lock);
        struct al__dworkload *w = al__persist_read_workload(d, d->reader, r->id);
        pthread_mutex_unlock(&d->reader_lock);
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
        al__state_forget_retired(&d->state, retired[i]->name);
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
    al__reply_json(rep, 200, json_pack("{s:s, s:b}", "name", name, "deleted", 1));
    al__daemon_poke(d);
    return;
store_failed:
    al__store_rollback(d->store);
    al__reply_error(rep, "internal", NULL, "store: %s", al__store_error(d->store));
    for (i = 0; i < retired_count; i++)
        al__workload_free(retired[i]);
    free(retired);
}

static void list_queues(struct allotd *d, const struct al__request *req, struct al__reply *rep,
                        bool projects) {
    int64_t limit, offset;
    json_t *items;
    size_t total = 0;

    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    items = json_array();
    for (size_t i = 0; i < d->state.queue_count; i++) {
        const struct al__dqueue *q = &d->state.queues[i];
        if (q->project != projects)
            continue;
        if ((int64_t)total >= offset && (int64_t)total < offset + limit)
            json_array_append_new(items, queue_json(d, q));
        total++;
    }
    al__list_reply(rep, items, total, limit, offset);
}

/* Whether the path is under /projects (else /departments). */
static bool for_projects(const struct al__request *req) {
    return strcmp(req->segments[0], "projects") == 0;
}

/* The queue the path names, of the path's kind; NULL after answering 404. */
static struct al__dqueue *queue_find(struct allotd *d, const struct al__request *req,
                                     struct al__reply *rep) {
    struct al__dqueue *q = al__state_queue(&d->state, req->segments[1]);
    if (!q || q->project != for_projects(req)) {
        al__reply_error(rep, "not_found", NULL, "no %s named \"%s\"",
                        for_projects(req) ? "project" : "department", req->segments[1]);
        return NULL;
    }
    return q;
}

void al__queues_list(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    list_queues(d, req, rep, for_projects(req));
}

void al__queue_create(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    create_queue(d, req, rep, for_projects(req));
}

void al__queue_get(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__dqueue *q = queue_find(d, req, rep);
    if (q)
        al__reply_json(rep, 200, queue_json(d, q));
}

void al__queue_update(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__dqueue *q = queue_find(d, req, rep);
    if (q)
        update_queue(d, req, rep, q);
}

void al__queue_delete(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__dqueue *q = queue_find(d, req, rep);
    if (q)
        delete_queue(d, rep, q);
}
