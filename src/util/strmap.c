/* strmap.c - a hash table from strings to pointers (see strmap.h). */
#include "util/strmap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static size_t hash(const char *s) { /* FNV-1a */
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 32));
}

void al__strmap_init(struct al__strmap *m) {
    memset(m, 0, sizeof(*m));
}

void al__strmap_release(struct al__strmap *m) {
    free(m->keys);
    free(m->values);
    al__strmap_init(m);
}

void al__strmap_clear(struct al__strmap *m) {
    if (m->capacity)
        memset(m->keys, 0, m->capacity * sizeof(*m->keys));
    m->count = 0;
}

/* The slot of key, or the empty slot where it would go. */
static size_t slot_of(const struct al__strmap *m, const char *key) {
    size_t mask = m->capacity - 1, i = hash(key) & mask;
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & mask;
    return i;
}

void *al__strmap_get(const struct al__strmap *m, const char *key) {
    if (m->count == 0)
        return NULL;
    size_t i = slot_of(m, key);
    return m->keys[i] ? m->values[i] : NULL;
}

static void grow(struct al__strmap *m) {
    struct al__strmap bigger;
    bigger.capacity = m->capacity ? 2 * m->capacity : 16;
    bigger.count = 0;
    bigger.keys = al__xcalloc(bigger.capacity, sizeof(*bigger.keys));
    bigger.values = al__xcalloc(bigger.capacity, sizeof(*bigger.values));
    for (size_t i = 0; i < m->capacity; i++)
        if (m->keys[i])
            al__strmap_put(&bigger, m->keys[i], m->values[i]);
    free(m->keys);
    free(m->values);
    *m = bigger;
}

void al__strmap_put(struct al__strmap *m, const char *key, void *value) {
    if ((m->count + 1) * 10 > m->capacity * 7)
        grow(m);
    size_t i = slot_of(m, key);
    if (!m->keys[i])
        m->count++;
    m->keys[i] = key;
    m->values[i] = value;
}

void al__strmap_remove(struct al__strmap *m, const char *key) {
    if (m->count == 0)
        return;
    size_t mask = m->capacity - 1, i = slot_of(m, key);
    if (!m->keys[i])
        return;
    m->keys[i] = NULL;
    m->count--;
    /* Shift back the entries of the run after i that may now be reached sooner. */
    for (size_t j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
        size_t home = hash(m->keys[j]) & mask;
        bool reachable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (reachable) {
            m->keys[i] = m->keys[j];
            m->values[i] = m->values[j];
            m->keys[j] = NULL;
            i = j;
        }
    }
}
