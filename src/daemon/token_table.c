/* token_table.c - the digests of the tokens allotd knows: open addressing with linear probing,
 * removal by re-inserting the run after the removed slot (no tombstones), under a
 * reader-writer lock. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/token_table.h"
#include "util/xalloc.h"

#define EMPTY -1

static size_t home_of(const struct al__token_table *t, const unsigned char *digest) {
    uint64_t h;
    memcpy(&h, digest, sizeof(h));
    return (size_t)h & (t->capacity - 1);
}

static void clear_slots(struct al__token_entry *slots, size_t n) {
    for (size_t i = 0; i < n; i++) {
        sodium_memzero(&slots[i], sizeof(slots[i]));
        slots[i].session_id = EMPTY;
    }
}

void al__token_table_init(struct al__token_table *t) {
    memset(t, 0, sizeof(*t));
    pthread_rwlock_init(&t->lock, NULL);
    t->capacity = 64;
    t->slots = al__xcalloc(t->capacity, sizeof(*t->slots));
    clear_slots(t->slots, t->capacity);
}

void al__token_table_release(struct al__token_table *t) {
    if (!t->slots)
        return;
    sodium_memzero(t->slots, t->capacity * sizeof(*t->slots));
    free(t->slots);
    pthread_rwlock_destroy(&t->lock);
    memset(t, 0, sizeof(*t));
}

/* The slot of the digest, or the empty slot where it would go. Lock held. */
static size_t slot_of(const struct al__token_table *t, const unsigned char *digest) {
    size_t i = home_of(t, digest);
    while (t->slots[i].session_id != EMPTY &&
           sodium_memcmp(t->slots[i].digest, digest, AL__DIGEST_SIZE) != 0)
        i = (i + 1) & (t->capacity - 1);
    return i;
}

static void insert(struct al__token_table *t, const struct al__token_entry *e) {
    size_t i = slot_of(t, e->digest);
    if (t->slots[i].session_id == EMPTY)
        t->count++;
    t->slots[i] = *e;
}

static void grow(struct al__token_table *t) {
    struct al__token_entry *old = t->slots;
    size_t old_capacity = t->capacity;
    t->capacity *= 2;
    t->slots = al__xcalloc(t->capacity, sizeof(*t->slots));
    clear_slots(t->slots, t->capacity);
    t->count = 0;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].session_id != EMPTY)
            insert(t, &old[i]);
    sodium_memzero(old, old_capacity * sizeof(*old));
    free(old);
}

void al__token_table_put(struct al__token_table *t, const struct al__token_entry *e) {
    pthread_rwlock_wrlock(&t->lock);
    if ((t->count + 1) * 10 > t->capacity * 7)
        grow(t);
    insert(t, e);
    pthread_rwlock_unlock(&t->lock);
}

bool al__token_table_find(struct al__token_table *t, const unsigned char *digest,
                          struct al__token_entry *out) {
    if (!t->slots)
        return false; /* never made (al__auth_init not run: in-process callers) */
    pthread_rwlock_rdlock(&t->lock);
    size_t i = slot_of(t, digest);
    bool found = t->slots[i].session_id != EMPTY;
    if (found)
        *out = t->slots[i];
    pthread_rwlock_unlock(&t->lock);
    return found;
}

/* Empties slot i and re-inserts the entries after it up to the next empty slot. Lock held. */
static void remove_at(struct al__token_table *t, size_t i) {
    sodium_memzero(&t->slots[i], sizeof(t->slots[i]));
    t->slots[i].session_id = EMPTY;
    t->count--;
    for (size_t j = (i + 1) & (t->capacity - 1); t->slots[j].session_id != EMPTY;
         j = (j + 1) & (t->capacity - 1)) {
        struct al__token_entry e = t->slots[j];
        t->slots[j].session_id = EMPTY;
        t->count--;
        insert(t, &e);
        sodium_memzero(&e, sizeof(e));
    }
}

/* Removes every entry `gone` says should go. */
static void drop_where(struct al__token_table *t,
                       bool (*gone)(const struct al__token_entry *e, const void *arg),
                       const void *arg) {
    bool removed = true;
    if (!t->slots)
        return;
    pthread_rwlock_wrlock(&t->lock);
    /* A removal moves entries after it back, possibly before i: passes until one removes none. */
    while (removed) {
        removed = false;
        for (size_t i = 0; i < t->capacity;) {
            if (t->slots[i].session_id != EMPTY && gone(&t->slots[i], arg)) {
                remove_at(t, i); /* slot i may hold a moved entry now: look again */
                removed = true;
            } else {
                i++;
            }
        }
    }
    pthread_rwlock_unlock(&t->lock);
}

static bool of_session(const struct al__token_entry *e, const void *arg) {
    return e->session_id == *(const int64_t *)arg;
}

static bool of_subject(const struct al__token_entry *e, const void *arg) {
    return strcmp(e->subject, arg) == 0;
}

static bool expired_before(const struct al__token_entry *e, const void *arg) {
    return e->expires_s != 0 && e->expires_s < *(const int64_t *)arg;
}

void al__token_table_drop_session(struct al__token_table *t, int64_t session_id) {
    if (session_id > 0)
        drop_where(t, of_session, &session_id);
}

void al__token_table_drop_subject(struct al__token_table *t, const char *subject) {
    drop_where(t, of_subject, subject);
}

void al__token_table_drop_expired(struct al__token_table *t, int64_t now_s) {
    drop_where(t, expired_before, &now_s);
}
