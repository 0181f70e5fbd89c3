/* tasks.h - allotd's tasks carried out by its backend (tasks.c, tasks_life.c). */
#ifndef ALLOT_DAEMON_TASKS_H
#define ALLOT_DAEMON_TASKS_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/backend.h"
#include "daemon/daemon.h"

/*
 * Tasks and the backend (tasks.c). Lock held. A start has two steps, so that no task runs whose
 * placement could be lost: al__task_place records it (running on its node and devices, not
 * started yet) in the cycle's transaction and queues it; once that is committed,
 * al__tasks_start_placed starts the queued ones and records the backend's references. After a
 * crash in between, al__tasks_readopt asks the backend to find each one that was started, or
 * puts it back to pending.
 */
void al__task_place(struct allotd *d, struct al__dworkload *w, struct al__dtask *t);
/*
 * al__task_mig_assign - numbers the MIG instances task t of w holds on its node (tasks_mig.c):
 * for each profile its spec asks, the lowest indices no other task running or stopping there
 * holds, into t->mig_instances ("1g.10gb:0,1g.10gb:1"); NULL where its backend numbers none
 * (al__backend.mig_numbered false) or it asks none. Lock held. O(tasks holding resources).
 */
void al__task_mig_assign(struct allotd *d, const struct al__dworkload *w, struct al__dtask *t);
/*
 * al__task_mig_room - whether the MIG instances pw's pipelined tasks ask are free on their nodes
 * (tasks_mig.c): for each profile, what the other workloads' running and stopping tasks there
 * ask plus what pw's pipelined tasks there ask, within what the node offers. True for a
 * workload asking none. Lock held. O(pipelined tasks x profiles x tasks holding resources).
 */
bool al__task_mig_room(const struct allotd *d, const struct al__dworkload *pw);
/* Both locks held (the placements committed); both are let go while the backend starts them,
 * and a transaction for their records is begun. */
void al__tasks_start_placed(struct allotd *d);
/* al__tasks_unplace - the queued placements back to pending (their commit failed). */
void al__tasks_unplace(struct allotd *d);
/* al__task_started - the backend started t: one more run, whose start has said why the one
 * before stopped. */
void al__task_started(struct al__dtask *t);
/* al__task_stop - asks a started task to stop (the grace period starts). */
void al__task_stop(struct allotd *d, struct al__dworkload *w, struct al__dtask *t);
/* al__strings_of - a workload's command (an array) or environment (an object, as
 * "KEY=VALUE"; NULL: none), NULL-terminated; al__strings_free frees it. */
char **al__strings_of(const json_t *array_or_object);
void al__strings_free(char **v);
/* al__workload_reason - replaces w's pending reason (NULL code and text: none), and hands it to
 * a backend that shows reasons in its cluster. */
void al__workload_reason(struct allotd *d, struct al__dworkload *w, const char *code,
                         const char *text);
/* al__task_devices_text - "[0, 1]": the devices a task holds. Always NUL-terminated. */
void al__task_devices_text(const struct al__dtask *t, char *out, size_t size);
/* al__task_key - the backend's name for a task's place. */
struct al__task_key al__task_key(const struct al__dworkload *w, const struct al__dtask *t);
/* al__task_node - the inventory node a task is placed on; NULL when none or not in it. */
const struct al__node *al__task_node(const struct allotd *d, const struct al__dtask *t);
/* al__task_forget - the backend forgets every task of w: a workload that is deleted, or a new
 * one whose id an old one had (no output of another is ever shown). */
void al__task_forget(struct allotd *d, const struct al__dworkload *w);
/* al__workload_settle - w's state after one of its tasks changed (it was `before`), with an
 * event (and for one over its time limit, the reason) when it ended; persisted. */
void al__workload_settle(struct allotd *d, struct al__dworkload *w, enum al__wstate before);
/* al__tasks_poll - records exits, stops at once what outlived its grace period, removes deleted
 * workloads once stopped and projects being deleted once they have no workload; true if any
 * changed. */
bool al__tasks_poll(struct allotd *d);
/* al__tasks_readopt - at startup: keep live tasks, record the ones that ended or were lost. */
void al__tasks_readopt(struct allotd *d);

#endif
