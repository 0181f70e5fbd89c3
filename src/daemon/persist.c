/* persist.c - allotd's state written to and loaded from the store, one row kind at a time. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/consumption.h"
#include "daemon/daemon.h"
#include "daemon/persist.h"
#include "daemon/specs.h"
#include "util/xalloc.h"

static const char queue_put_sql[] =
    "INSERT INTO queues (name, kind, spec, created_s) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (name) DO UPDATE SET spec = excluded.spec";
static const char queue_delete_sql[] = "DELETE FROM queues WHERE name = ?1";
static const char queue_deleting_sql[] = "UPDATE queues SET deleting = 1 WHERE name = ?1";
static const char workload_insert_sql[] =
    "INSERT INTO workloads (name, project, spec, state, created_s, owner) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char workload_update_sql[] =
    "UPDATE workloads SET state = ?2, finished_s = ?3, exit_code = ?4, reason_code = ?5, "
    "reason = ?6, started_s = ?7, restarts = ?8, over_time = ?9, pending_since_s = ?10 "
    "WHERE id = ?1";
static const char workload_delete_sql[] = "DELETE FROM workloads WHERE id = ?1";
static const char task_put_sql[] =
    "INSERT OR REPLACE INTO tasks (workload_id, idx, state, node, gpu_devices, ref, "
    "started_s, finished_s, exit_code, evicting, runs, stopped_why) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char workload_ids_sql[] = "SELECT id, name, project FROM workloads";
static const char event_insert_sql[] =
    "INSERT INTO events (workload_id, time_s, kind, message) VALUES (?1, ?2, ?3, ?4)";

static char *dump(json_t *j) {
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    if (!text)
        text = al__xstrdup("{}");
    return text;
}

int al__persist_queue_put(struct allotd *d, struct al__dqueue *q) {
    struct al__stmt *st = al__stmt_prepare(d->store, queue_put_sql);
    char *spec;
    int rc;
    if (!st)
        return -AL_EIO;
    spec = dump(al__queue_spec_json(q));
    al__stmt_bind_text(st, 1, q->name);
    al__stmt_bind_text(st, 2, q->project ? "project" : "department");
    al__stmt_bind_text(st, 3, spec);
    al__stmt_bind_int(st, 4, q->created_s);
    rc = al__stmt_run(st);
    free(spec);
    if (rc == 0 && q->id == 0)
        q->id = al__store_last_id(d->store); /* a new queue: its id */
    return rc;
}

/* One statement on the row of queue `name`. */
static int queue_named(struct allotd *d, const char *sql, const char *name) {
    struct al__stmt *st = al__stmt_prepare(d->store, sql);
    if (!st)
        return -AL_EIO;
    al__stmt_bind_text(st, 1, name);
    return al__stmt_run(st);
}

int al__persist_queue_delete(struct allotd *d, const char *name) {
    return queue_named(d, queue_delete_sql, name);
}

int al__persist_queue_deleting(struct allotd *d, const char *name) {
    return queue_named(d, queue_deleting_sql, name);
}

static void bind_opt(struct al__stmt *st, int index, bool present, int64_t value) {
    if (present)
        al__stmt_bind_int(st, index, value);
    else
        al__stmt_bind_null(st, index);
}

int al__persist_workload_update(struct allotd *d, const struct al__dworkload *w) {
    struct al__stmt *st = al__stmt_prepare(d->store, workload_update_sql);
    bool finished = w->finished_s >= 0;
    if (!st)
        return -AL_EIO;
    al__stmt_bind_int(st, 1, w->id);
    al__stmt_bind_text(st, 2, al__wstate_name(w->state));
    bind_opt(st, 3, finished, w->finished_s);
    bind_opt(st, 4, finished, w->exit_code);
    char codes[64];
    al__stmt_bind_text(st, 5, al__workload_reason_stored(w, codes, sizeof(codes)));
    al__stmt_bind_text(st, 6, w->reason);
    bind_opt(st, 7, w->started_s >= 0, w->started_s);
    al__stmt_bind_int(st, 8, w->restarts);
    al__stmt_bind_int(st, 9, w->over_time);
    bind_opt(st, 10, w->pending_since_s >= 0, w->pending_since_s);
    return al__stmt_run(st);
}

static char *devices_text(const struct al__dtask *t) {
    json_t *a = json_array();
    for (size_t i = 0; i < t->gpu_count; i++)
        json_array_append_new(a, json_integer(t->gpus[i]));
    /* its MIG instances, a string after the device numbers (read back by persist_load.c; an
     * allotd before them skips what is not a number) */
    if (t->mig_instances)
        json_array_append_new(a, json_string(t->mig_instances));
    return dump(a);
}

