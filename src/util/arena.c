/* arena.c - bump allocator in linked blocks (see arena.h). */
#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct al__arena_block {
    struct al__arena_block *next;
    size_t size; /* usable bytes in data */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

void al__arena_init(struct al__arena *arena, size_t block_size) {
    arena->head = NULL;
    arena->block_size = block_size ? block_size : 64 * 1024;
}

void al__arena_release(struct al__arena *arena) {
    struct al__arena_block *b = arena->head;
    while (b) {
        struct al__arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena->head = NULL;
}

void *al__arena_alloc(struct al__arena *arena, size_t size) {
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX / 2)
        return NULL;
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    struct al__arena_block *b = arena->head;
    if (!b || b->size - b->used < size) {
        size_t want = size > arena->block_size ? size : arena->block_size;
        b = malloc(sizeof(*b) + want);
        if (!b)
            return NULL;
        b->next = arena->head;
        b->size = want;
        b->used = 0;
        arena->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

void *al__arena_array(struct al__arena *arena, size_t count, size_t size) {
    if (size && count > SIZE_MAX / 4 / size)
        return NULL;
    return al__arena_alloc(arena, count * size);
}
