/* routes_logs.c - /api/v1/workloads/NAME/logs (read or follow a task's output) and
 * /api/v1/workloads/NAME/events (its history from the store). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/tasks.h"
#include "daemon/time_text.h"
#include "util/xalloc.h"

#define READ_MAX (1024 * 1024) /* bytes one non-following request returns at most */

static const char events_sql[] =
    "SELECT time_s, kind, message FROM events WHERE workload_id = ?1 ORDER BY id "
    "LIMIT ?2 OFFSET ?3";
static const char events_count_sql[] = "SELECT count(*) FROM events WHERE workload_id = ?1";

struct follow {
    struct allotd *d;
    char workload[AL__NAME_MAX];
    char project[AL__NAME_MAX];
    int64_t workload_id;
    int32_t task;
    int64_t offset;
    char ref[AL__TASK_REF_MAX]; /* the task's, when the request came */
};

/* The task's output from offset, from its backend (which may be read without the lock); -1
 * with err when it cannot be read now. */
static ssize_t read_at(struct allotd *d, int64_t workload_id, int32_t task, const char *ref,
                       int64_t offset, char *buf, size_t max, char *err, size_t size) {
    struct al__task_key key = {workload_id, task};
    err[0] = '\0';
    return d->backend.type->log_read(&d->backend, key, ref, offset, buf, max, err, size);
}

/* Whether the followed task may still write: it is pending or running in a live workload (the
 * same one: a name can be reused once its workload is deleted). O(1). */
static bool still_writing(struct follow *f) {
    bool live = false;
    pthread_mutex_lock(&f->d->lock);
    const struct al__dworkload *w = al__state_workload(&f->d->state, f->project, f->workload);
    if (!f->d->stopping && w && w->id == f->workload_id) {
        enum al__tstate s = w->tasks[f->task].state;
        live =
            s == AL__T_PENDING || s == AL__T_RUNNING || s == AL__T_STOPPING || s == AL__T_PIPELINED;
    }
    pthread_mutex_unlock(&f->d->lock);
    return live;
}

/* Never waits: 0 when there is nothing yet (the connection is parked, see http.c), -1 at the
 * end. */
static ssize_t follow_read(void *ctx, uint64_t pos, char *buf, size_t max) {
    struct follow *f = ctx;
    (void)pos;
    bool live = still_writing(f); /* asked before reading: no output is lost at the end */
    char err[256];
    ssize_t n =
        read_at(f->d, f->workload_id, f->task, f->ref, f->offset, buf, max, err, sizeof(err));
    if (n > 0) {
        f->offset += n;
        return n;
    }
    return live ? 0 : -1;
}

/* Where tail= and since= (when given) have the output start: *offset moves later (never
 * earlier). -1 after answering 400 (a bad value, or a backend that does not offer them) or 503. */
static int log_window(struct allotd *d, const struct al__request *req, struct al__reply *rep,
                      const struct al__dworkload *w, int32_t task, int64_t *offset) {
    const char *since_text = al__query(req, "since");
    int64_t tail, since = -1, from;
    char err[512];
    if (al__query_int(req, rep, "tail", -1, 0, INT64_MAX, &tail) < 0)
        return -1;
    if (since_text && al__since_parse(since_text, al__daemon_now(), &since, err, sizeof(err)) < 0) {
        al__reply_error(rep, "invalid_argument", "since", "%s", err);
        return -1;
    }
    if (tail < 0 && since < 0)
        return 0;
    if (!d->backend.type->log_from) {
        al__reply_error(rep, "invalid_argument", tail >= 0 ? "tail" : "since",
                        "not offered by the %s backend: read the whole output",
                        d->backend.type->name);
        return -1;
    }
    struct al__task_key key = {w->id, task};
    if (d->backend.type->log_from(&d->backend, key, w->tasks[task].ref, since, tail, &from, err,
                                  sizeof(err)) < 0) {
        al__reply_error(rep, "unavailable", NULL, "the output of task %d: %s", (int)task, err);
        return -1;
    }
    if (from > *offset)
        *offset = from;
    return 0;
}

static void logs_of(struct allotd *d, const struct al__request *req, struct al__reply *rep,
                    const struct al__dworkload *w) {
    int64_t task, offset;
    bool follow;

    if (al__query_int(req, rep, "task", 0, 0, w->spec.workers - 1, &task) < 0 ||
        al__query_int(req, rep, "offset", 0, 0, INT64_MAX, &offset) < 0 ||
        al__query_bool(req, rep, "follow", false, &follow) < 0 ||
        log_window(d, req, rep, w, (int32_t)task, &offset) < 0)
        return;
    const char *ref = w->tasks[task].ref;
    rep->log_start = offset;
    if (follow) {
        rep->status = 200;
        struct follow *f = al__xcalloc(1, sizeof(*f));
        *f = (struct follow){d, "", "", w->id, (int32_t)task, offset, ""};
        snprintf(f->workload, sizeof(f->workload), "%s", w->name);
        snprintf(f->project, sizeof(f->project), "%s", w->project);
        snprintf(f->ref, sizeof(f->ref), "%s", ref);
        rep->stream = (struct al__stream){follow_read, free, f, NULL, false};
        return;
    }
    char err[512];
    char *text = al__xmalloc(READ_MAX);
    ssize_t n = read_at(d, w->id, (int32_t)task, ref, offset, text, READ_MAX, err, sizeof(err));
    if (n < 0) {
        free(text);
        al__reply_error(rep, "unavailable", NULL, "the output of task %d: %s", (int)task, err);
        return;
    }
    rep->status = 200;
    rep->text = text;
    rep->text_len = (size_t)n;
    rep->log_offset = offset + (int64_t)rep->text_len;
}

static void events_of(struct allotd *d, const struct al__request *req, struct al__reply *rep,
                      const struct al__dworkload *w) {
    struct al__stmt *st;
    int64_t limit, offset, total = 0;
    json_t *items;

    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    pthread_mutex_lock(&d->reader_lock); /* events are read from the last commit */
    st = al__stmt_prepare(d->reader, events_count_sql);
    if (!st)
        goto store_failed;
    al__stmt_bind_int(st, 1, w->id);
    if (al__stmt_step(st) == 1)
        total = al__stmt_int(st, 0);
    al__stmt_reset(st);
    st = al__stmt_prepare(d->reader, events_sql);
    if (!st)
        goto store_failed;
    al__stmt_bind_int(st, 1, w->id);
    al__stmt_bind_int(st, 2, limit);
    al__stmt_bind_int(st, 3, offset);
    items = json_array();
    while (al__stmt_step(st) == 1)
        json_array_append_new(
            items, json_pack("{s:I, s:s, s:s}", "time_s", (json_int_t)al__stmt_int(st, 0), "kind",
                             al__stmt_text(st, 1), "message", al__stmt_text(st, 2)));
    pthread_mutex_unlock(&d->reader_lock);
    al__list_reply(rep, items, (size_t)total, limit, offset);
    return;
store_failed:
    al__reply_error(rep, "internal", NULL, "store: %s", al__store_error(d->reader));
    pthread_mutex_unlock(&d->reader_lock);
}

void al__workload_logs(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__dworkload *retired, *w = al__workload_find(d, req, rep, &retired);
    if (w)
        logs_of(d, req, rep, w);
    al__workload_free(retired);
}

void al__workload_events(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__dworkload *retired, *w = al__workload_find(d, req, rep, &retired);
    if (w)
        events_of(d, req, rep, w);
    al__workload_free(retired);
}
