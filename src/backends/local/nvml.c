/* nvml.c - discovers this machine's NVIDIA GPUs through NVML, loaded at run time with dlopen, and
 * keeps it open to measure how busy they are and their memory used. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/local/local.h"

/* The few NVML declarations used here, from the public API reference (nvml.h is not needed to
 * build allotd, and the library may be absent at run time). */
struct nvml_device;           /* nvmlDevice_t is a pointer to this opaque struct */
struct nvml_memory {          /* nvmlMemory_t (v1) */
    unsigned long long total; /* bytes */
    unsigned long long free;
    unsigned long long used;
};
struct nvml_utilization { /* nvmlUtilization_t */
    unsigned int gpu;     /* percent of the last sample period a kernel ran */
    unsigned int memory;  /* percent of it device memory was read or written */
};
#define NVML_SUCCESS          0
#define NVML_NAME_BUFFER_SIZE 96 /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */

struct nvml_api {
    int (*init)(void);
    int (*shutdown)(void);
    int (*count)(unsigned int *count);
    int (*handle)(unsigned int index, struct nvml_device **device);
    int (*name)(struct nvml_device *device, char *name, unsigned int length);
    int (*memory)(struct nvml_device *device, struct nvml_memory *memory);
    int (*utilization)(struct nvml_device *device, struct nvml_utilization *u); /* may be NULL */
};

static int fail(char *err, size_t size, const char *what, const char *detail) {
    if (err && size)
        snprintf(err, size, "NVML: %s%s%s", what, detail ? ": " : "", detail ? detail : "");
    return -AL_ENOENT;
}

/* Stores the address of symbol name into *fn, a function pointer of fn_size bytes (memcpy
 * because ISO C has no conversion from void * to a function pointer; POSIX makes it valid). */
static int load(void *lib, const char *name, void *fn, size_t fn_size, char *err, size_t size) {
    void *sym = dlsym(lib, name);
    if (!sym || fn_size != sizeof sym)
        return fail(err, size, "the library lacks", name);
    memcpy(fn, &sym, fn_size);
    return 0;
}

#define LOAD(lib, field, name) load(lib, name, &api->field, sizeof api->field, err, size)

static int load_api(void *lib, struct nvml_api *api, char *err, size_t size) {
    int rc = LOAD(lib, init, "nvmlInit_v2");
    if (!rc)
        rc = LOAD(lib, shutdown, "nvmlShutdown");
    if (!rc)
        rc = LOAD(lib, count, "nvmlDeviceGetCount_v2");
    if (!rc)
        rc = LOAD(lib, handle, "nvmlDeviceGetHandleByIndex_v2");
    if (!rc)
        rc = LOAD(lib, name, "nvmlDeviceGetName");
    if (!rc)
        rc = LOAD(lib, memory, "nvmlDeviceGetMemoryInfo");
    return rc;
}

static int nvml_fail(char *err, size_t size, const char *call, unsigned int index, int code) {
    if (err && size)
        snprintf(err, size, "NVML: %s failed for device %u (NVML error %d)", call, index, code);
    return -AL_ENOENT;
}

/* Lists the devices of an initialised NVML into gpus; at most AL__LOCAL_MAX_GPUS are kept. */
static int list_devices(const struct nvml_api *api, struct al__local_gpu *gpus, size_t *n,
                        char *err, size_t size) {
    unsigned int count = 0;
    int code = api->count(&count);
    if (code != NVML_SUCCESS) {
        if (err && size)
            snprintf(err, size, "NVML: nvmlDeviceGetCount_v2 failed (NVML error %d)", code);
        return -AL_ENOENT;
    }
    if (count == 0)
        return fail(err, size, "no GPU found", NULL);
    if (count > AL__LOCAL_MAX_GPUS)
        count = AL__LOCAL_MAX_GPUS;
    for (unsigned int i = 0; i < count; i++) {
        struct nvml_device *dev = NULL;
        struct nvml_memory mem = {0, 0, 0};
        char name[NVML_NAME_BUFFER_SIZE] = "";
        if ((code = api->handle(i, &dev)) != NVML_SUCCESS)
            return nvml_fail(err, size, "nvmlDeviceGetHandleByIndex_v2", i, code);
        if ((code = api->memory(dev, &mem)) != NVML_SUCCESS)
            return nvml_fail(err, size, "nvmlDeviceGetMemoryInfo", i, code);
        if (api->name(dev, name, sizeof name) != NVML_SUCCESS)
            name[0] = '\0'; /* the model is optional */
        name[sizeof name - 1] = '\0';
        unsigned long long mib = mem.total / (1024ULL * 1024ULL);
        if (mib == 0)
            return nvml_fail(err, size, "nvmlDeviceGetMemoryInfo (0 MiB)", i, 0);
        gpus[i].memory_mib = mib > INT32_MAX ? INT32_MAX : (int32_t)mib;
        snprintf(gpus[i].model, sizeof gpus[i].model, "%.63s", name);
    }
    *n = count;
    return 0;
}

