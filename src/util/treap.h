/* treap.h - ordered sets of int32 ids by (key, rank), for indexes that must walk in order. */
#ifndef ALLOT_UTIL_TREAP_H
#define ALLOT_UTIL_TREAP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A family of disjoint sets over ids 0..n-1: every id is in at most one set of the family
 * at a time, so one pair of link arrays serves them all. A set is its root id (-1 = empty).
 * Order: key ascending, then rank ascending (ranks are unique). Heap priorities come from
 * the ids (a fixed hash), so the shape, and every walk, is deterministic.
 * Operations are O(log n) expected; walks cost O(log n + visited).
 */
struct al__treap {
    int32_t *left, *right; /* caller-provided, n entries each */
    int64_t *key;          /* per id: its key while it is in a set */
    const int32_t *rank;   /* per id: unique tie-break */
    /* Optional (both NULL or both set): a second value per id, and per id the largest such
     * value in its subtree, so that walks can skip subtrees where no value is large enough. */
    int64_t *aug, *aug_max;
};

/* al__treap_insert - adds id (not in any set of the family) to *root with `key` (and, for a
 * family with values, value t->aug[id], set by the caller before). */
void al__treap_insert(const struct al__treap *t, int32_t *root, int32_t id, int64_t key);

/* al__treap_erase - removes id from *root (it must be there). */
void al__treap_erase(const struct al__treap *t, int32_t *root, int32_t id);

/* Visitor: returns true to stop the walk. */
typedef bool (*al__treap_visit)(int32_t id, void *ctx);

/*
 * al__treap_walk - visits the ids of `root` with key >= lo, ascending (or descending when
 * `descending`), until visit returns true; returns whether it stopped.
 */
bool al__treap_walk(const struct al__treap *t, int32_t root, int64_t lo, bool descending,
                    al__treap_visit visit, void *ctx);

/* al__treap_walk_min - al__treap_walk over the ids whose value is at least min_aug only
 * (a family with values); subtrees without one are skipped whole. */
bool al__treap_walk_min(const struct al__treap *t, int32_t root, int64_t lo, int64_t min_aug,
                        bool descending, al__treap_visit visit, void *ctx);

/* al__treap_max_aug - the largest value in the set (a family with values), 0 when empty. */
int64_t al__treap_max_aug(const struct al__treap *t, int32_t root);

/* al__treap_last - the id with the largest (key, rank), -1 when empty. */
int32_t al__treap_last(const struct al__treap *t, int32_t root);

#endif
