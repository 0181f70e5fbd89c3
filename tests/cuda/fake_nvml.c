/* fake_nvml.c - a fake NVML (built as build/tests/cuda/libnvidia-ml.so.1) for the compute-share
 * tests: one device per UUID, and per-process utilisation samples for the calling process taken
 * from the fake driver's simulated utilisation (fakeCudaUtilization). */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The entry points are NVML's; their prototypes are in no header of ours. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

#define EXPORT __attribute__((visibility("default")))

typedef struct {
    unsigned int pid;
    unsigned long long timeStamp;
    unsigned int smUtil, memUtil, encUtil, decUtil;
} sample;

EXPORT int nvmlInit_v2(void) {
    return 0;
}

EXPORT int nvmlDeviceGetHandleByUUID(const char *uuid, void **h) {
    if (strncmp(uuid, "GPU-", 4) != 0 || strlen(uuid) != 40)
        return 6; /* NVML_ERROR_NOT_FOUND */
    *h = (void *)1;
    return 0;
}

EXPORT int nvmlDeviceGetProcessUtilization(void *h, sample *s, unsigned int *n,
                                           unsigned long long last_seen) {
    int (*util)(int);
    void *p = dlsym(RTLD_DEFAULT, "fakeCudaUtilization");
    struct timespec t;
    (void)h, (void)last_seen;
    if (!p)
        return 999; /* NVML_ERROR_UNKNOWN */
    if (*n < 1) {
        *n = 1;
        return 7; /* NVML_ERROR_INSUFFICIENT_SIZE */
    }
    memcpy(&util, &p, sizeof p);
    clock_gettime(CLOCK_REALTIME, &t);
    memset(s, 0, sizeof *s);
    s->pid = (unsigned int)getpid();
    s->timeStamp = (unsigned long long)t.tv_sec * 1000000ull + (unsigned long long)t.tv_nsec / 1000;
    s->smUtil = (unsigned int)util(0);
    *n = 1;
    return 0;
}
