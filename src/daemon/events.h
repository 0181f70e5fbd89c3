/* events.h - the recent changes of workloads and queues, kept in memory for the event stream
 * (GET /api/v1/events, docs/api.md "Events"): a bounded ring of events, each with an id one
 * greater than the last, published where the state changes and read by followers that keep
 * their own place in it. The ring knows nothing of workloads: an event is its place (for the
 * readers' access checks), its kind and type, and its data already written as JSON. */
#ifndef ALLOT_DAEMON_EVENTS_H
#define ALLOT_DAEMON_EVENTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/names.h"

#define AL__EVENTS_DEFAULT 10000 /* events kept unless allotd is told otherwise */

enum al__event_kind { AL__EV_WORKLOAD, AL__EV_QUEUE };

struct al__event {
    uint64_t id;
    enum al__event_kind kind;
    bool department_only; /* a queue event of a department (checked as one) */
    char type[24];        /* "workload.state", ... (docs/api.md) */
    char department[AL__NAME_MAX], project[AL__NAME_MAX];
    char owner[96]; /* a workload's submitter, "" for none */
    char *data;     /* the event's JSON object, its id included */
};

struct al__events {
    /* A leaf lock: publishers take it under the state lock, readers alone. */
    pthread_mutex_t lock;
    struct al__event *ring;       /* grown up to cap, then reused oldest first */
    size_t cap, count, allocated; /* at most cap kept; count held; allocated slots */
    uint64_t first_id;            /* this run's first */
    uint64_t next_id; /* the id of the next event; the ring holds [next_id - count, next_id) */
    size_t followers; /* streams open now */
    /* Called after each event is appended (outside the ring's lock, under the state lock): the
     * HTTP server resumes parked followers at once. NULL for nothing. */
    void (*notify)(void *arg);
    void *notify_arg;
    bool closed; /* allotd is stopping: streams end */
};

/* al__events_init / _release - an empty ring of at most `cap` events (>= 1), the first to be
 * numbered `first_id` (>= 1); release frees what it holds (no stream may be reading it then). */
void al__events_init(struct al__events *ev, size_t cap, uint64_t first_id);
void al__events_release(struct al__events *ev);

/*
 * al__events_publish - appends an event of `kind` and `type` at `place` (department, project,
 * owner; NULL for ""), its data made by `render(ctx, id)` (a malloc'd JSON text with that id;
 * called once, under the ring's lock, so that ids are in order). The oldest event goes when the
 * ring is full. O(1); no I/O. Accepts a NULL ring (nothing kept).
 */
void al__events_publish(struct al__events *ev, enum al__event_kind kind, const char *type,
                        bool department_only, const char *department, const char *project,
                        const char *owner, char *(*render)(void *ctx, uint64_t id), void *ctx);

/* al__events_bounds - the oldest id the ring holds (next when empty) and the newest (0 when
 * none ever was). Takes the lock. */
void al__events_bounds(struct al__events *ev, uint64_t *oldest, uint64_t *newest);

/* al__events_close - allotd is stopping: `closed` is true from now on (streams end), and
 * notify is called no more once the caller holds the state lock (publishers hold it). */
void al__events_close(struct al__events *ev);

/*
 * The ring's lock must be held for the following: al__events_at gives the event with `id`, or
 * NULL when the ring no longer (or not yet) holds it; al__events_oldest the oldest id held.
 */
const struct al__event *al__events_at(const struct al__events *ev, uint64_t id);
uint64_t al__events_oldest(const struct al__events *ev);

#endif
