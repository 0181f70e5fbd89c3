/* access.h - who may do what: Run:ai's roles bound to scopes (system, a department, a project),
 * one table of role x resource x verb that every route is checked against, and the principal a
 * request is made by. The same table is rendered into docs/rbac.md (`allotd --rbac-doc`). */
#ifndef ALLOT_DAEMON_ACCESS_H
#define ALLOT_DAEMON_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/names.h"

/* From the most powerful down: a role may grant only roles at or below its own. */
enum al__role {
    AL__ROLE_SYSTEM_ADMIN,
    AL__ROLE_DEPARTMENT_ADMIN,
    AL__ROLE_RESEARCH_MANAGER,
    AL__ROLE_L1_RESEARCHER,
    AL__ROLE_L2_RESEARCHER,
    AL__ROLE_VIEWER,
    AL__ROLE_COUNT
};

enum al__scope_kind { AL__SCOPE_SYSTEM, AL__SCOPE_DEPARTMENT, AL__SCOPE_PROJECT };

/* What a route acts on. */
enum al__resource {
    AL__RES_WORKLOAD,
    AL__RES_PROJECT,
    AL__RES_DEPARTMENT,
    AL__RES_NODE,
    AL__RES_SNAPSHOT,
    AL__RES_AUDIT,
    AL__RES_USER,
    AL__RES_GROUP,
    AL__RES_APP,
    AL__RES_ACCESS_RULE,
    AL__RES_REPORT,  /* consumption reports: rows per project, each in its place */
    AL__RES_METRICS, /* GET /metrics */
    AL__RES_COUNT
};

enum al__verb {
    AL__VERB_READ,    /* get and list */
    AL__VERB_CREATE,  /* create, submit */
    AL__VERB_UPDATE,  /* change settings */
    AL__VERB_DELETE,  /* delete */
    AL__VERB_CONTROL, /* suspend, resume */
    AL__VERB_LOGS,    /* a workload's output */
    AL__VERB_STREAM,  /* attach, exec, port-forward */
    AL__VERB_COUNT
};

/* A role held in a scope (scope "" for the system). */
struct al__binding {
    enum al__role role;
    enum al__scope_kind kind;
    char scope[AL__NAME_MAX];
};

#define AL__BINDINGS_MAX 32
#define AL__SUBJECT_MAX  96

/* Who a request is made by: "user:NAME", "app:NAME" or "token:NAME" (a static API token, the
 * break-glass admin's), and the roles they hold, resolved when the request arrived. */
struct al__principal {
    char subject[AL__SUBJECT_MAX];
    size_t binding_count;
    struct al__binding bindings[AL__BINDINGS_MAX];
    int64_t expires_s;  /* when its access token expires, 0 for never */
    int64_t session_id; /* its session (al__sessions), 0 for a static token */
};

/*
 * Where an object sits: the department and the project it belongs to (either "" where none),
 * and who made it (a workload's owner, "" for anything else). A workload is in its project and
 * that project's department; a project in itself and its department; a department in itself;
 * the rest (nodes, users, the audit log...) in the system only.
 */
struct al__place {
    const char *department;
    const char *project;
    const char *owner;
};

/* al__role_name / al__role_parse - "system-admin", "department-admin", "research-manager",
 * "l1-researcher", "l2-researcher", "viewer". Parse gives -1 for an unknown name. */
const char *al__role_name(enum al__role role);
int al__role_parse(const char *name);

/* al__resource_name / al__verb_name - as docs/rbac.md writes them. */
const char *al__resource_name(enum al__resource res);
const char *al__verb_name(enum al__verb verb);

/* al__role_scopes - whether `role` may be held in scopes of `kind` (a system administrator is
 * one in the system scope only; a department administrator in the system or a department). */
bool al__role_scopes(enum al__role role, enum al__scope_kind kind);

/*
 * al__may - whether the principal may `verb` the `res` at `place`: some binding of theirs whose
 * role the table allows for it covers the place (a system binding covers everything; a
 * department binding its department and that department's projects; a project binding that
 * project). Where the table allows a role on objects of one's own only (an L2 researcher's
 * changes), the owner must be the principal. Resources the table marks "any scope" (nodes) are
 * allowed to a role held anywhere.
 */
bool al__may(const struct al__principal *p, enum al__resource res, enum al__verb verb,
             const struct al__place *place);

/* al__may_somewhere - whether the principal may `verb` the `res` in at least one scope: a list's
 * route lets them in and shows what they may read (al__may per item). */
bool al__may_somewhere(const struct al__principal *p, enum al__resource res, enum al__verb verb);

/* al__sees_all - whether a system binding lets the principal `verb` every `res` (a list needs
 * no filter then). */
bool al__sees_all(const struct al__principal *p, enum al__resource res, enum al__verb verb);

/*
 * al__may_grant - whether the principal may create (or delete) an access rule giving `role` in
 * `place` (the rule's scope as a place): they may manage access rules there (the table), and
 * `role` is not above the highest role they hold in a scope covering it.
 */
bool al__may_grant(const struct al__principal *p, enum al__role role,
                   const struct al__place *place);

/* al__access_doc - the table as Markdown (docs/rbac.md). */
void al__access_doc(FILE *out);

#endif
