/* routes_events.c - GET /api/v1/events: the recent changes of workloads and queues from the
 * ring (events.h), as a JSON list or, with follow=1, as server-sent events that stay open -
 * resumed after Last-Event-ID (or since_id=), filtered by project= and kind=, and only what the
 * caller may read. A follower keeps its own place in the ring and nothing else: one that reads
 * too slowly to keep up is told to list again and dropped, and never costs memory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/api.h"
#include "daemon/events.h"
#include "util/xalloc.h"

#define KEEPALIVE_MS (15 * 1000) /* a comment this long after the last bytes sent */
#define BATCH_BYTES  (32 * 1024) /* what one follower renders at once, at most */
#define RETRY_MS     2000        /* how long browsers wait before they reconnect */

/* What the caller asked for and may see. */
struct filter {
    struct al__principal who;   /* a copy: the request's goes when it is answered */
    char project[AL__NAME_MAX]; /* "" for any */
    int kind;                   /* enum al__event_kind, -1 for any */
};

struct follower {
    struct al__events *ev;
    struct filter filter;
    uint64_t cursor; /* the last id looked at */
    bool started;    /* past the first read (a gap then is a resume too old, not slowness) */
    bool ending;     /* told to list again: ends once that is sent */
    char *out;       /* rendered and not yet handed over: [pos, len) */
    size_t len, pos, cap;
    int64_t last_sent_ms;
};

static int64_t monotonic_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Whether the filter lets e through and its principal may read what it is about. */
static bool visible(const struct filter *f, const struct al__event *e) {
    if ((f->kind >= 0 && (int)e->kind != f->kind) ||
        (f->project[0] && strcmp(f->project, e->project) != 0))
        return false;
    struct al__place place = {e->department, e->project, e->owner};
    enum al__resource res = e->kind == AL__EV_WORKLOAD ? AL__RES_WORKLOAD
                            : e->department_only       ? AL__RES_DEPARTMENT
                                                       : AL__RES_PROJECT;
    return al__may(&f->who, res, AL__VERB_READ, &place);
}

