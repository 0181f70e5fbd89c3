/* route_access.c - places of queues and workloads, and the access checks routes make on the
 * objects they resolve (the route table checked the resource and verb in general first). */
#include <string.h>

#include "daemon/route_access.h"

struct al__place al__queue_place(const struct al__dqueue *q) {
    if (q->project)
        return (struct al__place){q->parent, q->name, ""};
    return (struct al__place){q->name, "", ""};
}

struct al__place al__workload_place(struct allotd *d, const struct al__dworkload *w) {
    const struct al__dqueue *q = al__state_queue(&d->state, w->project);
    return (struct al__place){q ? q->parent : "", w->project, w->owner ? w->owner : ""};
}

bool al__request_may(const struct al__request *req, const struct al__place *place) {
    return al__request_may_verb(req, req->res, req->verb, place);
}

bool al__request_may_verb(const struct al__request *req, enum al__resource res, enum al__verb verb,
                          const struct al__place *place) {
    return req->who && al__may(req->who, res, verb, place);
}

bool al__request_sees_all(const struct al__request *req, enum al__resource res) {
    return req->who && al__sees_all(req->who, res, AL__VERB_READ);
}

void al__reply_forbidden(const struct al__request *req, struct al__reply *rep, const char *what) {
    al__reply_error(rep, "permission_denied", NULL, "%s may not %s %s",
                    req->who ? req->who->subject : "this request", al__verb_name(req->verb), what);
}
