/* sort.h - a stable merge sort of int32 ids with a comparator that takes a context. */
#ifndef ALLOT_UTIL_SORT_H
#define ALLOT_UTIL_SORT_H

#include <stddef.h>
#include <stdint.h>

#include "util/heap.h"

/*
 * al__sort_ids - sorts ids[0..count) by cmp (stable). Uses a temporary buffer
 * from malloc. Returns 0, or -1 when out of memory (ids then unchanged).
 */
int al__sort_ids(int32_t *ids, size_t count, al__heap_cmp cmp, const void *ctx);

#endif
