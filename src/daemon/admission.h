/* admission.h - whether a submitted workload could ever run on the backend's nodes
 * (admission.c): a request no node could hold is refused at submit, as Slurm refuses "Requested
 * node configuration is not available", unless the submitter asks to queue it anyway. */
#ifndef ALLOT_DAEMON_ADMISSION_H
#define ALLOT_DAEMON_ADMISSION_H

#include <jansson.h>
#include <stddef.h>

#include "backends/backend.h"
#include "daemon/state.h"

/*
 * al__admission_check - 0 when one task of `spec` fits some node of `inv` as a whole (its GPUs
 * or its devices of enough memory, its CPU and memory, all on that one node; cordoned nodes
 * count, they may come back; its MIG instances of every profile), when the inventory has no
 * node yet (nothing to judge), or when
 * the submit body says "queue_anyway": true. Else -AL_EINVAL with field ("gpu", "mig",
 * "gpu_memory_mib", "gpu_device_count", "cpu_millis", "memory_bytes", "queue_anyway" when it is
 * not a boolean, "" when no one field is at fault) and a message with the numbers ("no node can
 * ever hold 9 GPUs per task: the largest has 4 ..."). O(nodes x devices).
 */
int al__admission_check(const struct al__inventory *inv, const json_t *body,
                        const struct al__wspec *spec, char *field, size_t fsize, char *msg,
                        size_t msize);

#endif
