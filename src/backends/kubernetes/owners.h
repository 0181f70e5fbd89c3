/* owners.h - the owners pods are grouped by, read from the API server off allotd's loop
 * (owners.c). */
#ifndef ALLOT_BACKENDS_KUBERNETES_OWNERS_H
#define ALLOT_BACKENDS_KUBERNETES_OWNERS_H

#include <stdatomic.h>
#include <stdint.h>

#include "backends/kubernetes/client.h"
#include "backends/kubernetes/grouping.h"

struct al__kube_owners;

enum al__kube_owner_state {
    AL__OWNER_PENDING,    /* not read yet: asked for; resolved() is called once it is */
    AL__OWNER_TOP,        /* the top of its pods' group; *gang is the group's minimum */
    AL__OWNER_CONTROLLED, /* *controller is its controller (follow it up) */
};

/* al__kube_owners_start - the reader, with a client of its own; resolved(arg) is called (no
 * lock held) after each owner is read. NULL with err when no client can be made. */
struct al__kube_owners *al__kube_owners_start(const struct al__kube_credentials *creds,
                                              atomic_bool *stopping, void (*resolved)(void *arg),
                                              void *arg, char *err, size_t size);
/* al__kube_owners_stop - *stopping is set: ends the reader and frees everything. */
void al__kube_owners_stop(struct al__kube_owners *ow);

/* al__kube_owners_get - what is known of owner `of` (in namespace ns). Never blocks. */
enum al__kube_owner_state al__kube_owners_get(struct al__kube_owners *ow, const char *ns,
                                              const struct al__kube_owner *of,
                                              struct al__kube_owner *controller, int32_t *gang);

/* al__kube_owners_topology - the KAI topology annotations of top owner uid, once read; false
 * when it is not read (yet). */
bool al__kube_owners_topology(struct al__kube_owners *ow, const char *uid,
                              struct al__kube_topology_constraint *out);

#endif
