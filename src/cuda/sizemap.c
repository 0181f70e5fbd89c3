/* sizemap.c - open addressing with linear probing and backward-shift deletion (no tombstones,
 * so a long-running process that allocates and frees forever keeps short probes). */
#include "sizemap.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(uint64_t key, int kind, size_t cap) {
    uint64_t h = key ^ ((uint64_t)kind << 59);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (size_t)h & (cap - 1);
}

void al__sizemap_init(struct al__sizemap *m) {
    memset(m, 0, sizeof *m);
}

void al__sizemap_release(struct al__sizemap *m) {
    free(m->slot);
    al__sizemap_init(m);
}

void al__sizemap_clear(struct al__sizemap *m) {
    if (m->slot)
        memset(m->slot, 0, m->cap * sizeof *m->slot);
    m->count = 0;
}

static void insert_new(struct al__sizemap_entry *slot, size_t cap,
                       const struct al__sizemap_entry *e) {
    size_t i = slot_of(e->key, e->kind, cap);
    while (slot[i].kind)
        i = (i + 1) & (cap - 1);
    slot[i] = *e;
}

static int grow(struct al__sizemap *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct al__sizemap_entry *slot = calloc(cap, sizeof *slot);
    if (!slot)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].kind)
            insert_new(slot, cap, &m->slot[i]);
    free(m->slot);
    m->slot = slot;
    m->cap = cap;
    return 0;
}

int al__sizemap_put(struct al__sizemap *m, uint64_t key, int kind, uint64_t size, int dev,
                    struct al__sizemap_entry *old) {
    old->kind = 0;
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != 0)
        return -1; /* load factor at most 3/4 */
    size_t i = slot_of(key, kind, m->cap);
    while (m->slot[i].kind) {
        if (m->slot[i].key == key && m->slot[i].kind == kind) {
            *old = m->slot[i];
            m->slot[i].size = size;
            m->slot[i].dev = dev;
            return 0;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->slot[i] = (struct al__sizemap_entry){.key = key, .size = size, .kind = kind, .dev = dev};
    m->count++;
    return 0;
}

int al__sizemap_take(struct al__sizemap *m, uint64_t key, int kind, struct al__sizemap_entry *out) {
    if (!m->cap)
        return 0;
    size_t mask = m->cap - 1, i = slot_of(key, kind, m->cap);
    while (m->slot[i].kind && !(m->slot[i].key == key && m->slot[i].kind == kind))
        i = (i + 1) & mask;
    if (!m->slot[i].kind)
        return 0;
    *out = m->slot[i];
    /* Backward shift: move later entries of the cluster into the hole when their home slot
     * does not lie cyclically in (hole, j]. */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slot[j].kind)
            break;
        size_t home = slot_of(m->slot[j].key, m->slot[j].kind, m->cap);
        int in_between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!in_between) {
            m->slot[hole] = m->slot[j];
            hole = j;
        }
    }
    m->slot[hole].kind = 0;
    m->count--;
    return 1;
}
