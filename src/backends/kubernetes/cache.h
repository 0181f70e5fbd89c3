/* cache.h - the objects of one Kubernetes kind as the last list and watch events left them, by
 * "namespace/name" (or "name" for cluster-wide kinds): what the backend reads between passes,
 * and which keys changed since it last asked. A watch thread writes it (through the watch ops it
 * hands out), allotd's loop reads it: every call takes its lock. */
#ifndef ALLOT_BACKENDS_KUBERNETES_CACHE_H
#define ALLOT_BACKENDS_KUBERNETES_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "backends/kubernetes/watch.h"

struct al__kube_cache;

/* al__kube_cache_new - an empty cache; changed(arg), if given, is called (no lock held) after
 * each list or event that changed it. */
struct al__kube_cache *al__kube_cache_new(void (*changed)(void *arg), void *arg);
void al__kube_cache_free(struct al__kube_cache *c);

/* al__kube_cache_watch_ops - the reset and event ops of a watch that keeps c (the caller adds
 * problem and stopping; their arg is c). */
void al__kube_cache_watch_ops(struct al__kube_watch_ops *ops);

/* al__kube_cache_key - "namespace/name" or "name" of object o into out; false when it has none. */
bool al__kube_cache_key(json_t *o, char *out, size_t size);

/* al__kube_cache_get - the object under key (a new reference), NULL when none. */
json_t *al__kube_cache_get(struct al__kube_cache *c, const char *key);

/* al__kube_cache_all - every object in it, in no order (a new array of references). */
json_t *al__kube_cache_all(struct al__kube_cache *c);

/* al__kube_cache_changes - the keys put or removed since the last call (each once, sorted), in
 * *keys (the caller frees each and the array); how many. */
size_t al__kube_cache_changes(struct al__kube_cache *c, char ***keys);

/* al__kube_cache_count - objects in it. al__kube_cache_synced - a first list has arrived. */
size_t al__kube_cache_count(struct al__kube_cache *c);
bool al__kube_cache_synced(struct al__kube_cache *c);

#endif
