/* fake_libcuda.c - a fake CUDA driver (built as build/tests/cuda/libcuda.so.1) for testing
 * liballot-cuda.so without a GPU: the same entry points over host memory, FAKE_CUDA_DEVICES
 * devices (default 1) of FAKE_CUDA_MEMORY_MIB each (default 1024), a count of every call
 * (fakeCudaCalls), and a simulated utilisation (fakeCudaUtilization, which the fake NVML
 * reports: launches times
 * FAKE_CUDA_KERNEL_US, default 100 us, over the time since the last sample). FAKE_CUDA_CALL_NS
 * makes each allocation and free take that long (a busy wait), as a real driver's do. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cuda/cuda_api.h"

/* The entry points are the driver's; their prototypes are in no header of ours. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

#define EXPORT     __attribute__((visibility("default")))
#define MAX_DEV    16
#define HEADER     64 /* size and device, before the "device" bytes */
#define CALL_NAMES 64

EXPORT int fakeCudaCalls(const char *name);
EXPORT int fakeCudaUtilization(int dev);

static int devices = -1;
static uint64_t capacity;
static long call_ns;
static _Atomic uint64_t used[MAX_DEV];
static _Thread_local int current = -1; /* the device of this thread's context */

static struct {
    const char *name;
    _Atomic int n;
} calls[CALL_NAMES];

