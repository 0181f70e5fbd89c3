/* routes_snapshot.c - GET /api/v1/snapshot: the model the next cycle sees (model_build.c),
 * written by the snapshot writer, so that what allotd schedules is what a user replays. */
#include <stdlib.h>

#include "allot/snapshot.h"
#include "daemon/api.h"
#include "daemon/cycle_model.h"

void al__snapshot_get(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__cycle_model m;
    (void)req;
    al__model_build(d, &m);
    char *text = al_snapshot_write(&m.cluster);
    al__model_release(&m);
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!doc)
        al__reply_error(rep, "internal", NULL, "out of memory writing the snapshot");
    else
        al__reply_json(rep, 200, doc);
}
