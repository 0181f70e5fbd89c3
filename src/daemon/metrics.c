/* metrics.c - the counters and histograms of allotd's hot paths and their families in the
 * exposition format (metrics.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/metrics.h"
#include "util/xalloc.h"

/* Bounds in seconds. Cycles: a quiet one takes well under a millisecond, 100,000 workloads
 * tens of milliseconds. */
static const double cycle_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
static const double request_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
static const double commit_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                       0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
static const double queueing_bounds[] = {
    1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 604800};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The statuses allotd answers with (api.c); any other is counted as "other". */
static const int codes[AL__METRICS_CODES - 1] = {101, 200, 201, 202, 204, 301, 302, 304, 400, 401,
                                                 403, 404, 405, 409, 413, 429, 500, 502, 503};
static const char *const part_names[AL__CYCLE_TOTAL] = {"poll", "model", "engine", "record"};
static const char *const kind_names[3] = {"bind", "pipeline", "evict"};

void al__metrics_init(struct al__metrics *m) {
    al__histogram_init(&m->cycle, cycle_bounds, COUNT(cycle_bounds));
    for (int p = 0; p < AL__CYCLE_TOTAL; p++)
        al__histogram_init(&m->parts[p], cycle_bounds, COUNT(cycle_bounds));
    for (int a = 0; a < AL_ACTION_COUNT; a++)
        al__histogram_init(&m->actions[a], cycle_bounds, COUNT(cycle_bounds));
    al__histogram_init(&m->queueing, queueing_bounds, COUNT(queueing_bounds));
    al__histogram_init(&m->commit, commit_bounds, COUNT(commit_bounds));
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < AL_REASON_COUNT; r++)
            atomic_init(&m->decisions[k][r], 0);
    m->route_count = al__route_count() + AL__METRICS_ROUTE_EXTRAS;
    m->routes = al__xcalloc(m->route_count, sizeof(*m->routes));
    for (size_t i = 0; i < m->route_count; i++) {
        for (int c = 0; c < AL__METRICS_CODES; c++)
            atomic_init(&m->routes[i].by_code[c], 0);
        al__histogram_init(&m->routes[i].latency, request_bounds, COUNT(request_bounds));
    }
}

void al__metrics_release(struct al__metrics *m) {
    free(m->routes);
    m->routes = NULL;
    m->route_count = 0;
}

static size_t route_slot(const struct al__metrics *m, int route) {
    size_t table = m->route_count - AL__METRICS_ROUTE_EXTRAS;
    if (route >= 0 && (size_t)route < table)
        return (size_t)route;
    if (route == AL__METRICS_ROUTE_HEALTHZ)
        return table + 1;
    if (route == AL__METRICS_ROUTE_METRICS)
        return table + 2;
    return table;
}

void al__metrics_request(struct al__metrics *m, int route, int status, uint64_t ns) {
    if (!m->routes)
        return;
    struct al__route_metrics *r = &m->routes[route_slot(m, route)];
    size_t c = 0;
    while (c < AL__METRICS_CODES - 1 && codes[c] != status)
        c++;
    atomic_fetch_add_explicit(&r->by_code[c], 1, memory_order_relaxed);
    al__histogram_observe_ns(&r->latency, ns);
}

static uint64_t ms_ns(double ms) {
    return ms > 0 ? (uint64_t)(ms * 1e6) : 0;
}

void al__metrics_cycle(struct al__metrics *m, const double ms[AL__CYCLE_PARTS]) {
    for (int p = 0; p < AL__CYCLE_TOTAL; p++)
        al__histogram_observe_ns(&m->parts[p], ms_ns(ms[p]));
    al__histogram_observe_ns(&m->cycle, ms_ns(ms[AL__CYCLE_TOTAL]));
}

void al__metrics_actions(struct al__metrics *m, const int64_t ns[AL_ACTION_COUNT]) {
    for (int a = 0; a < AL_ACTION_COUNT; a++)
        if (ns[a] > 0)
            al__histogram_observe_ns(&m->actions[a], (uint64_t)ns[a]);
}

void al__metrics_decision(struct al__metrics *m, enum al_decision_kind kind, enum al_reason why) {
    if ((unsigned)kind < 3 && (unsigned)why < AL_REASON_COUNT)
        atomic_fetch_add_explicit(&m->decisions[kind][why], 1, memory_order_relaxed);
}

void al__metrics_first_start(struct al__metrics *m, int64_t s) {
    al__histogram_observe_ns(&m->queueing, s > 0 ? (uint64_t)s * 1000000000u : 0);
}

/* The route and method labels of slot i: the table's path pattern, or a pseudo-route's. */
static void slot_labels(const struct al__metrics *m, size_t i, struct al__labels *l) {
    size_t table = m->route_count - AL__METRICS_ROUTE_EXTRAS;
    const char *method = "any"; /* the pseudo-routes do not tell methods apart */
    char path[128];
    if (i < table)
        snprintf(path, sizeof(path), "/api/v1/%s", al__route_path(i, &method));
    else
        snprintf(path, sizeof(path), "%s",
                 i == table       ? "none"
                 : i == table + 1 ? "/healthz"
                                  : "/metrics");
    al__labels_add(l, "route", path);
    al__labels_add(l, "method", method);
}

