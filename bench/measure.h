/* measure.h - what the benchmarks share: a monotonic clock, medians, resident memory, and the
 * `name: value unit` lines they print. */
#ifndef ALLOT_BENCH_MEASURE_H
#define ALLOT_BENCH_MEASURE_H

#include <stddef.h>
#include <stdint.h>

/* measure_now_ns - CLOCK_MONOTONIC in nanoseconds. */
int64_t measure_now_ns(void);

/* measure_median - the median of values[0..n) (sorts them in place). */
double measure_median(double *values, size_t n);

/* measure_rss_mb - resident memory of this process now, in MiB. */
double measure_rss_mb(void);

/* measure_peak_rss_mb - the most resident memory this process has had, in MiB. */
double measure_peak_rss_mb(void);

/* measure_figure - prints one figure: "name: value unit". */
void measure_figure(const char *name, double value, const char *unit);

#endif
