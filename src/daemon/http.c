/* http.c - the libmicrohttpd glue: a pool of threads over epoll serves every connection; bodies
 * are collected up to AL__MAX_BODY, tokens checked, and the route's reply turned into a
 * response; the dashboard's files (/, /ui/...) are answered by ui.c. A stream with nothing to send
 * (a quiet log follower) is parked - its connection suspended, costing no thread - and woken to
 * look again a few times a second. */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "allot/errors.h"
#include "daemon/api.h"
#include "daemon/http.h"
#include "daemon/http_auth.h"
#include "daemon/http_deadlines.h"
#include "daemon/relay.h"
#include "daemon/subject_rate.h"
#include "daemon/ui.h"
#include "util/xalloc.h"

#define POOL_THREADS     32  /* request handlers may wait for the state lock or a commit */
#define WAKE_INTERVAL_MS 200 /* how often parked streams look for new output */
/* Descriptors kept for the store, logs and forks, and each pool thread's epoll and wake-up
 * descriptors: an accept() that fails for want of one leaves every new connection waiting. */
#define FDS_SPARE (64 + 3 * POOL_THREADS)
/* What the kernel holds for an event stream's client that reads slowly: a fixed buffer (no
 * autotuning to megabytes), so that such a client soon takes nothing and is dropped. */
#define EVENT_STREAM_SNDBUF (16 * 1024)
#define CONNECTIONS_MAX     16384

struct al__http {
    struct MHD_Daemon *mhd;
    struct al__relays relays;       /* streams (attach, exec, port-forward) */
    struct al__deadlines deadlines; /* connections owing a request */
    pthread_mutex_t lock;           /* guards the parked list and stopping */
    struct MHD_Connection **parked;
    size_t parked_count, parked_cap;
    bool stopping;
    bool woken;             /* al__http_wake: resume the parked now */
    bool tls;               /* HTTPS: upgraded connections pass no half-close on (relay.h) */
    int64_t idle_timeout_s; /* allotd's (daemon.h) */
    pthread_cond_t wake;
    pthread_t waker;
};

/* A streamed answer and the connection it goes to (to park it). */
struct stream {
    struct al__stream s;
    struct al__http *http;
    struct MHD_Connection *conn;
};

/* The task's side of a stream, from its open() until the upgrade handler hands it to a relay
 * (fd -1 then); freed with the request (a connection that broke before the 101 was sent never
 * reaches the handler: its fd is closed then). */
struct upgrading {
    struct al__http *http;
    int fd;
};

/* What one request collects while its body arrives. */
struct pending {
    char *body;
    size_t len;
    bool too_large;
    bool refused;   /* answered when its head arrived (a bad token): its body is not read */
    bool anonymous; /* a route that needs no token (signing in) */
    struct al__token_entry who; /* its token's subject, session and expiry */
    struct upgrading *upgrading;
    uint64_t began_ns; /* when its head arrived (metrics.h) */
    int route;         /* the route that answered it, or an AL__METRICS_ROUTE_* value */
};

