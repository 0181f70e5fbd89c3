/* relay.c - relays of streams between clients and tasks, one thread each (see relay.h). A relay
 * that ended is joined by the next start or by the stop, so that threads never pile up. */
#define _GNU_SOURCE /* pipe2 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/relay.h"
#include "stream/pump.h"
#include "util/xalloc.h"

struct al__relay {
    struct al__relays *owner;
    pthread_t thread;
    int client, task;
    char *extra;
    size_t extra_len;
    void (*close_client)(void *arg);
    void *arg;
    bool done;
    bool tls; /* the client's ends are not passed on: end with the task's */
    struct al__relay *next;
};

int al__relays_init(struct al__relays *r) {
    r->list = NULL;
    r->count = 0;
    if (pipe2(r->stop, O_CLOEXEC) != 0)
        return -1;
    pthread_mutex_init(&r->lock, NULL);
    return 0;
}

bool al__relays_full(struct al__relays *r) {
    pthread_mutex_lock(&r->lock);
    bool full = r->count >= AL__RELAYS_MAX;
    pthread_mutex_unlock(&r->lock);
    return full;
}

static void *relay_run(void *arg) {
    struct al__relay *rl = arg;
    /* what the client sent along with its request goes first */
    if (rl->extra_len == 0 || al__write_all(rl->task, rl->extra, rl->extra_len) == 0)
        (rl->tls ? al__pump_to_end : al__pump)(rl->client, rl->task, rl->owner->stop[0]);
    close(rl->task);
    rl->close_client(rl->arg);
    pthread_mutex_lock(&rl->owner->lock);
    rl->done = true;
    rl->owner->count--;
    pthread_mutex_unlock(&rl->owner->lock);
    return NULL;
}

/* Joins and frees relays that ended (all of them with `all`, waiting for each). */
static void reap(struct al__relays *r, bool all) {
    pthread_mutex_lock(&r->lock);
    struct al__relay **at = &r->list;
    while (*at) {
        struct al__relay *rl = *at;
        if (!all && !rl->done) {
            at = &rl->next;
            continue;
        }
        *at = rl->next;
        pthread_mutex_unlock(&r->lock);
        pthread_join(rl->thread, NULL);
        free(rl->extra);
        free(rl);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
}

int al__relay_start(struct al__relays *r, int client, int task, const char *extra, size_t extra_len,
                    bool tls, void (*close_client)(void *arg), void *arg) {
    reap(r, false);
    struct al__relay *rl = al__xcalloc(1, sizeof(*rl));
    *rl = (struct al__relay){.owner = r,
                             .client = client,
                             .task = task,
                             .extra = extra_len ? al__xmalloc(extra_len) : NULL,
                             .extra_len = extra_len,
                             .tls = tls,
                             .close_client = close_client,
                             .arg = arg};
    if (extra_len)
        memcpy(rl->extra, extra, extra_len);
    setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &(int){1}, sizeof(int)); /* a client gone quiet */
    pthread_mutex_lock(&r->lock);
    bool room = r->count < AL__RELAYS_MAX;
    if (room && pthread_create(&rl->thread, NULL, relay_run, rl) == 0) {
        r->count++;
        rl->next = r->list;
        r->list = rl;
        pthread_mutex_unlock(&r->lock);
        return 0;
    }
    pthread_mutex_unlock(&r->lock);
    close(task);
    close_client(arg);
    free(rl->extra);
    free(rl);
    return -1;
}

void al__relays_stop(struct al__relays *r) {
    char byte = 1;
    if (write(r->stop[1], &byte, 1) < 0) { /* a pipe just made takes one byte */
    }
    reap(r, true);
    close(r->stop[0]);
    close(r->stop[1]);
    pthread_mutex_destroy(&r->lock);
}
