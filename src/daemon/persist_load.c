/* persist_load.c - allotd's state read back from the store at startup, with the same
 * validation as the API applies to new requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/daemon.h"
#include "daemon/persist.h"
#include "daemon/specs.h"
#include "util/xalloc.h"

/* Departments, then projects (a project may have moved into a department created after it). */
static const char *const queue_load_sql[] = {
    "SELECT name, kind, spec, created_s, id, deleting FROM queues WHERE kind <> 'project' "
    "ORDER BY id",
    "SELECT name, kind, spec, created_s, id, deleting FROM queues WHERE kind = 'project' "
    "ORDER BY id",
};
/* The columns workload_from_row and task_from_row read, in their order. */
#define WORKLOAD_COLUMNS                                                                           \
    "SELECT id, name, project, spec, state, created_s, finished_s, exit_code, reason_code, "       \
    "reason, started_s, restarts, over_time, owner, pending_since_s FROM workloads "
#define TASK_COLUMNS                                                                               \
    "SELECT workload_id, idx, state, gpu_devices, ref, node, started_s, finished_s, "              \
    "exit_code, evicting, runs, stopped_why FROM tasks "

static const char workload_load_sql[] = WORKLOAD_COLUMNS "ORDER BY id";
static const char workload_read_sql[] = WORKLOAD_COLUMNS "WHERE id = ?1";
static const char task_load_sql[] = TASK_COLUMNS "ORDER BY workload_id, idx";
/* The tasks of the workloads with ids in [?1, ?2] (one workload, or a list page's). */
static const char tasks_range_sql[] =
    TASK_COLUMNS "WHERE workload_id BETWEEN ?1 AND ?2 ORDER BY workload_id, idx";

static json_t *load_spec(const char *text) {
    return text ? json_loads(text, 0, NULL) : NULL;
}

static int by_store_id(const void *a, const void *b) {
    int64_t x = ((const struct al__dqueue *)a)->id, y = ((const struct al__dqueue *)b)->id;
    return (x > y) - (x < y);
}

/* One kind of queue (see queue_load_sql). */
static int load_queue_rows(struct allotd *d, const char *sql, char *err, size_t size) {
    struct al__stmt *st = al__stmt_prepare(d->store, sql);
    char field[128], msg[256];
    int rc;

    if (!st)
        return -AL_EIO;
    while ((rc = al__stmt_step(st)) == 1) {
        struct al__dqueue q = {0};
        json_t *spec = load_spec(al__stmt_text(st, 2));
        bool project = strcmp(al__stmt_text(st, 1), "project") == 0;
        if (spec) {
            json_object_del(spec, "kind");
            json_object_del(spec, "created_s");
        }
        if (!spec || al__queue_read(&d->state, spec, true, project, &q, field, sizeof(field), msg,
                                    sizeof(msg)) < 0) {
            snprintf(err, size, "store: queue %s: bad spec (%s)", al__stmt_text(st, 0),
                     spec ? msg : "not JSON");
            json_decref(spec);
            al__stmt_reset(st);
            return -AL_EIO;
        }
        json_decref(spec);
        q.id = al__stmt_int(st, 4);
        q.created_s = al__stmt_int(st, 3);
        q.deleting = al__stmt_int(st, 5) != 0;
        al__state_add_queue(&d->state, &q);
    }
    return rc;
}

/* Every queue, departments before projects so that each project finds its department, then
 * back in creation order (the order the engine breaks ties by). */
static int load_queues(struct allotd *d, char *err, size_t size) {
    for (size_t i = 0; i < sizeof(queue_load_sql) / sizeof(queue_load_sql[0]); i++) {
        int rc = load_queue_rows(d, queue_load_sql[i], err, size);
        if (rc < 0)
            return rc;
    }
    if (d->state.queue_count > 1)
        qsort(d->state.queues, d->state.queue_count, sizeof(*d->state.queues), by_store_id);
    al__state_index_queues(&d->state);
    return 0;
}

