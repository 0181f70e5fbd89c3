/* heap.c - binary min-heap of ids (see heap.h). */
#include "util/heap.h"

void al__heap_init(struct al__heap *heap, int32_t *items, size_t capacity, al__heap_cmp cmp,
                   const void *ctx) {
    heap->items = items;
    heap->count = 0;
    heap->capacity = capacity;
    heap->cmp = cmp;
    heap->ctx = ctx;
}

static void swap(int32_t *a, int32_t *b) {
    int32_t t = *a;
    *a = *b;
    *b = t;
}

void al__heap_push(struct al__heap *heap, int32_t id) {
    size_t i = heap->count++;
    heap->items[i] = id;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (heap->cmp(heap->items[i], heap->items[parent], heap->ctx) >= 0)
            break;
        swap(&heap->items[i], &heap->items[parent]);
        i = parent;
    }
}

static void sift_down(struct al__heap *heap, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < heap->count && heap->cmp(heap->items[l], heap->items[best], heap->ctx) < 0)
            best = l;
        if (r < heap->count && heap->cmp(heap->items[r], heap->items[best], heap->ctx) < 0)
            best = r;
        if (best == i)
            break;
        swap(&heap->items[i], &heap->items[best]);
        i = best;
    }
}

int32_t al__heap_pop(struct al__heap *heap) {
    if (heap->count == 0)
        return -1;
    int32_t top = heap->items[0];
    heap->items[0] = heap->items[--heap->count];
    sift_down(heap, 0);
    return top;
}

void al__heap_restore(struct al__heap *heap) {
    for (size_t i = heap->count / 2; i-- > 0;)
        sift_down(heap, i);
}

int32_t al__heap_peek(const struct al__heap *heap) {
    return heap->count ? heap->items[0] : -1;
}
