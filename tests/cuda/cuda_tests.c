/* cuda_tests.c - liballot-cuda.so against the fake driver, without a GPU: run with the library
 * preloaded and the fake first on the library path (the Makefile's cuda-test target). Each test
 * runs in a child process of its own with its own environment, since the library reads it once. */
#define _GNU_SOURCE /* setenv, usleep, pipe2 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cuda/ledger.h"
#include "cuda_driver.h"

#define MIB (1ull << 20)
/* Two pointers (to functions, or one of them a void *) hold the same address. */
#define SAME(a, b) (memcmp(&(a), &(b), sizeof(void *)) == 0)

static int failures;
static char ledger_name[64];

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: failed: %s\n", __FILE__, __LINE__, #cond);                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);             \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "  %s:%d: %s == %s failed: %llu != %llu\n", __FILE__, __LINE__, #a,    \
                    #b, a_, b_);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static struct drv d;

static void start(int dev) {
    if (drv_load(&d) != 0) {
        fprintf(stderr, "  cannot load the fake libcuda.so.1: %s\n", dlerror());
        exit(2);
    }
    CHECK_EQ(drv_use_device(&d, dev), CUDA_SUCCESS);
}

/* What the task holds on a device, read from its ledger (as another process would). */
static uint64_t ledger_used(int dev) {
    struct al__ledger l;
    uint64_t none[AL_CUDA_MAX_DEVICES];
    char err[256];
    memset(none, 0xff, sizeof none);
    if (al__ledger_attach(&l, ledger_name, none, err, sizeof err) != 0) {
        fprintf(stderr, "  %s\n", err);
        return UINT64_MAX;
    }
    uint64_t u = al__ledger_used(&l, dev);
    al__ledger_detach(&l);
    return u;
}

