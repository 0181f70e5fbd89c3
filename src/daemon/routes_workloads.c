/* routes_workloads.c - /api/v1/workloads: submit, list, get, delete, suspend and resume
 * workloads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/enforcement.h"
#include "daemon/persist.h"
#include "daemon/reservations.h"
#include "daemon/route_access.h"
#include "daemon/service.h"
#include "daemon/specs.h"
#include "daemon/tasks.h"
#include "util/xalloc.h"

static json_t *opt_int(int64_t v, bool present) {
    return present ? json_integer(v) : json_null();
}

static json_t *task_json(const struct allotd *d, const struct al__dworkload *w,
                         const struct al__dtask *t) {
    json_t *gpus = json_array(), *o;
    /* finished tasks keep the node and devices they ran on; pipelined ones show what they hold */
    bool placed = t->node >= 0;
    bool finished = t->state == AL__T_SUCCEEDED || t->state == AL__T_FAILED;

    for (size_t i = 0; placed && i < t->gpu_count; i++)
        json_array_append_new(gpus, json_integer(t->gpus[i]));
    o = json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:i}", "index", t->index, "state",
                  al__tstate_name(t->state), "node",
                  placed ? json_string(al__state_node_name(&d->state, t->node)) : json_null(),
                  "gpu_devices", gpus, "started_s", opt_int(t->started_s, t->started_s >= 0),
                  "finished_s", opt_int(t->finished_s, t->finished_s >= 0), "exit_code",
                  opt_int(t->exit_code, finished), "evicting", t->evicting, "runs", t->runs);
    int32_t g = al__task_subgroup(w, t->index);
    if (g >= 0) /* its subgroup's name, where the workload has subgroups */
        json_object_set_new(o, "subgroup", json_string(w->spec.subgroups[g].name));
    if (placed && t->mig_instances) { /* "1g.10gb:0,1g.10gb:1" as a list */
        json_t *migs = json_array();
        for (const char *at = t->mig_instances; *at;) {
            const char *comma = strchr(at, ',');
            size_t len = comma ? (size_t)(comma - at) : strlen(at);
            json_array_append_new(migs, json_stringn(at, len));
            at += len + (comma ? 1 : 0);
        }
        json_object_set_new(o, "mig_instances", migs);
    }
    /* The backend's own words about a started task (the local backend: its "pid"). */
    d->backend.type->task_json((struct al__backend *)&d->backend, finished ? "" : t->ref, o);
    return o;
}

static int by_int(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Where the running and stopping tasks of w are: "nodes" (in task order, unique), and "node"
 * and "gpu_devices" (sorted, unique) when they are all on one node. */
static void placement_json(const struct allotd *d, const struct al__dworkload *w, json_t *o) {
    json_t *nodes = json_array(), *gpus = json_array();
    int32_t first = -1, *devices = NULL;
    size_t device_count = 0;
    bool one_node = true;

    for (int32_t i = 0; i < w->spec.workers; i++) {
        const struct al__dtask *t = &w->tasks[i];
        if ((t->state != AL__T_RUNNING && t->state != AL__T_STOPPING) || t->node < 0)
            continue;
        bool listed = false;
        for (size_t k = 0; k < json_array_size(nodes); k++)
            listed |= strcmp(json_string_value(json_array_get(nodes, k)),
                             al__state_node_name(&d->state, t->node)) == 0;
        if (!listed)
            json_array_append_new(nodes, json_string(al__state_node_name(&d->state, t->node)));
        if (first < 0)
            first = t->node;
        one_node &= t->node == first;
        devices = al__xrealloc(devices, (device_count + t->gpu_count + 1) * sizeof(*devices));
        for (size_t g = 0; g < t->gpu_count; g++)
            devices[device_count++] = t->gpus[g];
    }
    if (devices)
        qsort(devices, device_count, sizeof(*devices), by_int);
    for (size_t g = 0; one_node && g < device_count; g++)
        if (g == 0 || devices[g] != devices[g - 1])
            json_array_append_new(gpus, json_integer(devices[g]));
    free(devices);
    json_object_set_new(o, "node",
                        first >= 0 && one_node ? json_string(al__state_node_name(&d->state, first))
                                               : json_null());
    json_object_set_new(o, "nodes", nodes);
    json_object_set_new(o, "gpu_devices", gpus);
}

/* The workload's key in the engine's job order: its gang state from the tasks it holds. */

/* The API object with a known queue position (0 = not pending). */
static json_t *workload_json(const struct allotd *d, const struct al__dworkload *w,
                             int64_t position);

json_t *al__workload_json(const struct allotd *d, const struct al__dworkload *w) {
    json_t *o;
    al__workloads_json(d, &w, 1, &o);
    return o;
}

void al__workloads_json(const struct allotd *d, const struct al__dworkload *const *ws, size_t n,
                        json_t **out) {
    for (size_t i = 0; i < n; i++)
        out[i] = workload_json(d, ws[i],
                               al__position(d->positions, &d->state, d->state.task_changes, ws[i]));
}

static json_t *workload_json(const struct allotd *d, const struct al__dworkload *w,
                             int64_t position) {
    json_t *o = al__workload_spec_json(&w->spec), *tasks = json_array();
    bool finished = w->state == AL__W_SUCCEEDED || w->state == AL__W_FAILED;

    for (int32_t i = 0; i < w->spec.workers; i++)
        json_array_append_new(tasks, task_json(d, w, &w->tasks[i]));
    placement_json(d, w, o);
    json_object_update_new(
        o,
        json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o}", "name",
                  w->name, "project", w->project, "state", al__wstate_name(w->state), "created_s",
                  (json_int_t)w->created_s, "started_s", opt_int(w->started_s, w->started_s >= 0),
                  "finished_s", opt_int(w->finished_s, w->finished_s >= 0), "exit_code",
                  opt_int(w->exit_code, finished), "reason",
                  w->reason ? json_string(w->reason) : json_null(), "reason_code",
                  w->reason_code[0] ? json_string(w->reason_code) : json_null(), "reason_short",
                  w->reason_short[0] ? json_string(w->reason_short) : json_null(), "queue_position",
                  position > 0 ? json_integer(position) : json_null(), "restarts", w->restarts,
                  "tasks", tasks));
    json_object_set_new(o, "enforcement", al__enforcement_json(d, w));
    json_object_set_new(o, "reservation", al__reservation_json(d, w));
    return o;
}

