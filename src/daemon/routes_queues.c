/* routes_queues.c - /api/v1/departments and /api/v1/projects: the queue tree with its quotas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/service.h"
#include "daemon/specs.h"

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

static void reply_failure(struct al__reply *rep, const struct al__failure *f) {
    al__reply_error(rep, f->code, f->field[0] ? f->field : NULL, "%s", f->message);
}

static json_t *queue_json(struct allotd *d, const struct al__dqueue *q) {
    json_t *o = al__queue_spec_json(q);
    json_object_set_new(o, "status", status_json(d, q));
    return o;
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
    struct al__failure f;
    struct al__dqueue *added;
    if (al__queue_read(&d->state, body, true, project, &q, field, sizeof(field), msg, sizeof(msg)) <
        0)
        al__reply_error(rep, "invalid_argument", field, "%s", msg);
    else if ((added = al__queue_add(d, &q, &f)) != NULL)
        al__reply_json(rep, 201, queue_json(d, added));
    else
        reply_failure(rep, &f);
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
    } else {
        struct al__failure f;
        if (al__queue_change(d, q, &changed, &f) == 0)
            al__reply_json(rep, 200, queue_json(d, q));
        else
            reply_failure(rep, &f);
    }
    json_decref(body);
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
    struct al__failure f;
    char name[AL__NAME_MAX];
    if (!q)
        return;
    snprintf(name, sizeof(name), "%s", q->name);
    if (al__queue_remove(d, q, &f) == 0)
        al__reply_json(rep, 200, json_pack("{s:s, s:b}", "name", name, "deleted", 1));
    else
        reply_failure(rep, &f);
}
