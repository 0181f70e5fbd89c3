/* names.c - a sorted name -> index table for lookups and duplicate checks while parsing. */
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/names.h"

/* By name, then by index, so that equal names sit together in file order. */
static int entry_cmp(const void *a, const void *b) {
    const struct al__name_entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c)
        return c;
    return (x->index > y->index) - (x->index < y->index);
}

/* The duplicate pair that comes first in file order (smallest second position). */
static int find_duplicate(const struct al__names *table, int32_t *first, int32_t *second) {
    int found = 0;

    for (size_t i = 1; i < table->count; i++) {
        const struct al__name_entry *a = &table->entries[i - 1], *b = &table->entries[i];
        if (strcmp(a->name, b->name) == 0 && (!found || b->index < *second)) {
            *first = a->index;
            *second = b->index;
            found = 1;
        }
    }
    return found ? -AL_EEXIST : 0;
}

int al__names_init(struct al__names *table, size_t count) {
    table->entries = NULL;
    table->count = 0;
    if (count == 0)
        return 0;
    table->entries = calloc(count, sizeof(*table->entries));
    if (!table->entries)
        return -AL_ENOMEM;
    table->count = count;
    return 0;
}

void al__names_set(struct al__names *table, size_t i, const char *name) {
    table->entries[i].name = name;
    table->entries[i].index = (int32_t)i;
}

int al__names_sort(struct al__names *table, int32_t *first, int32_t *second) {
    if (table->count == 0)
        return 0;
    qsort(table->entries, table->count, sizeof(*table->entries), entry_cmp);
    return find_duplicate(table, first, second);
}

int32_t al__names_find(const struct al__names *table, const char *name) {
    size_t lo = 0, hi = table->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(table->entries[mid].name, name);
        if (c == 0)
            return table->entries[mid].index;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

void al__names_release(struct al__names *table) {
    if (!table)
        return;
    free(table->entries);
    table->entries = NULL;
    table->count = 0;
}
