/* cuda_driver.h - the fake-driver tests' and the overhead benchmark's view of the driver: the
 * entry points they call, loaded from "libcuda.so.1" with dlopen and dlsym, as applications and
 * the CUDA runtime do (so that liballot-cuda.so, preloaded, sees the same lookups). */
#ifndef AL_TESTS_CUDA_DRIVER_H
#define AL_TESTS_CUDA_DRIVER_H

#include <dlfcn.h>
#include <string.h>

#include "cuda/cuda_api.h"

struct drv {
    void *lib;
    CUresult (*cuInit)(unsigned int);
    CUresult (*cuDeviceGet)(CUdevice *, int);
    CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
    CUresult (*cuCtxSetCurrent)(CUcontext);
    CUresult (*cuMemAlloc_v2)(CUdeviceptr *, size_t);
    CUresult (*cuMemFree_v2)(CUdeviceptr);
    CUresult (*cuMemAllocPitch_v2)(CUdeviceptr *, size_t *, size_t, size_t, unsigned int);
    CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned int);
    CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t, CUstream);
    CUresult (*cuMemAllocFromPoolAsync)(CUdeviceptr *, size_t, CUmemoryPool, CUstream);
    CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream);
    CUresult (*cuMemCreate)(CUmemGenericAllocationHandle *, size_t, const CUmemAllocationProp *,
                            unsigned long long);
    CUresult (*cuMemRelease)(CUmemGenericAllocationHandle);
    CUresult (*cuMemAddressReserve)(CUdeviceptr *, size_t, size_t, CUdeviceptr, unsigned long long);
    CUresult (*cuMemMap)(CUdeviceptr, size_t, size_t, CUmemGenericAllocationHandle,
                         unsigned long long);
    CUresult (*cuArrayCreate_v2)(CUarray *, const CUDA_ARRAY_DESCRIPTOR *);
    CUresult (*cuArray3DCreate_v2)(CUarray *, const CUDA_ARRAY3D_DESCRIPTOR *);
    CUresult (*cuArrayDestroy)(CUarray);
    CUresult (*cuMemGetInfo_v2)(size_t *, size_t *);
    CUresult (*cuDeviceTotalMem_v2)(size_t *, CUdevice);
    CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                               unsigned, unsigned, CUstream, void **, void **);
    CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
    CUresult (*cuGetProcAddress)(const char *, void **, int, cuuint64_t);
    CUresult (*cuGetProcAddress_v2)(const char *, void **, int, cuuint64_t,
                                    CUdriverProcAddressQueryResult *);
    int (*fakeCudaCalls)(const char *); /* the fake driver's only */
};

#define DRV_LOAD(d, name) memcpy(&(d)->name, &(void *){dlsym((d)->lib, #name)}, sizeof(void *))

/* Loads the driver and every entry point above; 0, or -1 when the library is not there. */
static inline int drv_load(struct drv *d) {
    memset(d, 0, sizeof *d);
    d->lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (!d->lib)
        return -1;
    DRV_LOAD(d, cuInit);
    DRV_LOAD(d, cuDeviceGet);
    DRV_LOAD(d, cuDevicePrimaryCtxRetain);
    DRV_LOAD(d, cuCtxSetCurrent);
    DRV_LOAD(d, cuMemAlloc_v2);
    DRV_LOAD(d, cuMemFree_v2);
    DRV_LOAD(d, cuMemAllocPitch_v2);
    DRV_LOAD(d, cuMemAllocManaged);
    DRV_LOAD(d, cuMemAllocAsync);
    DRV_LOAD(d, cuMemAllocFromPoolAsync);
    DRV_LOAD(d, cuMemFreeAsync);
    DRV_LOAD(d, cuMemCreate);
    DRV_LOAD(d, cuMemRelease);
    DRV_LOAD(d, cuMemAddressReserve);
    DRV_LOAD(d, cuMemMap);
    DRV_LOAD(d, cuArrayCreate_v2);
    DRV_LOAD(d, cuArray3DCreate_v2);
    DRV_LOAD(d, cuArrayDestroy);
    DRV_LOAD(d, cuMemGetInfo_v2);
    DRV_LOAD(d, cuDeviceTotalMem_v2);
    DRV_LOAD(d, cuLaunchKernel);
    DRV_LOAD(d, cuGraphLaunch);
    DRV_LOAD(d, cuGetProcAddress);
    DRV_LOAD(d, cuGetProcAddress_v2);
    DRV_LOAD(d, fakeCudaCalls);
    return d->cuInit && d->cuMemAlloc_v2 ? 0 : -1;
}

/* cuInit, then device dev's primary context made current on this thread. */
static inline CUresult drv_use_device(struct drv *d, int dev) {
    CUdevice device;
    CUcontext ctx;
    CUresult r = d->cuInit(0);
    if (r == CUDA_SUCCESS)
        r = d->cuDeviceGet(&device, dev);
    if (r == CUDA_SUCCESS)
        r = d->cuDevicePrimaryCtxRetain(&ctx, device);
    if (r == CUDA_SUCCESS)
        r = d->cuCtxSetCurrent(ctx);
    return r;
}

#endif
