/* wide.h - a 128-bit integer for exact products of 64-bit amounts (shares, weights). */
#ifndef ALLOT_UTIL_WIDE_H
#define ALLOT_UTIL_WIDE_H

__extension__ typedef __int128 al__i128;

/* Bounds that keep every sum the engine forms inside int64: one node's or task's CPU or memory
 * is at most AL__AMOUNT_MAX, a cluster's total and its active tasks' total at most AL__SUM_MAX
 * (al_cycle_run rejects more), and sums of requests saturate at AL__SUM_MAX / 2, so that an
 * allocation plus a request never overflows. */
#define AL__AMOUNT_MAX (1LL << 50)
#define AL__SUM_MAX    (1LL << 62)

/* al__sat_add - a + b for amounts in [0, AL__SUM_MAX], saturating at AL__SUM_MAX / 2. */
static inline long long al__sat_add(long long a, long long b) {
    return a + b > AL__SUM_MAX / 2 ? AL__SUM_MAX / 2 : a + b;
}

#endif
