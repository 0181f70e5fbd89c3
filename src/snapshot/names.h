/* names.h - a sorted name -> index table for lookups and duplicate checks while parsing. */
#ifndef ALLOT_SNAPSHOT_NAMES_H
#define ALLOT_SNAPSHOT_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct al__name_entry {
    const char *name; /* borrowed */
    int32_t index;
};

struct al__names {
    struct al__name_entry *entries;
    size_t count;
};

/* al__names_init - room for `count` names; fill every slot with al__names_set(). */
int al__names_init(struct al__names *table, size_t count);

/* al__names_set - slot i holds `name` (borrowed; must outlive the table) for index i. */
void al__names_set(struct al__names *table, size_t i, const char *name);

/*
 * al__names_sort - makes the table searchable. Returns 0, or -AL_EEXIST when a name
 * occurs twice: then *first < *second are the indices of the duplicate pair whose
 * second member comes first. O(n log n).
 */
int al__names_sort(struct al__names *table, int32_t *first, int32_t *second);

/* al__names_find - the index of `name`, or -1. O(log n). */
int32_t al__names_find(const struct al__names *table, const char *name);

/* al__names_release - frees the table. Accepts a zeroed table. */
void al__names_release(struct al__names *table);

#endif
