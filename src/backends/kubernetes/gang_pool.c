/* gang_pool.c - what a gang's PodGroup and pods say of where and how long it runs: its node
 * pool (the PodGroup's pool label wins over its pods'; pods naming different pools are refused
 * out loud, never picked from) and its known time limit (its pods' activeDeadlineSeconds); and
 * how a gang allot refuses says so (a PodGroup condition and a Warning Event). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/kube.h"

/* The path of the gang's PodGroup's status, from its key "ns/name". */
static void status_path(const struct al__kube_group *g, char *out, size_t size) {
    const char *slash = strchr(g->key, '/');
    snprintf(out, size, "/apis/scheduling.run.ai/v2alpha2/namespaces/%.*s/podgroups/%s/status",
             (int)(slash - g->key), g->key, slash + 1);
}

void al__kube_gang_refuse(struct al__kube *k, struct al__kube_group *g,
                          const struct al__kube_pod_entry *first, const char *reason,
                          const char *message) {
    char now[40], path[800], what[600];
    if (strncmp(g->refused, message, sizeof(g->refused) - 1) == 0)
        return;
    snprintf(g->refused, sizeof(g->refused), "%s", message);
    fprintf(stderr, "allotd: kubernetes: pod group %s: %s; not scheduled\n", g->key, message);
    if (!al__kube_acting(k))
        return;
    al__kube_time_format((int64_t)time(NULL), now, sizeof(now));
    json_t *seen = al__kube_cache_get(k->watches[AL__KUBE_GROUPS].cache, g->key);
    json_decref(seen);
    if (seen) {
        json_t *patch = json_pack(
            "{s:{s:s, s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}}", "status", "phase", "Pending",
            "schedulingConditions", "type", "UnschedulableOnNodePool", "nodePool", "default",
            "status", "True", "reason", reason, "message", message, "lastTransitionTime", now);
        char latest[900];
        status_path(g, path, sizeof(path));
        snprintf(what, sizeof(what), "status of pod group %s", g->key);
        snprintf(latest, sizeof(latest), "conditions %s", path);
        al__kube_write_latest(k->notes, latest, "PATCH", path, "application/merge-patch+json",
                              patch, what);
    }
    const struct al__kube_pod *p = &first->pod;
    json_t *event = json_pack(
        "{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:s, s:{s:s}, s:s, s:s, "
        "s:i, s:s}",
        "apiVersion", "v1", "kind", "Event", "metadata", "generateName", p->name, "namespace",
        p->namespace_, "involvedObject", "apiVersion", "v1", "kind", "Pod", "namespace",
        p->namespace_, "name", p->name, "uid", p->uid, "reason", reason, "type", "Warning",
        "message", message, "source", "component", "allot", "firstTimestamp", now, "lastTimestamp",
        now, "count", 1, "reportingComponent", "allot");
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events", p->namespace_);
    snprintf(what, sizeof(what), "event %s for pod %s/%s", reason, p->namespace_, p->name);
    al__kube_write(k->notes, "POST", path, "application/json", event, what);
}

void al__kube_gang_refusal_over(struct al__kube *k, struct al__kube_group *g) {
    char path[800], what[600], latest[900];
    if (!g->refused[0])
        return;
    g->refused[0] = '\0';
    json_t *seen = al__kube_cache_get(k->watches[AL__KUBE_GROUPS].cache, g->key);
    json_decref(seen);
    if (!seen || !al__kube_acting(k))
        return;
    status_path(g, path, sizeof(path));
    snprintf(what, sizeof(what), "status of pod group %s", g->key);
    snprintf(latest, sizeof(latest), "conditions %s", path);
    al__kube_write_latest(k->notes, latest, "PATCH", path, "application/merge-patch+json",
                          json_pack("{s:{s:[]}}", "status", "schedulingConditions"), what);
}

bool al__kube_gang_pool(struct al__kube *k, struct al__kube_group *g, const char *group_pool,
                        struct al__kube_pod_entry *const *pods, size_t n, const char **pool) {
    const struct al__kube_pod *named = NULL;
    *pool = NULL;
    if (group_pool[0]) {
        *pool = group_pool; /* KAI reads the PodGroup's: it wins over its pods' */
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        const struct al__kube_pod *p = &pods[i]->pod;
        if (!p->pool[0])
            continue; /* a pod without the label names no pool */
        if (named && strcmp(named->pool, p->pool) != 0) {
            char message[700];
            snprintf(message, sizeof(message),
                     "its pods name different node pools: %.63s (pod %.120s) and %.63s (pod "
                     "%.120s); label the PodGroup with %.100s to say which one the gang runs in",
                     named->pool, named->name, p->pool, p->name, k->pool_label);
            al__kube_gang_refuse(k, g, pods[0], "NodePoolConflict", message);
            return false;
        }
        named = named ? named : p;
    }
    *pool = named ? named->pool : NULL;
    return true;
}

int64_t al__kube_gang_deadline(struct al__kube_pod_entry *const *pods, size_t n) {
    int64_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        if (pods[i]->pod.active_deadline_s <= 0)
            return 0; /* a pod with no deadline: the gang's end is not known */
        if (pods[i]->pod.active_deadline_s > longest)
            longest = pods[i]->pod.active_deadline_s;
    }
    return longest;
}
