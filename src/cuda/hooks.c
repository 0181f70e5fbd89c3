/* hooks.c - liballot-cuda.so's entry: loading the real driver and the configuration once, the
 * ways an application reaches the wrapped entry points (linking, dlsym, cuGetProcAddress), fork
 * handling and the debug log. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* flock, MAP_ANONYMOUS, dlvsym, RTLD_NEXT */
#endif
#include "internal.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct al__cuda al__cuda = {
    .map_lock = PTHREAD_MUTEX_INITIALIZER,
    .rate_lock = PTHREAD_MUTEX_INITIALIZER,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_once_t dlsym_once = PTHREAD_ONCE_INIT;
static int ready;
static _Thread_local int in_init; /* the driver's own loading may call dlsym */
static void *(*real_dlsym)(void *, const char *);
static void *driver_hint; /* a driver function an application looked up with dlsym */

/* One row per wrapped export: the name the driver exports, the driver's base name that
 * cuGetProcAddress is asked for, whether it is the per-thread-default-stream variant, the
 * lowest cudaVersion that gets this ABI, the wrapper and the real entry point's slot. */
struct wrapped {
    const char *name;
    const char *base;
    int ptsz;
    int since;
    void (*wrapper)(void);
    void *real; /* the address of a function pointer in al__cuda.real */
};

#define ROW(name, base, ptsz, since)                                                               \
    {#name, base, ptsz, since, (void (*)(void))name, (void *)&al__cuda.real.name},
static const struct wrapped table[] = {
    ROW(cuMemAlloc_v2, "cuMemAlloc", 0, 3020)                              /* */
    ROW(cuMemFree_v2, "cuMemFree", 0, 3020)                                /* */
    ROW(cuMemAllocPitch_v2, "cuMemAllocPitch", 0, 3020)                    /* */
    ROW(cuMemAllocManaged, "cuMemAllocManaged", 0, 0)                      /* */
    ROW(cuMemAllocAsync, "cuMemAllocAsync", 0, 0)                          /* */
    ROW(cuMemAllocAsync_ptsz, "cuMemAllocAsync", 1, 0)                     /* */
    ROW(cuMemAllocFromPoolAsync, "cuMemAllocFromPoolAsync", 0, 0)          /* */
    ROW(cuMemAllocFromPoolAsync_ptsz, "cuMemAllocFromPoolAsync", 1, 0)     /* */
    ROW(cuMemFreeAsync, "cuMemFreeAsync", 0, 0)                            /* */
    ROW(cuMemFreeAsync_ptsz, "cuMemFreeAsync", 1, 0)                       /* */
    ROW(cuMemCreate, "cuMemCreate", 0, 0)                                  /* */
    ROW(cuMemRelease, "cuMemRelease", 0, 0)                                /* */
    ROW(cuArrayCreate_v2, "cuArrayCreate", 0, 3020)                        /* */
    ROW(cuArray3DCreate_v2, "cuArray3DCreate", 0, 3020)                    /* */
    ROW(cuArrayDestroy, "cuArrayDestroy", 0, 0)                            /* */
    ROW(cuMemGetInfo_v2, "cuMemGetInfo", 0, 3020)                          /* */
    ROW(cuDeviceTotalMem_v2, "cuDeviceTotalMem", 0, 3020)                  /* */
    ROW(cuLaunchKernel, "cuLaunchKernel", 0, 0)                            /* */
    ROW(cuLaunchKernel_ptsz, "cuLaunchKernel", 1, 0)                       /* */
    ROW(cuLaunchKernelEx, "cuLaunchKernelEx", 0, 0)                        /* */
    ROW(cuLaunchKernelEx_ptsz, "cuLaunchKernelEx", 1, 0)                   /* */
    ROW(cuLaunchCooperativeKernel, "cuLaunchCooperativeKernel", 0, 0)      /* */
    ROW(cuLaunchCooperativeKernel_ptsz, "cuLaunchCooperativeKernel", 1, 0) /* */
    ROW(cuGraphLaunch, "cuGraphLaunch", 0, 0)                              /* */
    ROW(cuGraphLaunch_ptsz, "cuGraphLaunch", 1, 0)                         /* */
    ROW(cuGetProcAddress, "cuGetProcAddress", 0, 0)                        /* */
    ROW(cuGetProcAddress_v2, "cuGetProcAddress", 0, 12000)                 /* */
};
#undef ROW
#define TABLE_LEN (sizeof table / sizeof table[0])

/* Function and object pointers have one representation on every platform CUDA runs on; the
 * driver API passes functions as void *. */
static void *fn_ptr(void (*f)(void)) {
    void *p;
    memcpy(&p, &f, sizeof p);
    return p;
}

static void *slot_get(const struct wrapped *w) {
    return __atomic_load_n((void **)w->real, __ATOMIC_ACQUIRE);
}

static void slot_set(const struct wrapped *w, void *p) {
    __atomic_store_n((void **)w->real, p, __ATOMIC_RELEASE);
}

/* cuGetProcAddress's flag asking for the per-thread default stream variants. */
#define PROC_PER_THREAD_DEFAULT_STREAM 2ull

void al__cuda_log(const char *fmt, ...) {
    if (!al__cuda.cfg.debug)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(line, sizeof line, "allot-cuda[%d]: ", (int)getpid());
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strnlen(line, sizeof line - 2);
    line[len++] = '\n';
    ssize_t w = write(2, line, len);
    (void)w;
}

/* glibc's own dlsym, past ours: its version names differ by release and architecture. */
static void find_real_dlsym(void) {
    static const char *const versions[] = {"GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.0"};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0] && !real_dlsym; i++)
        *(void **)&real_dlsym = dlvsym(RTLD_NEXT, "dlsym", versions[i]);
}

