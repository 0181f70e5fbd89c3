/* heap.h - a binary min-heap of int32 ids ordered by a caller's comparator. */
#ifndef ALLOT_UTIL_HEAP_H
#define ALLOT_UTIL_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* Returns < 0 when a must come out before b. Must be a total order. */
typedef int (*al__heap_cmp)(int32_t a, int32_t b, const void *ctx);

struct al__heap {
    int32_t *items; /* caller-provided storage of `capacity` entries */
    size_t count;
    size_t capacity;
    al__heap_cmp cmp;
    const void *ctx;
};

/* al__heap_init - an empty heap over caller-owned storage (items[capacity]). */
void al__heap_init(struct al__heap *heap, int32_t *items, size_t capacity, al__heap_cmp cmp,
                   const void *ctx);

/* al__heap_push - adds id; the caller guarantees count < capacity. O(log n). */
void al__heap_push(struct al__heap *heap, int32_t id);

/* al__heap_pop - removes and returns the first id; -1 when empty. O(log n). */
int32_t al__heap_pop(struct al__heap *heap);

/* al__heap_restore - re-establishes the order after the comparator's answers changed. O(n). */
void al__heap_restore(struct al__heap *heap);

/* al__heap_peek - the first id without removing it; -1 when empty. */
int32_t al__heap_peek(const struct al__heap *heap);

#endif
