/* enforce.h - the variables that run a task holding a share of a device under liballot-cuda.so
 * (docs/cuda.md): computed here for every backend that starts the task's processes itself (the
 * local backend) or hands them to a container (a cluster's pod). */
#ifndef ALLOT_BACKENDS_ENFORCE_H
#define ALLOT_BACKENDS_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/backend.h"

/* The segment of a task's ledger is "/dev/shm/" AL__ENFORCE_SHM_PREFIX "LEDGER". */
#define AL__ENFORCE_SHM_PREFIX "allot-cuda-"
#define AL__ENFORCE_LEDGER_MAX 200 /* the library's limit on a ledger name */

/* What a task holding a share runs with: each value, "" when there is none. */
struct al__enforce_env {
    char memory_limit_mib[16 * 12]; /* ALLOT_GPU_MEMORY_LIMIT_MIB: "40960" or "40960,8192" */
    char ledger[AL__ENFORCE_LEDGER_MAX + 1]; /* ALLOT_TASK_LEDGER */
    /* Dynamic fractions (a limit above the request): memory_limit_mib is the limit; every share
     * has its request and the devices' segments, where the requests of all shares meet */
    char memory_request_mib[16 * 12]; /* ALLOT_GPU_MEMORY_REQUEST_MIB: the guaranteed part */
    char device_ledger[16 * 56];      /* ALLOT_GPU_DEVICE_LEDGER: "SCOPE-nNODE-gDEV,..." */
};

/* al__enforce_shares - whether s holds a share of its devices (a portion or a memory amount)
 * rather than whole devices: the tasks the library is for. */
bool al__enforce_shares(const struct al__task_start *s);

/* al__enforce_dynamic - whether s holds a share with a limit above its request (dynamic
 * fractions: it may grow into memory no other task's request needs). */
bool al__enforce_dynamic(const struct al__task_start *s);

/*
 * al__enforce_env_of - the cap and ledger of task s on node `node`: the cap per device in
 * s->gpus' order (CUDA_VISIBLE_DEVICES'), for a portion that share of the device's memory in MiB
 * rounded down, for a memory request the MiB asked; one integer where every device has the same
 * cap. The ledger is "SCOPE-WORKLOAD_ID-INDEX-RUN" (scope: what tells this allotd's tasks from
 * another's on the same machine, [A-Za-z0-9] only, at most 32 characters; "" for none): unique
 * per run of a task. Fills *out with "" values where s holds no share. A task with a dynamic
 * fraction's limit gets that limit as its cap; every share gets its request beside it (same
 * form) and one device segment name per device ("SCOPE-nNODE-gDEVICE", shared by every task on
 * that device).
 */
void al__enforce_env_of(const struct al__node *node, const struct al__task_start *s,
                        const char *scope, struct al__enforce_env *out);

/*
 * al__enforce_preload - LD_PRELOAD's value: `library` in front of the task's own preload
 * (`task_preload`, NULL or "" for none; the library is not repeated when it is in it already),
 * separated by a space as ld.so reads it. Allocated; the caller frees it. Aborts on
 * out-of-memory (allotd's policy).
 */
char *al__enforce_preload(const char *library, const char *task_preload);

#endif
