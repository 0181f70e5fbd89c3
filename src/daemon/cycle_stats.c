/* cycle_stats.c - a window of cycle timings and its percentiles. */
#include <stdlib.h>
#include <string.h>

#include "daemon/cycle_stats.h"

void al__cycle_stats_add(struct al__cycle_stats *s, const double ms[AL__CYCLE_PARTS]) {
    for (int p = 0; p < AL__CYCLE_PARTS; p++)
        s->ms[p][s->count % AL__CYCLE_WINDOW] = ms[p];
    s->count++;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile q (0..1] of n sorted values. */
static double rank(const double *sorted, size_t n, double q) {
    size_t i = (size_t)(q * (double)n + 0.999999);
    return sorted[(i ? i : 1) - 1];
}

static json_t *part_json(const struct al__cycle_stats *s, int part, size_t n) {
    double sorted[AL__CYCLE_WINDOW];
    if (n == 0)
        return json_pack("{s:n, s:n, s:n, s:n}", "p50", "p90", "max", "last");
    memcpy(sorted, s->ms[part], n * sizeof(double));
    qsort(sorted, n, sizeof(double), by_value);
    return json_pack("{s:f, s:f, s:f, s:f}", "p50", rank(sorted, n, 0.5), "p90",
                     rank(sorted, n, 0.9), "max", sorted[n - 1], "last",
                     s->ms[part][(s->count - 1) % AL__CYCLE_WINDOW]);
}

json_t *al__cycle_stats_json(const struct al__cycle_stats *s) {
    size_t n = s->count < AL__CYCLE_WINDOW ? s->count : AL__CYCLE_WINDOW;
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "window", (json_int_t)n, "poll_ms",
                     part_json(s, AL__CYCLE_POLL, n), "model_ms", part_json(s, AL__CYCLE_MODEL, n),
                     "engine_ms", part_json(s, AL__CYCLE_ENGINE, n), "record_ms",
                     part_json(s, AL__CYCLE_RECORD, n), "cycle_ms",
                     part_json(s, AL__CYCLE_TOTAL, n));
}
