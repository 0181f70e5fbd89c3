/* gpu_claims.c - the local backend's view of dynamic fractions: what each of its tasks claims of
 * a device, read from the device's segment that liballot-cuda.so keeps (docs/cuda.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "backends/local/gpu_claims.h"
#include "cuda/device_ledger.h"

#define CLAIMS_MAX AL_CUDA_DEVICE_SLOTS

/* A ledger name "SCOPE-WORKLOAD_ID-INDEX-RUN" (enforce.h) of this scope, to its task's key. */
static bool key_of(const char *task, const char *scope, struct al__task_key *key) {
    size_t n = strlen(scope);
    long long id;
    int index, run;
    char end;
    if (n && (strncmp(task, scope, n) != 0 || task[n] != '-'))
        return false;
    if (sscanf(task + (n ? n + 1 : 0), "%lld-%d-%d%c", &id, &index, &run, &end) != 3 || id < 0 ||
        index < 0)
        return false;
    *key = (struct al__task_key){(int64_t)id, (int32_t)index};
    return true;
}

int al__local_gpu_claims(const char *scope, size_t node, int32_t device, struct al__gpu_claim *out,
                         size_t max, size_t *n) {
    struct al__device_claim claims[CLAIMS_MAX];
    char name[96], err[256];
    size_t count = 0;
    *n = 0;
    snprintf(name, sizeof(name), "%s%sn%zu-g%d", scope, scope[0] ? "-" : "", node, (int)device);
    if (al__device_ledger_read(name, claims, CLAIMS_MAX, &count, err, sizeof(err)) < 0)
        return -1;
    for (size_t i = 0; i < count && *n < max; i++) {
        struct al__gpu_claim *c = &out[*n];
        if (!key_of(claims[i].task, scope, &c->key))
            continue;
        c->request_mib = (int64_t)(claims[i].request >> 20);
        c->claim_mib = (int64_t)(claims[i].claim >> 20);
        (*n)++;
    }
    return 0;
}