static struct al__dworkload *workload_from_row(struct al__state *st_state, struct al__stmt *st,
                                               char *err, size_t size) {
    struct al__dworkload *w = al__xcalloc(1, sizeof(*w));
    json_t *spec = load_spec(al__stmt_text(st, 3));
    al__workload_sets_init(w);
    char field[128] = "state", msg[256] = "unknown";

    w->id = al__stmt_int(st, 0);
    al__workload_name_set(w, al__stmt_text(st, 2), al__stmt_text(st, 1));
    w->owner = al__state_owner(st_state, al__stmt_text(st, 13));
    const struct al__dqueue *q = al__state_queue(st_state, w->project);
    w->project_id = q ? q->id : -1;
    if (!spec || al__wspec_read(spec, &w->spec, field, sizeof(field), msg, sizeof(msg)) < 0 ||
        al__wstate_parse(al__stmt_text(st, 4), &w->state) < 0) {
        snprintf(err, size, "store: workload %s: bad spec or state (%s: %s)", w->name,
                 spec ? field : "spec", spec ? msg : "not JSON");
        json_decref(spec);
        free(w);
        return NULL;
    }
    json_decref(spec);
    w->created_s = al__stmt_int(st, 5);
    w->finished_s = al__stmt_is_null(st, 6) ? -1 : al__stmt_int(st, 6);
    w->exit_code = (int)al__stmt_int(st, 7);
    al__workload_set_reason(w, al__stmt_text(st, 8), al__stmt_text(st, 9));
    al__workload_alloc_tasks(w);
    w->started_s = al__stmt_is_null(st, 10) ? -1 : al__stmt_int(st, 10);
    w->restarts = (int32_t)al__stmt_int(st, 11);
    w->over_time = al__stmt_int(st, 12) != 0;
    w->pending_since_s = al__stmt_is_null(st, 14) ? -1 : al__stmt_int(st, 14);
    return w;
}

/* The index of the workload with id `id` among n in id order, or n: a binary search (a scan
 * per task row was O(W x tasks)). */
