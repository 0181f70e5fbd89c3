/* burst.h - dynamic fractions: room for a share's request on its devices (burst.c). */
#ifndef ALLOT_DAEMON_BURST_H
#define ALLOT_DAEMON_BURST_H

#include <stdbool.h>

#include "daemon/daemon.h"
#include "daemon/state.h"

/*
 * al__burst_make_room - task t of w holds a share and was just given its node and devices: on
 * each device where what the other tasks hold (each the more of its request and what the
 * backend says it uses) leaves less than t's request, evicts the tasks using more than their
 * request (largest burst first, then lowest priority) until it does not, each requeued with a
 * reason naming what it used and who needs it. Returns whether any was evicted (then t must
 * wait for them to exit). Nothing where the backend cannot tell what tasks use. Both locks held.
 */
bool al__burst_make_room(struct allotd *d, struct al__dworkload *w, struct al__dtask *t);

#endif
