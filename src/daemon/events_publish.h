/* events_publish.h - what each change of a workload or a queue publishes to the event stream
 * (events.h; the types and fields are docs/api.md's "Events"). Called where the change is made,
 * under the state lock; each renders one small JSON object and does no I/O. Nothing happens
 * while the state has no ring (st->events NULL: loading the store, unit tests). */
#ifndef ALLOT_DAEMON_EVENTS_PUBLISH_H
#define ALLOT_DAEMON_EVENTS_PUBLISH_H

#include "daemon/state.h"

/* al__publish_workload - "workload.submitted", "workload.state" (with `previous`, the state it
 * left; NULL otherwise), "workload.reason" or "workload.deleted" of w, as w is now. */
void al__publish_workload(struct al__state *st, const struct al__dworkload *w, const char *type,
                          const char *previous);

/* al__publish_queue - "queue.created", "queue.updated" or "queue.deleted" of q, as q is now. */
void al__publish_queue(struct al__state *st, const struct al__dqueue *q, const char *type);

#endif
