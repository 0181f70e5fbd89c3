/* treap.c - ordered sets of ids by (key, rank) (see treap.h). */
#include "util/treap.h"

static uint32_t priority_of(int32_t id) { /* a fixed hash of the id */
    uint32_t x = (uint32_t)id * 0x9E3779B1u;
    x ^= x >> 15;
    x *= 0x85EBCA77u;
    return x ^ (x >> 13);
}

static bool before(const struct al__treap *t, int32_t a, int32_t b) {
    return t->key[a] != t->key[b] ? t->key[a] < t->key[b] : t->rank[a] < t->rank[b];
}

/* Recomputes id's subtree maximum from its value and its children's. */
static void pull(const struct al__treap *t, int32_t id) {
    if (!t->aug)
        return;
    int64_t m = t->aug[id];
    int32_t l = t->left[id], r = t->right[id];
    if (l >= 0 && t->aug_max[l] > m)
        m = t->aug_max[l];
    if (r >= 0 && t->aug_max[r] > m)
        m = t->aug_max[r];
    t->aug_max[id] = m;
}

/* Splits `root` into the ids before `pivot` (*l) and the rest (*r). */
static void split(const struct al__treap *t, int32_t root, int32_t pivot, int32_t *l, int32_t *r) {
    if (root < 0) {
        *l = *r = -1;
    } else if (before(t, root, pivot)) {
        split(t, t->right[root], pivot, &t->right[root], r);
        pull(t, root);
        *l = root;
    } else {
        split(t, t->left[root], pivot, l, &t->left[root]);
        pull(t, root);
        *r = root;
    }
}

/* Joins two sets where every id of a comes before every id of b. */
static int32_t merge(const struct al__treap *t, int32_t a, int32_t b) {
    if (a < 0 || b < 0)
        return a < 0 ? b : a;
    if (priority_of(a) > priority_of(b)) {
        t->right[a] = merge(t, t->right[a], b);
        pull(t, a);
        return a;
    }
    t->left[b] = merge(t, a, t->left[b]);
    pull(t, b);
    return b;
}

static int32_t insert_at(const struct al__treap *t, int32_t root, int32_t id) {
    if (root < 0) {
        pull(t, id);
        return id;
    }
    if (priority_of(id) > priority_of(root)) {
        split(t, root, id, &t->left[id], &t->right[id]);
        pull(t, id);
        return id;
    }
    if (before(t, id, root))
        t->left[root] = insert_at(t, t->left[root], id);
    else
        t->right[root] = insert_at(t, t->right[root], id);
    pull(t, root);
    return root;
}

void al__treap_insert(const struct al__treap *t, int32_t *root, int32_t id, int64_t key) {
    t->key[id] = key;
    t->left[id] = t->right[id] = -1;
    *root = insert_at(t, *root, id);
}

static int32_t erase_at(const struct al__treap *t, int32_t root, int32_t id) {
    if (root == id)
        return merge(t, t->left[id], t->right[id]);
    if (before(t, id, root))
        t->left[root] = erase_at(t, t->left[root], id);
    else
        t->right[root] = erase_at(t, t->right[root], id);
    pull(t, root);
    return root;
}

void al__treap_erase(const struct al__treap *t, int32_t *root, int32_t id) {
    *root = erase_at(t, *root, id);
    t->left[id] = t->right[id] = -1;
}

static bool walk(const struct al__treap *t, int32_t root, int64_t lo, int64_t min_aug,
                 bool descending, al__treap_visit visit, void *ctx) {
    while (root >= 0) {
        if (t->aug && t->aug_max[root] < min_aug)
            return false;        /* no value here is large enough */
        if (t->key[root] < lo) { /* this id and everything before it are out of range */
            root = t->right[root];
            continue;
        }
        int32_t first = descending ? t->right[root] : t->left[root];
        int32_t then = descending ? t->left[root] : t->right[root];
        if (walk(t, first, lo, min_aug, descending, visit, ctx))
            return true;
        if ((!t->aug || t->aug[root] >= min_aug) && visit(root, ctx))
            return true;
        root = then;
    }
    return false;
}

bool al__treap_walk(const struct al__treap *t, int32_t root, int64_t lo, bool descending,
                    al__treap_visit visit, void *ctx) {
    return walk(t, root, lo, INT64_MIN, descending, visit, ctx);
}

bool al__treap_walk_min(const struct al__treap *t, int32_t root, int64_t lo, int64_t min_aug,
                        bool descending, al__treap_visit visit, void *ctx) {
    return walk(t, root, lo, min_aug, descending, visit, ctx);
}

int64_t al__treap_max_aug(const struct al__treap *t, int32_t root) {
    return root < 0 ? 0 : t->aug_max[root];
}

int32_t al__treap_last(const struct al__treap *t, int32_t root) {
    while (root >= 0 && t->right[root] >= 0)
        root = t->right[root];
    return root;
}
