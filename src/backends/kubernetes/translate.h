/* translate.h - a cluster's Kubernetes objects (a KAI Scheduler snapshot's rawObjects, or the
 * backend's caches) as an allot snapshot document (docs/snapshot.md), so that the engine, the
 * replay and the checks that read snapshots read them too: Queues as the queue tree, the pods of
 * allot's schedulers grouped into jobs (their PodGroups), Nodes less what pods of other
 * schedulers hold there, priorities from PriorityClasses. */
#ifndef ALLOT_BACKENDS_KUBERNETES_TRANSLATE_H
#define ALLOT_BACKENDS_KUBERNETES_TRANSLATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct al__kube_translate_options {
    /* schedulerName values whose pods allot schedules; NULL: "allot" and "kai-scheduler". */
    const char *const *schedulers;
    size_t scheduler_count;
    const char *pool_label; /* node label naming a node's pool, NULL: none */
    int64_t now_s;          /* the document's clock (Unix seconds): creation times are before it */
};

/*
 * al__kube_translate - raw ({"nodes", "pods", "queues", "podGroups", "priorityClasses"}, each
 * an array of objects; absent ones are empty) into *out, a new snapshot document with the
 * actions of a live cycle. An object that cannot be read, or that names what is not there (a
 * pod group's queue, a queue's parent), is left out with the reason in *skipped (a new array
 * of strings). 0, or -AL_EINVAL with err when raw is not an object of arrays.
 */
int al__kube_translate(json_t *raw, const struct al__kube_translate_options *opt, json_t **out,
                       json_t **skipped, char *err, size_t size);

#endif
