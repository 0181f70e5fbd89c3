/* reservations.c - the last cycle's reservations of large gangs, for the API (reservations.h). */
#include "daemon/reservations.h"

#include <stdlib.h>

#include "daemon/daemon.h"
#include "daemon/state.h"
#include "util/xalloc.h"

void al__reservations_release(struct allotd *d) {
    for (size_t i = 0; i < d->reservation_count; i++) {
        for (size_t k = 0; k < d->reservations[i].node_count; k++)
            free(d->reservations[i].nodes[k]);
        free(d->reservations[i].nodes);
    }
    free(d->reservations);
    d->reservations = NULL;
    d->reservation_count = 0;
}

void al__reservations_record(struct allotd *d, const struct al__cycle_model *m,
                             const struct al_result *r) {
    const struct al_cluster *c = &m->cluster;
    if (d->reservation_count == 0 && r->reservation_count == 0)
        return;
    al__reservations_release(d);
    if (r->reservation_count == 0)
        return;
    d->reservations = al__xcalloc(r->reservation_count, sizeof(*d->reservations));
    for (size_t i = 0; i < r->reservation_count; i++) {
        const struct al_reservation *v = &r->reservations[i];
        struct al__reservation_note *note = &d->reservations[d->reservation_count++];
        note->workload_id = m->job_owner[v->job]->id;
        note->start_s = v->start_s;
        note->nodes = al__xcalloc(v->node_count + 1, sizeof(*note->nodes));
        for (size_t k = 0; k < v->node_count; k++)
            note->nodes[note->node_count++] = al__xstrdup(c->nodes[v->nodes[k]].name);
    }
}

json_t *al__reservation_json(const struct allotd *d, const struct al__dworkload *w) {
    for (size_t i = 0; i < d->reservation_count; i++) {
        const struct al__reservation_note *note = &d->reservations[i];
        if (note->workload_id != w->id)
            continue;
        json_t *nodes = json_array();
        for (size_t k = 0; k < note->node_count; k++)
            json_array_append_new(nodes, json_string(note->nodes[k]));
        return json_pack("{s:I, s:o}", "start_s", (json_int_t)note->start_s, "nodes", nodes);
    }
    return json_null();
}
