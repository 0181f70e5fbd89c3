/* reservations.h - the reservations of large gangs that allotd's last cycle made, kept for the
 * API: which nodes a pending workload holds and from when (docs/engine.md, "Reservations"). */
#ifndef ALLOT_DAEMON_RESERVATIONS_H
#define ALLOT_DAEMON_RESERVATIONS_H

#include <jansson.h>

#include "allot/cycle.h"
#include "daemon/cycle_model.h"

struct allotd;
struct al__dworkload;

/* One reservation: the workload (by id), when its gang is planned to start, its nodes. */
struct al__reservation_note {
    int64_t workload_id;
    int64_t start_s;
    char **nodes; /* names, malloc'd */
    size_t node_count;
};

/* al__reservations_record - replaces d's reservations with those of the cycle's result r on
 * model m. Under the state lock. O(reservations * nodes). */
void al__reservations_record(struct allotd *d, const struct al__cycle_model *m,
                             const struct al_result *r);

/* al__reservation_json - {"start_s": ..., "nodes": [...]} for w's reservation of the last cycle,
 * or JSON null when it holds none. New reference. O(reservations). */
json_t *al__reservation_json(const struct allotd *d, const struct al__dworkload *w);

/* al__reservations_release - frees what d keeps (at shutdown). */
void al__reservations_release(struct allotd *d);

#endif
