/* persist.h - allotd's state written to and read from the store (persist.c, persist_load.c). */
#ifndef ALLOT_DAEMON_PERSIST_H
#define ALLOT_DAEMON_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon.h"

/*
 * Persistence (persist.c): each function writes one change to the store inside the caller's
 * transaction (al__store_begin/commit). Returns 0 or -AL_EIO.
 */
int al__persist_load(struct allotd *d, char *err, size_t size);
/* al__persist_clear_mirrored - removes the queues and workloads (with their tasks and events)
 * the store holds: a mirroring backend's cluster is their truth, and its first sync brings
 * them back (the store is no more than a copy of it). Its own transaction. */
int al__persist_clear_mirrored(struct allotd *d);
/* al__persist_read_workload - workload `id` with its tasks as the store last committed it (a
 * retired one), read through the reader connection (its lock taken here), or NULL; the caller
 * frees it (al__workload_free). State lock held (node names). */
struct al__dworkload *al__persist_read_workload(struct allotd *d, int64_t id);
/* al__persist_queue_put - inserts or updates; a new queue (id 0) gets its id. */
int al__persist_queue_put(struct allotd *d, struct al__dqueue *q);
int al__persist_queue_delete(struct allotd *d, const char *name);
/* al__persist_queue_deleting - marks project `name` deleting (al__dqueue.deleting). */
int al__persist_queue_deleting(struct allotd *d, const char *name);
int al__persist_workload_insert(struct allotd *d, struct al__dworkload *w); /* sets w->id */
int al__persist_workload_update(struct allotd *d, const struct al__dworkload *w);
int al__persist_task_update(struct allotd *d, const struct al__dworkload *w,
                            const struct al__dtask *t);
int al__persist_workload_delete(struct allotd *d, const struct al__dworkload *w);
/* al__persist_resync - rewrites every workload and task row from memory and deletes the rows of
 * workloads memory no longer has: after a cycle's records failed (their events stay lost). */
int al__persist_resync(struct allotd *d);
int al__persist_event(struct allotd *d, const struct al__dworkload *w, const char *kind,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A list page read from the store (al__persist_read_page), in creation order: live workloads
 * are memory's (borrowed), the others were read from the store (owned). */
struct al__page {
    struct al__dworkload **items;
    bool *owned;
    size_t count;
    int64_t total; /* workloads matching, all pages */
};

/* al__persist_read_page - a page of the workloads of `project` in `state` (NULL: any), as the
 * store last committed them (the reader connection); `projects`, when not NULL, a JSON array
 * of the project names the page may hold instead (a caller who may see only some). 0 or
 * -AL_EIO; release the page either way. State lock held. */
int al__persist_read_page(struct allotd *d, const char *project, const char *projects,
                          const char *state, int64_t limit, int64_t offset, struct al__page *p);
void al__page_release(struct al__page *p);

#endif
