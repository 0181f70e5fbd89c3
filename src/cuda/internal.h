/* internal.h - liballot-cuda.so's shared state between its files: the configuration, the real
 * driver entry points, the ledger and the table of live allocations, and the wrappers it
 * exports (the only symbols it exports, besides dlsym). */
#ifndef AL_CUDA_INTERNAL_H
#define AL_CUDA_INTERNAL_H

#include <pthread.h>

#include "config.h"
#include "cuda_api.h"
#include "device_ledger.h"
#include "ledger.h"
#include "rate.h"
#include "sizemap.h"

#define AL_EXPORT __attribute__((visibility("default")))

/* The wrapped entry points: X(export name, return type, parameters, argument names). One list
 * makes the real pointers, the exported wrappers' prototypes and the lookup table. */
#define AL_CUDA_WRAPPED(X)                                                                         \
    X(cuMemAlloc_v2, (CUdeviceptr * dptr, size_t bytes), (dptr, bytes))                            \
    X(cuMemFree_v2, (CUdeviceptr dptr), (dptr))                                                    \
    X(cuMemAllocPitch_v2,                                                                          \
      (CUdeviceptr * dptr, size_t * pitch, size_t width, size_t height, unsigned int elem),        \
      (dptr, pitch, width, height, elem))                                                          \
    X(cuMemAllocManaged, (CUdeviceptr * dptr, size_t bytes, unsigned int flags),                   \
      (dptr, bytes, flags))                                                                        \
    X(cuMemAllocAsync, (CUdeviceptr * dptr, size_t bytes, CUstream s), (dptr, bytes, s))           \
    X(cuMemAllocAsync_ptsz, (CUdeviceptr * dptr, size_t bytes, CUstream s), (dptr, bytes, s))      \
    X(cuMemAllocFromPoolAsync, (CUdeviceptr * dptr, size_t bytes, CUmemoryPool p, CUstream s),     \
      (dptr, bytes, p, s))                                                                         \
    X(cuMemAllocFromPoolAsync_ptsz,                                                                \
      (CUdeviceptr * dptr, size_t bytes, CUmemoryPool p, CUstream s), (dptr, bytes, p, s))         \
    X(cuMemFreeAsync, (CUdeviceptr dptr, CUstream s), (dptr, s))                                   \
    X(cuMemFreeAsync_ptsz, (CUdeviceptr dptr, CUstream s), (dptr, s))                              \
    X(cuMemCreate,                                                                                 \
      (CUmemGenericAllocationHandle * h, size_t bytes, const CUmemAllocationProp *prop,            \
       unsigned long long flags),                                                                  \
      (h, bytes, prop, flags))                                                                     \
    X(cuMemRelease, (CUmemGenericAllocationHandle h), (h))                                         \
    X(cuArrayCreate_v2, (CUarray * a, const CUDA_ARRAY_DESCRIPTOR *d), (a, d))                     \
    X(cuArray3DCreate_v2, (CUarray * a, const CUDA_ARRAY3D_DESCRIPTOR *d), (a, d))                 \
    X(cuArrayDestroy, (CUarray a), (a))                                                            \
    X(cuMemGetInfo_v2, (size_t * free_bytes, size_t * total_bytes), (free_bytes, total_bytes))     \
    X(cuDeviceTotalMem_v2, (size_t * bytes, CUdevice dev), (bytes, dev))                           \
    X(cuLaunchKernel,                                                                              \
      (CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, \
       unsigned shared, CUstream s, void **params, void **extra),                                  \
      (f, gx, gy, gz, bx, by, bz, shared, s, params, extra))                                       \
    X(cuLaunchKernel_ptsz,                                                                         \
      (CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, \
       unsigned shared, CUstream s, void **params, void **extra),                                  \
      (f, gx, gy, gz, bx, by, bz, shared, s, params, extra))                                       \
    X(cuLaunchKernelEx, (const CUlaunchConfig *c, CUfunction f, void **params, void **extra),      \
      (c, f, params, extra))                                                                       \
    X(cuLaunchKernelEx_ptsz, (const CUlaunchConfig *c, CUfunction f, void **params, void **extra), \
      (c, f, params, extra))                                                                       \
    X(cuLaunchCooperativeKernel,                                                                   \
      (CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, \
       unsigned shared, CUstream s, void **params),                                                \
      (f, gx, gy, gz, bx, by, bz, shared, s, params))                                              \
    X(cuLaunchCooperativeKernel_ptsz,                                                              \
      (CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, \
       unsigned shared, CUstream s, void **params),                                                \
      (f, gx, gy, gz, bx, by, bz, shared, s, params))                                              \
    X(cuGraphLaunch, (CUgraphExec g, CUstream s), (g, s))                                          \
    X(cuGraphLaunch_ptsz, (CUgraphExec g, CUstream s), (g, s))                                     \
    X(cuGetProcAddress, (const char *sym, void **pfn, int version, cuuint64_t flags),              \
      (sym, pfn, version, flags))                                                                  \
    X(cuGetProcAddress_v2,                                                                         \
      (const char *sym, void **pfn, int version, cuuint64_t flags,                                 \
       CUdriverProcAddressQueryResult *status),                                                    \
      (sym, pfn, version, flags, status))

#define AL_DECLARE_EXPORT(name, params, args) AL_EXPORT CUresult name params;
AL_CUDA_WRAPPED(AL_DECLARE_EXPORT)
#undef AL_DECLARE_EXPORT

#define AL_DECLARE_REAL(name, params, args) CUresult(*name) params;
struct al__cuda_real {
    AL_CUDA_WRAPPED(AL_DECLARE_REAL)
    CUresult (*cuCtxGetDevice)(CUdevice *dev);
    CUresult (*cuDeviceGetUuid)(CUuuid *uuid, CUdevice dev);
};
#undef AL_DECLARE_REAL

struct al__cuda {
    struct al__cuda_config cfg;
    int config_error; /* the environment was malformed: fail closed */
    int enforce;      /* a memory limit is set: account every allocation */
    int throttle;     /* a compute share below 100 % is set, enforced by the launch limiter */
    int mps;          /* ... or by MPS's active thread percentage, set before main */
    void *lib;        /* the real driver */
    struct al__cuda_real real;
    struct al__ledger ledger;
    /* Dynamic fractions (cfg.dynamic): each visible device's segment; one that could not be
     * attached (shm NULL) keeps the task within its request there. */
    struct al__device_ledger devices[AL_CUDA_MAX_DEVICES];
    pthread_mutex_t map_lock;
    struct al__sizemap map;
    pthread_mutex_t rate_lock;
    struct al__rate rate;
    uint64_t rate_next_sample_ns;
};

extern struct al__cuda al__cuda;

/* Loads the configuration, the real driver and the ledger, once; returns 0 when the real driver
 * is there. Cheap after the first call. */
int al__cuda_ready(void);

/* The device of the calling thread's current context, 0 when there is none. */
int al__cuda_current_device(void);

/* Writes one line to stderr when ALLOT_CUDA_DEBUG=1. */
void al__cuda_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The compute share before a launch: sleeps as long as the limiter says. */
void al__cuda_throttle(void);

/* Initialises the limiter and finds a utilisation source (init only). */
void al__cuda_throttle_init(void);

#endif
