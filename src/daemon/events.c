/* events.c - the ring of recent events (events.h): appended to under the state lock, read by
 * followers under its own lock only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/events.h"
#include "util/xalloc.h"

void al__events_init(struct al__events *ev, size_t cap, uint64_t first_id) {
    memset(ev, 0, sizeof(*ev));
    pthread_mutex_init(&ev->lock, NULL);
    ev->cap = cap ? cap : 1;
    ev->first_id = ev->next_id = first_id ? first_id : 1;
}

void al__events_release(struct al__events *ev) {
    for (size_t i = 0; i < ev->count; i++)
        free(ev->ring[i].data);
    free(ev->ring);
    pthread_mutex_destroy(&ev->lock);
    memset(ev, 0, sizeof(*ev));
}

uint64_t al__events_oldest(const struct al__events *ev) {
    return ev->next_id - ev->count;
}

/* The slot of event `id`: the ring fills slots 0, 1... from its first id on, then wraps. */
static size_t slot(const struct al__events *ev, uint64_t id) {
    return (size_t)((id - ev->first_id) % ev->cap);
}

const struct al__event *al__events_at(const struct al__events *ev, uint64_t id) {
    if (id < al__events_oldest(ev) || id >= ev->next_id)
        return NULL;
    return &ev->ring[slot(ev, id)];
}

static void copy(char *dst, size_t size, const char *src) {
    snprintf(dst, size, "%s", src ? src : "");
}

void al__events_publish(struct al__events *ev, enum al__event_kind kind, const char *type,
                        bool department_only, const char *department, const char *project,
                        const char *owner, char *(*render)(void *ctx, uint64_t id), void *ctx) {
    if (!ev)
        return;
    pthread_mutex_lock(&ev->lock);
    uint64_t id = ev->next_id;
    struct al__event *e;
    if (ev->count < ev->cap) {
        al__xgrow(&ev->ring, &ev->allocated, ev->count + 1, sizeof(*ev->ring));
        e = &ev->ring[ev->count++];
    } else {
        e = &ev->ring[slot(ev, id)];
        free(e->data);
    }
    e->id = id;
    e->kind = kind;
    e->department_only = department_only;
    copy(e->type, sizeof(e->type), type);
    copy(e->department, sizeof(e->department), department);
    copy(e->project, sizeof(e->project), project);
    copy(e->owner, sizeof(e->owner), owner);
    e->data = render(ctx, id);
    ev->next_id++;
    void (*notify)(void *) = ev->followers > 0 ? ev->notify : NULL;
    void *arg = ev->notify_arg;
    pthread_mutex_unlock(&ev->lock);
    if (notify)
        notify(arg);
}

void al__events_bounds(struct al__events *ev, uint64_t *oldest, uint64_t *newest) {
    pthread_mutex_lock(&ev->lock);
    *oldest = al__events_oldest(ev);
    *newest = ev->next_id - 1;
    pthread_mutex_unlock(&ev->lock);
}

void al__events_close(struct al__events *ev) {
    pthread_mutex_lock(&ev->lock);
    ev->closed = true;
    ev->notify = NULL;
    pthread_mutex_unlock(&ev->lock);
}
