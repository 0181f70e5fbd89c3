/* config.h - liballot-cuda.so's environment interface: the variables the local backend sets on
 * a task, parsed and validated in one place (see docs/cuda.md, "Environment"). */
#ifndef AL_CUDA_CONFIG_H
#define AL_CUDA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

#define AL_CUDA_NO_LIMIT UINT64_MAX

struct al__cuda_config {
    int memory_limited;                  /* ALLOT_GPU_MEMORY_LIMIT_MIB was set */
    uint64_t limit[AL_CUDA_MAX_DEVICES]; /* bytes per device; AL_CUDA_NO_LIMIT when not set */
    int limit_count;                     /* values ALLOT_GPU_MEMORY_LIMIT_MIB gave (1: all) */
    int compute_percent;                 /* ALLOT_GPU_COMPUTE_PERCENT, 1..100; 100: none */
    char ledger[201];                    /* ALLOT_TASK_LEDGER; "" = this process alone */
    int debug;                           /* ALLOT_CUDA_DEBUG=1 */
    char library[512];                   /* ALLOT_CUDA_LIBRARY, default libcuda.so.1 */
    /* Dynamic fractions: the limit above is a ceiling, the request the guaranteed part. */
    int dynamic;                                  /* ALLOT_GPU_MEMORY_REQUEST_MIB was set */
    uint64_t request[AL_CUDA_MAX_DEVICES];        /* bytes per device (as limit) */
    char device_ledger[AL_CUDA_MAX_DEVICES][201]; /* ALLOT_GPU_DEVICE_LEDGER, "" = none */
};

/* Reads the variables (ALLOT_GPU_MEMORY_REQUEST_MIB needs ALLOT_GPU_MEMORY_LIMIT_MIB at or above
 * it; ALLOT_GPU_DEVICE_LEDGER needs both and ALLOT_TASK_LEDGER; a request without device ledgers
 * keeps the task within its request) through get (getenv, or a test's table) into c. Returns 0, or
 * -1 with a message naming the variable and the value in err; then c holds a zero memory limit on
 * every device (the library fails closed). */
int al__cuda_config_parse(struct al__cuda_config *c, const char *(*get)(const char *name),
                          char *err, size_t errlen);

#endif
