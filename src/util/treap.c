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

/* Splits `root` into the ids before `pivot` (*l) and the rest (*r). */
static void split(const struct al__treap *t, int32_t root, int32_t pivot, int32_t *l, int32_t *r) {
    if (root < 0) {
        *l = *r = -1;
    } else if (before(t, root, pivot)) {
        split(t, t->right[root], pivot, &t->right[root], r);
        *l = root;
    } else {
        split(t, t->left[root], pivot, l, &t->left[root]);
        *r = root;
    }
}

/* Joins two sets where every id of a comes before every id of b. */
static int32_t merge(const struct al__treap *t, int32_t a, int32_t b) {
    if (a < 0 || b < 0)
        return a < 0 ? b : a;
    if (priority_of(a) > priority_of(b)) {
        t->right[a] = merge(t, t->right[a], b);
        return a;
    }
    t->left[b] = merge(t, a, t->left[b]);
    return b;
}

static int32_t insert_at(const struct al__treap *t, int32_t root, int32_t id) {
    if (root < 0)
        return id;
    if (priority_of(id) > priority_of(root)) {
        split(t, root, id, &t->left[id], &t->right[id]);
        return id;
    }
    if (before(t, id, root))
        t->left[root] = insert_at(t, t->left[root], id);
    else
        t->right[root] = insert_at(t, t->right[root], id);
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
    return root;
}

void al__treap_erase(const struct al__treap *t, int32_t *root, int32_t id) {
    *root = erase_at(t, *root, id);
    t->left[id] = t->right[id] = -1;
}

bool al__treap_walk(const struct al__treap *t, int32_t root, int64_t lo, bool descending,
                    al__treap_visit visit, void *ctx) {
    while (root >= 0) {
        if (t->key[root] < lo) { /* this id and everything before it are out of range */
            root = t->right[root];
            continue;
        }
        int32_t first = descending ? t->right[root] : t->left[root];
        int32_t then = descending ? t->left[root] : t->right[root];
        if (al__treap_walk(t, first, lo, descending, visit, ctx) || visit(root, ctx))
            return true;
        root = then;
    }
    return false;
}

int32_t al__treap_last(const struct al__treap *t, int32_t root) {
    while (root >= 0 && t->right[root] >= 0)
        root = t->right[root];
    return root;
}
