/* routes_queues.c - /api/v1/departments and /api/v1/projects: the queue tree with its quotas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/directory_service.h"
#include "daemon/route_access.h"
#include "daemon/service.h"
#include "daemon/specs.h"
#include "util/xalloc.h"

/* What a queue holds now: its workloads and what their pending tasks ask, its own and its
 * children's. */
struct queue_status {
    int64_t pending[AL_RESOURCE_COUNT];
    json_int_t waiting, running;
};

/*
 * Every queue's status, indexed like state.queues, from one pass over the workloads (each
 * counted in its project, then every project in the departments above it): a list of 100
 * projects made a pass over 90,000 workloads per project, under the state lock. Free it.
 */
static struct queue_status *statuses(struct allotd *d) {
    struct al__state *st = &d->state;
    struct queue_status *all = al__xcalloc(st->queue_count + 1, sizeof(*all));
    /* a GPU-memory request counts as the engine counts it against quotas: in milli-GPU of
     * the largest device memory of the inventory */
    int64_t largest_mib = 0;
    const struct al__inventory *inv = &d->backend.inventory;
    for (size_t n = 0; n < inv->node_count; n++)
        for (size_t g = 0; g < inv->nodes[n].gpu_count; g++)
            if (inv->nodes[n].gpus[g].memory_mib > largest_mib)
                largest_mib = inv->nodes[n].gpus[g].memory_mib;
    for (size_t i = 0; i < st->workload_count; i++) {
        const struct al__dworkload *w = st->workloads[i];
        const struct al__wspec *s = &w->spec;
        const struct al__dqueue *q = al__state_queue(st, w->project);
        if (!q)
            continue;
        struct queue_status *qs = &all[q - st->queues];
        qs->waiting += w->state == AL__W_PENDING;
        qs->running += w->state == AL__W_RUNNING;
        for (int32_t t = 0; t < s->workers && w->state != AL__W_DELETING; t++) {
            if (w->tasks[t].state != AL__T_PENDING)
                continue;
            struct al__task_request r = al__task_request_of(w, t);
            qs->pending[AL_GPU] += al__task_request_milli(&r, (int32_t)largest_mib);
            qs->pending[AL_CPU] += r.cpu_millis;
            qs->pending[AL_MEMORY] += r.memory_bytes;
        }
    }
    for (size_t i = 0; i < st->queue_count; i++) {
        const struct al__dqueue *q = &st->queues[i];
        if (!q->project)
            continue;
        const struct al__dqueue *p = q->parent[0] ? al__state_queue(st, q->parent) : NULL;
        for (int depth = 0; p && depth < 64; depth++) {
            struct queue_status *to = &all[p - st->queues];
            to->waiting += all[i].waiting;
            to->running += all[i].running;
            for (int r = 0; r < AL_RESOURCE_COUNT; r++)
                to->pending[r] += all[i].pending[r];
            p = p->parent[0] ? al__state_queue(st, p->parent) : NULL;
        }
    }
    return all;
}

static json_t *shares_json(const int64_t ppm[AL_RESOURCE_COUNT]) {
    return json_pack("{s:f, s:f, s:f}", "gpu", (double)ppm[AL_GPU] / AL_USAGE_PPM, "cpu",
                     (double)ppm[AL_CPU] / AL_USAGE_PPM, "memory",
                     (double)ppm[AL_MEMORY] / AL_USAGE_PPM);
}

/* Its usage in each named node pool where it used something in the window (each a share of
 * that pool's capacity), by pool name; {} when none. */
static json_t *pool_shares_json(const struct allotd *d, const struct al__dqueue *q) {
    size_t count;
    json_t *o = json_object();
    const struct al__usage_series *s = al__usage_history_of(&d->usage, q->name, &count);
    for (size_t i = 0; i < count; i++)
        if (s[i].pool[0] &&
            (s[i].share_ppm[AL_GPU] || s[i].share_ppm[AL_CPU] || s[i].share_ppm[AL_MEMORY]))
            json_object_set_new(o, s[i].pool, shares_json(s[i].share_ppm));
    return o;
}

/* Time-based fair share: the queue's recent usage (shares of the cluster's capacity, or of the
 * default pool's and per named pool once the cluster is scheduled by pool), the settings it was
 * measured with, and the fair share the queue would have without it. */
static json_t *usage_json(const struct allotd *d, const struct al__dqueue *q) {
    return json_pack("{s:o, s:o, s:f, s:I, s:I, s:o}", "share", shares_json(q->usage_ppm), "pools",
                     pool_shares_json(d, q), "k", (double)d->usage_k_milli / 1000.0, "half_life_s",
                     (json_int_t)d->usage.half_life_s, "window_s", (json_int_t)d->usage.window_s,
                     "fair_share_without_usage", al__amounts_json(q->fair_share_without_usage));
}

