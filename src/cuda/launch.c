/* launch.c - the compute share: kernel launches and graph launches pass a token bucket whose
 * rate follows the device's measured utilisation towards ALLOT_GPU_COMPUTE_PERCENT. */
#include "internal.h"
#include "nvml.h"

#include <time.h>

#define REAL(name) al__cuda.real.name
#define SAMPLE_NS  100000000ull /* a utilisation sample every 100 ms */

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The task's utilisation of the calling thread's device: all its processes where a ledger
 * names them, else this process's. */
static int task_util(void) {
    CUuuid uuid;
    int dev = al__cuda_current_device();
    if (al__cuda.real.cuDeviceGetUuid(&uuid, dev) != CUDA_SUCCESS)
        return -1;
    return al__nvml_task_util(dev, (const unsigned char *)uuid.bytes,
                              al__cuda.enforce && al__cuda.cfg.ledger[0] ? &al__cuda.ledger : NULL);
}

void al__cuda_throttle_init(void) {
    struct al__cuda *g = &al__cuda;
    if (g->cfg.compute_percent >= 100 || g->mps)
        return;
    /* The source of utilisation is NVML; where there is none, launches are not throttled
     * (docs/cuda.md, "Compute share"). */
    if (!g->real.cuDeviceGetUuid || al__nvml_open() != 0) {
        al__cuda_log("no NVML: compute share not enforced");
        return;
    }
    al__rate_init(&g->rate, g->cfg.compute_percent, 1000, now_ns());
    g->rate_next_sample_ns = now_ns() + SAMPLE_NS;
    g->throttle = 1;
}

void al__cuda_throttle(void) {
    struct al__cuda *g = &al__cuda;
    if (!g->throttle)
        return;
    uint64_t now = now_ns();
    pthread_mutex_lock(&g->rate_lock);
    if (now >= g->rate_next_sample_ns) {
        int util = task_util();
        if (util >= 0)
            al__rate_sample(&g->rate, util);
        g->rate_next_sample_ns = now + SAMPLE_NS;
    }
    uint64_t wait = al__rate_take(&g->rate, now);
    pthread_mutex_unlock(&g->rate_lock);
    if (wait) {
        struct timespec t = {(time_t)(wait / 1000000000ull), (long)(wait % 1000000000ull)};
        nanosleep(&t, NULL);
    }
}

#define LAUNCH(name, args)                                                                         \
    do {                                                                                           \
        if (!al__cuda_ready() || !REAL(name))                                                      \
            return CUDA_ERROR_NOT_INITIALIZED;                                                     \
        al__cuda_throttle();                                                                       \
        return REAL(name) args;                                                                    \
    } while (0)

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, CUstream s, void **params,
                        void **extra) {
    LAUNCH(cuLaunchKernel, (f, gx, gy, gz, bx, by, bz, shared, s, params, extra));
}

CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                             unsigned by, unsigned bz, unsigned shared, CUstream s, void **params,
                             void **extra) {
    LAUNCH(cuLaunchKernel_ptsz, (f, gx, gy, gz, bx, by, bz, shared, s, params, extra));
}

CUresult cuLaunchKernelEx(const CUlaunchConfig *c, CUfunction f, void **params, void **extra) {
    LAUNCH(cuLaunchKernelEx, (c, f, params, extra));
}

CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig *c, CUfunction f, void **params, void **extra) {
    LAUNCH(cuLaunchKernelEx_ptsz, (c, f, params, extra));
}

CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                                   unsigned by, unsigned bz, unsigned shared, CUstream s,
                                   void **params) {
    LAUNCH(cuLaunchCooperativeKernel, (f, gx, gy, gz, bx, by, bz, shared, s, params));
}

CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                                        CUstream s, void **params) {
    LAUNCH(cuLaunchCooperativeKernel_ptsz, (f, gx, gy, gz, bx, by, bz, shared, s, params));
}

CUresult cuGraphLaunch(CUgraphExec g, CUstream s) {
    LAUNCH(cuGraphLaunch, (g, s));
}

CUresult cuGraphLaunch_ptsz(CUgraphExec g, CUstream s) {
    LAUNCH(cuGraphLaunch_ptsz, (g, s));
}