/* The deadline of the connection (see on_connection). */
static struct al__watch *watch_of(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

static const char *lookup_query(void *ctx, const char *key) {
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

/* Nothing to send now: the connection is suspended until the waker resumes it. */
static void park(struct stream *st) {
    struct al__http *h = st->http;
    pthread_mutex_lock(&h->lock);
    MHD_suspend_connection(st->conn);
    al__xgrow(&h->parked, &h->parked_cap, h->parked_count + 1, sizeof(*h->parked));
    h->parked[h->parked_count++] = st->conn;
    pthread_mutex_unlock(&h->lock);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    struct stream *st = cls;
    ssize_t n = st->s.read(st->s.ctx, pos, buf, max);
    if (n == 0)
        park(st);
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void stream_free(void *cls) {
    struct stream *st = cls;
    if (st->s.done)
        st->s.done(st->s.ctx);
    free(st);
}

/* Resumes every parked connection (each looks for output again, and parks again if none). */
static void resume_parked(struct al__http *h) {
    for (size_t i = 0; i < h->parked_count; i++)
        MHD_resume_connection(h->parked[i]);
    h->parked_count = 0;
}

static void *waker_run(void *arg) {
    struct al__http *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WAKE_INTERVAL_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        if (!h->woken)
            pthread_cond_timedwait(&h->wake, &h->lock, &until);
        h->woken = false;
        resume_parked(h);
        al__deadlines_expire(&h->deadlines);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

void al__http_wake(struct al__http *h) {
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    if (!h->woken) { /* a burst of events wakes the waker once */
        h->woken = true;
        pthread_cond_signal(&h->wake);
    }
    pthread_mutex_unlock(&h->lock);
}

/* A stream's client connection, handed back to MHD when its relay ends. */
static void upgraded_close(void *arg) {
    MHD_upgrade_action(arg, MHD_UPGRADE_ACTION_CLOSE);
}

/* A stream's client connection over TLS, and its TCP socket (libmicrohttpd's). */
struct upgraded_tls {
    struct MHD_UpgradeResponseHandle *urh;
    int tcp;
};

/*
 * libmicrohttpd (0.9.75) ends an upgraded TLS connection only once the client's side has
 * ended too, however long the client waits for the end of what it was sent: the relay has
 * ended, so allotd reads no more from the client - libmicrohttpd then sees its side end, sends
 * what the relay wrote and closes. The socket is still open here: libmicrohttpd closes it
 * only after the close action.
 */
static void upgraded_close_tls(void *arg) {
    struct upgraded_tls *u = arg;
    shutdown(u->tcp, SHUT_RD);
    MHD_upgrade_action(u->urh, MHD_UPGRADE_ACTION_CLOSE);
    free(u);
}

static void upgraded(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra,
                     size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh) {
    struct upgrading *u = cls;
    (void)con_cls;
    int fd = u->fd;
    u->fd = -1;
    const union MHD_ConnectionInfo *info =
        u->http->tls ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD) : NULL;
    if (!info) {
        al__relay_start(&u->http->relays, sock, fd, extra, extra_len, u->http->tls, upgraded_close,
                        urh);
        return;
    }
    struct upgraded_tls *t = al__xmalloc(sizeof(*t));
    *t = (struct upgraded_tls){urh, info->connect_fd};
    al__relay_start(&u->http->relays, sock, fd, extra, extra_len, true, upgraded_close_tls, t);
}

/* Opens the task's side of a stream and answers 101, or turns the reply into the error open
 * gave. NULL when the reply is an error now. */
static struct MHD_Response *upgrade_response(struct al__http *http, struct MHD_Connection *conn,
                                             struct pending *pend, struct al__reply *rep) {
    char field[64] = "", msg[512] = "";
    const char *code = "internal";
    int fd = -1;
    struct al__upgrade up = rep->upgrade;
    rep->upgrade = (struct al__upgrade){NULL, NULL, NULL};
    int rc = al__relays_full(&http->relays)
                 ? (snprintf(msg, sizeof msg, "%d streams are open already: try again later",
                             AL__RELAYS_MAX),
                    code = "unavailable", -1)
                 : up.open(up.ctx, &fd, &code, field, sizeof field, msg, sizeof msg);
    up.done(up.ctx);
    if (rc < 0) {
        al__reply_error(rep, code, field[0] ? field : NULL, "%s", msg);
        return NULL;
    }
    struct upgrading *u = al__xmalloc(sizeof(*u));
    *u = (struct upgrading){http, fd};
    struct al__watch *w = watch_of(conn);
    if (w)
        al__deadlines_upgraded(&http->deadlines, w);
    pend->upgrading = u;
    struct MHD_Response *resp = MHD_create_response_for_upgrade(upgraded, u);
    if (!resp) {
        al__reply_error(rep, "internal", NULL, "cannot upgrade the connection");
        return NULL;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, AL__STREAM_PROTOCOL);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "Upgrade");
    rep->status = MHD_HTTP_SWITCHING_PROTOCOLS;
    return resp;
}

static enum MHD_Result send_reply(struct al__http *http, struct MHD_Connection *conn,
                                  struct pending *pend, struct al__reply *rep) {
    struct MHD_Response *resp;
    const char *type = "text/plain; charset=utf-8";
    enum MHD_Result ok;

    if (rep->upgrade.open) {
        resp = upgrade_response(http, conn, pend, rep);
        if (resp) {
            ok = MHD_queue_response(conn, (unsigned)rep->status, resp);
            MHD_destroy_response(resp);
            return ok;
        }
    }
    if (rep->stream.read) {
        /* A follower waits as long as the task runs: never closed for being quiet (a parked
         * one is resumed a few times a second, which counts as activity). An event stream's
         * client that takes nothing of what waits for it is closed after the idle timeout. */
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                  rep->stream.drop_unread ? (unsigned)http->idle_timeout_s : 0U);
        if (rep->stream.type)
            type = rep->stream.type;
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (rep->stream.drop_unread && fd)
            setsockopt(fd->connect_fd, SOL_SOCKET, SO_SNDBUF, &(int){EVENT_STREAM_SNDBUF},
                       sizeof(int));
        struct stream *st = al__xmalloc(sizeof(*st));
        *st = (struct stream){rep->stream, http, conn};
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, st,
                                                 stream_free);
    } else if (rep->json) {
        char *text = json_dumps(rep->json, JSON_COMPACT);
        if (!text)
            text = al__xstrdup("{}");
        resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        type = "application/json";
    } else {
        resp = MHD_create_response_from_buffer(rep->text_len, rep->text ? rep->text : "",
                                               MHD_RESPMEM_MUST_COPY);
    }
    if (!resp)
        return MHD_NO;
    if (rep->content_type && !rep->json && !rep->stream.read)
        type = rep->content_type;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (rep->stream.type) /* no proxy may keep it back or cache it */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (rep->log_offset >= 0) {
        char offset[32];
        snprintf(offset, sizeof(offset), "%lld", (long long)rep->log_offset);
        MHD_add_response_header(resp, "X-Allot-Log-Offset", offset);
    }
    if (rep->log_start >= 0 && rep->status < 300) { /* where tail= or since= had it start */
        char start[32];
        snprintf(start, sizeof(start), "%lld", (long long)rep->log_start);
        MHD_add_response_header(resp, "X-Allot-Log-Start", start);
    }
    ok = MHD_queue_response(conn, (unsigned)rep->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes %HH escapes of a path or query value in place, except %00: a NUL would cut the value
 * short ("victim%00/logs" is not "victim"), so it stays as written and names nothing. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s) {
    char *out = s;
    (void)cls;
    (void)conn;
    for (const char *in = s; *in;) {
        int hi = in[0] == '%' ? hex_digit(in[1]) : -1, lo = hi >= 0 ? hex_digit(in[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

/* Splits "/api/v1/a/b" into segments a, b (in place, in `copy`). Returns false for other paths. */
static bool split_path(char *copy, struct al__request *req) {
    static const char prefix[] = "/api/v1/";
    char *p, *save = NULL;

    if (strncmp(copy, prefix, sizeof(prefix) - 1) != 0)
        return false;
    p = copy + sizeof(prefix) - 1;
    for (char *seg = strtok_r(p, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        if (req->segment_count == AL__MAX_SEGMENTS)
            return false;
        req->segments[req->segment_count++] = seg;
    }
    return true;
}

/* GET /healthz: up, whether the last cycle ran ("degraded" with the reason when not), how
 * long the last cycles took, how many workloads are in memory and in the store only, and the
 * event stream's ring and followers. */
static void health_reply(struct allotd *d, struct al__reply *rep) {
    pthread_mutex_lock(&d->lock);
    json_t *why = d->cycle_error[0] ? json_string(d->cycle_error) : json_null();
    json_t *timing = al__cycle_stats_json(&d->cycle_stats);
    json_int_t cycles = (json_int_t)d->cycles;
    json_t *workloads = json_pack("{s:I, s:I}", "in_memory", (json_int_t)d->state.workload_count,
                                  "retired", (json_int_t)d->state.retired.count);
    pthread_mutex_lock(&d->events.lock);
    json_t *events = json_pack("{s:I, s:I, s:I}", "kept", (json_int_t)d->events.count, "last_id",
                               (json_int_t)(d->events.next_id - 1), "followers",
                               (json_int_t)d->events.followers);
    pthread_mutex_unlock(&d->events.lock);
    pthread_mutex_unlock(&d->lock);
    al__reply_json(rep, 200,
                   json_pack("{s:s, s:o, s:I, s:o, s:o, s:o}", "status",
                             json_is_null(why) ? "ok" : "degraded", "cycle_error", why, "cycles",
                             cycles, "timing", timing, "workloads", workloads, "events", events));
}

/* Who sends the request (`subject`, "unknown" for NULL) and from where (the client's
 * "IP:PORT"), for the audit log. */
static void actor_of(struct MHD_Connection *conn, const char *subject, struct al__actor *by) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        port = ntohs(in->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        port = ntohs(in6->sin6_port);
    }
    snprintf(by->source, sizeof(by->source), "%s:%u", ip, port);
    snprintf(by->subject, sizeof(by->subject), "%s", subject ? subject : "unknown");
}

/* Routes that need no token: signing in (with a password, a secret, or through the identity
 * provider, whose browser redirect carries none). */
static bool public_path(const char *url) {
    return strcmp(url, "/api/v1/token") == 0 || strcmp(url, "/api/v1/sso/start") == 0 ||
           strcmp(url, "/api/v1/sso/callback") == 0;
}

/* The principal of an authorised request (its roles from the directory), or of an anonymous
 * one (no subject, no role); false after answering 429 when the subject is over its budget. */
static bool principal_of(struct allotd *d, const struct pending *pend, struct al__principal *p,
                         struct al__reply *rep) {
    struct timespec now;
    int64_t retry_ms = 0;
    memset(p, 0, offsetof(struct al__principal, bindings));
    if (pend->anonymous)
        return true;
    snprintf(p->subject, sizeof(p->subject), "%s", pend->who.subject);
    p->session_id = pend->who.session_id;
    p->expires_s = pend->who.expires_s;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!al__subject_rate_allow(d->rates, p->subject,
                                (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, &retry_ms)) {
        al__reply_error(rep, "resource_exhausted", NULL,
                        "%s is over its request rate: try again in %lld ms", p->subject,
                        (long long)retry_ms);
        return false;
    }
    al__directory_principal(&d->dir, p);
    return true;
}

static void handle(struct allotd *d, struct MHD_Connection *conn, const char *url,
                   const char *method, struct pending *pend, struct al__reply *rep) {
    struct al__actor by;
    struct al__principal who;
    struct al__request req = {
        .actor = &by,
        .who = &who,
        .method = method,
        .upgrade = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_UPGRADE),
        .last_event_id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID"),
        .body = pend->body ? pend->body : "",
        .body_len = pend->len,
        .lookup = lookup_query,
        .lookup_ctx = conn};
    char *copy;

    if (strcmp(url, "/healthz") == 0) {
        pend->route = AL__METRICS_ROUTE_HEALTHZ;
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            al__reply_error(rep, "method_not_allowed", NULL, "/healthz answers GET");
        else
            health_reply(d, rep);
        return;
    }
    actor_of(conn, pend->anonymous ? NULL : pend->who.subject, &by);
    if (!principal_of(d, pend, &who, rep))
        return;
    if (pend->too_large) {
        al__reply_error(rep, "payload_too_large", NULL, "request bodies are limited to %d bytes",
                        AL__MAX_BODY);
        return;
    }
    if (strcmp(url, "/metrics") == 0) { /* where Prometheus looks: outside /api/v1 */
        pend->route = AL__METRICS_ROUTE_METRICS;
        al__metrics_reply(d, &who, method, rep);
        return;
    }
    if (strcmp(who.subject, AL__METRICS_SUBJECT) == 0) {
        al__reply_error(rep, "permission_denied", NULL, "%s may read /metrics only",
                        AL__METRICS_SUBJECT);
        return;
    }
    copy = al__xstrdup(url);
    if (split_path(copy, &req))
        pend->route = al__route(d, &req, rep);
    else
        al__reply_error(rep, "not_found", NULL, "no such path");
    free(copy);
}

/* Answers `rep` now and frees what it holds. */
static enum MHD_Result answer(struct allotd *d, struct MHD_Connection *conn, struct pending *pend,
                              struct al__reply *rep) {
    enum MHD_Result ok = send_reply(d->http, conn, pend, rep);
    al__metrics_request(&d->metrics, pend->route, rep->status, al__monotonic_ns() - pend->began_ns);
    json_decref(rep->json);
    free(rep->text);
    if (rep->upgrade.done) /* an upgrade send_reply did not take */
        rep->upgrade.done(rep->upgrade.ctx);
    return ok;
}

/* The first call, with the head only: the token is checked now, so that a request with a bad
 * one gets its 401 before a 100 Continue and without its body being read. */
static enum MHD_Result on_head(struct allotd *d, struct MHD_Connection *conn, const char *url,
                               const char *method, void **con_cls) {
    struct pending *pend = al__xcalloc(1, sizeof(*pend));
    struct al__reply rep = {.status = 500, .log_offset = -1, .log_start = -1};
    *con_cls = pend;
    pend->began_ns = al__monotonic_ns();
    pend->route = AL__METRICS_ROUTE_NONE;
    if (al__ui_path(url)) {   /* the dashboard's files: public, answered from the head */
        pend->refused = true; /* a body sent with it is dropped */
        struct al__watch *w = watch_of(conn);
        if (w)
            al__deadlines_served(&d->http->deadlines, w);
        return al__ui_answer(d->ui_dir[0] ? d->ui_dir : NULL, conn, url, method);
    }
    pend->anonymous = strcmp(url, "/healthz") == 0 || public_path(url);
    if (pend->anonymous || al__http_authorise(d, conn, method, &rep, &pend->who))
        return MHD_YES;
    if (rep.status == 401) { /* a refused login: audited, coalesced per address */
        struct al__actor by;
        actor_of(conn, NULL, &by);
        al__audit_denied(d, by.source);
    }
    pend->refused = true;
    struct al__watch *w = watch_of(conn);
    if (w)
        al__deadlines_served(&d->http->deadlines, w);
    return answer(d, conn, pend, &rep);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
    struct pending *pend = *con_cls;
    struct al__reply rep = {.status = 500, .log_offset = -1, .log_start = -1};

    (void)version;
    if (!pend)
        return on_head(cls, conn, url, method, con_cls);
    if (pend->refused) { /* answered already: whatever else arrives is dropped */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (pend->len + *upload_size > AL__MAX_BODY)
            pend->too_large = true;
        if (!pend->too_large) {
            pend->body = al__xrealloc(pend->body, pend->len + *upload_size + 1);
            memcpy(pend->body + pend->len, upload_data, *upload_size);
            pend->len += *upload_size;
            pend->body[pend->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    struct al__watch *w = watch_of(conn);
    if (w)
        al__deadlines_served(&((struct allotd *)cls)->http->deadlines, w);
    handle(cls, conn, url, method, pend, &rep);
    return answer(cls, conn, pend, &rep);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    struct pending *pend = *con_cls;
    struct al__watch *w = watch_of(conn);
    (void)toe;
    if (w)
        al__deadlines_idle(&((struct allotd *)cls)->http->deadlines, w);
    if (pend) {
        if (pend->upgrading && pend->upgrading->fd >= 0)
            close(pend->upgrading->fd); /* never reached the upgrade handler */
        free(pend->upgrading);
        free(pend->body);
        free(pend);
        *con_cls = NULL;
    }
}

/* A connection opens or closes: its deadline is made or forgotten (before its fd is closed). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    struct al__http *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = info ? al__deadlines_open(&h->deadlines, info->connect_fd) : NULL;
    } else if (*socket_context) {
        al__deadlines_close(&h->deadlines, *socket_context);
        *socket_context = NULL;
    }
}

static int parse_listen(const char *listen, struct sockaddr_in *addr, char *err, size_t size) {
    char host[64];
    const char *colon = strrchr(listen, ':');
    char *end;
    long port;

    memset(addr, 0, sizeof(*addr));
    if (!colon || (size_t)(colon - listen) >= sizeof(host) || colon == listen) {
        snprintf(err, size, "--listen: \"%s\": expected HOST:PORT, e.g. 127.0.0.1:7373", listen);
        return -AL_EINVAL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535) {
        snprintf(err, size, "--listen: \"%s\": the port must be 0..65535", listen);
        return -AL_EINVAL;
    }
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
        snprintf(err, size, "--listen: \"%s\": \"%s\" is not an IPv4 address", listen, host);
        return -AL_EINVAL;
    }
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    return 0;
}

/* As many connections as the descriptor limit allows (raised to its hard limit first), so that
 * a thousand followers fit; bounded by CONNECTIONS_MAX. */
static unsigned connection_limit(void) {
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 256;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > CONNECTIONS_MAX + FDS_SPARE)
        return CONNECTIONS_MAX;
    return lim.rlim_cur > 2 * FDS_SPARE ? (unsigned)(lim.rlim_cur - FDS_SPARE) : FDS_SPARE;
}

/* TLS 1.2 and 1.3 only, GnuTLS's usual ciphers. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

int al__http_start(struct allotd *d, const char *listen, const struct al__tls *tls, int *port_out,
                   char *err, size_t size) {
    struct sockaddr_in addr;
    const union MHD_DaemonInfo *info;
    int rc = parse_listen(listen, &addr, err, size);

    if (rc < 0)
        return rc;
    d->http = al__xcalloc(1, sizeof(*d->http));
    if (al__relays_init(&d->http->relays) < 0) {
        snprintf(err, size, "cannot make a pipe for the stream relays");
        free(d->http);
        d->http = NULL;
        return -AL_EIO;
    }
    d->http->tls = tls != NULL;
    d->http->idle_timeout_s = d->idle_timeout_s;
    pthread_mutex_init(&d->http->lock, NULL);
    pthread_cond_init(&d->http->wake, NULL);
    al__deadlines_init(&d->http->deadlines, d->header_timeout_s, d->idle_timeout_s);
    /* With TLS the handshake happens before the request, within the same head deadline
     * (http_deadlines.h); a stream's bytes pass through MHD, which decrypts them for the relay
     * on one end of a socket pair. */
    d->http->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
            MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0),
        0, NULL, NULL, on_request, d, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, d, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        d->http, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)d->per_ip_connections,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS, MHD_OPTION_CONNECTION_LIMIT,
        connection_limit(), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)d->idle_timeout_s,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        /* without TLS these end the list */
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, tls ? tls->cert_pem : NULL,
        MHD_OPTION_HTTPS_MEM_KEY, tls ? tls->key_pem : NULL, MHD_OPTION_HTTPS_PRIORITIES,
        TLS_PRIORITIES, MHD_OPTION_END);
    if (!d->http->mhd || pthread_create(&d->http->waker, NULL, waker_run, d->http) != 0) {
        snprintf(err, size, "cannot listen on %s (in use, or not an address of this machine)",
                 listen);
        if (d->http->mhd)
            MHD_stop_daemon(d->http->mhd);
        al__relays_stop(&d->http->relays);
        al__deadlines_release(&d->http->deadlines);
        free(d->http);
        d->http = NULL;
        return -AL_EIO;
    }
    info = MHD_get_daemon_info(d->http->mhd, MHD_DAEMON_INFO_BIND_PORT);
    *port_out = info ? info->port : ntohs(addr.sin_port);
    return 0;
}

void al__http_stop(struct allotd *d) {
    struct al__http *h = d->http;
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->waker, NULL);
    al__relays_stop(&h->relays); /* their connections go back to MHD before it stops */
    /* Parked streams end once resumed (allotd is stopping: followers see no live task); MHD
     * must not be stopped with connections suspended. */
    for (int round = 0; round < 100; round++) {
        pthread_mutex_lock(&h->lock);
        size_t parked = h->parked_count;
        resume_parked(h);
        pthread_mutex_unlock(&h->lock);
        if (parked == 0 && round > 0)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    }
    MHD_stop_daemon(h->mhd);
    al__deadlines_release(&h->deadlines);
    free(h->parked);
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
    free(h);
    d->http = NULL;
}