static void *driver_symbol(const char *name) {
    pthread_once(&dlsym_once, find_real_dlsym);
    return real_dlsym && al__cuda.lib ? real_dlsym(al__cuda.lib, name) : NULL;
}

static void fork_prepare(void) {
    pthread_mutex_lock(&al__cuda.rate_lock);
    pthread_mutex_lock(&al__cuda.map_lock);
}

static void fork_parent(void) {
    pthread_mutex_unlock(&al__cuda.map_lock);
    pthread_mutex_unlock(&al__cuda.rate_lock);
}

/* The child has no CUDA context of its parent's: none of its allocations, a ledger row of its
 * own (claimed on its first allocation). */
static void fork_child(void) {
    al__sizemap_clear(&al__cuda.map);
    al__ledger_after_fork(&al__cuda.ledger);
    pthread_mutex_unlock(&al__cuda.map_lock);
    pthread_mutex_unlock(&al__cuda.rate_lock);
}

/* Where an MPS daemon serves this machine, the compute share is MPS's active thread percentage,
 * a hard limit on the SMs the process's kernels may use; it must be in the environment before
 * the process initialises CUDA, hence here, before main. A value already set is kept. */
__attribute__((constructor)) static void mps_share(void) {
    const char *pct = getenv("ALLOT_GPU_COMPUTE_PERCENT");
    const char *dir = getenv("CUDA_MPS_PIPE_DIRECTORY");
    char control[512];
    if (!pct || !*pct || strcmp(pct, "100") == 0 || strlen(pct) > 3 ||
        strspn(pct, "0123456789") != strlen(pct) || strcmp(pct, "0") == 0)
        return;
    int n = snprintf(control, sizeof control, "%s/control", dir && *dir ? dir : "/tmp/nvidia-mps");
    if (n <= 0 || (size_t)n >= sizeof control || access(control, F_OK) != 0)
        return;
    setenv("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", pct, 0);
    al__cuda.mps = 1;
}

static const char *env_get(const char *name) {
    return getenv(name);
}

/* Dynamic fractions: registers the task's request on each of its devices' segments. Where one
 * cannot be attached the task stays within its request on that device (and says so). */
static void devices_attach(struct al__cuda *g) {
    char err[512];
    for (int d = 0; d < AL_CUDA_MAX_DEVICES && g->cfg.device_ledger[d][0]; d++)
        if (al__device_ledger_attach(&g->devices[d], g->cfg.device_ledger[d], g->cfg.ledger,
                                     g->cfg.request[d], err, sizeof err) != 0)
            fprintf(stderr, "allot-cuda: %s; device %d stays within its request\n", err, d);
}

static void init(void) {
    struct al__cuda *g = &al__cuda;
    char err[512];
    in_init = 1;
    if (al__cuda_config_parse(&g->cfg, env_get, err, sizeof err) != 0) {
        g->config_error = 1;
        fprintf(stderr, "allot-cuda: %s; every GPU memory allocation will fail\n", err);
    }
    g->enforce = g->cfg.memory_limited;
    g->lib = dlopen(g->cfg.library, RTLD_NOW | RTLD_LOCAL);
    Dl_info info;
    void *hint = __atomic_load_n(&driver_hint, __ATOMIC_ACQUIRE);
    if (!g->lib && hint && dladdr(hint, &info) && info.dli_fname) /* loaded by another name */
        g->lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    in_init = 0;
    if (!g->lib) {
        al__cuda_log("cannot load %s: %s", g->cfg.library, dlerror());
        return;
    }
    for (size_t i = 0; i < TABLE_LEN; i++)
        slot_set(&table[i], driver_symbol(table[i].name));
    *(void **)&g->real.cuCtxGetDevice = driver_symbol("cuCtxGetDevice");
    *(void **)&g->real.cuDeviceGetUuid = driver_symbol("cuDeviceGetUuid");
    if (g->enforce && al__ledger_attach(&g->ledger, g->cfg.ledger[0] ? g->cfg.ledger : NULL,
                                        g->cfg.limit, err, sizeof err) != 0) {
        fprintf(stderr, "allot-cuda: %s; every GPU memory allocation will fail\n", err);
        g->config_error = 1;
        uint64_t zero[AL_CUDA_MAX_DEVICES] = {0};
        if (al__ledger_attach(&g->ledger, NULL, zero, err, sizeof err) != 0)
            return; /* no ledger at all: ready stays 0, every call fails */
    }
    if (g->enforce && g->cfg.dynamic)
        devices_attach(g);
    al__cuda_throttle_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    ready = 1;
    al__cuda_log("ready: memory %s, compute %d %%, ledger '%s'",
                 g->enforce ? "limited" : "not limited", g->cfg.compute_percent, g->cfg.ledger);
}

