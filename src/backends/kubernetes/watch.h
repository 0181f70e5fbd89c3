/* watch.h - one kind of Kubernetes object kept in step with the API server: list it, then watch
 * from the list's resourceVersion (with bookmarks, so that the version keeps moving on a quiet
 * kind), list again when the server answers 410 Gone (the version was compacted away), and back
 * off with jitter while the server cannot be reached. */
#ifndef ALLOT_BACKENDS_KUBERNETES_WATCH_H
#define ALLOT_BACKENDS_KUBERNETES_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "backends/kubernetes/client.h"

struct al__kube_watch_ops {
    /* reset - every object of the kind (a JSON array, borrowed): what came before is replaced. */
    void (*reset)(void *arg, json_t *items);
    /* event - "ADDED", "MODIFIED" or "DELETED", with the object (borrowed). */
    void (*event)(void *arg, const char *type, json_t *object);
    /* problem - what went wrong (the server unreachable, an error answer), for the log. */
    void (*problem)(void *arg, const char *what);
    /* stopping - true once the watch should end (asked between requests and about once a
     * second while one waits). */
    bool (*stopping)(void *arg);
};

/* What a run has done, for tests and the log. */
struct al__kube_watch_stats {
    uint64_t lists;     /* full lists (the first, and each after a 410 or an error) */
    uint64_t watches;   /* watch requests */
    uint64_t gone;      /* 410 Gone answers */
    uint64_t bookmarks; /* bookmark events */
    uint64_t errors;    /* transport errors and error answers */
};

struct al__kube_watch_config {
    long timeout_s;         /* each watch request's timeoutSeconds (default 300) */
    long page;              /* objects per list page (default 500) */
    int64_t backoff_min_ms; /* first wait after an error (default 200) */
    int64_t backoff_max_ms; /* the longest (default 30,000) */
};

/*
 * al__kube_watch_run - keeps the kind at path ("/api/v1/nodes",
 * "/apis/scheduling.run.ai/v2/queues") in step until ops->stopping says to end. Always 0.
 */
int al__kube_watch_run(struct al__kube_client *c, const char *path,
                       const struct al__kube_watch_config *config,
                       const struct al__kube_watch_ops *ops, void *arg,
                       struct al__kube_watch_stats *stats);

#endif
