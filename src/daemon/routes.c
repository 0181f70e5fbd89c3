/* routes.c - the API's route table: each route's method, path, handler and the locks it runs
 * under, and the dispatch that matches a request against it (404 for no path, 405 for a path
 * without that method). Handlers parse and render; the locks are declared here, not guessed. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "daemon/api.h"

/* What a handler runs under. */
enum locks {
    READS,  /* the state lock: memory, and the store's reader connection (its own lock) */
    WRITES, /* the store lock, then the state lock: a change in a transaction of its own */
    OWN,    /* none: the handler takes them (group-committed submits) */
};

struct route {
    const char *method;
    const char *path; /* segments after /api/v1/, "*" matching any one */
    enum locks locks;
    void (*handler)(struct allotd *d, const struct al__request *req, struct al__reply *rep);
};

static const struct route routes[] = {
    {"GET", "workloads", READS, al__workloads_list},
    {"POST", "workloads", OWN, al__submit},
    {"GET", "workloads/*", READS, al__workload_get},
    {"DELETE", "workloads/*", WRITES, al__workload_remove},
    {"GET", "workloads/*/logs", READS, al__workload_logs},
    {"GET", "workloads/*/events", READS, al__workload_events},
    {"POST", "workloads/*/suspend", WRITES, al__workload_suspend_route},
    {"POST", "workloads/*/resume", WRITES, al__workload_resume_route},
    {"GET", "workloads/*/attach", READS, al__workload_attach},
    {"POST", "workloads/*/exec", READS, al__workload_exec},
    {"GET", "workloads/*/portforward", READS, al__workload_port_forward},
    {"GET", "departments", READS, al__queues_list},
    {"POST", "departments", WRITES, al__queue_create},
    {"GET", "departments/*", READS, al__queue_get},
    {"PATCH", "departments/*", WRITES, al__queue_update},
    {"DELETE", "departments/*", WRITES, al__queue_delete},
    {"GET", "projects", READS, al__queues_list},
    {"POST", "projects", WRITES, al__queue_create},
    {"GET", "projects/*", READS, al__queue_get},
    {"PATCH", "projects/*", WRITES, al__queue_update},
    {"DELETE", "projects/*", WRITES, al__queue_delete},
    {"GET", "nodes", READS, al__nodes_list},
    {"GET", "nodes/*", READS, al__node_get},
    {"GET", "snapshot", READS, al__snapshot_get},
    {"GET", "audit", OWN, al__audit_list_route}, /* the reader's lock only: no state read */
    {"GET", "audit/verify", OWN, al__audit_verify_route},
};

/* Whether the request's segments match the route's path. */
static bool path_matches(const char *path, const struct al__request *req) {
    size_t i = 0;
    const char *p = path;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (i >= req->segment_count ||
            !((len == 1 && *p == '*') ||
              (strlen(req->segments[i]) == len && strncmp(req->segments[i], p, len) == 0)))
            return false;
        i++;
        p += len + (end ? 1 : 0);
    }
    return i == req->segment_count;
}

void al__route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    const struct route *found = NULL;
    char allowed[64] = "";
    size_t used = 0;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && !found; i++) {
        if (!path_matches(routes[i].path, req))
            continue;
        if (strcmp(routes[i].method, req->method) == 0)
            found = &routes[i];
        else if (used < sizeof(allowed))
            used += (size_t)snprintf(allowed + used, sizeof(allowed) - used, "%s%s",
                                     used ? ", " : "", routes[i].method);
    }
    if (!found) {
        if (used)
            al__reply_error(rep, "method_not_allowed", NULL, "use %s", allowed);
        else
            al__reply_error(rep, "not_found", NULL, "no such path");
        return;
    }
    if (found->locks == OWN) {
        found->handler(d, req, rep);
        return;
    }
    if (found->locks == WRITES) {
        pthread_mutex_lock(&d->store_lock);
        d->audit_by = req->actor; /* the changes' audit rows name it */
    }
    pthread_mutex_lock(&d->lock);
    found->handler(d, req, rep);
    pthread_mutex_unlock(&d->lock);
    if (found->locks == WRITES) {
        d->audit_by = NULL;
        pthread_mutex_unlock(&d->store_lock);
    }
}
