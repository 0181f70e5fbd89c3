/* loop.h - the scheduling loop (loop.c). */
#ifndef ALLOT_DAEMON_LOOP_H
#define ALLOT_DAEMON_LOOP_H

#include "daemon/daemon.h"

/* The scheduling loop (loop.c): runs until d->stopping. */
void al__loop_run(struct allotd *d);
/* al__loop_cycle - one pass: reap tasks, escalate stops, schedule, start. Takes both locks; the
 * commit runs with the store lock only. */
void al__loop_cycle(struct allotd *d);

#endif
