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
    arena->spare = NULL;
    arena->block_size = block_size ? block_size : 64 * 1024;
}

static void free_blocks(struct al__arena_block *b) {
    while (b) {
        struct al__arena_block *next = b->next;
        free(b);
        b = next;
    }
}

void al__arena_release(struct al__arena *arena) {
    free_blocks(arena->head);
    free_blocks(arena->spare);
    arena->head = arena->spare = NULL;
}

/*
 * Blocks are kept for the next use, but not without bound: when they hold more than twice what
 * this use took (a block per size ever needed piles up when uses grow a little each time, as a
 * cycle with a few more jobs: memory grew by gigabytes over a stream of submits), they are
 * replaced by one block of what it took and an eighth more. Uses of a steady size keep their
 * blocks as they are (a new block would be faulted in again).
 */
void al__arena_reset(struct al__arena *arena) {
    size_t used = 0, kept = 0;
    for (struct al__arena_block *b = arena->head; b; b = b->next) {
        used += b->used; /* in one block, the same allocations take no more than this */
        kept += b->size;
    }
    for (struct al__arena_block *b = arena->spare; b; b = b->next)
        kept += b->size;
    if (used <= SIZE_MAX / 4 && kept > 2 * used + arena->block_size) {
        size_t want = used + used / 8;
        free_blocks(arena->head);
        free_blocks(arena->spare);
        arena->head = arena->spare = NULL;
        struct al__arena_block *one = malloc(sizeof(*one) + want);
        if (one) { /* without it, the next use makes its blocks again */
            one->size = want;
            one->used = 0;
            one->next = NULL;
            arena->spare = one;
        }
        return;
    }
    while (arena->head) {
        struct al__arena_block *b = arena->head;
        arena->head = b->next;
        b->used = 0;
        b->next = arena->spare;
        arena->spare = b;
    }
}

/* A kept block of at least `want` bytes (the smallest such), unlinked; NULL when none. */
static struct al__arena_block *take_spare(struct al__arena *arena, size_t want) {
    struct al__arena_block **best = NULL;
    for (struct al__arena_block **b = &arena->spare; *b; b = &(*b)->next)
        if ((*b)->size >= want && (!best || (*b)->size < (*best)->size))
            best = b;
    if (!best)
        return NULL;
    struct al__arena_block *found = *best;
    *best = found->next;
    return found;
}

static void *take(struct al__arena *arena, size_t size) {
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX / 2)
        return NULL;
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    struct al__arena_block *b = arena->head;
    if (!b || b->size - b->used < size) {
        size_t want = size > arena->block_size ? size : arena->block_size;
        b = take_spare(arena, want);
        if (!b) {
            b = malloc(sizeof(*b) + want);
            if (!b)
                return NULL;
            b->size = want;
            b->used = 0;
        }
        b->next = arena->head;
        arena->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

void *al__arena_alloc(struct al__arena *arena, size_t size) {
    void *p = take(arena, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void *al__arena_array(struct al__arena *arena, size_t count, size_t size) {
    if (size && count > SIZE_MAX / 4 / size)
        return NULL;
    return al__arena_alloc(arena, count * size);
}

void *al__arena_array_raw(struct al__arena *arena, size_t count, size_t size) {
    if (size && count > SIZE_MAX / 4 / size)
        return NULL;
    return take(arena, count * size);
}

size_t al__arena_kept(const struct al__arena *arena, size_t *blocks) {
    size_t total = 0;
    *blocks = 0;
    for (const struct al__arena_block *b = arena->spare; b; b = b->next, (*blocks)++)
        total += b->size;
    return total;
}
