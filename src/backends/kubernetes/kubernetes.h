/* kubernetes.h - the Kubernetes backend (backend.c): a cluster scheduled as a drop-in for KAI
 * Scheduler. See docs/kubernetes.md. */
#ifndef ALLOT_BACKENDS_KUBERNETES_KUBERNETES_H
#define ALLOT_BACKENDS_KUBERNETES_KUBERNETES_H

#include "backends/backend.h"

extern const struct al__backend_type al__kubernetes_backend;

#endif