/*
 * A list page that may hold finished workloads, which may be in the store only: the page is the
 * store's (its last commit, in creation order), each item rendered from memory when there.
 */
static void list_from_store(struct allotd *d, const char *project, const char *projects,
                            const char *state, int64_t limit, int64_t offset,
                            struct al__reply *rep) {
    struct al__page page;

    int rc = al__persist_read_page(d, project, projects, state, limit, offset, &page);
    if (rc < 0) {
        al__page_release(&page);
        al__reply_error(rep, "internal", NULL, "store: cannot read the list");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < page.count; i++)
        json_array_append_new(
            items,
            workload_json(d, page.items[i],
                          page.owned[i] ? 0
                                        : al__position(d->positions, &d->state,
                                                       d->state.task_changes, page.items[i])));
    al__list_reply(rep, items, (size_t)page.total, limit, offset);
    al__page_release(&page);
}

/* The projects whose workloads a caller may read, for a list: none to filter by (json_text
 * NULL) when they may read every one or name one project (checked already). */
struct visible {
    struct al__strmap names;
    char *json_text; /* a JSON array of the names, for the store's query */
};

static void visible_init(struct allotd *d, const struct al__request *req, bool one_project,
                         struct visible *v) {
    al__strmap_init(&v->names);
    v->json_text = NULL;
    if (one_project || al__request_sees_all(req, AL__RES_WORKLOAD))
        return;
    json_t *names = json_array();
    for (size_t i = 0; i < d->state.queue_count; i++) {
        const struct al__dqueue *q = &d->state.queues[i];
        struct al__place place = al__queue_place(q);
        if (q->project && al__request_may(req, &place)) {
            al__strmap_put(&v->names, q->name, (void *)q->name);
            json_array_append_new(names, json_string(q->name));
        }
    }
    v->json_text = json_dumps(names, JSON_COMPACT);
    json_decref(names);
}

static void visible_release(struct visible *v) {
    al__strmap_release(&v->names);
    free(v->json_text);
}

static void list_workloads(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    const char *project = al__query(req, "project"), *state = al__query(req, "state");
    enum al__wstate want = AL__W_PENDING;
    int64_t limit, offset;
    size_t total = 0;
    json_t *items;

    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    if (state && al__wstate_parse(state, &want) < 0) {
        al__reply_error(rep, "invalid_argument", "state",
                        "must be pending, running, suspended, succeeded, failed or deleting");
        return;
    }
    const struct al__dqueue *q = project ? al__state_queue(&d->state, project) : NULL;
    struct al__place place = q ? al__queue_place(q) : (struct al__place){"", "", ""};
    /* a filter naming nothing (or nothing the caller may see) is a mistake, not "none" */
    if (project && (!q || !q->project || !al__request_may(req, &place))) {
        al__reply_error(rep, "not_found", "project", "no project named \"%s\"", project);
        return;
    }
    struct visible seen;
    visible_init(d, req, project != NULL, &seen);
    bool finished_too = !state || want == AL__W_SUCCEEDED || want == AL__W_FAILED;
    if (finished_too && d->state.retired.count > 0) { /* some are in the store only */
        list_from_store(d, project, seen.json_text, state, limit, offset, rep);
        visible_release(&seen);
        return;
    }
    items = json_array(); /* memory has every workload the page can hold */
    for (size_t i = 0; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        if ((project && strcmp(w->project, project) != 0) || (state && w->state != want) ||
            (seen.json_text && !al__strmap_get(&seen.names, w->project)))
            continue;
        if ((int64_t)total >= offset && (int64_t)total < offset + limit)
            json_array_append_new(
                items, workload_json(
                           d, w, al__position(d->positions, &d->state, d->state.task_changes, w)));
        total++;
    }
    al__list_reply(rep, items, total, limit, offset);
    visible_release(&seen);
}

