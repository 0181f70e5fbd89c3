/* children.c - the local backend's children, reaped together (see children.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/local/children.h"
#include "util/xalloc.h"

struct child {
    char key[24];        /* its pid as text: the map's key */
    int64_t start_ticks; /* -1: reaped before it was added (then any start time matches) */
    bool ended;
    int status;
};

void al__children_init(struct al__children *c, void (*wake)(void *arg), void *wake_arg) {
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->more, NULL);
    al__strmap_init(&c->by_pid);
    c->wake = wake;
    c->wake_arg = wake_arg;
}

static void free_all(struct al__children *c) {
    for (size_t i = 0; i < c->by_pid.capacity; i++)
        if (c->by_pid.keys[i])
            free(c->by_pid.values[i]);
}

void al__children_release(struct al__children *c) {
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_signal(&c->more);
    pthread_mutex_unlock(&c->lock);
    if (c->reaping) {
        /* It may wait in waitpid for children that keep running: a child that ends at once
         * makes waitpid return (cancelling the thread instead unwinds a stack that
         * AddressSanitizer then finds poisoned). Reaped here unless the reaper did. */
        pthread_mutex_lock(&c->lock);
        pid_t nudge = c->waiting ? fork() : -1;
        pthread_mutex_unlock(&c->lock);
        if (nudge == 0)
            _exit(0);
        pthread_join(c->reaper, NULL);
        while (nudge > 0 && waitpid(nudge, NULL, 0) < 0 && errno == EINTR)
            continue;
    }
    pthread_cond_destroy(&c->more);
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

/* Child pid ended with status. Lock held. */
static void note_end(struct al__children *c, pid_t pid, int status) {
    char key[24];
    snprintf(key, sizeof(key), "%d", (int)pid);
    struct child *ch = al__strmap_get(&c->by_pid, key);
    if (!ch)
        ch = child_put(c, pid, -1); /* reaped before it was added */
    ch->ended = true;
    ch->status = status;
    c->ended = true;
}

/*
 * The reaper: waitpid blocks until a child ends (the kernel walks the children once per end,
 * not once per pass). With no child, it waits for one to be added; `added` read before waitpid
 * says whether one was added since it found none. It stops at the first return after
 * `stopping` is set (al__children_release makes one).
 */
static void *reaper(void *arg) {
    struct al__children *c = arg;
    int status;
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        uint64_t seen = c->added;
        c->waiting = true;
        pthread_mutex_unlock(&c->lock);
        pid_t pid = waitpid(-1, &status, 0);
        int failure = errno;
        pthread_mutex_lock(&c->lock);
        c->waiting = false;
        if (pid > 0) {
            note_end(c, pid, status);
            pthread_mutex_unlock(&c->lock);
            if (c->wake)
                c->wake(c->wake_arg);
            pthread_mutex_lock(&c->lock);
        } else if (failure == ECHILD) {
            while (!c->stopping && c->added == seen)
                pthread_cond_wait(&c->more, &c->lock);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
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
    c->added++;
    if (!c->reaping && !c->stopping)
        c->reaping = pthread_create(&c->reaper, NULL, reaper, c) == 0;
    pthread_cond_signal(&c->more);
    pthread_mutex_unlock(&c->lock);
}

bool al__children_refresh(struct al__children *c) {
    pthread_mutex_lock(&c->lock);
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
