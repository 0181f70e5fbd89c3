/* route_access.h - the routes' side of access.c: where an object of allotd's state sits (its
 * department, project and owner), and the check of the route's resource and verb there. */
#ifndef ALLOT_DAEMON_ROUTE_ACCESS_H
#define ALLOT_DAEMON_ROUTE_ACCESS_H

#include "daemon/access.h"
#include "daemon/api.h"

/* al__queue_place - a project is in itself and its department; a department in itself. */
struct al__place al__queue_place(const struct al__dqueue *q);

/* al__workload_place - in its project and that project's department, owned by its submitter.
 * State lock held. */
struct al__place al__workload_place(struct allotd *d, const struct al__dworkload *w);

/* al__request_may - whether the request's principal may do the route's verb on the route's
 * resource at `place`. False for a request without a principal. */
bool al__request_may(const struct al__request *req, const struct al__place *place);

/* al__request_may_verb - the same for another resource or verb (a list's read filter). */
bool al__request_may_verb(const struct al__request *req, enum al__resource res, enum al__verb verb,
                          const struct al__place *place);

/* al__request_sees_all - whether the principal may read every object of the resource: a list
 * needs no filter. */
bool al__request_sees_all(const struct al__request *req, enum al__resource res);

/* al__reply_forbidden - 403 permission_denied saying who may not do what to `what`. */
void al__reply_forbidden(const struct al__request *req, struct al__reply *rep, const char *what);

#endif
