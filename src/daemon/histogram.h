/* histogram.h - a latency histogram updated without a lock (relaxed atomics), rendered as a
 * Prometheus histogram: fixed upper bounds in seconds, a count per bucket, a sum. */
#ifndef ALLOT_DAEMON_HISTOGRAM_H
#define ALLOT_DAEMON_HISTOGRAM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define AL__HISTOGRAM_MAX_BOUNDS 20

struct al__histogram {
    const double *bounds; /* ascending upper bounds, seconds (static storage) */
    size_t bound_count;
    /* Observations per bucket, not cumulative: [i] those <= bounds[i] and > bounds[i - 1];
     * [bound_count] those above the last bound (+Inf). */
    _Atomic uint64_t counts[AL__HISTOGRAM_MAX_BOUNDS + 1];
    _Atomic uint64_t sum_ns;
};

/* What a histogram held at one moment, cumulative as the exposition format writes it. */
struct al__histogram_view {
    size_t bound_count;
    const double *bounds;
    uint64_t cumulative[AL__HISTOGRAM_MAX_BOUNDS + 1]; /* [bound_count] is the count */
    double sum_s;
};

/* al__histogram_init - empty, with `n` (<= AL__HISTOGRAM_MAX_BOUNDS) ascending bounds in
 * seconds, borrowed for the histogram's life. */
void al__histogram_init(struct al__histogram *h, const double *bounds, size_t n);

/* al__histogram_observe_ns - counts one observation of `ns` nanoseconds. Lock-free: any
 * thread, any time; a few nanoseconds. */
void al__histogram_observe_ns(struct al__histogram *h, uint64_t ns);

/* al__histogram_view - its buckets made cumulative; the count is the +Inf bucket (a reader
 * racing an observation may see the sum a little ahead of or behind the counts). */
void al__histogram_view(const struct al__histogram *h, struct al__histogram_view *out);

/* al__monotonic_ns - CLOCK_MONOTONIC in nanoseconds, for timing what is observed. */
uint64_t al__monotonic_ns(void);

#endif
