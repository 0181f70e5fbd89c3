/* mirror.h - allotd's state kept as a mirroring backend's cluster says (mirror.c). */
#ifndef ALLOT_DAEMON_MIRROR_H
#define ALLOT_DAEMON_MIRROR_H

#include <stdbool.h>

#include "daemon/api.h"
#include "daemon/daemon.h"
#include "daemon/service.h"

/* al__mirror_sync - the backend's changes applied to the state and written in the caller's
 * transaction; the first call takes everything (what the backend does not name is removed).
 * Both locks held; the backend has a sync op. */
void al__mirror_sync(struct allotd *d);

/* al__mirror_owned - the backend owns queues and workloads (it mirrors its cluster). */
bool al__mirror_owned(const struct allotd *d);

/*
 * The API's writes where the backend owns the objects: made in the cluster first (the backend's
 * write ops), so that allotd never changes them behind its back. Each returns 0 when the backend
 * owns nothing (the caller goes on as usual) or the cluster took the change; -1 with f filled
 * when it refused or failed. Called with allotd's locks held (a request to the cluster: a few
 * milliseconds).
 */
/* al__mirror_queue_write - a queue created (create) or changed: the caller then applies it to
 * the state as well (the mirror finds it there unchanged). */
int al__mirror_queue_write(struct allotd *d, const struct al__dqueue *q, bool create,
                           struct al__failure *f);
int al__mirror_queue_delete(struct allotd *d, const char *name, struct al__failure *f);
/* al__mirror_workload_delete - 1 when the cluster took it (the mirror removes the workload once
 * its objects are gone): the caller changes nothing itself. */
int al__mirror_workload_delete(struct allotd *d, const struct al__dworkload *w,
                               struct al__failure *f);

/* al__mirror_refuse - -1 with f filled (409 failed_precondition: not offered) where the
 * backend owns the workloads, for a change it takes no write op for (suspend, resume); else 0. */
int al__mirror_refuse(const struct allotd *d, const char *what, struct al__failure *f);

/* al__mirror_submit - POST /api/v1/workloads where the backend owns them: validated as any
 * submit (plus "image", the container's), created in the cluster, answered with the workload
 * once the mirror shows it (201), or 202 when it has not within 10 s. No lock held. */
void al__mirror_submit(struct allotd *d, json_t *body, struct al__reply *rep);

#endif
