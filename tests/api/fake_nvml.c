/* fake_nvml.c - a stand-in for libnvidia-ml.so.1, built and loaded by test_metrics.py: two
 * "NVIDIA H200" devices, the first measured (37 % busy, 1 GiB used), the second's utilisation
 * unknown (NVML_ERROR_NOT_SUPPORTED), so the metrics of a machine with NVML are checked on one
 * without a GPU. Only the calls allotd makes, as the public NVML reference declares them. */
#include <stdio.h>

struct nvml_memory {
    unsigned long long total, free, used;
};
struct nvml_utilization {
    unsigned int gpu, memory;
};

#define GIB (1024ULL * 1024ULL * 1024ULL)

static int devices[2] = {0, 1};

int nvmlInit_v2(void);
int nvmlShutdown(void);
int nvmlDeviceGetCount_v2(unsigned int *count);
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, int **device);
int nvmlDeviceGetName(int *device, char *name, unsigned int length);
int nvmlDeviceGetMemoryInfo(int *device, struct nvml_memory *memory);
int nvmlDeviceGetUtilizationRates(int *device, struct nvml_utilization *u);

int nvmlInit_v2(void) {
    return 0;
}

int nvmlShutdown(void) {
    return 0;
}

int nvmlDeviceGetCount_v2(unsigned int *count) {
    *count = 2;
    return 0;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, int **device) {
    if (index >= 2)
        return 2; /* NVML_ERROR_INVALID_ARGUMENT */
    *device = &devices[index];
    return 0;
}

int nvmlDeviceGetName(int *device, char *name, unsigned int length) {
    (void)device;
    snprintf(name, length, "NVIDIA H200");
    return 0;
}

int nvmlDeviceGetMemoryInfo(int *device, struct nvml_memory *memory) {
    memory->total = 141 * GIB;
    memory->used = *device == 0 ? GIB : 0;
    memory->free = memory->total - memory->used;
    return 0;
}

int nvmlDeviceGetUtilizationRates(int *device, struct nvml_utilization *u) {
    if (*device != 0)
        return 3; /* NVML_ERROR_NOT_SUPPORTED */
    u->gpu = 37;
    u->memory = 5;
    return 0;
}
