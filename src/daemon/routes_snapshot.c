/* routes_snapshot.c - GET /api/v1/snapshot: the model the next cycle sees (model_build.c),
 * written by the snapshot writer, so that what allotd schedules is what a user replays. */
#include <stdlib.h>
#include <string.h>

#include "allot/snapshot.h"
#include "daemon/api.h"

void al__route_snapshot(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__cycle_model m;
    if (strcmp(req->method, "GET") != 0) {
        al__reply_error(rep, "method_not_allowed", NULL, "use GET");
        return;
    }
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
