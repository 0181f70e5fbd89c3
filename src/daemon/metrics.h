/* metrics.h - allotd's Prometheus metrics: the counters and histograms its hot paths feed
 * without a lock (cycles, decisions, first starts, store commits, API requests), and the
 * rendering of GET /metrics (docs/api.md, "Metrics"), which adds gauges read from the state.
 * Everything starts at zero with allotd, as Prometheus expects of counters. */
#ifndef ALLOT_DAEMON_METRICS_H
#define ALLOT_DAEMON_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "allot/cycle.h"
#include "daemon/cycle_stats.h"
#include "daemon/expo.h"
#include "daemon/histogram.h"

/* Requests that no route of the table answers: by these pseudo-routes. */
#define AL__METRICS_ROUTE_NONE    (-1) /* refused before routing, or no such path */
#define AL__METRICS_ROUTE_HEALTHZ (-2)
#define AL__METRICS_ROUTE_METRICS (-3)
#define AL__METRICS_ROUTE_EXTRAS  3

#define AL__METRICS_CODES 20 /* HTTP statuses told apart (metrics.c), the last one "other" */

/* One route's requests: by status, and their latencies. */
struct al__route_metrics {
    _Atomic uint64_t by_code[AL__METRICS_CODES];
    struct al__histogram latency;
};

struct al__metrics {
    struct al__histogram cycle;                     /* whole cycles */
    struct al__histogram parts[AL__CYCLE_TOTAL];    /* poll, model, engine, record */
    struct al__histogram actions[AL_ACTION_COUNT];  /* the engine's actions, within it */
    struct al__histogram queueing;                  /* submit to first start */
    struct al__histogram commit;                    /* the store's COMMITs */
    _Atomic uint64_t decisions[3][AL_REASON_COUNT]; /* carried out: kind x reason */
    struct al__route_metrics *routes;               /* the route table's, then the extras */
    size_t route_count;
};

/* al__metrics_init - all zero, one entry per route of the table (routes.c) and the extras. */
void al__metrics_init(struct al__metrics *m);
/* al__metrics_release - frees it; accepts a zeroed one. */
void al__metrics_release(struct al__metrics *m);

/* al__metrics_request - an answered request: `route` is the table's index or an
 * AL__METRICS_ROUTE_* value; `ns` from its head's arrival to its answer. Lock-free. */
void al__metrics_request(struct al__metrics *m, int route, int status, uint64_t ns);
/* al__metrics_cycle - a cycle's parts and total, in milliseconds (cycle_stats.h). */
void al__metrics_cycle(struct al__metrics *m, const double ms[AL__CYCLE_PARTS]);
/* al__metrics_actions - the time each action of a cycle's engine run took (al_result's
 * action_ns; an action not run, 0, is not observed). */
void al__metrics_actions(struct al__metrics *m, const int64_t ns[AL_ACTION_COUNT]);
/* al__metrics_decision - a decision carried out. */
void al__metrics_decision(struct al__metrics *m, enum al_decision_kind kind, enum al_reason why);
/* al__metrics_first_start - a workload started for the first time, `s` seconds after its
 * submit. */
void al__metrics_first_start(struct al__metrics *m, int64_t s);

/* al__metrics_render_counters - the families of the counters and histograms above. */
void al__metrics_render_counters(const struct al__metrics *m, struct al__expo *e);

/* The route table's size, and route i's method and path after /api/v1/ ("workloads/NAME" is
 * written with a star), from routes.c. */
size_t al__route_count(void);
const char *al__route_path(size_t i, const char **method);

#endif
