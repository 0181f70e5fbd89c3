/* arena.h - a bump allocator: many small allocations, freed all at once. */
#ifndef ALLOT_UTIL_ARENA_H
#define ALLOT_UTIL_ARENA_H

#include <stddef.h>

struct al__arena_block;

struct al__arena {
    struct al__arena_block *head;  /* newest block */
    struct al__arena_block *spare; /* blocks kept by al__arena_reset, for reuse */
    size_t block_size;             /* default size of a new block */
};

/* al__arena_init - an empty arena; nothing is allocated until the first request. */
void al__arena_init(struct al__arena *arena, size_t block_size);

/* al__arena_release - frees every block. The arena may be used again afterwards. */
void al__arena_release(struct al__arena *arena);

/* al__arena_reset - frees every allocation at once but keeps the memory, so that the next use
 * of the same size asks the system for nothing; blocks that hold more than twice what this use
 * took (uses that grow pile them up) become one block of what it took and an eighth more. */
void al__arena_reset(struct al__arena *arena);

/* al__arena_kept - bytes the arena keeps for reuse (after a reset), and in how many blocks. */
size_t al__arena_kept(const struct al__arena *arena, size_t *blocks);

/*
 * al__arena_alloc - `size` bytes aligned for any type, zero-filled, valid until
 * al__arena_release(). Returns NULL when out of memory (or size overflows).
 */
void *al__arena_alloc(struct al__arena *arena, size_t size);

/* al__arena_array - al__arena_alloc(count * size) with an overflow check. */
void *al__arena_array(struct al__arena *arena, size_t count, size_t size);

/* al__arena_array_raw - al__arena_array without the zero-fill, for arrays the caller writes
 * in full before reading (the fill is most of the cost of large per-cycle arrays). */
void *al__arena_array_raw(struct al__arena *arena, size_t count, size_t size);

#endif
