/* lease.h - one active allotd among replicas: a coordination.k8s.io Lease, taken when it is free
 * or its holder stopped renewing it, renewed while held, with the API server's optimistic
 * concurrency (resourceVersion) deciding races. Expiry is judged by this process's own clock
 * (how long the lease's record has not changed), never by comparing clocks of two machines. */
#ifndef ALLOT_BACKENDS_KUBERNETES_LEASE_H
#define ALLOT_BACKENDS_KUBERNETES_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/kubernetes/client.h"

struct al__kube_lease {
    char namespace_[64];
    char name[254];
    char identity[254]; /* this replica ("host-pid") */
    int32_t duration_s; /* a holder that has not renewed for this long has lost it */
    /* What this replica last saw of the lease, and when (its monotonic clock, ms). */
    char holder[254];
    char record[600]; /* holder and renew time: when it changes, the holder is alive */
    int64_t record_seen_ms;
    int64_t renewed_ms; /* when this replica last took or renewed it, -1 = never */
};

void al__kube_lease_init(struct al__kube_lease *l, const char *ns, const char *name,
                         const char *identity, int32_t duration_s);

/*
 * al__kube_lease_try - one round: takes the lease if it is free or expired, renews it if held.
 * *leader says whether this replica holds it now. 0, or -AL_EIO with err (the API server
 * unreachable or refusing: not the leader then).
 */
int al__kube_lease_try(struct al__kube_client *c, struct al__kube_lease *l, bool *leader, char *err,
                       size_t size);

/* al__kube_lease_held - this replica renewed the lease within two thirds of its duration: it
 * may act as the leader (a holder that was paused longer must try again first). */
bool al__kube_lease_held(const struct al__kube_lease *l);

/* al__kube_lease_release - gives the lease up (if held) so that another replica takes it at
 * once instead of after it expires. */
int al__kube_lease_release(struct al__kube_client *c, struct al__kube_lease *l, char *err,
                           size_t size);

#endif
