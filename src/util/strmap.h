/* strmap.h - a hash table from strings to pointers (redis's dict, small): name lookups in
 * allotd's state. */
#ifndef ALLOT_UTIL_STRMAP_H
#define ALLOT_UTIL_STRMAP_H

#include <stddef.h>

/*
 * Open addressing with linear probing; removal shifts entries back, so no tombstones build up.
 * Keys are borrowed: each must stay valid, and unchanged, while its entry is in the map (allotd
 * keys a workload by the name inside it). Grows at 70 % load. Aborts when out of memory (for
 * programs; the engine does not use it).
 */
struct al__strmap {
    const char **keys; /* NULL = empty slot */
    void **values;
    size_t count, capacity; /* capacity: a power of two, or 0 */
};

void al__strmap_init(struct al__strmap *m);
void al__strmap_release(struct al__strmap *m);

/* al__strmap_get - the value of key, NULL when absent. O(1) expected. */
void *al__strmap_get(const struct al__strmap *m, const char *key);

/* al__strmap_put - sets key's value (replacing one it had). */
void al__strmap_put(struct al__strmap *m, const char *key, void *value);

/* al__strmap_remove - removes key (nothing when absent). */
void al__strmap_remove(struct al__strmap *m, const char *key);

/* al__strmap_clear - removes every entry, keeping the memory. */
void al__strmap_clear(struct al__strmap *m);

#endif
