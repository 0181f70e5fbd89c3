/* events_publish.c - the events of workload and queue changes (events_publish.h): their JSON,
 * and where each sits for the readers' access checks. */
#include <jansson.h>
#include <stdlib.h>

#include "daemon/daemon.h"
#include "daemon/events.h"
#include "daemon/events_publish.h"
#include "util/xalloc.h"

struct rendering {
    const char *type;
    json_t *fields; /* the event's own fields, taken */
};

/* {"id", "type", "time_s", then the fields}: called by the ring with the event's id. */
static char *render(void *ctx, uint64_t id) {
    struct rendering *r = ctx;
    json_t *o = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)id, "type", r->type, "time_s",
                          (json_int_t)al__daemon_now());
    json_object_update(o, r->fields);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text ? text : al__xstrdup("{}");
}

static json_t *text_or_null(const char *s) {
    return s && s[0] ? json_string(s) : json_null();
}

void al__publish_workload(struct al__state *st, const struct al__dworkload *w, const char *type,
                          const char *previous) {
    if (!st->events)
        return;
    const struct al__dqueue *project = al__state_queue(st, w->project);
    const char *department = project ? project->parent : "";
    json_t *fields = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:i}", "kind", "workload", "name",
        w->name, "project", w->project, "department", text_or_null(department), "owner",
        text_or_null(w->owner), "workload_kind", al__wkind_name((enum al__wkind)w->spec.kind),
        "state", al__wstate_name(w->state), "previous", text_or_null(previous), "reason_code",
        text_or_null(w->reason_code), "reason_short", text_or_null(w->reason_short), "reason",
        text_or_null(w->reason), "exit_code", w->exit_code);
    struct rendering r = {type, fields};
    al__events_publish(st->events, AL__EV_WORKLOAD, type, false, department, w->project, w->owner,
                       render, &r);
    json_decref(fields);
}

void al__publish_queue(struct al__state *st, const struct al__dqueue *q, const char *type) {
    if (!st->events)
        return;
    json_t *fields = json_pack("{s:s, s:s, s:s, s:o, s:b}", "kind", "queue", "name", q->name,
                               "queue_kind", q->project ? "project" : "department", "parent",
                               text_or_null(q->parent), "deleting", q->deleting);
    struct rendering r = {type, fields};
    al__events_publish(st->events, AL__EV_QUEUE, type, !q->project,
                       q->project ? q->parent : q->name, q->project ? q->name : "", "", render, &r);
    json_decref(fields);
}
