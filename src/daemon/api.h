/* api.h - what a REST route sees of a request and how it answers: JSON bodies, errors in the
 * form of DESIGN.md section 4, raw text and streamed bodies. Routes know nothing of the HTTP
 * library. */
#ifndef ALLOT_DAEMON_API_H
#define ALLOT_DAEMON_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/access.h"
#include "daemon/daemon.h"
#include "snapshot/json_util.h"
#include "snapshot/json_write.h" /* al__gpus_json, al__amounts_json */

#define AL__MAX_SEGMENTS 8

/* The protocol of a stream (docs/api.md, "Streams"): what a client names in its Upgrade header. */
#define AL__STREAM_PROTOCOL "allot-stream/1"

struct al__request {
    const char *method;
    const char *upgrade;           /* the Upgrade header, or NULL */
    const char *last_event_id;     /* the Last-Event-ID header (an event stream's), or NULL */
    const struct al__actor *actor; /* who sent it and from where (audit.h) */
    /* Who it is made by and what they hold (access.h); NULL for none, which may do nothing.
     * The route table sets res and verb: what the route does, checked against it. */
    const struct al__principal *who;
    enum al__resource res;
    enum al__verb verb;
    const char *body; /* NUL-terminated, body_len bytes; "" when none */
    size_t body_len;
    const char *segments[AL__MAX_SEGMENTS]; /* the path after /api/v1/, split at '/' */
    size_t segment_count;
    /* Query parameters: lookup(ctx, key) gives the value or NULL. */
    const char *(*lookup)(void *ctx, const char *key);
    void *lookup_ctx;
};

/* A body produced piece by piece (log following, events). read() returns bytes written into
 * buf, 0 for "nothing yet" (it is called again), -1 at the end. done() frees ctx. */
struct al__stream {
    ssize_t (*read)(void *ctx, uint64_t pos, char *buf, size_t max);
    void (*done)(void *ctx);
    void *ctx;
    const char *type; /* its Content-Type (static), NULL for text/plain */
    /* Whether a client that takes none of what waits for it within the idle timeout is
     * dropped (events: the stream's bytes are its own); else a follower is never closed. */
    bool drop_unread;
};

/* An answer that turns the connection into a stream: once the route has answered (its locks
 * let go), `open` reaches the task's side - 0 with *fd, or -1 with the error the client gets
 * instead (code, field, message) - and allotd answers 101 and relays bytes both ways until
 * either side ends. done() frees ctx, whatever happened. */
struct al__upgrade {
    int (*open)(void *ctx, int *fd, const char **code, char *field, size_t fsize, char *msg,
                size_t msize);
    void (*done)(void *ctx);
    void *ctx;
};

struct al__reply {
    int status;
    json_t *json; /* owned; sent as application/json */
    char *text;   /* owned; sent as text/plain when json is NULL */
    size_t text_len;
    int64_t log_offset;         /* >= 0: sent as X-Allot-Log-Offset */
    int64_t log_start;          /* >= 0: sent as X-Allot-Log-Start */
    struct al__stream stream;   /* used when read is set */
    struct al__upgrade upgrade; /* used when open is set */
    const char *content_type;   /* of text, static; NULL: text/plain; charset=utf-8 */
};

/* al__query - a query parameter of the request, or NULL. */
const char *al__query(const struct al__request *req, const char *key);

/* al__reply_json - status and body (ownership taken). */
void al__reply_json(struct al__reply *rep, int status, json_t *body);

/*
 * al__reply_error - {"error": {"code", "field", "message"}}; field may be NULL. The status
 * follows from the code (invalid_argument 400, unauthenticated 401, not_found 404,
 * method_not_allowed 405, already_exists/failed_precondition 409, payload_too_large 413,
 * permission_denied 403, resource_exhausted 429,
 * internal 500).
 */
void al__reply_error(struct al__reply *rep, const char *code, const char *field, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));

/* al__request_json - the body parsed as a JSON object; on failure answers 400 and gives NULL. */
json_t *al__request_json(const struct al__request *req, struct al__reply *rep);

/*
 * al__query_int - an integer query parameter in [min, max] (default when absent); on a bad
 * value answers 400 naming the parameter and returns -1.
 */
int al__query_int(const struct al__request *req, struct al__reply *rep, const char *key,
                  int64_t def, int64_t min, int64_t max, int64_t *out);

/* al__query_bool - "true"/"false"/"1"/"0" (default when absent); -1 with a 400 otherwise. */
int al__query_bool(const struct al__request *req, struct al__reply *rep, const char *key, bool def,
                   bool *out);

/* al__list_reply - {"items", "total", "limit", "offset"} with ownership of items. */
void al__list_reply(struct al__reply *rep, json_t *items, size_t total, int64_t limit,
                    int64_t offset);

/* al__paging - the limit (default 100, at most 1000) and offset of a list request. */
int al__paging(const struct al__request *req, struct al__reply *rep, int64_t *limit,
               int64_t *offset);

