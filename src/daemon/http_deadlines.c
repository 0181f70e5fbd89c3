/* http_deadlines.c - the deadlines of connections owing a request: kept in an unordered array
 * (each watch knows its slot), swept a few times a second by the HTTP server's waker thread. */
#define _DEFAULT_SOURCE
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon/http_deadlines.h"
#include "util/xalloc.h"

#define NOT_WATCHED ((size_t)-1)

struct al__watch {
    int fd;
    int64_t deadline_ms;
    size_t slot; /* in dl->watched, NOT_WATCHED when not there */
    bool upgraded;
};

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Both with dl->lock held. */
static void watch(struct al__deadlines *dl, struct al__watch *w, int64_t deadline_ms) {
    w->deadline_ms = deadline_ms;
    if (w->slot != NOT_WATCHED)
        return;
    al__xgrow(&dl->watched, &dl->cap, dl->count + 1, sizeof(*dl->watched));
    w->slot = dl->count;
    dl->watched[dl->count++] = w;
}

static void unwatch(struct al__deadlines *dl, struct al__watch *w) {
    if (w->slot == NOT_WATCHED)
        return;
    struct al__watch *last = dl->watched[--dl->count];
    dl->watched[w->slot] = last;
    last->slot = w->slot;
    w->slot = NOT_WATCHED;
}

void al__deadlines_init(struct al__deadlines *dl, int64_t head_s, int64_t idle_s) {
    *dl = (struct al__deadlines){.head_ms = head_s * 1000, .idle_ms = idle_s * 1000};
    pthread_mutex_init(&dl->lock, NULL);
}

void al__deadlines_release(struct al__deadlines *dl) {
    for (size_t i = 0; i < dl->count; i++)
        free(dl->watched[i]);
    free(dl->watched);
    pthread_mutex_destroy(&dl->lock);
}

struct al__watch *al__deadlines_open(struct al__deadlines *dl, int fd) {
    struct al__watch *w = al__xmalloc(sizeof(*w));
    *w = (struct al__watch){fd, 0, NOT_WATCHED, false};
    pthread_mutex_lock(&dl->lock);
    watch(dl, w, now_ms() + dl->head_ms);
    pthread_mutex_unlock(&dl->lock);
    return w;
}

void al__deadlines_served(struct al__deadlines *dl, struct al__watch *w) {
    pthread_mutex_lock(&dl->lock);
    unwatch(dl, w);
    pthread_mutex_unlock(&dl->lock);
}

void al__deadlines_idle(struct al__deadlines *dl, struct al__watch *w) {
    pthread_mutex_lock(&dl->lock);
    if (!w->upgraded)
        watch(dl, w, now_ms() + dl->idle_ms);
    pthread_mutex_unlock(&dl->lock);
}

void al__deadlines_upgraded(struct al__deadlines *dl, struct al__watch *w) {
    pthread_mutex_lock(&dl->lock);
    w->upgraded = true;
    unwatch(dl, w);
    pthread_mutex_unlock(&dl->lock);
}

void al__deadlines_close(struct al__deadlines *dl, struct al__watch *w) {
    pthread_mutex_lock(&dl->lock);
    unwatch(dl, w);
    pthread_mutex_unlock(&dl->lock);
    free(w);
}

void al__deadlines_expire(struct al__deadlines *dl) {
    int64_t now = now_ms();
    pthread_mutex_lock(&dl->lock);
    for (size_t i = 0; i < dl->count;) {
        struct al__watch *w = dl->watched[i];
        if (w->deadline_ms > now) {
            i++;
            continue;
        }
        shutdown(w->fd, SHUT_RDWR); /* its fd stays open until the server's close callback */
        unwatch(dl, w);             /* the last one moves into slot i */
    }
    pthread_mutex_unlock(&dl->lock);
}