static json_t *status_json(const struct allotd *d, const struct al__dqueue *q,
                           const struct queue_status *qs) {
    json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:{s:I, s:I}}", "fair_share",
                          al__amounts_json(q->fair_share), "allocated",
                          al__amounts_json(q->allocated), "requested",
                          al__amounts_json(q->requested), "pending", al__amounts_json(qs->pending),
                          "workloads", "pending", qs->waiting, "running", qs->running);
    if (d->usage.window_s > 0)
        json_object_set_new(o, "usage", usage_json(d, q));
    return o;
}

static void reply_failure(struct al__reply *rep, const struct al__failure *f) {
    al__reply_error(rep, f->code, f->field[0] ? f->field : NULL, "%s", f->message);
}

/* Queue q as the API shows it; all: every queue's status (statuses), or NULL to make them. */
static json_t *queue_json(struct allotd *d, const struct al__dqueue *q,
                          const struct queue_status *all) {
    struct queue_status *made = all ? NULL : statuses(d);
    json_t *o = al__queue_spec_json(q);
    json_object_set_new(o, "deleting", json_boolean(q->deleting));
    json_object_set_new(o, "status", status_json(d, q, &(all ? all : made)[q - d->state.queues]));
    free(made);
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
    struct al__place place = {project ? q.parent : "", "", ""};
    if (al__queue_read(&d->state, body, true, project, &q, field, sizeof(field), msg, sizeof(msg)) <
        0)
        al__reply_error(rep, "invalid_argument", field, "%s", msg);
    else if (!al__request_may(req, &place))
        al__reply_forbidden(req, rep, project ? "projects in that department" : "departments");
    else if ((added = al__queue_add(d, &q, &f)) != NULL)
        al__reply_json(rep, 201, queue_json(d, added, NULL));
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
    struct al__place moved_to = {changed.parent, changed.name, ""};
    if (al__queue_read(&d->state, body, false, q->project, &changed, field, sizeof(field), msg,
                       sizeof(msg)) < 0) {
        al__reply_error(rep, "invalid_argument", field, "%s", msg);
    } else if (strcmp(changed.parent, q->parent) != 0 && !al__request_may(req, &moved_to)) {
        al__reply_forbidden(req, rep, "projects in that department");
    } else {
        struct al__failure f;
        if (al__queue_change(d, q, &changed, &f) == 0)
            al__reply_json(rep, 200, queue_json(d, q, NULL));
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
    struct queue_status *all = statuses(d);
    for (size_t i = 0; i < d->state.queue_count; i++) {
        const struct al__dqueue *q = &d->state.queues[i];
        struct al__place place = al__queue_place(q);
        if (q->project != projects || !al__request_may(req, &place))
            continue;
        if ((int64_t)total >= offset && (int64_t)total < offset + limit)
            json_array_append_new(items, queue_json(d, q, all));
        total++;
    }
    free(all);
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
    struct al__place place = q ? al__queue_place(q) : (struct al__place){"", "", ""};
    const char *kind = for_projects(req) ? "project" : "department";
    if (!q || q->project != for_projects(req) ||
        !al__request_may_verb(req, req->res, AL__VERB_READ, &place)) {
        al__reply_error(rep, "not_found", NULL, "no %s named \"%s\"", kind, req->segments[1]);
        return NULL;
    }
    if (!al__request_may(req, &place)) {
        char what[AL__NAME_MAX + 16];
        snprintf(what, sizeof(what), "%s %s", kind, q->name);
        al__reply_forbidden(req, rep, what);
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
        al__reply_json(rep, 200, queue_json(d, q, NULL));
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
    bool force;
    if (!q || al__query_bool(req, rep, "force", false, &force) < 0)
        return;
    snprintf(name, sizeof(name), "%s", q->name);
    struct al__binding scope = {AL__ROLE_VIEWER,
                                q->project ? AL__SCOPE_PROJECT : AL__SCOPE_DEPARTMENT, ""};
    snprintf(scope.scope, sizeof(scope.scope), "%s", q->name);
    int rc = al__queue_remove(d, q, force, &f);
    /* its access rules go with it: a new one of the same name must not inherit them */
    if (rc >= 0 && al__store_begin(d->store) == 0) {
        if (al__rules_forget_scope(d, &scope) < 0 || al__store_commit(d->store) < 0)
            al__store_rollback(d->store);
    }
    if (rc == 0)
        al__reply_json(rep, 200, json_pack("{s:s, s:b}", "name", name, "deleted", 1));
    else if (rc > 0)
        al__reply_json(rep, 202, queue_json(d, q, NULL)); /* its workloads are stopping */
    else
        reply_failure(rep, &f);
}
