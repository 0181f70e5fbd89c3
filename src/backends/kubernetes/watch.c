/* watch.c - list, then watch from the list's resourceVersion, relisting on 410 Gone and backing
 * off with jitter on errors (see watch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/kubernetes/watch.h"
#include "util/xalloc.h"

struct run {
    struct al__kube_client *client;
    const char *path;
    struct al__kube_watch_config config;
    const struct al__kube_watch_ops *ops;
    void *arg;
    struct al__kube_watch_stats *stats;
    char version[64]; /* the resourceVersion to watch from, "" = list first */
    bool gone;        /* the watch said 410: list again */
    uint64_t jitter;  /* xorshift state */
    int64_t backoff_ms;
};

static bool stopping(void *arg) {
    struct run *r = arg;
    return r->ops->stopping(r->arg);
}

static void problem(struct run *r, const char *what) {
    r->stats->errors++;
    if (r->ops->problem)
        r->ops->problem(r->arg, what);
}

/* Waits the current backoff (with jitter: between half and all of it), then doubles it. */
static void back_off(struct run *r) {
    r->jitter ^= r->jitter << 13;
    r->jitter ^= r->jitter >> 7;
    r->jitter ^= r->jitter << 17;
    int64_t wait = r->backoff_ms / 2 + (int64_t)(r->jitter % (uint64_t)(r->backoff_ms / 2 + 1));
    for (int64_t waited = 0; waited < wait && !stopping(r); waited += 50) {
        struct timespec t = {0, 50 * 1000000L};
        nanosleep(&t, NULL);
    }
    r->backoff_ms *= 2;
    if (r->backoff_ms > r->config.backoff_max_ms)
        r->backoff_ms = r->config.backoff_max_ms;
}

static const char *object_version(json_t *object) {
    return json_string_value(
        json_object_get(json_object_get(object, "metadata"), "resourceVersion"));
}

/* Every object, page by page; true with r->version set, false after a problem. */
static bool list(struct run *r) {
    char path[2048], err[512], what[700];
    json_t *items = json_array();
    char *next = NULL;
    r->stats->lists++;
    for (;;) {
        snprintf(path, sizeof(path), "%s?limit=%ld%s%s", r->path, r->config.page,
                 next ? "&continue=" : "", next ? next : "");
        free(next);
        next = NULL;
        long status = 0;
        json_t *answer = NULL;
        if (al__kube_request(r->client, "GET", path, NULL, NULL, &status, &answer, err,
                             sizeof(err)) < 0) {
            problem(r, err);
            json_decref(items);
            return false;
        }
        json_t *page = json_object_get(answer, "items");
        if (status != 200 || !json_is_array(page)) {
            snprintf(what, sizeof(what), "list %s: HTTP %ld: %s", r->path, status,
                     al__kube_status_message(answer));
            problem(r, what);
            r->stats->gone += status == 410; /* a continue token that expired: from the start */
            json_decref(answer);
            json_decref(items);
            return false;
        }
        json_array_extend(items, page);
        json_t *meta = json_object_get(answer, "metadata");
        const char *version = json_string_value(json_object_get(meta, "resourceVersion"));
        const char *token = json_string_value(json_object_get(meta, "continue"));
        snprintf(r->version, sizeof(r->version), "%s", version ? version : "");
        if (token && token[0]) {
            /* tokens are base64url: safe in a query as they are */
            next = al__xstrdup(token);
        }
        json_decref(answer);
        if (!next)
            break;
    }
    r->ops->reset(r->arg, items);
    json_decref(items);
    r->backoff_ms = r->config.backoff_min_ms;
    return true;
}

static bool on_event(void *arg, json_t *event) {
    struct run *r = arg;
    const char *type = json_string_value(json_object_get(event, "type"));
    json_t *object = json_object_get(event, "object");
    if (!type || !json_is_object(object)) {
        if (json_object_get(event, "kind")) /* an error answer: a Status, not an event */
            type = "ERROR", object = event;
        else
            return true;
    }
    if (strcmp(type, "ERROR") == 0) {
        json_int_t code = json_integer_value(json_object_get(object, "code"));
        char what[600];
        if (code == 410) {
            r->gone = true;
            r->stats->gone++;
            return false;
        }
        snprintf(what, sizeof(what), "watch %s: %s", r->path, al__kube_status_message(object));
        problem(r, what);
        return false;
    }
    const char *version = object_version(object);
    if (version)
        snprintf(r->version, sizeof(r->version), "%s", version);
    if (strcmp(type, "BOOKMARK") == 0) {
        r->stats->bookmarks++;
        return true;
    }
    r->backoff_ms = r->config.backoff_min_ms; /* events flow: the server is well */
    r->ops->event(r->arg, type, object);
    return !stopping(r);
}

/* One watch request from r->version; false after a problem (then back off). */
static bool watch(struct run *r) {
    char path[2048], err[512], what[700];
    long status = 0;
    snprintf(path, sizeof(path),
             "%s?watch=1&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=%ld", r->path,
             r->version, r->config.timeout_s);
    r->stats->watches++;
    if (al__kube_stream(r->client, path, r->config.timeout_s + 30, on_event, stopping, r, &status,
                        err, sizeof(err)) < 0) {
        problem(r, err);
        return false;
    }
    if (status == 410) {
        r->gone = true;
        r->stats->gone++;
        return true;
    }
    if (status != 200 && !stopping(r)) {
        snprintf(what, sizeof(what), "watch %s: HTTP %ld", r->path, status);
        problem(r, what);
        return false;
    }
    return true;
}

int al__kube_watch_run(struct al__kube_client *c, const char *path,
                       const struct al__kube_watch_config *config,
                       const struct al__kube_watch_ops *ops, void *arg,
                       struct al__kube_watch_stats *stats) {
    struct run r = {.client = c, .path = path, .ops = ops, .arg = arg, .stats = stats};
    r.config = config ? *config : (struct al__kube_watch_config){0};
    if (r.config.timeout_s <= 0)
        r.config.timeout_s = 300;
    if (r.config.page <= 0)
        r.config.page = 500;
    if (r.config.backoff_min_ms <= 0)
        r.config.backoff_min_ms = 200;
    if (r.config.backoff_max_ms < r.config.backoff_min_ms)
        r.config.backoff_max_ms = 30000 > r.config.backoff_min_ms ? 30000 : r.config.backoff_min_ms;
    r.backoff_ms = r.config.backoff_min_ms;
    r.jitter = (uint64_t)(uintptr_t)&r ^ (uint64_t)time(NULL) ^ 0x9E3779B97F4A7C15ULL;
    memset(stats, 0, sizeof(*stats));
    while (!stopping(&r)) {
        bool ok;
        if (!r.version[0] || r.gone) {
            r.gone = false;
            r.version[0] = '\0';
            ok = list(&r);
        } else {
            ok = watch(&r);
        }
        if (!ok && !stopping(&r))
            back_off(&r);
    }
    return 0;
}