static void count(const char *name) {
    for (int i = 0; i < CALL_NAMES; i++) {
        const char *have = __atomic_load_n(&calls[i].name, __ATOMIC_ACQUIRE);
        if (!have) {
            const char *none = NULL;
            if (__atomic_compare_exchange_n(&calls[i].name, &none, name, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
                have = name;
            else
                have = none;
        }
        if (strcmp(have, name) == 0) {
            atomic_fetch_add(&calls[i].n, 1);
            return;
        }
    }
}

int fakeCudaCalls(const char *name) {
    for (int i = 0; i < CALL_NAMES; i++) {
        const char *have = __atomic_load_n(&calls[i].name, __ATOMIC_ACQUIRE);
        if (!have)
            return 0;
        if (strcmp(have, name) == 0)
            return atomic_load(&calls[i].n);
    }
    return 0;
}

static long env_long(const char *name, long dflt) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : dflt;
}

static void setup(void) {
    if (devices >= 0)
        return;
    long n = env_long("FAKE_CUDA_DEVICES", 1);
    capacity = (uint64_t)env_long("FAKE_CUDA_MEMORY_MIB", 1024) << 20;
    call_ns = env_long("FAKE_CUDA_CALL_NS", 0);
    devices = n < 0 ? 0 : n > MAX_DEV ? MAX_DEV : (int)n;
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void driver_time(void) {
    if (call_ns > 0) {
        uint64_t until = now_ns() + (uint64_t)call_ns;
        while (now_ns() < until)
            ;
    }
}

/* Host memory with a header; the bytes beyond the header are never touched (a large
 * allocation costs address space, not memory). */
static CUresult fake_alloc(CUdeviceptr *dptr, size_t bytes, int dev) {
    setup();
    driver_time();
    if (dev < 0)
        return CUDA_ERROR_INVALID_CONTEXT;
    if (!dptr || bytes == 0)
        return CUDA_ERROR_INVALID_VALUE;
    uint64_t cur = atomic_load(&used[dev]);
    do {
        if (bytes > capacity - cur)
            return CUDA_ERROR_OUT_OF_MEMORY;
    } while (!atomic_compare_exchange_weak(&used[dev], &cur, cur + bytes));
    char *p = malloc(HEADER + (bytes < 64 ? bytes : 64));
    if (!p) {
        atomic_fetch_sub(&used[dev], bytes);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    memcpy(p, &bytes, sizeof bytes);
    memcpy(p + sizeof bytes, &dev, sizeof dev);
    *dptr = (CUdeviceptr)(uintptr_t)(p + HEADER);
    return CUDA_SUCCESS;
}

static CUresult fake_free(CUdeviceptr dptr) {
    if (!dptr)
        return CUDA_ERROR_INVALID_VALUE;
    driver_time();
    char *p = (char *)(uintptr_t)dptr - HEADER;
    size_t bytes;
    int dev;
    memcpy(&bytes, p, sizeof bytes);
    memcpy(&dev, p + sizeof bytes, sizeof dev);
    atomic_fetch_sub(&used[dev], bytes);
    free(p);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuInit(unsigned int flags) {
    (void)flags;
    count("cuInit");
    setup();
    return devices > 0 ? CUDA_SUCCESS : CUDA_ERROR_NO_DEVICE;
}

EXPORT CUresult cuDriverGetVersion(int *v) {
    *v = 12040;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetCount(int *n) {
    setup();
    *n = devices;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGet(CUdevice *d, int ordinal) {
    setup();
    if (ordinal < 0 || ordinal >= devices)
        return CUDA_ERROR_INVALID_VALUE;
    *d = ordinal;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice d) {
    setup();
    if (d < 0 || d >= devices)
        return CUDA_ERROR_INVALID_VALUE;
    *ctx = (CUcontext)(uintptr_t)(d + 1);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxSetCurrent(CUcontext ctx) {
    current = ctx ? (int)(uintptr_t)ctx - 1 : -1;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetUuid(CUuuid *u, CUdevice d) {
    for (int i = 0; i < 16; i++)
        u->bytes[i] = (char)(d * 16 + i);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxGetDevice(CUdevice *d) {
    count("cuCtxGetDevice");
    if (current < 0)
        return CUDA_ERROR_INVALID_CONTEXT;
    *d = current;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytes) {
    count("cuMemAlloc_v2");
    return fake_alloc(dptr, bytes, current);
}

EXPORT CUresult cuMemFree_v2(CUdeviceptr dptr) {
    count("cuMemFree_v2");
    return fake_free(dptr);
}

EXPORT CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pitch, size_t width, size_t height,
                                   unsigned int elem) {
    count("cuMemAllocPitch_v2");
    (void)elem;
    *pitch = (width + 511) / 512 * 512;
    return fake_alloc(dptr, *pitch * height, current);
}

EXPORT CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytes, unsigned int flags) {
    (void)flags;
    count("cuMemAllocManaged");
    return fake_alloc(dptr, bytes, current);
}

EXPORT CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytes, CUstream s) {
    (void)s;
    count("cuMemAllocAsync");
    return fake_alloc(dptr, bytes, current);
}

EXPORT CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytes, CUstream s) {
    (void)s;
    count("cuMemAllocAsync_ptsz");
    return fake_alloc(dptr, bytes, current);
}

EXPORT CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytes, CUmemoryPool p,
                                        CUstream s) {
    (void)p, (void)s;
    count("cuMemAllocFromPoolAsync");
    return fake_alloc(dptr, bytes, current);
}

EXPORT CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytes, CUmemoryPool p,
                                             CUstream s) {
    (void)p, (void)s;
    count("cuMemAllocFromPoolAsync_ptsz");
    return fake_alloc(dptr, bytes, current);
}

EXPORT CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream s) {
    (void)s;
    count("cuMemFreeAsync");
    return fake_free(dptr);
}

EXPORT CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream s) {
    (void)s;
    count("cuMemFreeAsync_ptsz");
    return fake_free(dptr);
}

EXPORT CUresult cuMemsetD8_v2(CUdeviceptr p, unsigned char v, size_t n) {
    (void)p, (void)v, (void)n;
    count("cuMemsetD8_v2");
    return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxSynchronize(void) {
    return CUDA_SUCCESS;
}

/* Virtual memory management: a handle is a host allocation like any other; reserving and
 * mapping address ranges cost nothing. */
EXPORT CUresult cuMemCreate(CUmemGenericAllocationHandle *h, size_t bytes,
                            const CUmemAllocationProp *prop, unsigned long long flags) {
    (void)flags;
    count("cuMemCreate");
    CUdeviceptr p;
    CUresult r = fake_alloc(&p, bytes, prop->location.id);
    if (r == CUDA_SUCCESS)
        *h = p;
    return r;
}

EXPORT CUresult cuMemRelease(CUmemGenericAllocationHandle h) {
    count("cuMemRelease");
    return fake_free(h);
}

EXPORT CUresult cuMemAddressReserve(CUdeviceptr *p, size_t size, size_t align, CUdeviceptr addr,
                                    unsigned long long flags) {
    (void)align, (void)addr, (void)flags;
    count("cuMemAddressReserve");
    static _Atomic uint64_t next = 1ull << 40;
    *p = atomic_fetch_add(&next, (size + 0xfffff) & ~0xfffffull);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemMap(CUdeviceptr p, size_t size, size_t offset, CUmemGenericAllocationHandle h,
                         unsigned long long flags) {
    (void)p, (void)size, (void)offset, (void)h, (void)flags;
    count("cuMemMap");
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemUnmap(CUdeviceptr p, size_t size) {
    (void)p, (void)size;
    count("cuMemUnmap");
    return CUDA_SUCCESS;
}

static CUresult array_alloc(CUarray *a, size_t bytes) {
    CUdeviceptr p;
    CUresult r = fake_alloc(&p, bytes, current);
    if (r == CUDA_SUCCESS)
        *a = (CUarray)(uintptr_t)p;
    return r;
}

EXPORT CUresult cuArrayCreate_v2(CUarray *a, const CUDA_ARRAY_DESCRIPTOR *d) {
    count("cuArrayCreate_v2");
    return array_alloc(a, d->Width * (d->Height ? d->Height : 1) * d->NumChannels * 4);
}

EXPORT CUresult cuArray3DCreate_v2(CUarray *a, const CUDA_ARRAY3D_DESCRIPTOR *d) {
    count("cuArray3DCreate_v2");
    return array_alloc(a, d->Width * (d->Height ? d->Height : 1) * (d->Depth ? d->Depth : 1) *
                              d->NumChannels * 4);
}

EXPORT CUresult cuArrayDestroy(CUarray a) {
    count("cuArrayDestroy");
    return fake_free((CUdeviceptr)(uintptr_t)a);
}

EXPORT CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total_bytes) {
    count("cuMemGetInfo_v2");
    setup();
    if (current < 0)
        return CUDA_ERROR_INVALID_CONTEXT;
    *total_bytes = capacity;
    *free_bytes = capacity - atomic_load(&used[current]);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d) {
    count("cuDeviceTotalMem_v2");
    setup();
    if (d < 0 || d >= devices)
        return CUDA_ERROR_INVALID_VALUE;
    *bytes = capacity;
    return CUDA_SUCCESS;
}

/* Launches: counted; the utilisation they would cause is simulated. */
static _Atomic uint64_t launches;

static CUresult launch(const char *name) {
    count(name);
    atomic_fetch_add(&launches, 1);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                               unsigned by, unsigned bz, unsigned shared, CUstream s, void **params,
                               void **extra) {
    (void)f, (void)gx, (void)gy, (void)gz, (void)bx, (void)by, (void)bz, (void)shared, (void)s,
        (void)params, (void)extra;
    return launch("cuLaunchKernel");
}

EXPORT CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                    unsigned bx, unsigned by, unsigned bz, unsigned shared,
                                    CUstream s, void **params, void **extra) {
    (void)f, (void)gx, (void)gy, (void)gz, (void)bx, (void)by, (void)bz, (void)shared, (void)s,
        (void)params, (void)extra;
    return launch("cuLaunchKernel_ptsz");
}

EXPORT CUresult cuLaunchKernelEx(const CUlaunchConfig *c, CUfunction f, void **params,
                                 void **extra) {
    (void)c, (void)f, (void)params, (void)extra;
    return launch("cuLaunchKernelEx");
}

EXPORT CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                          unsigned bx, unsigned by, unsigned bz, unsigned shared,
                                          CUstream s, void **params) {
    (void)f, (void)gx, (void)gy, (void)gz, (void)bx, (void)by, (void)bz, (void)shared, (void)s,
        (void)params;
    return launch("cuLaunchCooperativeKernel");
}

EXPORT CUresult cuGraphLaunch(CUgraphExec g, CUstream s) {
    (void)g, (void)s;
    return launch("cuGraphLaunch");
}

int fakeCudaUtilization(int dev) {
    static uint64_t last_ns, last_launches;
    (void)dev;
    uint64_t now = now_ns();
    uint64_t n = atomic_load(&launches);
    int util = 0;
    if (last_ns && now > last_ns) {
        double busy = (double)(n - last_launches) * (double)env_long("FAKE_CUDA_KERNEL_US", 100);
        double pct = busy * 1000.0 * 100.0 / (double)(now - last_ns);
        util = pct > 100 ? 100 : (int)pct;
    }
    last_ns = now;
    last_launches = n;
    return util;
}

/* The driver's lookup: a base name and the version the caller was built for give one ABI. */
struct proc {
    const char *base;
    int since;
    int ptsz;
    const char *name;
};

static const struct proc procs[] = {
    {"cuInit", 0, 0, "cuInit"},
    {"cuDeviceGet", 0, 0, "cuDeviceGet"},
    {"cuDevicePrimaryCtxRetain", 0, 0, "cuDevicePrimaryCtxRetain"},
    {"cuCtxSetCurrent", 0, 0, "cuCtxSetCurrent"},
    {"cuCtxGetDevice", 0, 0, "cuCtxGetDevice"},
    {"cuMemAlloc", 3020, 0, "cuMemAlloc_v2"},
    {"cuMemFree", 3020, 0, "cuMemFree_v2"},
    {"cuMemAllocPitch", 3020, 0, "cuMemAllocPitch_v2"},
    {"cuMemAllocManaged", 0, 0, "cuMemAllocManaged"},
    {"cuMemAllocAsync", 0, 0, "cuMemAllocAsync"},
    {"cuMemAllocAsync", 0, 1, "cuMemAllocAsync_ptsz"},
    {"cuMemAllocFromPoolAsync", 0, 0, "cuMemAllocFromPoolAsync"},
    {"cuMemAllocFromPoolAsync", 0, 1, "cuMemAllocFromPoolAsync_ptsz"},
    {"cuMemFreeAsync", 0, 0, "cuMemFreeAsync"},
    {"cuMemFreeAsync", 0, 1, "cuMemFreeAsync_ptsz"},
    {"cuMemCreate", 0, 0, "cuMemCreate"},
    {"cuMemRelease", 0, 0, "cuMemRelease"},
    {"cuMemAddressReserve", 0, 0, "cuMemAddressReserve"},
    {"cuMemMap", 0, 0, "cuMemMap"},
    {"cuArrayCreate", 3020, 0, "cuArrayCreate_v2"},
    {"cuArray3DCreate", 3020, 0, "cuArray3DCreate_v2"},
    {"cuArrayDestroy", 0, 0, "cuArrayDestroy"},
    {"cuMemGetInfo", 3020, 0, "cuMemGetInfo_v2"},
    {"cuDeviceTotalMem", 3020, 0, "cuDeviceTotalMem_v2"},
    {"cuLaunchKernel", 0, 0, "cuLaunchKernel"},
    {"cuLaunchKernel", 0, 1, "cuLaunchKernel_ptsz"},
    {"cuLaunchKernelEx", 0, 0, "cuLaunchKernelEx"},
    {"cuLaunchCooperativeKernel", 0, 0, "cuLaunchCooperativeKernel"},
    {"cuGraphLaunch", 0, 0, "cuGraphLaunch"},
    {"cuGetProcAddress", 11030, 0, "cuGetProcAddress"},
    {"cuGetProcAddress", 12000, 0, "cuGetProcAddress_v2"},
};

EXPORT CUresult cuGetProcAddress(const char *sym, void **pfn, int version, cuuint64_t flags);
EXPORT CUresult cuGetProcAddress_v2(const char *sym, void **pfn, int version, cuuint64_t flags,
                                    CUdriverProcAddressQueryResult *status);

#define FN(f)                                                                                      \
    { #f, (void (*)(void))f }
static const struct {
    const char *name;
    void (*fn)(void);
} exports[] = {
    FN(cuInit),
    FN(cuDeviceGet),
    FN(cuDevicePrimaryCtxRetain),
    FN(cuCtxSetCurrent),
    FN(cuCtxGetDevice),
    FN(cuMemAlloc_v2),
    FN(cuMemFree_v2),
    FN(cuMemAllocPitch_v2),
    FN(cuMemAllocManaged),
    FN(cuMemAllocAsync),
    FN(cuMemAllocAsync_ptsz),
    FN(cuMemAllocFromPoolAsync),
    FN(cuMemAllocFromPoolAsync_ptsz),
    FN(cuMemFreeAsync),
    FN(cuMemFreeAsync_ptsz),
    FN(cuMemCreate),
    FN(cuMemRelease),
    FN(cuMemAddressReserve),
    FN(cuMemMap),
    FN(cuArrayCreate_v2),
    FN(cuArray3DCreate_v2),
    FN(cuArrayDestroy),
    FN(cuMemGetInfo_v2),
    FN(cuDeviceTotalMem_v2),
    FN(cuLaunchKernel),
    FN(cuLaunchKernel_ptsz),
    FN(cuLaunchKernelEx),
    FN(cuLaunchCooperativeKernel),
    FN(cuGraphLaunch),
    FN(cuGetProcAddress),
    FN(cuGetProcAddress_v2),
};
#undef FN

/* This library's own functions (linked -Bsymbolic: the preloaded library is not in the way). */
static void *self_symbol(const char *name) {
    for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++)
        if (strcmp(exports[i].name, name) == 0) {
            void *p;
            memcpy(&p, &exports[i].fn, sizeof p);
            return p;
        }
    return NULL;
}

CUresult cuGetProcAddress(const char *sym, void **pfn, int version, cuuint64_t flags) {
    count("cuGetProcAddress");
    const struct proc *best = NULL;
    int ptsz = (flags & 2) != 0;
    for (size_t i = 0; i < sizeof procs / sizeof procs[0]; i++) {
        const struct proc *p = &procs[i];
        if (strcmp(p->base, sym) != 0 || version < p->since)
            continue;
        if (p->ptsz && !ptsz)
            continue;
        if (!best || p->since > best->since || (p->ptsz && !best->ptsz))
            best = p;
    }
    *pfn = best ? self_symbol(best->name) : NULL;
    return *pfn ? CUDA_SUCCESS : CUDA_ERROR_NOT_FOUND;
}

CUresult cuGetProcAddress_v2(const char *sym, void **pfn, int version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult *status) {
    CUresult r = cuGetProcAddress(sym, pfn, version, flags);
    if (status)
        *status = r == CUDA_SUCCESS ? 0 : 1;
    return r;
}
