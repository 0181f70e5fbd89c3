/* fuzz_route.c - a coverage-guided fuzz target (libFuzzer) for allotd's request path after
 * the HTTP layer: the route table, path segments, query parameters and JSON bodies, answered by
 * a real allotd core (store, state, the local backend with virtual GPUs) in this process. An
 * input is "METHOD\nPATH?QUERY\nBODY": what libmicrohttpd hands allotd. Requests change the
 * state (submits, projects, deletes) as they come; no scheduling cycle runs, so no task starts.
 * A crash, a leak, a sanitizer report or a reply that is neither JSON nor text is a finding. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "backends/backend.h"
#include "daemon/api.h"
#include "daemon/cycle_model.h"
#include "daemon/daemon.h"
#include "daemon/identity_start.h"
#include "daemon/persist.h"
#include "daemon/positions.h"
#include "daemon/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_QUERY 16

static struct allotd d = {.store_lock = PTHREAD_MUTEX_INITIALIZER,
                          .lock = PTHREAD_MUTEX_INITIALIZER,
                          .reader_lock = PTHREAD_MUTEX_INITIALIZER};

static char dir[] = "/tmp/allot-fuzz-route-XXXXXX";

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* The state dir goes with the run. */
static void remove_dir(void) {
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* One allotd for the whole run, in a fresh state dir. */
static void open_daemon(void) {
    char path[256], err[512], self[4096], supervisor[4200];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n <= 0 || !mkdtemp(dir))
        abort();
    atexit(remove_dir);
    self[n] = '\0';
    *strrchr(self, '/') = '\0'; /* build/fuzz: the supervisor is the release build's */
    snprintf(supervisor, sizeof(supervisor), "%s/../allot-supervisor", self);
    const struct al__backend_option options[] = {{"gpus", "2x80GiB"}, {"supervisor", supervisor}};
    d.state_dir = dir;
    d.grace_s = 1;
    d.idle_timeout_s = 60;
    d.retention_s = 3600;
    d.positions = al__positions_new();
    d.kept_model = al__kept_create();
    pthread_cond_init(&d.wake, NULL);
    if (al__backend_open(&d.backend, al__backend_find("local"), dir, options, 2, err,
                         sizeof(err))) {
        fprintf(stderr, "fuzz_route: %s\n", err);
        abort();
    }
    for (size_t i = 0; i < d.backend.inventory.node_count; i++)
        al__state_node(&d.state, d.backend.inventory.nodes[i].name);
    snprintf(path, sizeof(path), "%s/allot.db", dir);
    if (al__store_open(path, &d.store, err, sizeof(err)) < 0 ||
        al__store_open_reader(path, &d.reader, err, sizeof(err)) < 0 ||
        al__persist_load(&d, err, sizeof(err)) < 0) {
        fprintf(stderr, "fuzz_route: %s\n", err);
        abort();
    }
    snprintf(path, sizeof(path), "%s/admin.token", dir);
    if (al__auth_init(&d.auth, d.store, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "fuzz_route: %s\n", err);
        abort();
    }
    d.token_ttl_s = 3600;
    d.refresh_ttl_s = 86400;
    d.login_per_minute = 1000000;
    if (al__identity_start(&d, err, sizeof(err)) < 0) {
        fprintf(stderr, "fuzz_route: %s\n", err);
        abort();
    }
}

/* Who the requests are made by, picked by the input's length: the break-glass admin, an L2
 * researcher of project "a" and a viewer of department "d" (their checks fuzzed too). */
static const struct al__principal principals[] = {
    {"token:fuzz", 1, {{AL__ROLE_SYSTEM_ADMIN, AL__SCOPE_SYSTEM, ""}}, 0, 0},
    {"user:l2", 1, {{AL__ROLE_L2_RESEARCHER, AL__SCOPE_PROJECT, "a"}}, 0, 0},
    {"user:viewer", 1, {{AL__ROLE_VIEWER, AL__SCOPE_DEPARTMENT, "d"}}, 0, 0},
};

struct query {
    char *keys[MAX_QUERY], *values[MAX_QUERY];
    size_t count;
};

static const char *lookup(void *ctx, const char *key) {
    const struct query *q = ctx;
    for (size_t i = 0; i < q->count; i++)
        if (strcmp(q->keys[i], key) == 0)
            return q->values[i];
    return NULL;
}

/* text split in place at `sep` into at most `max` non-empty parts; how many. */
static size_t split(char *text, char sep, char **parts, size_t max) {
    size_t n = 0;
    for (char *p = text; *p && n < max;) {
        char *end = strchr(p, sep);
        if (end)
            *end = '\0';
        if (*p)
            parts[n++] = p;
        if (!end)
            break;
        p = end + 1;
    }
    return n;
}

/* "a=1&b=2" in place; keys and values are not unescaped (libmicrohttpd did that). */
static void split_query(char *text, struct query *q) {
    char *parts[MAX_QUERY];
    q->count = split(text, '&', parts, MAX_QUERY);
    for (size_t i = 0; i < q->count; i++) {
        char *eq = strchr(parts[i], '=');
        q->keys[i] = parts[i];
        q->values[i] = eq ? (*eq = '\0', eq + 1) : parts[i] + strlen(parts[i]);
    }
}

static void reply_release(struct al__reply *rep) {
    json_decref(rep->json);
    free(rep->text);
    if (rep->stream.done)
        rep->stream.done(rep->stream.ctx);
    if (rep->upgrade.done)
        rep->upgrade.done(rep->upgrade.ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "PUT"};
    static int opened;
    if (!opened++)
        open_daemon();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* METHOD \n PATH[?QUERY] \n BODY */
    char *nl = memchr(text, '\n', size), *path = nl ? nl + 1 : text + size;
    char *nl2 = nl ? memchr(path, '\n', size - (size_t)(path - text)) : NULL;
    char *body = nl2 ? nl2 + 1 : text + size;
    if (nl)
        *nl = '\0';
    if (nl2)
        *nl2 = '\0';
    size_t count = sizeof(methods) / sizeof(methods[0]), m = strlen(text) % count;
    for (size_t i = 0; i < count; i++) /* the method named, else one picked by its length */
        if (strcmp(text, methods[i]) == 0)
            m = i;
    struct query q = {.count = 0};
    char *qmark = strchr(path, '?');
    if (qmark) {
        *qmark = '\0';
        split_query(qmark + 1, &q);
    }
    struct al__request req = {.method = methods[m],
                              .who = &principals[size % 3],
                              .body = body,
                              .body_len = (size_t)(text + size - body),
                              .lookup = lookup,
                              .lookup_ctx = &q};
    char *segments[AL__MAX_SEGMENTS];
    req.segment_count = split(path, '/', segments, AL__MAX_SEGMENTS);
    for (size_t i = 0; i < req.segment_count; i++)
        req.segments[i] = segments[i];
    struct al__reply rep;
    memset(&rep, 0, sizeof(rep));
    rep.log_offset = rep.log_start = -1;
    al__route(&d, &req, &rep);
    if (rep.status < 100 || rep.status > 599)
        abort(); /* every request is answered with a status */
    reply_release(&rep);
    free(text);
    return 0;
}
