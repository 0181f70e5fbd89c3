/* cache.c - one Kubernetes kind's objects kept from a list and its watch events, with the keys
 * changed since last asked (see cache.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/kubernetes/cache.h"
#include "util/strmap.h"
#include "util/xalloc.h"

struct entry {
    char *key;
    json_t *object;
};

struct al__kube_cache {
    pthread_mutex_t lock;
    struct al__strmap objects; /* key -> struct entry */
    struct al__strmap changed; /* key -> its own copy of the key (the value) */
    bool synced;
    void (*on_change)(void *arg);
    void *arg;
};

struct al__kube_cache *al__kube_cache_new(void (*changed)(void *arg), void *arg) {
    struct al__kube_cache *c = al__xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    al__strmap_init(&c->objects);
    al__strmap_init(&c->changed);
    c->on_change = changed;
    c->arg = arg;
    return c;
}

static void free_entries(struct al__strmap *m) {
    for (size_t i = 0; i < m->capacity; i++)
        if (m->keys[i]) {
            struct entry *e = m->values[i];
            json_decref(e->object);
            free(e->key);
            free(e);
        }
    al__strmap_clear(m);
}

static void free_changed(struct al__strmap *m) {
    for (size_t i = 0; i < m->capacity; i++)
        if (m->keys[i])
            free(m->values[i]);
    al__strmap_clear(m);
}

void al__kube_cache_free(struct al__kube_cache *c) {
    if (!c)
        return;
    free_entries(&c->objects);
    al__strmap_release(&c->objects);
    free_changed(&c->changed);
    al__strmap_release(&c->changed);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

bool al__kube_cache_key(json_t *o, char *out, size_t size) {
    json_t *meta = json_object_get(o, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    if (!name || !name[0])
        return false;
    size_t n = ns && ns[0] ? (size_t)snprintf(out, size, "%s/%s", ns, name)
                           : (size_t)snprintf(out, size, "%s", name);
    return n < size;
}

/* key changed. Lock held. */
static void mark(struct al__kube_cache *c, const char *key) {
    if (al__strmap_get(&c->changed, key))
        return;
    char *copy = al__xstrdup(key);
    al__strmap_put(&c->changed, copy, copy);
}

/* Puts o under key (or removes key when o is NULL). Lock held. */
static void store(struct al__kube_cache *c, const char *key, json_t *o) {
    struct entry *e = al__strmap_get(&c->objects, key);
    mark(c, key);
    if (!o) {
        if (e) {
            al__strmap_remove(&c->objects, key);
            json_decref(e->object);
            free(e->key);
            free(e);
        }
        return;
    }
    if (!e) {
        e = al__xcalloc(1, sizeof(*e));
        e->key = al__xstrdup(key);
        al__strmap_put(&c->objects, e->key, e);
    } else {
        json_decref(e->object);
    }
    e->object = json_incref(o);
}

static void notify(struct al__kube_cache *c) {
    if (c->on_change)
        c->on_change(c->arg);
}

static void reset(void *arg, json_t *items) {
    struct al__kube_cache *c = arg;
    char key[600];
    size_t i;
    json_t *o;
    pthread_mutex_lock(&c->lock);
    for (size_t k = 0; k < c->objects.capacity; k++) /* everything before may be gone */
        if (c->objects.keys[k])
            mark(c, c->objects.keys[k]);
    free_entries(&c->objects);
    json_array_foreach(items, i, o) {
        if (al__kube_cache_key(o, key, sizeof(key)))
            store(c, key, o);
    }
    c->synced = true;
    pthread_mutex_unlock(&c->lock);
    notify(c);
}

static void event(void *arg, const char *type, json_t *object) {
    struct al__kube_cache *c = arg;
    char key[600];
    if (!al__kube_cache_key(object, key, sizeof(key)))
        return;
    pthread_mutex_lock(&c->lock);
    store(c, key, strcmp(type, "DELETED") == 0 ? NULL : object);
    pthread_mutex_unlock(&c->lock);
    notify(c);
}

void al__kube_cache_watch_ops(struct al__kube_watch_ops *ops) {
    ops->reset = reset;
    ops->event = event;
}

json_t *al__kube_cache_get(struct al__kube_cache *c, const char *key) {
    pthread_mutex_lock(&c->lock);
    struct entry *e = al__strmap_get(&c->objects, key);
    json_t *o = e ? json_incref(e->object) : NULL;
    pthread_mutex_unlock(&c->lock);
    return o;
}

static int by_text(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t al__kube_cache_changes(struct al__kube_cache *c, char ***keys) {
    pthread_mutex_lock(&c->lock);
    size_t n = 0;
    char **out = al__xcalloc(c->changed.count + 1, sizeof(*out));
    for (size_t i = 0; i < c->changed.capacity; i++)
        if (c->changed.keys[i])
            out[n++] = c->changed.values[i]; /* handed over */
    al__strmap_clear(&c->changed);
    pthread_mutex_unlock(&c->lock);
    qsort(out, n, sizeof(*out), by_text);
    *keys = out;
    return n;
}

size_t al__kube_cache_count(struct al__kube_cache *c) {
    pthread_mutex_lock(&c->lock);
    size_t n = c->objects.count;
    pthread_mutex_unlock(&c->lock);
    return n;
}

bool al__kube_cache_synced(struct al__kube_cache *c) {
    pthread_mutex_lock(&c->lock);
    bool synced = c->synced;
    pthread_mutex_unlock(&c->lock);
    return synced;
}

json_t *al__kube_cache_all(struct al__kube_cache *c) {
    json_t *all = json_array();
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->objects.capacity; i++)
        if (c->objects.keys[i])
            json_array_append(all, ((struct entry *)c->objects.values[i])->object);
    pthread_mutex_unlock(&c->lock);
    return all;
}
