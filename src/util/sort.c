/* sort.c - stable merge sort of ids with a context comparator (see sort.h). */
#include "util/sort.h"

#include <stdlib.h>
#include <string.h>

static void merge_sort(int32_t *ids, int32_t *tmp, size_t count, al__heap_cmp cmp,
                       const void *ctx) {
    if (count < 2)
        return;
    if (count <= 8) { /* insertion sort for short runs */
        for (size_t i = 1; i < count; i++) {
            int32_t v = ids[i];
            size_t j = i;
            while (j > 0 && cmp(v, ids[j - 1], ctx) < 0) {
                ids[j] = ids[j - 1];
                j--;
            }
            ids[j] = v;
        }
        return;
    }
    size_t half = count / 2;
    merge_sort(ids, tmp, half, cmp, ctx);
    merge_sort(ids + half, tmp, count - half, cmp, ctx);
    size_t i = 0, j = half, k = 0;
    while (i < half && j < count)
        tmp[k++] = cmp(ids[j], ids[i], ctx) < 0 ? ids[j++] : ids[i++];
    while (i < half)
        tmp[k++] = ids[i++];
    while (j < count)
        tmp[k++] = ids[j++];
    memcpy(ids, tmp, count * sizeof(*ids));
}

int al__sort_ids(int32_t *ids, size_t count, al__heap_cmp cmp, const void *ctx) {
    if (count <= 16) { /* small: insertion sort (stable), no buffer */
        for (size_t i = 1; i < count; i++)
            for (size_t k = i; k > 0 && cmp(ids[k], ids[k - 1], ctx) < 0; k--) {
                int32_t t = ids[k];
                ids[k] = ids[k - 1];
                ids[k - 1] = t;
            }
        return 0;
    }
    int32_t *tmp = malloc(count * sizeof(*tmp));
    if (!tmp)
        return -1;
    merge_sort(ids, tmp, count, cmp, ctx);
    free(tmp);
    return 0;
}
