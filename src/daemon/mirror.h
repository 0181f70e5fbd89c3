/* mirror.h - allotd's state kept as a mirroring backend's cluster says (mirror.c). */
#ifndef ALLOT_DAEMON_MIRROR_H
#define ALLOT_DAEMON_MIRROR_H

#include <stdbool.h>

#include "daemon/daemon.h"
#include "daemon/service.h"

/* al__mirror_sync - the backend's changes applied to the state and written in the caller's
 * transaction; the first call takes everything (what the backend does not name is removed).
 * Both locks held; the backend has a sync op. */
void al__mirror_sync(struct allotd *d);

/* al__mirror_refuse - true (f filled) when the backend owns queues and workloads: allotd's API
 * does not change them behind its back. */
bool al__mirror_refuse(const struct allotd *d, struct al__failure *f);

#endif
