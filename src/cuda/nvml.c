/* nvml.c - per-task GPU utilisation from NVML's per-process samples
 * (nvmlDeviceGetProcessUtilization), declared here from NVML's public documentation. */
#include "nvml.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct {
    unsigned int pid;
    unsigned long long timeStamp; /* microseconds */
    unsigned int smUtil;
    unsigned int memUtil;
    unsigned int encUtil;
    unsigned int decUtil;
} nvmlProcessUtilizationSample_t;

#define NVML_SUCCESS                 0
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_NOT_FOUND         6
#define MAX_SAMPLES                  256

static int (*nvml_init)(void);
static int (*nvml_by_uuid)(const char *, nvmlDevice_t *);
static int (*nvml_proc_util)(nvmlDevice_t, nvmlProcessUtilizationSample_t *, unsigned int *,
                             unsigned long long);
static unsigned long long last_seen[AL_CUDA_MAX_DEVICES];

static void *sym(void *lib, const char *name) {
    return dlsym(lib, name); /* not a driver name: glibc's answer */
}

int al__nvml_open(void) {
    void *lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return -1;
    void *a = sym(lib, "nvmlInit_v2"), *b = sym(lib, "nvmlDeviceGetHandleByUUID"),
         *c = sym(lib, "nvmlDeviceGetProcessUtilization");
    if (!a || !b || !c)
        return -1;
    memcpy(&nvml_init, &a, sizeof a);
    memcpy(&nvml_by_uuid, &b, sizeof b);
    memcpy(&nvml_proc_util, &c, sizeof c);
    return nvml_init() == NVML_SUCCESS ? 0 : -1;
}

static int is_task_pid(unsigned int pid, const struct al__ledger *ledger) {
    if (!ledger)
        return pid == (unsigned int)getpid();
    return al__ledger_has_pid(ledger, (int)pid);
}

int al__nvml_task_util(int dev, const unsigned char *u, const struct al__ledger *ledger) {
    char uuid[64];
    nvmlDevice_t h;
    static nvmlProcessUtilizationSample_t s[MAX_SAMPLES];
    if (!nvml_proc_util || dev < 0 || dev >= AL_CUDA_MAX_DEVICES)
        return -1;
    snprintf(uuid, sizeof uuid,
             "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    if (nvml_by_uuid(uuid, &h) != NVML_SUCCESS)
        return -1;
    unsigned int n = MAX_SAMPLES;
    int r = nvml_proc_util(h, s, &n, last_seen[dev]);
    if (r == NVML_ERROR_NOT_FOUND)
        return 0; /* no samples since last time: idle */
    if (r != NVML_SUCCESS)
        return -1;
    /* The newest sample of each of the task's processes, summed. */
    unsigned util = 0;
    for (unsigned i = 0; i < n && i < MAX_SAMPLES; i++) {
        if (s[i].timeStamp > last_seen[dev])
            last_seen[dev] = s[i].timeStamp;
        if (!is_task_pid(s[i].pid, ledger))
            continue;
        int newest = 1;
        for (unsigned k = 0; k < n && k < MAX_SAMPLES; k++)
            if (k != i && s[k].pid == s[i].pid && s[k].timeStamp > s[i].timeStamp)
                newest = 0;
        if (newest)
            util += s[i].smUtil;
    }
    return util > 100 ? 100 : (int)util;
}
