/* daemon.c - allotd's clock and the poke that asks its scheduling loop for a cycle: what
 * every part of allotd uses, kept out of the loop so that the parts do not depend on it. */
#include <time.h>

#include "daemon/daemon.h"

/* The simulator's clock where allotd runs on one (al__daemon_clock_set), else NULL. */
static const int64_t *virtual_now;

int64_t al__daemon_now(void) {
    return virtual_now ? *virtual_now : (int64_t)time(NULL);
}

void al__daemon_clock_set(const int64_t *now) {
    virtual_now = now;
}

void al__daemon_poke(struct allotd *d) {
    d->changed = true;
    pthread_cond_signal(&d->wake);
}
