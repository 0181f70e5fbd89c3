/* consumption_sum.h - the arithmetic of consumption reports (consumption_sum.c): each run's
 * allocation cut at a window's edges, summed per group, priced per GPU model. No I/O. */
#ifndef ALLOT_DAEMON_CONSUMPTION_SUM_H
#define ALLOT_DAEMON_CONSUMPTION_SUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one task run held (a row of the store's consumption table). Strings borrowed. */
struct al__usage_run {
    const char *project, *department, *workload; /* department "" for none */
    const char *gpu_model;                       /* "" when unknown */
    int64_t start_s, end_s;                      /* end_s -1: still running */
    int64_t gpu_milli;                           /* milli-GPU held, all its devices together */
    int64_t cpu_millis, memory_bytes;
    int64_t idle_gpu_milli_s; /* of the whole run, -1 = not known (0 for a run with no GPU) */
};

enum al__usage_group_by { AL__BY_PROJECT, AL__BY_DEPARTMENT, AL__BY_WORKLOAD };

/* al__usage_group_by_parse - "project", "department", "workload"; -1 for anything else. */
int al__usage_group_by_parse(const char *text);

/*
 * al__usage_overlap_s - the seconds of [start, end) that fall in [from, to); an end of -1 is
 * a run still going, counted up to `now`. 0 when they do not meet (or from >= to).
 */
int64_t al__usage_overlap_s(int64_t start, int64_t end, int64_t now, int64_t from, int64_t to);

/* A price per GPU-hour for a GPU model ("default" for any model without one of its own). */
struct al__gpu_price {
    char model[64];
    double per_gpu_hour;
};

/*
 * al__gpu_price_parse - "MODEL=PRICE" (PRICE a finite number >= 0) into *out. 0, or -1 with
 * the reason in err.
 */
int al__gpu_price_parse(const char *text, struct al__gpu_price *out, char *err, size_t size);

/* One group of a report: sums over the parts of its runs inside the window. */
struct al__usage_group {
    char *project, *department, *workload; /* those the grouping names, else NULL (owned) */
    int64_t runs;                          /* runs that overlap the window */
    int64_t gpu_milli_s, cpu_milli_s;
    double memory_byte_s;
    double idle_gpu_milli_s; /* < 0: not known for some run that held GPUs */
    double cost;             /* < 0: some GPU time has no price */
};

/* The groups of a report, kept sorted by key (each a binary search away). */
struct al__usage_sum {
    enum al__usage_group_by by;
    int64_t from, to, now;
    const struct al__gpu_price *prices; /* borrowed */
    size_t price_count;
    struct al__usage_group *groups;
    char **keys; /* groups[i]'s key */
    size_t count, cap;
};

void al__usage_sum_init(struct al__usage_sum *s, enum al__usage_group_by by, int64_t from,
                        int64_t to, int64_t now, const struct al__gpu_price *prices,
                        size_t price_count);
/* al__usage_sum_add - adds the part of run r inside the window to its group (a run outside
 * it changes nothing). Aborts on out-of-memory (allotd's wrappers). O(log groups). */
void al__usage_sum_add(struct al__usage_sum *s, const struct al__usage_run *r);
void al__usage_sum_release(struct al__usage_sum *s);

#endif