static size_t index_of_id(struct al__dworkload *const *ws, size_t n, int64_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ws[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ws[lo]->id == id ? lo : n;
}

/* Workloads were loaded in id order. */
static struct al__dworkload *workload_by_id(struct al__state *s, int64_t id) {
    size_t at = index_of_id(s->workloads, s->workload_count, id);
    return at < s->workload_count ? s->workloads[at] : NULL;
}

static void task_devices(struct al__dtask *t, const char *text) {
    json_t *a = load_spec(text), *v;
    size_t i;
    json_array_foreach(a, i, v) {
        if (t->gpu_count < AL__MAX_TASK_GPUS && json_is_integer(v))
            t->gpus[t->gpu_count++] = (int32_t)json_integer_value(v);
        else if (json_is_string(v) && !t->mig_instances) /* persist.c: its MIG instances */
            t->mig_instances = al__xstrdup(json_string_value(v));
    }
    json_decref(a);
}

/* One task row into its workload w (rows of tasks w does not have are skipped). */
static int task_from_row(struct allotd *d, struct al__stmt *st, struct al__dworkload *w, char *err,
                         size_t size) {
    int64_t idx = al__stmt_int(st, 1);
    if (!w || idx < 0 || idx >= w->spec.workers)
        return 0; /* a row of a workload already dropped */
    struct al__dtask *t = &w->tasks[idx];
    if (al__tstate_parse(al__stmt_text(st, 2), &t->state) < 0) {
        snprintf(err, size, "store: workload %s task %d: bad state", w->name, (int)idx);
        return -AL_EIO;
    }
    task_devices(t, al__stmt_text(st, 3));
    snprintf(t->ref, sizeof(t->ref), "%s", al__stmt_is_null(st, 4) ? "" : al__stmt_text(st, 4));
    t->node = al__stmt_is_null(st, 5) ? -1 : al__state_node(&d->state, al__stmt_text(st, 5));
    t->started_s = al__stmt_is_null(st, 6) ? -1 : al__stmt_int(st, 6);
    t->finished_s = al__stmt_is_null(st, 7) ? -1 : al__stmt_int(st, 7);
    t->exit_code = (int)al__stmt_int(st, 8);
    t->evicting = al__stmt_int(st, 9) != 0;
    t->runs = (int32_t)al__stmt_int(st, 10);
    free(t->stopped_why);
    t->stopped_why = al__stmt_is_null(st, 11) ? NULL : al__xstrdup(al__stmt_text(st, 11));
    return 0;
}

static int load_tasks(struct allotd *d, char *err, size_t size) {
    struct al__stmt *st = al__stmt_prepare(d->store, task_load_sql);
    int rc;

    if (!st)
        return -AL_EIO;
    while ((rc = al__stmt_step(st)) == 1) {
        struct al__dworkload *w = workload_by_id(&d->state, al__stmt_int(st, 0));
        if (task_from_row(d, st, w, err, size) < 0) {
            al__stmt_reset(st);
            return -AL_EIO;
        }
    }
    return rc;
}

/* Whether the row is of a workload that finished before `before_s` (its state and finished_s
 * columns), which stays in the store only. */
static bool row_retired(struct al__stmt *st, int64_t before_s) {
    const char *state = al__stmt_text(st, 4);
    return state && (strcmp(state, "succeeded") == 0 || strcmp(state, "failed") == 0) &&
           !al__stmt_is_null(st, 6) && al__stmt_int(st, 6) < before_s;
}

/* A page and its total, one statement per filter (by project, by state, both, neither) so that
 * SQLite uses the index of the filter: "?1 IS NULL OR project = ?1" made it read every row of
 * the table for the total (13 ms of a 1,000-item page at 100,000 workloads). */
#define PAGE_SQL(where)  WORKLOAD_COLUMNS where " ORDER BY id LIMIT ?3 OFFSET ?4"
#define COUNT_SQL(where) "SELECT count(*) FROM workloads " where
#define BY_PROJECT       "WHERE project = ?1"
#define BY_STATE         "WHERE state = ?2"
#define BY_BOTH          "WHERE project = ?1 AND state = ?2"
/* ?1 a JSON array of project names: the projects a caller may see (access.c) */
#define BY_PROJECTS       "WHERE project IN (SELECT value FROM json_each(?1))"
#define BY_PROJECTS_STATE BY_PROJECTS " AND state = ?2"
static const char *const page_sql[] = {PAGE_SQL(""),          PAGE_SQL(BY_PROJECT),
                                       PAGE_SQL(BY_STATE),    PAGE_SQL(BY_BOTH),
                                       PAGE_SQL(BY_PROJECTS), PAGE_SQL(BY_PROJECTS_STATE)};
static const char *const page_count_sql[] = {COUNT_SQL(""),          COUNT_SQL(BY_PROJECT),
                                             COUNT_SQL(BY_STATE),    COUNT_SQL(BY_BOTH),
                                             COUNT_SQL(BY_PROJECTS), COUNT_SQL(BY_PROJECTS_STATE)};

/* The page's workload with id `id` that was read from the store (not live), or NULL. */
static struct al__dworkload *page_owned(struct al__page *p, int64_t id) {
    size_t at = index_of_id(p->items, p->count, id);
    return at < p->count && p->owned[at] ? p->items[at] : NULL;
}

static int read_page(struct allotd *d, struct al__store *db, const char *project,
                     const char *projects, const char *state, int64_t limit, int64_t offset,
                     struct al__page *p) {
    char err[256];
    p->items = al__xcalloc((size_t)limit, sizeof(*p->items));
    p->owned = al__xcalloc((size_t)limit, sizeof(*p->owned));
    size_t filter = projects ? (state ? 5 : 4) : (project ? 1 : 0) + (state ? 2 : 0);
    if (projects)
        project = projects;
    struct al__stmt *st = al__stmt_prepare(db, page_count_sql[filter]);
    if (!st)
        return -AL_EIO;
    al__stmt_bind_text(st, 1, project);
    al__stmt_bind_text(st, 2, state);
    if (al__stmt_step(st) == 1)
        p->total = al__stmt_int(st, 0);
    al__stmt_reset(st);
    if (!(st = al__stmt_prepare(db, page_sql[filter])))
        return -AL_EIO;
    al__stmt_bind_text(st, 1, project);
    al__stmt_bind_text(st, 2, state);
    al__stmt_bind_int(st, 3, limit);
    al__stmt_bind_int(st, 4, offset);
    bool any_owned = false;
    while (p->count < (size_t)limit && al__stmt_step(st) == 1) {
        struct al__dworkload *w =
            al__state_workload(&d->state, al__stmt_text(st, 2), al__stmt_text(st, 1));
        if (w && w->id == al__stmt_int(st, 0)) { /* live: memory has it, fresher */
            p->items[p->count++] = w;
            continue;
        }
        if (!(w = workload_from_row(&d->state, st, err, sizeof(err))))
            continue;
        p->owned[p->count] = any_owned = true;
        p->items[p->count++] = w;
    }
    al__stmt_reset(st);
    if (!any_owned)
        return 0;
    /* The tasks of the ones read, in one query over the page's id range. */
    if (!(st = al__stmt_prepare(db, tasks_range_sql)))
        return -AL_EIO;
    al__stmt_bind_int(st, 1, p->items[0]->id);
    al__stmt_bind_int(st, 2, p->items[p->count - 1]->id);
    while (al__stmt_step(st) == 1) {
        struct al__dworkload *w = page_owned(p, al__stmt_int(st, 0));
        if (w && task_from_row(d, st, w, err, sizeof(err)) < 0)
            break;
    }
    al__stmt_reset(st);
    return 0;
}

void al__page_release(struct al__page *p) {
    for (size_t i = 0; i < p->count; i++)
        if (p->owned[i])
            al__workload_free(p->items[i]);
    free(p->items);
    free(p->owned);
    memset(p, 0, sizeof(*p));
}

static struct al__dworkload *read_workload(struct allotd *d, struct al__store *db, int64_t id) {
    struct al__stmt *st = al__stmt_prepare(db, workload_read_sql);
    struct al__dworkload *w = NULL;
    char err[256];
    if (!st)
        return NULL;
    al__stmt_bind_int(st, 1, id);
    if (al__stmt_step(st) == 1)
        w = workload_from_row(&d->state, st, err, sizeof(err));
    al__stmt_reset(st);
    if (!w || !(st = al__stmt_prepare(db, tasks_range_sql)))
        return w;
    al__stmt_bind_int(st, 1, id);
    al__stmt_bind_int(st, 2, id);
    while (al__stmt_step(st) == 1)
        if (task_from_row(d, st, w, err, sizeof(err)) < 0)
            break;
    al__stmt_reset(st);
    return w;
}

int al__persist_load(struct allotd *d, char *err, size_t size) {
    struct al__stmt *st;
    int rc;

    err[0] = '\0';
    if (load_queues(d, err, size) < 0)
        goto fail;
    st = al__stmt_prepare(d->store, workload_load_sql);
    if (!st)
        goto fail;
    int64_t before_s = al__daemon_now() - d->retention_s;
    while ((rc = al__stmt_step(st)) == 1) {
        if (row_retired(st, before_s)) {
            al__state_add_retired(&d->state, al__stmt_int(st, 0), al__stmt_text(st, 1),
                                  al__stmt_text(st, 2));
            continue;
        }
        struct al__dworkload *w = workload_from_row(&d->state, st, err, size);
        if (!w) {
            al__stmt_reset(st);
            return -AL_EIO;
        }
        al__state_add_workload(&d->state, w);
    }
    if (rc < 0 || load_tasks(d, err, size) < 0)
        goto fail;
    for (size_t i = 0; i < d->state.workload_count; i++) /* the first cycle prunes the rest */
        for (int k = 0; k < AL__WSETS; k++)
            al__state_add_to(&d->state, (enum al__wset)k, d->state.workloads[i]);
    return 0;
fail:
    if (!err[0])
        snprintf(err, size, "store: cannot load the state: %s", al__store_error(d->store));
    return -AL_EIO;
}

int al__persist_read_page(struct allotd *d, const char *project, const char *projects,
                          const char *state, int64_t limit, int64_t offset, struct al__page *p) {
    memset(p, 0, sizeof(*p));
    pthread_mutex_lock(&d->reader_lock);
    int rc = read_page(d, d->reader, project, projects, state, limit, offset, p);
    pthread_mutex_unlock(&d->reader_lock);
    return rc;
}

struct al__dworkload *al__persist_read_workload(struct allotd *d, int64_t id) {
    pthread_mutex_lock(&d->reader_lock);
    struct al__dworkload *w = read_workload(d, d->reader, id);
    pthread_mutex_unlock(&d->reader_lock);
    return w;
}
