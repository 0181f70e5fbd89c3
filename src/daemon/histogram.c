/* histogram.c - lock-free latency histograms (see histogram.h). */
#include <time.h>

#include "daemon/histogram.h"

void al__histogram_init(struct al__histogram *h, const double *bounds, size_t n) {
    h->bounds = bounds;
    h->bound_count = n < AL__HISTOGRAM_MAX_BOUNDS ? n : AL__HISTOGRAM_MAX_BOUNDS;
    for (size_t i = 0; i <= AL__HISTOGRAM_MAX_BOUNDS; i++)
        atomic_init(&h->counts[i], 0);
    atomic_init(&h->sum_ns, 0);
}

void al__histogram_observe_ns(struct al__histogram *h, uint64_t ns) {
    double s = (double)ns / 1e9;
    size_t i = 0;
    while (i < h->bound_count && s > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

void al__histogram_view(const struct al__histogram *h, struct al__histogram_view *out) {
    uint64_t total = 0;
    out->bound_count = h->bound_count;
    out->bounds = h->bounds;
    for (size_t i = 0; i <= h->bound_count; i++) {
        total += atomic_load_explicit(&h->counts[i], memory_order_relaxed);
        out->cumulative[i] = total;
    }
    out->sum_s = (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9;
}

uint64_t al__monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