static void append(struct follower *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(struct follower *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    al__xgrow(&f->out, &f->cap, f->len + (size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(f->out + f->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    f->len += (size_t)n;
}

/* The event that tells a client it missed some and must list again. Ring lock held. */
static void append_reset(struct follower *f, const char *why) {
    uint64_t oldest = al__events_oldest(f->ev), last = f->ev->next_id - 1;
    append(f,
           "id: %llu\nevent: reset\ndata: {\"id\":%llu,\"type\":\"reset\",\"reason\":\"%s\","
           "\"oldest_id\":%llu}\n\n",
           (unsigned long long)last, (unsigned long long)last, why, (unsigned long long)oldest);
    f->cursor = last;
}

/* Renders what the ring has after the cursor, up to BATCH_BYTES. Ring lock held. */
static void take_events(struct follower *f) {
    struct al__events *ev = f->ev;
    if (f->cursor + 1 < al__events_oldest(ev) || f->cursor >= ev->next_id) {
        /* older than the ring holds (a slow reader, a resume from long ago), or an id of an
         * earlier allotd: what happened between is unknown */
        append_reset(f, f->started ? "the client read too slowly: list again"
                                   : "events since that id are no longer kept: list again");
        f->ending = f->started;
        return;
    }
    for (uint64_t id = f->cursor + 1; id < ev->next_id && f->len < BATCH_BYTES; id++) {
        const struct al__event *e = al__events_at(ev, id);
        f->cursor = id;
        if (visible(&f->filter, e))
            append(f, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)id, e->type,
                   e->data);
    }
}

/* Never waits: 0 when there is nothing to send now (the connection is parked), -1 at the end
 * (allotd stops, the caller's sign-in expired, or a slow reader was told to list again). */
static ssize_t follow_read(void *ctx, uint64_t pos, char *buf, size_t max) {
    struct follower *f = ctx;
    (void)pos;
    int64_t now = monotonic_ms();
    if (f->pos == f->len) {
        f->pos = f->len = 0;
        if (f->ending)
            return -1;
        if (f->filter.who.expires_s > 0 && al__daemon_now() >= f->filter.who.expires_s)
            return -1;
        pthread_mutex_lock(&f->ev->lock);
        bool closed = f->ev->closed;
        if (!closed)
            take_events(f);
        f->started = true;
        pthread_mutex_unlock(&f->ev->lock);
        if (closed)
            return -1;
        if (f->len == 0 && now - f->last_sent_ms >= KEEPALIVE_MS)
            append(f, ": keep-alive\n\n");
        if (f->len == 0)
            return 0;
    }
    size_t n = f->len - f->pos < max ? f->len - f->pos : max;
    memcpy(buf, f->out + f->pos, n);
    f->pos += n;
    f->last_sent_ms = now;
    return (ssize_t)n;
}

static void follow_done(void *ctx) {
    struct follower *f = ctx;
    pthread_mutex_lock(&f->ev->lock);
    f->ev->followers--;
    pthread_mutex_unlock(&f->ev->lock);
    free(f->out);
    free(f);
}

/* The filter of the request (project=, kind=); -1 after answering 400. */
static int filter_of(const struct al__request *req, struct al__reply *rep, struct filter *f) {
    const char *project = al__query(req, "project"), *kind = al__query(req, "kind");
    f->who = *req->who;
    f->project[0] = '\0';
    f->kind = -1;
    if (project && !al__name_valid(project)) {
        al__reply_error(rep, "invalid_argument", "project", "not a project name: \"%.80s\"",
                        project);
        return -1;
    }
    if (project)
        snprintf(f->project, sizeof(f->project), "%s", project);
    if (kind && strcmp(kind, "workload") != 0 && strcmp(kind, "queue") != 0) {
        al__reply_error(rep, "invalid_argument", "kind", "must be workload or queue, not \"%.80s\"",
                        kind);
        return -1;
    }
    if (kind)
        f->kind = strcmp(kind, "workload") == 0 ? AL__EV_WORKLOAD : AL__EV_QUEUE;
    return 0;
}

/* Where to start: since_id=, else the Last-Event-ID header (a browser's reconnection), else -1
 * (only what comes next, or the latest for a list). -2 after answering 400. */
static int64_t since_of(const struct al__request *req, struct al__reply *rep) {
    int64_t since;
    if (al__query(req, "since_id"))
        return al__query_int(req, rep, "since_id", 0, 0, INT64_MAX, &since) < 0 ? -2 : since;
    const char *header = req->last_event_id;
    if (!header)
        return -1;
    char *end;
    long long n = strtoll(header, &end, 10);
    if (header[0] < '0' || header[0] > '9' || *end || n < 0) {
        al__reply_error(rep, "invalid_argument", "Last-Event-ID",
                        "must be the id of an event, not \"%.40s\"", header);
        return -2;
    }
    return n;
}

/* The list: the events after `since` (or the latest when it is -1) the caller may see, at most
 * `limit`, oldest first. */
static void list_events(struct al__events *ev, const struct filter *filter, int64_t since,
                        int64_t limit, struct al__reply *rep) {
    json_t *items = json_array();
    pthread_mutex_lock(&ev->lock);
    uint64_t oldest = al__events_oldest(ev), next = ev->next_id;
    bool reset = since >= 0 && ((uint64_t)since + 1 < oldest || (uint64_t)since >= next);
    if (since < 0) { /* the latest `limit`, found from the newest back */
        uint64_t from = next;
        for (int64_t n = 0; from > oldest && n < limit;)
            if (visible(filter, al__events_at(ev, --from)))
                n++;
        since = (int64_t)from - 1;
    } else if (reset) {
        since = (int64_t)next - 1;
    }
    for (uint64_t id = (uint64_t)since + 1; id < next && json_array_size(items) < (size_t)limit;
         id++) {
        const struct al__event *e = al__events_at(ev, id);
        if (visible(filter, e))
            json_array_append_new(items, json_loads(e->data, 0, NULL));
    }
    pthread_mutex_unlock(&ev->lock);
    al__reply_json(rep, 200,
                   json_pack("{s:o, s:I, s:I, s:b}", "items", items, "oldest_id",
                             (json_int_t)oldest, "last_id", (json_int_t)(next - 1), "reset",
                             reset));
}

void al__events_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct filter filter;
    bool follow;
    int64_t limit, since;

    if (al__query_bool(req, rep, "follow", false, &follow) < 0 ||
        al__query_int(req, rep, "limit", 100, 1, 1000, &limit) < 0 ||
        filter_of(req, rep, &filter) < 0 || (since = since_of(req, rep)) == -2)
        return;
    if (!follow) {
        list_events(&d->events, &filter, since, limit, rep);
        return;
    }
    struct follower *f = al__xcalloc(1, sizeof(*f));
    f->ev = &d->events;
    f->filter = filter;
    pthread_mutex_lock(&d->events.lock);
    d->events.followers++;
    f->cursor = since >= 0 ? (uint64_t)since : d->events.next_id - 1;
    append(f, "retry: %d\n: allot events after %llu\n\n", RETRY_MS, (unsigned long long)f->cursor);
    pthread_mutex_unlock(&d->events.lock);
    f->last_sent_ms = monotonic_ms();
    rep->status = 200;
    rep->stream = (struct al__stream){follow_read, follow_done, f, "text/event-stream", true};
}
