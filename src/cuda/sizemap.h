/* sizemap.h - the sizes of a process's live device allocations, keyed by what frees them (a
 * device pointer, a memory handle, an array): an open-addressing hash table. Not thread-safe:
 * the caller holds its lock. */
#ifndef AL_CUDA_SIZEMAP_H
#define AL_CUDA_SIZEMAP_H

#include <stddef.h>
#include <stdint.h>

/* What a key names; keys of different kinds never match. */
enum al__alloc_kind {
    AL_ALLOC_PTR = 1, /* cuMemAlloc*, pitch, managed, async: freed by cuMemFree* */
    AL_ALLOC_HANDLE,  /* cuMemCreate: freed by cuMemRelease */
    AL_ALLOC_ARRAY,   /* cuArrayCreate, cuArray3DCreate: freed by cuArrayDestroy */
};

struct al__sizemap_entry {
    uint64_t key;
    uint64_t size;
    int kind; /* 0: empty slot */
    int dev;
};

struct al__sizemap {
    struct al__sizemap_entry *slot;
    size_t cap; /* a power of two, or 0 */
    size_t count;
};

void al__sizemap_init(struct al__sizemap *m);
void al__sizemap_release(struct al__sizemap *m);

/* Forgets every entry, keeping the memory (a forked child starts with none of its parent's). */
void al__sizemap_clear(struct al__sizemap *m);

/* Records key of kind with its size and device. A key already there is replaced, its old entry
 * returned in *old (old->kind 0 when there was none). Returns 0, or -1 when memory for a larger
 * table could not be had (nothing changed). Amortised O(1). */
int al__sizemap_put(struct al__sizemap *m, uint64_t key, int kind, uint64_t size, int dev,
                    struct al__sizemap_entry *old);

/* Removes key of kind, its entry into *out; returns 1, or 0 when it is not there. */
int al__sizemap_take(struct al__sizemap *m, uint64_t key, int kind, struct al__sizemap_entry *out);

#endif