/* The live or retired workload `name` of project q into *w / *r; false when it has none. */
static bool named_in(struct allotd *d, const struct al__dqueue *q, const char *name,
                     struct al__dworkload **w, const struct al__retired **r) {
    *w = al__state_workload(&d->state, q->name, name);
    *r = *w ? NULL : al__state_retired(&d->state, q->name, name);
    return *w || *r;
}

/* Whether the caller may read the workloads of project q. */
static bool readable(const struct al__request *req, const struct al__dqueue *q) {
    struct al__place place = al__queue_place(q);
    return al__request_may_verb(req, AL__RES_WORKLOAD, AL__VERB_READ, &place);
}

struct al__dworkload *al__workload_find(struct allotd *d, const struct al__request *req,
                                        struct al__reply *rep, struct al__dworkload **retired) {
    const char *name = req->segments[1], *project = al__query(req, "project");
    struct al__dworkload *w = NULL, *cw;
    const struct al__retired *r = NULL, *cr;
    size_t found = 0;
    char projects[256] = "";
    size_t used = 0;

    *retired = NULL;
    if (project) {
        const struct al__dqueue *q = al__state_queue(&d->state, project);
        found = q && q->project && readable(req, q) && named_in(d, q, name, &w, &r);
    } else { /* a name unique across the projects the caller may see needs none */
        for (size_t i = 0; i < d->state.queue_count; i++) {
            const struct al__dqueue *q = &d->state.queues[i];
            if (!q->project || !readable(req, q) || !named_in(d, q, name, &cw, &cr))
                continue;
            if (found++ == 0)
                w = cw, r = cr;
            if (used < sizeof(projects))
                used += (size_t)snprintf(projects + used, sizeof(projects) - used, "%s%s",
                                         used ? ", " : "", q->name);
        }
    }
    if (found > 1) {
        al__reply_error(
            rep, "ambiguous", "project",
            "workloads named \"%s\" exist in projects %s: say which with project=", name, projects);
        return NULL;
    }
    if (!w && r)
        w = *retired = al__persist_read_workload(d, r->id);
    if (!w) {
        al__reply_error(rep, "not_found", NULL, "no workload named \"%s\"%s%s", name,
                        project ? " in project " : "", project ? project : "");
        return NULL;
    }
    struct al__place place = al__workload_place(d, w);
    if (!al__request_may(req, &place)) { /* seen, but not to be touched that way by them */
        char what[2 * AL__NAME_MAX + 16];
        snprintf(what, sizeof(what), "workload %s/%s", w->project, w->name);
        al__reply_forbidden(req, rep, what);
        al__workload_free(*retired);
        *retired = NULL;
        return NULL;
    }
    return w;
}

void al__workloads_list(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    list_workloads(d, req, rep);
}

void al__workload_get(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__dworkload *retired, *w = al__workload_find(d, req, rep, &retired);
    if (w)
        al__reply_json(rep, 200, al__workload_json(d, w));
    al__workload_free(retired);
}

void al__workload_remove(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__dworkload *retired, *w = al__workload_find(d, req, rep, &retired);
    struct al__failure f;
    char name[AL__NAME_MAX];
    int rc = 0;
    if (w) {
        snprintf(name, sizeof(name), "%s", w->name);
        rc = retired ? al__workload_delete_retired(d, retired, &f) : al__workload_delete(d, w, &f);
    }
    if (w && rc < 0)
        al__reply_error(rep, f.code, f.field[0] ? f.field : NULL, "%s", f.message);
    else if (w && rc == 0)
        al__reply_json(rep, 200, json_pack("{s:s, s:b}", "name", name, "deleted", 1));
    else if (w)
        al__reply_json(rep, 202, al__workload_json(d, w)); /* stopping its tasks */
    al__workload_free(retired);
}

/* POST .../suspend and .../resume: f changes w; the answer is w as it is then. */
static void workload_change(struct allotd *d, const struct al__request *req, struct al__reply *rep,
                            int (*f)(struct allotd *, struct al__dworkload *,
                                     struct al__failure *)) {
    struct al__dworkload *retired, *w = al__workload_find(d, req, rep, &retired);
    struct al__failure fail;
    if (!w)
        return;
    if (retired) /* finished long ago: neither applies */
        al__refuse(&fail, "failed_precondition", NULL, "workload %s is %s: it has finished",
                   w->name, al__wstate_name(w->state));
    if (retired || f(d, w, &fail) < 0)
        al__reply_error(rep, fail.code, fail.field[0] ? fail.field : NULL, "%s", fail.message);
    else
        al__reply_json(rep, 200, al__workload_json(d, w));
    al__workload_free(retired);
}

void al__workload_suspend_route(struct allotd *d, const struct al__request *req,
                                struct al__reply *rep) {
    workload_change(d, req, rep, al__workload_suspend);
}

void al__workload_resume_route(struct allotd *d, const struct al__request *req,
                               struct al__reply *rep) {
    workload_change(d, req, rep, al__workload_resume);
}
