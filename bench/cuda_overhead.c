/* cuda_overhead.c - what liballot-cuda.so's hooks cost on allocation-heavy code: cuMemAlloc +
 * cuMemFree pairs through the fake driver, with the library preloaded (a memory cap set, so
 * every pair is accounted in the shared ledger) and without; prints `name: value unit`. */
#define _GNU_SOURCE /* setenv */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cuda/cuda_driver.h" /* tests/cuda/ */

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* In a child: pairs of 1 MiB allocations and frees, with up to 64 live at a time (a caching
 * allocator's churn); prints the nanoseconds per pair. */
static int measure(long pairs) {
    struct drv d;
    CUdeviceptr live[64];
    if (drv_load(&d) != 0 || drv_use_device(&d, 0) != CUDA_SUCCESS) {
        fprintf(stderr, "cuda_overhead: cannot load the fake driver\n");
        return 1;
    }
    for (int k = 0; k < 64; k++)
        if (d.cuMemAlloc_v2(&live[k], 1 << 20) != CUDA_SUCCESS)
            return 1;
    uint64_t t0 = now_ns();
    for (long i = 0; i < pairs; i++) {
        int k = (int)(i & 63);
        if (d.cuMemFree_v2(live[k]) != CUDA_SUCCESS ||
            d.cuMemAlloc_v2(&live[k], 1 << 20) != CUDA_SUCCESS)
            return 1;
    }
    printf("%.2f\n", (double)(now_ns() - t0) / (double)pairs);
    return 0;
}

/* One child run; returns ns per pair, or a negative value when it failed. */
static double run(char *self, long pairs, const char *library, const char *call_ns) {
    int out[2];
    char pairs_arg[32], buf[64] = {0};
    snprintf(pairs_arg, sizeof pairs_arg, "%ld", pairs);
    if (pipe(out) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        setenv("FAKE_CUDA_CALL_NS", call_ns, 1);
        setenv("FAKE_CUDA_MEMORY_MIB", "1048576", 1);
        if (library) {
            char ledger[64];
            snprintf(ledger, sizeof ledger, "bench-%d", (int)getppid());
            setenv("LD_PRELOAD", library, 1);
            setenv("ALLOT_GPU_MEMORY_LIMIT_MIB", "524288", 1);
            setenv("ALLOT_TASK_LEDGER", ledger, 1);
        }
        char *argv[] = {self, "--measure", pairs_arg, NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(out[1]);
    ssize_t n = read(out[0], buf, sizeof buf - 1);
    close(out[0]);
    int st;
    waitpid(pid, &st, 0);
    if (n <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return strtod(buf, NULL);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of runs alternating without and with the library, for one driver call time. */
static int compare(char *self, const char *library, long pairs, int runs, const char *call_ns,
                   double *without, double *with) {
    double a[15], b[15];
    for (int r = 0; r < runs; r++) {
        a[r] = run(self, pairs, NULL, call_ns);
        b[r] = run(self, pairs, library, call_ns);
        if (a[r] < 0 || b[r] < 0)
            return -1;
    }
    qsort(a, (size_t)runs, sizeof a[0], cmp_double);
    qsort(b, (size_t)runs, sizeof b[0], cmp_double);
    *without = a[runs / 2];
    *with = b[runs / 2];
    return 0;
}

int main(int argc, char **argv) {
    const char *library = NULL, *dir = NULL, *prefix = "";
    int quick = 0;
    if (argc == 3 && strcmp(argv[1], "--measure") == 0)
        return measure(strtol(argv[2], NULL, 10));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--library") == 0 && i + 1 < argc)
            library = argv[++i];
        else if (strcmp(argv[i], "--driver-dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc)
            prefix = argv[++i];
        else if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else {
            fprintf(stderr, "usage: cuda_overhead --library liballot-cuda.so --driver-dir DIR "
                            "[--quick] [--prefix P]\n");
            return 2;
        }
    }
    if (!library || !dir) {
        fprintf(stderr, "cuda_overhead: --library and --driver-dir are needed\n");
        return 2;
    }
    setenv("LD_LIBRARY_PATH", dir, 1);
    int runs = quick ? 3 : 9;
    double w0, l0, w2, l2;
    /* The fake's own calls take nanoseconds: the hooks' cost stands out. Then a driver whose
     * allocations and frees take 2 us each (a real cuMemAlloc takes longer than that). */
    if (compare(argv[0], library, quick ? 200000 : 2000000, runs, "0", &w0, &l0) != 0 ||
        compare(argv[0], library, quick ? 20000 : 100000, runs, "2000", &w2, &l2) != 0) {
        fprintf(stderr, "cuda_overhead: a run failed (%s)\n", strerror(errno));
        return 1;
    }
    char ledger[64];
    snprintf(ledger, sizeof ledger, "/allot-cuda-bench-%d", (int)getpid());
    shm_unlink(ledger);
    printf("%scuda_alloc_free_pair_ns_without_hooks: %.1f ns\n", prefix, w0);
    printf("%scuda_alloc_free_pair_ns_with_hooks: %.1f ns\n", prefix, l0);
    printf("%scuda_hook_ns_per_alloc_free_pair: %.1f ns\n", prefix, l0 - w0);
    printf("%scuda_hook_overhead_pct_null_driver: %.1f %%\n", prefix, (l0 - w0) / w0 * 100);
    printf("%scuda_hook_overhead_pct: %.2f %%\n", prefix, (l2 - w2) / w2 * 100);
    return 0;
}
