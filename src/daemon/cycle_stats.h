/* cycle_stats.h - how long the last scheduling cycles took, in parts (the model build, the
 * engine) and whole, for GET /healthz and the benchmarks. */
#ifndef ALLOT_DAEMON_CYCLE_STATS_H
#define ALLOT_DAEMON_CYCLE_STATS_H

#include <jansson.h>
#include <stddef.h>

#define AL__CYCLE_WINDOW 128 /* cycles remembered */

enum al__cycle_part {
    AL__CYCLE_POLL,   /* step 1: tasks polled, retired, pipelined started, committed */
    AL__CYCLE_MODEL,  /* the model build (state lock) */
    AL__CYCLE_ENGINE, /* the engine (no lock) */
    AL__CYCLE_RECORD, /* step 3: decisions and reasons recorded, committed */
    AL__CYCLE_TOTAL,  /* the whole cycle up to its last commit */
    AL__CYCLE_PARTS
};

/* The last AL__CYCLE_WINDOW cycles, in milliseconds (the daemon's lock guards it). */
struct al__cycle_stats {
    double ms[AL__CYCLE_PARTS][AL__CYCLE_WINDOW];
    size_t count; /* cycles recorded in all */
};

/* al__cycle_stats_add - records one cycle's parts. */
void al__cycle_stats_add(struct al__cycle_stats *s, const double ms[AL__CYCLE_PARTS]);

/* al__cycle_stats_json - {"window": N, "poll_ms": {"p50", "p90", "max", "last"}, "model_ms",
 * "engine_ms", "record_ms", "cycle_ms"} over the window; null figures before the first cycle. */
json_t *al__cycle_stats_json(const struct al__cycle_stats *s);

#endif
