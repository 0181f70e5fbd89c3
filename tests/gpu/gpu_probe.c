/* gpu_probe.c - liballot-cuda.so on a real NVIDIA GPU (tests/gpu/run builds and drives it): the
 * driver API through dlopen("libcuda.so.1") as the runtime reaches it, one check per mode:
 *   fill STEP_MIB        allocate until the driver refuses; print the MiB held
 *   work MIB SECONDS     hold MIB (more than half the cap: twice must fail), memset it over
 *                        and over for SECONDS; print the rounds, exit 0 when done
 *   caching              a caching allocator's pattern: large reservations, frees, again
 *   pairs N              N cuMemAlloc + cuMemFree pairs of 1 MiB; print ns per pair */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cuda/cuda_driver.h"

#define MIB ((size_t)1 << 20)

static struct drv d;
static CUresult (*memset_d8)(CUdeviceptr, unsigned char, size_t);
static CUresult (*ctx_sync)(void);

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int fill(size_t step_mib) {
    static CUdeviceptr p[65536];
    size_t n = 0;
    while (n < 65536 && d.cuMemAlloc_v2(&p[n], step_mib * MIB) == CUDA_SUCCESS)
        n++;
    size_t f = 0, t = 0;
    d.cuMemGetInfo_v2(&f, &t);
    printf("%zu %zu %zu\n", n * step_mib, f / MIB, t / MIB); /* held, free, total (MiB) */
    while (n > 0)
        d.cuMemFree_v2(p[--n]);
    return 0;
}

static int work(size_t mib, int seconds) {
    CUdeviceptr p;
    if (d.cuMemAlloc_v2(&p, mib * MIB) != CUDA_SUCCESS) {
        fprintf(stderr, "gpu_probe: cannot hold %zu MiB\n", mib);
        return 1;
    }
    CUdeviceptr extra;
    if (d.cuMemAlloc_v2(&extra, mib * MIB) == CUDA_SUCCESS) {
        fprintf(stderr, "gpu_probe: got twice the cap\n");
        return 1;
    }
    uint64_t end = now_ns() + (uint64_t)seconds * 1000000000ull;
    long rounds = 0;
    while (now_ns() < end) {
        if (memset_d8(p, (unsigned char)rounds, mib * MIB) != CUDA_SUCCESS ||
            ctx_sync() != CUDA_SUCCESS)
            return 1;
        rounds++;
    }
    printf("%ld\n", rounds);
    return d.cuMemFree_v2(p) == CUDA_SUCCESS ? 0 : 1;
}

/* Reserve a quarter of the cap three times, free them, reserve a half and two quarters (the
 * last must fail), free all: cuMemGetInfo follows every step. */
static int caching(void) {
    size_t f0, t;
    if (d.cuMemGetInfo_v2(&f0, &t) != CUDA_SUCCESS)
        return 1;
    size_t q = t / 4 / MIB * MIB;
    CUdeviceptr a[3], h, x;
    for (int i = 0; i < 3; i++)
        if (d.cuMemAlloc_v2(&a[i], q) != CUDA_SUCCESS)
            return 1;
    size_t f1;
    d.cuMemGetInfo_v2(&f1, &t);
    for (int i = 0; i < 3; i++)
        d.cuMemFree_v2(a[i]);
    int ok = d.cuMemAlloc_v2(&h, 2 * q) == CUDA_SUCCESS &&
             d.cuMemAllocAsync(&a[0], q, NULL) == CUDA_SUCCESS &&
             d.cuMemAlloc_v2(&x, q + 64 * MIB) == CUDA_ERROR_OUT_OF_MEMORY;
    d.cuMemFreeAsync(a[0], NULL);
    d.cuMemFree_v2(h);
    ctx_sync();
    size_t f2;
    d.cuMemGetInfo_v2(&f2, &t);
    printf("%d %zu %zu %zu\n", ok, f0 / MIB, f1 / MIB, f2 / MIB);
    return ok && f1 + 3 * q <= f0 + MIB && f2 + MIB >= f0 ? 0 : 1;
}

static int pairs(long n) {
    CUdeviceptr p;
    for (int i = 0; i < 100; i++)
        d.cuMemAlloc_v2(&p, MIB), d.cuMemFree_v2(p);
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        if (d.cuMemAlloc_v2(&p, MIB) != CUDA_SUCCESS || d.cuMemFree_v2(p) != CUDA_SUCCESS)
            return 1;
    printf("%.1f\n", (double)(now_ns() - t0) / (double)n);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || drv_load(&d) != 0 || drv_use_device(&d, 0) != CUDA_SUCCESS) {
        fprintf(stderr, "gpu_probe: no driver or no device\n");
        return 2;
    }
    void *m = dlsym(d.lib, "cuMemsetD8_v2"), *s = dlsym(d.lib, "cuCtxSynchronize");
    memcpy(&memset_d8, &m, sizeof m);
    memcpy(&ctx_sync, &s, sizeof s);
    if (strcmp(argv[1], "fill") == 0 && argc == 3)
        return fill((size_t)strtoul(argv[2], NULL, 10));
    if (strcmp(argv[1], "work") == 0 && argc == 4)
        return work((size_t)strtoul(argv[2], NULL, 10), (int)strtol(argv[3], NULL, 10));
    if (strcmp(argv[1], "caching") == 0)
        return caching();
    if (strcmp(argv[1], "pairs") == 0 && argc == 3)
        return pairs(strtol(argv[2], NULL, 10));
    fprintf(stderr, "usage: gpu_probe fill STEP_MIB | work MIB SECONDS | caching | pairs N\n");
    return 2;
}
