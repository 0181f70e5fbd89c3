/* routes_rules.c - /api/v1/access-rules: who holds which role where. Listing shows the rules in
 * scopes the caller manages; making or removing one needs a role at least as high as the one
 * it gives, in a scope holding the rule's (access.c, al__may_grant). Run with the state lock
 * (the scope must name a queue that exists) and, for changes, the store lock. */
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/directory_service.h"
#include "daemon/route_access.h"

/* Where a rule's scope sits, as a place: a project's department looked up. State lock held. */
static struct al__place scope_place(struct allotd *d, const struct al__binding *b) {
    const struct al__dqueue *q;
    switch (b->kind) {
    case AL__SCOPE_DEPARTMENT:
        return (struct al__place){b->scope, "", ""};
    case AL__SCOPE_PROJECT:
        q = al__state_queue(&d->state, b->scope);
        return (struct al__place){q ? q->parent : "", b->scope, ""};
    default:
        return (struct al__place){"", "", ""};
    }
}

void al__rules_list(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    const char *subject = al__query(req, "subject");
    int64_t limit, offset;
    size_t total = 0;
    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    json_t *items = json_array();
    pthread_rwlock_rdlock(&d->dir.lock);
    for (size_t i = 0; i < d->dir.rule_count; i++) {
        const struct al__rule *r = &d->dir.rules[i];
        struct al__place place = scope_place(d, &r->binding);
        if ((subject && strcmp(subject, r->subject) != 0) || !al__request_may(req, &place))
            continue;
        if (total >= (size_t)offset && total < (size_t)(offset + limit))
            json_array_append_new(items, al__rule_json(r));
        total++;
    }
    pthread_rwlock_unlock(&d->dir.lock);
    al__list_reply(rep, items, total, limit, offset);
}

/* A subject "user:NAME", "group:NAME" or "app:NAME" with a valid name. */
static bool subject_valid(const char *s) {
    static const char *const kinds[] = {"user:", "group:", "app:"};
    for (size_t i = 0; s && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strncmp(s, kinds[i], strlen(kinds[i])) == 0)
            return al__subject_name_valid(s + strlen(kinds[i]));
    return false;
}

/* Reads and checks the body of a new rule into r; false after answering. State lock held. */
static bool read_rule(struct allotd *d, const json_t *body, struct al__rule *r,
                      struct al__reply *rep) {
    const char *subject = json_string_value(json_object_get(body, "subject"));
    const char *role = json_string_value(json_object_get(body, "role"));
    const char *scope = json_string_value(json_object_get(body, "scope"));
    const char *key;
    json_t *v;
    int parsed = al__role_parse(role);
    json_object_foreach((json_t *)body, key, v) {
        if (strcmp(key, "subject") != 0 && strcmp(key, "role") != 0 && strcmp(key, "scope") != 0) {
            al__reply_error(rep, "invalid_argument", key, "unknown field");
            return false;
        }
    }
    if (!subject_valid(subject)) {
        al__reply_error(rep, "invalid_argument", "subject",
                        "must be user:NAME, group:NAME or app:NAME");
        return false;
    }
    if (parsed < 0) {
        al__reply_error(rep, "invalid_argument", "role",
                        "must be one of system-admin, department-admin, research-manager, "
                        "l1-researcher, l2-researcher, viewer");
        return false;
    }
    if (al__scope_parse(scope, &r->binding) < 0) {
        al__reply_error(rep, "invalid_argument", "scope",
                        "must be system, department:NAME or project:NAME");
        return false;
    }
    r->binding.role = (enum al__role)parsed;
    if (!al__role_scopes(r->binding.role, r->binding.kind)) {
        al__reply_error(rep, "invalid_argument", "scope",
                        "a %s is not held in a scope of that kind", role);
        return false;
    }
    if (r->binding.kind != AL__SCOPE_SYSTEM) {
        const struct al__dqueue *q = al__state_queue(&d->state, r->binding.scope);
        bool project = r->binding.kind == AL__SCOPE_PROJECT;
        if (!q || q->project != project) {
            al__reply_error(rep, "invalid_argument", "scope", "no %s named \"%s\"",
                            project ? "project" : "department", r->binding.scope);
            return false;
        }
    }
    snprintf(r->subject, sizeof(r->subject), "%s", subject);
    r->created_s = al__daemon_now();
    return true;
}

static void reply_failure(struct al__reply *rep, const struct al__failure *f) {
    al__reply_error(rep, f->code, f->field[0] ? f->field : NULL, "%s", f->message);
}

void al__rule_create_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    json_t *body = al__request_json(req, rep);
    struct al__rule r = {0};
    struct al__failure f;
    if (body && read_rule(d, body, &r, rep)) {
        struct al__place place = scope_place(d, &r.binding);
        if (!al__may_grant(req->who, r.binding.role, &place))
            al__reply_error(rep, "permission_denied", "role",
                            "%s may not give %s there: a rule gives at most the role its maker "
                            "holds in a scope holding the rule's",
                            req->who->subject, al__role_name(r.binding.role));
        else if (al__rule_add(d, req->actor, &r, &f) < 0)
            reply_failure(rep, &f);
        else
            al__reply_json(rep, 201, al__rule_json(&r));
    }
    json_decref(body);
}

void al__rule_delete_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    char *end = NULL;
    long long id = strtoll(req->segments[1], &end, 10);
    struct al__rule r;
    struct al__failure f;
    bool found = false;
    pthread_rwlock_rdlock(&d->dir.lock);
    for (size_t i = 0; end && !*end && i < d->dir.rule_count && !found; i++)
        if (d->dir.rules[i].id == id) {
            r = d->dir.rules[i];
            found = true;
        }
    pthread_rwlock_unlock(&d->dir.lock);
    if (!found) {
        al__reply_error(rep, "not_found", NULL, "no access rule %s", req->segments[1]);
        return;
    }
    struct al__place place = scope_place(d, &r.binding);
    if (!al__may_grant(req->who, r.binding.role, &place))
        al__reply_error(rep, "permission_denied", NULL, "%s may not remove a rule giving %s there",
                        req->who->subject, al__role_name(r.binding.role));
    else if (al__rule_remove(d, req->actor, &r, &f) < 0)
        reply_failure(rep, &f);
    else
        al__reply_json(rep, 200, json_pack("{s:I}", "deleted", (json_int_t)id));
}