static void render_requests(const struct al__metrics *m, struct al__expo *e) {
    al__expo_family(e, "allot_api_requests_total", "counter",
                    "API requests answered, by route (the route table's path pattern; \"none\": "
                    "refused before routing or no such path), method and HTTP status code.");
    for (size_t i = 0; i < m->route_count; i++) {
        for (int c = 0; c < AL__METRICS_CODES; c++) {
            uint64_t n = atomic_load_explicit(&m->routes[i].by_code[c], memory_order_relaxed);
            char code[16];
            if (n == 0)
                continue;
            snprintf(code, sizeof(code), c < AL__METRICS_CODES - 1 ? "%d" : "other",
                     c < AL__METRICS_CODES - 1 ? codes[c] : 0);
            struct al__labels l = {.len = 0};
            slot_labels(m, i, &l);
            al__labels_add(&l, "code", code);
            al__labels_add(&l, "class",
                           c < AL__METRICS_CODES - 1 ? (char[]){code[0], 'x', 'x', 0} : "other");
            al__expo_sample(e, "allot_api_requests_total", &l, (double)n);
        }
    }
    al__expo_family(e, "allot_api_request_duration_seconds", "histogram",
                    "Time from a request's arrival to its answer (a stream's: to its start), by "
                    "route and method.");
    for (size_t i = 0; i < m->route_count; i++) {
        struct al__histogram_view v;
        al__histogram_view(&m->routes[i].latency, &v);
        if (v.cumulative[v.bound_count] == 0)
            continue;
        struct al__labels l = {.len = 0};
        slot_labels(m, i, &l);
        al__expo_histogram(e, "allot_api_request_duration_seconds", &l, &m->routes[i].latency);
    }
}

void al__metrics_render_counters(const struct al__metrics *m, struct al__expo *e) {
    al__expo_family(e, "allot_cycle_duration_seconds", "histogram",
                    "Scheduling cycles that ran the engine, whole: from their first lock to "
                    "their last commit.");
    al__expo_histogram(e, "allot_cycle_duration_seconds", NULL, &m->cycle);
    al__expo_family(e, "allot_cycle_part_duration_seconds", "histogram",
                    "The parts of those cycles: poll (tasks noticed, committed), model (the "
                    "engine's model built, state lock), engine (no lock), record (decisions "
                    "carried out and reasons recorded, committed).");
    for (int p = 0; p < AL__CYCLE_TOTAL; p++) {
        struct al__labels l = {.len = 0};
        al__expo_histogram(e, "allot_cycle_part_duration_seconds",
                           al__labels_add(&l, "part", part_names[p]), &m->parts[p]);
    }
    al__expo_family(e, "allot_cycle_action_duration_seconds", "histogram",
                    "The engine's actions within those cycles (allocate, consolidation, reclaim, "
                    "preempt, stalegangeviction: KAI's names), each as long as it ran.");
    for (int a = 0; a < AL_ACTION_COUNT; a++) {
        struct al__labels l = {.len = 0};
        al__expo_histogram(e, "allot_cycle_action_duration_seconds",
                           al__labels_add(&l, "action", al_action_name((enum al_action)a)),
                           &m->actions[a]);
    }
    al__expo_family(e, "allot_decisions_total", "counter",
                    "Decisions of the engine carried out, by kind (bind, pipeline, evict) and "
                    "reason (an eviction's; \"none\" for binds and pipelines).");
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < AL_REASON_COUNT; r++) {
            bool evicting = r == AL_REASON_STALE_GANG || r == AL_REASON_RECLAIMED ||
                            r == AL_REASON_PREEMPTED || r == AL_REASON_CONSOLIDATED;
            uint64_t n = atomic_load_explicit(&m->decisions[k][r], memory_order_relaxed);
            /* the series that can happen always, others once seen */
            if (!n && (k == AL_DECISION_EVICT ? !evicting : r != AL_REASON_NONE))
                continue;
            struct al__labels l = {.len = 0};
            al__labels_add(&l, "kind", kind_names[k]);
            al__labels_add(&l, "reason", r == AL_REASON_NONE ? "none" : al_reason_name(r));
            al__expo_sample(e, "allot_decisions_total", &l, (double)n);
        }
    al__expo_family(e, "allot_queueing_duration_seconds", "histogram",
                    "Workloads' time from submit to their first start (whole seconds).");
    al__expo_histogram(e, "allot_queueing_duration_seconds", NULL, &m->queueing);
    al__expo_family(e, "allot_store_commit_duration_seconds", "histogram",
                    "The store's transaction commits (SQLite COMMIT, its fsync included).");
    al__expo_histogram(e, "allot_store_commit_duration_seconds", NULL, &m->commit);
    render_requests(m, e);
}