int al__cuda_ready(void) {
    pthread_once(&once, init);
    return ready;
}

int al__cuda_current_device(void) {
    CUdevice dev = 0;
    if (!al__cuda.real.cuCtxGetDevice || al__cuda.real.cuCtxGetDevice(&dev) != CUDA_SUCCESS ||
        dev < 0 || dev >= AL_CUDA_MAX_DEVICES)
        return 0;
    return dev;
}

/* The wrapper for what the driver resolved for name, when it is one we wrap with the same ABI;
 * else NULL. by_base: name is a base name asked of cuGetProcAddress with version and flags. */
static void *wrapper_for(const char *name, void *resolved, int by_base, int version,
                         cuuint64_t flags) {
    if (!resolved || name[0] != 'c' || name[1] != 'u')
        return NULL;
    const struct wrapped *best = NULL;
    for (size_t i = 0; i < TABLE_LEN; i++) {
        const struct wrapped *w = &table[i];
        if (!by_base) {
            if (strcmp(w->name, name) == 0)
                best = w;
            continue;
        }
        if (strcmp(w->base, name) != 0 || version < w->since ||
            w->ptsz != ((flags & PROC_PER_THREAD_DEFAULT_STREAM) != 0))
            continue;
        if (!best || w->since > best->since)
            best = w; /* the newest ABI the version asks for */
    }
    if (!best)
        return NULL;
    /* The driver has it only through cuGetProcAddress: call what it gave (never ourselves). */
    if (by_base && !slot_get(best) && resolved != fn_ptr(best->wrapper))
        slot_set(best, resolved);
    return fn_ptr(best->wrapper);
}

/* The per-thread variants of functions without a stream are their plain selves. */
static int wants_ptsz(const char *name) {
    for (size_t i = 0; i < TABLE_LEN; i++)
        if (table[i].ptsz && strcmp(table[i].base, name) == 0)
            return 1;
    return 0;
}

static CUresult proc_address(const char *sym, void **pfn, int version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult *status, int v2) {
    if (!al__cuda_ready())
        return CUDA_ERROR_NOT_INITIALIZED;
    CUresult r = v2 ? al__cuda.real.cuGetProcAddress_v2(sym, pfn, version, flags, status)
                    : al__cuda.real.cuGetProcAddress(sym, pfn, version, flags);
    if (r != CUDA_SUCCESS || !sym || !pfn)
        return r;
    if (!wants_ptsz(sym))
        flags &= ~PROC_PER_THREAD_DEFAULT_STREAM;
    void *w = wrapper_for(sym, *pfn, 1, version, flags);
    if (w) {
        al__cuda_log("cuGetProcAddress(%s, %d, %llu): wrapped", sym, version, flags);
        *pfn = w;
    }
    return r;
}

CUresult cuGetProcAddress(const char *sym, void **pfn, int version, cuuint64_t flags) {
    if (!al__cuda_ready() || !al__cuda.real.cuGetProcAddress)
        return CUDA_ERROR_NOT_INITIALIZED;
    return proc_address(sym, pfn, version, flags, NULL, 0);
}

CUresult cuGetProcAddress_v2(const char *sym, void **pfn, int version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult *status) {
    if (!al__cuda_ready() || !al__cuda.real.cuGetProcAddress_v2)
        return CUDA_ERROR_NOT_INITIALIZED;
    return proc_address(sym, pfn, version, flags, status, 1);
}

/* dlsym, interposed: a lookup of a wrapped driver entry point gets the wrapper. Everything else
 * (and every lookup before the driver is loaded by us) is glibc's answer. */
AL_EXPORT void *dlsym(void *handle, const char *name) {
    pthread_once(&dlsym_once, find_real_dlsym);
    if (!real_dlsym)
        return NULL;
    /* RTLD_NEXT is relative to the caller, which glibc finds from its return address: a tail
     * call (a jump) leaves it the caller's. Such lookups are never given a wrapper. */
    if (handle == RTLD_NEXT)
        return real_dlsym(handle, name);
    void *p = real_dlsym(handle, name);
    /* Driver entry points are cu + a capital (cuMemAlloc_v2); the runtime's cudaMalloc is not.
     * No initialisation here (a lookup never waits for another thread's, nor loads the driver
     * inside the loader's lock): the wrapper initialises at its first call. */
    if (!p || name[0] != 'c' || name[1] != 'u' || name[2] < 'A' || name[2] > 'Z' || in_init)
        return p;
    void *w = wrapper_for(name, p, 0, 0, 0);
    if (w && w != p) /* the driver's own: where to find it if it is not libcuda.so.1 by name */
        __atomic_store_n(&driver_hint, p, __ATOMIC_RELEASE);
    return w ? w : p;
}