int al__local_discover_nvml(struct al__local_machine *inv, char *err, size_t size) {
    struct al__local_gpu gpus[AL__LOCAL_MAX_GPUS];
    struct nvml_api api;
    size_t n = 0;
    int code;
    void *lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        return fail(err, size, "cannot load the library", why ? why : "libnvidia-ml.so.1");
    }
    int rc = load_api(lib, &api, err, size);
    if (rc < 0)
        goto out;
    code = api.init();
    if (code != NVML_SUCCESS) {
        if (err && size)
            snprintf(err, size, "NVML: nvmlInit_v2 failed (NVML error %d)", code);
        rc = -AL_ENOENT;
        goto out;
    }
    rc = list_devices(&api, gpus, &n, err, size);
    api.shutdown();
    if (rc == 0) {
        memcpy(inv->gpus, gpus, n * sizeof gpus[0]);
        inv->gpu_count = n;
        inv->from_nvml = true;
    }
out:
    dlclose(lib);
    return rc;
}

/* NVML kept open: the library, its API and each device's handle. */
struct al__local_nvml {
    void *lib;
    struct nvml_api api;
    struct nvml_device *devices[AL__LOCAL_MAX_GPUS];
    unsigned int count;
};

struct al__local_nvml *al__local_nvml_open(void) {
    struct al__local_nvml *n = calloc(1, sizeof(*n));
    if (!n || !(n->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL)))
        goto fail;
    struct nvml_api *api = &n->api;
    char err[128];
    size_t size = sizeof(err);
    if (load_api(n->lib, api, err, size) < 0 ||
        LOAD(n->lib, utilization, "nvmlDeviceGetUtilizationRates") < 0)
        goto fail;
    if (api->init() != NVML_SUCCESS)
        goto fail;
    if (api->count(&n->count) != NVML_SUCCESS)
        n->count = 0;
    if (n->count > AL__LOCAL_MAX_GPUS)
        n->count = AL__LOCAL_MAX_GPUS;
    for (unsigned int i = 0; i < n->count; i++)
        if (api->handle(i, &n->devices[i]) != NVML_SUCCESS)
            n->devices[i] = NULL;
    if (n->count > 0)
        return n;
    api->shutdown();
fail:
    if (n && n->lib)
        dlclose(n->lib);
    free(n);
    return NULL;
}

int al__local_nvml_busy(struct al__local_nvml *n, unsigned int index, int *percent) {
    struct nvml_utilization u = {0, 0};
    if (!n || index >= n->count || !n->devices[index] ||
        n->api.utilization(n->devices[index], &u) != NVML_SUCCESS || u.gpu > 100)
        return -1;
    *percent = (int)u.gpu;
    return 0;
}

int al__local_nvml_memory_used(struct al__local_nvml *n, unsigned int index, int64_t *bytes) {
    struct nvml_memory mem = {0, 0, 0};
    if (!n || index >= n->count || !n->devices[index] ||
        n->api.memory(n->devices[index], &mem) != NVML_SUCCESS)
        return -1;
    *bytes = mem.used > INT64_MAX ? INT64_MAX : (int64_t)mem.used;
    return 0;
}

void al__local_nvml_close(struct al__local_nvml *n) {
    if (!n)
        return;
    n->api.shutdown();
    dlclose(n->lib);
    free(n);
}