static size_t info_free(void) {
    size_t f = 0, t = 0;
    CHECK_EQ(d.cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    return f;
}

static void accounting_and_limit(void) {
    start(0);
    CUdeviceptr a, b;
    size_t f, t;
    CHECK_EQ(d.cuMemAlloc_v2(&a, 60 * MIB), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemAlloc_v2(&b, 50 * MIB), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ(d.fakeCudaCalls("cuMemAlloc_v2"), 1); /* the refused one never reached the driver */
    CHECK_EQ(d.cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    CHECK_EQ(t, 100 * MIB);
    CHECK_EQ(f, 40 * MIB);
    CHECK_EQ(ledger_used(0), 60 * MIB);
    CHECK_EQ(d.cuMemAlloc_v2(&b, 40 * MIB), CUDA_SUCCESS); /* exactly at the limit */
    CHECK_EQ(info_free(), 0);
    CHECK_EQ(d.cuMemFree_v2(a), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemFree_v2(b), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 0);
    CHECK_EQ(d.cuMemAlloc_v2(&a, 100 * MIB), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemFree_v2(a), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemFree_v2(0), CUDA_ERROR_INVALID_VALUE); /* not ours: the driver's answer */
    CHECK_EQ(ledger_used(0), 0);
}

static void every_entry_point(void) {
    start(0);
    CUdeviceptr p[6];
    size_t pitch, bytes;
    CHECK_EQ(d.cuMemAllocPitch_v2(&p[0], &pitch, 1000, 100, 4), CUDA_SUCCESS);
    CHECK_EQ(pitch, 1024);
    CHECK_EQ(ledger_used(0), 1024 * 100);
    CHECK_EQ(d.cuMemAllocManaged(&p[1], MIB, 1), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemAllocAsync(&p[2], MIB, NULL), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemAllocFromPoolAsync(&p[3], MIB, NULL, NULL), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 1024 * 100 + 3 * MIB);
    CHECK_EQ(d.cuMemAllocManaged(&p[4], 100 * MIB, 1), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ(d.cuMemAllocAsync(&p[4], 100 * MIB, NULL), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ(d.cuMemAllocFromPoolAsync(&p[4], 100 * MIB, NULL, NULL), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ(d.cuMemFree_v2(p[0]), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemFree_v2(p[1]), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemFreeAsync(p[2], NULL), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemFreeAsync(p[3], NULL), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 0);

    /* cuMemCreate counts once, however often it is mapped; host-located memory does not. */
    CUmemAllocationProp prop = {.type = 1, .location = {CU_MEM_LOCATION_TYPE_DEVICE, 0}};
    CUmemGenericAllocationHandle h, h2;
    CUdeviceptr va;
    CHECK_EQ(d.cuMemCreate(&h, 64 * MIB, &prop, 0), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemAddressReserve(&va, 128 * MIB, 0, 0, 0), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemMap(va, 64 * MIB, 0, h, 0), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemMap(va + 64 * MIB, 64 * MIB, 0, h, 0), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 64 * MIB);
    CHECK_EQ(d.cuMemCreate(&h2, 64 * MIB, &prop, 0), CUDA_ERROR_OUT_OF_MEMORY);
    CUmemAllocationProp host = {.type = 1, .location = {2, 0}};
    CHECK_EQ(d.cuMemCreate(&h2, 64 * MIB, &host, 0), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 64 * MIB);
    CHECK_EQ(d.cuMemRelease(h2), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemRelease(h), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 0);

    /* Arrays: width x height x depth x channels x element size. */
    CUarray a2, a3;
    CUDA_ARRAY_DESCRIPTOR d2 = {1024, 256, CU_AD_FORMAT_FLOAT, 4};
    CUDA_ARRAY3D_DESCRIPTOR d3 = {256, 256, 64, CU_AD_FORMAT_UNSIGNED_INT8, 2, 0};
    CHECK_EQ(d.cuArrayCreate_v2(&a2, &d2), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 4 * MIB);
    CHECK_EQ(d.cuArray3DCreate_v2(&a3, &d3), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 12 * MIB);
    CUDA_ARRAY3D_DESCRIPTOR big = {4096, 4096, 4, CU_AD_FORMAT_FLOAT, 1, 0};
    CHECK_EQ(d.cuArray3DCreate_v2(&a3, &big), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ(d.cuArrayDestroy(a2), CUDA_SUCCESS);
    CHECK_EQ(d.cuArrayDestroy(a3), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 0);

    CHECK_EQ(d.cuDeviceTotalMem_v2(&bytes, 0), CUDA_SUCCESS);
    CHECK_EQ(bytes, 100 * MIB);
    CHECK_EQ(d.cuLaunchKernel(NULL, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL), CUDA_SUCCESS);
    CHECK_EQ(d.cuGraphLaunch(NULL, NULL), CUDA_SUCCESS);
    CHECK_EQ(d.fakeCudaCalls("cuLaunchKernel"), 1);
}

/* The runtime's way: cuGetProcAddress(base name, the version it was built for, flags). */
static void proc_address(void) {
    start(0);
    CUresult (*alloc)(CUdeviceptr *, size_t) = NULL;
    CUresult (*alloc_async)(CUdeviceptr *, size_t, CUstream) = NULL;
    CUresult (*free_async)(CUdeviceptr, CUstream) = NULL;
    CUresult (*gpa)(const char *, void **, int, cuuint64_t) = NULL;
    CUdeviceptr a, b;
    CHECK_EQ(d.cuGetProcAddress("cuMemAlloc", (void **)&alloc, 12000, 0), CUDA_SUCCESS);
    CHECK(alloc && SAME(alloc, d.cuMemAlloc_v2)); /* the wrapper */
    CHECK_EQ(alloc(&a, 80 * MIB), CUDA_SUCCESS);
    CHECK_EQ(alloc(&b, 80 * MIB), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ(d.cuMemFree_v2(a), CUDA_SUCCESS);
    /* Per-thread default stream variants (flag 2). */
    CHECK_EQ(d.cuGetProcAddress_v2("cuMemAllocAsync", (void **)&alloc_async, 12000, 2, NULL),
             CUDA_SUCCESS);
    CHECK_EQ(d.cuGetProcAddress_v2("cuMemFreeAsync", (void **)&free_async, 12000, 2, NULL),
             CUDA_SUCCESS);
    CHECK_EQ(alloc_async(&a, 30 * MIB, NULL), CUDA_SUCCESS);
    CHECK_EQ(d.fakeCudaCalls("cuMemAllocAsync_ptsz"), 1);
    CHECK_EQ(ledger_used(0), 30 * MIB);
    CHECK_EQ(alloc_async(&b, 80 * MIB, NULL), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ(free_async(a, NULL), CUDA_SUCCESS);
    CHECK_EQ(d.fakeCudaCalls("cuMemFreeAsync_ptsz"), 1);
    CHECK_EQ(ledger_used(0), 0);
    /* cuGetProcAddress found through itself is wrapped too. */
    CHECK_EQ(d.cuGetProcAddress("cuGetProcAddress", (void **)&gpa, 11030, 0), CUDA_SUCCESS);
    CHECK(SAME(gpa, d.cuGetProcAddress));
    alloc = NULL;
    CHECK_EQ(gpa("cuMemAlloc", (void **)&alloc, 11030, 0), CUDA_SUCCESS);
    CHECK_EQ(alloc(&a, 101 * MIB), CUDA_ERROR_OUT_OF_MEMORY);
    /* Entry points we do not wrap come back as the driver gives them. */
    void *init = NULL;
    CHECK_EQ(d.cuGetProcAddress("cuInit", &init, 12000, 0), CUDA_SUCCESS);
    CHECK(SAME(init, d.cuInit));
}

/* Every wrapped entry point, by the driver's handle and by cuGetProcAddress (base name, the
 * version, the per-thread flag), is the library's wrapper: the function of that name that the
 * library exports (found first, since it is preloaded). */
static void every_lookup_is_wrapped(void) {
    static const struct {
        const char *name, *base;
        int version;
        unsigned long long flags;
    } rows[] = {
        {"cuMemAlloc_v2", "cuMemAlloc", 12000, 0},
        {"cuMemFree_v2", "cuMemFree", 12000, 2},
        {"cuMemAllocPitch_v2", "cuMemAllocPitch", 11000, 0},
        {"cuMemAllocManaged", "cuMemAllocManaged", 12000, 0},
        {"cuMemAllocAsync", "cuMemAllocAsync", 12000, 0},
        {"cuMemAllocAsync_ptsz", "cuMemAllocAsync", 12000, 2},
        {"cuMemAllocFromPoolAsync", "cuMemAllocFromPoolAsync", 12000, 1},
        {"cuMemAllocFromPoolAsync_ptsz", "cuMemAllocFromPoolAsync", 12000, 2},
        {"cuMemFreeAsync", "cuMemFreeAsync", 12000, 0},
        {"cuMemFreeAsync_ptsz", "cuMemFreeAsync", 12000, 2},
        {"cuMemCreate", "cuMemCreate", 12000, 0},
        {"cuMemRelease", "cuMemRelease", 12000, 0},
        {"cuArrayCreate_v2", "cuArrayCreate", 12000, 0},
        {"cuArray3DCreate_v2", "cuArray3DCreate", 12000, 0},
        {"cuArrayDestroy", "cuArrayDestroy", 12000, 0},
        {"cuMemGetInfo_v2", "cuMemGetInfo", 12000, 0},
        {"cuDeviceTotalMem_v2", "cuDeviceTotalMem", 12000, 0},
        {"cuLaunchKernel", "cuLaunchKernel", 12000, 0},
        {"cuLaunchKernel_ptsz", "cuLaunchKernel", 12000, 2},
        {"cuLaunchKernelEx", "cuLaunchKernelEx", 12000, 0},
        {"cuLaunchCooperativeKernel", "cuLaunchCooperativeKernel", 12000, 0},
        {"cuGraphLaunch", "cuGraphLaunch", 12000, 0},
        {"cuGetProcAddress", "cuGetProcAddress", 11080, 0},
        {"cuGetProcAddress_v2", "cuGetProcAddress", 12000, 0},
    };
    start(0);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        void *mine = dlsym(RTLD_DEFAULT, rows[i].name), *by_handle = dlsym(d.lib, rows[i].name);
        void *by_proc = NULL;
        CHECK_EQ(d.cuGetProcAddress(rows[i].base, &by_proc, rows[i].version, rows[i].flags),
                 CUDA_SUCCESS);
        if (!mine || by_handle != mine || by_proc != mine)
            fprintf(stderr, "  %s: not the wrapper\n", rows[i].name);
        CHECK(mine && by_handle == mine && by_proc == mine);
    }
}

/* dlsym on the driver's handle, and on RTLD_DEFAULT, gives the wrappers. */
static void dlsym_lookups(void) {
    start(0);
    CUresult (*alloc)(CUdeviceptr *, size_t);
    void *p = dlsym(RTLD_DEFAULT, "cuMemAlloc_v2");
    memcpy(&alloc, &p, sizeof p);
    CHECK(SAME(p, d.cuMemAlloc_v2));
    CUdeviceptr a;
    CHECK_EQ(alloc(&a, 101 * MIB), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK(dlsym(d.lib, "cuInit") != NULL);
    CHECK(dlsym(d.lib, "noSuchSymbol") == NULL);
    /* RTLD_NEXT stays relative to its caller (this program), not to the library: the next
     * dlsym after this program is the preloaded library's own. */
    void *next = dlsym(RTLD_NEXT, "dlsym"), *first = dlsym(RTLD_DEFAULT, "dlsym");
    CHECK(next != NULL && next == first);
}

/* The driver not found by the name the library loads (ALLOT_CUDA_LIBRARY names none here): the
 * one the application looked its functions up in serves. */
static void driver_found_through_the_application(void) {
    start(0);
    CUdeviceptr p;
    CHECK_EQ(d.cuMemAlloc_v2(&p, 101 * MIB), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ(d.cuMemAlloc_v2(&p, 60 * MIB), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 60 * MIB);
    CHECK_EQ(d.cuMemFree_v2(p), CUDA_SUCCESS);
}

struct racer_result {
    uint64_t held;
    int over_limit_seen;
};

/* One racing process: allocations of 1 to 8 MiB, most freed at once, some held; when the
 * limit refuses one, a held one is freed. Reports what it holds, waits, frees it all. */
static void racer(int seed, int report_fd, int go_fd) {
    CUdeviceptr held[32];
    uint64_t size[32];
    int nheld = 0;
    struct racer_result r = {0, 0};
    unsigned s = (unsigned)seed * 2654435761u;
    for (int i = 0; i < 2000; i++) {
        s = s * 1103515245u + 12345u;
        uint64_t bytes = (1 + (s >> 16) % 8) * MIB;
        CUdeviceptr p;
        if (d.cuMemAlloc_v2(&p, bytes) == CUDA_SUCCESS) {
            if (nheld < 32 && (s >> 8) % 4 == 0) {
                held[nheld] = p;
                size[nheld++] = bytes;
            } else {
                CHECK_EQ(d.cuMemFree_v2(p), CUDA_SUCCESS);
            }
        } else if (nheld > 0) {
            nheld--;
            CHECK_EQ(d.cuMemFree_v2(held[nheld]), CUDA_SUCCESS);
        }
        if (i % 16 == 0 && ledger_used(0) > 64 * MIB)
            r.over_limit_seen = 1;
    }
    for (int k = 0; k < nheld; k++)
        r.held += size[k];
    if (write(report_fd, &r, sizeof r) != sizeof r)
        _exit(3);
    char c;
    if (read(go_fd, &c, 1) < 0) /* the parent has read the ledger: free and go */
        _exit(3);
    while (nheld > 0)
        CHECK_EQ(d.cuMemFree_v2(held[--nheld]), CUDA_SUCCESS);
    _exit(failures ? 1 : 0);
}

static void racing_processes(void) {
    enum { N = 6 };
    int report[2], go[2];
    pid_t pid[N];
    start(0); /* forked after initialisation: each child claims its own row */
    CHECK(pipe(report) == 0 && pipe(go) == 0);
    for (int i = 0; i < N; i++) {
        pid[i] = fork();
        if (pid[i] == 0) {
            close(report[0]);
            close(go[1]);
            racer(i + 1, report[1], go[0]);
        }
    }
    close(report[1]);
    close(go[0]);
    int over = 0;
    uint64_t held = 0;
    for (int i = 0; i < N; i++) {
        struct racer_result r;
        CHECK_EQ(read(report[0], &r, sizeof r), sizeof r);
        over |= r.over_limit_seen;
        held += r.held;
    }
    CHECK(!over);
    CHECK_EQ(ledger_used(0), held); /* exact, all processes together */
    CHECK(held <= 64 * MIB);
    CHECK_EQ(info_free(), 64 * MIB - held);
    close(go[1]);
    for (int i = 0; i < N; i++) {
        int st;
        CHECK_EQ(waitpid(pid[i], &st, 0), pid[i]);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    CHECK_EQ(ledger_used(0), 0);
}

/* A process killed while it holds memory: its bytes come back to the task. */
static void killed_process_gives_back(void) {
    int ready[2];
    start(0);
    CHECK(pipe(ready) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        CUdeviceptr p;
        char c = d.cuMemAlloc_v2(&p, 50 * MIB) == CUDA_SUCCESS ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1)
            _exit(3);
        pause();
        _exit(0);
    }
    char c = 0;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    CHECK_EQ(c, 'y');
    CHECK_EQ(ledger_used(0), 50 * MIB);
    kill(pid, SIGKILL);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CUdeviceptr p;
    CHECK_EQ(d.cuMemAlloc_v2(&p, 60 * MIB), CUDA_SUCCESS); /* reclaims the dead row first */
    CHECK_EQ(ledger_used(0), 60 * MIB);
    CHECK_EQ(d.cuMemFree_v2(p), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 0);
}

/* Fork after initialisation: the child shares the task's cap, not its parent's allocations. */
static void fork_after_init(void) {
    start(0);
    CUdeviceptr p;
    CHECK_EQ(d.cuMemAlloc_v2(&p, 30 * MIB), CUDA_SUCCESS);
    pid_t pid = fork();
    if (pid == 0) {
        CUdeviceptr q, r;
        CHECK_EQ(drv_use_device(&d, 0), CUDA_SUCCESS);
        CHECK_EQ(d.cuMemAlloc_v2(&q, 30 * MIB), CUDA_SUCCESS);
        CHECK_EQ(d.cuMemAlloc_v2(&r, 10 * MIB), CUDA_ERROR_OUT_OF_MEMORY);
        CHECK_EQ(ledger_used(0), 60 * MIB);
        _exit(failures ? 1 : 0); /* exits holding q: reclaimed when needed */
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CUdeviceptr q;
    CHECK_EQ(d.cuMemAlloc_v2(&q, 34 * MIB), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 64 * MIB);
    CHECK_EQ(d.cuMemFree_v2(p), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemFree_v2(q), CUDA_SUCCESS);
    CHECK_EQ(ledger_used(0), 0);
}

struct thread_arg {
    int dev;
    int failures;
};

static void *device_thread(void *v) {
    struct thread_arg *a = v;
    if (drv_use_device(&d, a->dev) != CUDA_SUCCESS)
        a->failures++;
    for (int i = 0; i < 2000; i++) {
        CUdeviceptr p;
        if (d.cuMemAlloc_v2(&p, MIB) != CUDA_SUCCESS || d.cuMemFree_v2(p) != CUDA_SUCCESS)
            a->failures++;
    }
    return NULL;
}

/* Two devices with their own caps (ALLOT_GPU_MEMORY_LIMIT_MIB=100,50), threads on each. */
static void several_devices(void) {
    start(0);
    CUdeviceptr a, b;
    size_t f, t;
    CHECK_EQ(d.cuMemAlloc_v2(&a, 80 * MIB), CUDA_SUCCESS);
    CHECK_EQ(drv_use_device(&d, 1), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemAlloc_v2(&b, 60 * MIB), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ(d.cuMemAlloc_v2(&b, 40 * MIB), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemGetInfo_v2(&f, &t), CUDA_SUCCESS);
    CHECK_EQ(t, 50 * MIB);
    CHECK_EQ(f, 10 * MIB);
    CHECK_EQ(ledger_used(0), 80 * MIB);
    CHECK_EQ(ledger_used(1), 40 * MIB);
    CUmemAllocationProp prop = {.type = 1, .location = {CU_MEM_LOCATION_TYPE_DEVICE, 0}};
    CUmemGenericAllocationHandle h;
    CHECK_EQ(d.cuMemCreate(&h, 20 * MIB, &prop, 0), CUDA_SUCCESS); /* device 0, from its props */
    CHECK_EQ(ledger_used(0), 100 * MIB);
    CHECK_EQ(d.cuMemRelease(h), CUDA_SUCCESS);
    CHECK_EQ(d.cuMemFree_v2(b), CUDA_SUCCESS); /* on device 1, freed wherever */
    CHECK_EQ(d.cuMemFree_v2(a), CUDA_SUCCESS);
    pthread_t th[4];
    struct thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){i % 2, 0};
        pthread_create(&th[i], NULL, device_thread, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(args[i].failures, 0);
    }
    CHECK_EQ(ledger_used(0), 0);
    CHECK_EQ(ledger_used(1), 0);
}

/* A malformed variable: a message at the first call, then every allocation fails. */
static void malformed_environment_fails_closed(void) {
    start(0);
    CUdeviceptr p;
    CHECK_EQ(d.cuMemAlloc_v2(&p, 1), CUDA_ERROR_OUT_OF_MEMORY);
    CHECK_EQ(info_free(), 0);
}

/* No limit set: every call goes through, nothing is counted. */
static void no_limit_passes_through(void) {
    start(0);
    CUdeviceptr p;
    CHECK_EQ(d.cuMemAlloc_v2(&p, 900 * MIB), CUDA_SUCCESS);
    CHECK_EQ(info_free(), 124 * MIB); /* the fake's own free memory */
    CHECK_EQ(d.cuMemFree_v2(p), CUDA_SUCCESS);
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ALLOT_GPU_COMPUTE_PERCENT=50 with kernels of 100 us: launches settle near 5,000 a second
 * (utilisation from the fake NVML's samples of the task's processes, named by the ledger). */
static void compute_share_limits_launch_rate(void) {
    start(0);
    CUdeviceptr p;
    CHECK_EQ(d.cuMemAlloc_v2(&p, MIB), CUDA_SUCCESS); /* this process now has a ledger row */
    uint64_t t0 = now_ns(), t_mid = 0;
    int n_mid = 0, n = 0;
    while (now_ns() - t0 < 2500000000ull) {
        d.cuLaunchKernel(NULL, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL);
        n++;
        if (!t_mid && now_ns() - t0 >= 1500000000ull) {
            t_mid = now_ns();
            n_mid = n;
        }
    }
    double rate = (n - n_mid) / ((double)(now_ns() - t_mid) / 1e9);
    double util = rate * 100e-6 * 100;
    fprintf(stderr, "  compute share 50 %%: %.0f launches/s, simulated utilisation %.0f %%\n", rate,
            util);
    CHECK(util > 30 && util < 70);
}

/* With an MPS daemon's control pipe there, the share becomes MPS's active thread percentage, in
 * the environment before main (a program started afresh with the library preloaded). */
static void mps_share_is_set_before_main(void) {
    char dir[] = "/tmp/allot-mps-XXXXXX", control[64], out[64] = {0};
    CHECK(mkdtemp(dir) != NULL);
    snprintf(control, sizeof control, "%s/control", dir);
    FILE *f = fopen(control, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    setenv("CUDA_MPS_PIPE_DIRECTORY", dir, 1);
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        execl("/proc/self/exe", "cuda_tests", "--print-env", "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE",
              (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    CHECK(read(p[0], out, sizeof out - 1) > 0);
    waitpid(pid, NULL, 0);
    CHECK(strcmp(out, "30\n") == 0);
    unlink(control);
    rmdir(dir);
}

/* Dynamic fractions: one task of two sharing a device, driven over pipes. Each command is an
 * operation ('a' allocate N MiB, 'f' free allocation N, 'i' initialise) and its answer the
 * CUresult as one byte. The task's environment is set before its first CUDA call. */
static void dynamic_task(const char *suffix, int in, int out) {
    char task[96], device[96];
    CUdeviceptr held[8] = {0};
    int n = 0;
    snprintf(task, sizeof task, "%s-%s", ledger_name, suffix);
    snprintf(device, sizeof device, "%s-dev", ledger_name);
    setenv("ALLOT_TASK_LEDGER", task, 1);
    setenv("ALLOT_GPU_DEVICE_LEDGER", device, 1);
    setenv("ALLOT_GPU_MEMORY_REQUEST_MIB", "1024", 1);
    setenv("ALLOT_GPU_MEMORY_LIMIT_MIB", "3072", 1);
    start(0);
    struct {
        char op;
        int arg;
    } c;
    while (read(in, &c, sizeof c) == (ssize_t)sizeof c) {
        CUresult r = CUDA_SUCCESS;
        if (c.op == 'a' && n < 8)
            r = d.cuMemAlloc_v2(&held[n], (size_t)c.arg * MIB);
        if (c.op == 'a' && r == CUDA_SUCCESS)
            n++;
        if (c.op == 'f')
            r = d.cuMemFree_v2(held[c.arg]);
        if (c.op == 'i')
            r = (CUresult)(info_free() / MIB / 64); /* what cuMemGetInfo leaves, in 64 MiB */
        unsigned char b = (unsigned char)r;
        if (write(out, &b, 1) != 1)
            break;
    }
    _exit(failures ? 1 : 0);
}

static int dynamic_ask(int to, int from, char op, int arg) {
    struct {
        char op;
        int arg;
    } c = {op, arg};
    unsigned char b = 0xff;
    if (write(to, &c, sizeof c) != (ssize_t)sizeof c || read(from, &b, 1) != 1)
        return -1;
    return b;
}

/* Two tasks asking 1 GiB with a limit of 3 GiB on a 4 GiB device: the first grows to 3 GiB, the
 * second still gets its request, a growth that would eat into another's claim is refused, and
 * memory given back is there to grow into. */
static void dynamic_fractions_share_a_device(void) {
    int to[2][2], from[2][2];
    pid_t pid[2];
    for (int t = 0; t < 2; t++) {
        CHECK(pipe(to[t]) == 0 && pipe(from[t]) == 0);
        pid[t] = fork();
        if (pid[t] == 0) { /* keeps only its own two ends: the others' EOF must reach them */
            for (int u = 0; u <= t; u++) {
                close(to[u][1]);
                close(from[u][0]);
            }
            dynamic_task(t ? "b" : "a", to[t][0], from[t][1]);
        }
        close(to[t][0]);
        close(from[t][1]);
    }
    int a_in = to[0][1], a_out = from[0][0], b_in = to[1][1], b_out = from[1][0];
    CHECK_EQ(dynamic_ask(a_in, a_out, 'i', 0), 3072 / 64); /* nobody else yet: up to its limit */
    CHECK_EQ(dynamic_ask(b_in, b_out, 'i', 0), 3072 / 64); /* a claims its request: 3 GiB left */
    CHECK_EQ(dynamic_ask(a_in, a_out, 'i', 0), 3072 / 64);
    CHECK_EQ(dynamic_ask(a_in, a_out, 'a', 2048), CUDA_SUCCESS);          /* a bursts ... */
    CHECK_EQ(dynamic_ask(a_in, a_out, 'a', 1024), CUDA_SUCCESS);          /* ... to its limit */
    CHECK_EQ(dynamic_ask(a_in, a_out, 'a', 1), CUDA_ERROR_OUT_OF_MEMORY); /* never beyond it */
    CHECK_EQ(dynamic_ask(b_in, b_out, 'i', 0), 1024 / 64);       /* b sees only its request */
    CHECK_EQ(dynamic_ask(b_in, b_out, 'a', 1024), CUDA_SUCCESS); /* b's request holds */
    CHECK_EQ(dynamic_ask(b_in, b_out, 'a', 1), CUDA_ERROR_OUT_OF_MEMORY); /* no room left */
    CHECK_EQ(dynamic_ask(a_in, a_out, 'f', 0), CUDA_SUCCESS);    /* a back to its request */
    CHECK_EQ(dynamic_ask(b_in, b_out, 'a', 2048), CUDA_SUCCESS); /* b grows into it */
    CHECK_EQ(dynamic_ask(a_in, a_out, 'a', 1), CUDA_ERROR_OUT_OF_MEMORY); /* b's claim now */
    CHECK_EQ(dynamic_ask(b_in, b_out, 'f', 1), CUDA_SUCCESS);
    CHECK_EQ(dynamic_ask(a_in, a_out, 'a', 512), CUDA_SUCCESS); /* room again */
    for (int t = 0; t < 2; t++) {
        int st = 0;
        close(to[t][1]);
        close(from[t][0]);
        CHECK(waitpid(pid[t], &st, 0) == pid[t] && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    char name[96];
    snprintf(name, sizeof name, "%s-a", ledger_name);
    al__ledger_unlink(name);
    snprintf(name, sizeof name, "%s-b", ledger_name);
    al__ledger_unlink(name);
    snprintf(name, sizeof name, "/allot-cuda-dev-%s-dev", ledger_name);
    CHECK(shm_unlink(name) == 0);
}

struct test {
    const char *name;
    void (*fn)(void);
    const char *env[4]; /* NAME=VALUE */
    const char *stderr_has;
};

static const struct test tests[] = {
    {"accounting_and_limit", accounting_and_limit, {"ALLOT_GPU_MEMORY_LIMIT_MIB=100"}, NULL},
    {"every_entry_point", every_entry_point, {"ALLOT_GPU_MEMORY_LIMIT_MIB=100"}, NULL},
    {"proc_address", proc_address, {"ALLOT_GPU_MEMORY_LIMIT_MIB=100"}, NULL},
    {"dlsym_lookups", dlsym_lookups, {"ALLOT_GPU_MEMORY_LIMIT_MIB=100"}, NULL},
    {"driver_found_through_the_application",
     driver_found_through_the_application,
     {"ALLOT_GPU_MEMORY_LIMIT_MIB=100", "ALLOT_CUDA_LIBRARY=libnosuchcuda.so.1"},
     NULL},
    {"every_lookup_is_wrapped", every_lookup_is_wrapped, {"ALLOT_GPU_MEMORY_LIMIT_MIB=100"}, NULL},
    {"racing_processes", racing_processes, {"ALLOT_GPU_MEMORY_LIMIT_MIB=64"}, NULL},
    {"killed_process_gives_back",
     killed_process_gives_back,
     {"ALLOT_GPU_MEMORY_LIMIT_MIB=64"},
     NULL},
    {"fork_after_init", fork_after_init, {"ALLOT_GPU_MEMORY_LIMIT_MIB=64"}, NULL},
    {"several_devices",
     several_devices,
     {"ALLOT_GPU_MEMORY_LIMIT_MIB=100,50", "FAKE_CUDA_DEVICES=2"},
     NULL},
    {"malformed_limit",
     malformed_environment_fails_closed,
     {"ALLOT_GPU_MEMORY_LIMIT_MIB=12abc"},
     "ALLOT_GPU_MEMORY_LIMIT_MIB='12abc'"},
    {"malformed_compute",
     malformed_environment_fails_closed,
     {"ALLOT_GPU_COMPUTE_PERCENT=0"},
     "ALLOT_GPU_COMPUTE_PERCENT='0'"},
    {"malformed_ledger",
     malformed_environment_fails_closed,
     {"ALLOT_GPU_MEMORY_LIMIT_MIB=10", "ALLOT_TASK_LEDGER=a/b"},
     "ALLOT_TASK_LEDGER"},
    {"dynamic_fractions_share_a_device",
     dynamic_fractions_share_a_device,
     {"FAKE_CUDA_MEMORY_MIB=4096"},
     NULL},
    {"malformed_dynamic_fraction",
     malformed_environment_fails_closed,
     {"ALLOT_GPU_MEMORY_LIMIT_MIB=10", "ALLOT_GPU_MEMORY_REQUEST_MIB=20",
      "ALLOT_GPU_DEVICE_LEDGER=x"},
     "above ALLOT_GPU_MEMORY_LIMIT_MIB"},
    {"device_ledger_without_request",
     malformed_environment_fails_closed,
     {"ALLOT_GPU_MEMORY_LIMIT_MIB=10", "ALLOT_GPU_DEVICE_LEDGER=x"},
     "ALLOT_GPU_MEMORY_REQUEST_MIB goes with"},
    {"no_limit_passes_through", no_limit_passes_through, {NULL}, NULL},
    {"compute_share_limits_launch_rate",
     compute_share_limits_launch_rate,
     {"ALLOT_GPU_COMPUTE_PERCENT=50", "FAKE_CUDA_KERNEL_US=100", "ALLOT_GPU_MEMORY_LIMIT_MIB=100"},
     NULL},
    {"mps_share_is_set_before_main",
     mps_share_is_set_before_main,
     {"ALLOT_GPU_COMPUTE_PERCENT=30"},
     NULL},
};

/* Runs one test in a child with its environment and its own ledger; its stderr is read back. */
static int run(const struct test *t) {
    int err[2];
    if (pipe(err) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(err[1], 2);
        close(err[0]);
        alarm(30);
        setenv("ALLOT_TASK_LEDGER", ledger_name, 1);
        for (int i = 0; i < 4 && t->env[i]; i++) {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", t->env[i]);
            char *eq = strchr(buf, '=');
            *eq = '\0';
            setenv(buf, eq + 1, 1);
        }
        t->fn();
        _exit(failures ? 1 : 0);
    }
    close(err[1]);
    char out[8192];
    size_t len = 0;
    ssize_t n;
    while ((n = read(err[0], out + len, sizeof out - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(err[0]);
    int st;
    waitpid(pid, &st, 0);
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (t->stderr_has && !strstr(out, t->stderr_has)) {
        fprintf(stderr, "  stderr lacks \"%s\"\n", t->stderr_has);
        ok = 0;
    }
    printf("%s %s\n", ok ? "PASS" : "FAIL", t->name);
    if (len)
        fputs(out, stdout);
    return ok ? 0 : -1;
}

/* Runs this program again with liballot-cuda.so preloaded over the fake driver. */
static void reexec_preloaded(char **argv) {
    if (getenv("AL_CUDA_TESTS_PRELOADED"))
        return;
    setenv("AL_CUDA_TESTS_PRELOADED", "1", 1);
    setenv("LD_PRELOAD", AL_CUDA_LIBRARY, 1);
    setenv("LD_LIBRARY_PATH", AL_FAKE_DRIVER_DIR, 1);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "cuda_tests: cannot run itself again: %s\n", strerror(errno));
    exit(2);
}

int main(int argc, char **argv) {
    int failed = 0, passed = 0;
    if (argc == 3 && strcmp(argv[1], "--print-env") == 0) {
        const char *v = getenv(argv[2]);
        printf("%s\n", v ? v : "(unset)");
        return 0;
    }
    reexec_preloaded(argv);
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
            continue;
        snprintf(ledger_name, sizeof ledger_name, "test-%d-%zu", (int)getpid(), i);
        if (run(&tests[i]) == 0)
            passed++;
        else
            failed++;
        al__ledger_unlink(ledger_name);
    }
    printf("cuda tests: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
