/* routes.c - the API's route table: each route's method, path, handler, the locks it runs
 * under and what it does in access.c's terms (resource and verb, checked before the handler
 * runs), and the dispatch that matches a request against it (404 for no path, 405 for a path
 * without that method). Handlers parse and render; the locks are declared here, not guessed. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "daemon/api.h"

/* What a handler runs under. */
enum locks {
    READS,  /* the state lock: memory, and the store's reader connection (its own lock) */
    WRITES, /* the store lock, then the state lock: a change in a transaction of its own */
    OWN,    /* none: the handler takes them (group-committed submits, Argon2id, sign-ins) */
};

/* Who may reach a route: those whose roles allow its resource and verb somewhere (the handler
 * checks the object), anyone signed in (their own session), or anyone (signing in). */
enum gate { CHECKED, SELF, PUBLIC };

struct route {
    const char *method;
    const char *path; /* segments after /api/v1/, "*" matching any one */
    enum locks locks;
    void (*handler)(struct allotd *d, const struct al__request *req, struct al__reply *rep);
    enum gate gate;
    enum al__resource res;
    enum al__verb verb;
};

#define W  AL__RES_WORKLOAD
#define P  AL__RES_PROJECT
#define D  AL__RES_DEPARTMENT
#define RD AL__VERB_READ
#define CR AL__VERB_CREATE
#define UP AL__VERB_UPDATE
#define DE AL__VERB_DELETE

