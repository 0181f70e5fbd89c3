/* gpu_claims.h - what the local backend's tasks claim of a device (dynamic fractions). */
#ifndef ALLOT_BACKENDS_LOCAL_GPU_CLAIMS_H
#define ALLOT_BACKENDS_LOCAL_GPU_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"

/*
 * al__local_gpu_claims - the claims on device `device` of node `node` of the tasks of ledger
 * scope `scope` (cuda_inject.h), from the device's segment /dev/shm/allot-cuda-dev-SCOPE-nNODE-gDEV
 * (no segment: none), up to max into out and *n. 0, or -1 when the segment cannot be read.
 */
int al__local_gpu_claims(const char *scope, size_t node, int32_t device, struct al__gpu_claim *out,
                         size_t max, size_t *n);

#endif
