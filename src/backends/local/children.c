/* children.c - the local backend's children, reaped together (see children.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "backends/local/children.h"
#include "util/xalloc.h"

struct child {
    char key[24];        /* its pid as text: the map's key */
    int64_t start_ticks; /* -1: reaped before it was added (then any start time matches) */
    bool ended;
    int status;
};

void al__children_init(struct al__children *c) {
    pthread_mutex_init(&c->lock, NULL);
    al__strmap_init(&c->by_pid);
}

static void free_all(struct al__children *c) {
    for (size_t i = 0; i < c->by_pid.capacity; i++)
        if (c->by_pid.keys[i])
            free(c->by_pid.values[i]);
}

void al__children_release(struct al__children *c) {
    free_all(c);
    al__strmap_release(&c->by_pid);
    pthread_mutex_destroy(&c->lock);
}

static struct child *child_put(struct al__children *c, pid_t pid, int64_t ticks) {
    struct child *ch = al__xcalloc(1, sizeof(*ch));
    snprintf(ch->key, sizeof(ch->key), "%d", (int)pid);
    ch->start_ticks = ticks;
    struct child *old = al__strmap_get(&c->by_pid, ch->key);
    if (old) { /* the pid was reused: the old child's end was never asked for */
        al__strmap_remove(&c->by_pid, old->key);
        free(old);
    }
    al__strmap_put(&c->by_pid, ch->key, ch);
    return ch;
}

void al__children_add(struct al__children *c, const struct al__proc *p) {
    char key[24];
    snprintf(key, sizeof(key), "%d", (int)p->pid);
    pthread_mutex_lock(&c->lock);
    struct child *ch = al__strmap_get(&c->by_pid, key);
    if (ch && ch->ended && ch->start_ticks < 0)
        ch->start_ticks = p->start_ticks; /* it ended before it was added */
    else
        child_put(c, p->pid, p->start_ticks);
    pthread_mutex_unlock(&c->lock);
}

/* Every child that ended since the last call, noted. Lock held. */
static void reap(struct al__children *c) {
    int status;
    pid_t pid;
    char key[24];
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0 || (pid < 0 && errno == EINTR)) {
        if (pid < 0)
            continue;
        snprintf(key, sizeof(key), "%d", (int)pid);
        struct child *ch = al__strmap_get(&c->by_pid, key);
        if (!ch)
            ch = child_put(c, pid, -1);
        ch->ended = true;
        ch->status = status;
        c->ended = true;
    }
}

bool al__children_refresh(struct al__children *c) {
    pthread_mutex_lock(&c->lock);
    reap(c);
    bool changed = c->ended || c->adopted;
    c->ended = c->adopted = false;
    pthread_mutex_unlock(&c->lock);
    return changed;
}

void al__children_adopted(struct al__children *c) {
    pthread_mutex_lock(&c->lock);
    c->adopted = true;
    pthread_mutex_unlock(&c->lock);
}

enum al__child_state al__children_check(struct al__children *c, const struct al__proc *p,
                                        int *status) {
    char key[24];
    enum al__child_state out = AL__CHILD_UNKNOWN;
    snprintf(key, sizeof(key), "%d", (int)p->pid);
    pthread_mutex_lock(&c->lock);
    struct child *ch = al__strmap_get(&c->by_pid, key);
    if (ch && (ch->start_ticks == p->start_ticks || ch->start_ticks < 0)) {
        out = ch->ended ? AL__CHILD_ENDED : AL__CHILD_RUNNING;
        if (ch->ended) {
            *status = ch->status;
            al__strmap_remove(&c->by_pid, ch->key);
            free(ch);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return out;
}