static const struct route routes[] = {
    {"GET", "workloads", READS, al__workloads_list, CHECKED, W, RD},
    {"POST", "workloads", OWN, al__submit, CHECKED, W, CR},
    {"GET", "workloads/*", READS, al__workload_get, CHECKED, W, RD},
    {"DELETE", "workloads/*", WRITES, al__workload_remove, CHECKED, W, DE},
    {"GET", "workloads/*/logs", READS, al__workload_logs, CHECKED, W, AL__VERB_LOGS},
    {"GET", "workloads/*/events", READS, al__workload_events, CHECKED, W, RD},
    {"POST", "workloads/*/suspend", WRITES, al__workload_suspend_route, CHECKED, W,
     AL__VERB_CONTROL},
    {"POST", "workloads/*/resume", WRITES, al__workload_resume_route, CHECKED, W, AL__VERB_CONTROL},
    {"GET", "workloads/*/attach", READS, al__workload_attach, CHECKED, W, AL__VERB_STREAM},
    {"POST", "workloads/*/exec", READS, al__workload_exec, CHECKED, W, AL__VERB_STREAM},
    {"GET", "workloads/*/portforward", READS, al__workload_port_forward, CHECKED, W,
     AL__VERB_STREAM},
    {"GET", "departments", READS, al__queues_list, CHECKED, D, RD},
    {"POST", "departments", WRITES, al__queue_create, CHECKED, D, CR},
    {"GET", "departments/*", READS, al__queue_get, CHECKED, D, RD},
    {"PATCH", "departments/*", WRITES, al__queue_update, CHECKED, D, UP},
    {"DELETE", "departments/*", WRITES, al__queue_delete, CHECKED, D, DE},
    {"GET", "projects", READS, al__queues_list, CHECKED, P, RD},
    {"POST", "projects", WRITES, al__queue_create, CHECKED, P, CR},
    {"GET", "projects/*", READS, al__queue_get, CHECKED, P, RD},
    {"PATCH", "projects/*", WRITES, al__queue_update, CHECKED, P, UP},
    {"DELETE", "projects/*", WRITES, al__queue_delete, CHECKED, P, DE},
    {"GET", "nodes", READS, al__nodes_list, CHECKED, AL__RES_NODE, RD},
    {"GET", "nodes/*", READS, al__node_get, CHECKED, AL__RES_NODE, RD},
    {"GET", "topologies", READS, al__topologies_list, CHECKED, AL__RES_NODE, RD},
    {"GET", "pools", READS, al__pools_list, CHECKED, AL__RES_NODE, RD},
    {"GET", "pools/*", READS, al__pool_get, CHECKED, AL__RES_NODE, RD},
    /* changes as they happen (routes_events.c): the ring's lock only */
    {"GET", "events", OWN, al__events_route, CHECKED, W, RD},
    {"GET", "snapshot", READS, al__snapshot_get, CHECKED, AL__RES_SNAPSHOT, RD},
    /* the reader's lock only: no state read */
    {"GET", "audit", OWN, al__audit_list_route, CHECKED, AL__RES_AUDIT, RD},
    {"GET", "audit/verify", OWN, al__audit_verify_route, CHECKED, AL__RES_AUDIT, RD},
    /* subjects and access rules (routes_identity.c); users' passwords are hashed unlocked */
    {"GET", "users", OWN, al__users_list, CHECKED, AL__RES_USER, RD},
    {"POST", "users", OWN, al__user_create_route, CHECKED, AL__RES_USER, CR},
    {"GET", "users/*", OWN, al__user_get, CHECKED, AL__RES_USER, RD},
    {"PATCH", "users/*", OWN, al__user_update_route, CHECKED, AL__RES_USER, UP},
    {"DELETE", "users/*", OWN, al__user_delete_route, CHECKED, AL__RES_USER, DE},
    {"GET", "groups", OWN, al__groups_list, CHECKED, AL__RES_GROUP, RD},
    {"POST", "groups", OWN, al__group_create_route, CHECKED, AL__RES_GROUP, CR},
    {"DELETE", "groups/*", OWN, al__group_delete_route, CHECKED, AL__RES_GROUP, DE},
    {"GET", "apps", OWN, al__apps_list, CHECKED, AL__RES_APP, RD},
    {"POST", "apps", OWN, al__app_create_route, CHECKED, AL__RES_APP, CR},
    {"DELETE", "apps/*", OWN, al__app_delete_route, CHECKED, AL__RES_APP, DE},
    {"GET", "access-rules", READS, al__rules_list, CHECKED, AL__RES_ACCESS_RULE, RD},
    {"POST", "access-rules", WRITES, al__rule_create_route, CHECKED, AL__RES_ACCESS_RULE, CR},
    {"DELETE", "access-rules/*", WRITES, al__rule_delete_route, CHECKED, AL__RES_ACCESS_RULE, DE},
    /* reports (routes_reports.c): the reader's lock only */
    {"GET", "reports/consumption", OWN, al__consumption_route, CHECKED, AL__RES_REPORT, RD},
    /* signing in and out (routes_token.c) */
    {"POST", "token", OWN, al__token_route, PUBLIC, 0, 0},
    {"POST", "token/revoke", OWN, al__token_revoke_route, SELF, 0, 0},
    {"GET", "whoami", OWN, al__whoami_route, SELF, 0, 0},
    {"POST", "sso/start", OWN, al__sso_start_route, PUBLIC, 0, 0}, /* (routes_sso.c) */
    {"GET", "sso/callback", OWN, al__sso_callback_route, PUBLIC, 0, 0},
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

size_t al__route_count(void) {
    return sizeof(routes) / sizeof(routes[0]);
}

const char *al__route_path(size_t i, const char **method) {
    *method = i < al__route_count() ? routes[i].method : "";
    return i < al__route_count() ? routes[i].path : "";
}

int al__route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
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
        return -1;
    }
    int index = (int)(found - routes);
    if (found->gate != PUBLIC && (!req->who || !req->who->subject[0])) {
        al__reply_error(rep, "unauthenticated", NULL, "missing or invalid bearer token");
        return index;
    }
    if (found->gate == CHECKED && !al__may_somewhere(req->who, found->res, found->verb)) {
        al__reply_error(rep, "permission_denied", NULL, "%s holds no role that may %s %ss",
                        req->who->subject, al__verb_name(found->verb),
                        al__resource_name(found->res));
        return index;
    }
    static const struct al__actor in_process = {"system", "local"}; /* no HTTP layer (fuzzing) */
    struct al__request checked = *req;
    checked.res = found->res;
    checked.verb = found->verb;
    if (!checked.actor)
        checked.actor = &in_process;
    if (found->locks == OWN) {
        found->handler(d, &checked, rep);
        return index;
    }
    if (found->locks == WRITES) {
        pthread_mutex_lock(&d->store_lock);
        d->audit_by = checked.actor; /* the changes' audit rows name it */
    }
    pthread_mutex_lock(&d->lock);
    found->handler(d, &checked, rep);
    pthread_mutex_unlock(&d->lock);
    if (found->locks == WRITES) {
        d->audit_by = NULL;
        pthread_mutex_unlock(&d->store_lock);
    }
    return index;
}