/* al__route - answers a request under /api/v1/ (after authentication) from the route table
 * (routes.c), under the locks the route declares. Returns the route's index in the table
 * (metrics.h), -1 when no route has the path. */
int al__route(struct allotd *d, const struct al__request *req, struct al__reply *rep);

/*
 * al__submit - POST /api/v1/workloads with group commit: validates under the lock, queues the
 * workload, and returns once a transaction holding it (and any submits queued meanwhile) is
 * durable. Called with no lock held.
 */
void al__submit(struct allotd *d, const struct al__request *req, struct al__reply *rep);

/*
 * The handlers of the route table, one file per resource. A read runs with the state lock
 * held; a change with the store lock and the state lock (see routes.c). A handler resolves
 * the resource its path names (404 when there is none).
 */
void al__workloads_list(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__workload_get(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__workload_remove(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__workload_suspend_route(struct allotd *d, const struct al__request *req,
                                struct al__reply *rep);
void al__workload_resume_route(struct allotd *d, const struct al__request *req,
                               struct al__reply *rep);
void al__workload_logs(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__workload_events(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__queues_list(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__queue_create(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__queue_get(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__queue_update(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__queue_delete(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__nodes_list(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__node_get(struct allotd *d, const struct al__request *req, struct al__reply *rep);
/* GET /api/v1/topologies: the topologies the nodes' labels describe (routes_nodes.c). */
void al__topologies_list(struct allotd *d, const struct al__request *req, struct al__reply *rep);
/* routes_pools.c: the node pools the nodes form ("default" = nodes with none), with capacity and
 * what each project holds there and its quota there. */
void al__pools_list(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__pool_get(struct allotd *d, const struct al__request *req, struct al__reply *rep);
/* The audit log (routes_audit.c): called with no lock held (they take the reader's). */
void al__audit_list_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__audit_verify_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
/* Consumption reports (routes_reports.c): called with no lock held (it takes the reader's). */
void al__consumption_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
/* Subjects and access rules (routes_identity.c, routes_rules.c): called with no lock held but
 * the rules' (WRITES, READS). */
void al__users_list(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__user_get(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__user_create_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__user_update_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__user_delete_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__groups_list(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__group_create_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__group_delete_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__apps_list(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__app_create_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__app_delete_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__rules_list(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__rule_create_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__rule_delete_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
/* Signing in (routes_token.c): POST token needs no token; revoke and whoami any valid one. */
void al__token_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__token_revoke_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__whoami_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
/* al__sign_in_allowed - takes one sign-in attempt from the request's address budget
 * (login_guard.h): true, or false after answering 429 with the seconds to wait. */
bool al__sign_in_allowed(struct allotd *d, const struct al__request *req, struct al__reply *rep);
/* Single sign-on (routes_sso.c): no token needed; the grants are POST token's. */
void al__sso_start_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__sso_callback_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__sso_device_grant(struct allotd *d, const struct al__request *req, const json_t *body,
                          struct al__reply *rep);
void al__sso_exchange_grant(struct allotd *d, const struct al__request *req, const json_t *body,
                            struct al__reply *rep);
void al__snapshot_get(struct allotd *d, const struct al__request *req, struct al__reply *rep);
/* The event stream (routes_events.c): called with no lock held (it takes the ring's). */
void al__events_route(struct allotd *d, const struct al__request *req, struct al__reply *rep);
/* Streams to a running task (routes_streams.c): answers with an upgrade. */
void al__workload_attach(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__workload_exec(struct allotd *d, const struct al__request *req, struct al__reply *rep);
void al__workload_port_forward(struct allotd *d, const struct al__request *req,
                               struct al__reply *rep);

/* The subject of the scrape token (--metrics-token-file): it may read /metrics, nothing else. */
#define AL__METRICS_SUBJECT "token:metrics"

/* al__metrics_reply - GET /metrics (metrics_state.c), called with no lock held: the
 * exposition text for the scrape token or a subject who may read metrics (403 otherwise). */
void al__metrics_reply(struct allotd *d, const struct al__principal *who, const char *method,
                       struct al__reply *rep);

/* al__metrics_text - the exposition text (heap, *len bytes): the gauges copied under the
 * state lock (*locked_ns: how long it was held), then the counters. */
char *al__metrics_text(struct allotd *d, size_t *len, uint64_t *locked_ns);

/* al__workload_find - the workload a path names (segment 1): live, or a retired one read from
 * the store (*retired is set then: the caller frees it). NULL after answering 404. */
struct al__dworkload *al__workload_find(struct allotd *d, const struct al__request *req,
                                        struct al__reply *rep, struct al__dworkload **retired);

/* al__workload_json - the API's workload object (docs/api.md). */
json_t *al__workload_json(const struct allotd *d, const struct al__dworkload *w);
/* al__workloads_json - the objects of n workloads (a batch of submits), their queue positions
 * counted in one pass over the state rather than one pass each. */
void al__workloads_json(const struct allotd *d, const struct al__dworkload *const *ws, size_t n,
                        json_t **out);

#endif