/* The task's row alone (a new workload's tasks: none has run). */
static int task_put(struct allotd *d, const struct al__dworkload *w, const struct al__dtask *t) {
    struct al__stmt *st = al__stmt_prepare(d->store, task_put_sql);
    bool finished = t->state == AL__T_SUCCEEDED || t->state == AL__T_FAILED;
    char *devices;
    int rc;
    if (!st)
        return -AL_EIO;
    devices = devices_text(t);
    al__stmt_bind_int(st, 1, w->id);
    al__stmt_bind_int(st, 2, t->index);
    al__stmt_bind_text(st, 3, al__tstate_name(t->state));
    al__stmt_bind_text(st, 4, t->node >= 0 ? al__state_node_name(&d->state, t->node) : NULL);
    al__stmt_bind_text(st, 5, devices);
    al__stmt_bind_text(st, 6, t->ref[0] ? t->ref : NULL);
    bind_opt(st, 7, t->started_s >= 0, t->started_s);
    bind_opt(st, 8, t->finished_s >= 0, t->finished_s);
    bind_opt(st, 9, finished, t->exit_code);
    al__stmt_bind_int(st, 10, t->evicting);
    al__stmt_bind_int(st, 11, t->runs);
    al__stmt_bind_text(st, 12, t->stopped_why);
    rc = al__stmt_run(st);
    free(devices);
    return rc;
}

int al__persist_task_update(struct allotd *d, const struct al__dworkload *w,
                            const struct al__dtask *t) {
    int rc = task_put(d, w, t);
    return rc < 0 ? rc : al__consumption_track(d, w, t); /* its run's row, in step */
}

int al__persist_workload_insert(struct allotd *d, struct al__dworkload *w) {
    struct al__stmt *st = al__stmt_prepare(d->store, workload_insert_sql);
    char *spec;
    int rc;
    if (!st)
        return -AL_EIO;
    spec = dump(al__workload_spec_json(&w->spec));
    al__stmt_bind_text(st, 1, w->name);
    al__stmt_bind_text(st, 2, w->project);
    al__stmt_bind_text(st, 3, spec);
    al__stmt_bind_text(st, 4, al__wstate_name(w->state));
    al__stmt_bind_int(st, 5, w->created_s);
    al__stmt_bind_text(st, 6, w->owner && w->owner[0] ? w->owner : NULL);
    rc = al__stmt_run(st);
    free(spec);
    if (rc < 0)
        return rc;
    w->id = al__store_last_id(d->store);
    for (int32_t i = 0; i < w->spec.workers; i++)
        if (task_put(d, w, &w->tasks[i]) < 0 ||
            (w->tasks[i].state != AL__T_PENDING && /* a mirror's, running already */
             al__consumption_track(d, w, &w->tasks[i]) < 0))
            return -AL_EIO;
    return 0;
}

int al__persist_workload_delete(struct allotd *d, const struct al__dworkload *w) {
    struct al__stmt *st = al__stmt_prepare(d->store, workload_delete_sql);
    if (!st)
        return -AL_EIO;
    al__stmt_bind_int(st, 1, w->id);
    return al__stmt_run(st);
}

int al__persist_event(struct allotd *d, const struct al__dworkload *w, const char *kind,
                      const char *fmt, ...) {
    struct al__stmt *st = al__stmt_prepare(d->store, event_insert_sql);
    char message[512];
    va_list ap;
    if (!st)
        return -AL_EIO;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    al__stmt_bind_int(st, 1, w->id);
    al__stmt_bind_int(st, 2, al__daemon_now());
    al__stmt_bind_text(st, 3, kind);
    al__stmt_bind_text(st, 4, message);
    return al__stmt_run(st);
}

int al__persist_resync(struct allotd *d) {
    struct al__stmt *st = al__stmt_prepare(d->store, workload_ids_sql);
    int64_t *gone = NULL;
    size_t gone_count = 0, gone_cap = 0;
    int rc = st ? 0 : -AL_EIO;

    /* rows of workloads that memory no longer has (their delete was rolled back); retired
     * ones are in the store only */
    while (st && (rc = al__stmt_step(st)) == 1) {
        const char *name = al__stmt_text(st, 1), *project = al__stmt_text(st, 2);
        int64_t id = al__stmt_int(st, 0);
        const struct al__dworkload *w =
            name && project ? al__state_workload(&d->state, project, name) : NULL;
        const struct al__retired *r =
            name && project ? al__state_retired(&d->state, project, name) : NULL;
        if ((!w || w->id != id) && (!r || r->id != id)) {
            al__xgrow(&gone, &gone_cap, gone_count + 1, sizeof(*gone));
            gone[gone_count++] = al__stmt_int(st, 0);
        }
    }
    for (size_t i = 0; rc == 0 && i < gone_count; i++) {
        struct al__dworkload w = {.id = gone[i]};
        rc = al__persist_workload_delete(d, &w);
    }
    free(gone);
    for (size_t i = 0; rc == 0 && i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        rc = al__persist_workload_update(d, w);
        for (int32_t k = 0; rc == 0 && k < w->spec.workers; k++)
            rc = al__persist_task_update(d, w, &w->tasks[k]);
    }
    return rc;
}

int al__persist_clear_mirrored(struct allotd *d) {
    static const char *const sql[] = {"DELETE FROM events", "DELETE FROM tasks",
                                      "DELETE FROM workloads", "DELETE FROM queues"};
    if (al__store_begin(d->store) < 0)
        return -AL_EIO;
    if (al__consumption_drop_open(d) < 0) { /* the sync opens them again */
        al__store_rollback(d->store);
        return -AL_EIO;
    }
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        struct al__stmt *st = al__stmt_prepare(d->store, sql[i]);
        if (!st || al__stmt_run(st) < 0) {
            al__store_rollback(d->store);
            return -AL_EIO;
        }
    }
    return al__store_commit(d->store) < 0 ? -AL_EIO : 0;
}
